"""Authoring rulesets: drafts, what-if evaluation, saved test cases, lint, and publishing.

A designer edits a draft; nothing running sees it. Publishing validates the draft against every
form whose flow consults the ruleset, runs the saved test cases, and only then freezes a new
immutable version with a change note. Instances started before keep the version they pinned.
Drafts are evaluated with the reference evaluator: durable-rules cannot forget a compiled name,
and a draft changes with every edit (the two evaluators agree, which the differential test checks).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rules.evaluation import Decision
from rules.lint import lint_ruleset, publish_blockers
from rules.reference import ReferenceEvaluator
from rules.ruleset import Ruleset, parse_ruleset, validate_ruleset
from runtime.authoring import change_note, publish_recorded, version_history
from runtime.errors import Conflict, DefinitionError, NotFound, Problem, RuleError
from runtime.org import User
from runtime.service import Workflow
from rules.messages import reason
from runtime.i18n import N_

KIND = "ruleset"


@dataclass(frozen=True)
class TestCase:
    """Sample data and the outcome a designer expects for it; publishing runs every one."""

    name: str
    data: dict[str, Any]
    expect: dict[str, Any]

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> TestCase:
        return cls(name=doc.get("name", ""), data=dict(doc.get("data", {})), expect=dict(doc.get("expect", {})))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "data": self.data, "expect": self.expect}


@dataclass(frozen=True)
class TestResult:
    case: TestCase
    passed: bool
    outcome: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**self.case.to_dict(), "passed": self.passed, "outcome": self.outcome, "error": self.error}


@dataclass(frozen=True)
class Draft:
    """The designer's working copy: a ruleset document and its test cases, based on a version."""

    ruleset: dict[str, Any]
    tests: tuple[TestCase, ...]
    based_on: int

    def to_dict(self) -> dict[str, Any]:
        return {"ruleset": self.ruleset, "tests": [t.to_dict() for t in self.tests], "based_on": self.based_on}


def validate_tests(doc: Any, path: str = "tests") -> list[Problem]:
    if not isinstance(doc, list):
        return [Problem(path, N_("must be a list of test cases"))]
    problems = []
    for i, case in enumerate(doc):
        at = f"{path}[{i}]"
        if not isinstance(case, dict):
            problems.append(Problem(at, N_("must be an object with name, data and expect")))
            continue
        if not isinstance(case.get("name", ""), str):
            problems.append(Problem(f"{at}.name", N_("must be text")))
        for part in ("data", "expect"):
            if not isinstance(case.get(part), dict):
                problems.append(Problem(f"{at}.{part}", N_("must be an object")))
        problems += [Problem(f"{at}.{k}", N_("unknown key")) for k in case if k not in ("name", "data", "expect")]
    return problems


def run_tests(ruleset: Ruleset, tests: tuple[TestCase, ...]) -> list[TestResult]:
    """Each saved case through the reference evaluator: passed when the expected outputs match."""
    evaluator = ReferenceEvaluator()
    results = []
    for case in tests:
        try:
            outcome = evaluator.evaluate(ruleset, case.data).outcome
        except RuleError as exc:
            results.append(TestResult(case, False, error=reason(exc)))
            continue
        passed = all(outcome.get(k) == v for k, v in case.expect.items())
        results.append(TestResult(case, passed, outcome))
    return results


class RulesetAuthoring:
    """The rule designer's service, over the workflow's store and published definitions."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.repo = workflow.repo

    def summaries(self, user: User) -> list[dict[str, Any]]:
        self._require_designer(user)
        return [{"key": d["key"], "title": d.get("title", d["key"]), "version": d["version"],
                 "draft": self.repo.get_draft(KIND, d["key"]) is not None}
                for d in self.repo.list_definitions(KIND)]

    def draft(self, user: User, key: str) -> Draft:
        """The saved draft, or a fresh one from the latest published version."""
        self._require_designer(user)
        latest = self._latest(key)
        stored = self.repo.get_draft(KIND, key)
        if stored is None:
            tests = self._published_tests(key, latest.version)
            return Draft({**latest.to_dict(), "version": latest.version + 1}, tests, latest.version)
        return Draft(stored["ruleset"], tuple(TestCase.from_dict(t) for t in stored["tests"]),
                     stored["based_on"])

    def save(self, user: User, key: str, doc: Any) -> Draft:
        """Replace the draft; an invalid document is refused with every problem and changes nothing."""
        self._require_designer(user)
        latest = self._latest(key)
        if not isinstance(doc, dict):
            raise DefinitionError([Problem("", N_("must be an object with ruleset and tests"))])
        ruleset_doc, tests_doc = doc.get("ruleset"), doc.get("tests", [])
        problems = [Problem(k, N_("unknown key")) for k in doc if k not in ("ruleset", "tests", "based_on")]
        if isinstance(ruleset_doc, dict) and ruleset_doc.get("key") != key:
            problems.append(Problem("ruleset.key", N_('must be "%(key)s", the ruleset being edited', key=key)))
        problems += validate_ruleset(ruleset_doc, self.workflow.field_types_for_ruleset(key), "ruleset")
        problems += validate_tests(tests_doc)
        if problems:
            raise DefinitionError(problems)
        assert isinstance(ruleset_doc, dict)
        ruleset_doc = {**ruleset_doc, "version": latest.version + 1}
        draft = Draft(parse_ruleset(ruleset_doc).to_dict(),
                      tuple(TestCase.from_dict(t) for t in tests_doc), latest.version)
        self.repo.put_draft(KIND, key, draft.to_dict())
        return draft

    def discard(self, user: User, key: str) -> None:
        self._require_designer(user)
        self.repo.delete_draft(KIND, key)

    def evaluate(self, user: User, key: str, data: Any, version: int | None = None) -> Decision:
        """What-if: the draft (or a published version) on sample data."""
        ruleset = self._ruleset(user, key, version)
        if not isinstance(data, dict):
            raise DefinitionError([Problem("data", N_("must be an object of input values"))])
        return ReferenceEvaluator().evaluate(ruleset, data)

    def lint(self, user: User, key: str, version: int | None = None) -> list[dict[str, Any]]:
        return [finding.to_dict() for finding in lint_ruleset(self._ruleset(user, key, version))]

    def test_results(self, user: User, key: str) -> list[TestResult]:
        draft = self.draft(user, key)
        return run_tests(parse_ruleset(draft.ruleset), draft.tests)

    def publish(self, user: User, key: str, note: str) -> int:
        """Freeze the draft as the next version; refused while a saved test case fails."""
        draft = self.draft(user, key)
        note = change_note(note)
        problems = validate_ruleset(draft.ruleset, self.workflow.field_types_for_ruleset(key), "ruleset")
        if problems:
            raise DefinitionError(problems)
        ruleset = parse_ruleset(draft.ruleset)
        overlaps = publish_blockers(ruleset, "ruleset")
        if overlaps:
            raise DefinitionError(overlaps)
        failed = [r for r in run_tests(ruleset, draft.tests) if not r.passed]
        if failed:
            raise DefinitionError([Problem(f"tests[{draft.tests.index(r.case)}]", _failure(r)) for r in failed])
        latest = self._latest(key)
        if {**latest.to_dict(), "version": ruleset.version} == ruleset.to_dict():
            raise Conflict(N_("nothing to publish: the draft is the same as version %(version)s",
                              version=latest.version))
        with self.workflow.lock:
            version = publish_recorded(self.workflow, KIND, ruleset.to_dict(), user, note,
                                       tests=[t.to_dict() for t in draft.tests])
        self.repo.delete_draft(KIND, key)
        return version

    def history(self, user: User, key: str) -> list[dict[str, Any]]:
        """Every published version with who changed it, when and why (oldest first)."""
        self._require_designer(user)
        return version_history(self.workflow, KIND, key)

    def _ruleset(self, user: User, key: str, version: int | None) -> Ruleset:
        if version is not None:
            self._require_designer(user)
            return self.workflow.definition(KIND, key, version)
        return parse_ruleset(self.draft(user, key).ruleset)

    def _latest(self, key: str) -> Ruleset:
        try:
            return self.workflow.definition(KIND, key)
        except NotFound:
            raise NotFound(N_('no ruleset "%(key)s"', key=key)) from None

    def _published_tests(self, key: str, version: int) -> tuple[TestCase, ...]:
        for change in reversed(self.repo.list_changes(KIND, key)):
            if change["version"] <= version:
                return tuple(TestCase.from_dict(t) for t in change.get("tests", []))
        return ()

    def _require_designer(self, user: User) -> None:
        self.workflow.require_designer(user)


def _failure(result: TestResult) -> str:
    name = f'test "{result.case.name}"' if result.case.name else "a test case"
    if result.error:
        return f"{name} could not run: {result.error}"
    return f"{name} expects {result.case.expect}, but the draft gives {result.outcome}"
