"""On GitHub, a check that could not judge blocks the merge until it passes or a maintainer
accepts that commit (``/prgate accept``); only a repository that opts out gets ``neutral``.

Branch protection counts ``success``, ``neutral`` and ``skipped`` as passing for a
required check, so every could-not-run path here asserts a conclusion outside that set.
Real payloads, real git, Redis and RQ; GitHub is the schema-checked fake.
"""

from __future__ import annotations

from tests.support.worker_harness import NUMBER, Harness

PASSING = {"SUCCESS", "NEUTRAL", "SKIPPED"}  # what branch protection accepts
DEEP = 100_000
# Node's JSON.parse reads it, Python's does not: jest-collision and ts-imports cannot judge
DEEP_PACKAGE = '{"name":"root","jest":{},"x":' + "[" * DEEP + "]" * DEEP + "}"
CONTAMINATED = {"tpl/.env": "TOKEN=1\n", "package.json": DEEP_PACKAGE}


def replies(gh: Harness) -> list[str]:
    return [body for number, body in gh.fake.issue_comments if number == NUMBER]


def opened(gh: Harness) -> str:
    sha = gh.open_pr(CONTAMINATED)
    gh.deliver(sha)
    gh.work()
    return sha


def test_a_check_that_cannot_judge_blocks_and_the_others_keep_their_verdicts(
    gh: Harness,
) -> None:
    opened(gh)
    contamination = gh.fake.run("prgate/contamination")
    assert contamination.conclusion == "FAILURE", contamination.summary
    jest = gh.fake.run("prgate/jest-collision")
    assert jest.conclusion == "ACTION_REQUIRED", jest.history
    assert jest.conclusion not in PASSING
    summary = jest.summary or ""
    assert "could not run" in summary and "too deeply" in summary
    assert "`/prgate accept jest-collision <reason>`" in summary
    assert [a["identifier"] for a in jest.actions] == ["rerun", "rerun-all"]


def test_a_writer_accepts_that_commit_only(gh: Harness) -> None:
    sha = opened(gh)
    gh.fake.roles["maint"] = "write"
    gh.comment("/prgate accept jest-collision Node reads it; checked by hand", "maint")
    gh.work()
    jest = gh.fake.run("prgate/jest-collision")
    assert jest.conclusion == "NEUTRAL", jest.history
    assert "Accepted by @maint** (write)" in (jest.summary or "")
    assert "Node reads it; checked by hand" in (jest.summary or "")
    assert gh.fake.run("prgate/contamination").conclusion == "FAILURE"  # only that check
    assert gh.fake.reactions[-1][1] == "+1"
    assert any("passes on" in r and sha[:12] in r for r in replies(gh))

    # a rerun on the same commit that again cannot judge stays accepted
    gh.comment("/prgate rerun jest-collision", "maint")
    gh.work()
    newest = gh.fake.runs_named("prgate/jest-collision")[-1]
    assert newest.conclusion == "NEUTRAL" and "Accepted by @maint" in (newest.summary or "")

    # a new push is judged anew
    new = gh.open_pr({**CONTAMINATED, "docs/b.md": "b\n"})
    gh.deliver(new, "synchronize")
    gh.work()
    latest = [r for r in gh.fake.runs_named("prgate/jest-collision") if r.head_sha == new]
    assert latest and latest[-1].conclusion == "ACTION_REQUIRED"


def test_accept_needs_write_access_even_from_the_author(gh: Harness) -> None:
    opened(gh)
    gh.comment("/prgate accept jest-collision trust me", "contributor")  # the PR's author
    gh.work()
    assert gh.fake.run("prgate/jest-collision").conclusion == "ACTION_REQUIRED"
    assert gh.fake.reactions[-1][1] == "confused"
    (reply,) = replies(gh)
    assert "`accept` needs write access" in reply


def test_accept_without_a_reason_or_check_is_refused(gh: Harness) -> None:
    opened(gh)
    gh.fake.roles["maint"] = "admin"
    gh.comment("/prgate accept jest-collision\n/prgate accept lint because", "maint")
    gh.work()
    assert gh.fake.run("prgate/jest-collision").conclusion == "ACTION_REQUIRED"
    (reply,) = replies(gh)
    assert reply.count("usage: `/prgate accept CHECK REASON`") == 2


def test_accept_does_not_pass_a_check_that_ran_and_failed(gh: Harness) -> None:
    opened(gh)
    gh.fake.roles["maint"] = "write"
    gh.comment("/prgate accept contamination it is fine", "maint")
    gh.work()
    assert gh.fake.run("prgate/contamination").conclusion == "FAILURE"
    assert any("lets only a check that could not run pass" in r for r in replies(gh))


def test_an_acceptance_given_before_the_run_ends_applies_when_it_ends(gh: Harness) -> None:
    sha = gh.open_pr(CONTAMINATED)
    gh.deliver(sha)
    gh.fake.roles["maint"] = "maintain"
    gh.comment("/prgate accept jest-collision known parser limit", "maint")
    gh.work()  # the command runs before the checks
    assert any("if `prgate/jest-collision` cannot run on this commit" in r for r in replies(gh))
    jest = gh.fake.run("prgate/jest-collision")
    assert jest.conclusion == "NEUTRAL", jest.history
    assert "Accepted by @maint** (maintain)" in (jest.summary or "")


def test_a_repository_may_opt_out_in_its_base_config(gh: Harness) -> None:
    gh.commit({".github/prgate.yml": "could-not-run: neutral\n"}, "weaken the gate")
    opened(gh)
    jest = gh.fake.run("prgate/jest-collision")
    assert jest.conclusion == "NEUTRAL"
    assert "`could-not-run: neutral`" in (jest.summary or "")


def test_a_pull_request_cannot_opt_itself_out(gh: Harness) -> None:
    sha = gh.open_pr({**CONTAMINATED, ".github/prgate.yml": "could-not-run: neutral\n"})
    gh.deliver(sha)
    gh.work()
    assert gh.fake.run("prgate/jest-collision").conclusion == "ACTION_REQUIRED"


def test_nx_generators_that_cannot_judge_block_too(gh: Harness) -> None:
    """A plugin's package.json padded past the read limit: nx-generators cannot say there
    are no generators, so its run blocks instead of ending skipped (which would pass)."""
    padding = "x" * (2 * 1024 * 1024 + 1024)
    plugin = '{"name": "plug", "generators": "./generators.json", "d": "' + padding + '"}'
    sha = gh.open_pr({"tools/plug/package.json": plugin})
    gh.deliver(sha)
    gh.work()
    run = gh.fake.run("prgate/nx-generators")
    assert run.conclusion == "ACTION_REQUIRED", run.history
    assert run.conclusion not in PASSING
    assert "tools/plug/package.json" in (run.summary or "")
