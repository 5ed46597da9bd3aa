"""The webhook receiver: verify, parse only what is needed, enqueue. Nothing slow.

Order of checks on ``POST {WEBHOOK_PATH}``, each before the next:

1. size: a body over ``PRGATE_MAX_BODY_BYTES`` (25 MB) is refused with 413,
   from ``Content-Length`` when given, else as soon as the stream passes it;
2. signature: ``X-Hub-Signature-256`` must match (constant-time) — else 401,
   before anything in the body is parsed;
3. headers and JSON: missing ``X-GitHub-Event``/``X-GitHub-Delivery`` or a body
   that is not a JSON object — 400;
4. ``ping`` — 200; events and actions prgate does not act on — 202 with why;
5. admit — 200 when queued (in the inbox, see ``workers.shared.inbox``), merged into
   queued work, or a known redelivery; 503 when Redis is unreachable, so GitHub
   shows the delivery as failed and it can be redelivered. Never a 2xx for
   work that was not queued.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis import Redis
from redis.exceptions import RedisError
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope, Send

from bot.admit import Admitter
from bot.metrics import Metrics
from bot.routing import PayloadError, check_object, route
from bot.signature import verify
from workers.shared.inbox import QueueUnavailable, depth
from workers.shared.settings import Settings
from workers.shared.stats import read_stats
from workers.shared.work import CheckRequest, Route

log = logging.getLogger("prgate.receiver")
DELIVERY_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")
EVENT_NAME = re.compile(r"[a-z_]{1,64}")


class BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


Answer = tuple[int, dict[str, Any], dict[str, Any]]  # status, response document, log fields


def _answer(status: int, outcome: str, detail: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    return status, {"outcome": outcome, "detail": detail, **extra}


class Webhook:
    """``POST {WEBHOOK_PATH}`` as a plain ASGI endpoint, ahead of the FastAPI app.

    Why not a FastAPI route: FastAPI's per-request machinery (and its middleware
    stack: error pages, telemetry, body limit, exception handlers) costs more CPU
    than everything this endpoint does itself (``bench/ingest.py``). This
    endpoint takes no parameters and needs none of it: it limits the body
    itself, and an unexpected exception still becomes a 500 from the server.
    """

    def __init__(self, settings: Settings, admitter: Admitter, metrics: Metrics) -> None:
        if not settings.webhook_secret:
            raise ValueError(
                "WEBHOOK_SECRET is not set: prgate will not accept unsigned deliveries"
            )
        self.settings = settings
        self.secret = settings.webhook_secret
        self.admitter = admitter
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            doc = {"outcome": "bad-request", "detail": "method not allowed: use POST"}
            await _send_json(send, 405, doc, ((b"allow", b"POST"),))
            return
        started = time.perf_counter()
        request = Request(scope, receive)
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        status, doc, fields = await self._handle(request, event, delivery)
        outcome = doc["outcome"]
        label = event if EVENT_NAME.fullmatch(event) else "invalid"
        self.metrics.delivered(label, outcome)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "delivery %s",
                outcome,
                extra={
                    "delivery": delivery[:100] or None,
                    "event": label,
                    "outcome": outcome,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    **fields,
                },
            )
        await _send_json(send, status, doc)

    async def _handle(self, request: Request, event: str, delivery: str) -> Answer:
        settings = self.settings
        try:
            body = await _read_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            return *_answer(413, "too-large", f"body over {settings.max_body_bytes} bytes"), {}
        except ClientDisconnect:  # gone, or cut off by bot.deadline: nobody to answer
            return *_answer(408, "timeout", "the request did not arrive whole"), {}
        if not verify(self.secret, body, request.headers.get("x-hub-signature-256")):
            return *_answer(401, "bad-signature", "missing or wrong X-Hub-Signature-256"), {}
        if not EVENT_NAME.fullmatch(event) or not DELIVERY_ID.fullmatch(delivery):
            detail = "missing or malformed X-GitHub-Event or X-GitHub-Delivery header"
            return *_answer(400, "bad-request", detail), {}
        try:
            if event == "ping":
                check_object(body)
                return *_answer(200, "pong", "ping received"), {}
            routed = route(event, body, delivery, settings)
        except PayloadError as exc:
            return *_answer(400, "bad-request", str(exc)), {}
        fields = _log_fields(routed)
        if not routed.handled:
            return *_answer(202, "ignored", routed.reason), fields
        enqueue_started = time.perf_counter()
        try:
            result = await self.admitter.submit(delivery, routed)
        except QueueUnavailable as exc:
            return *_answer(503, "unavailable", f"{exc}; redeliver later"), fields
        self.metrics.enqueue_seconds.observe(time.perf_counter() - enqueue_started)
        if result.duplicate:
            return *_answer(200, "duplicate", "delivery already queued"), fields
        outcome = "queued" if result.queued else "merged"
        extra = {"jobs": result.queued + result.merged, "superseded": result.superseded}
        return *_answer(200, outcome, routed.reason, **extra), {**fields, "jobs": extra["jobs"]}


async def _send_json(
    send: Send, status: int, doc: dict[str, Any], extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps(doc, separators=(",", ":")).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": [*head, *extra]})
    await send({"type": "http.response.body", "body": body})


class Receiver:
    """The ASGI app ``prgate serve`` runs: deliveries to ``Webhook``, the rest to FastAPI."""

    def __init__(self, webhook: Webhook, api: FastAPI, path: str) -> None:
        self.webhook = webhook
        self.api = api
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            await self.webhook(scope, receive, send)
        else:
            await self.api(scope, receive, send)


def create_app(settings: Settings, redis: Redis) -> Receiver:
    admitter = Admitter(redis, settings)
    metrics = Metrics(lambda: depth(redis, settings), lambda: read_stats(redis, settings))
    webhook = Webhook(settings, admitter, metrics)
    app = FastAPI(title="prgate", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            await run_in_threadpool(redis.ping)
        except RedisError as exc:
            return JSONResponse({"status": "redis unavailable", "error": type(exc).__name__}, 503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics")
    async def prometheus() -> Response:
        data = await run_in_threadpool(generate_latest, metrics.registry)
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    return Receiver(webhook, app, settings.webhook_path)


def _log_fields(routed: Route) -> dict[str, Any]:
    for job in routed.jobs:
        fields: dict[str, Any] = (
            {"repo": job.repo_full_name} if hasattr(job, "repo_full_name") else {}
        )
        if isinstance(job, CheckRequest):
            fields.update(pr=job.pr_number, sha=job.head_sha)
        elif hasattr(job, "pr_number"):
            fields["pr"] = job.pr_number
        return fields
    return {"reason": routed.reason}
