"""The check runs a piece of work owns, recorded in Redis.

The announce job (``queued`` runs, at once) and the checks job (``in_progress``
and the conclusion) may run in either order on different workers; whoever
comes first creates the runs, under a lock, and both use the same record. The
record is also how runs are concluded when their job ends badly: an exception
on the last attempt, a timeout, a worker killed mid-job (RQ's failure callback
and its abandoned-job sweep), or a newer push that made the work moot.

Key: ``{queue}:runs:{job id}:{delivery id}`` — a rerun (a new delivery) gets
new runs, a retry of the same job keeps its runs. The part after ``runs:`` is
the runs' ``external_id`` on GitHub.

Creating a run is not idempotent on GitHub's side, so the record is also how a
retry avoids a second set: an attempt is noted before its request, and the
next attempt after one that did not come back first looks for the runs GitHub
may have made anyway (``find``). What a batch did get done is recorded even
when the rest failed: created runs, and each update sent (by its content), so
a retry repeats only what did not happen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from redis import Redis

from workers.github.errors import PartlyDone
from workers.github.types import FoundRun, RunRef
from workers.shared.settings import Settings

TTL = 7 * 24 * 3600
DONE = "_done"
ATTEMPT = "_attempt"  # a create request was sent; its answer may never have come
SENT = "_sent:"  # + an update's digest: GitHub applied it
COPY = "_copy:"  # + a run's node id: a copy GitHub made of one of this work's runs
FINAL = "_final:"  # + a check: how its run ended (conclusion, title, summary)
POLICY = "_could_not_run"  # the base config's `could-not-run`, once read (default: block)


class RunBook:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.prefix = f"{settings.queue}:runs"

    def key(self, job_id: str, delivery_id: str) -> str:
        return f"{self.prefix}:{job_id}:{delivery_id}"

    def get(self, key: str) -> dict[str, RunRef]:
        raw = self.redis.hgetall(key)
        runs = {}
        for name, value in raw.items():
            name = name.decode() if isinstance(name, bytes) else name
            if name.startswith("_"):
                continue
            data = json.loads(value)
            runs[name] = RunRef(name, data["node_id"], int(data["database_id"]))
        return runs

    def concluded(self, key: str) -> bool:
        return bool(self.redis.hexists(key, DONE))

    def mark_concluded(self, key: str) -> None:
        self.redis.hset(key, DONE, "1")

    def _fields(self, key: str, prefix: str) -> dict[str, str]:
        out = {}
        for name, value in self.redis.hgetall(key).items():
            text = name.decode() if isinstance(name, bytes) else name
            if text.startswith(prefix):
                out[text[len(prefix) :]] = value.decode() if isinstance(value, bytes) else value
        return out

    def copies(self, key: str) -> list[RunRef]:
        """Copies GitHub made of this work's runs, still to be ended like the runs themselves."""
        return [
            RunRef(data["check"], node, int(data["database_id"]))
            for node, v in self._fields(key, COPY).items()
            if (data := json.loads(v))
        ]

    def add_copies(self, key: str, runs: Iterable[RunRef]) -> None:
        self._put(
            key,
            {
                f"{COPY}{r.node_id}": json.dumps({"check": r.name, "database_id": r.database_id})
                for r in runs
            },
        )

    def finals(self, key: str) -> dict[str, dict[str, str]]:
        """How each check's run ended: {check: {conclusion, title, summary}}."""
        return {check: json.loads(v) for check, v in self._fields(key, FINAL).items()}

    def set_finals(self, key: str, finals: Mapping[str, Mapping[str, str]]) -> None:
        self._put(key, {f"{FINAL}{check}": json.dumps(dict(v)) for check, v in finals.items()})

    def policy(self, key: str) -> str:
        """The repository's ``could-not-run`` for this work: ``block`` until its config
        was read (a job that failed before reading it fails closed)."""
        value = self.redis.hget(key, POLICY)
        text = value.decode() if isinstance(value, bytes) else value
        return text if text in ("block", "neutral") else "block"

    def set_policy(self, key: str, policy: str) -> None:
        self._put(key, {POLICY: policy})

    def sent(self, key: str) -> set[str]:
        """Digests of the updates GitHub has applied for this work."""
        return set(self._fields(key, SENT))

    def mark_sent(self, key: str, digests: Iterable[str]) -> None:
        self._put(key, {f"{SENT}{d}": "1" for d in digests})

    def create_once(
        self,
        key: str,
        names: list[str],
        create: Callable[[list[str]], Mapping[str, RunRef]],
        find: Callable[[], list[FoundRun]],
    ) -> tuple[dict[str, RunRef], list[RunRef]]:
        """The runs for ``names``, and strays: runs of this work that are not its record.

        The missing runs are created by one process at a time. When an earlier
        attempt's create request may have taken effect unseen (it timed out, the
        worker died), GitHub is asked first for runs with this work's external
        id; the oldest of each name is adopted and any other is a stray.
        """
        runs = self.get(key)
        missing = [n for n in names if n not in runs]
        if not missing:
            return runs, []
        strays: list[RunRef] = []
        with self.redis.lock(f"{key}:lock", timeout=120, blocking_timeout=130):
            runs = self.get(key)
            missing = [n for n in names if n not in runs]
            if missing and self.redis.hexists(key, ATTEMPT):
                for found in find():
                    name, ref = found.run.name, found.run
                    if name in missing and name not in runs:
                        runs[name] = ref
                        self._record(key, {name: ref})
                    elif runs.get(name) != ref and found.status != "COMPLETED":
                        strays.append(ref)
                missing = [n for n in names if n not in runs]
            if missing:
                self.redis.hset(key, ATTEMPT, "1")
                self.redis.expire(key, TTL)
                try:
                    made = create(missing)
                except PartlyDone as exc:
                    self._record(key, exc.runs)
                    raise
                self._record(key, made)
                runs.update(made)
        return runs, strays

    def _record(self, key: str, made: Mapping[str, RunRef]) -> None:
        self._put(
            key,
            {
                n: json.dumps({"node_id": r.node_id, "database_id": r.database_id})
                for n, r in made.items()
            },
        )

    def _put(self, key: str, mapping: dict[Any, Any]) -> None:
        if mapping:
            self.redis.hset(key, mapping=mapping)
            self.redis.expire(key, TTL)


def digest(item: object) -> str:
    """A short, stable name for an update's content (what was sent, not when)."""
    text = json.dumps(item, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
