"""Slash commands, reruns from GitHub's UI, required checks and config notes, end to end.

Real payloads go through the receiver's routing and queue; an in-process RQ
worker runs the jobs with real git, Redis and Copier; GitHub is the respx fake.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from tests.conftest import WEBHOOKS
from tests.support.fake_github import APP_ID
from tests.support.worker_harness import NUMBER, RUNS, Harness
from workers import sandbox

PERMISSION = "GET /api/v3/repos/Codertocat/Hello-World/collaborators/{}/permission"


def opened(gh: Harness, files: dict[str, str | None] | None = None) -> str:
    """A PR by ``contributor`` (not a collaborator), checked once."""
    sha = gh.open_pr(files or {"docs/guide.md": "# guide\n"})
    gh.deliver(sha)
    gh.work()
    assert all(len(gh.fake.runs_named(n)) == 1 for n in RUNS)
    return sha


def counts(gh: Harness) -> dict[str, int]:
    return {name: len(gh.fake.runs_named(name)) for name in RUNS}


def reactions(gh: Harness) -> list[str]:
    return [content for _, content in gh.fake.reactions]


def replies(gh: Harness) -> list[str]:
    return [body for number, body in gh.fake.issue_comments if number == NUMBER]


# --- /prgate rerun ------------------------------------------------------------------------------


def test_rerun_by_a_writer_runs_every_check_again_on_the_current_head(gh: Harness) -> None:
    sha = opened(gh)
    gh.fake.roles["maint"] = "maintain"
    assert gh.comment("Looks flaky.\n/prgate rerun\n", "maint").handled
    gh.work()

    assert reactions(gh) == ["+1"]
    assert replies(gh) == []  # an accepted rerun needs no words; the new runs speak
    assert counts(gh) == dict.fromkeys(RUNS, 2)
    for name in RUNS:
        newest = gh.fake.runs_named(name)[-1]
        assert newest.head_sha == sha
        assert newest.history == ["QUEUED", "IN_PROGRESS", "COMPLETED:SUCCESS"]
    assert gh.fake.calls().count(PERMISSION.format("maint")) == 1


def test_rerun_by_the_pr_author_needs_no_write_access(gh: Harness) -> None:
    opened(gh)
    gh.comment("/prgate rerun jest-collision", "contributor")  # role: read
    gh.work()
    assert reactions(gh) == ["+1"]
    assert counts(gh) == {**dict.fromkeys(RUNS, 1), "prgate/jest-collision": 2}
    assert PERMISSION.format("contributor") not in gh.fake.calls()  # authorship is enough


def test_rerun_by_a_reader_is_refused_with_the_reason(gh: Harness) -> None:
    opened(gh)
    gh.fake.roles["passer-by"] = "triage"
    gh.comment("/prgate rerun", "passer-by")
    gh.work()
    assert reactions(gh) == ["confused"]
    assert counts(gh) == dict.fromkeys(RUNS, 1)  # nothing ran
    (reply,) = replies(gh)
    assert reply.startswith("@passer-by prgate did not run:")
    assert "`/prgate rerun`: `rerun` needs write access" in reply
    assert "your role here is triage" in reply


def test_unknown_command_and_unknown_check_get_confused_and_a_hint(gh: Harness) -> None:
    opened(gh)
    gh.fake.roles["maint"] = "write"
    gh.comment("/prgate deploy\n/prgate rerun lint", "maint")
    gh.work()
    assert reactions(gh) == ["confused"]
    (reply,) = replies(gh)
    assert "`/prgate deploy`: `deploy` is not a prgate command; try `/prgate help`." in reply
    assert "`lint` is not a check" in reply
    assert counts(gh) == dict.fromkeys(RUNS, 1)


def test_roles_are_cached_briefly_and_dropped_on_member_events(gh: Harness) -> None:
    opened(gh)
    gh.fake.roles["maint"] = "write"
    for _ in range(2):
        gh.comment("/prgate rerun contamination", "maint")
        gh.work()
    assert gh.fake.calls().count(PERMISSION.format("maint")) == 1
    assert reactions(gh) == ["+1", "+1"]  # one per comment
    assert counts(gh)["prgate/contamination"] == 3

    # write access removed; GitHub tells the App (when it has the members permission)
    gh.fake.roles["maint"] = "read"
    member = json.loads((WEBHOOKS / "installation_repositories" / "added.payload.json").read_text())
    payload: dict[str, Any] = {
        "action": "edited",
        "member": {**member["sender"], "login": "maint"},
        "changes": {"old_permission": {"from": "write"}},
        "repository": json.loads((WEBHOOKS / "pull_request" / "opened.payload.json").read_text())[
            "repository"
        ],
        "sender": member["sender"],
    }  # no member payload is in tests/data/github-webhooks: built from real parts
    routed = gh.send("member", payload)
    assert routed.reason == "member.edited: cached permissions dropped"
    gh.comment("/prgate rerun contamination", "maint")
    gh.work()
    assert gh.fake.calls().count(PERMISSION.format("maint")) == 2
    assert reactions(gh)[-1] == "confused"


def test_commands_on_a_closed_pull_request_are_refused(gh: Harness) -> None:
    opened(gh)
    gh.fake.roles["maint"] = "admin"
    gh.fake.pulls[NUMBER].state = "CLOSED"
    gh.comment("/prgate rerun", "maint")
    gh.work()
    assert reactions(gh) == ["confused"]
    assert "the pull request is closed." in replies(gh)[0]
    assert counts(gh) == dict.fromkeys(RUNS, 1)


# --- comments that are not commands --------------------------------------------------------------


def test_commands_in_code_blocks_and_quotes_are_ignored(gh: Harness) -> None:
    opened(gh)
    gh.fake.roles["maint"] = "write"
    routed = gh.comment("To rerun:\n```\n/prgate rerun\n```\n> /prgate rerun\n", "maint")
    assert not routed.handled
    assert routed.reason == (
        "issue_comment.created: no /prgate command (code blocks and quotes do not count)"
    )
    gh.work()
    assert gh.fake.reactions == [] and counts(gh) == dict.fromkeys(RUNS, 1)


def test_prgates_own_comments_and_other_bots_are_ignored(gh: Harness) -> None:
    opened(gh)
    for login in ("prgate[bot]", "dependabot[bot]"):
        routed = gh.comment("/prgate rerun", login, user_type="Bot")
        assert routed.reason == "issue_comment.created: comments by bots are never commands"
    gh.work()
    assert gh.fake.reactions == [] and counts(gh) == dict.fromkeys(RUNS, 1)


def test_an_edited_comment_does_not_trigger_again(gh: Harness) -> None:
    opened(gh)
    gh.fake.roles["maint"] = "write"
    routed = gh.comment("/prgate rerun", "maint", action="edited")
    assert routed.reason == "issue_comment.edited: only new comments can carry commands"
    gh.work()
    assert gh.fake.reactions == [] and counts(gh) == dict.fromkeys(RUNS, 1)


# --- /prgate help -----------------------------------------------------------------------------


def test_help_lists_the_commands_and_the_base_branchs_effective_config(gh: Harness) -> None:
    gh.commit({".github/prgate.yml": "jest-collision:\n  run-from: [packages/web]\n"}, "config")
    opened(gh, {".github/prgate.yml": "jest-collision:\n  enabled: false\n"})
    gh.comment("/prgate help", "anyone")
    gh.work()
    assert reactions(gh) == ["+1"]
    (reply,) = replies(gh)
    for usage in ("`/prgate rerun [CHECK...]`", "`/prgate ok-to-test`", "`/prgate help`"):
        assert usage in reply
    assert "(`.github/prgate.yml` on `main`; defaults filled in)" in reply
    assert "run-from:\n  - packages/web" in reply  # the base's value, not the PR's
    assert "enabled: false" not in reply
    assert PERMISSION.format("anyone") not in gh.fake.calls()


# --- ok-to-test and the sandboxed render -----------------------------------------------------

RENDER_ON = {".github/prgate.yml": "hook-validation:\n  render: true\n"}
WITHHELD = "the sandboxed render did not run: @contributor is not a member or collaborator"
# the note of a render that ran, in the sandbox or (where none can start) with tasks skipped
RENDERED = "rendered in the sandbox" if sandbox.unavailable() is None else "rendered with tasks"


def hook_summary(gh: Harness) -> str:
    """The newest hook-validation summary as GitHub shows it (Markdown escapes read)."""
    return re.sub(r"\\(.)", r"\1", gh.fake.runs_named("prgate/hook-validation")[-1].summary or "")


def test_ok_to_test_renders_this_head_only(gh: Harness) -> None:
    gh.commit(RENDER_ON, "render mode on")
    opened(gh, {"tpl/NOTES.md": "notes\n"})
    assert WITHHELD in hook_summary(gh) and RENDERED not in hook_summary(gh)

    # the author cannot approve their own code; a reader cannot either
    gh.fake.roles["reader"] = "read"
    gh.comment("/prgate ok-to-test", "contributor")
    gh.comment("/prgate ok-to-test", "reader")
    gh.work()
    assert reactions(gh) == ["confused", "confused"]
    assert all("`ok-to-test` needs write access" in r for r in replies(gh))
    assert counts(gh)["prgate/hook-validation"] == 1

    gh.fake.roles["maint"] = "write"
    gh.comment("/prgate ok-to-test", "maint")
    gh.work()
    assert reactions(gh)[-1] == "+1"
    assert counts(gh) == {**dict.fromkeys(RUNS, 1), "prgate/hook-validation": 2}
    assert RENDERED in hook_summary(gh) and WITHHELD not in hook_summary(gh)
    assert gh.fake.calls().count(PERMISSION.format("maint")) == 1

    # a new push: the approval was for the old head only
    new = gh.commit({"tpl/MORE.md": "more\n"}, "another change")
    gh.push_pr(new)
    gh.deliver(new, "synchronize")
    gh.work()
    latest = gh.fake.runs_named("prgate/hook-validation")[-1]
    assert latest.head_sha == new
    assert WITHHELD in hook_summary(gh) and RENDERED not in hook_summary(gh)


def test_ok_to_test_always_asks_github_for_the_role(gh: Harness) -> None:
    gh.commit(RENDER_ON, "render mode on")
    opened(gh)
    gh.fake.roles["maint"] = "write"
    gh.comment("/prgate rerun hook-validation", "maint")  # caches the role
    gh.work()
    gh.fake.roles["maint"] = "read"  # demoted within the cache's lifetime
    gh.comment("/prgate ok-to-test", "maint")
    gh.work()
    assert reactions(gh) == ["+1", "confused"]
    assert WITHHELD in hook_summary(gh)


def test_trusted_authors_get_the_render_without_approval(gh: Harness) -> None:
    gh.commit(RENDER_ON, "render mode on")
    sha = gh.open_pr({"tpl/NOTES.md": "notes\n"})
    gh.fake.pulls[NUMBER].association = "MEMBER"
    gh.deliver(sha)
    gh.work()
    assert RENDERED in hook_summary(gh) and "did not run" not in hook_summary(gh)


# --- reruns from GitHub's UI -------------------------------------------------------------------


def ui_payload(event: str, action: str, sha: str) -> dict[str, Any]:
    payload = json.loads((WEBHOOKS / event / f"{action}.payload.json").read_text())
    item = payload[event]
    item["head_sha"] = sha
    item["app"]["id"] = APP_ID
    suite = json.loads((WEBHOOKS / "check_suite" / "rerequested.payload.json").read_text())
    pr = copy.deepcopy(suite["check_suite"]["pull_requests"][0])  # GitHub's shape, our PR
    pr["number"] = NUMBER
    pr["base"].update(ref="main", sha="0" * 40)
    pr["head"].update(ref="feature", sha=sha)
    item["pull_requests"] = [pr]
    return payload


def test_check_run_rerequested_creates_a_new_run_for_that_check(gh: Harness) -> None:
    sha = opened(gh)
    payload = ui_payload("check_run", "rerequested", sha)
    payload["check_run"]["name"] = "prgate/hook-validation"
    gh.send("check_run", payload)
    gh.work()
    assert counts(gh) == {**dict.fromkeys(RUNS, 1), "prgate/hook-validation": 2}
    new = gh.fake.runs_named("prgate/hook-validation")[-1]
    assert new.head_sha == sha and new.conclusion == "SUCCESS"
    assert "against `main`" in (new.summary or "")  # the PR's base, from the payload


def test_check_suite_rerequested_reruns_every_check(gh: Harness) -> None:
    sha = opened(gh)
    gh.send("check_suite", ui_payload("check_suite", "rerequested", sha))
    gh.work()
    assert counts(gh) == dict.fromkeys(RUNS, 2)
    assert all(gh.fake.runs_named(n)[-1].conclusion == "SUCCESS" for n in RUNS)


def test_requested_action_buttons(gh: Harness) -> None:
    sha = opened(gh)
    for name in RUNS:  # every completed run carries the buttons (GitHub allows 3)
        assert [a["identifier"] for a in gh.fake.run(name).actions] == ["rerun", "rerun-all"]

    payload = ui_payload("check_run", "requested_action", sha)
    payload["check_run"]["name"] = "prgate/contamination"
    payload["requested_action"] = {"identifier": "rerun"}
    assert gh.send("check_run", payload).handled
    gh.work()
    assert counts(gh) == {**dict.fromkeys(RUNS, 1), "prgate/contamination": 2}

    payload["requested_action"] = {"identifier": "rerun-all"}
    gh.send("check_run", payload)
    gh.work()
    assert counts(gh) == {**dict.fromkeys(RUNS, 2), "prgate/contamination": 3}

    payload["requested_action"] = {"identifier": "lgtm|26764"}  # the payload's own action
    routed = gh.send("check_run", payload)
    assert routed.reason == "check_run.requested_action: prgate has no action 'lgtm|26764'"


# --- required checks: every head gets all three ------------------------------------------------


def test_every_head_gets_all_three_runs_even_when_nothing_applies(gh: Harness) -> None:
    gh.commit({"copier.yml": None, "tpl/README.md.jinja": None, "tpl/app.py": None}, "plain")
    gh.commit({".github/prgate.yml": "jest-collision:\n  enabled: false\n"}, "no jest")
    opened(gh)
    hook = gh.fake.run("prgate/hook-validation")
    assert (hook.conclusion, hook.title) == ("SUCCESS", "No findings")
    assert "no Copier templates found" in (hook.summary or "")
    jest = gh.fake.run("prgate/jest-collision")
    assert jest.conclusion == "SKIPPED"  # switched off: still a run, and required checks pass
    assert "switched off in `.github/prgate.yml`" in (jest.summary or "")
    assert gh.fake.run("prgate/contamination").conclusion == "SUCCESS"


# --- a pull request that changes .github/prgate.yml -------------------------------------------


def test_a_config_change_is_validated_and_noted_on_the_runs(gh: Harness) -> None:
    opened(gh, {".github/prgate.yml": "contamination:\n  enabled: maybe\nextra: 1\n"})
    for n, name in enumerate(RUNS):
        run = gh.fake.run(name)
        assert (
            "**This pull request changes `.github/prgate.yml`.** It takes effect after merge"
            in (run.summary or "")
        )
        assert "The new file is **invalid** (2 problems)" in (run.summary or "")
        notes = [a for a in run.annotations if a["path"] == ".github/prgate.yml"]
        if n == 0:  # the line annotations go on one run only
            assert sorted((a["location"]["startLine"], a["annotationLevel"]) for a in notes) == [
                (2, "WARNING"),
                (3, "WARNING"),
            ]
            assert any("unknown key" in a["message"] for a in notes)
        else:
            assert notes == []
        assert run.conclusion == "SUCCESS"  # the checks ran with the base's (default) config


def test_a_valid_config_change_says_so(gh: Harness) -> None:
    opened(gh, {".github/prgate.yml": "hook-validation:\n  render: true\n"})
    summary = gh.fake.run("prgate/contamination").summary or ""
    assert "The new file is valid." in summary
    assert "this run used the file as it is on `main`" in summary
    assert RENDERED not in hook_summary(gh)  # the PR cannot switch render on for itself


def test_a_pr_that_fixes_an_invalid_base_config_is_told_it_will_work(gh: Harness) -> None:
    gh.commit({".github/prgate.yml": "contamination:\n  enabeld: true\n"}, "typo")
    opened(gh, {".github/prgate.yml": "contamination:\n  enabled: true\n"})
    for name in RUNS:
        run = gh.fake.run(name)
        assert run.conclusion == "ACTION_REQUIRED"  # blocks; neutral would pass
        assert "on the base branch is invalid" in (run.summary or "")
        assert "The new file is valid." in (run.summary or "")


def test_no_note_when_only_the_base_changed_the_config(gh: Harness) -> None:
    sha = gh.open_pr({"docs/a.md": "a\n"})
    gh.commit({".github/prgate.yml": "paths-ignore: [docs/]\n"}, "config on main, after branching")
    gh.deliver(sha)
    gh.work()
    assert "changes `.github/prgate.yml`" not in (gh.fake.run("prgate/contamination").summary or "")
