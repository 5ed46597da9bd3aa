"""The baseline: findings a repository accepts as they are, by fingerprint.

Adopting prgate on a repository with old findings should not block every commit until all
are fixed. ``prgate baseline`` writes the findings of now to ``.github/prgate-baseline.json``
(the config's ``baseline`` key names another file); from then on a finding whose
fingerprint is in it is reported as suppressed ("accepted in the baseline") and does not
fail. Fingerprints come from the rule, the path and the finding's subject, never its
wording, so a reworded message stays accepted; a new finding, or the same defect in a new
file, is not in the baseline. The file is read from the same revision as the
configuration: on the App, the pull request's base, so a pull request cannot accept its
own findings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from workers.engine.config import CONFIG_PATH, ConfigError, RepoConfig, parse_config
from workers.engine.findings import Finding

VERSION = 1


def parse_baseline(text: str, source: str) -> frozenset[str]:
    """The accepted fingerprints; ConfigError names the file when it is not a baseline."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{source}: not JSON: {exc}") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("version") != VERSION
        or not isinstance(entries, list)
    ):
        raise ConfigError(
            f"{source}: not a prgate baseline (expected version {VERSION} and a findings list; "
            "`prgate baseline` writes one)"
        )
    fingerprints = [e.get("fingerprint") if isinstance(e, dict) else None for e in entries]
    if not all(isinstance(f, str) and f for f in fingerprints):
        raise ConfigError(f"{source}: every finding needs its fingerprint")
    return frozenset(f for f in fingerprints if isinstance(f, str))


def render_baseline(findings: Iterable[Finding]) -> str:
    """The baseline of these findings (errors and warnings; notes never fail anything)."""
    kept = sorted(
        (f for f in findings if f.level.value != "note" and f.suppressed is None),
        key=lambda f: (f.path, f.rule, f.fingerprint),
    )
    entries = [
        {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "message": f.message}
        for f in kept
    ]
    return json.dumps({"version": VERSION, "findings": entries}, indent=2, ensure_ascii=False)


def with_baseline(
    config: RepoConfig, read: Callable[[str], str | None], where: str = ""
) -> RepoConfig:
    """``config`` accepting the findings of its baseline file, as ``read`` (a path ->
    text or None) finds it in the configuration's revision; ``where`` prefixes messages."""
    text = read(config.baseline)
    if text is None:
        return config
    return config.with_baseline(parse_baseline(text, f"{where}{config.baseline}"))


def config_at(
    read: Callable[[str], str | None], where: str = "", *, baseline: bool = True
) -> RepoConfig:
    """The configuration of one revision, as ``read`` (a path -> text or None) finds it
    there: ``.github/prgate.yml`` (defaults without one) and, unless ``baseline`` is
    False, the findings its baseline accepts. ``where`` prefixes messages (``main:``)."""
    from workers.engine.registry import rule_ids

    text = read(CONFIG_PATH)
    config = RepoConfig()
    if text is not None:
        config = parse_config(text, f"{where}{CONFIG_PATH}", rule_ids())
    return with_baseline(config, read, where) if baseline else config
