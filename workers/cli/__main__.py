"""``python -m workers.cli``: the ``prgate`` command."""

from workers.cli import main

main()
