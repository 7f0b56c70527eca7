"""Fixtures for every test: none reads the audit key the person running the tests may have set."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from runtime.store.audit_key import ENV


@pytest.fixture(autouse=True, scope="session")
def _no_audit_key_from_the_environment() -> Iterator[None]:
    """`FORMFLOW_AUDIT_KEY_FILE` unset for the whole session (before any module's server starts),
    so data directories in tests get their keys beside them, in the tests' temporary directories,
    never in the key file of whoever runs the tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(ENV, raising=False)
        yield
