"""The store's fast JSON (orjson) stores and refuses exactly what the standard library did."""
from __future__ import annotations

import json
import math
from typing import Any

import pytest

from runtime.store.jsondata import copied, dumps, normalised


def _standard(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))


@pytest.mark.parametrize("value", [
    {"label": {"zh_CN": "报销", "en": "Claim"}, "n": 3, "x": 0.1, "neg": -0.0, "ok": True, "none": None},
    {"t": (1, 2, [3, (4,)])},          # tuples become lists
    {1: "one", 2.5: "x", True: "y"},   # non-string keys become strings, as json makes them
    {"big": 2 ** 80, "small": -(2 ** 70)},  # beyond orjson's 64 bits
    ["text with null in it", "nullable"],
    [1e16, 1.5e-7, 12345678901234567890.0],
])
def test_normalised_is_what_json_reads_back(value: Any) -> None:
    assert normalised(value) == _standard(value)
    assert json.loads(dumps(value)) == _standard(value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, {"deep": [1.0, {"x": math.nan}]}])
def test_nan_and_infinity_are_refused_as_before(bad: Any) -> None:
    with pytest.raises(ValueError):
        normalised(bad)
    with pytest.raises(ValueError):
        dumps(bad)


def test_what_is_not_json_is_refused_as_before() -> None:
    class Thing:
        pass

    for bad in ({"x": Thing()}, {"s": {1, 2}}, {("a", "b"): 1}):
        with pytest.raises(TypeError):
            normalised(bad)


def test_subclasses_of_str_and_int_are_stored_as_json_stores_them() -> None:
    class Name(str):
        pass

    class Count(int):
        pass

    assert normalised({"who": Name("ann"), "n": Count(2)}) == {"who": "ann", "n": 2}
    assert type(normalised({"who": Name("ann")})["who"]) is str


def test_a_lone_surrogate_goes_through_the_standard_library() -> None:
    value = {"odd": "a\ud800b"}
    assert normalised(value) == _standard(value)
    with pytest.raises(UnicodeEncodeError):  # the file cannot hold it, as before
        dumps(value)


def test_copies_share_nothing_and_equal_the_original() -> None:
    stored = normalised({"fields": [{"key": "a", "options": [{"value": "x"}]}], "big": 2 ** 80, "s": "\ud800"})
    copy = copied(stored)
    assert copy == stored
    copy["fields"][0]["options"][0]["value"] = "changed"
    assert stored["fields"][0]["options"][0]["value"] == "x"
