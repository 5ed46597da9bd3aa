"""Review comments (workers/publish/review.py): what is posted where, and what is closed.

GitHub refuses an inline comment outside the diff's hunks (422 "must be part of the
diff"), so placement comes from the pull request's own patches; a rerun never posts a
finding twice, and a thread whose finding is gone is resolved or answered once."""

from __future__ import annotations

from workers.engine.findings import Finding, Level
from workers.github.types import ChangedFile, Thread, ThreadComment
from workers.publish.review import (
    MAX_COMMENTS,
    Diff,
    fixed_reply,
    marker,
    plan_review,
    review_body,
)

PATCH = "@@ -1,2 +1,4 @@\n a\n+b\n+c\n d\n@@ -10,1 +12,2 @@\n x\n+y\n"


def _finding(path: str = "src/a.py", line: int | None = 2, **extra: object) -> Finding:
    fields: dict[str, object] = {
        "rule": "contamination/secret",
        "level": Level.ERROR,
        "path": path,
        "message": "a token",
        "start_line": line,
        "end_line": line,
        "key": f"{path}:{line}",
    }
    fields.update(extra)
    return Finding(**fields)  # type: ignore[arg-type]


def _diff() -> Diff:
    return Diff.from_files(
        [
            ChangedFile("src/a.py", "modified", PATCH),
            ChangedFile("gone.py", "removed", None),
            ChangedFile("logo.png", "added", None),  # binary: no patch
        ]
    )


def test_hunks_are_read_from_github_s_patches() -> None:
    diff = _diff()
    assert diff.hunks == {"src/a.py": [range(1, 5), range(12, 14)], "logo.png": []}
    assert diff.covers("src/a.py", 2, 3) and not diff.covers("src/a.py", 4, 12)
    assert not diff.has_file("gone.py")  # the head side has no such file
    assert Diff.from_files([ChangedFile("x", "modified", "not a patch")]).hunks == {"x": []}


def test_each_finding_goes_where_github_accepts_it() -> None:
    on_a_line = _finding(line=13)
    outside = _finding(line=8)
    whole_file = _finding("logo.png", None)
    folder = _finding("src/", None, key="folder")
    suggestion = _finding(line=40, fix="b = env()", fix_path="src/a.py", fix_line=2, key="s")
    plan = plan_review([on_a_line, outside, whole_file, folder, suggestion], _diff(), [], [])
    assert [(c.path, c.line, c.start_line) for c in plan.comments] == [
        ("src/a.py", 13, None),
        ("src/a.py", 2, None),
    ]
    assert "```suggestion\nb = env()\n```" in plan.comments[1].body
    assert [path for path, _ in plan.file_comments] == ["logo.png", "src/a.py"]
    assert "(about the folder `src/`)" in plan.file_comments[1][1]
    assert all(
        c.body.endswith(marker(f))
        for c, f in zip(plan.comments, [on_a_line, suggestion], strict=True)
    )


def test_a_rerun_posts_nothing_twice_and_closes_what_is_fixed() -> None:
    kept, fixed = _finding(line=2), _finding(line=3)

    def thread(f: Finding, *, can_resolve: bool, replies: tuple[str, ...] = ()) -> Thread:
        first = ThreadComment(1, f"body\n\n{marker(f)}", mine=True)
        more = tuple(ThreadComment(2 + i, r, mine=True) for i, r in enumerate(replies))
        return Thread(f"T{f.start_line}", False, can_resolve, f.path, (first, *more))

    threads = [thread(kept, can_resolve=True), thread(fixed, can_resolve=True)]
    plan = plan_review([kept], _diff(), threads, ["contamination"])
    assert plan.comments == [] and plan.resolve == ["T3"]
    # where the App may not resolve a thread, it answers once, and not on the next run
    unresolvable = [thread(fixed, can_resolve=False)]
    plan = plan_review([], _diff(), unresolvable, ["contamination"])
    assert plan.fixed_replies == [1]
    answered = [thread(fixed, can_resolve=False, replies=(fixed_reply("a" * 40),))]
    assert plan_review([], _diff(), answered, ["contamination"]).fixed_replies == []
    # a check that did not run this time closes nothing
    assert plan_review([], _diff(), threads, ["jest-collision"]).resolve == []


def test_pre_existing_and_allowed_findings_get_no_comment() -> None:
    old = _finding(line=2, pre_existing=True)
    allowed = _finding(line=3, suppressed="a fixture")
    assert plan_review([old, allowed], _diff(), [], []).comments == []


def test_at_most_max_comments_and_the_rest_is_counted() -> None:
    patch = "@@ -0,0 +1,200 @@\n" + "".join(f"+{i}\n" for i in range(200))
    diff = Diff.from_files([ChangedFile("big.py", "added", patch)])
    many = [_finding("big.py", i) for i in range(1, 80)]
    plan = plan_review(many, diff, [], [])
    assert len(plan.comments) == MAX_COMMENTS and plan.left_out == 79 - MAX_COMMENTS
    assert f"{plan.left_out} more are only in the check runs' annotations" in review_body(
        plan, "f" * 40
    )
