"""After every action the page a person lands on says what happened and where the request goes
next (issue 11 item 2): the sentence is recomputed from the record for the kind the address
names, never read from it. The demo's expense process: head, finance, VP above 5,000, cashier."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.outcome_words import Waiting, sentence, since_own
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.test_pages import HX, expense_form
from tests.support import reading_in, signed_in


@pytest.fixture
def app():
    return create_app(Settings(demo=True), MemoryRepository())


class People:
    """A signed-in client per person, reading English, each with its CSRF token."""

    def __init__(self, app) -> None:
        self.app, self.clients = app, {}

    def __call__(self, username: str) -> tuple[TestClient, str]:
        if username not in self.clients:
            client = TestClient(self.app, follow_redirects=False).__enter__()
            client.cookies.set("formflow_lang", "en")
            self.clients[username] = (client, signed_in(client, username))
        return self.clients[username]

    def close(self) -> None:
        for client, _ in self.clients.values():
            client.__exit__(None, None, None)


@pytest.fixture
def people(app) -> Iterator[People]:
    found = People(app)
    yield found
    found.close()


def post(people: People, username: str, path: str, **form: str) -> str:
    """Post as a page's htmx form does; the address it sends the person to."""
    client, csrf = people(username)
    r = client.post(path, data={**form, "csrf_token": csrf}, headers=HX)
    assert r.status_code == 200 and "HX-Redirect" in r.headers, r.text
    return r.headers["HX-Redirect"]


def landed(people: People, username: str, url: str) -> dict | None:
    r = people(username)[0].get(url)
    assert r.status_code == 200
    assert r.template.name == "instance.html"
    return r.context["outcome"]


def said(people: People, username: str, url: str) -> str:
    found = landed(people, username, url)
    assert found is not None, url
    return found["sentence"]


def file_claim(people: People, **extra: str) -> str:
    """zhang.wei files a claim of 12,000 (VP tier); the request's address it lands on."""
    return post(people, "zhang.wei", "/start/expense", **expense_form("", **extra))


def task_of(app, url: str) -> str:
    instance = app.state.workflow.state.instances[url.split("?")[0].rsplit("/", 1)[1]]
    return next(t for t in reversed(instance.task_ids) if app.state.workflow.state.tasks[t].status == "open")


def test_submitting_says_who_acts_first(people):
    url = file_claim(people)
    assert url.endswith("?submitted=1")
    assert said(people, "zhang.wei", url) == "Your request was submitted. It now waits for Li Na (Department head review)."


def test_approving_says_whom_it_waits_for_and_offers_the_next_task(app, people):
    first, second = file_claim(people), file_claim(people)
    url = post(people, "li.na", f"/tasks/{task_of(app, first)}/approve", comment="fine")
    assert url.endswith("?done=approve")
    outcome = landed(people, "li.na", url)
    assert outcome["sentence"] == "You approved. It now waits for Zhao Min (Finance review)."
    assert outcome["next_task"] == task_of(app, second)  # her other open task
    url = post(people, "li.na", f"/tasks/{task_of(app, second)}/approve")
    assert landed(people, "li.na", url)["next_task"] == ""


def test_rejecting_says_the_request_has_ended(app, people):
    url = file_claim(people)
    url = post(people, "li.na", f"/tasks/{task_of(app, url)}/reject", reason="Not a business expense")
    assert said(people, "li.na", url) == "You rejected the request. It has ended."


def test_returning_to_the_submitter_and_resubmitting(app, people):
    url = file_claim(people)
    post(people, "li.na", f"/tasks/{task_of(app, url)}/approve")
    returned = post(people, "zhao.min", f"/tasks/{task_of(app, url)}/return", to="submitter", reason="Invoice 2 is a copy")
    assert returned.endswith("?done=return")
    assert said(people, "zhao.min", returned) == "Returned to Zhang Wei to correct."
    instance_url = url.split("?")[0]
    again = post(people, "zhang.wei", f"{instance_url}/resubmit", **expense_form(""))
    assert again == f"{instance_url}?done=resubmit"
    assert said(people, "zhang.wei", again) == "You resubmitted the request. It now waits for Zhao Min (Finance review)."


def test_returning_to_an_earlier_step(app, people):
    url = file_claim(people)
    post(people, "li.na", f"/tasks/{task_of(app, url)}/approve")
    back = post(people, "zhao.min", f"/tasks/{task_of(app, url)}/return", to="dept_head", reason="Which project?")
    assert said(people, "zhao.min", back) == ("Returned to Department head review. "
                                             "It now waits for Li Na (Department head review).")


def test_transfer_and_adding_a_signer(app, people):
    url = file_claim(people)
    task_id = task_of(app, url)
    added = post(people, "li.na", f"/tasks/{task_id}/add-signer", user="zhou.jie", position="after")
    assert added == f"/tasks/{task_id}?done=add-signer"  # still hers: the task page
    r = people("li.na")[0].get(added)
    assert r.context["outcome"]["sentence"] == ("Zhou Jie will sign after you. "
                                                "It now waits for you (Department head review).")
    moved = post(people, "li.na", f"/tasks/{task_id}/transfer", to="chen.gang", comment="On leave")
    assert said(people, "li.na", moved) == ("You handed the task to Chen Gang. "
                                           "It now waits for Chen Gang (Department head review).")


def test_urge_withdraw_and_comment(app, people):
    url = file_claim(people)
    urged = post(people, "zhang.wei", f"/tasks/{task_of(app, url)}/urge")
    assert said(people, "zhang.wei", urged) == "You reminded Li Na to act on Department head review."
    commented = post(people, "zhang.wei", f"{url.split('?')[0]}/comment", comment="Receipts in the post")
    assert commented.endswith("?done=comment")
    assert said(people, "zhang.wei", commented) == "Your comment is on the record."
    withdrawn = post(people, "zhang.wei", f"{url.split('?')[0]}/withdraw")
    assert said(people, "zhang.wei", withdrawn) == "You withdrew the request. It has ended."


def test_completing_the_last_step_says_the_request_is_complete(app, people):
    url = file_claim(people, **{"items-0-amount": "300", "items-1-amount": "200"})  # under the VP tier
    post(people, "li.na", f"/tasks/{task_of(app, url)}/approve")
    post(people, "zhao.min", f"/tasks/{task_of(app, url)}/approve")
    paid = post(people, "sun.li", f"/tasks/{task_of(app, url)}/complete")
    assert said(people, "sun.li", paid) == "You marked it as done. The request is complete."


def test_the_address_cannot_claim_what_did_not_happen(app, people):
    url = file_claim(people).split("?")[0]
    post(people, "li.na", f"/tasks/{task_of(app, url)}/approve")
    assert landed(people, "li.na", f"{url}?done=withdraw") is None  # she never withdrew it
    assert landed(people, "zhang.wei", f"{url}?done=approve") is None  # he never approved it
    assert landed(people, "li.na", f"{url}?done=<script>") is None
    assert landed(people, "li.na", url) is None


def test_an_empty_comment_comes_back_with_its_error(app, people):
    url = file_claim(people).split("?")[0]
    client, csrf = people("zhang.wei")
    r = client.post(f"{url}/comment", data={"csrf_token": csrf, "comment": "  "}, headers=HX)
    assert r.status_code == 422 and r.context["comment_error"] == "write something"


def test_the_sentence_in_chinese_and_the_pure_function():
    caused = [{"action": "approve", "actor": "li.na", "step": "dept_head"}]
    waiting = [Waiting("he.ming", "tech"), Waiting("ma.li", "quality")]
    names = {"he.ming": "何明", "ma.li": "马丽"}
    titles = {"tech": "技术评审", "quality": "质量评审"}
    with reading_in("zh_CN"):
        assert sentence(caused, "li.na", "zhang.wei", "running", waiting, names.get, titles.get) == \
            "你已同意。现在等待 何明（技术评审）、马丽（质量评审） 处理。"
    events = [{"action": "start", "actor": "zhang.wei"}, {"action": "approve", "actor": "li.na"},
              {"action": "task", "actor": "system"}]
    assert since_own(events, "approve", "li.na") == events[1:]
    assert since_own(events, "approve", "zhang.wei") == []
    assert since_own(events, "nonsense", "li.na") == []
