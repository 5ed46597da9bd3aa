"""The last step of GitHub's App manifest flow (``prgate app create``)."""

from __future__ import annotations

from typing import Any

import httpx
from githubkit import GitHub, UnauthAuthStrategy

from workers.github.client import TIMEOUT, USER_AGENT, described
from workers.shared.settings import Settings


def convert_manifest(
    settings: Settings, code: str, *, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """The last step of GitHub's manifest flow: trade the one-time ``code`` for the new App's
    id, slug, private key and webhook secret (no credentials needed; the code expires in
    an hour and works once)."""
    gh: GitHub[Any] = GitHub(
        UnauthAuthStrategy(),
        base_url=settings.api_url,
        user_agent=USER_AGENT,
        timeout=TIMEOUT,
        transport=transport,
        http_cache=False,
    )
    with described():
        resp = gh.rest.apps.create_from_manifest(code)
    data = resp.json()  # the fields used are read by name; the model differs on GHES
    return dict(data) if isinstance(data, dict) else {}
