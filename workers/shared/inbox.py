"""The inbox: admitting routed work (de-duplication, merging, superseding) and its key layout.

A delivery is admitted by one Lua script, atomically and in one round trip:

* A delivery id seen within ``dedupe_seconds`` (GitHub's 3-day manual
  redelivery window) is acknowledged and not admitted again.
* Check jobs have deterministic ids from (repo, PR, head SHA, checks): work
  whose job is already queued or running, or already waiting in the inbox,
  merges into it.
* A newer head SHA for a PR supersedes the PR's older work that has not
  started; the dispatcher cancels it and concludes its check runs as skipped.
* New work is appended to the **inbox**, a Redis stream, and the delivery id is
  recorded in the same script: either all of it happens or none does, so a
  delivery answered 2xx is always in Redis, and one answered 503 is retried in
  full when GitHub redelivers it.

The dispatcher (``workers.queue.dispatch``, run by every ``prgate worker``) turns
inbox entries into RQ jobs. The receiver does not create RQ jobs itself: RQ's
enqueue costs far more CPU per job in Python than one script call costs Redis,
and would cap the rate the receiver can admit (``bench/ingest.py`` measures it).

The receiver admits from its event loop with ``bot.admit.Admitter``, which
sends the deliveries that arrive while a round trip is in flight together, in
one script call. ``submit`` is the same admission for synchronous callers (the
command job, tests). The script's reply is decoded by ``read_reply``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import NoScriptError, RedisError
from rq import Queue
from rq.serializers import JSONSerializer

from workers.shared.settings import Settings
from workers.shared.work import (
    CheckRequest,
    CommandRequest,
    GroupRemovedRequest,
    InstallationRequest,
    Route,
)

log = logging.getLogger("prgate.receiver")
Request = CheckRequest | CommandRequest | InstallationRequest | GroupRemovedRequest
KINDS: dict[type[Request], str] = {
    CheckRequest: "check",
    CommandRequest: "command",
    InstallationRequest: "installation",
    GroupRemovedRequest: "group-removed",
}
PR_HEAD_TTL = 7 * 24 * 3600
INBOX_GROUP = "dispatchers"

# Admits a batch of deliveries, in order, each as if alone.
# KEYS: inbox, then per delivery: its delivery key, then per job: rq job hash, pending
#       marker, PR head hash.
# ARGV: dedupe TTL, PR head TTL, pending TTL, key prefix, then per delivery: delivery id,
#       job count, then per job: job id, kind, head SHA, has-PR flag, request JSON.
# Returns one reply per delivery: {'duplicate'} or {'admitted', state1, old1, ...}, where
# a state is 'queued' or 'merged' and old is the job id this one supersedes ('' if none).
# The old job's keys are built here (not passed in): fine on one Redis, which is all RQ
# supports anyway.
ADMIT = """
-- Work not started yet: in the inbox (pending marker) or a queued RQ job.
local function waiting(jobkey, pending)
  if redis.call('EXISTS', pending) == 1 then return true end
  local s = redis.call('HGET', jobkey, 'status')
  return s == 'queued' or s == 'scheduled' or s == 'deferred'
end
local replies = {}
local k, a = 2, 5
while a <= #ARGV do
  local delivery, njobs = ARGV[a], tonumber(ARGV[a + 1])
  local dkey = KEYS[k]
  a, k = a + 2, k + 1
  if redis.call('EXISTS', dkey) == 1 then
    table.insert(replies, {'duplicate'})
    a, k = a + 5 * njobs, k + 3 * njobs
  else
    local reply = {'admitted'}
    for _ = 1, njobs do
      local jobkey, pending, prhead = KEYS[k], KEYS[k + 1], KEYS[k + 2]
      local jid, kind, sha, haspr, request = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3],
        ARGV[a + 4]
      a, k = a + 5, k + 3
      if waiting(jobkey, pending) or redis.call('HGET', jobkey, 'status') == 'started' then
        table.insert(reply, 'merged'); table.insert(reply, '')
      else
        local old = ''
        if haspr == '1' then
          local prev = redis.call('HMGET', prhead, 'sha', 'job')
          local was = prev[2]
          if prev[1] and prev[1] ~= sha and was
              and waiting('rq:job:' .. was, ARGV[4] .. ':pending:' .. was) then
            old = was
          end
          redis.call('HSET', prhead, 'sha', sha, 'job', jid)
          redis.call('EXPIRE', prhead, ARGV[2])
        end
        redis.call('XADD', KEYS[1], '*', 'job', jid, 'kind', kind, 'delivery', delivery,
          'supersedes', old, 'request', request)
        redis.call('SET', pending, '1', 'EX', ARGV[3])
        table.insert(reply, 'queued'); table.insert(reply, old)
      end
    end
    redis.call('SET', dkey, '1', 'EX', ARGV[1])
    table.insert(replies, reply)
  end
end
return replies
"""
ADMIT_SHA = hashlib.sha1(ADMIT.encode(), usedforsecurity=False).hexdigest()  # EVALSHA name


class QueueUnavailable(Exception):
    """Redis could not be reached; the delivery must be answered 503 so GitHub shows it failed."""


@dataclass
class Admission:
    queued: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # older work this delivery cancels
    duplicate: bool = False


def connect(url: str) -> Redis:
    # Short timeouts: GitHub gives a delivery 10 s, and a hung Redis must become a 503.
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=3, health_check_interval=30)


def queue_names(settings: Settings) -> tuple[str, str]:
    """(commands, checks): commands are quick and user-facing, so workers take them first."""
    return (f"{settings.queue}-commands", f"{settings.queue}-checks")


def worker_queues(settings: Settings) -> tuple[str, str, str]:
    """What a worker listens on, in order: announcements (one quick API call), commands, checks."""
    return (f"{settings.queue}-announce", *queue_names(settings))


def inbox_key(settings: Settings) -> str:
    return f"{settings.queue}:inbox"


def pending_key(settings: Settings, jid: str) -> str:
    """Set while a job's inbox entry waits for the dispatcher; deleted when it is an RQ job."""
    return f"{settings.queue}:pending:{jid}"


def job_id(request: Request) -> str:
    if isinstance(request, CheckRequest):
        return "checks-" + hashlib.sha256(request.merge_key.encode()).hexdigest()[:32]
    kind = KINDS[type(request)]
    return f"{kind}-" + hashlib.sha256(request.delivery_id.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Call:
    """One delivery's part of an admission: its keys and arguments, and its job ids."""

    keys: list[str]
    args: list[str | int]
    jids: list[str]


def make_call(settings: Settings, delivery_id: str, route: Route) -> Call:
    prefix = settings.queue
    keys = [f"{prefix}:delivery:{delivery_id}"]
    args: list[str | int] = [delivery_id, len(route.jobs)]
    jids = []
    for request in route.jobs:
        jid = job_id(request)
        pr_key = request.pr_key if isinstance(request, CheckRequest) else None
        keys += [f"rq:job:{jid}", pending_key(settings, jid), f"{prefix}:pr-head:{pr_key or '-'}"]
        args += [
            jid,
            KINDS[type(request)],
            request.head_sha if isinstance(request, CheckRequest) else "",
            "1" if pr_key else "0",
            request.model_dump_json(),
        ]
        jids.append(jid)
    return Call(keys, args, jids)


def script_args(settings: Settings, calls: list[Call]) -> tuple[int, list[str | int]]:
    """EVALSHA's key count, and its keys and arguments, for a batch of deliveries."""
    keys: list[str] = [inbox_key(settings)]
    args: list[str | int] = [
        settings.dedupe_seconds,
        PR_HEAD_TTL,
        settings.dedupe_seconds,
        settings.queue,
    ]
    for call in calls:
        keys += call.keys
        args += call.args
    return len(keys), [*keys, *args]


def read_reply(call: Call, reply: list[Any]) -> Admission:
    states = [as_text(v) for v in reply]
    if states[0] == "duplicate":
        return Admission(duplicate=True)
    outcome = Admission()
    for jid, state, old in zip(call.jids, states[1::2], states[2::2], strict=True):
        (outcome.queued if state == "queued" else outcome.merged).append(jid)
        if old:
            outcome.superseded.append(old)
    return outcome


def submit(redis: Redis, settings: Settings, delivery_id: str, route: Route) -> Admission:
    """Admit a routed delivery from synchronous code; raise QueueUnavailable without Redis."""
    call = make_call(settings, delivery_id, route)
    numkeys, args = script_args(settings, [call])
    replies: Any
    try:
        try:
            replies = redis.evalsha(ADMIT_SHA, numkeys, *args)
        except NoScriptError:
            replies = redis.eval(ADMIT, numkeys, *args)
    except RedisError as exc:
        raise QueueUnavailable(f"Redis is unavailable: {type(exc).__name__}") from exc
    return read_reply(call, list(replies[0]))


def depth(redis: Redis, settings: Settings) -> dict[str, tuple[int, float | None]]:
    """Per queue, the inbox included: (jobs waiting, UNIX time of the oldest, or None)."""
    result: dict[str, tuple[int, float | None]] = {}
    inbox = inbox_key(settings)
    pipe = redis.pipeline(transaction=False)
    pipe.xlen(inbox)
    pipe.xrange(inbox, count=1)
    count, first = pipe.execute()
    oldest = int(as_text(first[0][0]).split("-")[0]) / 1000 if first else None
    result["inbox"] = (int(count), oldest)
    for name in queue_names(settings):
        queue = Queue(name, connection=redis, serializer=JSONSerializer)
        ids = queue.get_job_ids(0, 0)
        enqueued = redis.hget(f"rq:job:{ids[0]}", "enqueued_at") if ids else None
        result[name] = (queue.count, _timestamp(as_text(enqueued)) if enqueued else None)
    return result


def _timestamp(text: str) -> float | None:
    from rq.utils import utcparse

    try:
        return utcparse(text).timestamp()
    except ValueError:
        return None


def as_text(value: bytes | str | None) -> str:
    """A Redis reply as text (prgate's clients do not decode: RQ needs bytes)."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)
