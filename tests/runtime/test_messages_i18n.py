"""The runtime's messages in the reader's language: `runtime.i18n.Text` itself, the errors on the
task and away pages and in the flash area, and what formflow writes in the record (`runtime.notes`),
each in Chinese (cookie formflow_lang=zh_CN) and in English; the API and the events stay English."""
from __future__ import annotations

import html
import json
import pickle
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from runtime import i18n, notes
from runtime.app import create_app
from runtime.errors import WORDS, TransitionNotAllowed, ValidationFailed
from runtime.i18n import CATALOG_DIR, N_, Text
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.flows import approval, publish, task
from tests.runtime.test_pages import HX, expense_form, sign_in
from tests.support import assert_reloads, bearer, claim, reading_in

RETURN_TO = 'cannot return to "%(to)s": one of %(choices)s'


# -- the message type ----------------------------------------------------------------------------

def test_a_text_is_its_english_sentence_and_carries_its_message():
    text = N_(RETURN_TO, to="x", choices="submitter, a")
    assert isinstance(text, str) and text == 'cannot return to "x": one of submitter, a'
    assert type(str(text)) is str and str(text) == text
    assert (text.msgid, text.params) == (RETURN_TO, {"to": "x", "choices": "submitter, a"})
    assert json.dumps({"to": text}) == json.dumps({"to": str(text)})  # the API and the log see English
    assert orjson.dumps({"to": text}) == orjson.dumps({"to": str(text)})
    again = pickle.loads(pickle.dumps(text))
    assert (again, again.msgid, again.params) == (text, text.msgid, text.params)
    with reading_in("zh_CN"):
        assert text.localized() == i18n.localized(text) == "无法退回到“x”：只能退回到以下之一：submitter, a"
    with reading_in("en"):
        assert text.localized() == str(text)


def test_params_that_are_messages_are_translated_with_it_other_params_never():
    refused = TransitionNotAllowed("add a signer", "approved")
    assert str(refused) == 'cannot add a signer: the task is already "approved"'
    acted = N_("cannot withdraw: %(who)s has already acted on it (%(action)s)", who="approve", action=WORDS["approve"])
    with reading_in("zh_CN"):
        assert i18n.localized(refused.args[0]) == "无法加签：该任务已是“已同意”状态"
        assert acted.localized() == "无法撤回：approve 已处理过此申请（同意）"  # a username stays as it is
    with reading_in("en"):
        assert i18n.localized(refused.args[0]) == str(refused)


def test_plain_strings_go_through_the_catalog_and_anything_unknown_stays_english(monkeypatch):
    with reading_in("zh_CN"):
        assert i18n.localized("required") == "必填"  # builder.formdata's plain messages
        assert i18n.localized("something nobody translated") == "something nobody translated"
        assert N_("no such message %(x)s", x=1).localized() == "no such message 1"
        assert i18n.localized_errors(ValidationFailed({"reason": N_("say what needs fixing"),
                                                       "amount": "required"}).errors) == {
            "reason": "请说明需要修改什么", "amount": "必填"}
        monkeypatch.setattr(i18n, "gettext", lambda message: "坏的翻译 %(nope)s")
        assert N_(RETURN_TO, to="x", choices="a").localized() == 'cannot return to "x": one of a'


def test_every_recorded_sentence_reads_back_into_its_message():
    for template in notes.TEMPLATES:
        params = {name: f"<{name}>" for name in re.findall(r"%\((\w+)\)s", template.msgid)}
        read = notes.read(str(template.fill(**params)))
        assert isinstance(read, Text) and (read.msgid, read.params) == (template.msgid, params), template
    nested = str(notes.TO_ADMIN.fill(why=notes.NOBODY_FITS.fill(who=notes.ROLE.fill(role="finance"))))
    assert nested == 'nobody fits role "finance"; routed to the process admin'
    with reading_in("zh_CN"):
        assert i18n.localized(notes.read(nested)) == "找不到角色“finance”；已转给流程管理员"
        assert i18n.localized(notes.read("Checked with the client")) == "Checked with the client"
    assert notes.read("") == "" and notes.read(None) is None


@pytest.mark.parametrize("path", sorted(CATALOG_DIR.glob("**/*.po*")), ids=lambda p: p.parent.parent.name)
def test_every_catalog_is_well_formed(path):
    """Branches merge the catalogs by union, which can cut an entry apart: a broken one must fail here."""
    with path.open("rb") as catalog:
        read_po(catalog, abort_invalid=True)


def test_every_message_in_the_code_and_templates_has_a_chinese_translation():
    """What babel.cfg extracts (gettext calls, N_ marks, template strings) is what pages can show."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = CATALOG_DIR.parents[1]
    with (root / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    extracted = {message if isinstance(message, str) else message[0]
                 for _, _, message, _, _ in extract_from_dir(str(root), method_map, options_map, keywords=keywords)}
    with (CATALOG_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        chinese = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(po, locale="zh_CN") if m.id}
    assert sorted(m for m in extracted if not chinese.get(m)) == []


def test_the_chinese_catalog_translates_every_message_with_its_params():
    with (CATALOG_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="zh_CN")
    params = re.compile(r"%\((\w+)\)[sd]")
    for message in (m for m in catalog if m.id):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy and all(strings), ids
        assert all(set(params.findall(s)) == set(params.findall(ids[-1])) for s in strings), ids
    for text in (*notes.TEMPLATES, *WORDS.values()):
        assert catalog.get(text.msgid) is not None, text.msgid


# -- the pages -------------------------------------------------------------------------------------

ZH, EN = "zh_CN", "en"
SAID = {  # what a person reads, by language
    "to yourself": {ZH: "不能把任务转交给自己", EN: "cannot transfer the task to yourself"},
    "position": {ZH: "须选择“在我之前”或“在我之后”", EN: 'must be "before" or "after"'},
    "no reason": {ZH: "请说明需要修改什么", EN: "say what needs fixing"},
    "return to x": {ZH: "无法退回到“x”：只能退回到以下之一：申请人", EN: 'cannot return to "x": one of the submitter'},
    "stale": {ZH: "你打开此任务之后，已有人处理过它。请刷新页面查看最新情况，然后重试。",
              EN: "This task has changed since you opened it: someone acted on it in the meantime. "
                  "Reload the page to see it as it is now, then try again."},
    "stranger": {ZH: "你没有参与此申请", EN: "you are not involved in this request"},
    "no user": {ZH: "没有用户 'nobody'", EN: "no user 'nobody'"},
    "not a date": {ZH: "必须是日期（YYYY-MM-DD）", EN: "must be a date (YYYY-MM-DD)"},
    "yourself": {ZH: "不能委托给自己", EN: "cannot delegate to yourself"},
    "acted": {ZH: "无法撤回：李娜 已处理过此申请（同意）", EN: "cannot withdraw: Li Na has already acted on it (approve)"},
    "urged": {ZH: "每小时只能催办一次", EN: "urging is possible once an hour"},
    "not returned": {ZH: "现在无法重新提交：该申请当前状态为“进行中”。", EN: "You cannot resubmit now: this request is running."},
}


@pytest.fixture
def app():
    return create_app(Settings(demo=True), MemoryRepository())


@contextmanager
def signed_in(app, username: str, locale: str) -> Iterator[tuple[TestClient, str]]:
    with TestClient(app, follow_redirects=False) as client:
        client.cookies.set("formflow_lang", locale)
        yield client, sign_in(client, username)


def read(response) -> str:
    return html.unescape(response.text)


def filed_claim(app) -> tuple[str, str]:
    """zhang.wei's expense claim, filed through the page: its URL and the head's task id."""
    with signed_in(app, "zhang.wei", EN) as (staff, csrf):
        url = staff.post("/start/expense", data=expense_form(csrf), headers=HX).headers["HX-Redirect"].split("?")[0]
    return url, app.state.workflow.state.instances[url.rsplit("/", 1)[1]].task_ids[-1]


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_task_page_says_what_is_wrong_in_the_readers_language(app, locale):
    _, task_id = filed_claim(app)
    with signed_in(app, "li.na", locale) as (head, csrf):
        posts = {"to yourself": ("transfer", {"to": "li.na"}),
                 "position": ("add-signer", {"user": "zhou.jie", "position": "middle"}),
                 "no reason": ("return", {"to": "submitter", "reason": " "}),
                 "return to x": ("return", {"to": "x", "reason": "Fix the dates"})}
        for said, (action, form) in posts.items():
            r = head.post(f"/tasks/{task_id}/{action}", data={"csrf_token": csrf, **form}, headers=HX)
            assert r.status_code == 422 and SAID[said][locale] in read(r), said
            assert 'id="actions"' in r.text and "HX-Retarget" not in r.headers  # the fragment, not the flash
        stale = head.post(f"/tasks/{task_id}/approve", data={"csrf_token": csrf, "version": "0"}, headers=HX)
        assert stale.status_code == 409 and stale.headers["HX-Retarget"] == "#flash"
        assert SAID["stale"][locale] in read(stale)
    with signed_in(app, "sun.li", locale) as (stranger, csrf):
        r = stranger.post(f"/tasks/{task_id}/urge", data={"csrf_token": csrf}, headers=HX)
        assert r.status_code == 403 and r.headers["HX-Retarget"] == "#flash" and SAID["stranger"][locale] in read(r)
    assert app.state.workflow.state.tasks[task_id].assignee == "li.na"  # nothing happened


@pytest.mark.parametrize("locale", [ZH, EN])
def test_the_away_page_says_what_is_wrong_in_the_readers_language(app, locale):
    with signed_in(app, "li.na", locale) as (web, csrf):
        r = web.post("/me/away", data={"csrf_token": csrf, "to": "nobody", "start": "soon", "end": "2026-12-01"},
                     headers=HX)
        assert r.status_code == 422 and SAID["no user"][locale] in read(r) and SAID["not a date"][locale] in read(r)
        r = web.post("/me/away", data={"csrf_token": csrf, "to": "li.na", "start": "2026-12-01",
                                       "end": "2026-12-01"}, headers=HX)
        assert r.status_code == 422 and SAID["yourself"][locale] in read(r)


@pytest.mark.parametrize("locale", [ZH, EN])
def test_withdraw_urge_and_resubmit_refusals_in_the_readers_language(app, locale):
    url, task_id = filed_claim(app)
    instance_id = url.rsplit("/", 1)[1]
    wf = app.state.workflow
    wf.act(wf.org.user("li.na"), task_id, "approve")
    with signed_in(app, "zhang.wei", locale) as (staff, csrf):
        r = staff.post(f"{url}/withdraw", data={"csrf_token": csrf}, headers=HX)
        assert r.status_code == 409 and r.headers["HX-Retarget"] == "#flash" and SAID["acted"][locale] in read(r)
        following = wf.state.instances[instance_id].task_ids[-1]
        assert staff.post(f"/tasks/{following}/urge", data={"csrf_token": csrf}, headers=HX).status_code == 200
        r = staff.post(f"/tasks/{following}/urge", data={"csrf_token": csrf}, headers=HX)
        assert r.status_code == 409 and SAID["urged"][locale] in read(r)
        r = staff.get(f"{url}/resubmit")
        assert r.status_code == 409 and SAID["not returned"][locale] in read(r)


# -- the record ------------------------------------------------------------------------------------

def test_what_formflow_wrote_in_the_record_reads_in_the_readers_language_and_stays_english_in_events(app):
    with TestClient(app, follow_redirects=False) as client:
        wf = app.state.workflow
        today = datetime.now(ZoneInfo(wf.timezone)).date()
        end = (today + timedelta(days=1)).isoformat()
        wf.set_delegation(wf.org.user("li.na"), {"to": "chen.gang", "start": (today - timedelta(days=1)).isoformat(),
                                                  "end": end})
        away = wf.start(wf.org.user("zhang.wei"), "expense", claim([100])).id
        publish(wf, "policies", approval("nobody", assignee={"kind": "dept_head", "levels": 3}),
                approval("s1", "chen.gang"), approval("s2", "chen.gang"), task("pay", "sun.li"),
                policies={"no_assignee": "auto_approve", "repeat_approver": "auto_approve"})
        passed = wf.start(wf.org.user("zhang.wei"), "policies", claim([100])).id
        wf.act(wf.org.user("chen.gang"), wf.state.instances[passed].task_ids[-1], "approve")
        written = {
            (away, f"li.na is away until {end}; delegated to chen.gang"): f"li.na 外出至 {end}，已委托 chen.gang 代理",
            (passed, "nobody fits the submitter's head 3 level(s) up; approved automatically (flow policy)"):
                "找不到申请人的上 3 级主管；已自动同意（流程规则）",
            (passed, "approved automatically: chen.gang approved the step before"): "已自动同意：chen.gang 已审批过上一步",
        }
        for (instance, english), chinese in written.items():
            events = wf.state.instances[instance].events
            said = [v for e in events for k, v in e.items() if k in ("note", "comment", "reason") and v == english]
            assert said and all(type(v) is str for v in said)  # plain English in the event, nothing beside it
            assert not any("msgid" in e or "params" in e for e in events)
            api = client.get(f"/api/instances/{instance}", headers=bearer(client, "zhang.wei")).json()
            assert any(english in (e.get("note"), e.get("comment")) for e in api["events"])
        sign_in(client, "zhang.wei")
        for locale in (ZH, EN):
            client.cookies.set("formflow_lang", locale)
            pages = {i: read(client.get(f"/instances/{i}")) for i in (away, passed)}
            for (instance, english), chinese in written.items():
                assert (chinese if locale == ZH else english) in pages[instance]
                assert (english if locale == ZH else chinese) not in pages[instance]
        assert_reloads(wf)
