"""Words that go into messages as params: a field type, a JSON value's kind, a step kind.

They are `Text`, so a sentence such as 'date field "due" cannot be ordered' reads 「日期字段…」 to a
Chinese reader while its English stays as it always was. A word not listed is shown as it is.
"""
from __future__ import annotations

from collections.abc import Iterable

from rules.messages import N_, Text, joined

WORDS: dict[str, Text] = {w.msgid: w for w in (
    # field and column types
    N_("text"), N_("textarea"), N_("number"), N_("money"), N_("percent"), N_("date"), N_("datetime"),
    N_("daterange"), N_("phone"), N_("email"), N_("select"), N_("radio"), N_("multiselect"),
    N_("checkbox"), N_("user"), N_("department"), N_("attachment"), N_("table"), N_("serial"),
    N_("section"), N_("note"), N_("boolean"),
    # the columns of a ruleset
    N_("input"), N_("output"),
    # what a JSON value is
    N_("string"), N_("array"), N_("object"), N_("null"), N_("integer"),
    # step kinds
    N_("approval"), N_("task"), N_("notify"), N_("branch"), N_("parallel"), N_("subflow"),
)}


def word(name: object) -> str:
    """`name` as a translatable word when it is one, else as it is (a key, a type we do not know)."""
    return WORDS.get(name, name) if isinstance(name, str) else str(name)


def words(names: Iterable[object], separator: str = ", ") -> str:
    """Several words joined, each translatable."""
    return joined([word(n) for n in names], separator)
