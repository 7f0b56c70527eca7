"""The `{% cache %}` tag (runtime.web.fragment_cache): a fragment renders once per key, and the
form designer's workspace rendered with cached cards, expression helper and preview fields is exactly
the workspace rendered afresh, through every kind of edit, selection, insert menu and language."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2
import pytest
from jinja2_fragments import render_block
from starlette.testclient import TestClient

from runtime import i18n
from runtime.app import create_app
from runtime.settings import Settings
from runtime.web.fragment_cache import FragmentCache, FragmentCacheExtension
from runtime.web.rendering import make_templates
from tests.runtime.test_designer_pages import sign_in
from tests.support import definitions_copy, demo_with_auditor

KEY = "expense-claim"
PAGE = f"/designer/forms/{KEY}"


def _env(source: str) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader({"t": source}), extensions=[FragmentCacheExtension],
                              autoescape=True)


def test_a_fragment_renders_once_per_key_and_again_for_a_new_key() -> None:
    calls: list[str] = []

    def seen(name: str) -> str:
        calls.append(name)
        return name

    env = _env("{% for x in xs %}{% cache 'x', x %}<b>{{ seen(x) }}</b>{% endcache %}{% endfor %}")
    template = env.get_template("t")
    assert template.render(xs=["a", "b", "a"], seen=seen) == "<b>a</b><b>b</b><b>a</b>"
    assert calls == ["a", "b"]
    assert template.render(xs=["a", "c"], seen=seen) == "<b>a</b><b>c</b>"
    other = "en" if i18n.current_locale.get() != "en" else "zh_CN"
    token = i18n.current_locale.set(other)  # the reader's language is part of every key
    try:
        assert template.render(xs=["a"], seen=seen) == "<b>a</b>"
    finally:
        i18n.current_locale.reset(token)
    assert calls == ["a", "b", "c", "a"]


def test_cached_fragments_stay_escaped_markup_and_unhashable_keys_just_render() -> None:
    env = _env("{% cache 'x', v %}{{ v }}{% endcache %}|{% cache 'y', [v] %}{{ v }}{% endcache %}")
    template = env.get_template("t")
    for _ in range(2):
        assert template.render(v="<script>") == "&lt;script&gt;|&lt;script&gt;"


def test_the_cache_is_bounded_and_forgets_the_least_recently_used() -> None:
    cache = FragmentCache(size=2)
    cache.put("a", 1), cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)


# ---------------------------------------------------------------- the designer's canvas


@pytest.fixture(scope="module")
def seeded() -> Any:
    return demo_with_auditor()


@pytest.fixture
def app(seeded: Any) -> Any:
    return create_app(Settings(), definitions_copy(seeded))


@pytest.fixture
def web(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        app.state.templates = make_templates(strict=True)
        yield client


def _fresh(response: Any) -> str:
    """The workspace (or the preview) rendered again from the response's context by templates with
    an empty cache."""
    context, name = response.context, response.template.name
    block = "preview_body" if name == "designer/_preview.html" else "workspace"
    token = i18n.current_locale.set(context["locale"])
    try:
        return render_block(make_templates(strict=True).env, name, block, context)
    finally:
        i18n.current_locale.reset(token)


def test_the_workspace_with_cached_fragments_is_the_workspace_rendered_afresh(app: Any, web: TestClient) -> None:
    csrf = sign_in(web, "admin")
    en, zh = {"HX-Request": "true", "Accept-Language": "en"}, {"HX-Request": "true", "Accept-Language": "zh-CN"}

    def post(url: str, headers: dict[str, str] = en, **data: str) -> Any:
        return web.post(PAGE + url, data={"csrf_token": csrf, **data}, headers=headers)

    steps = [
        lambda: web.get(PAGE + "?field=reason", headers=en),
        lambda: post("/fields/reason", **{"_changed": "p.label.en", "p.label.en": "Purpose"}),
        lambda: post("/fields/reason", **{"_changed": "p.label.en", "p.label.en": "Purpose <b>"}),
        lambda: post("/fields/category", **{"_changed": "p.required", "p.required": ""}),
        lambda: post("/fields/total", **{"_changed": "p.label.en", "p.label.en": "Sum"}),  # a chip of reason's helper
        lambda: web.get(PAGE + "?field=reason", headers=en),
        lambda: post("/fields/total", **{"_changed": "p.computed", "p.computed": "sum(items.amount) +"}),  # refused
        lambda: web.get(PAGE + "?field=category&insert=items", headers=en),
        lambda: post("/fields", type="date", index="1"),
        lambda: post("/fields/date/move", direction="down"),
        lambda: post("/fields/items.amount", **{"_changed": "p.min", "p.min": "lots"}),  # refused: problems shown
        lambda: post("/fields/items/columns", type="date", index="0"),
        lambda: post("/undo", selected="items"),
        lambda: web.get(PAGE + "?field=reason", headers=zh),
        lambda: post("/fields/reason/delete", headers=zh),
        lambda: post("/fields/date/duplicate"),
        lambda: web.get(PAGE, headers=en),
        # the preview with sample data: values, a wrong choice and date, messages, totals, a required_when
        lambda: post("/preview", **{"sample.category": "travel", "sample.date": "2026-01-05"}),
        lambda: post("/preview", **{"sample.category": "bogus", "sample.date": "soon"}),
        lambda: post("/fields/category", **{"_changed": "p.label.en", "p.label.en": "Kind",
                                            "sample.category": "bogus", "sample.date": "2026-01-05"}),
        lambda: post("/preview", **{"sample.category": "office", "sample.date": "2026-01-05",
                                    "sample.items[0].amount": "12.5"}),
        lambda: post("/fields/date", **{"_changed": "p.required", "p.required": "on", "sample.category": "office"}),
        lambda: post("/preview", **{"sample.category": "office"}),
        lambda: post("/preview", headers=zh, **{"sample.category": "office"}),
        lambda: post("/fields/date", **{"_changed": "p.required", "p.required": ""}),
        lambda: post("/fields/date", **{"_changed": "p.required_when", "p.required_when": '{"category": "travel"}',
                                        "sample.category": "office", "sample.date": "2026-01-05"}),
        lambda: post("/preview", **{"sample.category": "travel", "sample.date": "2026-01-05"}),  # required now
        lambda: post("/preview", **{"sample.category": "office", "sample.date": "2026-01-05"}),
    ]
    statuses: list[int] = []
    for number, step in enumerate(steps):
        response = step()
        assert response.status_code in (200, 422), number
        statuses.append(response.status_code)
        assert response.text == _fresh(response), f"step {number}"
    assert statuses.count(422) == 2  # only the refused expression and the refused minimum
    assert len(app.state.templates.env.fragment_cache) > 0
