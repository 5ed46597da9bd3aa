"""``prgate app create``: register the GitHub App from ``app.yml`` with GitHub's manifest flow.

1. A small HTTP server on this machine (127.0.0.1 by default) serves one page
   whose form posts the manifest — ``app.yml`` plus the webhook URL and this
   server's redirect URL — to ``{GitHub}/settings/apps/new`` (or the
   organization's), with a random ``state``.
2. The person confirms on GitHub; GitHub redirects the browser back to
   ``/redirect?code=...&state=...``.
3. The state is compared in constant time; the one-time code is traded for
   the App's id, private key and webhook secret (``POST
   /app-manifests/{code}/conversions``, in ``workers.github``), which are
   written to a ``.env`` file (mode 0600) that git is made to ignore.

GitHub Enterprise Server works the same way with ``GHE_HOST``/``GHE_PROTOCOL``.
The standard library's HTTP server is enough here: it serves two pages once,
to one browser, on the loopback interface.
"""

from __future__ import annotations

import hmac
import html
import json
import os
import secrets
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import yaml

from workers.engine.git import git_env
from workers.shared.settings import Settings

MANIFEST_FIELDS = {  # what GitHub's manifest flow accepts
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


class ManifestError(Exception):
    """The manifest flow cannot go on; the message says why and what to do."""


def load_manifest(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"{path} must be a mapping of manifest fields")
    unknown = sorted(set(data) - MANIFEST_FIELDS)
    if unknown:
        raise ManifestError(f"{path}: GitHub's manifest has no field {', '.join(unknown)}")
    return data


def build_manifest(
    base: dict[str, Any], webhook_url: str, redirect_url: str, name: str | None = None
) -> dict[str, Any]:
    manifest = {**base, "hook_attributes": {"url": webhook_url, "active": True}}
    manifest["redirect_url"] = redirect_url
    if name:
        manifest["name"] = name
    return manifest


def new_app_url(settings: Settings, org: str | None, state: str) -> str:
    where = f"/organizations/{quote(org)}/settings/apps/new" if org else "/settings/apps/new"
    return f"{settings.web_url}{where}?state={quote(state)}"


def env_text(existing: str, values: dict[str, str]) -> str:
    """``existing`` .env text with ``values`` set (other lines kept); values double-quoted,
    newlines as ``\\n`` (python-dotenv and Docker Compose read them back; prgate accepts both)."""
    kept = [
        line
        for line in existing.splitlines()
        if line.split("=", 1)[0].strip().removeprefix("export ").strip() not in values
    ]
    for key, value in values.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        kept.append(f'{key}="{escaped}"')
    return "\n".join(kept) + "\n"


def holds_app(env_file: Path) -> bool:
    if not env_file.exists():
        return False
    return any(line.strip().startswith("APP_ID=") for line in env_file.read_text().splitlines())


def write_env(env_file: Path, values: dict[str, str]) -> None:
    """Write the credentials with mode 0600, never readable by others even for a moment."""
    existing = env_file.read_text() if env_file.exists() else ""
    text = env_text(existing, values)
    tmp = env_file.with_name(env_file.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, env_file)


def ensure_ignored(env_file: Path) -> str | None:
    """Make git ignore the .env file when it sits in a work tree; what was done, if anything."""
    folder = env_file.parent
    inside = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=git_env(),
    )
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "--", env_file.name], cwd=folder, env=git_env()
    )
    if ignored.returncode == 0:
        return None
    gitignore = folder / ".gitignore"
    before = gitignore.read_text() if gitignore.exists() else ""
    sep = "" if not before or before.endswith("\n") else "\n"
    gitignore.write_text(f"{before}{sep}/{env_file.name}\n")
    return f"added /{env_file.name} to {gitignore}"


@dataclass
class Flow:
    """One run of the manifest flow, served on ``host:port``."""

    settings: Settings
    manifest_base: dict[str, Any]
    webhook_url: str
    env_file: Path
    convert: Callable[[str], dict[str, Any]]
    org: str | None = None
    name: str | None = None
    host: str = "127.0.0.1"
    port: int = 3000
    state: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    done: threading.Event = field(default_factory=threading.Event)  # the answer page is sent
    finished: bool = False  # a redirect was handled (there is only one)
    _once: threading.Lock = field(default_factory=threading.Lock)
    result: dict[str, Any] | None = None
    error: str | None = None
    on_listening: Callable[[], None] = lambda: None  # called once the port is bound

    @property
    def local_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def manifest(self) -> dict[str, Any]:
        return build_manifest(
            self.manifest_base, self.webhook_url, f"{self.local_url}/redirect", self.name
        )

    def start_page(self) -> str:
        action = html.escape(new_app_url(self.settings, self.org, self.state))
        manifest = html.escape(json.dumps(self.manifest()))
        return (
            "<!doctype html><meta charset=utf-8><title>Register prgate</title>"
            f'<form id=f method=post action="{action}">'
            f'<input type=hidden name=manifest value="{manifest}">'
            "<p>This registers a GitHub App from prgate's app.yml.</p>"
            "<button type=submit>Register the GitHub App</button></form>"
        )

    def finish(self, query: str) -> tuple[int, str]:
        """Handle GitHub's redirect: (HTTP status, page)."""
        params = parse_qs(query)
        code = (params.get("code") or [""])[0]
        state = (params.get("state") or [""])[0]
        if not code or not hmac.compare_digest(state.encode(), self.state.encode()):
            return 400, "This redirect does not belong to this run of prgate app create."
        with self._once:
            if self.finished:
                return 409, "The App was registered already; see the terminal."
            self.finished = True
        try:
            app = self.convert(code)
            values = {
                "APP_ID": str(app["id"]),
                "WEBHOOK_SECRET": str(app["webhook_secret"]),
                "PRIVATE_KEY": str(app["pem"]),
            }
        except KeyError as exc:
            self.error = f"GitHub's answer lacks {exc}"
        except Exception as exc:  # shown to the person; the terminal gets it too
            self.error = str(exc)
        else:
            if self.settings.ghe_host:
                values["GHE_HOST"] = self.settings.ghe_host
                values["GHE_PROTOCOL"] = self.settings.ghe_protocol
            write_env(self.env_file, values)
            self.result = app
        if self.error is not None:
            return 502, f"Registering the App failed: {html.escape(self.error)}"
        slug = html.escape(str(self.result.get("slug", "")) if self.result else "")
        return 200, f"Registered {slug}. Close this tab and return to the terminal."

    def serve(self, timeout: float) -> None:
        """Serve until GitHub redirects back (or ``timeout`` seconds pass)."""
        server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        self.port = int(server.server_address[1])
        self.on_listening()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            if not self.done.wait(timeout):
                raise ManifestError(
                    f"no redirect from GitHub within {int(timeout)} s; "
                    "run `prgate app create` again"
                )
        finally:
            server.shutdown()
            server.server_close()
        if self.error is not None:
            raise ManifestError(f"GitHub did not convert the manifest: {self.error}")


def _handler(flow: Flow) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # no request logging
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/":
                self._send(200, flow.start_page())
            elif url.path == "/redirect":
                try:
                    self._send(*flow.finish(url.query))
                finally:
                    if flow.finished:  # only now may `serve` stop: the page is sent
                        flow.done.set()
            else:
                self._send(404, "Not found")

        def _send(self, status: int, page: str) -> None:
            body = page.encode()
            self.send_response(status)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler
