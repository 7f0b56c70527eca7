"""Every test's Starlette TestClient sends `Origin` as a browser does (`tests.support.SameOriginClient`):
the app refuses state-changing requests that do not say they came from its own pages. Installed
here, before any test module imports `starlette.testclient.TestClient`."""
from __future__ import annotations

import starlette.testclient

from tests.support import SameOriginClient

starlette.testclient.TestClient = SameOriginClient  # type: ignore[misc]
