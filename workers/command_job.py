"""``workers.command_job.run_command``: the name RQ stored for ``/prgate`` command jobs before
they moved to ``workers.jobs.command``. Kept so a job queued before a deploy still runs."""

from workers.jobs.command import run_command

__all__ = ["run_command"]
