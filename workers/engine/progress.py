"""Progress of long work (render mode, large repositories), for a person waiting on it.

The engine reports a phase with ``phase()``; nothing is printed unless the command shows
progress (``prgate check``: on stderr, one line rewritten in place on a terminal, one
line per phase otherwise). The workers do not show it: their logs say what a job did.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from workers.engine.printable import terminal

_log = logging.getLogger("prgate.progress")
_log.addHandler(logging.NullHandler())
_log.propagate = False  # never into a worker's JSON logs


def phase(message: str) -> None:
    _log.info(message)


class _Handler(logging.Handler):
    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.INFO)
        self.stream = stream
        self.tty = stream.isatty()
        self.shown = False

    def emit(self, record: logging.LogRecord) -> None:
        text = f"prgate: {terminal(record.getMessage())}"
        if self.tty:
            self.stream.write("\r\x1b[K" + text[:200])
            self.shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def show(stream: TextIO | None = None) -> _Handler:
    """Show progress on ``stream`` (stderr) until ``hide``."""
    handler = _Handler(stream or sys.stderr)
    _log.addHandler(handler)
    _log.setLevel(logging.INFO)
    return handler


def hide(handler: _Handler) -> None:
    handler.done()
    _log.removeHandler(handler)
