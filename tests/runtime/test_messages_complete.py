"""Every message the runtime, builder and rules raise reads in zh_CN and in English (issue 11 item 4):
the catalog holds each one with its params, no refusal in the code is a bare English string, and
the designers show definition problems in the reader's language while the API stays English."""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

import runtime.app  # noqa: F401 (imports every error class the scan looks for)
from rules.errors import FormflowError, Problem
from rules.messages import N_, Text, reason
from rules.words import word
from runtime import i18n
from runtime.app import create_app
from runtime.i18n import CATALOG_DIR
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from runtime.web.rendering import make_templates
from tests.runtime import test_designer_pages as rules_pages
from tests.support import definitions_copy, demo_with_auditor, reading_in, signed_in

ROOT = CATALOG_DIR.parents[1]
PARAM = re.compile(r"%\((\w+)\)[sd]")
ZH, EN = "zh_CN", "en"


# -- the catalog ---------------------------------------------------------------------------------

def _extracted() -> dict[str, set[str]]:
    """msgid → the files it comes from, as `pybabel extract` with babel.cfg reads the code."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found: dict[str, set[str]] = {}
    for filename, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords):
        for msgid in (message,) if isinstance(message, str) else message:
            found.setdefault(msgid, set()).add(filename.split("/")[0])
    return found


def test_babel_extracts_the_runtime_builder_rules_and_templates():
    layers = {layer for files in _extracted().values() for layer in files}
    assert {"runtime", "builder", "rules", "templates"} <= layers


def test_every_extracted_message_has_chinese_with_the_same_params():
    with (CATALOG_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="zh_CN")
    wrong = []
    for msgid in _extracted():
        entry = catalog.get(msgid) or next((m for m in catalog if isinstance(m.id, tuple) and msgid in m.id), None)
        strings = () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not strings or not all(strings) or any(set(PARAM.findall(s)) != set(PARAM.findall(msgid)) for s in strings
                                                  if not isinstance(entry.id, tuple)):
            wrong.append(msgid)
    assert wrong == []


# -- the code: no bare English where a person reads it -----------------------------------------------

# What never reaches a person in the product's pages (the terminal and logs read English), with why.
NOT_FOR_PEOPLE = {
    "runtime/calendar.py": "the working calendar is a file the operator names at start-up; its problems go "
                           "to the terminal, like every CLI message",
    "runtime/store/": "storage invariants and the operator's commands (backup, restore, the audit key, a "
                      "corrupt log): the terminal and the logs, never a page",
    "runtime/cli.py": "the command line",
    "runtime/cli_trust.py": "the command line",
    "runtime/audit.py": "the audit chain's verification report, read on the command line",
    "runtime/events.py": "a programmer's mistake building an event, refused before it is written",
    "runtime/outbox/mail.py": "a malformed --smtp address, refused at start-up on the command line",
    "runtime/web/pdf.py": "the PDF renderer refusing to fetch a URL: a template's mistake, logged, never shown",
}
# TransitionNotAllowed(action, state) names the action by its key: runtime.errors.WORDS translates it.
KEYED = {"TransitionNotAllowed"}


def _error_names() -> set[str]:
    def below(cls: type) -> set[str]:
        return {cls.__name__}.union(*(below(sub) for sub in cls.__subclasses__()))
    return below(FormflowError) | {"ValueError"}


def _plain(node: ast.AST | None) -> str | None:
    """How `node` is a message not wrapped in N_, or None."""
    if isinstance(node, ast.JoinedStr):
        return "f-string"
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return "literal"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, (ast.Constant, ast.JoinedStr)):
        return "%-formatted"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
            and isinstance(node.func.value, (ast.Constant, ast.JoinedStr)):
        return ".format"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and (_plain(node.left) or _plain(node.right)):
        return "concatenated"
    return None


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _messages(tree: ast.AST, errors: set[str]) -> Iterator[ast.AST]:
    """The nodes that are messages for people: a Problem's message, a ValidationFailed's values, an
    error's first argument, what an `errors[...]` of field messages is given."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "Problem":
            yield from node.args[1:2]
            yield from (k.value for k in node.keywords if k.arg == "message")
        elif isinstance(node, ast.Call) and _name(node.func) == "ValidationFailed" and node.args \
                and isinstance(node.args[0], ast.Dict):
            yield from node.args[0].values
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _name(node.exc.func) in errors \
                and _name(node.exc.func) not in KEYED:
            yield from node.exc.args[:1]
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript) \
                and isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id == "errors":
            yield node.value


def test_no_message_for_people_is_bare_english():
    errors = _error_names()
    bare = []
    for layer in ("builder", "rules", "runtime"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if any(where.startswith(prefix) for prefix in NOT_FOR_PEOPLE):
                continue
            text = path.read_text(encoding="utf-8")
            for node in _messages(ast.parse(text), errors):
                if (how := _plain(node)) is not None:
                    bare.append(f"{where}:{node.lineno}: {how}: {ast.get_source_segment(text, node)}")
    assert bare == []


def test_the_scan_sees_what_it_forbids():
    tree = ast.parse('raise ValueError(f"no {x}")\nout.append(Problem(p, "missing"))\n'
                     'raise ValidationFailed({"a": "bad %s" % x})\nerrors[k] = "x" + y\n'
                     'raise BadRequest(N_("fine"))\nraise TransitionNotAllowed("urge", state)\n')
    found = [_plain(n) for n in _messages(tree, _error_names())]  # N_ and a dict are fine, the keyed one not read
    assert sorted(filter(None, found)) == ["%-formatted", "concatenated", "f-string", "literal"]
    assert found.count(None) == 2


def test_a_caught_message_keeps_its_words_and_a_word_param_translates():
    refused = ValueError(N_('no %(kind)s "%(unknown)s"', kind=word("department"), unknown="x"))
    kept = reason(refused)
    assert isinstance(kept, Text) and kept == 'no department "x"'
    assert reason(ValueError("a", 1)) == str(ValueError("a", 1))
    problem = Problem("fields[0]", kept)
    with reading_in(ZH):
        assert i18n.localized_problem(problem) == "fields[0]: 没有部门“x”"
    with reading_in(EN):
        assert i18n.localized_problem(problem) == str(problem) == 'fields[0]: no department "x"'


# -- the designers, in both languages ------------------------------------------------------------------

SAID = {
    "deadline": {ZH: "必须是 1 到 1000 之间的整数，实际为“soon”",
                 EN: 'must be a whole number from 1 to 1000, got "soon"'},
    "branch": {ZH: '缺失：进入此分支的条件，例如 {"$gt": {"total": 5000}}',
               EN: 'missing: the condition that takes this branch, e.g. {"$gt": {"total": 5000}}'},
    "min": {ZH: "必须是数字，实际为“lots”", EN: 'must be a number, got "lots"'},
    "bounds": {ZH: "min 0.01 大于 max 0", EN: "min 0.01 is greater than max 0"},
    "option": {ZH: '"cfo" 不在以下选项之中：none, vp, gm', EN: '"cfo" is not one of none, vp, gm'},
    "shadowed": {ZH: "第 2 行永远不会命中：第 1 行已覆盖它匹配的全部情况",
                 EN: "row 2 can never fire: row 1 covers everything it matches"},
}


@pytest.fixture(scope="module")
def seeded() -> MemoryRepository:
    return demo_with_auditor()


@contextmanager
def designer(app, locale: str) -> Iterator[tuple[TestClient, str]]:
    with TestClient(app, follow_redirects=False) as client:
        app.state.templates = make_templates(strict=True)
        client.cookies.set("formflow_lang", locale)
        yield client, signed_in(client, "admin")


HX = {"HX-Request": "true"}


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_flow_designer_says_what_is_wrong_in_the_readers_language(seeded, locale):
    app = create_app(Settings(), definitions_copy(seeded))
    with designer(app, locale) as (web, csrf):
        page = "/designer/flows/contract"
        r = web.post(f"{page}/steps/legal", headers=HX, data={"csrf_token": csrf, "_changed": "s.deadline.amount",
                                                              "s.deadline.amount": "soon"})
        assert r.status_code == 422 and r.template.name == "designer/flow.html"
        assert r.context["refused"].at("s.deadline.amount") == [SAID["deadline"][locale]]
        r = web.post(f"{page}/steps", headers=HX, data={"csrf_token": csrf, "container": "", "index": "0",
                                                       "kind": "branch"})
        assert r.status_code == 200
        listed = r.context["tree"].problems  # the list above the tree, each on its step
        assert [(p.step, p.message) for p in listed] == [("branch", SAID["branch"][locale])]
    api = web_api_problems(app, "/api/flows/contract/problems")
    assert SAID["branch"][EN] in api["errors"].values()  # the API reads English whoever asks


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_form_designer_says_what_is_wrong_in_the_readers_language(seeded, locale):
    app = create_app(Settings(), definitions_copy(seeded))
    with designer(app, locale) as (web, csrf):
        page = "/designer/forms/expense-claim"
        r = web.post(f"{page}/fields/items.amount", headers=HX,
                     data={"csrf_token": csrf, "_changed": "p.min", "p.min": "lots"})
        assert r.status_code == 422 and r.template.name == "designer/form.html"
        assert r.context["placed"].of("items.amount", "min") == [SAID["min"][locale]]
        r = web.post(f"{page}/fields/items.amount", headers=HX, data={"csrf_token": csrf, "_changed": "p.max", "p.max": "0"})
        assert r.status_code == 422 and r.context["placed"].of("items.amount", "min") == [SAID["bounds"][locale]]


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_rule_designer_shows_problems_and_lint_in_the_readers_language(locale):
    app = create_app(Settings(demo=True), MemoryRepository())
    with designer(app, locale) as (web, csrf):
        page = rules_pages.PAGE
        r = web.post(f"{page}/table", data=rules_pages.table_form(web, rows_0_then_tier="cfo"), headers=HX)
        assert r.status_code == 422 and r.template.name.startswith("designer/")
        assert any(SAID["option"][locale] in p for p in r.context["table"].rows[0].problems)
        r = web.post(f"{page}/table", data=rules_pages.table_form(web, rows_1_c_0_value="60000"), headers=HX)
        assert r.status_code == 200 and SAID["shadowed"][locale] in r.context["table"].rows[1].findings
        lint = web.get(f"/api/rulesets/{rules_pages.KEY}/lint").json()["findings"]
        assert SAID["shadowed"][EN] in [f["message"] for f in lint]  # the API reads English


def web_api_problems(app, url: str) -> dict:
    """What the JSON API says about a draft (English, whichever language the caller reads)."""
    with TestClient(app, follow_redirects=False) as client:
        client.cookies.set("formflow_lang", ZH)
        token = client.post("/api/login", json={"username": "admin", "password": "demo"}).json()["token"]
        return client.get(url, headers={"Authorization": f"Bearer {token}"}).json()
