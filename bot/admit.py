"""The receiver's side of admission: many deliveries per Redis round trip.

The admission itself (the Lua script, the key layout, the reply) is the shared
contract in ``workers.shared.inbox``; this module only batches calls to it from
the receiver's event loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis.asyncio as aredis
from redis import Redis
from redis.connection import HiredisRespSerializer
from redis.exceptions import NoScriptError, RedisError

from workers.shared.inbox import (
    ADMIT,
    ADMIT_SHA,
    Admission,
    Call,
    QueueUnavailable,
    make_call,
    read_reply,
    script_args,
)
from workers.shared.settings import Settings
from workers.shared.work import Route

log = logging.getLogger("prgate.receiver")


class _HiredisPacking(aredis.connection.AbstractConnection):
    """redis-py's asyncio connections pack commands in Python, a real share of the
    receiver's CPU per delivery (``bench/ingest.py``); its synchronous connections use
    hiredis's packer (installed with ``redis[hiredis]``). This is the same packer."""

    _packer = HiredisRespSerializer()

    def pack_command(self, *args: Any) -> list[bytes]:
        packed: list[bytes] = self._packer.pack(*args)
        return packed


class _Tcp(_HiredisPacking, aredis.Connection):
    pass


class _Ssl(_HiredisPacking, aredis.SSLConnection):
    pass


class _Unix(_HiredisPacking, aredis.UnixDomainSocketConnection):
    pass


_ASYNC_CONNECTIONS: dict[str, type[aredis.connection.AbstractConnection]] = {
    "Connection": _Tcp,
    "SSLConnection": _Ssl,
    "UnixDomainSocketConnection": _Unix,
}
_SHARED_OPTIONS = {
    "host",
    "port",
    "db",
    "path",
    "username",
    "password",
    "client_name",
    "socket_timeout",
    "socket_connect_timeout",
    "health_check_interval",
}


def async_twin(redis: Redis) -> aredis.Redis:
    """An asyncio client for the server ``redis`` talks to, with the same timeouts."""
    pool = redis.connection_pool
    options = {
        k: v
        for k, v in pool.connection_kwargs.items()
        if k in _SHARED_OPTIONS or k.startswith("ssl_")
    }
    connection = _ASYNC_CONNECTIONS.get(pool.connection_class.__name__, _Tcp)
    return aredis.Redis(connection_pool=aredis.ConnectionPool(connection, **options))


class Admitter:
    """Admits deliveries from the receiver's event loop, many per round trip.

    A delivery waits for the batch in flight to return, then goes with every
    delivery that arrived meanwhile in one script call (group commit): one
    round trip at low rates, and client and Redis time per delivery shrinking
    as the rate grows. The script treats each delivery as if it came alone and
    gives each its own answer.
    """

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self._client: aredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[Call, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def _bind(self) -> aredis.Redis:
        """The asyncio client of the running loop (a test client may run several loops)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = async_twin(self.redis), loop
            self._waiting, self._flusher = [], None
        return self._client

    async def submit(self, delivery_id: str, route: Route) -> Admission:
        self._bind()
        call = make_call(self.settings, delivery_id, route)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((call, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return read_reply(call, await future)

    async def _flush(self) -> None:
        client = self._bind()
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                replies = await self._run(client, [call for call, _ in batch])
            except Exception as exc:  # never leave a delivery waiting: each gets its 503
                if not isinstance(exc, RedisError | OSError):
                    log.exception("admission failed")
                failed = QueueUnavailable(f"Redis is unavailable: {type(exc).__name__}")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(failed)
                continue
            for (_, future), reply in zip(batch, replies, strict=True):
                if not future.done():
                    future.set_result(reply)

    async def _run(self, client: aredis.Redis, calls: list[Call]) -> list[Any]:
        """One script call for the whole batch, one reply to read. NOSCRIPT means nothing
        ran: send the script itself."""
        numkeys, args = script_args(self.settings, calls)
        replies: Any
        try:
            replies = await client.evalsha(ADMIT_SHA, numkeys, *args)
        except NoScriptError:
            replies = await client.eval(ADMIT, numkeys, *args)
        return list(replies)
