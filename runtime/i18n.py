"""UI translations: gettext catalogs (zh_CN, en) compiled in memory at start-up.

The .po files are the only source (no compiled .mo in the repository). The current request's
locale lives in a context variable so the shared Jinja2 environment and Python code both translate
with the right catalog without passing it around.

Messages every layer raises or records are `Text` (made with `N_(msgid, **params)`,
`rules.messages`, re-exported here): a `str` that is the English sentence, so the API, logs and
events never change, carrying its msgid and params so a page can show it in the reader's language
(`localized`). This module installs the catalogs as their translator. `Reader` reads recorded English back
into its message (see `runtime.notes`).
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, Self

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from builder.text import Label, localize
from rules.messages import N_, Text, translate_with

__all__ = ["CATALOG_DIR", "DEFAULT_LOCALE", "LOCALES", "LOCALE_NAMES", "N_", "Names", "Reader", "Text",
           "current_locale", "gettext", "localized", "localized_errors", "localized_problem", "negotiate", "ngettext", "translations"]

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
CATALOG_DIR = Path(__file__).parent / "locales"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> Translations:
    path = CATALOG_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(message: str) -> str:
    return translations(current_locale.get()).ugettext(message)


def _catalog(message: str) -> str:
    """`Text.localized`'s translator (looked up at each call, so a test may replace `gettext`)."""
    return gettext(message)


translate_with(_catalog)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ungettext(singular, plural, n)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The locale from the user's choice (cookie), else the browser's, else the default."""
    if cookie in LOCALES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_").lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


class Names(Text):
    """Names an admin typed, in as many languages as they gave (departments, roles, fields), as
    a param of a message: English in the sentence like any other, listed with commas, and each
    name in the reader's language on a page."""

    labels: tuple[Label, ...]

    def __new__(cls, *labels: Label) -> Self:
        text = super().__new__(cls, ", ".join(localize(label, "en") for label in labels))
        text.labels = labels
        return text

    def localized(self) -> str:
        return ", ".join(localize(label, current_locale.get()) for label in self.labels)


def localized(message: Any) -> str:
    """A message as the current reader reads it: a `Text` translated with its params; a plain
    string through the catalog (messages marked elsewhere, e.g. builder.formdata's), else as is."""
    if isinstance(message, Text):
        return message.localized()
    return gettext(message) if isinstance(message, str) and message else str(message or "")


def localized_problem(problem: Any) -> str:
    """A `Problem` as `str(problem)` reads it ("path: message"), the message in the reader's language."""
    message = localized(problem.message)
    return f"{problem.path}: {message}" if problem.path else message


def localized_errors(errors: dict[str, Any]) -> dict[str, str]:
    """`ValidationFailed.errors` (field path → message) as the current reader reads them."""
    return {path: localized(message) for path, message in errors.items()}


class Reader:
    """Reads English sentences back into the `Text` that made them, by matching them against a
    fixed set of messages (templates: msgids with their %(name)s open). A param's value is read
    back too, so a message inside another one is translated with it. A sentence that matches
    none comes back as it is. Longer fixed wording is tried first, so a message that is a
    special case of another (fewer params, more words) wins."""

    def __init__(self, templates: Iterable[str]) -> None:
        def literal(msgid: str) -> int:
            return len(_PARAM.sub("", msgid))
        self._patterns = [(msgid, re.compile(_pattern(msgid), re.DOTALL))
                          for msgid in sorted(dict.fromkeys(templates), key=literal, reverse=True)]

    def read(self, sentence: str, _depth: int = 0) -> str:
        if not sentence or _depth > 5:
            return sentence
        for msgid, pattern in self._patterns:
            if (match := pattern.fullmatch(sentence)) is not None:
                params = {k: self.read(v, _depth + 1) for k, v in match.groupdict().items()}
                return Text(msgid, **params)
        return sentence


_PARAM = re.compile(r"%\((\w+)\)s")


def _pattern(msgid: str) -> str:
    """The regular expression a sentence made from `msgid` matches, a named group per param."""
    parts, seen, at = [], set(), 0
    for match in _PARAM.finditer(msgid):
        parts.append(re.escape(msgid[at:match.start()].replace("%%", "%")))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        at = match.end()
    parts.append(re.escape(msgid[at:].replace("%%", "%")))
    return "".join(parts)
