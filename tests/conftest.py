"""Fixtures and set-up for every test.

Every test's Starlette TestClient sends `Origin` as a browser does (`tests.support.SameOriginClient`):
the app refuses state-changing requests that do not say they came from its own pages. Installed
here, before any test module imports `starlette.testclient.TestClient`. And none reads the audit
key the person running the tests may have set."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import starlette.testclient

from runtime.store.audit_key import ENV
from tests.support import SameOriginClient

starlette.testclient.TestClient = SameOriginClient  # type: ignore[misc]


@pytest.fixture(autouse=True, scope="session")
def _no_audit_key_from_the_environment() -> Iterator[None]:
    """`FORMFLOW_AUDIT_KEY_FILE` unset for the whole session (before any module's server starts),
    so data directories in tests get their keys beside them, in the tests' temporary directories,
    never in the key file of whoever runs the tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(ENV, raising=False)
        yield
