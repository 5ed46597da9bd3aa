"""Bounded request receipt for the receiver: no connection holds a file descriptor for free.

uvicorn has no timeout on receiving a request: its keep-alive timeout covers
only the idle time between requests, and an ASGI app runs only once the
headers are in, so a client that connects and sends nothing, or sends a
``Content-Length`` and then nothing, holds its connection (a file descriptor)
for as long as it likes. Enough of them and the receiver can no longer accept
GitHub's deliveries. Nothing in uvicorn's settings bounds this (its issue #157
lists the timeouts as wanted, unbuilt), so the receiver wraps uvicorn's own
HTTP protocol class:

* every request must arrive whole (headers and body) within
  ``PRGATE_REQUEST_TIMEOUT`` seconds of the connection opening, or of the last
  response on a kept-alive connection; otherwise it is answered 408 (when no
  response has started) and the connection closed;
* at most ``PRGATE_MAX_CONNECTIONS`` connections are open at once (fewer when
  the process's open-file limit is lower): a new connection over the limit
  closes the connection that has waited longest for its request, so a flood of
  idle connections cannot lock out new deliveries.

GitHub sends a delivery at once and gives up on it after 10 s, so a slower
request is never GitHub's.
"""

from __future__ import annotations

import asyncio
import resource
import time
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

RESERVED_FDS = 64  # for Redis, logs and the process's own files
_TIMEOUT_BODY = b'{"outcome": "timeout", "detail": "the request did not arrive whole"}'
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    + f"content-length: {len(_TIMEOUT_BODY)}\r\n\r\n".encode()
    + _TIMEOUT_BODY
)


def connection_cap(wanted: int) -> int:
    """``wanted``, or fewer when the open-file limit would not allow that many."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - RESERVED_FDS))


def deadline_protocol(timeout: float, max_connections: int) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class, with the receipt deadline and the connection cap."""
    cap = connection_cap(max_connections)
    base: Any = AutoHTTPProtocol

    class DeadlineProtocol(base):  # type: ignore[misc]
        _deadline: asyncio.TimerHandle | None = None
        _armed_at: float = 0.0

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm()
            open_now = self.server_state.connections
            if len(open_now) > cap:
                waiting = [c for c in open_now if c is not self and c._deadline is not None]
                if waiting:
                    min(waiting, key=lambda c: c._armed_at)._expire(answer=False)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            cycle = self.cycle
            if cycle is not None and not cycle.more_body and not cycle.response_complete:
                self._disarm()  # the request is in; the app's own time is not bounded here

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection gets the same bound

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._armed_at = time.monotonic()
            self._deadline = self.loop.call_later(timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self, answer: bool = True) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            cycle = self.cycle
            if answer and (cycle is None or not cycle.response_started):
                self.transport.write(_TIMEOUT_RESPONSE)
            if cycle is not None:
                cycle.disconnected = True  # the app's receive() now says http.disconnect
                cycle.message_event.set()
            self.transport.close()

    return DeadlineProtocol
