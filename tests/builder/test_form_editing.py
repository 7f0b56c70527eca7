"""The designer's pure edit operations: each returns a new, valid document and leaves the old one."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from builder import form_editing as fe
from builder.forms import FIELD_TYPES
from builder.validation import validate_form
from rules.errors import DefinitionError


def claim_form() -> dict[str, Any]:
    return {
        "key": "claim", "version": 1, "title": {"zh_CN": "报销", "en": "Claim"},
        "fields": [
            {"key": "category", "type": "select", "label": {"zh_CN": "类别", "en": "Category"},
             "options": [{"value": "travel", "label": "Travel"}, {"value": "office", "label": "Office"}]},
            {"key": "items", "type": "table", "label": "Lines", "min_rows": 1,
             "columns": [{"key": "description", "type": "text", "label": "Description"},
                         {"key": "amount", "type": "money", "label": "Amount"}]},
            {"key": "total", "type": "money", "label": "Total", "computed": "sum(items.amount)"},
            {"key": "hotel", "type": "text", "label": "Hotel", "visible_when": {"category": "travel"}},
        ],
        "validations": [{"when": {"$gte": {"total": 0}}, "message": "no negative claims",
                         "fields": ["total"]}],
    }


def keys(doc: dict[str, Any]) -> list[str]:
    return [f["key"] for f in doc["fields"]]


def test_key_from_a_chinese_label_is_its_pinyin() -> None:
    assert fe.key_from_label("报销事由", []) == "bao_xiao_shi_you"


def test_key_from_an_english_label_wins_over_the_chinese_one_and_is_unique() -> None:
    label = {"zh_CN": "出差日期", "en": "Travel date"}
    assert fe.key_from_label(label, []) == "travel_date"
    assert fe.key_from_label(label, ["travel_date", "travel_date_2"]) == "travel_date_3"


@pytest.mark.parametrize(("label", "key"), [("3号发票", "f_3_hao_fa_piao"), ("", "field"), ("!!!", "field"),
                                            ("Café No. 5", "cafe_no_5")])
def test_key_from_awkward_labels_is_still_a_slug(label: str, key: str) -> None:
    assert fe.key_from_label(label, []) == key


@pytest.mark.parametrize("kind", FIELD_TYPES)
def test_every_type_gets_a_default_label_in_both_languages_and_a_key(kind: str) -> None:
    field = fe.new_field(kind, [])
    assert set(field["label"]) == {"zh_CN", "en"}
    assert fe.KEY_RE.match(field["key"])


def test_insert_puts_a_valid_field_where_asked_with_a_unique_key() -> None:
    doc = claim_form()
    before = copy.deepcopy(doc)
    out, key = fe.insert_field(doc, "text", 1)
    out, again = fe.insert_field(out, "text", 1)
    assert (key, again) == ("text", "text_2")
    assert keys(out) == ["category", "text_2", "text", "items", "total", "hotel"]
    assert doc == before
    assert validate_form(out) == []


def test_insert_of_a_choice_comes_with_two_options_and_validates() -> None:
    out, key = fe.insert_field(claim_form(), "select")
    assert [o["value"] for o in fe.field_at(out, key)["options"]] == ["option_1", "option_2"]
    assert validate_form(out) == []


def test_insert_of_an_unknown_type_is_refused() -> None:
    with pytest.raises(DefinitionError, match="unknown field type"):
        fe.insert_field(claim_form(), "video")


def test_move_to_an_index_and_up_and_down() -> None:
    doc = claim_form()
    assert keys(fe.move_field(doc, "hotel", 0)) == ["hotel", "category", "items", "total"]
    assert keys(fe.move_by(doc, "items", -1)) == ["items", "category", "total", "hotel"]
    assert keys(fe.move_by(doc, "category", -1)) == keys(doc)  # already first
    assert keys(fe.move_by(doc, "hotel", 1)) == keys(doc)
    assert keys(fe.move_field(doc, "category", 99)) == ["items", "total", "hotel", "category"]


def test_duplicate_goes_right_after_with_a_fresh_key_and_copy_label() -> None:
    out, key = fe.duplicate_field(claim_form(), "category")
    assert keys(out)[:2] == ["category", "category_2"] and key == "category_2"
    assert fe.field_at(out, key)["label"] == {"zh_CN": "类别（副本）", "en": "Category (copy)"}
    assert validate_form(out) == []


def test_delete_and_unknown_targets() -> None:
    assert keys(fe.delete_field(claim_form(), "hotel")) == ["category", "items", "total"]
    with pytest.raises(DefinitionError, match='no field "nope"') as caught:
        fe.delete_field(claim_form(), "nope")
    assert caught.value.problems[0].path == "fields"


def test_labels_per_language() -> None:
    out = fe.set_property(claim_form(), "category", "label.en", "Kind")
    assert fe.field_at(out, "category")["label"] == {"zh_CN": "类别", "en": "Kind"}
    out = fe.set_property(out, "hotel", "label.zh_CN", "酒店")  # a plain English label becomes bilingual
    assert fe.field_at(out, "hotel")["label"] == {"en": "Hotel", "zh_CN": "酒店"}
    out = fe.set_property(out, "hotel", "help.en", "Where you stayed")
    assert fe.field_at(out, "hotel")["help"] == {"en": "Where you stayed"}
    out = fe.set_property(out, "hotel", "help.en", "  ")
    assert "help" not in fe.field_at(out, "hotel")
    with pytest.raises(DefinitionError, match="which language") as caught:
        fe.set_property(claim_form(), "hotel", "label", "x")
    assert caught.value.problems[0].path == "fields[3].label"


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("required", "on", True), ("min", "1,000", 1000), ("max", "12.5", 12.5), ("max_length", "200", 200),
])
def test_typed_properties_are_parsed(name: str, text: str, expected: Any) -> None:
    target = "hotel" if name in ("required", "max_length") else "items.amount"
    assert fe.field_at(fe.set_property(claim_form(), target, name, text), target)[name] == expected


def test_empty_or_unticked_removes_the_property() -> None:
    doc = fe.set_property(claim_form(), "hotel", "required", "on")
    assert "required" not in fe.field_at(fe.set_property(doc, "hotel", "required", ""), "hotel")


@pytest.mark.parametrize(("target", "name", "text", "path", "message"), [
    ("items.amount", "min", "lots", "fields[1].columns[1].min", "must be a number"),
    ("hotel", "max_length", "-3", "fields[3].max_length", "whole number"),
    ("hotel", "visible_when", "{nope", "fields[3].visible_when", "not valid JSON"),
    ("hotel", "visible_when", "[1]", "fields[3].visible_when", "JSON object"),
    ("hotel", "colour", "red", "fields[3].colour", "cannot be set"),
])
def test_bad_property_input_names_its_path(target: str, name: str, text: str, path: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message) as caught:
        fe.set_property(claim_form(), target, name, text)
    assert caught.value.problems[0].path == path


def test_attachment_limits_serial_pattern_and_flags() -> None:
    doc, key = fe.insert_field(claim_form(), "attachment")
    doc = fe.set_property(doc, key, "accept", ".PDF, jpg；png")
    doc = fe.set_property(doc, key, "max_size", "2.5")
    doc = fe.set_property(doc, key, "max_files", "3")
    field = fe.field_at(doc, key)
    assert (field["accept"], field["max_size"], field["max_files"]) == (["pdf", "jpg", "png"], 2621440, 3)
    doc, serial = fe.insert_field(doc, "serial")
    assert fe.field_at(fe.set_property(doc, serial, "pattern", "BX-{yyyy}-{seq:6}"), serial)["pattern"] == \
        "BX-{yyyy}-{seq:6}"
    doc, person = fe.insert_field(doc, "user")
    assert fe.field_at(fe.set_property(doc, person, "multiple", "true"), person)["multiple"] is True


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("number", "42", 42), ("checkbox", "on", True), ("text", " hi ", "hi"),
    ("multiselect", "a, b", ["a", "b"]), ("daterange", "2026-01-01/2026-01-03",
                                           {"start": "2026-01-01", "end": "2026-01-03"}),
])
def test_default_is_parsed_by_type(kind: str, text: str, expected: Any) -> None:
    doc, key = fe.insert_field(claim_form(), kind)
    assert fe.field_at(fe.set_property(doc, key, "default", text), key)["default"] == expected


def test_rename_key_updates_every_reference() -> None:
    out = fe.set_property(claim_form(), "category", "key", "kind")
    assert fe.field_at(out, "hotel")["visible_when"] == {"kind": "travel"}
    out = fe.set_property(out, "items", "key", "lines")
    assert fe.field_at(out, "total")["computed"] == "sum(lines.amount)"
    out = fe.set_property(out, "lines.amount", "key", "sum_due")
    assert fe.field_at(out, "total")["computed"] == "sum(lines.sum_due)"
    out = fe.set_property(out, "total", "key", "claimed")
    assert out["validations"][0] == {"when": {"$gte": {"claimed": 0}}, "message": "no negative claims",
                                     "fields": ["claimed"]}
    assert validate_form(out) == []


def test_rename_condition_field_references() -> None:
    doc = claim_form()
    doc["fields"][3]["visible_when"] = {"$and": [{"$gt": {"total": {"$m": "items.amount.sum"}}}]}
    out = fe.set_property(doc, "items", "key", "lines")
    assert fe.field_at(out, "hotel")["visible_when"] == {"$and": [{"$gt": {"total": {"$m": "lines.amount.sum"}}}]}


@pytest.mark.parametrize(("new", "message"), [("Bad Key", "must start with a letter"), ("items", "already has")])
def test_rename_refused(new: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message) as caught:
        fe.set_property(claim_form(), "hotel", "key", new)
    assert caught.value.problems[0].path == "fields[3].key"


def relabelled(doc: dict[str, Any], target: str, name: str, text: str,
               published: frozenset[str] = frozenset()) -> tuple[dict[str, Any], str]:
    return fe.follow_label(doc, fe.set_property(doc, target, name, text), target, published)


def test_a_key_made_from_the_label_follows_the_label_until_published() -> None:
    doc, key = fe.insert_field(claim_form(), "select")
    assert key == "choice"
    doc, target = relabelled(doc, key, "label.zh_CN", "出差目的")
    assert target == "choice"  # the English label still names it
    doc, target = relabelled(doc, target, "label.en", "Trip purpose")
    assert target == "trip_purpose" and fe.field_at(doc, "trip_purpose")["label"]["zh_CN"] == "出差目的"
    doc["fields"][0]["visible_when"] = {"trip_purpose": "option_1"}
    doc, target = relabelled(doc, target, "label.en", "Purpose")
    assert target == "purpose" and doc["fields"][0]["visible_when"] == {"purpose": "option_1"}
    doc, column = fe.insert_column(doc, "items", "date")
    doc, target = relabelled(doc, column, "label.en", "Day")
    assert target == "items.day"
    assert relabelled(doc, "purpose", "label.en", "Why", published=frozenset({"purpose"}))[1] == "purpose"


def test_a_key_typed_by_the_designer_stays_when_the_label_changes() -> None:
    doc, key = fe.insert_field(claim_form(), "text")
    doc = fe.set_property(doc, key, "key", "dest")
    doc, target = relabelled(doc, "dest", "label.en", "Destination")
    assert target == "dest" and fe.field_at(doc, "dest")["label"]["en"] == "Destination"


def test_a_published_key_cannot_be_renamed() -> None:
    with pytest.raises(DefinitionError, match="published field keeps its key"):
        fe.set_property(claim_form(), "items.amount", "key", "sum", published_keys={"items.amount"})


def test_options_add_edit_reorder_remove() -> None:
    doc = fe.add_option(claim_form(), "category")
    assert fe.field_at(doc, "category")["options"][2] == {"value": "option_3",
                                                          "label": {"zh_CN": "选项3", "en": "Option 3"}}
    doc = fe.set_option(doc, "category", 2, "value", "meals")
    doc = fe.set_option(doc, "category", 2, "label.en", "Meals")
    doc = fe.move_option(doc, "category", 2, 0)
    assert [o["value"] for o in fe.field_at(doc, "category")["options"]] == ["meals", "travel", "office"]
    doc = fe.remove_option(doc, "category", 2)
    assert [o["value"] for o in fe.field_at(doc, "category")["options"]] == ["meals", "travel"]
    assert validate_form(doc) == []
    with pytest.raises(DefinitionError, match="no option 9"):
        fe.remove_option(doc, "category", 8)
    with pytest.raises(DefinitionError, match="only a choice field"):
        fe.add_option(doc, "hotel")


def test_columns_are_edited_like_fields() -> None:
    doc, target = fe.insert_column(claim_form(), "items", "date", 0)
    assert target == "items.date"
    doc = fe.move_by(doc, "items.date", 1)
    doc = fe.set_property(doc, "items.date", "label.en", "Day")
    doc, twin = fe.duplicate_field(doc, "items.amount")
    assert twin == "items.amount_2"
    doc = fe.delete_field(doc, "items.description")
    assert [c["key"] for c in fe.field_at(doc, "items")["columns"]] == ["date", "amount", "amount_2"]
    assert validate_form(doc) == []
    with pytest.raises(DefinitionError, match="a table column must be one of"):
        fe.insert_column(doc, "items", "table")
    with pytest.raises(DefinitionError, match="only a table has columns"):
        fe.insert_column(doc, "hotel", "text")


def test_form_title_and_validations() -> None:
    doc = fe.set_form_property(claim_form(), "title.en", "Expense claim")
    assert doc["title"] == {"zh_CN": "报销", "en": "Expense claim"}
    doc = fe.set_form_property(doc, "validations", "")
    assert "validations" not in doc
    with pytest.raises(DefinitionError, match="list of checks"):
        fe.set_form_property(doc, "validations", "{}")


def test_problem_paths_map_back_to_field_and_property() -> None:
    doc = claim_form()
    assert fe.target_of_path(doc, "fields[0].options[1].value") == ("category", "options[1].value")
    assert fe.target_of_path(doc, "fields[1].columns[1].min") == ("items.amount", "min")
    assert fe.target_of_path(doc, "fields[2]") == ("total", "")
    assert fe.target_of_path(doc, "title") == ("", "title")
    assert fe.target_of_path(doc, "fields[9].label") == ("", "fields[9].label")
    assert fe.targets(doc) == ["category", "items", "items.description", "items.amount", "total", "hotel"]


def test_a_form_of_every_type_inserted_is_valid_at_once() -> None:
    doc: dict[str, Any] = {"key": "all", "version": 1, "title": "All", "fields": []}
    for kind in FIELD_TYPES:
        doc, _key = fe.insert_field(doc, kind)
    assert [f["type"] for f in doc["fields"]] == list(FIELD_TYPES)
    assert validate_form(doc) == []
