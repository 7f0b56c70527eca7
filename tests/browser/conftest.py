"""Real-browser tests: Playwright drives Debian's Chromium against a live uvicorn server."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.app import create_app
from runtime.settings import Settings
from tests.support import served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run `apt-get install -y chromium` (see README.md)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "locale": "en-US"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on its own data directory, in a thread of this process."""
    with served(create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True))) as url:
        yield url


@pytest.fixture(autouse=True)
def csp_refusals(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Every browser test fails if Chromium refused anything under the Content-Security-Policy
    (an inline script or handler, an `hx-on`, a style attribute): what it refused is listed. A test
    that provokes refusals on purpose asks for this list and empties it."""
    refused: list[str] = []
    if "page" in request.fixturenames:
        request.getfixturevalue("page").on("console", lambda message: refused.append(message.text)
                                           if "Content Security Policy" in message.text else None)
    yield refused
    assert not refused, "refused under the Content-Security-Policy:\n" + "\n".join(refused)
