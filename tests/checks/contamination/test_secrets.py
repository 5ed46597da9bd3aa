"""contamination/secret: every detector with positives and negatives, lines, and masking."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Tokens, check, run_cli
from workers.checks.contamination.secrets import is_placeholder_value, scan_env_text, scan_line

Repo = Callable[..., Path]
GENERATORS = {
    "github": Tokens.github,
    "github_pat": Tokens.github_pat,
    "aws": Tokens.aws,
    "slack": Tokens.slack,
    "google": Tokens.google,
    "stripe": Tokens.stripe,
}


def secrets_in(repo: Repo, files: dict[str, str | bytes]) -> list[tuple[str, int | None]]:
    report = check(repo(files))
    return sorted(
        (f.path, f.start_line) for f in report.findings if f.rule == "contamination/secret"
    )


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_token_formats_found_anywhere(repo: Repo, kind: str) -> None:
    token = GENERATORS[kind]()
    files = {"src/config.ts": f"// settings\nexport const key = '{token}';\n"}
    assert secrets_in(repo, files) == [("src/config.ts", 2)]


@pytest.mark.parametrize(
    "text",
    [
        "const GH = /ghp_[A-Za-z0-9]{36}/;",  # a regex describing the format
        "pattern: 'AKIA[0-9A-Z]{16}'",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",  # AWS's documented example key
        "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "token: ghp_" + "a" * 36,
        "GITHUB_TOKEN=ghp_<your token here>",
        "key = 'AIza...'",
        "stripe: sk_live_" + "*" * 24,
        "see https://docs.github.com about ghp_ tokens and github_pat_ tokens",
    ],
)
def test_token_lookalikes_are_not_secrets(text: str) -> None:
    assert scan_line(text) == []


def test_private_key_block(repo: Repo) -> None:
    files = {
        "deploy/id_rsa": Tokens.private_key(),
        "docs/keys.md": "intro\n\n" + Tokens.private_key(),
    }
    assert secrets_in(repo, files) == [("deploy/id_rsa", 1), ("docs/keys.md", 3)]


def test_private_key_escaped_on_one_line(repo: Repo) -> None:
    key = Tokens.private_key().replace("\n", "\\n")
    assert secrets_in(repo, {"sa.json": json.dumps({"private_key": "X"}).replace("X", key)}) == [
        ("sa.json", 1)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "A key file starts with `-----BEGIN OPENSSH PRIVATE KEY-----` and must never be\n"
        "committed. Keep it in ~/.ssh instead.\n",
        'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    return True\n',
        "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\n<paste your key here>\n-----END PRIVATE KEY-----\n",
    ],
)
def test_private_key_mentions_are_not_secrets(repo: Repo, text: str) -> None:
    assert secrets_in(repo, {"docs/ssh.md": text}) == []


def test_env_values_of_secret_named_keys(repo: Repo) -> None:
    text = (
        "# database\n"
        "DB_HOST=localhost\n"
        "DB_PASSWORD=s3cr3t-Pa55word\n"
        "export API_KEY='f9a8b7c6d5e4'\n"
        "JWT_SECRET: abc123def456ghi\n"
        "TOKEN_TTL=3600\n"
        "PASSWORD_FILE=/run/secrets/db\n"
        "SESSION_TOKEN=\n"
    )
    assert secrets_in(repo, {"ops/.env.local": text}) == [
        ("ops/.env.local", 3),
        ("ops/.env.local", 4),
        ("ops/.env.local", 5),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "changeme",
        "CHANGE_ME",
        "<db password>",
        "${DB_PASSWORD}",
        "$DB_PASSWORD",
        "{{ db_password }}",
        "your-token",
        "your_api_key_here",
        "xxx",
        "XXXXXXXX",
        "****",
        "replace-me",
        "3600",
        "true",
        "[YOUR_CLERK_SECRET_KEY]",  # TanStack/router@0eb45738's examples: 2 error-level alarms
        "[secret]",
    ],
)
def test_env_placeholders(value: str) -> None:
    assert is_placeholder_value(value)
    assert scan_env_text(f"API_TOKEN={value}\n") == []


def test_env_example_with_placeholders_is_clean_but_real_values_are_not(repo: Repo) -> None:
    clean = "API_TOKEN=changeme\nDB_PASSWORD=<set me>\nSECRET_KEY={{ secret_key }}\n"
    assert secrets_in(repo, {".env.example": clean}) == []
    leaked = "API_TOKEN=9f8e7d6c5b4a39281706\n"
    assert secrets_in(repo, {".env.example": leaked}) == [(".env.example", 1)]


def test_env_file_rendered_from_jinja_suffix(repo: Repo) -> None:
    files = {"copier.yml": "a: 1\n", "tpl/.env.jinja": "DB_PASSWORD=hunter2hunter2\n"}
    assert secrets_in(repo, files) == [("tpl/.env.jinja", 1)]


def test_token_in_env_file_is_reported_once(repo: Repo) -> None:
    files = {"ops/.env": f"GITHUB_TOKEN={Tokens.github()}\n"}
    report = check(repo(files))
    secrets = [f for f in report.findings if f.rule == "contamination/secret"]
    assert len(secrets) == 1 and "GitHub token" in secrets[0].message


def test_secret_never_printed_in_any_format(repo: Repo) -> None:
    token, aws, password = Tokens.github(), Tokens.aws(), "Tr0ub4dor-and-3-more"
    path = repo(
        {
            "copier.yml": "a: 1\n",
            "app.py": f"TOKEN = '{token}'\nAWS = '{aws}'\n",
            "t/.env": f"DB_PASSWORD={password}\n",
        }
    )
    for fmt in ("text", "json", "sarif"):
        result = run_cli("check", str(path), "--format", fmt)
        assert result.code == 1, result.stderr
        for secret in (token, token[4:], aws[4:], password):
            assert secret not in result.stdout and secret not in result.stderr
        assert "ghp_…(40 chars)" in result.stdout


def test_fingerprint_is_stable_when_lines_move(repo: Repo) -> None:
    token = Tokens.github()
    first = check(repo({"a.py": f"T = '{token}'\n"})).findings[0]
    second = check(repo({"a.py": f"# moved down\n\nT = '{token}'\n"})).findings[0]
    assert first.start_line == 1 and second.start_line == 3
    assert first.fingerprint == second.fingerprint


# --- a private key protected by a passphrase is a warning; each key made by a real tool --------


def _pem_keys(passphrase: bytes | None) -> dict[str, str]:
    """Keys as ``cryptography`` (OpenSSL) writes them, encrypted with ``passphrase``."""
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    how = s.BestAvailableEncryption(passphrase) if passphrase else s.NoEncryption()
    return {
        "pkcs8": key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, how).decode(),
        "pkcs1": key.private_bytes(
            s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, how
        ).decode(),
    }


def _tool(name: str) -> str:
    import os
    import shutil

    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: CI machines have it")
        pytest.skip(f"{name} is not installed")
    return found


def _openssh_key(tmp_path: Path, passphrase: str) -> str:
    """A key as ``ssh-keygen`` writes it, protected by ``passphrase`` (empty: none)."""
    import subprocess

    path = tmp_path / f"id-{bool(passphrase)}"
    keygen = [_tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)]
    subprocess.run(keygen, check=True, capture_output=True)
    return path.read_text()


def _pgp_key(tmp_path: Path, passphrase: str) -> str:
    """A secret key as GnuPG exports it (armored), protected by ``passphrase`` (or none)."""
    import subprocess

    home = tmp_path / f"gnupg-{bool(passphrase)}"
    home.mkdir(mode=0o700)
    protection = f"Passphrase: {passphrase}" if passphrase else "%no-protection"
    spec = (
        "Key-Type: RSA\nKey-Length: 2048\nName-Real: t\nName-Email: t@example.org\n"
        f"{protection}\n%commit\n"
    )
    gpg = [_tool("gpg"), "--homedir", str(home), "--batch", "--pinentry-mode", "loopback"]
    subprocess.run([*gpg, "--gen-key"], input=spec, text=True, check=True, capture_output=True)
    secret = [*gpg, "--armor", "--passphrase", passphrase, "--export-secret-keys"]
    return subprocess.run(secret, text=True, check=True, capture_output=True).stdout


def _secret_levels(repo: Repo, keys: dict[str, str]) -> dict[str, str]:
    files = {f"fixtures/{name}.key": text for name, text in keys.items()}
    report = check(repo(files))
    return {
        f.path.removeprefix("fixtures/").removesuffix(".key"): f.level.value
        for f in report.findings
        if f.rule == "contamination/secret"
    }


def test_a_private_key_protected_by_a_passphrase_is_a_warning(repo: Repo, tmp_path: Path) -> None:
    """gperdomor/nx-tools@7f3bd904 ships docker's test key, passphrase-protected, in two test
    fixtures; prgate said "PGP private key in plain text", an error, which it is not."""
    keys = {f"{k}-clear": v for k, v in _pem_keys(None).items()}
    keys |= {f"{k}-locked": v for k, v in _pem_keys(b"correct horse").items()}
    keys |= {
        "openssh-clear": _openssh_key(tmp_path, ""),
        "openssh-locked": _openssh_key(tmp_path, "pw"),
    }
    keys |= {"pgp-clear": _pgp_key(tmp_path, ""), "pgp-locked": _pgp_key(tmp_path, "pw")}
    assert _secret_levels(repo, keys) == {
        name: "error" if name.endswith("-clear") else "warning" for name in keys
    }
    assert "ENCRYPTED" in keys["pkcs8-locked"] and "Proc-Type: 4,ENCRYPTED" in keys["pkcs1-locked"]


def test_a_key_block_prgate_cannot_read_is_taken_for_a_key_in_plain_text(repo: Repo) -> None:
    """A truncated OpenPGP or OpenSSH body says nothing of a passphrase: still an error."""
    body = "lQdGBF6tzaABEACjFbX7PFEG6vDPN2MPyxYW7/3o/sonORj4HXUFjFxxJxkt"
    keys = {
        "pgp": f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{body}\n",
        "openssh": f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH",
    }
    assert _secret_levels(repo, keys) == {"pgp": "error", "openssh": "error"}


def test_a_value_too_plain_to_be_a_credential_is_a_warning(repo: Repo) -> None:
    """sveltejs/kit@aa810a04's test app has ``TOP_SECRET_SHH_PLS=shhhh`` in a .env: prgate
    called it a real-looking secret, an error. Short or lowercase-only values are as likely
    samples as secrets: warnings. Credential-shaped ones stay errors."""
    files = {
        "copier.yml": "_subdirectory: t\n",
        "t/.env": "TOP_SECRET_SHH_PLS=shhhh\nAPI_TOKEN=hunter\nDB_PASSWORD=correct horse\n"
        "SESSION_SECRET=s3cr3tP@ss!\nAPI_KEY=9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c\n",
    }
    report = check(repo(files))
    levels = {f.start_line: f.level for f in report.findings if f.rule == "contamination/secret"}
    assert levels == {1: "warning", 2: "warning", 3: "warning", 4: "error", 5: "error"}
    [plain] = [f for f in report.findings if f.start_line == 1 and f.rule.endswith("/secret")]
    assert "too short or too plain" in plain.message and "example file" not in plain.message


def test_a_github_token_whose_checksum_fails_is_a_warning(repo: Repo) -> None:
    """DiamondLightSource/python-copier-template@a0cac989 tests gitleaks with a made-up
    ``ghp_1234567890abcdef...`` token: prgate reported it as a GitHub token, an error. GitHub's
    tokens end in the CRC32 of their random part (six base62 digits); one that does not is a
    sample. The published example (github.blog's format, split here so that this file holds
    no token) checks the arithmetic."""
    from workers.checks.contamination.secrets import github_checksum_ok

    assert github_checksum_ok("gh" + "p_" + "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ" + "0mLq17")
    assert not github_checksum_ok("gh" + "p_" + "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ" + "0mLq18")
    real = Tokens.github()
    made_up = "gh" + "p_" + "1234567890" + "abcdefghijklmnopqrstuvwx" + "12AB"
    files = {"src/a.py": f"REAL = '{real}'\nFAKE = '{made_up}'\n"}
    report = check(repo(files))
    levels = {f.start_line: f.level for f in report.findings if f.rule == "contamination/secret"}
    assert levels == {1: "error", 2: "warning"}
    [fake] = [f for f in report.findings if f.start_line == 2]
    assert "checksum" in fake.message and "1234" not in fake.message  # the mask, never the value
