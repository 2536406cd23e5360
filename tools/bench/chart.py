"""The latency chart: time to first audio against concurrent clients."""

from __future__ import annotations

from pathlib import Path

from .measure import Stats, med
from .results import BenchResults

CHART = "docs/bench-latency.png"


def chart(results: BenchResults, path: Path) -> None:
    """TTFA median and p95 against concurrent clients, with the direct time for scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = [lvl for lvl in results.levels if Stats.of(lvl.ttfa) is not None]
    fig, ax = plt.subplots(figsize=(7.0, 4.2), dpi=120)
    if levels:
        clients = [lvl.run.clients for lvl in levels]
        stats = [Stats.of(lvl.ttfa) for lvl in levels]
        ax.plot(clients, [s.median for s in stats if s], marker="o", label="server, median")
        ax.plot(clients, [s.p95 for s in stats if s], marker="s", linestyle="--",
                label="server, p95")
        ax.set_xscale("log", base=2)
        ax.set_xticks(clients, [str(c) for c in clients])
    direct = None
    if results.latency is not None:
        direct = med(next(iter(results.latency.ttfa.values())).direct)
    if direct is not None:
        ax.axhline(direct, color="grey", linestyle=":", label="direct in-process, one request")
        if levels:
            # Round-robin's bound: a client that arrives with n-1 others ahead
            # waits for their first sentences and then its own.
            xs = [lvl.run.clients for lvl in levels]
            ax.plot(xs, [direct * x for x in xs], color="grey", linestyle="-.", linewidth=1,
                    label="clients × direct (every client ahead served first)")
    ax.set_xlabel("concurrent clients (closed loop, short reply)")
    ax.set_ylabel("time to first audio (s)")
    ax.set_ylim(bottom=0)
    ax.set_title("wyoming-kokoro: time to first audio under load")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
