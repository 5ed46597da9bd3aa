"""Who may run what: collaborator roles (cached briefly) and ``ok-to-test`` approvals.

* A user's role on a repository comes from GitHub's collaborator-permission
  API and is kept in Redis for ``PRGATE_PERMISSION_TTL`` seconds (60), shared
  by every worker; ``member``/``team``/``organization`` events drop it at once
  when the App receives them. ``ok-to-test`` never uses the cache: it lets code
  from the pull request run in the sandbox.
* The sandboxed render runs for a pull request when its author is the
  repository's owner, a member of its organization or a collaborator, or when
  someone with write access approved the head commit with ``/prgate ok-to-test``.
  An approval names one head SHA: a new push needs a new approval.
* ``/prgate accept CHECK REASON`` (write access and above, asked fresh) lets a check
  that could not run pass on one head SHA; the acceptance is kept here, so a rerun on
  that commit that again cannot run ends accepted too, and a new push is judged anew.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis import Redis

from workers.github.client import Installation
from workers.publish.check_run import Acceptance
from workers.shared.settings import Settings

TRUSTED = ("OWNER", "MEMBER", "COLLABORATOR")  # GitHub's author associations
APPROVAL_TTL = 30 * 24 * 3600


@dataclass(frozen=True)
class Repo:
    installation_id: int
    repo_id: int
    owner: str
    name: str


class Trust:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings

    def _role_key(self, repo: Repo, login: str) -> str:
        return f"{self.settings.queue}:role:{repo.installation_id}:{repo.repo_id}:{login.lower()}"

    def role(self, inst: Installation, repo: Repo, login: str, *, fresh: bool = False) -> str:
        """admin, maintain, write, triage, read or none."""
        key = self._role_key(repo, login)
        if not fresh:
            cached = self.redis.get(key)
            if cached is not None:
                return cached.decode() if isinstance(cached, bytes) else str(cached)
        role = inst.permission(repo.owner, repo.name, login)
        self.redis.set(key, role, ex=self.settings.permission_ttl)
        return role

    def forget_roles(self, installation_id: int, repo_id: int | None = None) -> int:
        """Drop cached roles of an installation (of one repository when given)."""
        pattern = f"{self.settings.queue}:role:{installation_id}:{repo_id or '*'}:*"
        keys = list(self.redis.scan_iter(pattern, count=500))
        return int(self.redis.delete(*keys)) if keys else 0

    def _approval_key(self, repo_id: int, pr: int) -> str:
        return f"{self.settings.queue}:approval:{repo_id}:{pr}"

    def approve(self, repo_id: int, pr: int, sha: str, by: str) -> None:
        value = json.dumps({"sha": sha, "by": by})
        self.redis.set(self._approval_key(repo_id, pr), value, ex=APPROVAL_TTL)

    def approved_by(self, repo_id: int, pr: int, sha: str) -> str | None:
        """Who approved this head commit with ``ok-to-test``; None when nobody did."""
        raw = self.redis.get(self._approval_key(repo_id, pr))
        if raw is None:
            return None
        data = json.loads(raw)
        return str(data["by"]) if data.get("sha") == sha else None

    def _acceptance_key(self, repo_id: int, sha: str, check: str) -> str:
        return f"{self.settings.queue}:accept:{repo_id}:{sha}:{check}"

    def accept(self, repo_id: int, check: str, acceptance: Acceptance) -> None:
        value = json.dumps(
            {"by": acceptance.by, "role": acceptance.role, "reason": acceptance.reason}
        )
        key = self._acceptance_key(repo_id, acceptance.sha, check)
        self.redis.set(key, value, ex=APPROVAL_TTL)

    def acceptance(self, repo_id: int, sha: str, check: str) -> Acceptance | None:
        """The maintainer's acceptance of ``check`` not running on this commit, if any."""
        raw = self.redis.get(self._acceptance_key(repo_id, sha, check))
        if raw is None:
            return None
        data = json.loads(raw)
        return Acceptance(str(data["by"]), str(data["role"]), str(data["reason"]), sha)


def render_refusal(author: str, association: str, approved_by: str | None, sha: str) -> str | None:
    """Why the sandboxed render may not run for this commit; None when it may."""
    if association in TRUSTED or approved_by:
        return None
    who = f"@{author}" if author else "the author"
    return (
        f"the sandboxed render did not run: {who} is not a member or collaborator of this "
        f"repository ({association.lower().replace('_', ' ')}), and nobody approved this commit. "
        f"Someone with write access can comment `/prgate ok-to-test` to render "
        f"{sha[:12]}; a new push needs a new approval."
    )
