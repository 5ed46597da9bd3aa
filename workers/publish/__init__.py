"""Pure publishing code: a check run's output (``check_run``) and where findings go as
review comments (``review``). Plain ``workers.github.types`` in and out; no client."""
