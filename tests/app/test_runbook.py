"""The run book (workers/runs/book.py) on a real Redis: one set of check runs per piece
of work, whoever asks first and however often a request's answer is lost."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from workers.github.errors import PartlyDone
from workers.github.types import FoundRun, RunRef
from workers.runs.book import TTL, RunBook, digest
from workers.shared.settings import Settings

NAMES = ["prgate/contamination", "prgate/jest-collision"]


def _ref(name: str, n: int) -> RunRef:
    return RunRef(name, f"CR_{n}", n)


@pytest.fixture
def book(redis_client: Any) -> RunBook:
    return RunBook(redis_client, Settings(queue="t"))


def test_two_workers_asking_at_once_make_one_set(book: RunBook) -> None:
    """The announce job and the checks job may run together on two workers: the lock makes
    one of them create the runs and the other read them."""
    key = book.key("job1", "delivery1")
    created: list[list[str]] = []
    gate = threading.Barrier(2)

    def create(missing: list[str]) -> dict[str, RunRef]:
        created.append(list(missing))
        return {n: _ref(n, i + 1) for i, n in enumerate(missing)}

    results: list[dict[str, RunRef]] = []

    def ask() -> None:
        gate.wait()
        runs, strays = book.create_once(key, NAMES, create, lambda: [])
        results.append(runs)
        assert strays == []

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert created == [NAMES]
    assert results[0] == results[1] == book.get(key)
    assert 0 < book.redis.ttl(key) <= TTL


def test_a_create_whose_answer_was_lost_is_looked_for_before_a_second(book: RunBook) -> None:
    """The first attempt timed out after GitHub made the runs: the retry adopts the oldest
    run of each name, creates none again, and hands back a younger copy as a stray."""
    key = book.key("job1", "delivery1")

    def lost(missing: list[str]) -> dict[str, RunRef]:
        raise TimeoutError("no answer")

    with pytest.raises(TimeoutError):
        book.create_once(key, NAMES, lost, lambda: [])
    found = [
        FoundRun(_ref(NAMES[0], 1), "QUEUED"),
        FoundRun(_ref(NAMES[1], 2), "QUEUED"),
        FoundRun(_ref(NAMES[0], 3), "QUEUED"),  # a second copy of the first
        FoundRun(_ref(NAMES[1], 4), "COMPLETED"),  # ended already: not a stray
    ]

    def never(missing: list[str]) -> dict[str, RunRef]:
        raise AssertionError(f"created {missing} a second time")

    runs, strays = book.create_once(key, NAMES, never, lambda: found)
    assert runs == {NAMES[0]: _ref(NAMES[0], 1), NAMES[1]: _ref(NAMES[1], 2)}
    assert strays == [_ref(NAMES[0], 3)]


def test_what_a_partly_failed_create_made_is_kept(book: RunBook) -> None:
    key = book.key("job1", "delivery1")

    def half(missing: list[str]) -> dict[str, RunRef]:
        raise PartlyDone("one refused", [0], {NAMES[0]: _ref(NAMES[0], 1)})

    with pytest.raises(PartlyDone):
        book.create_once(key, NAMES, half, lambda: [])
    asked: list[list[str]] = []

    def rest(missing: list[str]) -> dict[str, RunRef]:
        asked.append(missing)
        return {n: _ref(n, 2) for n in missing}

    runs, _ = book.create_once(key, NAMES, rest, lambda: [])
    assert asked == [[NAMES[1]]]
    assert runs == {NAMES[0]: _ref(NAMES[0], 1), NAMES[1]: _ref(NAMES[1], 2)}


def test_a_rerun_gets_new_runs_and_a_retry_keeps_them(book: RunBook) -> None:
    """The key is the job and the delivery: a new delivery (a rerun) is new work."""
    assert book.key("job1", "d1") == book.key("job1", "d1") != book.key("job1", "d2")


def test_the_record_of_what_was_sent_and_how_runs_ended(book: RunBook) -> None:
    key = book.key("job1", "delivery1")
    assert book.policy(key) == "block"  # before the base config is read: fail closed
    book.set_policy(key, "neutral")
    assert book.policy(key) == "neutral"
    book.set_policy(key, "something else")
    assert book.policy(key) == "block"
    book.mark_sent(key, [digest({"a": 1, "b": 2})])
    assert book.sent(key) == {digest({"b": 2, "a": 1})}  # by content, not key order
    book.set_finals(key, {"contamination": {"conclusion": "FAILURE", "title": "t"}})
    assert book.finals(key) == {"contamination": {"conclusion": "FAILURE", "title": "t"}}
    book.add_copies(key, [_ref(NAMES[0], 7)])
    assert book.copies(key) == [_ref(NAMES[0], 7)]
    assert book.get(key) == {}  # none of these is a run
    assert not book.concluded(key)
    book.mark_concluded(key)
    assert book.concluded(key)
