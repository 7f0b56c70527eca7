"""The inbox through HTTP: its four tabs and their counts, search, filters, sort, pages, the returned
request and the urged mark, batch approve, and who sees what; plus the query's pure helpers."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import ValidationFailed
from runtime.inbox_query import day_bounds, page_numbers, page_of, parse_query, rows_of, select, todo_page
from runtime.service import Workflow
from runtime.settings import Settings
from runtime.state import TaskStatus
from runtime.web.inbox_view import Facts
from runtime.web.rendering import make_templates
from tests.runtime.flows import approval, first_task, open_tasks, publish, task
from tests.support import FakeClock, claim, definitions_copy, demo_with_auditor, signed_in

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true"}
CC = {"id": "cc", "kind": "notify", "title": "Copy HR", "assignee": {"kind": "role", "role": "hr"}}


@pytest.fixture(scope="module")
def seeded() -> Any:
    return demo_with_auditor()


@pytest.fixture
def web(seeded: Any) -> Any:
    app = create_app(Settings(), definitions_copy(seeded))
    with TestClient(app, follow_redirects=False) as client:
        client.app.state.workflow.engine.now = FakeClock()
        client.app.state.templates = make_templates(strict=True)  # an undefined name in the page is an error
        client.cookies.set("formflow_lang", "en")
        yield client


def wf_of(web: Any) -> Workflow:
    return web.app.state.workflow


def file(wf: Workflow, who: str, amount: float, process: str = "expense") -> Any:
    return wf.start(wf.org.user(who), process, claim([amount]))


def page(web: Any, url: str = "/inbox", **headers: str) -> Any:
    r = web.get(url, headers={**EN, **headers})
    assert r.status_code == 200, r.text
    assert r.template.name == "inbox.html"
    return r


def shown(r: Any) -> list[str]:
    """The ids of the page's rows: tasks where the row is a task, else requests."""
    return [line.row.key for line in r.context["lines"]]


def amounts(r: Any) -> list[float | None]:
    return [float(line.amount) if line.amount is not None else None for line in r.context["lines"]]


# -- tabs and counts ---------------------------------------------------------------------------------

def test_each_tab_lists_its_own_with_every_count_on_every_tab(web):
    wf = wf_of(web)
    publish(wf, "review", approval("check", "li.na"), CC, task("pay", "zhao.min"))
    first, second = file(wf, "zhang.wei", 100), file(wf, "zhang.wei", 4_800)
    reviewed = file(wf, "wang.fang", 70, "review")  # li.na checks it, HR (wu.qiang) is copied in after
    wf.act(wf.org.user("li.na"), first_task(wf, first).id, "approve")
    wf.act(wf.org.user("li.na"), first_task(wf, reviewed).id, "approve")
    signed_in(web, "li.na")
    todo = page(web)
    assert todo.context["query"].tab == "todo"
    assert shown(todo) == [first_task(wf, second).id]
    counts = {"todo": 1, "done": 2, "cc": 0, "mine": 0}
    assert todo.context["counts"] == counts
    done = page(web, "/inbox?tab=done")
    assert [line.instance.id for line in done.context["lines"]] == [reviewed.id, first.id]  # latest first
    assert [line.row.action for line in done.context["lines"]] == ["approve", "approve"]
    assert done.context["counts"] == counts
    assert page(web, "/inbox?tab=cc").context["lines"] == [] and page(web, "/inbox?tab=mine").context["lines"] == []
    signed_in(web, "wu.qiang")
    cc = page(web, "/inbox?tab=cc")
    assert shown(cc) == [reviewed.id] and cc.context["counts"]["cc"] == 1
    signed_in(web, "zhang.wei")
    mine = page(web, "/inbox?tab=mine")
    assert shown(mine) == [second.id, first.id] and mine.context["counts"] == {"todo": 0, "done": 0, "cc": 0,
                                                                              "mine": 2}


def test_the_tabs_and_sorts_read_in_the_readers_language(web):
    signed_in(web, "li.na")
    web.cookies.set("formflow_lang", "zh_CN")
    text = web.get("/inbox").text
    assert all(word in text for word in ("待办", "已办", "抄送我的", "我发起的", "截止时间最近"))


def test_the_old_my_requests_address_leads_to_the_mine_tab(web):
    signed_in(web, "zhang.wei")
    assert web.get("/requests").headers["location"] == "/inbox?tab=mine"
    assert web.get("/requests?q=100").headers["location"] == "/inbox?tab=mine&q=100"


def test_a_tab_link_from_htmx_gets_the_tabs_and_list_and_typing_gets_the_list_alone(web):
    wf = wf_of(web)
    file(wf, "zhang.wei", 100)
    signed_in(web, "li.na")
    tabs = web.get("/inbox?tab=done", headers={**EN, **HX, "HX-Target": "div#inbox-body"})
    assert tabs.status_code == 200 and 'id="tab-todo"' in tabs.text and "<html" not in tabs.text
    listed = web.get("/inbox?q=zhang", headers={**EN, **HX, "HX-Target": "div#inbox-results"})
    assert 'id="inbox"' in listed.text and 'id="tab-todo"' not in listed.text
    restored = web.get("/inbox", headers={**EN, **HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text


# -- search, filters, sort -------------------------------------------------------------------------------

def test_search_finds_by_submitter_amount_process_title_and_id(web):
    wf = wf_of(web)
    by_zhang = file(wf, "zhang.wei", 4_800)
    publish(wf, "quick", approval("check", "li.na"))
    by_wang = file(wf, "wang.fang", 120, "quick")
    tasks = {i.id: first_task(wf, i).id for i in (by_zhang, by_wang)}
    signed_in(web, "li.na")
    for q, found in [("Zhang", [by_zhang]), ("张伟", [by_zhang]), ("wang.fang", [by_wang]), ("4,800", [by_zhang]),
                     ("4800", [by_zhang]), ("报销", [by_zhang]), ("expense reimb", [by_zhang]), ("quick", [by_wang]),
                     (by_wang.id, [by_wang]), ("Department head", [by_zhang]), ("120", [by_wang]),
                     ("nobody", [])]:
        r = page(web, f"/inbox?q={q}&sort=newest")
        assert shown(r) == [tasks[i.id] for i in found], q
        assert r.context["page"].total == len(found) and r.context["counts"]["todo"] == 2  # counts: the whole tab


def test_filters_by_process_status_and_date_and_sorts(web):
    wf = wf_of(web)
    publish(wf, "quick", approval("check", "li.na"))
    small, large = file(wf, "zhang.wei", 120), file(wf, "zhang.wei", 60_000)
    wf.engine.now.now += timedelta(days=3)  # filed three days later
    other = file(wf, "zhang.wei", 5_000, "quick")
    signed_in(web, "li.na")
    by_task = {i.id: first_task(wf, i).id for i in (small, large, other)}
    assert shown(page(web, "/inbox?process=quick")) == [by_task[other.id]]
    assert amounts(page(web, "/inbox?sort=amount")) == [60_000, 5_000, 120]
    assert shown(page(web, "/inbox?sort=newest")) == [by_task[other.id], by_task[large.id], by_task[small.id]]
    assert shown(page(web, "/inbox?sort=oldest")) == [by_task[small.id], by_task[large.id], by_task[other.id]]
    assert shown(page(web, "/inbox?to=2026-03-02")) == [by_task[small.id], by_task[large.id]]  # local dates
    assert shown(page(web, "/inbox?from=2026-03-05&to=2026-03-05")) == [by_task[other.id]]
    wf.act(wf.org.user("li.na"), by_task[other.id], "approve")  # quick has one step: it completes
    done = page(web, "/inbox?tab=done&status=completed")
    assert shown(done) == [by_task[other.id]]
    assert shown(page(web, "/inbox?tab=done&status=running")) == []


def test_overdue_work_first_by_default_and_the_overdue_filter(web):
    wf = wf_of(web)
    publish(wf, "timed", approval("check", "li.na", deadline={"amount": 4, "unit": "hours"}))
    plain = file(wf, "zhang.wei", 100)
    timed = file(wf, "zhang.wei", 200, "timed")
    signed_in(web, "li.na")
    plain_task, timed_task = first_task(wf, plain).id, first_task(wf, timed).id
    assert shown(page(web)) == [timed_task, plain_task]  # a deadline comes before none
    assert shown(page(web, "/inbox?overdue=1")) == []
    wf.engine.now.now += timedelta(days=1)  # Tuesday: four working hours are long gone
    r = page(web, "/inbox?overdue=1")
    assert shown(r) == [timed_task] and r.context["lines"][0].overdue and r.context["lines"][0].deadline
    signed_in(web, "zhang.wei")
    assert shown(page(web, "/inbox?tab=mine&overdue=1")) == [timed.id]  # a request with an overdue task


def test_a_malformed_parameter_is_refused_naming_it(web):
    signed_in(web, "li.na")
    for bad in ("tab=later", "sort=size", "from=yesterday", "page=0", "status=lost"):
        r = web.get(f"/api/inbox?{bad}")
        assert r.status_code == 422 and bad.split("=")[0] in r.json()["errors"], bad


def test_pages_of_fifty(web):
    wf = wf_of(web)
    filed = [file(wf, "zhang.wei", 100 + n) for n in range(53)]
    signed_in(web, "li.na")
    first = page(web, "/inbox?sort=oldest")
    assert (first.context["page"].total, first.context["page"].pages, len(first.context["lines"])) == (53, 2, 50)
    second = page(web, "/inbox?sort=oldest&page=2")
    assert shown(second) == [first_task(wf, i).id for i in filed[50:]]
    assert page(web, "/inbox?sort=oldest&page=9").context["page"].page == 2  # past the end: the last page
    body = web.get("/api/inbox?sort=oldest&page=2").json()
    assert (body["total"], body["page"], body["pages"], len(body["items"])) == (53, 2, 2, 3)
    assert body["counts"] == {"todo": 53, "done": 0, "cc": 0, "mine": 0}
    assert body["items"][0]["amount"] == "150" and body["items"][0]["kind"] == "task"


# -- what a row says -------------------------------------------------------------------------------------

def test_a_returned_request_waits_in_its_submitters_to_do_with_who_and_why(web):
    wf = wf_of(web)
    filed = file(wf, "zhang.wei", 4_800)
    wf.send_back(wf.org.user("li.na"), first_task(wf, filed).id, "submitter", "Attach the hotel invoice")
    signed_in(web, "zhang.wei")
    r = page(web)
    (line,) = r.context["lines"]
    assert line.row.task is None and line.row.action == "returned" and line.instance.id == filed.id
    assert line.returned[0] == "li.na" and line.returned[2] == "Attach the hotel invoice"
    assert f'href="/instances/{filed.id}/resubmit"' in r.text and r.context["counts"]["todo"] == 1
    item = web.get("/api/inbox").json()["items"][0]
    assert item["kind"] == "request" and item["returned"]["by"] == "li.na" and not item["batch"]
    wf.resubmit(wf.org.user("zhang.wei"), filed.id, claim([4_800]))
    assert page(web).context["lines"] == [] and page(web).context["counts"]["todo"] == 0


def test_an_urged_task_says_who_urged_and_when(web):
    wf = wf_of(web)
    filed = file(wf, "zhang.wei", 100)
    urged = wf.urge(wf.org.user("zhang.wei"), first_task(wf, filed).id)
    at = urged.events[-1]["at"]
    signed_in(web, "li.na")
    r = page(web)
    assert r.context["lines"][0].urged == ("zhang.wei", at)
    local = datetime.fromisoformat(at).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert f"urged by Zhang Wei at {local}" in r.text
    assert web.get("/api/inbox").json()["items"][0]["urged"] == {"by": "zhang.wei", "at": at}


# -- batch approve -------------------------------------------------------------------------------------

def batch_setup(wf: Workflow) -> dict[str, str]:
    """li.na's to-do: two simple approvals, one that asks for data, one task to complete."""
    publish(wf, "fill", approval("check", "li.na", fields={"reason": "editable"}))
    publish(wf, "work", task("do", "li.na"))
    made = {"one": file(wf, "zhang.wei", 100), "two": file(wf, "zhang.wei", 200),
            "data": file(wf, "zhang.wei", 300, "fill"), "work": file(wf, "zhang.wei", 400, "work")}
    return {name: first_task(wf, i).id for name, i in made.items()}


def test_only_simple_approvals_get_a_checkbox_the_others_say_why(web):
    wf = wf_of(web)
    ids = batch_setup(wf)
    signed_in(web, "li.na")
    lines = {line.row.key: line for line in page(web).context["lines"]}
    assert {k for k, line in lines.items() if line.batch} == {ids["one"], ids["two"]}
    assert str(lines[ids["data"]].note) == "needs data at this step"
    assert str(lines[ids["work"]].note) == "a task to complete, not an approval"
    assert f'value="{ids["one"]}"' in page(web).text and f'value="{ids["data"]}"' not in page(web).text


def test_batch_approve_approves_each_on_its_own_and_says_what_happened(web):
    wf = wf_of(web)
    ids = batch_setup(wf)
    csrf = signed_in(web, "li.na")
    form = {"csrf_token": csrf, "batch": "b1", "task": [ids["one"], ids["two"], ids["data"]], "comment": "ok"}
    r = web.post("/inbox/approve", data=form, headers=EN)
    assert r.status_code == 200 and r.template.name == "inbox.html"
    outcomes = {said.outcome.task: said.outcome for said in r.context["outcomes"]}
    assert [outcomes[ids[k]].ok for k in ("one", "two", "data")] == [True, True, False]
    assert str(outcomes[ids["data"]].message) == "needs data at this step"
    assert wf.state.tasks[ids["one"]].status is TaskStatus.APPROVED
    assert wf.state.tasks[ids["data"]].status is TaskStatus.OPEN
    for name in ("one", "two"):  # each its own decision, with the comment, under its own request id
        approved = [e for e in wf.state.instances[wf.state.tasks[ids[name]].instance].events if e["action"] == "approve"]
        assert len(approved) == 1 and approved[0]["comment"] == "ok" and approved[0]["request"] == f"b1:{ids[name]}"
    assert shown(r) == [ids["data"], ids["work"]]  # the list as it is now
    events = wf.state.last_seq
    again = web.post("/inbox/approve", data=form, headers=EN)  # a retry (the page reloaded): nothing twice
    assert [said.outcome.ok for said in again.context["outcomes"]][:2] == [True, True] and wf.state.last_seq == events
    assert web.get("/inbox?tab=done").context["counts"]["done"] == 2


def test_a_stale_task_in_a_batch_fails_alone_and_its_row_says_so(web):
    wf = wf_of(web)
    publish(wf, "either", approval("check", assignee={"kind": "chosen", "role": "", "multiple": True}, mode="any"))
    shared = wf.start(wf.org.user("zhang.wei"), "either", claim([100]), chosen={"check": ["li.na", "chen.gang"]})
    mine = {t.assignee: t.id for t in open_tasks(wf, shared.id)}
    simple = first_task(wf, file(wf, "zhang.wei", 200)).id
    csrf = signed_in(web, "li.na")
    wf.act(wf.org.user("chen.gang"), mine["chen.gang"], "approve")  # while li.na's page was open
    body = web.post("/api/tasks/batch-approve", json={"tasks": [mine["li.na"], simple], "comment": ""},
                    headers={"X-CSRF-Token": csrf}).json()
    assert body == {"results": [{"task": mine["li.na"], "ok": False,
                                 "message": "already settled by another approver's decision"},
                                {"task": simple, "ok": True, "message": "Approved"}]}


def test_a_failed_row_still_open_says_it_was_not_approved(web):
    wf = wf_of(web)
    ids = batch_setup(wf)
    csrf = signed_in(web, "li.na")
    r = web.post("/inbox/approve", data={"csrf_token": csrf, "task": [ids["data"]]}, headers=EN)
    (line,) = [line for line in r.context["lines"] if line.row.key == ids["data"]]
    assert str(line.failed) == "needs data at this step" and "Not approved: needs data at this step" in r.text


def test_batch_approve_needs_a_selection_the_csrf_token_and_an_actor(web):
    wf = wf_of(web)
    ids = batch_setup(wf)
    csrf = signed_in(web, "li.na")
    assert web.post("/inbox/approve", data={"csrf_token": csrf}, headers=EN).status_code == 422
    assert web.post("/inbox/approve", data={"task": [ids["one"]]}, headers=EN).status_code == 403
    assert web.post("/api/tasks/batch-approve", json={"tasks": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 422
    auditor = signed_in(web, "audit.gu")
    r = web.post("/api/tasks/batch-approve", json={"tasks": [ids["one"]]}, headers={"X-CSRF-Token": auditor})
    assert r.status_code == 403 and wf.state.tasks[ids["one"]].status is TaskStatus.OPEN


# -- who sees what -------------------------------------------------------------------------------------

def test_nobody_sees_another_persons_tasks_nor_approves_them(web):
    wf = wf_of(web)
    ids = batch_setup(wf)
    csrf = signed_in(web, "chen.gang")
    assert page(web).context["lines"] == [] and page(web).context["counts"]["todo"] == 0
    assert web.get("/api/inbox?q=zhang").json()["items"] == []
    body = web.post("/api/tasks/batch-approve", json={"tasks": [ids["one"]]}, headers={"X-CSRF-Token": csrf}).json()
    assert body["results"][0]["ok"] is False and wf.state.tasks[ids["one"]].status is TaskStatus.OPEN


def test_an_auditor_has_no_to_do(web):
    wf = wf_of(web)
    publish(wf, "audited", approval("check", "audit.gu"))
    file(wf, "zhang.wei", 100, "audited")
    signed_in(web, "audit.gu")
    r = page(web)
    assert r.context["lines"] == [] and r.context["counts"]["todo"] == 0
    assert web.get("/api/inbox").json()["counts"]["todo"] == 0


def test_a_hidden_amount_is_neither_shown_searched_nor_sorted_on(web):
    wf = wf_of(web)
    publish(wf, "blind", approval("check", "li.na", fields={"total": "hidden", "items": "hidden"}))
    file(wf, "zhang.wei", 777, "blind")
    signed_in(web, "li.na")
    (line,) = page(web).context["lines"]
    assert line.amount is None and "777.00" not in page(web).text
    assert page(web, "/inbox?q=777").context["lines"] == []


# -- the projection's indexes ------------------------------------------------------------------------------

def test_the_indexes_are_rebuilt_by_replaying_the_log(web):
    wf = wf_of(web)
    publish(wf, "review", approval("check", "li.na"), CC, task("pay", "zhao.min"))
    reviewed = file(wf, "wang.fang", 70, "review")
    wf.act(wf.org.user("li.na"), first_task(wf, reviewed).id, "approve")
    returned = file(wf, "zhang.wei", 100)
    wf.send_back(wf.org.user("li.na"), first_task(wf, returned).id, "submitter", "Fix it")
    again = Workflow(wf.repo, wf.engine.evaluator)
    for index in ("acted_by", "copied_at", "returned_to", "by_copied"):
        assert getattr(again.state, index) == getattr(wf.state, index), index
    assert list(again.state.returned_to["zhang.wei"]) == [returned.id]


def test_the_unfiltered_to_do_sorts_on_tasks_alone_exactly_as_the_full_selection(web):
    wf = wf_of(web)
    publish(wf, "timed", approval("check", "li.na", deadline={"amount": 4, "unit": "hours"}))
    for n in range(7):
        file(wf, "zhang.wei", 100 + n, "timed" if n % 3 == 0 else "expense")
    own = file(wf, "li.na", 50)  # her own claim, returned to her by her head: a request row among her tasks
    wf.send_back(wf.org.user(first_task(wf, own).assignee), first_task(wf, own).id, "submitter", "Which project?")
    file(wf, "zhang.wei", 900)
    wf.engine.now.now += timedelta(hours=30)
    facts = Facts(wf, wf.org.user("li.na"))
    look = facts.lookups()
    for sort in ("due", "newest", "oldest"):
        for number in (1, 2, 3):
            query = parse_query({"sort": sort, "page": str(number)})
            fast = todo_page(wf.state, "li.na", query, look, size=3)
            full = page_of(select(rows_of(wf.state, "li.na", "todo"), query, look), number, size=3)
            assert fast == full and fast.total == 9, (sort, number)
    assert todo_page(wf.state, "li.na", parse_query({"q": "x"}), look) is None


# -- the pure helpers ----------------------------------------------------------------------------------

def test_query_parameters_round_trip_and_dates_are_local_days():
    query = parse_query({"tab": "done", "q": "  Zhang   Wei ", "overdue": "1", "from": "2026-03-02", "page": "3"})
    assert (query.q, query.overdue, query.order) == ("Zhang Wei", True, "newest")
    assert parse_query(dict(parse_qsl(query.params()))) == query
    assert query.params(page=1) == "tab=done&q=Zhang+Wei&overdue=1&from=2026-03-02"
    with pytest.raises(ValidationFailed):
        parse_query({"q": "x" * 201})
    low, high = day_bounds("2026-03-02", "2026-03-02", ZoneInfo("Asia/Shanghai"))
    assert (low, high) == ("2026-03-01T16:00:00.000Z", "2026-03-02T16:00:00.000Z")
    assert page_numbers(1, 1) == [1]
    assert page_numbers(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_numbers(2, 4) == [1, 2, 3, 4]
    assert datetime(2026, 3, 2, tzinfo=UTC)  # (the tests' clock starts on Monday 2 March 2026)
