"""Every call prgate makes to GitHub, through githubkit. Nothing else imports githubkit.

* Auth: the App's JWT and installation tokens come from githubkit's own auth
  flow; its cache strategy keeps them in Redis, so every worker process shares
  one token per installation until a minute before it expires. git gets the
  same token (``Installation.token``), never a second one.
* Retries: githubkit retries 5xx (1 s, 4 s, 9 s) and rate limits after their
  ``retry-after`` / ``x-ratelimit-reset``; a rate-limit wait longer than
  ``PRGATE_MAX_RATE_WAIT`` is not sat out inside a job — the error goes up and
  RQ retries the job later.
* Check runs go through GraphQL: one request carries the mutation for all
  three runs, so queued -> in_progress -> completed costs three requests, not
  nine (a clean pull request has a budget of 8 calls in all). Reviews, file
  comments and replies use REST; thread resolution is GraphQL (REST has none).
* Every request is counted (``Installation.calls``), retries included: the
  budget is about what GitHub sees.

Error messages never carry a token: githubkit's errors hold the request, and
prgate only ever formats the method, path and status from them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import httpx
from githubkit import AppAuthStrategy, GitHub
from githubkit.cache import RedisCacheStrategy
from githubkit.exception import (
    GitHubException,
    GraphQLFailed,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
)
from githubkit.retry import RETRY_SERVER_ERROR
from githubkit.typing import RetryOption
from redis import Redis

from workers.github.errors import GitHubError, PartlyDone
from workers.github.types import (
    MAX_ACTIONS,
    ChangedFile,
    FoundRun,
    PullState,
    ReviewComment,
    RunRef,
    RunState,
    RunUpdate,
    Thread,
    ThreadComment,
)
from workers.shared.settings import Settings

USER_AGENT = "prgate"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def describe(exc: BaseException) -> GitHubError:
    """A safe, short GitHubError for any githubkit exception."""
    if isinstance(exc, GitHubError):
        return exc
    if isinstance(exc, RateLimitExceeded):
        wait = int(exc.retry_after.total_seconds())
        return GitHubError(
            f"GitHub rate limit on {_where(exc.request)}; retry in {wait} s",
            status=exc.response.status_code,
            transient=True,
        )
    if isinstance(exc, RequestFailed):
        status = exc.response.status_code
        message = ""
        try:
            body = exc.response.json()
            if isinstance(body, dict):
                message = str(body.get("message", ""))[:200]
        except Exception:  # a 502 page is not JSON
            message = ""
        said = f": {message}" if message else ""
        return GitHubError(
            f"GitHub answered {status} to {_where(exc.request)}{said}",
            status=status,
            transient=status >= 500 or status == 429,
        )
    if isinstance(exc, GraphQLFailed):
        errors = exc.response.errors or []
        text = "; ".join(f"{e.type or 'ERROR'}: {e.message}" for e in errors)[:300]
        transient = any(e.type == "RATE_LIMITED" for e in errors)
        return GitHubError(f"GitHub GraphQL error: {text}", transient=transient)
    if isinstance(exc, RequestError):
        return GitHubError(f"could not reach GitHub: {type(exc.exc).__name__}", transient=True)
    return GitHubError(f"GitHub call failed: {type(exc).__name__}")


@contextmanager
def described() -> Iterator[None]:
    """githubkit's exceptions raised as ``describe`` puts them (no request, no credential)."""
    try:
        yield
    except GitHubException as exc:
        raise describe(exc) from None


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.path}"


class _Retry:
    """githubkit's decisions (5xx thrice; rate limits after their wait), with the wait capped.

    Without ``server_errors``, a 5xx is not repeated: for a request that creates
    something, a 5xx or a timeout does not say it was not carried out, and a
    blind repeat would make a second one (the caller looks first, then retries).
    """

    def __init__(self, max_wait: int, *, server_errors: bool = True) -> None:
        self.max_wait = timedelta(seconds=max_wait)
        self.server_errors = server_errors

    def __call__(self, exc: GitHubException, retry_count: int) -> RetryOption:
        if isinstance(exc, RateLimitExceeded):  # refused, so not carried out: safe to repeat
            if retry_count < 2 and exc.retry_after <= self.max_wait:
                return RetryOption(True, exc.retry_after)
            return RetryOption(False)
        if not self.server_errors:
            return RetryOption(False)
        return RETRY_SERVER_ERROR(exc, retry_count)


# --- the client -----------------------------------------------------------------------------


class App:
    """The App itself (JWT): finds installations, hands out installation clients."""

    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.transport = transport
        self.cache = RedisCacheStrategy(redis, prefix=f"{settings.queue}:githubkit")
        self._auth = AppAuthStrategy(settings.app_id, settings.app_private_key())

    def _github(self, auth: Any, counter: list[int], *, server_errors: bool = True) -> GitHub[Any]:
        def count(request: httpx.Request) -> None:
            counter[0] += 1

        return GitHub(
            auth,
            base_url=self.settings.api_url,
            user_agent=USER_AGENT,
            timeout=TIMEOUT,
            transport=self.transport,
            event_hooks={"request": [count]},
            cache_strategy=self.cache,
            http_cache=False,  # the worker must see current state, never a cached PR head
            auto_retry=_Retry(self.settings.max_rate_wait, server_errors=server_errors),
        )

    def installation_id(self, full_name: str) -> int:
        """The installation that covers a repository (deliveries do not always say)."""
        key = f"{self.settings.queue}:installation:{full_name.lower()}"
        cached = self.redis.get(key)
        if cached is not None:
            return int(cached)
        owner, repo = full_name.split("/", 1)
        counter = [0]
        with described():
            resp = self._github(self._auth, counter).rest.apps.get_repo_installation(owner, repo)
        installation = int(resp.json()["id"])  # only the id: no need to validate the whole model
        self.redis.set(key, installation, ex=24 * 3600)
        return installation

    def installation(self, installation_id: int) -> Installation:
        counter = [0]
        auth = self._auth.as_installation(installation_id)
        gh = self._github(auth, counter)
        once = self._github(auth, counter, server_errors=False)
        return Installation(gh, counter, self.settings, once)


@dataclass
class Installation:
    """Calls made as one installation. ``calls`` counts every HTTP request, retries included."""

    gh: GitHub[Any]
    counter: list[int]
    settings: Settings
    once: GitHub[Any] | None = None  # the same, but a 5xx is never repeated (creates)
    _token: str | None = field(default=None, repr=False)

    @property
    def calls(self) -> int:
        return self.counter[0]

    def token(self) -> str:
        """The installation token for git, from githubkit's auth flow and its Redis cache.

        The flow is driven with a probe request that is never sent: it either
        finds the cached token or sends the one token request, exactly as an
        API call would, so git and the API share one token.
        """
        if self._token is None:
            flow = self.gh.auth.get_auth_flow(self.gh)
            probe = httpx.Request("GET", f"{self.settings.api_url}/rate_limit")
            steps = flow.sync_auth_flow(probe)
            try:
                with described(), self.gh.get_sync_client() as client:
                    request = next(steps)
                    while request is not probe:
                        request = steps.send(client.send(request))
            except httpx.HTTPError as exc:
                raise GitHubError(
                    f"could not reach GitHub for a token: {type(exc).__name__}", transient=True
                ) from None
            value = probe.headers.get("authorization", "")
            self._token = value.split(" ", 1)[1] if " " in value else value
        return self._token

    # --- GraphQL ----------------------------------------------------------------------------

    def _graphql(
        self, query: str, variables: dict[str, Any], gh: GitHub[Any] | None = None
    ) -> dict[str, Any]:
        with described():
            data = (gh or self.gh).graphql.request(query, variables)
        return dict(data)

    def _mutate(
        self, query: str, variables: dict[str, Any], gh: GitHub[Any] | None = None
    ) -> tuple[dict[str, Any], str]:
        """A batched mutation's data, and GitHub's errors as text ("" when none).

        GitHub answers a batch whose aliases partly failed with the data of those
        that succeeded and an error for each other: both are kept.
        """
        try:
            return self._graphql(query, variables, gh), ""
        except GitHubError as exc:
            cause = exc.__context__
            if not isinstance(cause, GraphQLFailed) or not cause.response.data:
                raise
            return dict(cause.response.data), str(exc)

    def create_runs(
        self,
        repo_node_id: str,
        head_sha: str,
        names: Sequence[str],
        *,
        external_id: str,
        details_url: str | None,
    ) -> dict[str, RunRef]:
        """Create one queued check run per name, in one request.

        A 5xx or a timeout is not repeated here (GitHub may have made the runs
        anyway); ``PartlyDone`` carries the runs made when only some were.
        """
        inputs = []
        for name in names:
            item: dict[str, Any] = {
                "repositoryId": repo_node_id,
                "headSha": head_sha,
                "name": name,
                "status": "QUEUED",
                "externalId": external_id,
            }
            if details_url:
                item["detailsUrl"] = details_url
            inputs.append(item)
        query, variables = _batch("createCheckRun", "CreateCheckRunInput", inputs)
        data, errors = self._mutate(query, variables, self.once)  # a 5xx is not repeated
        runs = {}
        for n, name in enumerate(names):
            made = data.get(f"m{n}")
            if made and made.get("checkRun"):
                run = made["checkRun"]
                runs[name] = RunRef(name, run["id"], int(run["databaseId"]))
        if len(runs) < len(names):
            done = [n for n, name in enumerate(names) if name in runs]
            raise PartlyDone(errors or "GitHub created only some check runs", done, runs)
        return runs

    def find_runs(self, owner: str, repo: str, head_sha: str, external_id: str) -> list[FoundRun]:
        """This App's check runs on ``head_sha`` that carry ``external_id``, oldest first."""
        found: list[FoundRun] = []
        with described():
            for page in range(1, 11):  # 1,000 runs of one App on one commit is plenty
                resp = self.gh.rest.checks.list_for_ref(
                    owner,
                    repo,
                    head_sha,
                    app_id=self.settings.app_id,
                    filter_="all",
                    per_page=100,
                    page=page,
                )
                body = resp.json()  # a few fields: no need to validate the whole model
                for run in body.get("check_runs") or []:
                    if run.get("external_id") == external_id:
                        ref = RunRef(run["name"], run["node_id"], int(run["id"]))
                        found.append(FoundRun(ref, str(run.get("status") or "").upper()))
                if page * 100 >= int(body.get("total_count") or 0):
                    break
        return sorted(found, key=lambda f: f.run.database_id)

    def latest_run(self, owner: str, repo: str, head_sha: str, name: str) -> RunState | None:
        """This App's newest check run called ``name`` on ``head_sha``, as GitHub shows it."""
        with described():
            resp = self.gh.rest.checks.list_for_ref(
                owner,
                repo,
                head_sha,
                app_id=self.settings.app_id,
                check_name=name,
                filter_="latest",
                per_page=1,
            )
        runs = resp.json().get("check_runs") or []
        if not runs:
            return None
        run = runs[0]
        output = run.get("output") or {}
        conclusion = run.get("conclusion")
        return RunState(
            RunRef(run["name"], run["node_id"], int(run["id"])),
            str(run.get("status") or "").upper(),
            str(conclusion).upper() if conclusion else None,
            str(output.get("title") or ""),
            str(output.get("summary") or ""),
        )

    def update_runs(self, repo_node_id: str, updates: Sequence[RunUpdate]) -> None:
        """Apply several check-run updates in one request (annotations are appended)."""
        if not updates:
            return
        inputs = [_update_input(repo_node_id, u) for u in updates]
        data, errors = self._mutate(*_batch("updateCheckRun", "UpdateCheckRunInput", inputs))
        done = [n for n in range(len(inputs)) if data.get(f"m{n}")]
        if len(done) < len(inputs):
            raise PartlyDone(errors or "GitHub applied only some check-run updates", done, {})

    def repo_node_id(self, owner: str, name: str) -> str:
        data = self._graphql(REPO_QUERY, {"owner": owner, "name": name})
        return str(data["repository"]["id"])

    def pull_state(self, owner: str, name: str, number: int) -> PullState:
        """The PR as it is now: head, base, and the review threads (all pages)."""
        threads: list[Thread] = []
        cursor: str | None = None
        while True:
            data = self._graphql(
                PULL_QUERY, {"owner": owner, "name": name, "number": number, "cursor": cursor}
            )
            repo = data["repository"]
            pr = repo["pullRequest"]
            if pr is None:
                raise GitHubError(f"pull request #{number} of {owner}/{name} does not exist")
            page = pr["reviewThreads"]
            threads.extend(_thread(t) for t in page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            cursor = page["pageInfo"]["endCursor"]
        return PullState(
            repo_node_id=repo["id"],
            number=number,
            state=pr["state"],
            head_sha=pr["headRefOid"],
            base_sha=pr["baseRefOid"],
            base_ref=pr["baseRefName"],
            url=pr["url"],
            author=(pr.get("author") or {}).get("login", ""),
            author_association=pr.get("authorAssociation") or "NONE",
            threads=tuple(threads),
        )

    def resolve_threads(self, thread_ids: Sequence[str]) -> set[str]:
        """Resolve threads in one request; the ids GitHub refused to resolve are returned."""
        if not thread_ids:
            return set()
        query, variables = _batch(
            "resolveReviewThread",
            "ResolveReviewThreadInput",
            [{"threadId": t} for t in thread_ids],
            returns="thread { id isResolved }",
        )
        try:
            data = self.gh.graphql.request(query, variables)
        except GraphQLFailed as exc:
            # Partial success is normal here (a thread we may not resolve): keep what worked.
            data = exc.response.data or {}
        except GitHubException as exc:
            raise describe(exc) from None
        return {t for n, t in enumerate(thread_ids) if not (data.get(f"m{n}") or {}).get("thread")}

    # --- REST -------------------------------------------------------------------------------

    def pull_files(self, owner: str, repo: str, number: int) -> list[ChangedFile]:
        """The PR's files with their patches, as GitHub itself diffs them (up to 3000 files)."""
        files = []
        with described():
            # Raw JSON, not githubkit's models: only three fields are read, and GHES versions
            # differ in the others.
            pages: Any = self.gh.rest.paginate(
                self.gh.rest.pulls.list_files,
                map_func=lambda resp: resp.json(),
                owner=owner,
                repo=repo,
                pull_number=number,
                per_page=100,
            )
            for item in pages:
                patch = item.get("patch")
                files.append(
                    ChangedFile(
                        item["filename"], item["status"], patch if isinstance(patch, str) else None
                    )
                )
        return files

    def create_review(
        self,
        owner: str,
        repo: str,
        number: int,
        commit_id: str,
        body: str,
        comments: Sequence[ReviewComment],
    ) -> None:
        items: list[dict[str, Any]] = []
        for c in comments:
            item: dict[str, Any] = {"path": c.path, "body": c.body, "line": c.line, "side": "RIGHT"}
            if c.start_line is not None and c.start_line < c.line:
                item["start_line"] = c.start_line
                item["start_side"] = "RIGHT"
            items.append(item)
        with described():
            self.gh.rest.pulls.create_review(
                owner,
                repo,
                number,
                data={"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": items},  # type: ignore[call-overload]
            )

    def file_comment(
        self, owner: str, repo: str, number: int, commit_id: str, path: str, body: str
    ) -> None:
        """A comment on a whole file of the diff (REST reviews cannot carry these)."""
        with described():
            self.gh.rest.pulls.create_review_comment(
                owner,
                repo,
                number,
                data={"commit_id": commit_id, "path": path, "body": body, "subject_type": "file"},
            )

    def reply(self, owner: str, repo: str, number: int, comment_id: int, body: str) -> None:
        with described():
            self.gh.rest.pulls.create_reply_for_review_comment(
                owner, repo, number, comment_id, data={"body": body}
            )

    def comment(self, owner: str, repo: str, number: int, body: str) -> None:
        """A comment on the pull request's conversation."""
        with described():
            self.gh.rest.issues.create_comment(owner, repo, number, data={"body": body})

    def react(self, owner: str, repo: str, comment_id: int, content: Reaction) -> None:
        """A reaction on a conversation comment (GitHub keeps one per user and content)."""
        with described():
            self.gh.rest.reactions.create_for_issue_comment(
                owner, repo, comment_id, data={"content": content}
            )

    def permission(self, owner: str, repo: str, login: str) -> str:
        """The user's role on the repository: admin, maintain, write, triage, read or none.

        ``role_name`` is read because the legacy ``permission`` field maps maintain
        to write and triage to read; a custom role falls back to that mapping.
        """
        try:
            resp = self.gh.rest.repos.get_collaborator_permission_level(owner, repo, login)
        except RequestFailed as exc:
            if exc.response.status_code == 404:  # not a user GitHub knows
                return "none"
            raise describe(exc) from None
        except GitHubException as exc:
            raise describe(exc) from None
        body = resp.json()  # two fields read; the model differs between GHES versions
        role = str(body.get("role_name") or "")
        return role if role in ROLES else str(body.get("permission") or "none")

    def file_at(self, owner: str, repo: str, path: str, ref: str) -> str | None:
        """A file's text at a ref (contents API, raw), or None when it does not exist."""
        try:
            resp = self.gh.rest.repos.get_content(
                owner, repo, path, ref=ref, headers={"Accept": "application/vnd.github.raw+json"}
            )
        except RequestFailed as exc:
            if exc.response.status_code == 404:
                return None
            raise describe(exc) from None
        except GitHubException as exc:
            raise describe(exc) from None
        return resp.content.decode("utf-8-sig", "replace")


ROLES = ("admin", "maintain", "write", "triage", "read", "none")
Reaction = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]


# --- GraphQL documents ----------------------------------------------------------------------

REPO_QUERY = (
    "query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id } }"
)

PULL_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    id
    pullRequest(number: $number) {
      state headRefOid baseRefOid baseRefName url authorAssociation author { login }
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id isResolved viewerCanResolve path
          comments(first: 50) { nodes { fullDatabaseId body viewerDidAuthor } }
        }
      }
    }
  }
}
""".strip()


def _batch(
    op: str,
    input_type: str,
    inputs: Sequence[dict[str, Any]],
    returns: str = "checkRun { id databaseId }",
) -> tuple[str, dict[str, Any]]:
    """One GraphQL document running ``op`` once per input, aliased m0, m1, ..."""
    decl = ", ".join(f"$i{n}: {input_type}!" for n in range(len(inputs)))
    body = " ".join(f"m{n}: {op}(input: $i{n}) {{ {returns} }}" for n in range(len(inputs)))
    return f"mutation({decl}) {{ {body} }}", {f"i{n}": item for n, item in enumerate(inputs)}


def _update_input(repo_node_id: str, u: RunUpdate) -> dict[str, Any]:
    item: dict[str, Any] = {"repositoryId": repo_node_id, "checkRunId": u.run.node_id}
    item["status"] = u.status
    if u.conclusion is not None:
        item["conclusion"] = u.conclusion
    if u.title is not None and u.summary is not None:
        output: dict[str, Any] = {"title": u.title, "summary": u.summary}
        if u.text:
            output["text"] = u.text
        if u.annotations:
            output["annotations"] = list(u.annotations)
        item["output"] = output
    if u.actions:
        if len(u.actions) > MAX_ACTIONS:
            raise ValueError(f"GitHub allows at most {MAX_ACTIONS} actions on a check run")
        item["actions"] = [
            {"label": a.label, "identifier": a.identifier, "description": a.description}
            for a in u.actions
        ]
    return item


def _thread(node: dict[str, Any]) -> Thread:
    comments = tuple(
        # fullDatabaseId: a BigInt, sent as a string (databaseId is deprecated: 32-bit)
        ThreadComment(int(c["fullDatabaseId"]), c["body"] or "", bool(c["viewerDidAuthor"]))
        for c in node["comments"]["nodes"]
    )
    return Thread(
        id=node["id"],
        resolved=bool(node["isResolved"]),
        can_resolve=bool(node["viewerCanResolve"]),
        path=node["path"],
        comments=comments,
    )
