"""One cleaner per field type: what a person sent, as the value shape `builder.forms` declares.

`CLEANERS` is the readable registry (type → function); each cleaner takes the field, the sent
value (never empty: the caller handles "required") and the organisation's `Directory` (or None,
when only the shape can be checked) and returns the clean value or raises ValueError with a
person-readable message. `check_limits` then applies min/max and lengths, shared by computed
fields. Checkbox and table values are cleaned in `builder.formdata`, which owns absence and rows;
layout types hold no value; serial numbers and computed fields are never read from input.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from builder.attachments import clean_attachments
from builder.forms import Field
from builder.text import shorten
from rules.messages import N_, reason
from rules.words import word

MAX_NUMBER = Decimal("1e15")  # beyond this, amounts are typos (and floats lose cents)
YEARS = (1900, 2200)  # dates and times outside these years are typos
MAX_RANGE_YEARS = 10  # a date range spans less than this many years
DATE_FORMAT = N_("must be a date (YYYY-MM-DD)")
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 5000}  # when the designer sets no max_length
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 controls and DEL, but \t and \n
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides, isolates
CENT = Decimal("0.01")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:00(\.0+)?)?\Z", re.ASCII)
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})\Z", re.ASCII)
_LANDLINE = re.compile(r"(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})\Z", re.ASCII)  # 010, 02x, 0xxx
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)\Z", re.ASCII)
_NAME = re.compile(r"[^\s]{1,100}\Z")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)(?:\.\d*)?\Z", re.ASCII)  # 12,345.6 or 12 345.6
_D = TypeVar("_D", _dt.date, _dt.datetime)


class Directory(Protocol):
    """Who and what the organisation holds: `runtime.org.Organisation` is one."""

    @property
    def users(self) -> Mapping[str, Any]: ...

    @property
    def departments(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Names:
    """A plain `Directory` (tests, the importer): the usernames and department ids that exist."""

    users: Mapping[str, Any] = field(default_factory=dict)
    departments: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, users: tuple[str, ...] = (), departments: tuple[str, ...] = ()) -> Names:
        return cls({u: u for u in users}, {d: d for d in departments})


Cleaner = Callable[[Field, Any, "Directory | None"], Any]


def clean_value(f: Field, value: Any, directory: Directory | None = None) -> Any:
    """`value` as the type `f` declares, within its limits; ValueError if it is not."""
    cleaner = CLEANERS.get(f.type)
    if cleaner is None:
        raise ValueError(N_('cannot take a value of type "%(type)s"', type=f.type))
    return check_limits(f, cleaner(f, value, directory))


# ---------------------------------------------------------------------------------------------
# Numbers


def decimal(value: Any, message: str, *, money: bool = False, percent: bool = False) -> Decimal:
    """A finite Decimal from a JSON number or typed text (thousands commas, a ¥ for money)."""
    if isinstance(value, bool):
        raise ValueError(message)
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if money:
            text = text.lstrip("¥￥").lstrip()
        if percent:
            text = text.removesuffix("%").rstrip()
        text = without_grouping(text, message)
        if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?", text, re.ASCII):
            raise ValueError(message)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(message) from None
    else:
        raise ValueError(message)
    if not number.is_finite():
        raise ValueError(message)
    if abs(number) >= MAX_NUMBER:
        raise ValueError(N_("is too large"))
    return number


def without_grouping(text: str, message: str) -> str:
    """The digits without their thousands separators, which must group by three ("12,345.6",
    "1 200"): "1,2,3" is a slip, not 123, and is refused."""
    if "," not in text and " " not in text:
        return text
    if not _GROUPED.fullmatch(text):
        raise ValueError(message)
    return text.replace(",", "").replace(" ", "")


def plain(number: Decimal) -> int | float:
    """JSON's spelling of a number: an int when whole, else a float."""
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def show(number: float) -> str:
    return f"{Decimal(repr(number)).normalize():f}"


def _number(f: Field, value: Any, directory: Directory | None) -> Any:
    return plain(decimal(value, N_("must be a number")))


def _percent(f: Field, value: Any, directory: Directory | None) -> Any:
    return plain(decimal(value, N_("must be a percentage, like 12.5"), percent=True))


MONEY = N_("must be an amount of money, like 1200.50")


def money(value: Any) -> int | float:
    """An amount in yuan to the fen: "1.005" or "1e3" is a slip, refused rather than rounded or read."""
    if isinstance(value, str) and re.search(r"[eE]", value):
        raise ValueError(MONEY)
    amount = decimal(value, MONEY, money=True)
    if amount < 0:
        raise ValueError(N_("must not be negative"))
    if amount != amount.quantize(CENT):
        raise ValueError(N_("has more than two decimal places (fen): like 1200.50"))
    return plain(amount)


def _money(f: Field, value: Any, directory: Directory | None) -> Any:
    return money(value)


def bounds(f: Field) -> tuple[float | None, float | None]:
    """The field's min and max; a percentage is 0..100 unless the designer says otherwise."""
    if f.type == "percent":
        return (0 if f.min is None else f.min), (100 if f.max is None else f.max)
    return f.min, f.max


# ---------------------------------------------------------------------------------------------
# Dates and times


def date(value: Any) -> str:
    return _in_years(_parse_date(value)).isoformat()


def _parse_date(value: Any) -> _dt.date:
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        raise ValueError(DATE_FORMAT)
    try:
        return _dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(DATE_FORMAT) from None


def _in_years(moment: _D) -> _D:
    """A date or time a person means: 0001-01-01 and 9999-12-31 are typos (and make every
    length or working-day count on them expensive)."""
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise ValueError(N_("must be between the years %(years)s and %(years2)s",
                            years=YEARS[0], years2=YEARS[1]))
    return moment


def _date(f: Field, value: Any, directory: Directory | None) -> Any:
    return date(value)


def _datetime(f: Field, value: Any, directory: Directory | None) -> Any:
    match = _DATETIME.match(value.strip()) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError
        moment = _dt.datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
    except ValueError:
        raise ValueError(N_("must be a date and time (YYYY-MM-DDTHH:MM)")) from None
    return _in_years(moment).strftime("%Y-%m-%dT%H:%M")


def _daterange(f: Field, value: Any, directory: Directory | None) -> Any:
    if not isinstance(value, dict) or set(value) - {"start", "end"}:
        raise ValueError(N_('must be {"start": date, "end": date}'))
    start, end = value.get("start"), value.get("end")
    if _blank(start) or _blank(end):
        raise ValueError(N_("needs a start and an end date"))
    try:
        first, last = _in_years(_parse_date(start)), _in_years(_parse_date(end))
    except ValueError as exc:
        raise ValueError(N_("start and end must be dates (YYYY-MM-DD)") if str(exc) == DATE_FORMAT
                         else N_("start and end %(problem)s", problem=reason(exc))) from None
    if last < first:
        raise ValueError(N_("must end on or after its start"))
    if last >= _years_later(first, MAX_RANGE_YEARS):
        raise ValueError(N_("must span at most %(max_range_years)s years", max_range_years=MAX_RANGE_YEARS))
    return {"start": first.isoformat(), "end": last.isoformat()}


def _years_later(day: _dt.date, years: int) -> _dt.date:
    """The same day `years` later (29 February becomes 1 March in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, month=3, day=1)


def range_days(value: dict[str, str]) -> int:
    """A date range's length in calendar days, both ends counted (1 Dec → 3 Dec is 3 days)."""
    return (_dt.date.fromisoformat(value["end"]) - _dt.date.fromisoformat(value["start"])).days + 1


# ---------------------------------------------------------------------------------------------
# Text


def _text(f: Field, value: Any, directory: Directory | None) -> Any:
    """Text as typed: line ends made \n (one line for `text`, tabs become spaces), no control
    characters (a NUL or an escape sequence is never typed), and no bidirectional overrides
    (U+202E makes "exe.pdf" read as "fdp.exe"), which are removed."""
    if not isinstance(value, str):
        raise ValueError(N_("must be text"))
    text = _BIDI.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if f.type != "textarea":
        text = text.replace("\t", " ")
    if _CONTROL.search(text):
        raise ValueError(N_("must not contain control characters"))
    text = text.strip()
    return text if f.type == "textarea" else " ".join(text.split("\n"))


def _phone(f: Field, value: Any, directory: Directory | None) -> Any:
    if not isinstance(value, str):
        raise ValueError(N_("must be a phone number"))
    digits = re.sub(r"[\s\-()]", "", value)
    if mobile := _MOBILE.match(digits):
        return mobile.group(1)
    if landline := _LANDLINE.match(digits):
        return f"{landline.group(1)}-{landline.group(2)}"
    raise ValueError(N_("must be a mobile number (13812345678) or a landline (010-12345678)"))


def _email(f: Field, value: Any, directory: Directory | None) -> Any:
    text = value.strip() if isinstance(value, str) else ""
    match = _EMAIL.match(text)
    local = text.rsplit("@", 1)[0]
    if match is None or len(text) > 254 or ".." in local or local.strip(".") != local:
        raise ValueError(N_("must be an email address, like name@example.com"))
    return f"{local}@{match.group(1).lower()}"


# ---------------------------------------------------------------------------------------------
# Choices and people


def _choice(f: Field, value: Any, directory: Directory | None) -> Any:
    allowed = f.option_values()
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(N_("must be one of: %(allowed)s", allowed=', '.join(allowed)))
    return value


def _multiselect(f: Field, value: Any, directory: Directory | None) -> Any:
    chosen = [value] if isinstance(value, str) else value
    allowed = f.option_values()
    if not isinstance(chosen, list) or not all(isinstance(v, str) for v in chosen):
        raise ValueError(N_("must be a list of options"))
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise ValueError(N_("%(unknown)s is not one of: %(allowed)s",
                            unknown=shorten(repr(unknown[0])), allowed=', '.join(allowed)))
    return [v for v in allowed if v in chosen]


def _people(kind: str, known: Callable[[Directory], Mapping[str, Any]]) -> Cleaner:
    def clean(f: Field, value: Any, directory: Directory | None) -> Any:
        names = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not f.multiple:
            if len(value) != 1:
                raise ValueError(N_("must be one %(kind)s", kind=word(kind)))
            names = value
        if not all(isinstance(n, str) and _NAME.match(n.strip()) for n in names):
            raise ValueError(N_("must be %(kind)s ids", kind=word(kind)) if f.multiple
                             else N_("must be a %(kind)s id", kind=word(kind)))
        names = list(dict.fromkeys(n.strip() for n in names))
        if directory is not None:
            unknown = [n for n in names if n not in known(directory)]
            if unknown:
                raise ValueError(N_('no %(kind)s "%(unknown)s"', kind=word(kind), unknown=shorten(unknown[0])))
        return names if f.multiple else names[0]
    return clean


def _attachment(f: Field, value: Any, directory: Directory | None) -> Any:
    return clean_attachments(f, value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


CLEANERS: dict[str, Cleaner] = {
    "text": _text,
    "textarea": _text,
    "number": _number,
    "money": _money,
    "percent": _percent,
    "date": _date,
    "datetime": _datetime,
    "daterange": _daterange,
    "select": _choice,
    "radio": _choice,
    "multiselect": _multiselect,
    "user": _people("user", lambda d: d.users),
    "department": _people("department", lambda d: d.departments),
    "phone": _phone,
    "email": _email,
    "attachment": _attachment,
}


def computed_value(f: Field, value: Any) -> Any:
    """What an expression gave, as the field's type and within the limits typed input has (a
    total of 10¹² × 10⁹ is "too large" at the field, as it would be typed)."""
    if f.type in ("number", "money", "percent"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(N_("the expression gave %(value)s, not a number", value=shorten(repr(value))))
        number = decimal(value, N_("the expression gave no finite number"))
        if f.type == "money":
            number = number.quantize(CENT, rounding=ROUND_HALF_UP)
        value = plain(number)
    elif f.type == "date":
        value = date(value)
    elif not isinstance(value, str):
        value = str(value)
    return check_limits(f, value)


def check_limits(f: Field, value: Any) -> Any:
    """min/max for numbers (a percentage's 0..100 by default), lengths for text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = bounds(f)
        if low is not None and value < low:
            raise ValueError(N_("must be at least %(low)s", low=show(low)))
        if high is not None and value > high:
            raise ValueError(N_("must be at most %(high)s", high=show(high)))
    if isinstance(value, str):
        longest = f.max_length if f.max_length is not None else DEFAULT_MAX_LENGTH.get(f.type)
        if longest is not None and len(value) > longest:
            raise ValueError(N_("must be at most %(longest)s characters", longest=longest))
        if f.min_length is not None and len(value) < f.min_length:
            raise ValueError(N_("must be at least %(min_length)s characters", min_length=f.min_length))
    return value
