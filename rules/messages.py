"""Messages for people, made at the bottom of the import graph so every layer can raise them.

A `Text` (made with `N_(msgid, **params)`) is a `str` that is the English sentence, so the API,
logs, stored events and tests never see anything else, carrying its catalog msgid and params so a
page can show it in the reader's language. The catalogs and the reader's locale belong to the
runtime: it installs its translator here (`translate_with`); without one (rules or builder used on
their own, a script, a test of this layer) every message reads in English.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self


def _english(msgid: str) -> str:
    return msgid


_translate: Callable[[str], str] = _english


def translate_with(translate: Callable[[str], str]) -> None:
    """Use `translate` (msgid → the current reader's msgstr) for every `Text.localized`."""
    global _translate
    _translate = translate


class Text(str):
    """A message for people: the English sentence, which it *is* (`str(text)`, the JSON API,
    logs and stored events see only that), carrying the catalog `msgid` it was made from and the
    values of its %(name)s `params`, so a page can show it in the reader's language
    (`localized`). A param may be a Text itself (a word or phrase that is translated too);
    any other param (a username, a step id, a date) is shown as it is.

    Make one with `N_`, which also marks the msgid for `pybabel extract -k N_`."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Self:
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid, text.params = msgid, params
        return text

    def fill(self, **params: Any) -> Text:
        """This message (a template: a msgid with its %(name)s still open) with its params."""
        return Text(self.msgid, **params)

    def localized(self) -> str:
        """The message in the current reader's language (English when the catalog has none)."""
        translated = _translate(self.msgid)
        if not self.params:
            return translated
        values = {k: v.localized() if isinstance(v, Text) else v for k, v in self.params.items()}
        try:
            return translated % values
        except (KeyError, TypeError, ValueError):  # a translation that does not fit its params
            return self.msgid % values


def N_(msgid: str, /, **params: Any) -> Text:
    """Marks `msgid` for the catalogs and makes the message: English where it goes (errors,
    events, logs), translated where a page shows it (`localized`)."""
    return Text(msgid, **params)


def reason(exc: BaseException) -> str:
    """What `exc` says, keeping its `Text` (so the reader's language survives being caught and
    re-raised, or put in a Problem): `str(exc)` would give only the English."""
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)


def joined(messages: list[str] | tuple[str, ...], separator: str = "; ") -> str:
    """Several messages as one, each still translatable: a `Text` whose params are the parts."""
    if len(messages) == 1:
        return messages[0]
    names = [f"m{i}" for i in range(len(messages))]
    return Text(separator.join(f"%({n})s" for n in names), **dict(zip(names, messages)))
