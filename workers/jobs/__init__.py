"""The RQ jobs, one module per job: checks (``check``), the runs' lifecycle around them
(``announce``), failures (``failure``), ``/prgate`` commands (``command``), installation
bookkeeping (``installation``) and removed merge groups (``merge_group``), with what they
share: each job's context (``context``), the repository cache (``checkout``) and trust
(``trust``).

RQ stores a job by the dotted name of its function, and a job queued before a deploy runs
after it: these names (``workers.jobs.run_checks`` and the rest) must keep resolving, so
they are re-exported here. ``workers.queue.dispatch`` enqueues by them.
"""

from workers.jobs.announce import announce_checks, conclude_superseded, sweep_strays
from workers.jobs.check import run_checks
from workers.jobs.command import run_command
from workers.jobs.failure import on_check_failure, on_quick_failure, stop_retrying_if_permanent
from workers.jobs.installation import installation_changed
from workers.jobs.merge_group import merge_group_removed

__all__ = [
    "announce_checks",
    "conclude_superseded",
    "installation_changed",
    "merge_group_removed",
    "on_check_failure",
    "on_quick_failure",
    "run_checks",
    "run_command",
    "stop_retrying_if_permanent",
    "sweep_strays",
]
