"""app.yml and `prgate app create`: the manifest GitHub gets and the flow end to end.

The flow runs as the real `prgate app create` process; a browser is played by
httpx, and GitHub's conversion endpoint by the fake GitHub served over HTTP
(``GHE_HOST``), which is the edge prgate cannot reach in a test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bot.routing import _HANDLERS
from tests.conftest import git
from tests.support.fake_github import FakeGitHub, FakeServer, make_private_key
from tests.support.github_schemas import app_permissions, webhook_events
from workers.shared.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
PRGATE = str(Path(sys.executable).parent / "prgate")

# GitHub's manifest parameters (docs: "Registering a GitHub App from a manifest").
GITHUB_MANIFEST_FIELDS = {
    "name",
    "url",
    "hook_attributes",
    "redirect_url",
    "callback_urls",
    "setup_url",
    "description",
    "public",
    "default_events",
    "default_permissions",
    "request_oauth_on_install",
    "setup_on_update",
}


def test_app_yml_asks_for_exactly_what_prgate_uses() -> None:
    manifest = yaml.safe_load((ROOT / "app.yml").read_text())
    assert set(manifest) <= GITHUB_MANIFEST_FIELDS
    assert manifest["name"] and manifest["description"] and manifest["url"].startswith("https://")
    assert manifest["public"] is False
    permissions = manifest["default_permissions"]
    assert set(permissions) <= app_permissions()  # names GitHub's OpenAPI knows
    assert permissions == {
        "checks": "write",
        "contents": "read",
        "pull_requests": "write",
        "issues": "write",
        "metadata": "read",
        "merge_queues": "read",
    }
    events = manifest["default_events"]
    assert set(events) <= webhook_events() and len(events) == len(set(events))
    # the events the receiver routes to work (installation events need no subscription)
    assert set(events) == set(_HANDLERS)
    assert "hook_attributes" not in manifest and "redirect_url" not in manifest  # filled in


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.method = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action, self.method = values["action"], values["method"]
        elif tag == "input":
            self.fields[values["name"]] = values["value"]


@pytest.fixture
def github(tmp_path: Path) -> Iterator[tuple[FakeServer, FakeGitHub]]:
    _, public = make_private_key()
    fake = FakeGitHub(tmp_path, public)
    with FakeServer(fake, tmp_path) as server:
        yield server, fake


# The requests to `prgate app create` wait longer than it does: it gives up by itself
# (--timeout 60) and closes its connections, so none of them can hang, and a client
# timeout shorter than that would only fail the test on a busy machine.
WAIT = 90


def start(tmp_path: Path, server: FakeServer, *args: str) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if k not in ("APP_ID", "PRIVATE_KEY")}
    env.update(GHE_HOST=server.host, GHE_PROTOCOL="http")
    proc = subprocess.Popen(
        [
            PRGATE,
            "app",
            "create",
            "--port",
            "0",
            "--no-browser",
            "--timeout",
            "60",
            "--webhook-url",
            "https://prgate.example.com/api/github/webhooks",
            "--manifest",
            str(ROOT / "app.yml"),
            *args,
        ],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"open (http://127\.0\.0\.1:\d+)/ to register the App", line)
    assert match, line
    return proc, match.group(1)


def test_manifest_flow_end_to_end(tmp_path: Path, github: tuple[FakeServer, FakeGitHub]) -> None:
    server, fake = github
    git(tmp_path, "init", "-q")  # the .env must end up ignored by git
    pem, _ = make_private_key()
    fake.manifest_codes["c0de"] = {
        "id": 123456,
        "slug": "prgate-acme",
        "pem": pem,
        "webhook_secret": "whsec-from-github",
        "html_url": f"http://{server.host}/apps/prgate-acme",
        "client_id": "Iv1.x",
        "client_secret": "not-written",
    }
    proc, local = start(tmp_path, server, "--org", "acme")
    try:
        form = _Form()
        form.feed(httpx.get(f"{local}/", timeout=WAIT).text)
        assert form.method == "post"
        base = f"http://{server.host}/organizations/acme/settings/apps/new?state="
        assert form.action.startswith(base)
        state = form.action.removeprefix(base)
        manifest: dict[str, Any] = json.loads(form.fields["manifest"])
        assert manifest["hook_attributes"] == {
            "url": "https://prgate.example.com/api/github/webhooks",
            "active": True,
        }
        assert manifest["redirect_url"] == f"{local}/redirect"
        assert manifest["default_permissions"]["checks"] == "write"

        # a redirect that is not for this run changes nothing
        forged = httpx.get(
            f"{local}/redirect", params={"code": "c0de", "state": "guess"}, timeout=WAIT
        )
        assert forged.status_code == 400 and "c0de" in fake.manifest_codes

        done = httpx.get(f"{local}/redirect", params={"code": "c0de", "state": state}, timeout=WAIT)
        assert done.status_code == 200 and "Registered prgate-acme" in done.text
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    assert proc.stderr is not None
    said = proc.stderr.read()
    assert f"http://{server.host}/apps/prgate-acme/installations/new" in said
    assert "POST" in {
        m for m, p, _ in fake.requests if p.endswith("/app-manifests/c0de/conversions")
    }

    env_file = tmp_path / ".env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    text = env_file.read_text()
    assert "client_secret" not in text and "not-written" not in text
    assert git(tmp_path, "check-ignore", ".env").strip() == ".env"
    # the credentials read back as prgate reads them
    from dotenv import dotenv_values

    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    settings = load_settings(values)
    assert settings.app_id == 123456
    assert settings.webhook_secret == "whsec-from-github"
    assert settings.app_private_key().strip() == pem.strip()
    assert settings.ghe_host == server.host


def test_an_expired_code_is_a_clear_error(
    tmp_path: Path, github: tuple[FakeServer, FakeGitHub]
) -> None:
    server, _ = github
    proc, local = start(tmp_path, server)
    try:
        form = _Form()
        form.feed(httpx.get(f"{local}/", timeout=WAIT).text)
        state = form.action.split("state=", 1)[1]
        page = httpx.get(
            f"{local}/redirect", params={"code": "expired", "state": state}, timeout=WAIT
        )
        assert page.status_code == 502
        assert proc.wait(30) == 2
    finally:
        proc.kill()
    assert proc.stderr is not None
    said = proc.stderr.read()
    assert "GitHub did not convert the manifest: GitHub answered 404" in said
    assert not (tmp_path / ".env").exists()


def test_existing_credentials_are_not_overwritten(
    tmp_path: Path, github: tuple[FakeServer, FakeGitHub]
) -> None:
    (tmp_path / ".env").write_text("APP_ID=1\n")
    result = subprocess.run(
        [PRGATE, "app", "create", "--webhook-url", "https://x.example/hook", "--no-browser"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert ".env already holds an App's credentials (APP_ID); --force replaces them" in (
        result.stderr
    )
    assert (tmp_path / ".env").read_text() == "APP_ID=1\n"
