"""Searching the organisation as a person types into a user or department picker.

Pure over an `Organisation`: a query matches a username or department key, or a name in any of
its languages (張/zhang, 财务/Finance), case-insensitively; choices are labelled in the reader's
language. Prefix matches come first, then matches anywhere, each group in name order.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from builder.text import Label, localize
from runtime.org import Organisation
from runtime.i18n import N_

KINDS = ("user", "department")
MAX_CHOICES = 10
MAX_QUERY = 100


def search(org: Organisation, kind: str, query: str, locale: str,
           limit: int = MAX_CHOICES) -> list[dict[str, str]]:
    """Up to `limit` choices `{"value", "label"}` of `kind` ("user" or "department") matching
    `query`; every one (up to `limit`) for an empty query. ValueError for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(N_("kind must be one of %(kinds)s", kinds=", ".join(KINDS)))
    needle = " ".join(query.split()).casefold()[:MAX_QUERY]
    entries: Iterable[tuple[str, Label, str]]
    if kind == "user":
        entries = ((u.username, u.name, localize(org.departments[u.department].name, locale)
                    if u.department in org.departments else "") for u in org.users.values())
    else:
        entries = ((d.key, d.name, "") for d in org.departments.values())
    ranked: list[tuple[int, str, dict[str, str]]] = []
    for value, name, context in entries:
        rank = _rank(needle, [value, *_names(name)])
        if rank is not None:
            label = localize(name, locale) or value
            ranked.append((rank, label, {"value": value, "label": label, "detail": context}))
    ranked.sort(key=lambda item: (item[0], item[1], item[2]["value"]))
    return [choice for _, _, choice in ranked[:limit]]


def _names(name: Label) -> list[str]:
    return [name] if isinstance(name, str) else list(name.values())


def _rank(needle: str, haystack: list[Any]) -> int | None:
    if not needle:
        return 0
    texts = [str(t).casefold() for t in haystack]
    if any(t.startswith(needle) for t in texts):
        return 0
    if any(needle in t for t in texts):
        return 1
    return None
