"""GitHub webhook signatures: HMAC-SHA256 of the raw body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True only for a well-formed, matching ``sha256=`` signature.

    SHA-1 (``X-Hub-Signature``) is never accepted. The comparison is
    ``hmac.compare_digest`` on equal-length ASCII, so timing says nothing about
    how much of a forged signature was right.
    """
    if not header or not header.startswith("sha256="):
        return False
    expected = sign(secret, body)
    try:
        return hmac.compare_digest(expected.encode("ascii"), header.encode("ascii"))
    except UnicodeEncodeError:
        return False
