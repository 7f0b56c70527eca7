"""A form's changes in words, in the reader's language (the versions list and the publish dialog)."""
from __future__ import annotations


import pytest

from builder.form_diff import CHANGE_KINDS, Change
from runtime.form_changes import change_words
from tests.support import reading_in

AMOUNT = {"en": "Amount", "zh_CN": "金额"}
SAMPLES = {
    "created": Change("created", label={"en": "Leave", "zh_CN": "请假"}),
    "title": Change("title", before="Claims", after={"en": "Expense claims", "zh_CN": "报销"}),
    "description": Change("description", before="", after="Why"),
    "added": Change("added", "trip", "Trip", after="text"),
    "removed": Change("removed", "reason", "Reason", before="textarea"),
    "moved": Change("moved", "reason", "Reason", before=4, after=1),
    "retyped": Change("retyped", "amount", AMOUNT, before="number", after="money"),
    "relabelled": Change("relabelled", "amount", AMOUNT, "en", "Sum", "Amount"),
    "required": Change("required", "amount", AMOUNT, before=False, after=True),
    "option_added": Change("option_added", "category", "Category", "training", after="Training"),
    "option_removed": Change("option_removed", "category", "Category", "meals", before="Meals"),
    "option_relabelled": Change("option_relabelled", "category", "Category", "travel", "Travel", "Trips"),
    "options_reordered": Change("options_reordered", "category", "Category", before=["a", "b"], after=["b", "a"]),
    "rule": Change("rule", "reason", "Reason", "visible_when", None, {"$eq": {"category": "travel"}}),
    "limit": Change("limit", "items.amount", AMOUNT, "max", 10000000, 20000),
    "text": Change("text", "amount", AMOUNT, "help", "", "In yuan"),
    "validation_added": Change("validation_added", name="Something to claim"),
    "validation_removed": Change("validation_removed", name="x"),
    "validation_changed": Change("validation_changed", name="x"),
}


def test_every_kind_of_change_has_words_in_both_languages():
    assert set(SAMPLES) == set(CHANGE_KINDS)
    changes = list(SAMPLES.values())
    with reading_in("en"):
        english = change_words(changes)
    with reading_in("zh_CN"):
        chinese = change_words(changes)
    for kind, en, zh in zip(SAMPLES, english, chinese):
        assert en != zh and not zh.endswith(f": {kind}"), (kind, en, zh)  # the fallback is untranslated


@pytest.mark.parametrize(("change", "en", "zh"), [
    (SAMPLES["retyped"], 'Field "Amount" (amount): type number → money', "字段“金额”（amount）：类型 number → money"),
    (SAMPLES["option_added"], 'Options of "Category": added "Training"', "“Category”的选项：新增“Training”"),
    (SAMPLES["limit"], 'Field "Amount" (items.amount): maximum 10000000 → 20000',
     "字段“金额”（items.amount）：最大值 10000000 → 20000"),
    (SAMPLES["relabelled"], 'Field "Amount" (amount): label (English) "Sum" → "Amount"',
     "字段“金额”（amount）：名称 (English) “Sum” → “Amount”"),
    (SAMPLES["required"], 'Field "Amount" (amount): now required', "字段“金额”（amount）：改为必填"),
])
def test_the_words_of_a_change(change, en, zh):
    with reading_in("en"):
        assert change_words([change]) == [en]
    with reading_in("zh_CN"):
        assert change_words([change]) == [zh]


def test_labels_are_text_never_markup():
    with reading_in("en"):
        [line] = change_words([Change("added", "x", "<script>alert(1)</script>", after="text")])
    assert "<script>alert(1)</script>" in line  # the words are plain text; templates escape them
