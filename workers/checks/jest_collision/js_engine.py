"""The embedded JavaScript engine a Jest config is evaluated in: QuickJS, or V8.

Both are bare engines: no filesystem, network, process or timer APIs exist in them at all
(``js_eval`` adds only what configs use, none of it reaching the host), time and memory
are capped, and a promise settles only through the engine's own job queue.

QuickJS (the quickjs-ng package, a maintained fork: about 8 MB installed) is the default;
V8 (mini-racer, about 82 MB) is used when ``PRGATE_JS_ENGINE=v8`` or QuickJS is missing.
The choice was made by measurement (``bench/js_engines.py``): the same verdicts on the
test suite and on the Jest configs of the real-world corpus, at a tenth of the install.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol

MAX_JOBS = 10_000  # promise jobs in one evaluation; a config's own use is a handful


class JsError(Exception):
    """The script threw, or the engine refused it; the message is the engine's."""


class JsTimeout(Exception):
    """The script ran past its time limit."""


class Engine(Protocol):
    def run(self, script: str) -> None:
        """Evaluate ``script`` and then its pending promise jobs (microtasks)."""

    def value(self, expression: str) -> Any:
        """A plain value (str, number, bool, None) the expression evaluates to."""

    def close(self) -> None: ...


class QuickJs:
    """QuickJS's time limit restarts with every call into it, and each pending promise job
    is a call of its own: an endless chain of microtasks would never be stopped. So the
    whole evaluation, jobs included, runs against one deadline, set when it starts."""

    def __init__(self, seconds: float, heap: int) -> None:
        import quickjs  # type: ignore[import-untyped]

        self._quickjs = quickjs
        self.seconds = seconds
        self.ctx = quickjs.Context()
        self.ctx.set_memory_limit(heap)
        self.ctx.set_time_limit(seconds)

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except self._quickjs.JSException as exc:
            message = str(exc)
            if message.startswith("InternalError: interrupted"):
                raise JsTimeout(message) from None
            raise JsError(message) from None
        except self._quickjs.StackOverflow as exc:
            raise JsError(f"RangeError: {exc}") from None
        except (TypeError, ValueError, OverflowError) as exc:  # the binding could not convert
            raise JsError(f"prgate could not read the engine's answer: {exc}") from None

    def run(self, script: str) -> None:
        deadline = time.monotonic() + self.seconds
        self._call(self.ctx.eval, script)
        for _ in range(MAX_JOBS):
            left = deadline - time.monotonic()
            if left <= 0:
                raise JsTimeout(f"the evaluation ran past {self.seconds:g} s")
            self.ctx.set_time_limit(left)
            if not self._call(self.ctx.execute_pending_job):
                break
        else:
            # An endless chain ends here whatever the machine's speed: left to run, it ends
            # when the heap is full, as a rejection no one sees, and the config looks settled.
            raise JsError(f"Error: the config ran more than {MAX_JOBS:,} promise jobs")
        self.ctx.set_time_limit(self.seconds)

    def value(self, expression: str) -> Any:
        # a long string built by concatenation is a rope inside QuickJS, which the binding
        # cannot convert ("Unknown quickjs tag"); slice(0) gives a flat copy
        flat = f"(v => typeof v === 'string' ? v.slice(0) : v)({expression})"
        found = self._call(self.ctx.eval, flat)
        return found if isinstance(found, str | int | float | bool) or found is None else None

    def close(self) -> None:
        self.ctx = None


class V8:
    def __init__(self, seconds: float, heap: int) -> None:
        from py_mini_racer import MiniRacer

        _quiet_late_v8_reports()
        self.seconds = seconds
        self.ctx = MiniRacer()
        self.ctx.set_hard_memory_limit(heap)

    def _call(self, expression: str) -> Any:
        from py_mini_racer import JSEvalException

        try:
            return self.ctx.eval(expression, timeout_sec=self.seconds)
        except TimeoutError as exc:  # JSTimeoutException is one
            raise JsTimeout(str(exc)) from None
        except JSEvalException as exc:
            raise JsError(str(exc)) from None

    def run(self, script: str) -> None:
        # V8 runs the microtask queue when the script's evaluation ends
        self._call(script)

    def value(self, expression: str) -> Any:
        found = self._call(expression)
        return found if isinstance(found, str | int | float | bool) or found is None else None

    def close(self) -> None:
        self.ctx.close()


def _quiet_late_v8_reports() -> None:
    """Drop one benign message mini-racer prints after a timed-out evaluation.

    When an evaluation is stopped at its time limit, V8 reports the end of the
    terminated script once the context is being closed, on mini-racer's event
    loop, which is closed by then: Python prints "Exception ignored ... Event loop
    is closed" with a traceback for each, though nothing is wrong (the isolate is
    disposed, nothing keeps running). Only that exact report from mini-racer's
    callback is dropped; every other unraisable exception still reaches the
    previous hook.
    """
    previous = sys.unraisablehook
    if getattr(previous, "_prgate_v8", False):
        return

    def hook(report: Any) -> None:
        late = (
            isinstance(report.exc_value, RuntimeError)
            and str(report.exc_value) == "Event loop is closed"
            and "mr_callback" in getattr(report.object, "__qualname__", "")
        )
        if not late:
            previous(report)

    hook._prgate_v8 = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def available() -> list[str]:
    """The engines installed here, preferred first."""
    import importlib.util

    engines = (("quickjs", "quickjs"), ("v8", "py_mini_racer"))
    return [name for name, module in engines if importlib.util.find_spec(module) is not None]


def start(seconds: float, heap: int, name: str = "") -> Engine:
    """The engine ``name`` (``PRGATE_JS_ENGINE``), else the first available; ImportError
    when it, or any, is not installed."""
    wanted = name
    names = available()
    if wanted:
        if wanted not in names:
            raise ImportError(f"the {wanted} engine is not installed")
        names = [wanted]
    if not names:
        raise ImportError("neither quickjs-ng nor mini-racer is installed")
    return QuickJs(seconds, heap) if names[0] == "quickjs" else V8(seconds, heap)
