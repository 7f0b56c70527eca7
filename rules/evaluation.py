"""Evaluating a ruleset against form data: the interface the rest of formflow sees.

Two evaluators implement it: `DurableEvaluator` (durable-rules, the production engine where it
imports) and `ReferenceEvaluator` (plain Python, the oracle and the fallback). Both share what is
not engine-specific, so they cannot drift: `coerce_inputs` turns form data into typed facts, and
`decide` turns the matching row numbers into a `Decision` by the hit policy.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from rules.conditions import MAX_NUMBER, is_number, lookup, value_class
from rules.derived import derive, split_name
from rules.errors import RuleError
from rules.ruleset import HIT_POLICIES, MAX_INPUTS, MAX_ROWS, Column, Ruleset
from rules.messages import N_, reason
from rules.words import word

logger = logging.getLogger(__name__)

# Numbers are compared at a fixed precision: cents for money, 4 decimals otherwise. This keeps
# both evaluators exact and keeps values within what durable-rules' JSON parser reads (it
# rejects exponents such as 1e-05).
_QUANTUM = {"money": Decimal("0.01"), "number": Decimal("0.0001")}
_TRUE = ("true", "on", "yes", "1")
_FALSE = ("false", "off", "no", "0")


@dataclass(frozen=True)
class Decision:
    """What a ruleset decided and why: the audit log records it as is (`to_dict`)."""

    ruleset: str
    version: int
    outcome: dict[str, Any]
    fired: tuple[int, ...]
    default_used: bool
    inputs: dict[str, Any]
    trace: tuple[dict[str, Any], ...]

    @property
    def ref(self) -> str:
        return f"{self.ruleset}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "version": self.version,
            "outcome": copy.deepcopy(self.outcome),
            "fired": list(self.fired),
            "default_used": self.default_used,
            "inputs": copy.deepcopy(self.inputs),
            "trace": [dict(step) for step in self.trace],
        }


class Evaluator(Protocol):
    """Anything that can evaluate a ruleset; the engine and the web layer depend only on this."""

    def evaluate(self, ruleset: Ruleset, data: Mapping[str, Any]) -> Decision: ...


def default_evaluator() -> Evaluator:
    """DurableEvaluator when durable-rules imports (Python < 3.13), else ReferenceEvaluator.

    Create one at start-up and keep it (e.g. on `app.state`): a DurableEvaluator compiles each
    ruleset version once.
    """
    try:
        from rules.durable_adapter import DurableEvaluator
    except Exception as exc:  # noqa: BLE001 - missing, or broken (it fails to import on 3.13)
        logger.warning("durable-rules is not available (%s: %s); rulesets run on the plain-Python "
                       "reference evaluator", type(exc).__name__, exc)
        from rules.reference import ReferenceEvaluator
        return ReferenceEvaluator()
    return DurableEvaluator()


# ---------------------------------------------------------------- shared by both evaluators


def check_evaluable(ruleset: Ruleset) -> None:
    """Refuse what no evaluator should run (a Ruleset may come from an unvalidated `from_dict`)."""
    if ruleset.hit_policy not in HIT_POLICIES:
        raise RuleError(N_('ruleset %(ref)s: unknown hit policy "%(hit_policy)s"',
                           ref=ruleset.ref, hit_policy=ruleset.hit_policy))
    if len(ruleset.rows) > MAX_ROWS:
        raise RuleError(N_("ruleset %(ref)s: %(count)s rows; at most %(max_rows)s are allowed",
                           ref=ruleset.ref, count=len(ruleset.rows), max_rows=MAX_ROWS))
    if len(ruleset.inputs) > MAX_INPUTS:
        raise RuleError(N_("ruleset %(ref)s: %(count)s inputs; at most %(max_inputs)s are allowed",
                           ref=ruleset.ref, count=len(ruleset.inputs), max_inputs=MAX_INPUTS))


def coerce_inputs(ruleset: Ruleset, data: Mapping[str, Any]) -> dict[str, Any]:
    """The ruleset's inputs picked out of form data and coerced to their declared types.

    Keys are the input keys (`"applicant.level"` is read from a literal key or a nested object;
    `"items.amount.sum"` is computed from the table `items`, see `rules.derived`).
    Absent, null and empty-string values are left out: rows that test them do not match.
    Numbers become int when whole, else float (money to cents, numbers to 4 decimals); dates
    become "YYYY-MM-DD". A value that cannot be coerced raises RuleError naming the input.
    """
    out: dict[str, Any] = {}
    for column in ruleset.inputs:
        try:
            raw = lookup(data, column.key)
            if raw is None and split_name(column.key) is not None:
                raw = derive(data, column.key)  # None, or ValueError naming the bad cell
            if raw is None or (isinstance(raw, str) and raw == ""):
                continue
            out[column.key] = coerce_value(column, raw)
        except (TypeError, ValueError) as exc:
            raise RuleError(N_('ruleset %(ref)s: input "%(key)s" (%(type)s): %(exc)s',
                               ref=ruleset.ref, key=column.key, type=word(column.type), exc=reason(exc))) from exc
    return out


def coerce_value(column: Column, raw: Any) -> Any:
    """`raw` as a value of `column`'s type; TypeError or ValueError says why it cannot be."""
    cls = value_class(column.type)
    if cls == "number":
        return _number(raw, _QUANTUM["money" if column.type == "money" else "number"])
    if cls == "boolean":
        return _boolean(raw)
    if cls == "date":
        return _date(raw)
    if cls == "datetime":
        return _datetime(raw)
    if cls == "string":
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str):
            raise TypeError(N_("expected text, got %(type)s", type=type(raw).__name__))
        if "\x00" in raw:
            raise ValueError(N_("text must not contain NUL characters"))
        if column.options and raw not in column.options:
            raise ValueError(N_('"%(raw)s" is not one of %(options)s',
                                raw=raw, options=", ".join(column.options)))
        return raw
    raise ValueError(N_("type %(type)s cannot be a ruleset input", type=word(column.type)))


def _number(raw: Any, quantum: Decimal) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, str)):
        raise TypeError(N_("expected a number, got %(type)s", type=type(raw).__name__))
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(repr(raw) if is_number(raw) else
                                                             raw.strip())
    except InvalidOperation:
        raise ValueError(N_("expected a number, got %(raw)s", raw=repr(raw))) from None
    if not value.is_finite():
        raise ValueError(N_("expected a finite number, got %(raw)s", raw=repr(raw)))
    value = value.quantize(quantum, rounding=ROUND_HALF_UP) if abs(value) < MAX_NUMBER else value
    if abs(value) >= MAX_NUMBER:
        raise ValueError(N_("%(raw)s is too large", raw=repr(raw)))
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE + _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError(N_("expected true or false, got %(raw)s", raw=repr(raw)))


def _date(raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, str):
        text = raw.strip()
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(text).date().isoformat()
        except ValueError:
            pass
    raise ValueError(N_('expected a date "YYYY-MM-DD", got %(raw)s', raw=repr(raw)))


def _datetime(raw: Any) -> str:
    value: Any = raw
    if isinstance(raw, str):
        try:
            value = dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            raise ValueError(N_('expected "YYYY-MM-DDTHH:MM:SS", got %(raw)s', raw=repr(raw))) from None
    if not isinstance(value, dt.datetime):
        raise TypeError(N_('expected "YYYY-MM-DDTHH:MM:SS", got %(raw)s', raw=repr(raw)))
    if value.tzinfo is not None:
        raise ValueError(N_("expected a local date-time without a time zone, got %(raw)s", raw=repr(raw)))
    return value.replace(microsecond=0).isoformat()


def decide(ruleset: Ruleset, inputs: Mapping[str, Any], matched: Sequence[int]) -> Decision:
    """The Decision for the 1-based row numbers that matched, by the ruleset's hit policy.

    `first`: the first matching row (rows after it are not evaluated, so the trace stops there).
    `unique`: more than one match is an error. `collect`: every output key maps to the list of
    its values in row order (the default, when used, is wrapped the same way).
    No match: the default if there is one (default_used), else an empty outcome.
    """
    rows = sorted(set(matched))
    policy = ruleset.hit_policy
    if policy == "unique" and len(rows) > 1:
        raise RuleError(N_("ruleset %(ref)s (hit policy unique): rows %(rows)s and %(rows2)s both match",
                           ref=ruleset.ref, rows=rows[0], rows2=rows[1]))
    fired = tuple(rows[:1]) if policy == "first" else tuple(rows)
    last = fired[0] if policy == "first" and fired else len(ruleset.rows)
    trace = tuple({"row": n, "matched": n in fired} for n in range(1, last + 1))
    default_used = False
    if fired and policy == "collect":
        outcome = _collect(ruleset, [ruleset.rows[n - 1].then for n in fired])
    elif fired:
        outcome = copy.deepcopy(ruleset.rows[fired[0] - 1].then)
    elif ruleset.default:
        default_used = True
        outcome = _collect(ruleset, [ruleset.default]) if policy == "collect" else \
            copy.deepcopy(ruleset.default)
    else:
        outcome = {}
    return Decision(ruleset=ruleset.key, version=ruleset.version, outcome=outcome, fired=fired,
                    default_used=default_used, inputs=copy.deepcopy(dict(inputs)), trace=trace)


def _collect(ruleset: Ruleset, thens: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    values: dict[str, list[Any]] = {}
    for then in thens:
        for key, value in then.items():
            values.setdefault(key, []).append(copy.deepcopy(value))
    order = [c.key for c in ruleset.outputs if c.key in values]
    order += [key for key in values if key not in order]
    return {key: values[key] for key in order}
