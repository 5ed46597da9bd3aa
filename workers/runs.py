"""The check runs a piece of work owns, recorded in Redis.

The announce job (``queued`` runs, at once) and the checks job (``in_progress``
and the conclusion) may run in either order on different workers; whoever
comes first creates the runs, under a lock, and both use the same record. The
record is also how runs are concluded when their job ends badly: an exception
on the last attempt, a timeout, a worker killed mid-job (RQ's failure callback
and its abandoned-job sweep), or a newer push that made the work moot.

Key: ``{queue}:runs:{job id}:{delivery id}`` — a rerun (a new delivery) gets
new runs, a retry of the same job keeps its runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from redis import Redis

from bot.settings import Settings
from workers.github import RunRef

TTL = 7 * 24 * 3600
DONE = "_done"


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

    def create_once(
        self, key: str, names: list[str], create: Callable[[list[str]], Mapping[str, RunRef]]
    ) -> dict[str, RunRef]:
        """The runs for ``names``; the missing ones are created, by one process at a time."""
        runs = self.get(key)
        missing = [n for n in names if n not in runs]
        if not missing:
            return runs
        with self.redis.lock(f"{key}:lock", timeout=120, blocking_timeout=130):
            runs = self.get(key)
            missing = [n for n in names if n not in runs]
            if missing:
                made = create(missing)
                self.redis.hset(
                    key,
                    mapping={
                        n: json.dumps({"node_id": r.node_id, "database_id": r.database_id})
                        for n, r in made.items()
                    },
                )
                self.redis.expire(key, TTL)
                runs.update(made)
        return runs
