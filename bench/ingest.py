"""Benchmark: webhook ingest over HTTP, prgate's receiver against a bare FastAPI endpoint.

Every server runs as a separate process with the same uvicorn settings. The
baseline (``bare``) is a FastAPI route that answers 200 after reading the
body; prgate verifies, routes, de-duplicates and admits into real Redis
(``REDIS_URL``, else an embedded server). Two more references: ``verify+parse``
(a FastAPI route doing HMAC and ``json.loads``) and ``bare ASGI`` (a plain ASGI
endpoint that only reads the body: prgate's webhook route is plain ASGI too,
so this is the floor for any receiver written that way). Every delivery is a
distinct signed ``pull_request.synchronize`` (new delivery id, PR and head
SHA), so each one is really queued: no merging.

Two phases, in one run:

* throughput: ``--concurrency`` clients send ``--count`` deliveries as fast as
  the server answers: deliveries/s. ``--rounds`` rounds, every server in turn
  in each, and the median per server, so a change in the machine's speed
  during the run does not favour one server;
* latency at a fixed rate (``--rate``/s for ``--seconds``): p50 and p99.

Then nothing lost: prgate's inbox holds every delivery it answered, and a
dispatcher turns each into an RQ job.

Targets: prgate >= 70% of the baseline's throughput; p99 < 20 ms at 200/s.

    python3 dev.py bench ingest [--count 3000] [--rounds 3] [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import httpx  # readiness polling only

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import StealMeter  # noqa: E402
from bot.signature import sign  # noqa: E402

SECRET = "bench-secret"
PATH = "/api/github/webhooks"
PAYLOAD = json.loads(
    (
        ROOT.parent / "shared" / "github-webhooks" / "pull_request" / "synchronize.payload.json"
    ).read_text()
)
BARE_APP = textwrap.dedent(
    """
    import hashlib, hmac, json

    from fastapi import FastAPI, Request

    app = FastAPI()

    @app.post("/api/github/webhooks")
    async def hook(request: Request) -> dict[str, bool]:
        await request.body()
        return {"ok": True}

    # The same without FastAPI's per-request machinery: a plain ASGI endpoint, as prgate's
    # webhook route is one.
    async def asgi(scope, receive, send):
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", b"11")]})
        await send({"type": "http.response.body", "body": b'{"ok":true}'})

    # The least any correct receiver does: verify the signature and parse the JSON.
    parse = FastAPI()

    @parse.post("/api/github/webhooks")
    async def verify_and_parse(request: Request) -> dict[str, bool]:
        body = await request.body()
        expected = "sha256=" + hmac.new(b"bench-secret", body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", ""))
        json.loads(body)
        return {"ok": ok}
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def deliveries(n: int, start: int) -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for i in range(start, start + n):
        payload = json.loads(json.dumps(PAYLOAD))
        payload["pull_request"]["number"] = 10_000 + i
        payload["pull_request"]["head"]["sha"] = f"{i:040x}"
        body = json.dumps(payload).encode()
        out.append(
            (
                body,
                {
                    "X-GitHub-Event": "pull_request",
                    "X-GitHub-Delivery": str(uuid.uuid4()),
                    "X-Hub-Signature-256": sign(SECRET, body),
                    "Content-Type": "application/json",
                },
            )
        )
    return out


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


def raw_requests(port: int, items: list[tuple[bytes, dict[str, str]]]) -> list[bytes]:
    """Pre-built HTTP/1.1 requests, so the client spends no time building them while timed."""
    out = []
    for body, headers in items:
        head = f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        out.append(head.encode() + body)
    return out


class Connection:
    """One keep-alive connection. httpx tops out near 300 requests/s on this machine, below
    what the bare endpoint serves, so the load generator writes raw requests instead."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    address = ("127.0.0.1", 0)

    @classmethod
    async def open(cls, port: int) -> Connection:
        conn = cls(*await asyncio.open_connection("127.0.0.1", port))
        conn.address = ("127.0.0.1", port)
        return conn

    async def post(self, request: bytes) -> int:
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:  # the server closed an idle keep-alive connection: reconnect once
            self.writer.close()
            self.reader, self.writer = await asyncio.open_connection(*self.address)
            self.writer.write(request)
            status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


async def throughput(port: int, requests: list[bytes], concurrency: int) -> float:
    pending = list(reversed(requests))
    conns = [await Connection.open(port) for _ in range(concurrency)]

    async def sender(conn: Connection) -> None:
        while pending:
            status = await conn.post(pending.pop())
            assert status == 200, status

    start = time.perf_counter()
    await asyncio.gather(*(sender(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    return len(requests) / elapsed


async def fixed_rate(port: int, requests: list[bytes], rate: float) -> list[float]:
    """Open-loop: request i is sent at i/rate seconds on a free connection (a new one if none)."""
    idle: list[Connection] = [await Connection.open(port) for _ in range(8)]
    latencies: list[float] = []

    async def one(request: bytes) -> None:
        conn = idle.pop() if idle else await Connection.open(port)
        start = time.perf_counter()
        status = await conn.post(request)
        latencies.append(time.perf_counter() - start)
        idle.append(conn)
        assert status == 200, status

    tasks = []
    begin = time.perf_counter()
    for i, request in enumerate(requests):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request)))
    await asyncio.gather(*tasks)
    for c in idle:
        c.close()
    return latencies


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] * 1000


def run_rounds(
    servers: dict[str, int], args: argparse.Namespace
) -> tuple[dict[str, list[float]], int]:
    """Throughput, round after round, each server in turn: a drift in the machine's speed
    (other load, CPU steal) hits every server alike instead of the one measured last."""
    rates: dict[str, list[float]] = {name: [] for name in servers}
    offset = 0
    for port in servers.values():  # warm-up: connections, imports, the script cache
        asyncio.run(throughput(port, raw_requests(port, deliveries(300, offset)), args.concurrency))
        offset += 300
    sent = 0
    for _ in range(args.rounds):
        for name, port in servers.items():
            load = raw_requests(port, deliveries(args.count, offset))
            offset += args.count
            rates[name].append(asyncio.run(throughput(port, load, args.concurrency)))
            sent += args.count if name == "prgate" else 0
    return rates, sent


def latency(port: int, args: argparse.Namespace, offset: int) -> tuple[float, float]:
    paced = raw_requests(port, deliveries(int(args.rate * args.seconds), offset))
    lat = asyncio.run(fixed_rate(port, paced, args.rate))
    return pct(lat, 50), pct(lat, 99)


def dispatched(redis_url: str, sent: int) -> str:
    """Nothing lost: every delivery prgate answered is in its inbox, and a dispatcher (what
    every `prgate worker` runs) turns them all into RQ jobs."""
    from redis import Redis

    from workers.queue.dispatch import Dispatcher
    from workers.shared.inbox import inbox_key, queue_names
    from workers.shared.settings import Settings

    redis = Redis.from_url(redis_url)
    settings = Settings(WEBHOOK_SECRET=SECRET)
    inbox = redis.xlen(inbox_key(settings))
    started = time.perf_counter()
    Dispatcher(redis, settings).drain()
    elapsed = time.perf_counter() - started
    jobs = redis.llen(f"rq:queue:{queue_names(settings)[1]}")
    assert inbox == sent and jobs == sent, (sent, inbox, jobs)
    return (
        f"deliveries answered by prgate: {sent}; in the inbox: {inbox}; RQ check jobs after "
        f"dispatch: {jobs} (one dispatcher: {jobs / elapsed:.0f} jobs/s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    bindir = Path(sys.executable).parent
    procs: list[subprocess.Popen[bytes]] = []
    embedded = None
    redis_url = os.environ.get("REDIS_URL")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if not redis_url:
                from bot.embedded_redis import EmbeddedRedis

                embedded = EmbeddedRedis(Path(tmp))
                redis_url = embedded.start()
            from redis import Redis

            Redis.from_url(redis_url).flushdb()
            env = {
                **os.environ,
                "WEBHOOK_SECRET": SECRET,
                "REDIS_URL": redis_url,
                "LOG_LEVEL": "warning",
            }
            prgate_port, bare_port, parse_port, asgi_port = (free_port() for _ in range(4))
            procs.append(
                subprocess.Popen(
                    [str(bindir / "prgate"), "serve", "--port", str(prgate_port)], env=env
                )
            )
            (Path(tmp) / "bare_app.py").write_text(BARE_APP)
            for app, port in (("app", bare_port), ("parse", parse_port), ("asgi", asgi_port)):
                procs.append(
                    subprocess.Popen(
                        [
                            str(bindir / "uvicorn"),
                            f"bare_app:{app}",
                            "--port",
                            str(port),
                            "--log-level",
                            "warning",
                            "--no-access-log",
                        ],
                        cwd=tmp,
                    )
                )
            for port in (prgate_port, bare_port, parse_port, asgi_port):
                wait_ready(f"http://127.0.0.1:{port}/")
            print(
                f"redis: {redis_url}; {args.rounds} rounds of {args.count} deliveries per "
                f"server, concurrency {args.concurrency}"
            )
            steal = StealMeter()
            servers = {
                "bare": bare_port,
                "verify+parse": parse_port,
                "bare ASGI": asgi_port,
                "prgate": prgate_port,
            }
            rates, sent = run_rounds(servers, args)
            best = {name: statistics.median(r) for name, r in rates.items()}
            for i, (name, port) in enumerate(servers.items()):
                p50, p99 = latency(port, args, 10_000_000 * (i + 1))
                each = " ".join(f"{r:.0f}" for r in rates[name])
                print(
                    f"{name:<13} {best[name]:7.0f} deliveries/s (median of {each})   "
                    f"at {args.rate:.0f}/s: p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
                )
                if name == "prgate":
                    ours_p99 = p99
            sent += 300 + int(args.rate * args.seconds)
            print(
                f"ratio    throughput prgate/bare {best['prgate'] / best['bare']:6.1%}"
                "  (target >= 70%)"
            )
            print(
                f"         verify+parse/bare {best['verify+parse'] / best['bare']:6.1%}"
                "  (json.loads of the whole body, no Redis)"
            )
            print(
                f"         prgate/bare ASGI {best['prgate'] / best['bare ASGI']:6.1%}"
                "  (a plain ASGI endpoint that only reads the body)"
            )
            print(f"         p99 at {args.rate:.0f}/s: {ours_p99:.2f} ms  (target < 20 ms)")
            print(steal.report())
            print(dispatched(redis_url, sent))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(30)
            if embedded is not None:
                embedded.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
