"""kill -9 over HTTP: the real server (`python -m runtime.cli serve --demo`) under load from threads,
killed 30 times at random moments; every action it acknowledged is in the record and
`formflow audit verify` passes (the event log's own kill -9 test is in test_eventlog.py)."""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from runtime.cli import main
from tests.runtime.http_load import Acknowledged, load, missing, sign_in
from tests.support import ROOT

KILLS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """The server in its own process (its output appended to `server.log` beside the data), once it listens."""
    log = data_dir.with_name("server.log")
    with log.open("ab") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "serve", "--demo", "--data", str(data_dir), "--port", str(port),
             "--escalate-every", "0"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=output, stderr=output)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.02)


def kill_9(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGKILL)
    server.wait()


def test_every_acknowledged_action_survives_30_kill_9s_under_load(tmp_path: Path) -> None:
    data_dir, port, chance = tmp_path / "data", free_port(), random.Random(10)
    url = f"http://127.0.0.1:{port}"
    acked = Acknowledged()
    server = start_server(data_dir, port)
    tokens = sign_in(url)
    for _ in range(KILLS):
        with load(url, tokens, acked):
            time.sleep(chance.uniform(0.05, 0.35))
            kill_9(server)
        server = start_server(data_dir, port)
    kill_9(server)

    assert acked.count() > KILLS  # the load did reach the server between the kills
    assert missing(data_dir, acked) == []
    assert main(["audit", "verify", "--data", str(data_dir)]) == 0
    said = (tmp_path / "server.log").read_text(encoding="utf-8")
    assert said.count("made a new audit key") == 1 and str(tmp_path / "data.audit-key") in said
