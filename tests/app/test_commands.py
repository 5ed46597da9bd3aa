"""Slash-command parsing and authorisation: pure functions, called with plain values."""

from __future__ import annotations

import pytest

from workers.jobs.trust import render_refusal
from workers.shared.commands import Command, decide, parse_commands


def names(body: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.name, c.args) for c in parse_commands(body)]


def test_a_command_is_a_line_that_starts_with_it() -> None:
    assert names("/prgate rerun") == [("rerun", ())]
    assert names("Thanks!\r\n\r\n/prgate rerun jest-collision prgate/contamination\r\n") == [
        ("rerun", ("jest-collision", "prgate/contamination"))
    ]
    assert names("   /prgate help") == [("help", ())]  # up to 3 spaces: still a paragraph
    assert names("/prgate HELP") == [("help", ())]
    assert names("please /prgate rerun") == []  # not at the start of the line
    assert names("/prgaterun") == [] and names("/prgate-rerun") == []
    assert names("/prgate") == [("", ())]  # a bare prefix: refused with a hint, not ignored


def test_code_blocks_and_quotes_are_not_commands() -> None:
    body = "\n".join(
        [
            "To rerun, type:",
            "```",
            "/prgate rerun",
            "```",
            "~~~~text",
            "/prgate ok-to-test",
            "~~~",  # shorter than the opening fence: does not close it
            "/prgate ok-to-test",
            "~~~~",
            "    /prgate rerun",  # indented code block
            "\t/prgate rerun",
            "> /prgate rerun",  # a quote of someone else's command
            ">> /prgate help",
            "`/prgate rerun` inline code",
            "/prgate help",
        ]
    )
    assert names(body) == [("help", ())]


def test_an_unclosed_fence_hides_the_rest() -> None:
    assert names("```\n/prgate rerun\n") == []
    assert names("``` not closed by ``` on the same line\n/prgate rerun") == []


def test_each_command_once_in_order() -> None:
    body = "/prgate rerun\n/prgate help\n/prgate rerun\n/prgate rerun jest-collision"
    assert names(body) == [("rerun", ()), ("help", ()), ("rerun", ("jest-collision",))]


def cmd(text: str) -> Command:
    return parse_commands(text)[0]


# (role, is the PR's author) -> may rerun, may ok-to-test
WHO_MAY = {
    ("admin", False): (True, True),
    ("maintain", False): (True, True),
    ("write", False): (True, True),
    ("triage", False): (False, False),
    ("read", False): (False, False),
    ("none", False): (False, False),
    ("read", True): (True, False),  # authors rerun their own checks, never approve their code
    ("none", True): (True, False),
}


@pytest.mark.parametrize(("role", "author"), list(WHO_MAY))
def test_who_may_rerun_and_approve_the_render(role: str, author: bool) -> None:
    may_rerun, may_approve = WHO_MAY[(role, author)]
    rerun = decide(cmd("/prgate rerun"), role, author)
    assert rerun.accepted is may_rerun
    if not may_rerun:
        assert f"your role here is {role}" in rerun.why and "write access" in rerun.why
    approve = decide(cmd("/prgate ok-to-test"), role, author)
    assert approve.accepted is may_approve
    if not may_approve:
        assert "needs write access" in approve.why


def test_rerun_names_checks_and_refuses_unknown_ones() -> None:
    verdict = decide(cmd("/prgate rerun hook-validation prgate/contamination"), "write", False)
    assert verdict.accepted and verdict.checks == ("contamination", "hook-validation")
    assert decide(cmd("/prgate rerun"), "write", False).checks == ()  # all
    bad = decide(cmd("/prgate rerun lint jest"), "write", False)
    assert not bad.accepted
    assert "`jest`, `lint` are not checks" in bad.why
    assert "`contamination`, `jest-collision`, `hook-validation`" in bad.why


def test_help_is_for_everyone_and_unknown_commands_point_to_it() -> None:
    assert decide(cmd("/prgate help"), "none", False).accepted
    unknown = decide(cmd("/prgate deploy"), "admin", True)
    assert (
        not unknown.accepted
        and unknown.why == "`deploy` is not a prgate command; try `/prgate help`."
    )
    assert "no command given" in decide(cmd("/prgate"), "admin", False).why
    assert not decide(cmd("/prgate ok-to-test now"), "admin", False).accepted


@pytest.mark.parametrize("association", ["OWNER", "MEMBER", "COLLABORATOR"])
def test_trusted_authors_get_the_render(association: str) -> None:
    assert render_refusal("octo", association, None, "a" * 40) is None


@pytest.mark.parametrize("association", ["CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "NONE"])
def test_others_need_an_approval_for_this_sha(association: str) -> None:
    why = render_refusal("octo", association, None, "abc123def4567890")
    assert why is not None
    assert "@octo" in why and "`/prgate ok-to-test`" in why and "abc123def456" in why
    assert render_refusal("octo", association, "maintainer", "abc123def4567890") is None
