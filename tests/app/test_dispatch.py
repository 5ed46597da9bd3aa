"""The inbox between the receiver and RQ: admission in batches, dispatch, crashes on either side.

Real Redis throughout; the receiver's admission is ``workers.shared.inbox``, the
dispatcher is ``workers.queue.dispatch`` as ``prgate worker`` runs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

import workers.queue.dispatch
from bot.admit import Admitter
from bot.routing import route
from tests.receiver.test_receiver import load, settings
from workers.queue.dispatch import Dispatcher
from workers.shared.inbox import INBOX_GROUP, depth, inbox_key, pending_key, submit
from workers.shared.work import Route

SETTINGS = settings()


def sync_route(sha: str = "a" * 40, number: int = 2, delivery: str = "d") -> Route:
    payload = load("pull_request/synchronize.payload.json")
    payload["pull_request"]["head"]["sha"] = sha
    payload["pull_request"]["number"] = number
    return route("pull_request", json.dumps(payload).encode(), delivery, SETTINGS)


def queue(redis: Redis, name: str) -> Queue:
    return Queue(f"prgate-{name}", connection=redis, serializer=JSONSerializer)


def test_admission_writes_the_inbox_and_the_dispatcher_makes_the_jobs(redis_client: Redis) -> None:
    outcome = submit(redis_client, SETTINGS, "d-1", sync_route(delivery="d-1"))
    (jid,) = outcome.queued
    assert redis_client.xlen(inbox_key(SETTINGS)) == 1
    assert redis_client.exists(pending_key(SETTINGS, jid))
    assert queue(redis_client, "checks").count == 0  # nothing in RQ until dispatched

    # the group is created on first use, from the start of the stream: nothing admitted
    # before any dispatcher existed is skipped
    assert Dispatcher(redis_client, SETTINGS).drain() == 1
    assert redis_client.xlen(inbox_key(SETTINGS)) == 0  # dispatched entries are removed
    assert not redis_client.exists(pending_key(SETTINGS, jid))
    assert queue(redis_client, "checks").get_job_ids() == [jid]
    (announce,) = queue(redis_client, "announce").get_jobs()
    assert announce.func_name == "workers.jobs.announce_checks"
    assert announce.kwargs["job_id"] == jid


def test_an_idle_worker_is_handed_the_announce_job_first(
    redis_client: Redis, redis_url: str
) -> None:
    """A worker blocked on its queues (as RQ's idle worker is, in BLPOP) gets the first job
    pushed, whatever order it lists the queues in: the runs must appear queued first."""
    import threading

    from tests.support.fake_github import wait_for

    names = [queue(redis_client, n) for n in ("announce", "commands", "checks")]
    got: list[Any] = []
    name = f"idle-worker-{os.getpid()}"
    own = Redis.from_url(redis_url, client_name=name)

    def idle_worker() -> None:
        got.append(Queue.dequeue_any(names, 10, connection=own, serializer=JSONSerializer))

    def blocked() -> bool:
        return any(
            c.get("name") == name and c.get("cmd") == "blpop" for c in redis_client.client_list()
        )

    waiter = threading.Thread(target=idle_worker)
    waiter.start()
    assert wait_for(blocked, 30)  # blocked in BLPOP before the jobs arrive
    submit(redis_client, SETTINGS, "d-order", sync_route(delivery="d-order"))
    Dispatcher(redis_client, SETTINGS).drain()
    waiter.join(15)
    [(job, _)] = got
    assert job.func_name == "workers.jobs.announce_checks"


def test_an_entry_held_by_a_dead_dispatcher_is_taken_over(
    redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit(redis_client, SETTINGS, "d-1", sync_route(delivery="d-1"))
    dead = Dispatcher(redis_client, SETTINGS, consumer="dead")
    dead._ensure_group()
    taken = redis_client.xreadgroup(INBOX_GROUP, "dead", {inbox_key(SETTINGS): ">"}, count=10)
    assert len(taken[0][1]) == 1  # read, then the process died before dispatching it

    monkeypatch.setattr(workers.queue.dispatch, "RECLAIM_IDLE_MS", 200)
    other = Dispatcher(redis_client, SETTINGS, consumer="other")
    assert other.drain() == 0  # still within the idle time: maybe the holder is only slow
    time.sleep(0.3)
    other._reclaimed_at = 0.0  # its next reclaim pass is due (every 5 s in a running worker)
    assert other.drain() == 1
    assert queue(redis_client, "checks").count == 1
    assert redis_client.xlen(inbox_key(SETTINGS)) == 0
    assert redis_client.xpending(inbox_key(SETTINGS), INBOX_GROUP)["pending"] == 0


def test_a_crash_between_cancel_and_enqueue_still_concludes_the_old_work(
    redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = submit(redis_client, SETTINGS, "d-old", sync_route("a" * 40, delivery="d-old"))
    Dispatcher(redis_client, SETTINGS).drain()
    newer = submit(redis_client, SETTINGS, "d-new", sync_route("b" * 40, delivery="d-new"))
    assert newer.superseded == old.queued

    crashing = Dispatcher(redis_client, SETTINGS, consumer="crashing")
    real = crashing.redis.pipeline

    def pipeline_that_dies(*args: Any, **kwargs: Any) -> Any:
        pipe = real(*args, **kwargs)

        def die(*args: Any) -> None:
            raise SystemExit("killed")

        pipe.xack = die  # the cancel happened; the dispatcher's MULTI never reaches Redis
        return pipe

    monkeypatch.setattr(crashing.redis, "pipeline", pipeline_that_dies)
    with pytest.raises(SystemExit):
        crashing.drain()
    monkeypatch.undo()
    old_job = Job.fetch(old.queued[0], connection=redis_client, serializer=JSONSerializer)
    assert old_job.get_status() == JobStatus.CANCELED
    assert redis_client.xlen(inbox_key(SETTINGS)) == 1  # the entry is still there

    monkeypatch.setattr(workers.queue.dispatch, "RECLAIM_IDLE_MS", 0)
    assert Dispatcher(redis_client, SETTINGS, consumer="next").drain() == 1
    announced = [j.func_name for j in queue(redis_client, "announce").get_jobs()]
    assert announced.count("workers.jobs.conclude_superseded") == 1
    assert queue(redis_client, "checks").get_job_ids() == newer.queued


def test_an_entry_that_cannot_become_a_job_is_kept_aside_not_dropped(redis_client: Redis) -> None:
    dispatcher = Dispatcher(redis_client, SETTINGS)
    dispatcher._ensure_group()
    inbox = inbox_key(SETTINGS)
    redis_client.xadd(inbox, {"job": "checks-x", "kind": "check", "request": "{"})
    redis_client.xadd(inbox, {"job": "checks-y", "kind": "a kind from a newer receiver"})
    submit(redis_client, SETTINGS, "d-1", sync_route(delivery="d-1"))
    assert dispatcher.drain() == 3
    assert queue(redis_client, "checks").count == 1  # the good entry after them went through
    dead = [fields for _, fields in redis_client.xrange(f"{inbox}-dead")]
    assert [(f[b"job"], f[b"error"].split(b":")[0]) for f in dead] == [
        (b"checks-x", b"ValidationError"),
        (b"checks-y", b"KeyError"),
    ]
    assert redis_client.xlen(inbox) == 0
    assert redis_client.xpending(inbox, INBOX_GROUP)["pending"] == 0


def test_work_in_the_inbox_is_merged_and_superseded_before_it_is_a_job(
    redis_client: Redis,
) -> None:
    first = submit(redis_client, SETTINGS, "d-1", sync_route("a" * 40, delivery="d-1"))
    same = submit(redis_client, SETTINGS, "d-2", sync_route("a" * 40, delivery="d-2"))
    assert same.merged == first.queued and not same.queued
    other_pr = submit(redis_client, SETTINGS, "d-3", sync_route("c" * 40, 3, delivery="d-3"))
    assert other_pr.superseded == []
    newer = submit(redis_client, SETTINGS, "d-4", sync_route("b" * 40, delivery="d-4"))
    assert newer.superseded == first.queued
    Dispatcher(redis_client, SETTINGS).drain()
    statuses = {
        jid: Job.fetch(jid, connection=redis_client, serializer=JSONSerializer).get_status()
        for jid in first.queued + other_pr.queued + newer.queued
    }
    assert statuses == {
        first.queued[0]: JobStatus.CANCELED,
        other_pr.queued[0]: JobStatus.QUEUED,
        newer.queued[0]: JobStatus.QUEUED,
    }


def test_started_work_is_neither_merged_into_twice_nor_superseded(redis_client: Redis) -> None:
    first = submit(redis_client, SETTINGS, "d-1", sync_route("a" * 40, delivery="d-1"))
    Dispatcher(redis_client, SETTINGS).drain()
    redis_client.hset(f"rq:job:{first.queued[0]}", "status", "started")
    assert submit(redis_client, SETTINGS, "d-2", sync_route("a" * 40, delivery="d-2")).merged
    newer = submit(redis_client, SETTINGS, "d-3", sync_route("b" * 40, delivery="d-3"))
    assert newer.queued and newer.superseded == []  # a running job reports on its own SHA


def test_concurrent_deliveries_are_admitted_in_batches_each_with_its_own_answer(
    redis_client: Redis,
) -> None:
    admitter = Admitter(redis_client, SETTINGS)
    routes = [sync_route(f"{i:040x}", 100 + i, delivery=f"d-{i}") for i in range(40)]

    async def main() -> list[Any]:
        calls = [admitter.submit(f"d-{i}", r) for i, r in enumerate(routes)]
        calls.append(admitter.submit("d-0", routes[0]))  # a redelivery inside the same batch
        calls.append(admitter.submit("d-x", routes[1]))  # the same work, another delivery
        return await asyncio.gather(*calls)

    redis_client.script_flush()  # the first batch meets NOSCRIPT and loads the script
    outcomes = asyncio.run(main())
    assert [len(o.queued) for o in outcomes[:40]] == [1] * 40
    assert outcomes[40].duplicate
    assert outcomes[41].merged == outcomes[1].queued
    assert len({o.queued[0] for o in outcomes[:40]}) == 40
    assert redis_client.xlen(inbox_key(SETTINGS)) == 40
    assert depth(redis_client, SETTINGS)["inbox"][0] == 40


def test_the_admitter_answers_queue_unavailable_when_redis_is_gone(redis_client: Redis) -> None:
    from workers.shared.inbox import QueueUnavailable, connect

    admitter = Admitter(connect("redis://127.0.0.1:1/0"), SETTINGS)  # nothing listens there

    async def main() -> None:
        await admitter.submit("d-1", sync_route(delivery="d-1"))

    with pytest.raises(QueueUnavailable, match="Redis is unavailable"):
        asyncio.run(main())


def test_a_command_rerun_admitted_by_a_job_is_dispatched_in_the_same_burst(
    redis_client: Redis,
) -> None:
    """``prgate worker --burst`` keeps going while jobs add entries."""
    calls = []

    def work() -> None:
        calls.append(queue(redis_client, "checks").count)
        if len(calls) == 1:  # the first round's job admits more work, as /prgate rerun does
            submit(redis_client, SETTINGS, "d-2", sync_route("b" * 40, 9, delivery="d-2"))
        else:
            queue(redis_client, "checks").empty()

    submit(redis_client, SETTINGS, "d-1", sync_route(delivery="d-1"))
    workers.queue.dispatch.burst(Dispatcher(redis_client, SETTINGS), work)
    assert calls == [1, 2]
    assert redis_client.xlen(inbox_key(SETTINGS)) == 0


@pytest.mark.parametrize(
    "name",
    [
        "workers.jobs.run_checks",
        "workers.jobs.announce_checks",
        "workers.jobs.installation_changed",
        "workers.jobs.on_check_failure",
        "workers.jobs.on_quick_failure",
        "workers.jobs.stop_retrying_if_permanent",
        "workers.jobs.sweep_strays",
        "workers.jobs.conclude_superseded",
        "workers.jobs.run_command",
        "workers.command_job.run_command",  # queued before the jobs moved into workers/jobs/
    ],
)
def test_the_job_names_rq_stores_still_resolve(name: str) -> None:
    """A job queued before a deploy runs after it: RQ imports its function by dotted name."""
    from rq.utils import import_attribute

    assert callable(import_attribute(name))


def test_every_job_the_dispatcher_names_imports() -> None:
    """RQ stores a job's function by its dotted name and imports it when the job runs, maybe
    after a deploy: every name in the dispatcher's one table must resolve to a function."""
    import importlib

    from workers.queue.dispatch import JOB_FUNCTIONS, JOBS, ON_FAILURE, QUICK_FAILURE

    for name, dotted in JOBS.items():
        module, _, attr = dotted.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attr)), name
    assert {*JOB_FUNCTIONS.values(), *ON_FAILURE.values(), QUICK_FAILURE} <= set(JOBS.values())


def test_a_dispatcher_takes_over_the_scheduling_of_one_killed(redis_client: Redis) -> None:
    """One dispatcher at a time moves the due jobs of a queue (RQ's locks); when it was
    killed and its locks lapsed, another takes them at its next try, not ten minutes on."""
    from datetime import timedelta

    from rq.scheduler import RQScheduler

    from workers.queue.scheduling import Scheduling

    names = [queue(redis_client, n).name for n in ("announce", "commands", "checks")]
    killed = Scheduling(redis_client, names, retry_seconds=0)
    other = Scheduling(redis_client, names, retry_seconds=0)
    killed.step()
    other.step()
    assert killed.scheduler.acquired_locks == set(names)
    assert not other.scheduler.acquired_locks  # one scheduler per queue
    checks = queue(redis_client, "checks")
    checks.enqueue_in(timedelta(seconds=-1), "time.sleep", 0, job_id="due")
    redis_client.delete(*(RQScheduler.get_locking_key(n) for n in names))  # lapsed
    other.step()
    assert other.scheduler.acquired_locks == set(names)
    assert checks.get_job_ids() == ["due"]
    other.leave()
    assert not any(redis_client.exists(RQScheduler.get_locking_key(n)) for n in names)
