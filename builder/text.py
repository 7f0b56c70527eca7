"""Admin-typed text that may come in several languages.

A label is either a plain string or a mapping from locale (`en`, `zh_CN`) to string, so one
definition can serve a bilingual company without a translation catalog of its own.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Union

Label = Union[str, Mapping[str, str]]


def localize(label: Label | None, locale: str, fallback: str = "en") -> str:
    """The label's text in `locale`, else the fallback locale's, else any."""
    if label is None:
        return ""
    if isinstance(label, str):
        return label
    for candidate in (locale, locale.split("_")[0], fallback):
        if candidate in label:
            return label[candidate]
    return next(iter(label.values()), "")


SHOWN_LENGTH = 60  # at most this much of a sent value is echoed in a message


def shorten(text: str, limit: int = SHOWN_LENGTH) -> str:
    """`text` cut to `limit` characters with an ellipsis: a message never echoes a whole value
    (a 1 MB option sent back twice in an error is a denial of service, not a message)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
