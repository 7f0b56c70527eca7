"""Serial numbers (`BX-2026-000123`): the pattern language and its formatting, nothing stored.

A pattern is literal text with tokens `{yyyy}` `{yy}` `{mm}` `{dd}` (the submission's local date)
and exactly one `{seq:N}` (the running number, at least N digits). The running number counts per
process, field and *prefix* — the pattern with its date tokens filled in up to `{seq…}` — so
`BX-{yyyy}-{seq:6}` starts again at 1 each year while `BX-{seq:6}` never does. The runtime keeps
the highest number given per (process, field, prefix) and every number given per (process,
field), and `assign_serials` skips any the next would repeat, so no number is given twice.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable
from typing import Any

from builder.forms import Field
from rules.messages import N_

TOKEN = re.compile(r"\{([^{}]*)\}")
SEQ = re.compile(r"seq:(\d{1,2})\Z")
DATE_TOKENS = {"yyyy": "%Y", "yy": "%y", "mm": "%m", "dd": "%d"}
MAX_DIGITS = 12


def pattern_problem(pattern: object) -> str | None:
    """What is wrong with a serial pattern, or None when it is good."""
    if not isinstance(pattern, str) or not pattern.strip():
        return N_("a serial field needs a pattern, like BX-{yyyy}-{seq:6}")
    if len(pattern) > 60:
        return N_("must be at most 60 characters")
    seqs = 0
    for token in TOKEN.findall(pattern):
        seq = SEQ.match(token)
        if seq:
            seqs += 1
            if not 1 <= int(seq.group(1)) <= MAX_DIGITS:
                return N_("{seq:N} takes 1 to %(max_digits)s digits", max_digits=MAX_DIGITS)
        elif token not in DATE_TOKENS:
            return (N_('unknown token "{%(token)s}" (use {yyyy}, {yy}, {mm}, {dd}, {seq:N})', token=token))
    if "{" in TOKEN.sub("", pattern) or "}" in TOKEN.sub("", pattern):
        return N_("has an unmatched { or }")
    if seqs != 1:
        return N_("must contain {seq:N} exactly once") if seqs else N_("must contain {seq:N}, the running number")
    return None


def serial_prefix(pattern: str, day: _dt.date) -> str:
    """The pattern up to its running number, date tokens filled in: what a counter is kept for."""
    return _fill_dates(pattern[: _seq_at(pattern)], day)


def format_serial(pattern: str, day: _dt.date, number: int) -> str:
    """The serial number `number` of `pattern` on `day`: format_serial("BX-{yyyy}-{seq:6}", …, 123)
    → "BX-2026-000123"."""
    def token(match: re.Match[str]) -> str:
        seq = SEQ.match(match.group(1))
        if seq:
            return f"{number:0{int(seq.group(1))}d}"
        return day.strftime(DATE_TOKENS[match.group(1)])
    return TOKEN.sub(token, pattern)


def _fill_dates(text: str, day: _dt.date) -> str:
    return TOKEN.sub(lambda m: day.strftime(DATE_TOKENS[m.group(1)]), text)


def _seq_at(pattern: str) -> int:
    for match in TOKEN.finditer(pattern):
        if SEQ.match(match.group(1)):
            return match.start()
    raise ValueError(N_("no {seq:N} in %(pattern)s", pattern=repr(pattern)))


def assign_serials(fields: Iterable[Field], data: dict[str, Any], day: _dt.date,
                   highest: Callable[[str, str], int],
                   taken: Callable[[str, str], bool] = lambda field, number: False,
                   ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """`data` with each serial field filled in, and what the record keeps of each number
    (`{field: {"prefix", "seq"}}`) so the highest given can be rebuilt from the log.
    `highest(field, prefix)` is the highest number given so far (0 for none); `taken(field,
    number)` whether that formatted number was ever given for the field, under any pattern: a
    republished pattern can spell an old number again ("S-1{seq:1}" gave S-11, "S-{seq:1}"
    reaches it at 11), so the sequence skips every number already given."""
    filled = dict(data)
    given: dict[str, dict[str, Any]] = {}
    for f in fields:
        if f.type != "serial" or pattern_problem(f.pattern):
            continue
        prefix = serial_prefix(f.pattern, day)
        number = highest(f.key, prefix) + 1
        while taken(f.key, format_serial(f.pattern, day, number)):
            number += 1
        filled[f.key] = format_serial(f.pattern, day, number)
        given[f.key] = {"prefix": prefix, "seq": number}
    return filled, given
