"""What each soak phase measured, the targets it is held to, and the table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .client import DISCONNECTED, OK

RSS_LIMIT_MB = 30.0


@dataclass
class PhaseResult:
    """What one phase (fake or real engine) measured."""

    name: str
    requests: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    rss_drift_mb: float = 0.0
    fds_diff: int = 0
    tasks_diff: int = 0
    jobs_left: int = 0
    queued_left: int = 0
    connections_left: int = 0
    logged_errors: int = 0

    @property
    def failures(self) -> int:
        return sum(n for key, n in self.outcomes.items() if key not in (OK, DISCONNECTED))


@dataclass
class SoakReport:
    phases: list[PhaseResult]
    rss_limit_mb: float = RSS_LIMIT_MB

    def misses(self) -> list[str]:
        """Every target that was missed, in words; empty when the soak passed."""
        missed = []
        for p in self.phases:
            if p.rss_drift_mb >= self.rss_limit_mb:
                missed.append(f"{p.name}: RSS drift {p.rss_drift_mb:.1f} MB")
            for label, value in self._zero_figures(p):
                if value:
                    missed.append(f"{p.name}: {label} = {value}")
        return missed

    @property
    def passed(self) -> bool:
        return not self.misses()

    @staticmethod
    def _zero_figures(p: PhaseResult) -> list[tuple[str, int]]:
        return [
            ("file descriptors (diff)", p.fds_diff),
            ("asyncio tasks (diff)", p.tasks_diff),
            ("jobs left in scheduler", p.jobs_left),
            ("queued sentences left", p.queued_left),
            ("connections left open", p.connections_left),
            ("logged errors", p.logged_errors),
            ("failed requests", p.failures),
        ]

    def table(self) -> str:
        names = [p.name for p in self.phases]
        width = 28
        lines = [f"{'figure':<{width}}" + "".join(f"{n:>12}" for n in names) + f"{'target':>10}"]
        lines.append("-" * len(lines[0]))

        def row(label: str, values: list[str], target: str) -> None:
            lines.append(f"{label:<{width}}" + "".join(f"{v:>12}" for v in values) + f"{target:>10}")

        row("requests", [str(p.requests) for p in self.phases], "")
        row("seconds", [f"{p.seconds:.1f}" for p in self.phases], "")
        row("RSS drift (MB)", [f"{p.rss_drift_mb:.1f}" for p in self.phases],
            f"< {self.rss_limit_mb:g}")
        for i, (label, _) in enumerate(self._zero_figures(self.phases[0])):
            row(label, [str(self._zero_figures(p)[i][1]) for p in self.phases], "0")
        lines.append("")
        lines.append(f"{'outcome':<{width}}" + "".join(f"{n:>12}" for n in names))
        lines.append("-" * len(lines[0]))
        keys = sorted({k for p in self.phases for k in p.outcomes},
                      key=lambda k: (k not in (OK, DISCONNECTED), k))
        for key in keys:
            row(key[:width], [str(p.outcomes.get(key, 0)) for p in self.phases], "")
        lines.append("")
        lines.append("PASS" if self.passed else "FAIL: " + "; ".join(self.misses()))
        return "\n".join(lines)
