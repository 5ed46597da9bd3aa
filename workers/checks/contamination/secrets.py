"""Secret detection for the contamination check: pure functions over text.

Why not a detector library: detect-secrets (Yelp) is the obvious candidate, but
it is the peer this check must beat by 10x on a 50k-file tree (it runs every
plugin over every line in Python; ``bench/contamination.py``), and its keyword and
entropy plugins flag the very things this rule must not: regular expressions
that describe a token format, placeholders, and docs that mention a key header.
So detection is two-stage: fixed-string needles (``NEEDLES``) that ``git grep``
finds in C, then the precise patterns below on the few lines that hit.

Every detector rejects placeholders (``xxxx``, ``EXAMPLE``, ``...``, ``<...>``)
and works on concrete strings only, so ``ghp_[A-Za-z0-9]{36}`` is not a token.
Nothing here ever returns a secret's value: callers get a mask.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from workers.checks.contamination.key_blocks import encrypted

# Fixed strings one of which every token-format secret contains.
NEEDLES = (
    "PRIVATE KEY",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "github_pat_",
    "AKIA",
    "ASIA",
    "ABIA",
    "ACCA",
    "xox",
    "xapp-",
    "hooks.slack.com/services/",
    "AIza",
    "sk_live_",
    "rk_live_",
)


@dataclass(frozen=True)
class Detector:
    id: str
    kind: str  # what a reader is told it is
    pattern: re.Pattern[str]
    prefix_len: int  # characters of the match that are format, not secret (shown in the mask)


_B = r"(?<![A-Za-z0-9_])"  # token boundary before
_E = r"(?![A-Za-z0-9_])"  # and after

DETECTORS = (
    Detector(
        "github-token", "GitHub token", re.compile(_B + r"gh[pousr]_[A-Za-z0-9]{36,251}" + _E), 4
    ),
    Detector(
        "github-token",
        "GitHub fine-grained personal access token",
        re.compile(_B + r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}" + _E),
        11,
    ),
    Detector(
        "aws-access-key-id",
        "AWS access key id",
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"),
        4,
    ),
    Detector(
        "slack-token", "Slack token", re.compile(_B + r"xox[abposr]-[0-9A-Za-z-]{10,250}" + _E), 5
    ),
    Detector(
        "slack-token",
        "Slack app token",
        re.compile(_B + r"xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]{32,}" + _E),
        5,
    ),
    Detector(
        "slack-webhook",
        "Slack incoming webhook URL",
        re.compile(r"hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}"),
        26,
    ),
    Detector(
        "google-api-key",
        "Google API key",
        re.compile(r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
        4,
    ),
    Detector(
        "stripe-live-key",
        "Stripe live secret key",
        re.compile(_B + r"[sr]k_live_[0-9A-Za-z]{24,247}" + _E),
        8,
    ),
)

PRIVATE_KEY_HEADER = re.compile(
    r"-----BEGIN ((?:RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP|SSH2 ENCRYPTED) )?PRIVATE KEY( BLOCK)?-----"
)
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{32,}")
_MAX_BLOCK_LINES = 400  # an 8192-bit RSA key in OpenPGP armor is about 220 lines
_PLACEHOLDER_IN_TOKEN = re.compile(
    r"x{5}|X{5}|0{8}|\*{3}|\.{3}|EXAMPLE|example|FAKE|fake|DUMMY|dummy"
)

# Secret-named keys in env-like files (*TOKEN*, *SECRET*, *PASSWORD*, *API_KEY*).
_SECRET_KEY = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY", re.IGNORECASE)
# ... unless the key names something about the secret rather than the secret itself.
_NOT_A_SECRET_KEY = re.compile(
    r"_(FILE|PATH|URL|URI|ENDPOINT|TTL|EXPIRY|EXPIRES(_IN)?|EXPIRE(_\w+)?|LENGTH|HEADER|NAME|"
    r"ENABLED|ALGORITHM|TYPE|LIFETIME|TIMEOUT|ID|KEY_ID|HASH_ROUNDS|MIN_LENGTH|PREFIX)$",
    re.IGNORECASE,
)
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*?)\s*$")
_PLACEHOLDER_WORDS = {
    "changeme",
    "change-me",
    "change_me",
    "changethis",
    "change-this",
    "replaceme",
    "replace-me",
    "replace_me",
    "todo",
    "tbd",
    "placeholder",
    "dummy",
    "example",
    "redacted",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "secret",
    "password",
    "token",
}


@dataclass(frozen=True)
class SecretMatch:
    detector: str
    kind: str
    mask: str
    key: str | None = None  # the variable name, for env-like files
    fix: str | None = None
    certain: bool = True  # False: a value prgate cannot tell from a sample (a warning)
    example: bool = False  # in an example file, where placeholders belong
    encrypted: bool = False  # a private key block protected by a passphrase (a warning)
    doubt: str = ""  # why a token-format match may not be a real one (then a warning)


def mask(value: str, shown: int) -> str:
    """``ghp_…(40 chars)``: the format prefix and the length, never the secret part."""
    shown = min(shown, max(len(value) - 8, 0))
    return f"{value[:shown]}…({len(value)} chars)"


def _is_placeholder_token(token: str, prefix_len: int) -> bool:
    body = token[prefix_len:]
    return bool(_PLACEHOLDER_IN_TOKEN.search(body)) or len(set(body)) < 6


def scan_line(text: str) -> list[SecretMatch]:
    """Token-format secrets on one line."""
    found = []
    for det in DETECTORS:
        for m in det.pattern.finditer(text):
            token = m.group(0)
            if _is_placeholder_token(token, det.prefix_len):
                continue
            match = SecretMatch(det.id, det.kind, mask(token, det.prefix_len))
            if token[:4] in CHECKSUMMED and not github_checksum_ok(token):
                doubt = (
                    "its last six characters are not the checksum GitHub gives every token "
                    "it issues: a sample, most likely"
                )
                match = dataclasses.replace(match, certain=False, doubt=doubt)
            found.append(match)
    return found


CHECKSUMMED = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")  # the first detector's prefixes
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def github_checksum_ok(token: str) -> bool:
    """GitHub's token format (github.blog, 2021-04-05, "Behind GitHub's new authentication
    token formats"): after the ``gh?_`` prefix, random characters, then the CRC32 of those
    characters in six base62 digits. A string that fails it is not a token GitHub issued."""
    body, checksum = token[4:-6], token[-6:]
    value, number = zlib.crc32(body.encode("ascii")), 0
    for char in checksum:
        number = number * 62 + _BASE62.index(char)
    return number == value


def private_key_at(lines: list[str], index: int) -> SecretMatch | None:
    """A private key block whose header is on ``lines[index]`` and that has key material.

    Documentation and code that only mention the header have no base64 body in
    the lines that follow (or after an escaped ``\\n`` on the same line).
    """
    line = lines[index]
    header = PRIVATE_KEY_HEADER.search(line)
    if header is None:
        return None
    after = line[header.end() :].split("\\n")
    candidates = after + lines[index + 1 : index + 8]
    for candidate in candidates:
        stripped = candidate.strip(" \t\r\"',;|\\")
        if _KEY_BODY.fullmatch(stripped) and not _is_placeholder_token(stripped, 0):
            kind = f"{(header.group(1) or '').strip()} private key".strip()
            block = after + lines[index + 1 : index + _MAX_BLOCK_LINES]
            return SecretMatch(
                "private-key",
                kind[0].upper() + kind[1:],
                "key material not shown",
                encrypted=bool(encrypted(header.group(1) or "", block)),
            )
    return None


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    # an unquoted value ends at " #" (a comment)
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


# Values projects publish as local defaults (documented in their READMEs and compose
# files): a committed one is not a leaked secret.
KNOWN_DEFAULTS = {
    "postgres",
    "admin",
    "root",
    "guest",
    "test",
    "dev",
    "development",
    "local",
    "localhost",
    "minioadmin",
    "rabbitmq",
    "mysql",
    "redis",
    "mongo",
    "keycloak",
    "password123",
    "admin123",
    "secret123",
    "supersecret",
    "super-secret-jwt-token-with-at-least-32-characters-long",
}
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.(eyJ[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+")
_PLACEHOLDER_PHRASES = re.compile(
    r"replace|your[-_ ]|generate|fill[-_ ]?in|insert[-_ ]|enter[-_ ]|put[-_ ]|set[-_ ]me|"
    r"strong|secure|random|insecure|not[-_ ]?a[-_ ]?secret|demo|sample|local|dev[-_]",
    re.IGNORECASE,
)


def is_known_default(value: str) -> bool:
    """A publicly documented local default: ``postgres``, ``admin``, the JWT secret and the
    demo keys a local Supabase stack ships with."""
    v = value.strip()
    if v.lower() in KNOWN_DEFAULTS:
        return True
    jwt = _JWT.fullmatch(v)
    if jwt is not None:
        import base64
        import json

        part = jwt.group(1)
        try:
            claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except ValueError:
            return False
        return isinstance(claims, dict) and claims.get("iss") == "supabase-demo"
    return False


def looks_random(value: str) -> bool:
    """Whether a value has the shape of a generated credential rather than of words: long
    enough, no placeholder phrasing, not dash- or underscore-joined words, letters mixed with
    digits or a JWT."""
    v = value.strip()
    if len(v) < 16 or _PLACEHOLDER_PHRASES.search(v):
        return False
    if _JWT.fullmatch(v):
        return True
    segments = [p for p in re.split(r"[-_. ]+", v) if p]
    if len(segments) >= 2 and all(p.isalpha() or p.isdigit() for p in segments):
        return False  # words, such as correct-horse-battery-staple
    return bool(re.search(r"[A-Za-z]", v)) and bool(re.search(r"\d", v))


def credential_shaped(value: str) -> bool:
    """Whether a value could be a credential by its shape: eight characters or more, and
    not lowercase letters alone (a word). ``shhhh`` and ``hunter`` are samples as likely as
    secrets (sveltejs/kit's test apps); ``s3cr3tP@ss!`` and generated tokens are not."""
    v = value.strip()
    return len(v) >= 8 and re.fullmatch(r"[a-z]+(?: [a-z]+)*", v) is None


def is_placeholder_value(value: str) -> bool:
    v = value.strip()
    low = v.lower()
    return (
        not v
        or low in _PLACEHOLDER_WORDS
        or v.startswith(("${", "$(", "<"))
        or (v.startswith("[") and v.endswith("]"))  # `[YOUR_CLERK_SECRET_KEY]`
        or re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", v) is not None
        or "{{" in v
        or "{%" in v
        or low.startswith("your")
        or re.fullmatch(r"[xX*.\-_#]+", v) is not None
        or re.search(r"change.?me|replace.?me|placeholder|example|x{4,}|\*{3,}", low) is not None
        or re.fullmatch(r"\d{1,10}", v) is not None
    )


def env_assignments(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number, key, value unquoted) of each ``KEY=value`` line of an env-like file."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(line)
        if m is not None:
            yield number, m.group(1), _unquote(m.group(2))


def scan_env_text(text: str, example: bool = False) -> list[tuple[int, SecretMatch]]:
    """Secret-named keys with real-looking values in an env-like file: (line, match).

    In an ``example`` file (``.env.example``, ``.env.sample``, ...) values are placeholders
    and published defaults by intent: only one with the shape of a generated credential is
    reported, and as uncertain (a warning). Known local defaults are never secrets."""
    found = []
    for number, key, value in env_assignments(text):
        if not _SECRET_KEY.search(key) or _NOT_A_SECRET_KEY.search(key):
            continue
        if is_placeholder_value(value) or is_known_default(value):
            continue
        if example and not looks_random(value):
            continue
        found.append(
            (
                number,
                SecretMatch(
                    "secret-value",
                    f"value of {key}",
                    f"{key}=…({len(value)} chars)",
                    key=key,
                    fix=f"{key}=changeme",
                    certain=not example and credential_shaped(value),
                    example=example,
                ),
            )
        )
    return found
