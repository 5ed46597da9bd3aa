"""How much CPU the host took from this VM during a benchmark (steal time, /proc/stat).

Benchmarks on shared virtual machines swing when the host is busy; printing
the steal share beside the figures says how far to trust them.
"""

from __future__ import annotations

from pathlib import Path


def _cpu_times() -> tuple[int, int]:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    steal = values[7] if len(values) > 7 else 0
    return steal, sum(values[:8])


class StealMeter:
    def __init__(self) -> None:
        try:
            self.start: tuple[int, int] | None = _cpu_times()
        except (OSError, ValueError, IndexError):
            self.start = None

    def report(self) -> str:
        if self.start is None:
            return "cpu steal: unknown (no /proc/stat)"
        steal, total = _cpu_times()
        share = (steal - self.start[0]) / max(total - self.start[1], 1)
        note = "  (high: the host was busy, figures are unreliable)" if share > 0.05 else ""
        return f"cpu steal during the run: {share:.1%}{note}"
