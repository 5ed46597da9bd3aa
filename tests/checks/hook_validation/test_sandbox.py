"""The OS sandbox that template tasks run in: what the code inside can and cannot do.

Each test runs a real command under ``workers.sandbox.run_sandboxed`` (util-linux unshare,
Linux namespaces) and asserts from the outside. On CI the sandbox must work;
elsewhere, a machine without it skips these (the render tests cover the
fallback).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import needs_sandbox
from workers import sandbox

pytestmark = needs_sandbox
ENV = {"PATH": "/usr/bin:/bin", "HOME": sandbox.HOME}


def sh(script: str, **kwargs: object) -> sandbox.Result:
    return sandbox.run_sandboxed(["/bin/sh", "-c", script], env=ENV, **kwargs)  # type: ignore[arg-type]


def test_the_checkout_is_readable_and_read_only(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "copier.yml").write_text("name: x\n")
    result = sh(
        f"cat {checkout}/copier.yml; echo changed > {checkout}/copier.yml", readonly=[checkout]
    )
    assert result.stdout == b"name: x\n"
    assert b"Read-only file system" in result.stderr and result.returncode != 0
    assert (checkout / "copier.yml").read_text() == "name: x\n"


def test_nothing_else_of_the_host_is_there(tmp_path: Path) -> None:
    secret = tmp_path / "app-key.pem"
    secret.write_text("KEY")
    result = sh(f"cat {secret}; ls /root /home; cat /etc/shadow; ls /proc | grep -c '^[0-9]'")
    assert b"KEY" not in result.stdout
    assert b"No such file or directory" in result.stderr
    assert result.stdout.split()[-1] in (b"2", b"3", b"4")  # init, sh, and the pipeline only


def test_only_the_given_environment_and_no_network() -> None:
    os.environ["PRGATE_TEST_LEAK"] = "leaked"
    try:
        result = sh("env")
    finally:
        del os.environ["PRGATE_TEST_LEAK"]
    assert b"leaked" not in result.stdout and b"HOME=/home/sandbox" in result.stdout
    net = sandbox.run_sandboxed(
        [
            os.path.realpath("/usr/bin/python3"),
            "-c",
            "import socket; socket.create_connection(('1.1.1.1', 443), timeout=5)",
        ],
        env=ENV,
    )
    assert b"Network is unreachable" in net.stderr


def test_writes_land_on_a_limited_tmpfs_and_the_output_comes_back(tmp_path: Path) -> None:
    result = sh(
        "mkdir -p /out/p/sub && echo hi > /out/p/sub/a.txt && ln -s /etc/passwd /out/p/out-link;"
        "head -c 30000000 /dev/zero > /tmp/big; echo $?",
        output="/out/p",
        dest=tmp_path / "dest",
        limits=sandbox.Limits(disk=16 * 1024 * 1024),
    )
    assert result.stdout.strip() == b"1"  # the 16 MiB tmpfs is full before 30 MB
    assert (tmp_path / "dest" / "sub" / "a.txt").read_text() == "hi\n"
    assert not (tmp_path / "dest" / "out-link").exists()  # a link out is not unpacked
    assert any("out-link" in s for s in result.skipped)


def test_output_over_the_cap_is_refused(tmp_path: Path) -> None:
    result = sh(
        "head -c 3000000 /dev/urandom > /out/blob",
        output="/out",
        dest=tmp_path / "dest",
        limits=sandbox.Limits(output=1024 * 1024),
    )
    assert result.output_error is not None and "over 1 MiB" in result.output_error


def test_processes_are_limited() -> None:
    result = sh("for i in $(seq 300); do sleep 2 & done 2>&1 | head -1; wait")
    assert b"fork" in result.stdout.lower() or b"resource" in result.stdout.lower()


def test_a_hang_is_stopped_at_the_wall_limit_with_everything_it_started() -> None:
    marker = f"sleep {os.getpid() % 1000 + 5000}"
    result = sh(f"{marker} & setsid {marker} & {marker}", limits=sandbox.Limits(wall=2))
    assert result.timed_out and result.returncode is None
    alive = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert alive.stdout == ""


def test_no_privilege_inside() -> None:
    result = sh("grep -E '^Cap(Eff|Bnd)|^NoNewPrivs' /proc/self/status")
    lines = dict(line.split(":\t") for line in result.stdout.decode().splitlines())
    assert int(lines["CapEff"], 16) == 0 and int(lines["CapBnd"], 16) == 0
    assert lines["NoNewPrivs"].strip() == "1"


def test_a_command_that_cannot_start_exits_126(tmp_path: Path) -> None:
    result = sandbox.run_sandboxed([str(tmp_path / "missing")], env=ENV)
    assert result.returncode == 126 and b"cannot start" in result.stderr
