"""The expression helper: what a computed field may use, its problems as saving would say them,
and the macro's chips."""
from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from rules.expressions import FUNCTIONS
from runtime import i18n
from runtime.web.expression_helper import FUNCTION_HELP, check_expression, expression_help
from runtime.web.rendering import make_templates

FORM: dict[str, Any] = {"key": "claim", "title": "Claim", "fields": [
    {"key": "reason", "type": "text", "label": {"en": "Reason", "zh_CN": "事由"}},
    {"key": "total", "type": "money", "label": {"en": "Total", "zh_CN": "合计"}, "computed": "sum(items.amount)"},
    {"key": "tax", "type": "money", "label": "Tax", "computed": "round(total * 0.06, 2)"},
    {"key": "start", "type": "date", "label": "Start"},
    {"key": "end", "type": "date", "label": "End"},
    {"key": "heading", "type": "section", "label": "Heading"},
    {"key": "items", "type": "table", "label": {"en": "Invoice lines", "zh_CN": "发票明细"}, "columns": [
        {"key": "price", "type": "money", "label": "Price"},
        {"key": "qty", "type": "number", "label": "Quantity"},
        {"key": "amount", "type": "money", "label": {"en": "Amount", "zh_CN": "金额"}, "computed": "price * qty"},
        {"key": "memo", "type": "text", "label": "Memo"}]},
]}


@pytest.fixture(autouse=True)
def english() -> Any:
    token = i18n.current_locale.set("en")
    yield
    i18n.current_locale.reset(token)


def test_every_allowed_function_is_explained_with_an_example_that_uses_it() -> None:
    assert set(FUNCTION_HELP) == set(FUNCTIONS)
    for name, (description, example) in FUNCTION_HELP.items():
        assert description and example.startswith(name + "(")


def test_a_fields_expression_may_use_the_other_fields_by_kind_and_the_tables_columns() -> None:
    help = expression_help(FORM, "en", field="tax")
    groups = {g.key: [(c.label, c.before) for c in g.chips] for g in help.fields}
    assert groups["number"] == [("Total", "total")]  # not tax itself
    assert groups["date"] == [("Start", "start"), ("End", "end")]
    assert groups["text"] == [("Reason", "reason")]
    assert groups["table"] == [("Invoice lines (rows)", "items"), ("Invoice lines: Price", "items.price"),
                               ("Invoice lines: Quantity", "items.qty"), ("Invoice lines: Amount", "items.amount"),
                               ("Invoice lines: Memo", "items.memo")]
    assert "heading" not in str(groups)
    assert [(c.label, c.before, c.after) for c in help.functions][:2] == [("round", "round(", ")"), ("min", "min(", ")")]
    assert help.functions[0].hint == ("Rounds a number to a number of decimals (none if not given). "
                                      "Example: round(total * 0.06, 2)")


def test_a_columns_expression_sees_its_rows_other_columns() -> None:
    help = expression_help(FORM, "zh_CN", field="amount", table="items")
    groups = {g.key: [c.before for c in g.chips] for g in help.fields}
    assert groups == {"number": ["price", "qty"], "text": ["memo"]}
    assert [g.title for g in help.fields] == ["数字", "文本与选项"]
    assert help.functions[-1].hint.startswith("金额的中文大写")


@pytest.mark.parametrize(("expression", "field", "table", "problem"), [
    ("round(total * 0.06, 2)", "tax", None, ""),
    ("   ", "tax", None, ""),
    ("total * 1.1 +", "tax", None, "invalid syntax"),
    ("totl * 2", "tax", None, 'unknown field "totl"'),
    ("tax + 1", "tax", None, 'a computed field can\'t use itself ("tax")'),
    ("sum(items.memo)", "tax", None, 'sum() needs a number or money column; "items.memo" is text'),
    ("items.amount * 2", "tax", None, 'the column "items.amount" can only be used inside sum(), min(), max() or count()'),
    ("open('x')", "tax", None, 'the function "open" is not allowed'),
    ("price * qty", "amount", "items", ""),
    ("price * total", "amount", "items", 'unknown field "total"'),
    ("tax * 2", None, None, ""),
    ("nobody * 2", None, None, 'unknown field "nobody"'),
    ("price * 2", None, "items", ""),
])
def test_check_expression_says_what_saving_would_say(expression: str, field: str | None, table: str | None,
                                                     problem: str) -> None:
    found = check_expression(expression, FORM, field, table)
    assert (problem in found) if problem else found == "", found


def test_check_expression_names_a_loop_and_leaves_the_draft_alone() -> None:
    before = repr(FORM)
    assert "in a loop" in check_expression("tax + 1", FORM, "total")
    assert repr(FORM) == before


class _Chips(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chips: list[dict[str, str]] = []
        self.controls: dict[str, dict[str, str]] = {}
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script":
            self.scripts += 1
        if "id" in a:
            self.controls[a["id"]] = {"tag": tag, **a}
        if tag == "button" and "expr-chip" in a.get("class", ""):
            self.chips.append(a)


def test_the_macro_renders_the_box_its_problem_and_the_chips() -> None:
    env = make_templates(strict=True).env
    template = env.from_string('{% from "designer/_expression_helper.html" import expression_helper %}'
                               '{{ expression_helper("f-computed", value, problem, help, "/designer/forms/claim/field",'
                               ' "#panel", "#panel") }}')
    page = _Chips()
    page.feed(template.render(value="totl * 2", problem=check_expression("totl * 2", FORM, "tax"),
                              help=expression_help(FORM, "en", field="tax")))
    box = page.controls["f-computed"]
    assert box["tag"] == "textarea" and box["aria-invalid"] == "true" and box["hx-post"] == "/designer/forms/claim/field"
    assert box["aria-describedby"].split() == ["f-computed-problem", "f-computed-hint"]
    assert page.controls["f-computed-problem"]["role"] == "alert"
    inserted = {(c["data-before"], c["data-after"]) for c in page.chips}
    assert {("total", ""), ("items.amount", ""), ("sum(", ")"), ("days_between(", ")")} <= inserted
    assert all(c["data-expr-target"] == "f-computed" and c["type"] == "button" for c in page.chips)
    assert page.scripts == 0
