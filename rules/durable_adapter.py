"""durable-rules behind the Evaluator interface, with its sharp edges filed off.

The only module that imports `durable`. What it guards against (measured with 2.0.28):

- `Host()` starts timer threads that run actions in the background: `_QuietHost` has none, and
  one process-wide lock serialises every call into the (process-global) C engine.
- A message no rule matches raises, and `delete_state` after that segfaults: every compiled
  ruleset has a catch-all rule. `$nex`-only rules match the engine's own state message and loop:
  every rule requires the fact's `__kind` tag.
- Its matcher walks the network with a 64-entry stack; 65 alternatives matching one fact fail
  with error 303 (after which cleaning up segfaults). Tables are therefore compiled into chunks of
  at most `CHUNK_ALTERNATIVES` alternatives that can match together (an `$in` list counts once:
  one of its values matches at most), each its own durable ruleset, run in row order.
- Its regex engine mishandles a repetition right before `|` and blows up on repeated `{n,}`:
  `durable_pattern` rewrites patterns around both; `conditions.pattern_problem` keeps `$mt` to
  the subset on which it and Python agree.
- Ruleset names cannot be reused or removed: each version compiles once, under `key@version`
  (further chunks `key@version#2`, ...), and is cached; `register_rulesets` gets a deep copy.
- A `{"$m": field}` value (compare with another field) is durable's own shape, but durable
  compares with an absent property as if the comparison held: each such test also requires the
  field (`$ex`).
- State lives per sid: every run uses a fresh uuid sid and deletes it in `finally`.
- Comparisons on absent properties never match in durable, so rows on missing inputs do not
  match as long as only coerced inputs are posted (absent inputs are left out, never null).
- Its JSON parser keeps string escapes: a value holding `"`, `\\` or a control character is
  seen escaped (`\\` is two characters to `$mt` and to ordering). Equality survives that, the rest
  does not, so such values (and rulesets with such literals) are matched by the reference
  semantics instead; they are rare, and the reference is what the language means.
"""
from __future__ import annotations

import copy
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from durable import engine

from rules.conditions import (
    EXISTENCE,
    LOGICAL,
    ORDERING,
    REF,
    alternatives,
    equal,
    validate_condition,
)
from rules.errors import RuleError
from rules.evaluation import Decision, check_evaluable, coerce_inputs, decide
from rules.reference import matching_rows
from rules.ruleset import Row, Ruleset
from rules.messages import N_, joined

logger = logging.getLogger(__name__)

KIND = "__kind"
FORM = "form"
CHUNK_ALTERNATIVES = 60  # < 64, the matcher's stack; the catch-all ends on a shared node
CATCH_ALL = "zz_catch_all"
CATCH_ALL_PRI = 1_000_000

_ENGINE_LOCK = threading.Lock()


class _QuietHost(engine.Host):
    """A Host that starts no timer threads: actions run synchronously inside post/assert_fact."""

    def _run(self) -> None:
        return None


@dataclass(frozen=True)
class _Compiled:
    ruleset: Ruleset
    names: tuple[str, ...]  # empty: durable would misread the ruleset's strings (see above)


class DurableEvaluator:
    """Evaluates rulesets on durable-rules; each instance owns its Host and compiled versions.

    `first` posts the fact as an event (only the first matching row by priority fires);
    `unique` and `collect` assert it as a fact (every matching row fires).
    """

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._compiled: dict[str, _Compiled] = {}
        self._failed: dict[str, tuple[Ruleset, str]] = {}
        self._fired: dict[str, list[int]] = {}

    def evaluate(self, ruleset: Ruleset, data: Mapping[str, Any]) -> Decision:
        check_evaluable(ruleset)
        inputs = coerce_inputs(ruleset, data)
        fact = to_fact(inputs)
        with _ENGINE_LOCK:
            compiled = self._compile(ruleset)
            if compiled.names and not any(_escaped(v) for v in inputs.values()):
                matched = self._match(compiled, fact)
            else:
                matched = matching_rows(ruleset, inputs)
        return decide(ruleset, inputs, matched)

    def _compile(self, ruleset: Ruleset) -> _Compiled:
        ref = ruleset.ref
        known = self._compiled.get(ref)
        if known is not None:
            _same_version(known.ruleset, ruleset)
            return known
        failed = self._failed.get(ref)
        if failed is not None:
            _same_version(failed[0], ruleset)
            raise RuleError(failed[1])
        definitions = compile_ruleset(ruleset)
        if _escaped(definitions):
            compiled = self._compiled[ref] = _Compiled(ruleset, ())
            return compiled
        actions = copy.deepcopy(definitions)
        for chunk in actions.values():
            for name, rule in chunk.items():
                rule["run"] = _ignore if name == CATCH_ALL else _recorder(self._fired, rule["pri"])
        try:
            self._host.register_rulesets(actions)
        except Exception as exc:
            message = N_("ruleset %(ref)s: durable-rules refused it: %(exc)s", ref=ref, exc=exc)
            self._failed[ref] = (ruleset, message)
            raise RuleError(message) from exc
        compiled = _Compiled(ruleset, tuple(definitions))
        self._compiled[ref] = compiled
        return compiled

    def _match(self, compiled: _Compiled, fact: dict[str, Any]) -> list[int]:
        policy = compiled.ruleset.hit_policy
        matched: list[int] = []
        for name in compiled.names:
            matched.extend(self._run_chunk(name, fact, post=policy == "first"))
            if (policy == "first" and matched) or (policy == "unique" and len(matched) > 1):
                break
        return matched

    def _run_chunk(self, name: str, fact: dict[str, Any], post: bool) -> list[int]:
        sid = uuid.uuid4().hex
        message = dict(fact, sid=sid)
        self._fired[sid] = []
        done = False
        try:
            if post:
                self._host.post(name, message)
            else:
                self._host.assert_fact(name, message)
            done = True
        except Exception as exc:
            # Cleaning up after a failed assert can segfault: leave that one state behind.
            logger.error("durable-rules failed on %s (sid %s left behind): %s", name, sid, exc)
            raise RuleError(N_("ruleset %(name)s: durable-rules failed: %(exc)s", name=name, exc=exc)) from exc
        finally:
            fired = self._fired.pop(sid, [])
            if done:
                self._host.delete_state(name, sid)
        return sorted(set(fired))


def _same_version(known: Ruleset, given: Ruleset) -> None:
    if known is not given and known != given:
        raise RuleError(N_("ruleset %(ref)s differs from the one already compiled under that version; publish "
                           "the change as a new version", ref=given.ref))


def _escaped(value: Any) -> bool:
    """Whether JSON must escape some string in `value` (durable would then misread it)."""
    if isinstance(value, str):
        if any(ch in '"\\' or ch < " " for ch in value):
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, Mapping):
        return any(_escaped(k) or _escaped(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_escaped(v) for v in value)
    return False


def _recorder(fired: dict[str, list[int]], row: int) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        bucket = fired.get(c.s.sid)
        if bucket is not None:
            bucket.append(row)
    return action


def _ignore(c: Any) -> None:
    return None


# ---------------------------------------------------------------- compilation (pure)


def to_fact(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The durable message for coerced inputs: dotted keys nested, tagged `__kind: form`."""
    fact: dict[str, Any] = {}
    for key, value in inputs.items():
        *parents, last = key.split(".")
        target = fact
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    fact[KIND] = FORM
    return fact


def compile_ruleset(ruleset: Ruleset) -> dict[str, dict[str, Any]]:
    """durable ruleset definitions (without actions), one per chunk, in row order.

    Each row becomes a rule `rNNN` with `pri` = its row number whose condition ANDs the
    `__kind` tag with the row's condition; each chunk ends with a lowest-priority catch-all.
    """
    types = {c.key: c.type for c in ruleset.inputs}
    rules: list[tuple[int, dict[str, Any]]] = []
    for number, row in enumerate(ruleset.rows, start=1):
        rules.append((alternatives(row.when, in_values=False), _rule(ruleset, types, number, row)))
    chunks: list[dict[str, Any]] = [{}]
    used = 0
    for cost, rule in rules:
        if cost > CHUNK_ALTERNATIVES:
            raise RuleError(N_("ruleset %(ref)s: row %(pri)s expands to %(cost)s alternatives; at most "
                               "%(chunk_alternatives)s can run",
                               ref=ruleset.ref, pri=rule['pri'], cost=cost, chunk_alternatives=CHUNK_ALTERNATIVES))
        if used + cost > CHUNK_ALTERNATIVES:
            chunks.append({})
            used = 0
        chunks[-1][f"r{rule['pri']:03d}"] = rule
        used += cost
    definitions: dict[str, dict[str, Any]] = {}
    for index, chunk in enumerate(chunks):
        chunk[CATCH_ALL] = {"all": [{"m": {KIND: FORM}}], "pri": CATCH_ALL_PRI}
        definitions[ruleset.ref if index == 0 else f"{ruleset.ref}#{index + 1}"] = chunk
    return definitions


def _rule(ruleset: Ruleset, types: dict[str, str], number: int, row: Row) -> dict[str, Any]:
    problems = validate_condition(row.when, types, f"rows[{number - 1}].when")
    if problems:
        raise RuleError(N_("ruleset %(ref)s: %(problems)s", ref=ruleset.ref, problems=joined([str(p) for p in problems])))
    return {"all": [{"m": {"$and": [{KIND: FORM}, to_durable(row.when)]}}], "pri": number}


def to_durable(cond: Mapping[str, Any]) -> dict[str, Any]:
    """A (validated) condition in durable's JSON: `$ne` → `$neq`, `$in`/`$nin` → `$or`/`$and`."""
    ((key, arg),) = cond.items()
    if key in LOGICAL:
        return {key: [to_durable(sub) for sub in arg]}
    if not key.startswith("$"):
        return _guarded(arg, {key: arg})
    ((field, value),) = arg.items()
    if key == "$ne":
        return _guarded(value, {"$neq": {field: value}})
    if key in ("$in", "$nin"):
        distinct: list[Any] = []
        for v in value:
            if not any(equal(v, seen) for seen in distinct):
                distinct.append(v)
        tests = [{field: v} if key == "$in" else {"$neq": {field: v}} for v in distinct]
        return tests[0] if len(tests) == 1 else {"$or" if key == "$in" else "$and": tests}
    if key == "$mt":
        return {key: {field: durable_pattern(value)}}
    if key in ORDERING:
        return _guarded(value, {key: {field: value}})
    if key in EXISTENCE:
        return {key: {field: value}}
    raise RuleError(N_('cannot compile operator "%(key)s"', key=key))  # pragma: no cover - validated before


def _guarded(value: Any, test: dict[str, Any]) -> dict[str, Any]:
    """`test`, also requiring the field a `{"$m": field}` value names: durable compares with an
    absent property as if the comparison held."""
    if isinstance(value, Mapping) and REF in value:
        return {"$and": [{"$ex": {value[REF]: 1}}, test]}
    return test


def durable_pattern(pattern: str) -> str:
    """A (validated) `$mt` pattern rewritten around two bugs of durable's regex engine.

    A repetition right before `|` leaks into the next alternative (`a*|b` matches "ab"), so every
    alternative is put in its own group; `X{n,}` overflows its automaton when repeated, so it
    becomes `X{n}X*`.
    """
    text, _ = _alternatives(pattern, 0)
    return text


def _alternatives(p: str, i: int) -> tuple[str, int]:
    branches = [""]
    while i < len(p) and p[i] != ")":
        if p[i] == "|":
            branches.append("")
            i += 1
            continue
        if p[i] == "(":
            inner, i = _alternatives(p, i + 1)
            atom = f"({inner})"
            i += 1  # the ")"
        elif p[i] == "[":
            end = p.index("]", i)
            atom, i = p[i:end + 1], end + 1
        else:
            atom, i = p[i], i + 1
        quantifier = ""
        if i < len(p) and p[i] in "*+?":
            quantifier, i = p[i], i + 1
        elif i < len(p) and p[i] == "{":
            end = p.index("}", i)
            quantifier, i = p[i:end + 1], end + 1
        if quantifier.endswith(",}"):
            low = int(quantifier[1:-2])
            branches[-1] += (f"{atom}{{{low}}}" if low else "") + f"{atom}*"
        else:
            branches[-1] += atom + quantifier
    if len(branches) == 1:
        return branches[0], i
    return "|".join(f"({b})" for b in branches), i

