"""Connections that never finish their request cannot lock deliveries out."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Repo = Callable[..., Path]


# --- 6. Connections that never finish their request cannot lock deliveries out ------------


def test_idle_and_bodiless_connections_do_not_lock_out_deliveries(
    redis_url: str, tmp_path: Path
) -> None:
    import resource
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from bot.signature import sign
    from tests.support.fake_github import free_port, wait_for

    port = free_port()
    secret = "hostile receiver test"
    env = {
        **os.environ,
        "WEBHOOK_SECRET": secret,
        "REDIS_URL": redis_url,
        "PRGATE_REQUEST_TIMEOUT": "2",
        "LOG_LEVEL": "warning",
    }

    def few_files() -> None:  # the receiver runs with 256 open files, as in the report
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    exe = Path(sys.executable).parent / "prgate"
    log = tmp_path / "serve.log"
    serve = subprocess.Popen(
        [str(exe), "serve", "--port", str(port)],
        env=env,
        preexec_fn=few_files,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    url = f"http://127.0.0.1:{port}/api/github/webhooks"
    attackers: list[socket.socket] = []
    try:
        if not wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 30):
            pytest.fail(f"prgate serve did not start: {log.read_text()[-2000:]}")
        for i in range(300):  # no signature needed: the body is read before it can be checked
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if i % 2:
                head = b"POST /api/github/webhooks HTTP/1.1\r\nHost: x\r\n"
                sock.sendall(head + b"Content-Length: 1000\r\n\r\n")
            attackers.append(sock)
        body = b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
        answered = []
        started = time.monotonic()
        with httpx.Client(timeout=15) as client:
            for n in range(10):
                headers = {
                    "X-GitHub-Event": "ping",
                    "X-GitHub-Delivery": f"ping-{n}",
                    "X-Hub-Signature-256": sign(secret, body),
                    "Content-Type": "application/json",
                }
                try:
                    answered.append(client.post(url, content=body, headers=headers).status_code)
                except httpx.HTTPError as exc:
                    answered.append(type(exc).__name__)
        took = time.monotonic() - started
        assert answered == [200] * 10, answered
        assert took < 10, f"10 deliveries took {took:.1f} s under the attack"
        # every attacker's connection is closed by the receiver, the bodiless ones with a 408
        statuses = [_closed_with(sock, 6) for sock in attackers]
        assert all(s is not None for s in statuses), statuses.count(None)
        assert {s for i, s in enumerate(statuses) if i % 2} <= {"408", ""}
    finally:
        for sock in attackers:
            sock.close()
        serve.terminate()
        serve.wait(30)
    assert "Traceback" not in log.read_text()  # an attack is not an error of the receiver's


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _closed_with(sock: Any, seconds: float) -> str | None:
    """The status the server answered before closing ("" for none); None if still open."""
    import time

    deadline = time.monotonic() + seconds
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            return None
        except OSError:
            return ""
        if not chunk:
            return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else ""
        data += chunk
    return None
