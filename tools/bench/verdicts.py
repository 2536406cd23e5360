"""The targets and what the numbers say: each check in one place, so the table,
the prose and the chart agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .experiments import Experiment
from .formatting import MB, ms, signed_mb, signed_ms, times
from .load import FairnessResults, LoadLevel
from .measure import Stats, med, p95, ratio
from .memory import MemoryResults
from .results import BenchResults

# The targets, in one place so the table and the checks agree.
TTFA_RATIO = 1.05
TTFA_SLACK = 0.020
OWN_TIME = 0.020
DESCRIBE_P99 = 0.050
THROUGHPUT_RATIO = 0.95
CONNECTIONS_MB = 50.0
DRIFT_MB = 10.0
ENCODER_SHARE = 0.05


@dataclass(frozen=True)
class Target:
    """One row of the targets table; met is None when it was not measured."""

    metric: str
    target: str
    measured: str
    met: bool | None


def ttfa_met(paired_ratio: float | None, paired_difference: float | None) -> bool | None:
    if paired_ratio is None or paired_difference is None:
        return None
    return paired_ratio <= TTFA_RATIO or paired_difference <= TTFA_SLACK


def paired_difference(server: Sequence[float], direct: Sequence[float]) -> float | None:
    """Median of server − direct over the pairs."""
    return med([a - b for a, b in zip(server, direct, strict=True)])


def _level(results: BenchResults, clients: int) -> LoadLevel | None:
    return next((lvl for lvl in results.levels if lvl.run.clients == clients), None)


def level_ratio(level: LoadLevel | None) -> float | None:
    if level is None:
        return None
    return ratio(level.run.throughput, sum(level.direct_throughput) / len(level.direct_throughput))


def bootstrap_median(values: Sequence[float], draws: int = 5000) -> tuple[float, float, float]:
    """(2.5th percentile, median, 97.5th percentile) of the median, by bootstrap.

    Seeded, so the same samples always give the same interval.
    """
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(0)
    medians = np.median(rng.choice(data, size=(draws, data.size)), axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(low), float(np.median(data)), float(high)


def fairness_check(fair: FairnessResults) -> tuple[float | None, float | None]:
    """(p95 of the extra wait behind the long request, median of one sentence).

    The extra wait of a round is its TTFA behind the long request minus its TTFA
    alone, measured moments apart, so the machine's drift between rounds cancels.
    """
    extra = [b - s for s, b in zip(fair.solo, fair.behind, strict=True)]
    return p95(extra), med(fair.sentence)


def soak_growth(memory: MemoryResults) -> tuple[int, int, float] | None:
    """(from request, to request, fitted RSS growth in bytes) over the soak's second half.

    A least-squares line through the checkpoints, not the last minus the middle:
    RSS read between batches wobbles by a few MB as allocator arenas grow and
    shrink, and one reading must not decide the verdict.
    """
    points = memory.checkpoints
    if len(points) < 2:
        return None
    half = points[(len(points) - 1) // 2:]
    counts = np.array([p[0] for p in half], dtype=float)
    rss = np.array([p[1] for p in half], dtype=float)
    slope = float(np.polyfit(counts, rss, 1)[0]) if len(half) > 2 else \
        float((rss[-1] - rss[0]) / max(1.0, counts[-1] - counts[0]))
    return half[0][0], half[-1][0], slope * (counts[-1] - counts[0])


def targets(results: BenchResults) -> list[Target]:
    rows: list[Target] = []
    latency = results.latency
    for label, case in (latency.ttfa.items() if latency else []):
        paired = case.paired_ratio
        difference = paired_difference(case.server, case.direct)
        measured = (f"{times(paired, 3)} ({signed_ms(difference)})"
                    if paired is not None else "—")
        rows.append(Target(f"TTFA server ÷ direct (paired median): {label.lower()}",
                           f"≤ {TTFA_RATIO:.2f}× or ≤ +{TTFA_SLACK * 1000:.0f} ms",
                           measured, ttfa_met(paired, difference)))
    for instrumented in (c for c in results.overhead if not c.once):
        own = Stats.of(instrumented.own)
        rows.append(Target(f"Server's own time to first audio, instrumented: "
                           f"{instrumented.label.lower()}",
                           f"≤ {OWN_TIME * 1000:.0f} ms (p95)",
                           f"{ms(own.p95)} p95, {ms(own.median)} median" if own else "—",
                           None if own is None else own.p95 <= OWN_TIME))
    if results.describe is not None:
        busy = Stats.of(results.describe.busy)
        met = None
        if busy is not None:
            met = (busy.p99 < DESCRIBE_P99 and results.describe.errors == 0
                   and results.describe.busy_throughout)
        rows.append(Target("describe p99 with the model fully busy",
                           f"< {DESCRIBE_P99 * 1000:.0f} ms",
                           ms(busy.p99) if busy else "—", met))
    if results.fairness is not None:
        extra, sentence = fairness_check(results.fairness)
        met = extra <= sentence if extra is not None and sentence is not None else None
        rows.append(Target("Short request behind a 20-sentence one: extra wait (p95)",
                           "≤ one sentence (TTFA ≤ alone + one sentence)",
                           f"{signed_ms(extra)} (one sentence: {ms(sentence)})", met))
    for clients in (1, 4, 8):
        level = _level(results, clients)
        if level is None:
            continue
        r = level_ratio(level)
        rows.append(Target(f"Throughput with {clients} client{'s' if clients > 1 else ''} ÷ "
                           "serial direct", f"≥ {THROUGHPUT_RATIO:.2f}×", times(r, 3),
                           None if r is None else r >= THROUGHPUT_RATIO))
    memory = results.memory
    if memory is not None and memory.connections:
        growth = memory.with_connections - memory.before_connections
        rows.append(Target(f"RSS with {memory.connections} open idle connections",
                           f"≤ +{CONNECTIONS_MB:.0f} MB over idle", signed_mb(growth),
                           growth <= CONNECTIONS_MB * MB))
    if memory is not None and (soak := soak_growth(memory)) is not None:
        first, last, drift = soak
        rows.append(Target(f"Memory drift over {last} requests",
                           f"≤ +{DRIFT_MB:.0f} MB over the soak's second half (fitted)",
                           f"{signed_mb(drift)} (requests {first}→{last})",
                           drift <= DRIFT_MB * MB))
    if results.encoding is not None:
        shares = {name: f.encoder_cpu / results.encoding.synthesis_seconds
                  for name, f in results.encoding.formats.items()}
        worst = max(shares, key=lambda name: shares[name])
        rows.append(Target("Encoder CPU ÷ synthesis time (worst format)",
                           f"< {ENCODER_SHARE:.0%}", f"{shares[worst]:.2%} ({worst})",
                           shares[worst] < ENCODER_SHARE))
    return rows


def first_clause_verdict(experiment: Experiment) -> str:
    on, off = experiment.variants
    ttfa_on, ttfa_off = med(on.ttfa), med(off.ttfa)
    total_on, total_off = med(on.total), med(off.total)
    if None in (ttfa_on, ttfa_off, total_on, total_off):
        return "Not enough samples for a verdict."
    assert ttfa_on is not None and ttfa_off is not None
    assert total_on is not None and total_off is not None
    gain = 1 - ttfa_on / ttfa_off
    cost = total_on / total_off - 1
    if gain >= 0.10 and cost <= 0.10:
        return (f"The numbers support `fast_first_clause: true` as the default: first audio "
                f"{gain:.0%} sooner, total time {cost:+.0%}.")
    if gain >= 0.10:
        return (f"First audio comes {gain:.0%} sooner, but the whole sentence takes {cost:+.0%}: "
                "keep it on for voice replies, where first audio matters most; the numbers "
                "support the default only for that.")
    return (f"The numbers do not support the first-clause cut here (first audio {gain:+.0%} "
            "sooner): consider `fast_first_clause: false` as the default.")


def threads_verdict(experiment: Experiment, default_threads: int) -> str:
    default, one = experiment.variants
    ttfa_default, ttfa_one = med(default.ttfa), med(one.ttfa)
    cpu_default, cpu_one = med(default.cpu_per_audio), med(one.cpu_per_audio)
    if ttfa_default is None or ttfa_one is None:
        return "Not enough samples for a verdict."
    gain = 1 - ttfa_default / ttfa_one
    cpu = (f" One thread uses {cpu_one:.2f} CPU-s per audio second against "
           f"{cpu_default:.2f}." if cpu_default is not None and cpu_one is not None else "")
    if gain >= 0.05:
        return (f"The numbers support leaving `threads: 0` (torch's default, {default_threads} "
                f"here) as the default: first audio {gain:.0%} sooner than with one thread.{cpu} "
                "`--threads 1` remains the choice for sharing the cores with other work.")
    return (f"One thread is as fast here (default {gain:+.0%}).{cpu} The numbers would support "
            "`threads: 1` as the default on this machine.")
