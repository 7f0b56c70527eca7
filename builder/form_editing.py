"""The form designer's edits as pure operations: a form document in, a new document out.

Every operation copies the document it is given and never touches the original, so the runtime
can save the result as the draft (or throw it away when validation refuses it) and undo is just
the previous document. A field is addressed by its *target*: `amount` for a field, `items.amount`
for a column of the table `items`; columns are edited with the same operations as fields.

Bad input raises `DefinitionError` with a Problem at the JSON path the change concerns
(`fields[3].min`, `fields[1].columns[0].key`), so the designer shows it on that field and
property. Whether the whole document is valid is `builder.validation`'s business, run when the
draft is saved.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from builder import json_text, paths
from builder.fieldtypes import without_grouping
from builder.forms import CHOICE_TYPES, COLUMN_TYPES, FIELD_TYPES, NUMERIC_TYPES
from builder.text import Label
from rules.errors import DefinitionError, Problem
from rules.messages import N_
from rules.words import word

Doc = dict[str, Any]

# The label a new field starts with, per type (the designer renames it at once, as in DingTalk).
DEFAULT_LABELS: dict[str, dict[str, str]] = {
    "text": {"zh_CN": "单行文本", "en": "Text"},
    "textarea": {"zh_CN": "多行文本", "en": "Long text"},
    "number": {"zh_CN": "数字", "en": "Number"},
    "money": {"zh_CN": "金额", "en": "Amount"},
    "percent": {"zh_CN": "百分比", "en": "Percentage"},
    "date": {"zh_CN": "日期", "en": "Date"},
    "datetime": {"zh_CN": "日期时间", "en": "Date and time"},
    "daterange": {"zh_CN": "日期区间", "en": "Date range"},
    "select": {"zh_CN": "下拉选择", "en": "Choice"},
    "radio": {"zh_CN": "单选", "en": "Single choice"},
    "multiselect": {"zh_CN": "多选", "en": "Multiple choice"},
    "checkbox": {"zh_CN": "勾选确认", "en": "Confirmation"},
    "user": {"zh_CN": "人员", "en": "Person"},
    "department": {"zh_CN": "部门", "en": "Department"},
    "attachment": {"zh_CN": "附件", "en": "Attachments"},
    "table": {"zh_CN": "明细", "en": "Line items"},
    "serial": {"zh_CN": "编号", "en": "Serial number"},
    "section": {"zh_CN": "分组标题", "en": "Section"},
    "note": {"zh_CN": "说明文字", "en": "Explanation"},
    "phone": {"zh_CN": "电话", "en": "Phone"},
    "email": {"zh_CN": "邮箱", "en": "Email"},
}
assert set(DEFAULT_LABELS) == set(FIELD_TYPES)

LANGUAGES = ("zh_CN", "en")
LABEL_PROPERTIES = ("label", "help", "placeholder")
BOOL_PROPERTIES = ("required", "multiple", "working_days")
NUMBER_PROPERTIES = ("min", "max")
COUNT_PROPERTIES = ("min_length", "max_length", "min_rows", "max_rows", "max_files")
TEXT_PROPERTIES = ("pattern", "computed")
CONDITION_PROPERTIES = ("visible_when", "required_when")
FORM_LABELS = ("title", "description")
DEFAULT_PATTERN = "NO-{yyyy}-{seq:6}"
MAX_KEY_LENGTH = 40
MEGABYTE = 1024 * 1024


# ---------------------------------------------------------------- keys


def key_from_label(label: Label | None, taken: Iterable[str]) -> str:
    """A field key made from its label, unique against `taken`: 报销事由 → bao_xiao_shi_you,
    "Travel date" → travel_date (an English label wins over a Chinese one)."""
    texts = [label] if isinstance(label, str) else [(label or {}).get("en", ""), *(label or {}).values()]
    base = next((slug for slug in map(_slug_of, texts) if slug), "field")
    return unique_key(base, taken)


def unique_key(base: str, taken: Iterable[str]) -> str:
    """`base`, or `base_2`, `base_3`… whichever is not taken."""
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base[:MAX_KEY_LENGTH - 4]}_{n}" in used:
        n += 1
    return f"{base[:MAX_KEY_LENGTH - 4]}_{n}"


def _slug_of(text: str) -> str:
    from pypinyin import lazy_pinyin  # imported late: most callers never make a key

    words = " ".join(lazy_pinyin(text or "", errors=lambda chars: chars))
    ascii_only = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_only.lower()).strip("_")[:MAX_KEY_LENGTH].strip("_")
    if slug and not slug[0].isalpha():
        slug = f"f_{slug}"[:MAX_KEY_LENGTH]
    return slug


KEY_RE = re.compile(r"[a-z][a-z0-9_]*\Z")


# ---------------------------------------------------------------- addressing


def _fields(doc: Doc) -> list[Doc]:
    return doc.setdefault("fields", [])


def locate(doc: Doc, target: str) -> tuple[list[Doc], int, str]:
    """The list holding the target, its index there and its JSON path (`fields[2].columns[0]`);
    DefinitionError at `fields` when there is no such field or column."""
    table_key, _, column_key = target.partition(".")
    fields = _fields(doc)
    i = _index_of(fields, table_key)
    if i is None:
        raise DefinitionError([Problem("fields", N_('there is no field "%(target)s"', target=target))])
    if not column_key:
        return fields, i, paths.index("fields", i)
    columns = fields[i].get("columns")
    j = _index_of(columns if isinstance(columns, list) else [], column_key)
    if fields[i].get("type") != "table" or j is None:
        raise DefinitionError([Problem(paths.index("fields", i), N_('there is no column "%(target)s"',
                                                                    target=target))])
    return columns, j, paths.index(paths.key(paths.index("fields", i), "columns"), j)


def _index_of(items: list[Any], key: str) -> int | None:
    return next((i for i, f in enumerate(items) if isinstance(f, dict) and f.get("key") == key), None)


def field_at(doc: Doc, target: str) -> Doc:
    items, i, _ = locate(doc, target)
    return items[i]


def path_of(doc: Doc, target: str) -> str:
    return locate(doc, target)[2]


def targets(doc: Doc) -> list[str]:
    """Every field and column of the form, in order: `category`, `items`, `items.amount`, …"""
    found = []
    for f in doc.get("fields", []):
        found.append(f["key"])
        found += [f"{f['key']}.{c['key']}" for c in f.get("columns", []) if f.get("type") == "table"]
    return found


def target_of_path(doc: Doc, path: str) -> tuple[str, str]:
    """A problem's JSON path as (target, the rest): `fields[1].columns[0].key` → (`items.description`,
    `key`); ("", path) when it points at no field (the title, the form's validations)."""
    match = re.match(r"fields\[(\d+)\](?:\.columns\[(\d+)\])?\.?(.*)\Z", path)
    fields = doc.get("fields", [])
    if not match or int(match[1]) >= len(fields) or not isinstance(fields[int(match[1])], dict):
        return "", path
    f = fields[int(match[1])]
    if match[2] is not None:
        columns = f.get("columns", [])
        if int(match[2]) < len(columns) and isinstance(columns[int(match[2])], dict):
            return f"{f.get('key')}.{columns[int(match[2])].get('key')}", match[3]
        return str(f.get("key")), path[len(f"fields[{match[1]}]."):]
    return str(f.get("key")), match[3]


# ---------------------------------------------------------------- fields


def new_field(kind: str, taken: Iterable[str]) -> Doc:
    """A field of type `kind` with its default label, a unique key and what the type needs to be
    valid at once (two options, a column, a serial pattern)."""
    if kind not in FIELD_TYPES:
        raise DefinitionError([Problem("type", N_('unknown field type "%(kind)s"', kind=word(kind)))])
    label = dict(DEFAULT_LABELS[kind])
    doc: Doc = {"key": key_from_label(label, taken), "type": kind, "label": label}
    if kind in CHOICE_TYPES:
        doc["options"] = [_new_option(n, set()) for n in (1, 2)]
    elif kind == "table":
        doc["columns"] = [new_field("text", ())]
        doc["min_rows"] = 1
    elif kind == "serial":
        doc["pattern"] = DEFAULT_PATTERN
    return doc


def insert_field(doc: Doc, kind: str, index: int | None = None) -> tuple[Doc, str]:
    """A new field of `kind` at `index` (the end when None); the new document and the field's key."""
    out = copy.deepcopy(doc)
    fields = _fields(out)
    field = new_field(kind, (f.get("key") for f in fields))
    fields.insert(_clamp(index, len(fields)), field)
    return out, field["key"]


def insert_column(doc: Doc, table: str, kind: str, index: int | None = None) -> tuple[Doc, str]:
    """A new column of `kind` in the table `table`; the document and the column's target."""
    out = copy.deepcopy(doc)
    items, i, where = locate(out, table)
    if "." in table or items[i].get("type") != "table":
        raise DefinitionError([Problem(where, N_("only a table has columns"))])
    if kind not in COLUMN_TYPES:
        raise DefinitionError([Problem(paths.key(where, "columns"),
                                       N_('a table column must be one of %(column_types)s, not "%(kind)s"',
                                          column_types=", ".join(COLUMN_TYPES), kind=word(kind)))])
    columns = items[i].setdefault("columns", [])
    column = new_field(kind, (c.get("key") for c in columns))
    columns.insert(_clamp(index, len(columns)), column)
    return out, f"{table}.{column['key']}"


def _clamp(index: int | None, size: int) -> int:
    return size if index is None else max(0, min(index, size))


def move_field(doc: Doc, target: str, to: int) -> Doc:
    """The field (or column) moved to position `to` among its siblings."""
    out = copy.deepcopy(doc)
    items, i, _ = locate(out, target)
    item = items.pop(i)
    items.insert(_clamp(to, len(items)), item)
    return out


def move_by(doc: Doc, target: str, offset: int) -> Doc:
    """Up (-1) or down (+1) one place; at the edge it stays where it is."""
    _, i, _ = locate(doc, target)
    return move_field(doc, target, max(0, i + offset))


def delete_field(doc: Doc, target: str) -> Doc:
    out = copy.deepcopy(doc)
    items, i, _ = locate(out, target)
    items.pop(i)
    return out


def duplicate_field(doc: Doc, target: str) -> tuple[Doc, str]:
    """A copy right after the original, with a fresh key and "(copy)" in its label."""
    out = copy.deepcopy(doc)
    items, i, _ = locate(out, target)
    twin = copy.deepcopy(items[i])
    twin["key"] = unique_key(str(twin.get("key", "field")), (f.get("key") for f in items))
    twin["label"] = copy_label(twin.get("label", ""))
    items.insert(i + 1, twin)
    table, _, _ = target.partition(".")
    return out, f"{table}.{twin['key']}" if "." in target else twin["key"]


def copy_label(label: Label) -> Label:
    """A label with "(copy)" (or "（副本）") after it, in each of its languages."""
    suffix = {"zh_CN": "（副本）", "en": " (copy)"}
    if isinstance(label, str):
        return f"{label}{suffix['en']}" if label.isascii() else f"{label}{suffix['zh_CN']}"
    return {lang: f"{text}{suffix.get(lang, ' (copy)')}" for lang, text in label.items()}


# ---------------------------------------------------------------- properties


def set_property(doc: Doc, target: str, name: str, text: str, *,
                 published_keys: Iterable[str] = ()) -> Doc:
    """Set one property from what the designer typed: `label.zh_CN`, `required`, `min`,
    `max_size` (in MB), `accept` ("pdf, jpg"), `default`, `visible_when` (JSON), `key` (renamed
    everywhere the form names it; refused once published). An empty text removes the property."""
    out = copy.deepcopy(doc)
    items, i, where = locate(out, target)
    field = items[i]
    base, _, lang = name.partition(".")
    at = paths.key(where, base)
    if base == "key":
        return _rename(out, target, text.strip(), at, frozenset(published_keys))
    if base in LABEL_PROPERTIES:
        set_label(field, base, lang, text, at)
    elif base in BOOL_PROPERTIES and not lang:
        _put(field, base, _bool(text) or None)
    elif base in NUMBER_PROPERTIES and not lang:
        _put(field, base, _number(text, at))
    elif base in COUNT_PROPERTIES and not lang:
        _put(field, base, _count(text, at))
    elif base == "max_size" and not lang:
        megabytes = _number(text, at)
        if megabytes is not None and megabytes <= 0:
            raise DefinitionError([Problem(at, N_("must be more than 0 MB"))])
        _put(field, base, None if megabytes is None else int(megabytes * MEGABYTE))
    elif base == "accept" and not lang:
        _put(field, base, [e for e in (p.strip().lstrip(".").lower() for p in re.split(r"[,\s;，、；]+", text)) if e]
             or None)
    elif base in TEXT_PROPERTIES and not lang:
        _put(field, base, text.strip() or None)
    elif base in CONDITION_PROPERTIES and not lang:
        _put(field, base, _json_object(text, at))
    elif base == "default" and not lang:
        _put(field, base, _default(field, text, at))
    else:
        raise DefinitionError([Problem(at, N_('"%(name)s" cannot be set here', name=name))])
    return out


def follow_label(before: Doc, after: Doc, target: str, published_keys: Iterable[str] = ()) -> tuple[Doc, str]:
    """After a label change (`before` → `after`), a key that is still the one made from the old
    label follows the new one, everywhere the form names it, until the field is first published
    or someone types a key of their own; the new document and the field's target."""
    if target in frozenset(published_keys):
        return after, target
    items, i, _ = locate(before, target)  # read only: `before` is not changed
    key, old_label = items[i].get("key", ""), items[i].get("label")
    siblings = [f.get("key", "") for j, f in enumerate(items) if j != i]
    if key != key_from_label(old_label, siblings):
        return after, target  # a key of the designer's own: it stays
    new_key = key_from_label(field_at(after, target).get("label"), siblings)
    if new_key == key:
        return after, target
    table, _, column = target.partition(".")
    renamed = set_property(after, target, "key", new_key, published_keys=published_keys)
    return renamed, f"{table}.{new_key}" if column else new_key


def set_form_property(doc: Doc, name: str, text: str) -> Doc:
    """The form's own title and description (per language) and its cross-field validations (JSON)."""
    out = copy.deepcopy(doc)
    base, _, lang = name.partition(".")
    if base in FORM_LABELS:
        set_label(out, base, lang, text, base)
    elif base == "validations" and not lang:
        value = _json(text, base)
        if value is not None and not isinstance(value, list):
            raise DefinitionError([Problem(base, N_("must be a list of checks"))])
        _put(out, base, value or None)
    else:
        raise DefinitionError([Problem(base, N_('"%(name)s" cannot be set here', name=name))])
    return out


def _put(doc: Doc, name: str, value: Any) -> None:
    if value is None:
        doc.pop(name, None)
    else:
        doc[name] = value


def set_label(doc: Doc, name: str, lang: str, text: str, at: str) -> None:
    """One language of the label `doc[name]` set in place (removed when `text` is blank); a plain
    string label becomes a per-language one. DefinitionError at `at` for an unknown language."""
    if lang not in LANGUAGES:
        raise DefinitionError([Problem(at, N_('say which language: "%(name)s.zh_CN" or "%(name)s.en"',
                                              name=name))])
    current = doc.get(name, "")
    label = dict(current) if isinstance(current, dict) else (
        {("en" if current.isascii() else "zh_CN"): current} if current else {})
    if text.strip():
        label[lang] = text.strip()
    else:
        label.pop(lang, None)
    _put(doc, name, label or None)


def _bool(text: str) -> bool:
    return text.strip().lower() in ("on", "true", "1", "yes")


def _number(text: str, at: str) -> int | float | None:
    if not text.strip():
        return None
    try:
        cleaned = without_grouping(text.strip().replace("，", ","), "")  # "1,2,3" is no number
        value = float(cleaned)
    except ValueError:
        raise DefinitionError([Problem(at, N_('must be a number, got "%(strip)s"',
                                              strip=text.strip()))]) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise DefinitionError([Problem(at, N_('must be a number, got "%(strip)s"', strip=text.strip()))])
    return int(value) if value.is_integer() and "." not in cleaned and "e" not in cleaned.lower() else value


def _count(text: str, at: str) -> int | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise DefinitionError([Problem(at, N_('must be a whole number, 0 or more, got "%(cleaned)s"',
                                              cleaned=cleaned))])
    return int(cleaned)


def _json(text: str, at: str) -> Any:
    if not text.strip():
        return None
    try:
        return json_text.loads(text)
    except ValueError as exc:
        raise DefinitionError([Problem(at, N_("is not valid JSON: %(msg)s (line %(lineno)s, column %(colno)s)",
                                              msg=exc.msg, lineno=exc.lineno, colno=exc.colno))]) from None


def _json_object(text: str, at: str) -> dict[str, Any] | None:
    value = _json(text, at)
    if value is not None and not isinstance(value, dict):
        raise DefinitionError([Problem(at, N_("must be a condition (a JSON object)"))])
    return value or None


def _default(field: Doc, text: str, at: str) -> Any:
    kind = field.get("type")
    if not text.strip():
        return None
    if kind in NUMERIC_TYPES:
        return _number(text, at)
    if kind == "checkbox":
        return _bool(text)
    if kind == "multiselect" or (kind in ("user", "department") and field.get("multiple")):
        return [p.strip() for p in re.split(r"[,，]", text) if p.strip()]
    if kind == "daterange":
        start, _, end = text.partition("/")
        return {"start": start.strip(), "end": end.strip()}
    return text.strip()


# ---------------------------------------------------------------- renaming


def _rename(doc: Doc, target: str, new: str, at: str, published: frozenset[str]) -> Doc:
    table, _, column = target.partition(".")
    if target in published:
        raise DefinitionError([Problem(at, N_("a published field keeps its key: requests, rules and flows "
                                              "already refer to it"))])
    if not KEY_RE.match(new) or len(new) > MAX_KEY_LENGTH:
        raise DefinitionError([Problem(at, N_("must start with a letter and hold only a-z, 0-9 and _ (at most "
                                              '%(max_key_length)s), got "%(new)s"',
                                              max_key_length=MAX_KEY_LENGTH, new=new))])
    old = column or table
    if new == old:
        return doc
    items, i, _ = locate(doc, target)
    if _index_of(items, new) is not None:
        raise DefinitionError([Problem(at, N_('another field already has the key "%(new)s"', new=new))])
    items[i]["key"] = new
    if column:
        _rename_references(items, old, new)  # a column's siblings' expressions name it bare
        renamed = {f"{table}.{old}": f"{table}.{new}"}
    else:
        renamed = {old: new}
    for prefix_old, prefix_new in renamed.items():
        _rename_references(_fields(doc), prefix_old, prefix_new)
        for check in doc.get("validations", []) if isinstance(doc.get("validations"), list) else ():
            if isinstance(check, dict):
                check["when"] = _rename_in_condition(check.get("when"), prefix_old, prefix_new)
                if isinstance(check.get("fields"), list):
                    check["fields"] = [prefix_new if k == prefix_old else k for k in check["fields"]]
    return doc


def _rename_references(fields: list[Doc], old: str, new: str) -> None:
    for f in fields:
        if not isinstance(f, dict):
            continue
        for name in CONDITION_PROPERTIES:
            if f.get(name) is not None:
                f[name] = _rename_in_condition(f[name], old, new)
        if isinstance(f.get("computed"), str):
            f["computed"] = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w])", new, f["computed"])
        if isinstance(f.get("columns"), list):
            _rename_references(f["columns"], old, new)


def _rename_in_condition(cond: Any, old: str, new: str) -> Any:
    def name(value: Any) -> Any:
        if isinstance(value, str) and (value == old or value.startswith(old + ".")):
            return new + value[len(old):]
        return value

    if isinstance(cond, list):
        return [_rename_in_condition(c, old, new) for c in cond]
    if not isinstance(cond, dict):
        return cond
    if set(cond) == {"$m"}:
        return {"$m": name(cond["$m"])}
    return {name(k): _rename_in_condition(v, old, new) for k, v in cond.items()}


# ---------------------------------------------------------------- options


def _options_of(doc: Doc, target: str) -> tuple[list[Doc], str]:
    items, i, where = locate(doc, target)
    if items[i].get("type") not in CHOICE_TYPES:
        raise DefinitionError([Problem(paths.key(where, "options"), N_("only a choice field has options"))])
    return items[i].setdefault("options", []), paths.key(where, "options")


def _new_option(n: int, taken: set[str]) -> Doc:
    value = unique_key(f"option_{n}", taken)
    return {"value": value, "label": {"zh_CN": f"选项{n}", "en": f"Option {n}"}}


def _option_edit(edit: Callable[[list[Doc], str], None]) -> Callable[[Doc, str], Doc]:
    def apply(doc: Doc, target: str) -> Doc:
        out = copy.deepcopy(doc)
        options, where = _options_of(out, target)
        edit(options, where)
        return out
    return apply


def add_option(doc: Doc, target: str) -> Doc:
    """One more option at the end, "Option N" with a fresh value."""
    return _option_edit(lambda options, _: options.append(
        _new_option(len(options) + 1, {str(o.get("value")) for o in options})))(doc, target)


def _option_index(options: list[Doc], index: int, where: str) -> int:
    if not 0 <= index < len(options):
        raise DefinitionError([Problem(where, N_("there is no option %(index)s", index=index + 1))])
    return index


def remove_option(doc: Doc, target: str, index: int) -> Doc:
    return _option_edit(lambda options, where: options.pop(_option_index(options, index, where)))(doc, target)


def move_option(doc: Doc, target: str, index: int, to: int) -> Doc:
    def edit(options: list[Doc], where: str) -> None:
        option = options.pop(_option_index(options, index, where))
        options.insert(_clamp(to, len(options)), option)
    return _option_edit(edit)(doc, target)


def set_option(doc: Doc, target: str, index: int, part: str, text: str) -> Doc:
    """An option's `value` or its `label.zh_CN` / `label.en`."""
    def edit(options: list[Doc], where: str) -> None:
        option = options[_option_index(options, index, where)]
        at = paths.index(where, index)
        if part == "value":
            option["value"] = text.strip()
        elif part.startswith("label."):
            set_label(option, "label", part[len("label."):], text, paths.key(at, "label"))
        else:
            raise DefinitionError([Problem(at, N_('"%(part)s" cannot be set on an option', part=part))])
    return _option_edit(edit)(doc, target)
