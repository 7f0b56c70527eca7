"""Lint for decision tables: gaps, rows that can never fire, and overlaps in `unique` tables.

A table is read as geometry. Each input is one dimension: numbers, money, dates and date-times
are integer lattices (money in cents, numbers in 1/10,000, as `coerce_inputs` rounds them; dates
in days, date-times in seconds), so "`total > 5000` and `total <= 5000.01`" leave no gap for money
but `total < 5000` and `total > 5000` leave exactly 5,000 uncovered. Selects and radios with
options, and checkboxes, are their finite value sets; free text is the literals the rows mention
plus "any other value". Every dimension also holds "empty" (an absent input), which comparisons
never match. A row's condition becomes a union of boxes ($and intersects, $or unites, $in and
$nin are sets on one dimension), and the checks are exact set operations on those boxes:

- **gap** (`first` and `unique`): filled-in inputs no row matches. Without a default each such
  region is reported ("no row covers total ≤ 5,000; there is no default, so nothing is decided").
  With a default, values beyond the rows (below the lowest or above the highest threshold, an
  option no row names) are what the default is for and are not reported; a hole *between* values
  rows do cover is (`total < 5000` then `total > 5000` leaves "total = 5,000 exactly"), because it
  is usually a `<` that should have been `<=`. Empty inputs are never called gaps (required
  fields are the form's job), and money is assumed not negative here.
- **shadowed** (`first`): a row every form it matches is matched by earlier rows first ("row 3 can
  never fire: rows 1 and 2 cover everything it matches"); in every policy, a row whose condition
  can never hold (`total > 5` and `total < 3`).
- **overlap** (`unique`): two rows that match one form, with a concrete example ("rows 1 and 3
  both match total = 60,000"): evaluating it would be an error.

Rows lint cannot read exactly (`$mt` on free text, ordering of free text, comparisons with another
field via `$m`) are left out: never reported themselves, never used to call another row shadowed
or two rows overlapping (those findings only rest on rows read exactly), and any such row turns
the gap check off, since it might cover the gap. So every finding is real; some are missed.
Analyses that would grow beyond `MAX_PIECES` boxes are abandoned the same way.

`first_match` gives the same reading of any first-match list of conditions over typed inputs,
as data rather than sentences: a flow's condition branches are read with it (runtime.flow_checks).
"""
from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from rules.conditions import (
    EXISTENCE,
    LOGICAL,
    MEMBERSHIP,
    ORDERING,
    REF,
    is_number,
    matches,
    value_class,
)
from rules.errors import Problem
from rules.messages import N_
from rules.ruleset import OPTION_TYPES, Column, Ruleset

KINDS = ("gap", "shadowed", "overlap")
MAX_PIECES = 4000  # boxes one analysis may hold before it is abandoned
MAX_FINDINGS = 20  # per kind
_SCALE = {"money": Decimal(100), "number": Decimal(10_000), "percent": Decimal(10_000)}
_INF = math.inf
_EPOCH = _dt.datetime(1970, 1, 1)
_ANCHOR = {"date": _dt.date(2026, 1, 1).toordinal(),  # examples for unbounded dates
           "datetime": int((_dt.datetime(2026, 1, 1) - _EPOCH).total_seconds())}


@dataclass(frozen=True)
class LintFinding:
    """One thing worth a designer's look. `row` is 1-based like `Decision.fired` (None for a gap,
    which belongs to the table); `path` is the JSON path to show it at (`rows[2].when`, `rows`).
    `example` is form data showing it (for a gap and an overlap; inputs left out are empty or
    don't matter): a designer can run it through the evaluator."""

    kind: str
    row: int | None
    path: str
    message: str
    example: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "row": self.row, "path": self.path, "message": self.message,
                "example": dict(self.example) if self.example is not None else None}


def lint_ruleset(ruleset: Ruleset) -> list[LintFinding]:
    """Every finding for `ruleset`: rows first, in row order (shadowed, then overlaps), then gaps.

    Never raises on a validated ruleset; what it cannot analyse it leaves out (see the module)."""
    space = _Space.of([row.when for row in ruleset.rows], ruleset.inputs)
    regions = _regions(space, [row.when for row in ruleset.rows])
    findings: list[LintFinding] = []
    for number, region in enumerate(regions, start=1):
        if region == []:
            findings.append(LintFinding("shadowed", number, _row_path(number),
                                        N_("row %(number)s can never fire: its condition never holds",
                                           number=number)))
    if ruleset.hit_policy == "first":
        for index, covering in _shadowed(space, regions):
            number, rows = index + 1, [n + 1 for n in covering]
            findings.append(LintFinding("shadowed", number, _row_path(number), _covered(number, rows)))
    if ruleset.hit_policy == "unique":
        findings += _overlaps(space, regions)
    findings.sort(key=lambda f: (f.row, KINDS.index(f.kind)))
    if ruleset.hit_policy in ("first", "unique") and regions:
        findings += _gap_findings(_gaps(space, regions), bool(ruleset.default))
    return findings


PHRASES = ("and", "or", "in", "is none of", "empty", "another value", "every form")  # what a gap's words join with


@dataclass(frozen=True)
class Gap:
    """A region of filled-in forms that no condition covers: in words (`text`, "total ≤ 5,000";
    "" when it is every filled-in form), whether it is one value along some input (`exactly`),
    whether it lies between values conditions do cover (`hole`: usually a `<` meant as `<=`),
    and an `example` from its edge as form data and in words ("total = 5,000")."""

    text: str
    exactly: bool
    hole: bool
    example: dict[str, Any]
    example_text: str


@dataclass(frozen=True)
class Coverage:
    """How conditions tried in order, the first that holds winning, divide the forms (indices
    are 0-based). `readable[i]` is False for a condition lint cannot read exactly: it is never
    judged, nor used to judge others. `never`: conditions that can never hold. `shadowed`:
    each condition the earlier ones take every case of first, with those earlier ones (only
    conditions that share a case with it). `gaps`: the filled-in forms no condition covers, or
    None when some condition is unreadable (it might cover them). `left_empty`: for each
    optional input asked about, the forms with it empty and every other input filled in that
    no condition covers (None when unknown, as for gaps)."""

    readable: tuple[bool, ...]
    never: tuple[int, ...]
    shadowed: tuple[tuple[int, tuple[int, ...]], ...]
    gaps: tuple[Gap, ...] | None
    left_empty: dict[str, Gap | None]


def first_match(conditions: Sequence[Any], inputs: Sequence[Column], *,
                optional: Iterable[str] = (), names: Mapping[str, str] | None = None,
                words: Mapping[str, Mapping[Any, str]] | None = None,
                phrases: Mapping[str, str] | None = None) -> Coverage:
    """Read `conditions` (in the condition language, over the typed `inputs`) as a first-match
    list, exactly as `lint_ruleset` reads a `first` table: a flow's condition branches are one.
    An input in `optional` may be left empty on a form; `left_empty` says what that leaves.
    The gaps' words call an input by `names[key]` and its values by `words[key][value]` where
    given, and their connecting words (`PHRASES`) by `phrases[word]` (a caller's labels, or
    placeholders it fills per reader)."""
    space = _Space.of(conditions, inputs)
    space.names, space.words, space.phrases = names or {}, words or {}, phrases or {}
    regions = _regions(space, conditions)
    complete = None not in regions
    gaps = tuple(_gaps(space, regions)[:MAX_FINDINGS]) if complete else None
    left_empty: dict[str, Gap | None] = {}
    for key in optional:
        if key in space.index:
            left_empty[key] = _left_empty(space, regions, key) if complete else None
    return Coverage(readable=tuple(r is not None for r in regions),
                    never=tuple(i for i, r in enumerate(regions) if r == []),
                    shadowed=tuple(_shadowed(space, regions)), gaps=gaps, left_empty=left_empty)


def publish_blockers(ruleset: Ruleset, path: str = "") -> list[Problem]:
    """The findings that are errors rather than warnings: overlapping rows of a `unique` table."""
    prefix = f"{path}." if path else ""
    return [Problem(prefix + finding.path, finding.message) for finding in lint_ruleset(ruleset)
            if finding.kind == "overlap"]


def _row_path(number: int) -> str:
    return f"rows[{number - 1}].when"


def _covered(number: int, numbers: Sequence[int]) -> str:
    if len(numbers) == 1:
        return N_("row %(number)s can never fire: row %(row)s covers everything it matches",
                  number=number, row=numbers[0])
    return N_("row %(number)s can never fire: rows %(rows)s and %(last)s cover everything it matches",
              number=number, rows=", ".join(str(n) for n in numbers[:-1]), last=numbers[-1])


# ---------------------------------------------------------------- the checks


def _regions(space: _Space, conditions: Sequence[Any]) -> list[list[_Box] | None]:
    """Each condition as a union of boxes ([] when it never holds), None when it cannot be read."""
    regions: list[list[_Box] | None] = []
    for condition in conditions:
        try:
            regions.append(space.region(condition))
        except _Unreadable:
            regions.append(None)
    return regions


def _shadowed(space: _Space, regions: list[list[_Box] | None]) -> list[tuple[int, tuple[int, ...]]]:
    """(index, the earlier indices sharing a case with it) of each region earlier ones cover."""
    out: list[tuple[int, tuple[int, ...]]] = []
    for index, region in enumerate(regions):
        if not region or len(out) >= MAX_FINDINGS:
            continue
        earlier = [(n, r) for n, r in enumerate(regions[:index]) if r]
        try:
            rest = list(region)
            for _, other in earlier:
                rest = space.subtract(rest, other)
                if not rest:
                    break
        except _Unreadable:
            continue
        if rest:
            continue
        out.append((index, tuple(n for n, other in earlier
                                 if any(space.intersect(a, b) is not None for a in region for b in other))))
    return out


def _overlaps(space: _Space, regions: list[list[_Box] | None]) -> list[LintFinding]:
    out: list[LintFinding] = []
    for later, region in enumerate(regions, start=1):
        for first, other in enumerate(regions[:later - 1], start=1):
            if not region or not other or len(out) >= MAX_FINDINGS:
                continue
            common = next((box for a in other for b in region
                           if (box := space.intersect(a, b)) is not None), None)
            if common is None:
                continue
            example = space.describe_example(common)
            out.append(LintFinding("overlap", later, _row_path(later),
                                   N_("rows %(first)s and %(later)s both match %(example)s",
                                      first=first, later=later, example=example),
                                   space.example(common)))
    return out


def _gaps(space: _Space, regions: list[list[_Box] | None]) -> list[Gap]:
    """The filled-in forms no region covers, as few whole regions, in order ([] when unknown)."""
    if None in regions:
        return []
    rows = [r for r in regions if r]
    try:
        rest = [space.filled()]
        for region in rows:
            rest = space.subtract(rest, region)
        rest = space.merge(rest)
    except _Unreadable:
        return []
    return [space.gap(box, rows) for box in sorted(rest, key=space.order)]


def _gap_findings(gaps: list[Gap], has_default: bool) -> list[LintFinding]:
    out: list[LintFinding] = []
    for gap in gaps:
        if has_default and not gap.hole:
            continue
        if len(out) >= MAX_FINDINGS:
            break
        message = _GAP[(bool(gap.text), gap.exactly and bool(gap.text), has_default)]
        out.append(LintFinding("gap", None, "rows", message.fill(gap=gap.text) if gap.text else message,
                               gap.example))
    return out


_GAP = {  # (a gap in words, exactly, a default) → the finding
    (True, False, True): N_("no row covers %(gap)s; the default applies"),
    (True, True, True): N_("no row covers %(gap)s exactly; the default applies"),
    (False, False, True): N_("no row matches any filled-in form; the default applies"),
    (True, False, False): N_("no row covers %(gap)s; there is no default, so nothing is decided"),
    (True, True, False): N_("no row covers %(gap)s exactly; there is no default, so nothing is decided"),
    (False, False, False): N_("no row matches any filled-in form; there is no default, so nothing is decided"),
}


def _left_empty(space: _Space, regions: list[list[_Box] | None], key: str) -> Gap | None:
    """The forms with input `key` empty (every other one filled in) that no region covers."""
    universe = list(space.filled())
    universe[space.index[key]] = _Set((), True)
    try:
        rest = [tuple(universe)]
        for region in regions:
            rest = space.subtract(rest, region or [])
        rest = space.merge(rest)
    except _Unreadable:
        return None
    if not rest:
        return None
    box = min(rest, key=space.order)
    return space.gap(box, [r for r in regions if r])


# ---------------------------------------------------------------- value sets

_Intervals = tuple[tuple[float, float], ...]  # disjoint, sorted, inclusive; ints or ±inf


@dataclass(frozen=True)
class _Set:
    """The values one input may take inside a box: lattice intervals, and whether empty is in."""

    spans: _Intervals
    absent: bool

    def empty(self) -> bool:
        return not self.spans and not self.absent


def _cut(a: _Intervals, b: _Intervals) -> _Intervals:
    out: list[tuple[float, float]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _complement(a: _Intervals) -> _Intervals:
    out: list[tuple[float, float]] = []
    start = -_INF
    for lo, hi in a:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= _INF and start != _INF:
        out.append((start, _INF))
    return tuple(out)


def _union(a: Iterable[tuple[float, float]]) -> _Intervals:
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(a):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


class _Unreadable(Exception):
    """A condition lint cannot read exactly, or an analysis grown too large."""


OTHER = object()  # "any value no row names", for free text


@dataclass(frozen=True)
class _Dim:
    key: str
    kind: str  # the input's type
    lattice: bool
    domain: _Intervals
    values: tuple[Any, ...] = ()  # discrete dimensions: index → value (OTHER for free text)

    @property
    def full(self) -> _Set:
        return _Set(self.domain, True)


_Box = tuple[_Set, ...]


class _Space:
    """The inputs the rows test, as dimensions, and set operations on boxes over them."""

    def __init__(self, dims: list[_Dim]) -> None:
        self.dims = dims
        self.index = {d.key: i for i, d in enumerate(dims)}
        self.names: Mapping[str, str] = {}  # input key → what the words call it (the key itself if absent)
        self.words: Mapping[str, Mapping[Any, str]] = {}  # input key → value → its words (else as shown)
        self.phrases: Mapping[str, str] = {}  # the words' own words (PHRASES) → a caller's (else themselves)

    def name(self, d: _Dim) -> str:
        return self.names.get(d.key, d.key)

    def word(self, d: _Dim, v: Any) -> str:
        """A discrete value in the words (an option by what `words` calls it); else `_show`."""
        if not d.lattice and v is OTHER:
            return self.phrase("another value")
        if not d.lattice and (said := self.words.get(d.key, {}).get(v)) is not None:
            return said
        return self._show(d, v)

    def phrase(self, text: str) -> str:
        return self.phrases.get(text, text)

    @classmethod
    def of(cls, conditions: Sequence[Any], inputs: Sequence[Column]) -> _Space:
        used: dict[str, list[Any]] = {}
        for condition in conditions:
            _literals(condition, used, 0)
        dims: list[_Dim] = []
        for column in inputs:
            if column.key not in used:
                continue
            cls_ = value_class(column.type)
            if cls_ in ("number", "date", "datetime"):
                dims.append(_Dim(column.key, column.type, True, ((-_INF, _INF),)))
            elif cls_ == "boolean":
                dims.append(_Dim(column.key, column.type, False, ((0, 1),), (False, True)))
            elif cls_ == "string":
                if column.type in OPTION_TYPES and column.options:
                    values: tuple[Any, ...] = tuple(column.options)
                else:
                    seen: list[str] = []
                    for v in used[column.key]:
                        if isinstance(v, str) and v not in seen:
                            seen.append(v)
                    values = tuple(seen) + (OTHER,)
                dims.append(_Dim(column.key, column.type, False, ((0, len(values) - 1),), values))
        return cls(dims)

    # --- building regions

    def everything(self) -> _Box:
        return tuple(d.full for d in self.dims)

    def filled(self) -> _Box:
        """Every form with all inputs filled in (money from 0): the universe gaps are sought in."""
        out = []
        for d in self.dims:
            spans = d.domain
            if d.kind == "money":
                spans = _cut(spans, ((0, _INF),))
            out.append(_Set(spans, False))
        return tuple(out)

    def region(self, cond: Any) -> list[_Box]:
        if not isinstance(cond, Mapping) or len(cond) != 1:
            raise _Unreadable
        ((key, arg),) = cond.items()
        if key in LOGICAL:
            boxes: list[_Box] = [self.everything()] if key == "$and" else []
            for sub in arg:
                part = self.region(sub)
                if key == "$or":
                    boxes += part
                else:
                    boxes = [b for x in boxes for y in part
                             if (b := self.intersect(x, y)) is not None]
                self._check_size(boxes)
            return boxes
        if key.startswith("$"):
            ((field, value),) = arg.items()
            op = key
        else:
            op, field, value = "$eq", key, arg
        if field not in self.index:
            raise _Unreadable
        i = self.index[field]
        allowed = self._atom(self.dims[i], op, value)
        if allowed.empty():
            return []
        box = list(self.everything())
        box[i] = allowed
        return [tuple(box)]

    def _atom(self, dim: _Dim, op: str, value: Any) -> _Set:
        if isinstance(value, Mapping) and REF in value:
            raise _Unreadable
        if op == "$ex":
            return _Set(dim.domain, False)
        if op == "$nex":
            return _Set((), True)
        if dim.lattice:
            return _Set(_cut(self._lattice(dim, op, value), dim.domain), False)
        return _Set(self._discrete(dim, op, value), False)

    def _lattice(self, dim: _Dim, op: str, value: Any) -> _Intervals:
        if op in MEMBERSHIP:
            if not isinstance(value, list):
                raise _Unreadable
            points = _union(p for v in value for p in self._point(dim, v))
            return points if op == "$in" else _complement(points)
        if op in ("$eq", "$ne"):
            point = self._point(dim, value)
            return point if op == "$eq" else _complement(point)
        if op not in ORDERING:
            raise _Unreadable
        exact = self._scaled(dim, value)
        if op in ("$gt", "$gte"):
            rounded = exact.to_integral_value(ROUND_CEILING if op == "$gte" else ROUND_FLOOR)
            low = int(rounded) + (1 if op == "$gt" else 0)
            return ((low, _INF),)
        rounded = exact.to_integral_value(ROUND_FLOOR if op == "$lte" else ROUND_CEILING)
        high = int(rounded) - (1 if op == "$lt" else 0)
        return ((-_INF, high),)

    def _point(self, dim: _Dim, value: Any) -> _Intervals:
        exact = self._scaled(dim, value)
        if exact != exact.to_integral_value():
            return ()  # between lattice points: no coerced value equals it
        return ((int(exact), int(exact)),)

    def _scaled(self, dim: _Dim, value: Any) -> Decimal:
        cls = value_class(dim.kind)
        if cls == "number":
            if not is_number(value):
                raise _Unreadable
            return Decimal(repr(value) if isinstance(value, float) else value) * _SCALE[dim.kind]
        if not isinstance(value, str):
            raise _Unreadable
        try:
            if cls == "date":
                return Decimal(_dt.date.fromisoformat(value).toordinal())
            moment = _dt.datetime.fromisoformat(value)
        except ValueError:
            raise _Unreadable from None
        if moment.tzinfo is not None:
            raise _Unreadable
        return Decimal(int((moment - _EPOCH).total_seconds()))

    def _discrete(self, dim: _Dim, op: str, value: Any) -> _Intervals:
        has_other = bool(dim.values) and dim.values[-1] is OTHER
        if op == "$mt" and has_other or op in ORDERING and has_other:
            raise _Unreadable  # "any other text" may or may not match
        if op not in ("$eq", "$ne", "$mt") + ORDERING + MEMBERSHIP:
            raise _Unreadable
        picked: list[tuple[float, float]] = []
        for index, option in enumerate(dim.values):
            if option is OTHER:
                hit = op in ("$ne", "$nin")  # equal to no literal any row names
            else:
                try:
                    hit = matches({op: {"v": value}} if op != "$eq" else {"v": value}, {"v": option})
                except Exception:  # noqa: BLE001 - a malformed literal: not ours to judge
                    raise _Unreadable from None
            if hit:
                picked.append((index, index))
        return _union(picked)

    def _check_size(self, boxes: list[_Box]) -> None:
        if len(boxes) > MAX_PIECES:
            raise _Unreadable

    # --- set operations

    def intersect(self, a: _Box, b: _Box) -> _Box | None:
        out = []
        for x, y in zip(a, b):
            s = _Set(_cut(x.spans, y.spans), x.absent and y.absent)
            if s.empty():
                return None
            out.append(s)
        return tuple(out)

    def subtract(self, pieces: list[_Box], region: list[_Box]) -> list[_Box]:
        """`pieces` minus every box of `region`, as disjoint boxes."""
        for cut in region:
            nxt: list[_Box] = []
            for piece in pieces:
                nxt += self._minus(piece, cut)
            pieces = nxt
            self._check_size(pieces)
            if not pieces:
                break
        return pieces

    def _minus(self, a: _Box, b: _Box) -> list[_Box]:
        if self.intersect(a, b) is None:
            return [a]
        out: list[_Box] = []
        head: list[_Set] = []
        for i, (x, y) in enumerate(zip(a, b)):
            rest = _Set(_cut(x.spans, _complement(y.spans)), x.absent and not y.absent)
            if not rest.empty():
                out.append(tuple(head) + (rest,) + a[i + 1:])
            head.append(_Set(_cut(x.spans, y.spans), x.absent and y.absent))
        return out

    def merge(self, boxes: list[_Box]) -> list[_Box]:
        """Join boxes that differ in one dimension only, so gaps read as few, whole regions."""
        boxes = list(boxes)
        changed = True
        while changed:
            changed = False
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    joined = self._join(boxes[i], boxes[j])
                    if joined is not None:
                        boxes[i] = joined
                        del boxes[j]
                        changed = True
                        break
                if changed:
                    break
        return boxes

    def _join(self, a: _Box, b: _Box) -> _Box | None:
        differ = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        if len(differ) > 1:
            return None
        if not differ:
            return a
        i = differ[0]
        joined = _Set(_union(a[i].spans + b[i].spans), a[i].absent or b[i].absent)
        return a[:i] + (joined,) + a[i + 1:]

    def covered(self, point: tuple[Any, ...], regions: list[list[_Box]]) -> bool:
        return any(all(self._holds(s, v) for s, v in zip(box, point))
                   for region in regions for box in region)

    @staticmethod
    def _holds(s: _Set, v: Any) -> bool:
        if v is None:
            return s.absent
        return any(lo <= v <= hi for lo, hi in s.spans)

    def is_hole(self, box: _Box, regions: list[list[_Box]]) -> bool:
        """Whether `box` lies between values that rows cover, along some number or date input."""
        point = self.witness(box)
        filled = self.filled()
        for i, d in enumerate(self.dims):
            if not d.lattice or not box[i].spans:
                continue
            lo, hi = box[i].spans[0]
            if lo == -_INF or hi == _INF or lo <= filled[i].spans[0][0]:
                continue
            below = point[:i] + (lo - 1,) + point[i + 1:]
            above = point[:i] + (hi + 1,) + point[i + 1:]
            if self.covered(below, regions) and self.covered(above, regions):
                return True
        return False

    def is_point(self, box: _Box) -> bool:
        return any(d.lattice and len(s.spans) == 1 and s.spans[0][0] == s.spans[0][1]
                   for d, s in zip(self.dims, box))

    def order(self, box: _Box) -> tuple[Any, ...]:
        return tuple(s.spans[0][0] if s.spans else _INF for s in box)

    # --- examples and words

    def witness(self, box: _Box, edge: bool = False) -> tuple[Any, ...]:
        """One point of `box`, filled in where it can be: with round numbers, or with `edge`
        the boundary value (the top of "total ≤ 5,000")."""
        point: list[Any] = []
        for d, s in zip(self.dims, box):
            if not s.spans:
                point.append(None)
            elif edge and d.lattice and s.spans[0] != (-_INF, _INF):
                lo, hi = s.spans[0]
                point.append(hi if hi != _INF else lo)
            elif d.lattice and value_class(d.kind) == "number":
                point.append(_round_in(s.spans[0]))
            else:
                lo, hi = s.spans[0]
                anchor = _ANCHOR.get(value_class(d.kind), 0)
                point.append(anchor if lo <= anchor <= hi else (lo if lo != -_INF else hi))
        return tuple(point)

    def example(self, box: _Box, edge: bool = False) -> dict[str, Any]:
        """A witness of `box` as form data: input key → value, empty inputs left out."""
        out: dict[str, Any] = {}
        for d, v in zip(self.dims, self.witness(box, edge)):
            if v is None:
                continue
            if not d.lattice:
                out[d.key] = d.values[int(v)] if d.values[int(v)] is not OTHER else _other(d)
            elif value_class(d.kind) == "number":
                amount = Decimal(int(v)) / _SCALE[d.kind]
                out[d.key] = int(amount) if amount == amount.to_integral_value() else float(amount)
            else:
                out[d.key] = self._show(d, v)
        return out

    def gap(self, box: _Box, regions: list[list[_Box]]) -> Gap:
        return Gap(text=self.describe(box), exactly=self.is_point(box), hole=self.is_hole(box, regions),
                   example=self.example(box, edge=True), example_text=self.describe_example(box, edge=True))

    def describe_example(self, box: _Box, edge: bool = False) -> str:
        """One form in `box`, naming only the inputs `box` constrains: "total = 60,000"."""
        parts = []
        for d, s, v in zip(self.dims, box, self.witness(box, edge)):
            if s == d.full:
                continue
            if v is None:
                parts.append(f"{self.name(d)} {self.phrase('empty')}")
            else:
                parts.append(f"{self.name(d)} = {self.word(d, v if d.lattice else d.values[int(v)])}")
        return f" {self.phrase('and')} ".join(parts) if parts else self.phrase("every form")

    def describe(self, box: _Box) -> str:
        filled = self.filled()
        parts = []
        for d, s, universe in zip(self.dims, box, filled):
            if s == universe or s == d.full:
                continue
            parts.append(self._describe_set(d, s, universe))
        return f" {self.phrase('and')} ".join(parts)

    def _describe_set(self, d: _Dim, s: _Set, universe: _Set) -> str:
        words: list[str] = []
        if d.lattice:
            edge_lo = universe.spans[0][0] if universe.spans else -_INF
            words = [self._describe_span(d, lo, hi, edge_lo) for lo, hi in s.spans]
        elif s.spans:
            members = [d.values[i] for lo, hi in s.spans for i in range(int(lo), int(hi) + 1)]
            if OTHER in members:
                excluded = [v for v in d.values if v is not OTHER and v not in members]
                words = [f"{self.name(d)} {self.phrase('is none of')} {', '.join(self.word(d, v) for v in excluded)}"]
            elif len(members) == 1:
                words = [f"{self.name(d)} = {self.word(d, members[0])}"]
            else:
                words = [f"{self.name(d)} {self.phrase('in')} {', '.join(self.word(d, v) for v in members)}"]
        if s.absent:
            words.append(f"{self.name(d)} {self.phrase('empty')}")
        return f" {self.phrase('or')} ".join(words)

    def _describe_span(self, d: _Dim, lo: float, hi: float, edge_lo: float) -> str:
        if lo == hi:
            return f"{self.name(d)} = {self._show(d, lo)}"
        if lo <= edge_lo:
            lo = -_INF
        if lo == -_INF:
            return f"{self.name(d)} {self._upper(d, hi)}"
        if hi == _INF:
            return f"{self.name(d)} {self._lower(d, lo)}"
        low = self._lower(d, lo)  # "≥ 1,000" or "> 999.99"
        symbol, number = low.split(" ", 1)
        flipped = {"≥": "≤", ">": "<"}[symbol]
        return f"{number} {flipped} {self.name(d)} {self._upper(d, hi)}"

    def _lower(self, d: _Dim, lo: float) -> str:
        inclusive, exclusive = self._show(d, lo), self._show(d, lo - 1)
        return f"> {exclusive}" if len(exclusive) < len(inclusive) else f"≥ {inclusive}"

    def _upper(self, d: _Dim, hi: float) -> str:
        inclusive, exclusive = self._show(d, hi), self._show(d, hi + 1)
        return f"< {exclusive}" if len(exclusive) < len(inclusive) else f"≤ {inclusive}"

    @staticmethod
    def _show(d: _Dim, v: Any) -> str:
        """A lattice point, or a discrete dimension's value, as a person reads it."""
        if not d.lattice:
            if v is OTHER:
                return "another value"
            if isinstance(v, bool):
                return "true" if v else "false"
            return str(v)
        cls = value_class(d.kind)
        if cls == "number":
            amount = (Decimal(int(v)) / _SCALE[d.kind]).normalize()
            text = f"{amount:,f}"
            if d.kind == "money" and "." in text:
                text = f"{amount:,.2f}"
            return text
        if cls == "date":
            return _dt.date.fromordinal(int(v)).isoformat()
        return (_EPOCH + _dt.timedelta(seconds=int(v))).isoformat()


def _round_in(span: tuple[float, float]) -> float:
    """The roundest lattice value in `span` (60,000 for "more than 50,000")."""
    lo, hi = span
    if lo <= 0 <= hi:
        return 0
    anchor = int(lo if lo != -_INF else hi)
    for power in range(len(str(abs(anchor))) - 1, -1, -1):
        unit = 10 ** power
        candidate = -(-anchor // unit) * unit if lo != -_INF else anchor // unit * unit
        if lo <= candidate <= hi:
            return candidate
    return anchor


def _other(d: _Dim) -> str:
    """A text no row names, standing for "another value"."""
    named = {v for v in d.values if v is not OTHER}
    candidate = "other"
    while candidate in named:
        candidate += "_"
    return candidate


def _literals(cond: Any, out: dict[str, list[Any]], depth: int) -> None:
    """Field → the literal values rows compare it with (free text is split by them)."""
    if not isinstance(cond, Mapping) or depth > 32:
        return
    for key, arg in cond.items():
        if key in LOGICAL and isinstance(arg, list):
            for sub in arg:
                _literals(sub, out, depth + 1)
        elif isinstance(key, str) and key.startswith("$"):
            if isinstance(arg, Mapping):
                for field, value in arg.items():
                    values = value if isinstance(value, list) else [value]
                    out.setdefault(str(field), []).extend(
                        v for v in values if key not in EXISTENCE)
        elif isinstance(key, str):
            out.setdefault(key, []).append(arg)
