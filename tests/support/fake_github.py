"""A stand-in for GitHub at the HTTP level: REST, GraphQL and git smart HTTP.

One ``FakeGitHub`` holds the state (check runs, review threads, PRs) and
answers ``httpx.Request``s; respx routes in-process requests to it, and
``FakeServer`` serves the same object over real HTTP (with ``git
http-backend`` for clones) for the end-to-end tests. It behaves like GitHub
where prgate depends on it:

* API calls need ``token <installation token>``, token creation needs the
  App's JWT (checked against the App's public key), git needs
  ``x-access-token`` basic auth;
* a review comment on a line outside the PR's diff hunks, or a file comment
  on a file not in the diff, is a 422 "must be part of the diff";
* check-run updates append annotations, at most 50 per request;
* faults can be queued per route: a 502, a 403 with ``retry-after``, a stall.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

APP_ID = 4242
INSTALLATION_ID = 77
OWNER, REPO = "Codertocat", "Hello-World"


def make_private_key() -> tuple[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


@dataclass
class Run:
    id: int
    node_id: str
    name: str
    head_sha: str
    status: str
    external_id: str | None = None
    details_url: str | None = None
    conclusion: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    history: list[str] = field(default_factory=list)


@dataclass
class Comment:
    id: int
    body: str
    mine: bool


@dataclass
class ThreadState:
    id: str
    path: str
    line: int | None
    comments: list[Comment]
    resolved: bool = False
    can_resolve: bool = True


@dataclass
class Pull:
    number: int
    head_sha: str
    base_ref: str
    state: str = "OPEN"
    author: str = "contributor"
    association: str = "CONTRIBUTOR"


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    times: int
    stall: threading.Event | None = None
    body: dict[str, Any] = field(default_factory=lambda: {"message": "Server Error"})
    # GitHub does the work, but prgate's side times out before the answer arrives
    late: bool = False
    # these aliases of a batched mutation fail; the others succeed (GitHub's partial answer)
    fail_aliases: tuple[str, ...] = ()


class FakeGitHub:
    def __init__(self, repo: Path, public_key: Any, api_prefix: str = "/api/v3") -> None:
        self.repo = repo  # the served repository (non-bare), refs/pull/N/head set by tests
        self.public_key = public_key
        self.api_prefix = api_prefix
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str, Any]] = []  # (method, path, json body or None)
        self.runs: dict[str, Run] = {}
        self.threads: list[ThreadState] = []
        self.reviews: list[dict[str, Any]] = []
        self.pulls: dict[int, Pull] = {}
        self.tokens: set[str] = set()
        self.roles: dict[str, str] = {}  # login -> role_name; others read (a public repo)
        self.reactions: list[tuple[int, str]] = []  # (issue comment id, content)
        self.issue_comments: list[tuple[int, str]] = []  # (PR number, body)
        self.faults: list[Fault] = []
        # requests GitHub's published schemas refuse (tests.support.github_schemas): each is
        # answered as GitHub would answer it, and a test's teardown fails on any
        self.refused: list[str] = []
        self.on_request: Callable[[str, str, Any], None] | None = None
        self.manifest_codes: dict[str, dict[str, Any]] = {}  # code -> the App it creates
        self._ids = iter(range(1000, 10**9))

    # --- test helpers ------------------------------------------------------------------

    def add_pull(self, number: int, head_sha: str, base_ref: str = "main") -> None:
        old = self.pulls.get(number)
        self.pulls[number] = Pull(number, head_sha, base_ref)
        if old is not None:  # a push: same author
            self.pulls[number].author, self.pulls[number].association = old.author, old.association

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        stall: threading.Event | None = None,
        body: dict[str, Any] | None = None,
        late: bool = False,
        fail_aliases: tuple[str, ...] = (),
    ) -> None:
        self.faults.append(
            Fault(
                method,
                re.compile(path),
                status,
                headers or {},
                times,
                stall,
                body or {"message": "Server Error"},
                late,
                fail_aliases,
            )
        )

    def runs_named(self, name: str) -> list[Run]:
        """Every run of that name, oldest first (a rerun adds one; GitHub shows the newest)."""
        return sorted((r for r in self.runs.values() if r.name == name), key=lambda r: r.id)

    def run(self, name: str) -> Run:
        found = [r for r in self.runs.values() if r.name == name]
        assert len(found) == 1, (
            f"{len(found)} runs named {name}: {[r.name for r in self.runs.values()]}"
        )
        return found[0]

    def calls(self) -> list[str]:
        """Requests as 'METHOD path' or 'graphql <operation>' strings, in order."""
        out = []
        for method, path, body in self.requests:
            if path.endswith("/graphql") and isinstance(body, dict):
                out.append("graphql " + graphql_operation(body.get("query", "")))
            else:
                out.append(f"{method} {path}")
        return out

    # --- HTTP --------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        try:
            body = json.loads(request.content) if request.content else None
        except ValueError:
            body = None
        with self.lock:
            self.requests.append((request.method, path, body))
        refused = self._judge(request, path, body)
        if refused is not None:
            return refused
        if self.on_request is not None:
            self.on_request(request.method, path, body)
        late = False
        failing: tuple[str, ...] = ()
        for fault in list(self.faults):
            if fault.method == request.method and fault.path.search(path) and fault.times > 0:
                with self.lock:
                    fault.times -= 1
                if fault.stall is not None:
                    fault.stall.wait(120)
                    continue
                if fault.late:
                    late = True
                    continue
                if fault.fail_aliases:
                    failing = fault.fail_aliases
                    continue
                return httpx.Response(fault.status, json=fault.body, headers=fault.headers)
        response = self._respond(request, path, body, failing)
        if late:  # done on GitHub's side; the answer never reaches prgate
            raise httpx.ReadTimeout("timed out (fake GitHub's late fault)", request=request)
        return response

    def _judge(self, request: httpx.Request, path: str, body: Any) -> httpx.Response | None:
        """GitHub's answer to a request its published schemas refuse; None when accepted."""
        from tests.support.github_schemas import Refused, check_graphql, check_rest

        try:
            if path in ("/api/graphql", "/graphql"):
                check_graphql((body or {}).get("query", ""), (body or {}).get("variables"))
            else:
                rest = path.removeprefix(self.api_prefix)
                check_rest(request.method, rest, dict(request.url.params), body)
        except Refused as exc:
            with self.lock:
                self.refused.append(f"{request.method} {path}: {exc}")
            if path.endswith("graphql"):
                return httpx.Response(200, json={"errors": [{"message": str(exc)}]})
            return httpx.Response(422, json={"message": str(exc)})
        return None

    def _respond(
        self, request: httpx.Request, path: str, body: Any, failing: tuple[str, ...]
    ) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        if m := re.fullmatch(rf"{self.api_prefix}/app-manifests/([^/]+)/conversions", path):
            return self._convert(m.group(1), request.method)
        if path.endswith("/access_tokens"):
            return self._token(auth)
        if path == "/api/graphql" or path == "/graphql":
            if not self._authorized(auth):
                return httpx.Response(401, json={"message": "Bad credentials"})
            return self._graphql(body or {}, failing)
        rest = path.removeprefix(self.api_prefix)
        if re.fullmatch(r"/repos/[^/]+/[^/]+/installation", rest):
            if not self._jwt_ok(auth):
                return httpx.Response(
                    401, json={"message": "A JSON web token could not be decoded"}
                )
            return httpx.Response(200, json={"id": INSTALLATION_ID, "app_id": APP_ID})
        if not self._authorized(auth):
            return httpx.Response(401, json={"message": "Bad credentials"})
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/collaborators/([^/]+)/permission", rest):
            return self._permission(m.group(1))
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)/reactions", rest):
            return self._react(int(m.group(1)), body or {})
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", rest):
            with self.lock:
                self.issue_comments.append((int(m.group(1)), (body or {})["body"]))
            return httpx.Response(201, json={"id": next(self._ids)})
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/contents/(.+)", rest):
            return self._contents(m.group(1), request)
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/commits/([^/]+)/check-runs", rest):
            return self._list_runs(m.group(1), request)
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/pulls/(\d+)/files", rest):
            return self._files(int(m.group(1)), request)
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/pulls/(\d+)/reviews", rest):
            return self._review(int(m.group(1)), body or {})
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/pulls/(\d+)/comments/(\d+)/replies", rest):
            return self._reply(int(m.group(2)), body or {})
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/pulls/(\d+)/comments", rest):
            return self._file_comment(int(m.group(1)), body or {})
        return httpx.Response(404, json={"message": "Not Found", "path": path})

    def _jwt_ok(self, auth: str) -> bool:
        if not auth.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(auth[7:], self.public_key, algorithms=["RS256"])
        except jwt.PyJWTError:
            return False
        return str(claims.get("iss")) == str(APP_ID)

    def _authorized(self, auth: str) -> bool:
        return auth.startswith("token ") and auth[6:] in self.tokens

    def _token(self, auth: str) -> httpx.Response:
        if not self._jwt_ok(auth):
            return httpx.Response(401, json={"message": "A JSON web token could not be decoded"})
        token = "ghs_" + secrets.token_hex(18)
        self.tokens.add(token)
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return httpx.Response(201, json={"token": token, "expires_at": expires})

    def _convert(self, code: str, method: str) -> httpx.Response:
        """The manifest flow's last step: needs no credentials; a code works once."""
        with self.lock:
            app = self.manifest_codes.pop(code, None)
        if method != "POST" or app is None:
            return httpx.Response(404, json={"message": "Not Found"})
        return httpx.Response(201, json=app)

    def _permission(self, login: str) -> httpx.Response:
        role = self.roles.get(login, "read")
        legacy = {"maintain": "write", "triage": "read"}.get(role, role)
        return httpx.Response(
            200, json={"permission": legacy, "role_name": role, "user": {"login": login}}
        )

    def _react(self, comment_id: int, body: dict[str, Any]) -> httpx.Response:
        with self.lock:
            pair = (comment_id, body["content"])
            if pair in self.reactions:  # GitHub answers 200 for a reaction that exists
                return httpx.Response(200, json={"id": 1, "content": pair[1]})
            self.reactions.append(pair)
        return httpx.Response(201, json={"id": 1, "content": pair[1]})

    def _contents(self, path: str, request: httpx.Request) -> httpx.Response:
        ref = request.url.params.get("ref", "HEAD")
        proc = subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=self.repo, capture_output=True, check=False
        )
        if proc.returncode != 0:
            return httpx.Response(404, json={"message": "Not Found"})
        assert "raw" in request.headers.get("accept", ""), "prgate asks for raw content"
        return httpx.Response(200, content=proc.stdout)

    # --- GraphQL -----------------------------------------------------------------------

    def _graphql(self, body: dict[str, Any], failing: tuple[str, ...] = ()) -> httpx.Response:
        query = body.get("query", "")
        variables = body.get("variables") or {}
        op = graphql_operation(query)
        with self.lock:
            if op == "createCheckRun":
                data: dict[str, Any] = {
                    a: None if a in failing else {"checkRun": self._create(v)}
                    for a, v in _inputs(variables)
                }
                if failing:  # GitHub answers 200 with data for some aliases, errors for others
                    errors = [
                        {"type": "INTERNAL", "message": "Something went wrong", "path": [a]}
                        for a in failing
                    ]
                    return httpx.Response(200, json={"data": data, "errors": errors})
                return _data(data)
            if op == "updateCheckRun":
                return self._update_all(variables, failing)
            if op == "resolveReviewThread":
                return self._resolve(variables)
            if op == "pullRequest":
                return self._pull(variables)
            if op == "repository":
                return _data({"repository": {"id": "R_fake"}})
        return httpx.Response(200, json={"errors": [{"message": f"unknown operation {op}"}]})

    def _list_runs(self, ref: str, request: httpx.Request) -> httpx.Response:
        """``GET /repos/{owner}/{repo}/commits/{ref}/check-runs`` (one page; app_id, filter)."""
        query = request.url.params
        app = query.get("app_id")
        runs = [r for r in self.runs.values() if r.head_sha == ref]
        if query.get("check_name"):
            runs = [r for r in runs if r.name == query["check_name"]]
        if app is not None and int(app) != APP_ID:
            runs = []
        runs.sort(key=lambda r: -r.id)  # newest first, as GitHub lists them
        per_page = int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        shown = runs[(page - 1) * per_page : page * per_page]
        return httpx.Response(
            200,
            json={
                "total_count": len(runs),
                "check_runs": [_rest_run(r) for r in shown],
            },
        )

    def _create(self, v: dict[str, Any]) -> dict[str, Any]:
        rid = next(self._ids)
        run = Run(
            rid,
            f"CR_{rid}",
            v["name"],
            v["headSha"],
            v.get("status", "QUEUED"),
            v.get("externalId"),
            v.get("detailsUrl"),
        )
        run.history.append(run.status)
        self.runs[run.node_id] = run
        return {"id": run.node_id, "databaseId": rid}

    def _update_all(
        self, variables: dict[str, Any], failing: tuple[str, ...] = ()
    ) -> httpx.Response:
        total = sum(
            len((v.get("output") or {}).get("annotations") or []) for _, v in _inputs(variables)
        )
        if total > 50:  # GitHub's limit is per check run and request; prgate keeps it per request
            return httpx.Response(200, json={"errors": [{"message": "too many annotations"}]})
        if any(len(v.get("actions") or []) > 3 for _, v in _inputs(variables)):
            return httpx.Response(200, json={"errors": [{"message": "at most 3 actions"}]})
        out: dict[str, Any] = {}
        for alias, v in _inputs(variables):
            if alias in failing:
                out[alias] = None
                continue
            run = self.runs[v["checkRunId"]]
            run.actions = v.get("actions") or run.actions
            if v.get("status"):
                run.status = v["status"]
            if v.get("conclusion"):
                run.conclusion = v["conclusion"]
                run.status = "COMPLETED"
            run.history.append(run.status + (f":{run.conclusion}" if run.conclusion else ""))
            output = v.get("output")
            if output:
                run.title, run.summary = output["title"], output["summary"]
                run.text = output.get("text", run.text)
                run.annotations.extend(output.get("annotations") or [])
            out[alias] = {"checkRun": {"id": run.node_id, "databaseId": run.id}}
        if failing:
            errors = [
                {"type": "INTERNAL", "message": "Something went wrong", "path": [a]}
                for a in failing
            ]
            return httpx.Response(200, json={"data": out, "errors": errors})
        return _data(out)

    def _resolve(self, variables: dict[str, Any]) -> httpx.Response:
        data: dict[str, Any] = {}
        errors = []
        for alias, v in _inputs(variables):
            thread = next(t for t in self.threads if t.id == v["threadId"])
            if not thread.can_resolve:
                data[alias] = None
                errors.append(
                    {"type": "FORBIDDEN", "message": "Resource not accessible", "path": [alias]}
                )
                continue
            thread.resolved = True
            data[alias] = {"thread": {"id": thread.id, "isResolved": True}}
        doc: dict[str, Any] = {"data": data}
        if errors:
            doc["errors"] = errors
        return httpx.Response(200, json=doc)

    def _pull(self, variables: dict[str, Any]) -> httpx.Response:
        pr = self.pulls.get(int(variables["number"]))
        if pr is None:
            return _data({"repository": {"id": "R_fake", "pullRequest": None}})
        base_sha = _git(self.repo, "rev-parse", f"refs/heads/{pr.base_ref}").strip()
        threads = [
            {
                "id": t.id,
                "isResolved": t.resolved,
                "viewerCanResolve": t.can_resolve,
                "path": t.path,
                "comments": {
                    "nodes": [
                        {"fullDatabaseId": str(c.id), "body": c.body, "viewerDidAuthor": c.mine}
                        for c in t.comments
                    ]
                },
            }
            for t in self.threads
        ]
        return _data(
            {
                "repository": {
                    "id": "R_fake",
                    "pullRequest": {
                        "state": pr.state,
                        "headRefOid": pr.head_sha,
                        "baseRefOid": base_sha,
                        "baseRefName": pr.base_ref,
                        "author": {"login": pr.author},
                        "authorAssociation": pr.association,
                        "url": f"https://github.example/{OWNER}/{REPO}/pull/{pr.number}",
                        "reviewThreads": {
                            "pageInfo": {"hasNextPage": False, "endCursor": None},
                            "nodes": threads,
                        },
                    },
                }
            }
        )

    # --- REST --------------------------------------------------------------------------

    def diff(self, number: int) -> dict[str, tuple[str, str | None]]:
        """path -> (status, patch) as GitHub lists a PR's files (three-dot diff)."""
        pr = self.pulls[number]
        base = _git(self.repo, "merge-base", f"refs/heads/{pr.base_ref}", pr.head_sha).strip()
        names = _git(self.repo, "diff", "--name-status", "--no-renames", base, pr.head_sha)
        files: dict[str, tuple[str, str | None]] = {}
        status_names = {"A": "added", "M": "modified", "D": "removed", "T": "changed"}
        for line in names.splitlines():
            code, path = line.split("\t", 1)
            raw = _git(self.repo, "diff", "--no-color", "-U3", base, pr.head_sha, "--", path)
            patch = raw[raw.index("@@") :] if "@@" in raw else None
            files[path] = (status_names.get(code[0], "modified"), patch)
        return files

    def _files(self, number: int, request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        per_page = int(request.url.params.get("per_page", "30"))
        items = [
            {"filename": p, "status": s, **({"patch": patch} if patch else {})}
            for p, (s, patch) in sorted(self.diff(number).items())
        ]
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["link"] = f'<{request.url.copy_merge_params({"page": page + 1})}>; rel="next"'
        return httpx.Response(200, json=chunk, headers=headers)

    def _in_hunks(self, number: int, path: str, line: int | None) -> bool:
        files = self.diff(number)
        if path not in files or files[path][0] == "removed":
            return False
        if line is None:
            return True
        patch = files[path][1] or ""
        for m in re.finditer(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", patch, re.M):
            start, length = int(m.group(1)), int(m.group(2) or "1")
            if start <= line < start + length:
                return True
        return False

    def _new_thread(self, path: str, line: int | None, body: str) -> ThreadState:
        thread = ThreadState(
            f"PRRT_{next(self._ids)}", path, line, [Comment(next(self._ids), body, True)]
        )
        self.threads.append(thread)
        return thread

    def _review(self, number: int, body: dict[str, Any]) -> httpx.Response:
        with self.lock:
            for c in body.get("comments") or []:
                first = c.get("start_line", c["line"])
                if not (
                    self._in_hunks(number, c["path"], first)
                    and self._in_hunks(number, c["path"], c["line"])
                ):
                    return _unprocessable()
            for c in body.get("comments") or []:
                self._new_thread(c["path"], c["line"], c["body"])
            self.reviews.append(body)
        return httpx.Response(200, json={"id": next(self._ids), "state": "COMMENTED"})

    def _file_comment(self, number: int, body: dict[str, Any]) -> httpx.Response:
        with self.lock:
            if body.get("subject_type") != "file" or not self._in_hunks(number, body["path"], None):
                return _unprocessable()
            thread = self._new_thread(body["path"], None, body["body"])
        return httpx.Response(201, json={"id": thread.comments[0].id})

    def _reply(self, comment_id: int, body: dict[str, Any]) -> httpx.Response:
        with self.lock:
            thread = next(t for t in self.threads if t.comments[0].id == comment_id)
            thread.comments.append(Comment(next(self._ids), body["body"], True))
        return httpx.Response(201, json={"id": thread.comments[-1].id})


def _rest_run(run: Run) -> dict[str, Any]:
    """A check run as GitHub's REST API shows it (the fields prgate reads, and the required)."""
    return {
        "id": run.id,
        "node_id": run.node_id,
        "head_sha": run.head_sha,
        "external_id": run.external_id,
        "url": f"https://api.github.example/check-runs/{run.id}",
        "html_url": f"https://github.example/runs/{run.id}",
        "details_url": run.details_url,
        "status": run.status.lower(),
        "conclusion": run.conclusion.lower() if run.conclusion else None,
        "started_at": None,
        "completed_at": None,
        "output": {
            "title": run.title,
            "summary": run.summary,
            "text": run.text,
            "annotations_count": len(run.annotations),
            "annotations_url": f"https://api.github.example/check-runs/{run.id}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": 1},
        "app": None,
        "pull_requests": [],
    }


def _unprocessable() -> httpx.Response:
    return httpx.Response(
        422,
        json={
            "message": "Unprocessable Entity",
            "errors": ["Pull request review thread line must be part of the diff"],
        },
    )


def graphql_operation(query: str) -> str:
    m = re.search(r"m0: (\w+)\(", query)
    if m:
        return m.group(1)
    if "pullRequest(number" in query:
        return "pullRequest"
    if "repository(" in query:
        return "repository"
    return "unknown"


def _inputs(variables: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"m{k[1:]}", v) for k, v in sorted(variables.items(), key=lambda kv: int(kv[0][1:]))]


def _data(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"data": data})


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


# --- over real HTTP ---------------------------------------------------------------------------


class FakeServer:
    """Serves a FakeGitHub on 127.0.0.1 (``GHE_HOST``) plus the repository over git smart HTTP."""

    def __init__(self, fake: FakeGitHub, git_root: Path) -> None:
        self.fake = fake
        self.git_root = git_root  # folder holding <owner>/<repo>.git (a bare mirror or the repo)
        self.git_requests: list[tuple[str, str, str]] = []  # (method, path+query, authorization)
        handler = _handler(self)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def clone_url(self) -> str:
        return f"http://{self.host}/git/{OWNER}/{REPO}.git"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        refused = self.fake.refused
        assert not refused, "GitHub would refuse these requests:\n" + "\n".join(refused)


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                # git sends a request body larger than http.postBuffer (1 MB) in chunks, as
                # a clone of a large partial repository does when it asks for its blobs
                parts = []
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def _serve(self) -> None:
            if self.path.startswith("/git/"):
                self._git()
                return
            body = self._body()
            request = httpx.Request(
                self.command,
                f"http://{server.host}{self.path}",
                headers=dict(self.headers.items()),
                content=body,
            )
            response = server.fake.handle(request)
            payload = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _git(self) -> None:
            auth = self.headers.get("authorization", "")
            server.git_requests.append((self.command, self.path, auth))
            expected_user = "x-access-token:"
            ok = False
            if auth.startswith("Basic "):
                user = base64.b64decode(auth[6:]).decode()
                ok = (
                    user.startswith(expected_user)
                    and user[len(expected_user) :] in server.fake.tokens
                )
            if not ok:
                self.send_response(401)
                self.send_header("www-authenticate", 'Basic realm="GitHub"')
                self.send_header("content-length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            body = self._body()
            env = {
                "GIT_PROJECT_ROOT": str(server.git_root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": path.removeprefix("/git"),
                "REQUEST_METHOD": self.command,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("content-type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": "x-access-token",
                "REMOTE_ADDR": "127.0.0.1",
                "GIT_PROTOCOL": self.headers.get("git-protocol", ""),
                "HTTP_CONTENT_ENCODING": self.headers.get("content-encoding", ""),
                "PATH": "/usr/bin:/bin:/usr/local/bin",
                "HOME": str(server.git_root),
                "GIT_CONFIG_NOSYSTEM": "1",
            }
            proc = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
            )
            head, _, payload = proc.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode("latin-1").split("\r\n"):
                if not line:
                    continue
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.strip().split()[0])
                else:
                    headers.append((key, value.strip()))
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


WEBHOOKS = Path(__file__).resolve().parents[1] / "data" / "github-webhooks"


def pull_request_delivery(
    secret: str, clone_url: str, sha: str, number: int = 1, action: str = "opened"
) -> tuple[bytes, dict[str, str]]:
    """A real ``pull_request`` payload for the served repository, signed: (body, headers)."""
    payload = json.loads((WEBHOOKS / "pull_request" / f"{action}.payload.json").read_text())
    pr = payload["pull_request"]
    payload["number"] = pr["number"] = number
    pr.update(state="open", draft=False)
    pr["head"]["sha"] = sha
    pr["base"]["ref"] = "main"
    return _signed("pull_request", payload, secret, clone_url)


def comment_delivery(
    secret: str, clone_url: str, body: str, login: str, number: int = 1
) -> tuple[bytes, dict[str, str]]:
    """A real ``issue_comment.created`` payload on PR ``number``, signed: (body, headers)."""
    payload = json.loads((WEBHOOKS / "issue_comment" / "created.payload.json").read_text())
    payload["issue"]["number"] = number
    payload["issue"]["pull_request"] = {"url": f"{clone_url}/pulls/{number}"}
    payload["comment"].update(body=body, id=9000 + number)
    payload["comment"]["user"]["login"] = login
    return _signed("issue_comment", payload, secret, clone_url)


def merge_group_delivery(
    secret: str, clone_url: str, head_sha: str, base_sha: str, action: str = "checks_requested"
) -> tuple[bytes, dict[str, str]]:
    """A real ``merge_group`` payload for a group of PR 1 on main, signed: (body, headers)."""
    payload = json.loads((WEBHOOKS / "merge_group" / "checks_requested.payload.json").read_text())
    group = payload["merge_group"]
    group.update(
        head_sha=head_sha,
        base_sha=base_sha,
        base_ref="refs/heads/main",
        head_ref=f"refs/heads/gh-readonly-queue/main/pr-1-{base_sha}",
    )
    group["head_commit"]["id"] = head_sha
    payload["action"] = action
    if action == "destroyed":
        payload["reason"] = "dequeued"
    return _signed("merge_group", payload, secret, clone_url)


def check_suite_delivery(
    secret: str, clone_url: str, sha: str, branch: str, action: str = "requested"
) -> tuple[bytes, dict[str, str]]:
    """A real ``check_suite`` payload for ``sha`` on ``branch``, naming no pull request (a
    push to a merge queue's branch), signed: (body, headers)."""
    payload = json.loads((WEBHOOKS / "check_suite" / f"{action}.payload.json").read_text())
    suite = payload["check_suite"]
    suite.update(head_sha=sha, head_branch=branch, pull_requests=[])
    suite["app"]["id"] = APP_ID
    payload["action"] = action
    return _signed("check_suite", payload, secret, clone_url)


def _signed(
    event: str, payload: dict[str, Any], secret: str, clone_url: str
) -> tuple[bytes, dict[str, str]]:
    """The payload for the served repository and installation, as GitHub signs it."""
    from bot.signature import sign
    from tests.support.github_schemas import check_webhook

    payload["repository"].update(clone_url=clone_url, full_name=f"{OWNER}/{REPO}")
    payload["installation"] = {
        "id": INSTALLATION_ID,
        "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==",
    }
    check_webhook(event, payload)  # one GitHub could send, by its published schema
    data = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": f"{event}-{time.monotonic_ns()}",
        "X-Hub-Signature-256": sign(secret, data),
        "Content-Type": "application/json",
    }
    return data, headers


def serve_bare(origin: Path, root: Path) -> Path:
    """A bare copy of ``origin`` at ``root/<owner>/<repo>.git``, where FakeServer serves it:
    partial clones and fetching any SHA allowed, pushes over HTTP refused."""
    bare = root / OWNER / f"{REPO}.git"
    bare.parent.mkdir(parents=True)
    _git(root, "clone", "-q", "--bare", str(origin), str(bare))
    for key, value in (
        ("uploadpack.allowFilter", "true"),
        ("uploadpack.allowAnySHA1InWant", "true"),
        ("http.receivepack", "false"),
    ):
        _git(bare, "config", key, value)
    return bare


def app_env(
    server: FakeServer, pem: str, secret: str, redis_url: str, **extra: str
) -> dict[str, str]:
    """The environment of `prgate serve`/`worker` processes acting as the App on ``server``."""
    return {
        **os.environ,
        "APP_ID": str(APP_ID),
        "PRIVATE_KEY": pem,
        "WEBHOOK_SECRET": secret,
        "REDIS_URL": redis_url,
        "GHE_HOST": server.host,
        "GHE_PROTOCOL": "http",
        "LOG_LEVEL": "info",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
