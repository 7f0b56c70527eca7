"""The Content-Security-Policy holds in Chromium: pages work with scripts from our own files only,
and script smuggled into a page (an inline handler, an inline script) does not run."""
from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.actions import sign_in


def test_markup_injected_into_a_page_runs_no_script(page: Page, server: str, csp_refusals: list[str]):
    sign_in(page, server, "zhang.wei")
    response = page.goto(f"{server}/inbox")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate("""() => {
        window.violations = [];
        document.addEventListener('securitypolicyviolation', e => window.violations.push(e.violatedDirective));
        document.body.insertAdjacentHTML('beforeend', '<img src="data:," onload="window.pwned = 1">');
        const script = document.createElement('script');
        script.textContent = 'window.pwned = 2';
        document.body.append(script);
    }""")
    page.wait_for_function("window.violations.length >= 2")
    assert page.evaluate("window.pwned") is None
    assert set(page.evaluate("window.violations")) <= {"script-src-attr", "script-src-elem"}
    assert len(csp_refusals) == 2  # these two, ours; nothing else may be refused
    csp_refusals.clear()
