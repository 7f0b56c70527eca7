"""A form's changes (`builder.form_diff.Change`) in words, in the current reader's language:
`Field "Amount" (amount): type number → money`, `Options of "Category": added "Training"`.

The change records keep the structured changes, so the same version reads in Chinese for one
designer and in English for another, and a better wording later rewords the old records too.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from builder.form_diff import ANY_LANGUAGE, Change
from builder.text import localize
from runtime import i18n
from runtime.i18n import gettext

_ = i18n.N_  # marks the msgids below for the catalogs; they are translated when read (gettext)

PROPERTY_NAMES = {
    "min": _("minimum"), "max": _("maximum"), "min_length": _("minimum length"),
    "max_length": _("maximum length"), "min_rows": _("minimum rows"), "max_rows": _("maximum rows"),
    "max_files": _("maximum files"), "max_size": _("maximum file size"), "accept": _("file types"),
    "multiple": _("several allowed"), "pattern": _("number pattern"), "working_days": _("working days only"),
    "help": _("help text"), "placeholder": _("placeholder"), "default": _("default value"),
    "visible_when": _("shown when"), "required_when": _("required when"), "computed": _("computed as")}
LANGUAGE_NAMES = {"en": "English", "zh_CN": "中文"}


def change_words(changes: list[Change]) -> list[str]:
    """Each change as one line a designer reads."""
    return [_words(change) for change in changes]


def _words(c: Change) -> str:
    render = _RENDERERS.get(c.kind)
    return render(c) if render else f"{_field(c)}: {c.kind}"


def _text(label: Any) -> str:
    return localize(label, i18n.current_locale.get()) if label else ""


def _value(value: Any) -> str:
    if value is None or value == "":
        return gettext(_("(none)"))
    if isinstance(value, bool):
        return gettext(_("yes")) if value else gettext(_("no"))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _field(c: Change) -> str:
    name = _text(c.label) or c.field
    return gettext(_('Field "%(label)s" (%(key)s)')) % {"label": name, "key": c.field}


def _of(c: Change) -> str:
    return gettext(_('Options of "%(label)s"')) % {"label": _text(c.label) or c.field}


def _language(name: str) -> str:
    return "" if name == ANY_LANGUAGE else f" ({LANGUAGE_NAMES.get(name, name)})"


def _say(msgid: str, **params: Any) -> str:
    return gettext(msgid) % params


_RENDERERS: dict[str, Callable[[Change], str]] = {
    "created": lambda c: _say(_('New form "%(title)s"'), title=_text(c.label)),
    "title": lambda c: _say(_('Title: "%(before)s" → "%(after)s"'), before=_text(c.before), after=_text(c.after)),
    "description": lambda c: gettext(_("Description changed")),
    "added": lambda c: _say(_("%(field)s: added (%(type)s)"), field=_field(c), type=c.after),
    "removed": lambda c: _say(_("%(field)s: removed"), field=_field(c)),
    "moved": lambda c: _say(_("%(field)s: moved from position %(before)s to %(after)s"),
                            field=_field(c), before=c.before, after=c.after),
    "retyped": lambda c: _say(_("%(field)s: type %(before)s → %(after)s"), field=_field(c), before=c.before,
                              after=c.after),
    "relabelled": lambda c: _say(_('%(field)s: label%(language)s "%(before)s" → "%(after)s"'), field=_field(c),
                                 language=_language(c.name), before=c.before, after=c.after),
    "required": lambda c: _say(_("%(field)s: now required"), field=_field(c)) if c.after
    else _say(_("%(field)s: no longer required"), field=_field(c)),
    "option_added": lambda c: _say(_('%(options)s: added "%(option)s"'), options=_of(c), option=_text(c.after) or c.name),
    "option_removed": lambda c: _say(_('%(options)s: removed "%(option)s"'), options=_of(c),
                                     option=_text(c.before) or c.name),
    "option_relabelled": lambda c: _say(_('%(options)s: "%(before)s" → "%(after)s"'), options=_of(c),
                                        before=_text(c.before) or c.name, after=_text(c.after) or c.name),
    "options_reordered": lambda c: _say(_("%(options)s: reordered"), options=_of(c)),
    "limit": lambda c: _say(_("%(field)s: %(property)s %(before)s → %(after)s"), field=_field(c),
                            property=gettext(PROPERTY_NAMES.get(c.name, c.name)),
                            before=_value(c.before), after=_value(c.after)),
    "text": lambda c: _say(_("%(field)s: %(property)s changed"), field=_field(c),
                           property=gettext(PROPERTY_NAMES.get(c.name, c.name))),
    "rule": lambda c: _say(_("%(field)s: rule %(property)s changed"), field=_field(c),
                           property=gettext(PROPERTY_NAMES.get(c.name, c.name))),
    "validation_added": lambda c: _say(_('Check added: "%(message)s"'), message=c.name),
    "validation_removed": lambda c: _say(_('Check removed: "%(message)s"'), message=c.name),
    "validation_changed": lambda c: _say(_('Check changed: "%(message)s"'), message=c.name),
}
