"""How much each phase measures: the full run, or the minimal --quick one.

The full run is sized for about 15 minutes on 2 cores with the full-size model
(about 1 s of compute per second of audio); --quick touches every phase once
with the tiny model so a smoke test can check the whole pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Plan:
    """Rounds and sizes of every phase."""

    rounds: int
    """Interleaved server/direct rounds of the time-to-first-audio cases."""
    short_extra_rounds: int
    """More rounds of the short-reply pairs alone: they are cheap, and the noise of
    a shared machine needs samples."""
    long_full_rounds: int
    """Of those, rounds whose long answer runs to the end (for its RTF); the
    others leave at first audio, saving four sentences of compute."""
    naive_long_rounds: int
    """Rounds of the plain KPipeline call on the long answer (slow: no sentence split)."""
    experiment_rounds: int
    """Rounds of the first-clause and --threads experiments."""
    overhead_rounds: int
    """Rounds of the instrumented in-process server (where the server's time goes)."""
    fairness_rounds: int
    describe_seconds: float
    """How long describe is probed while the model is busy."""
    describe_interval: float
    describe_load_requests: int
    """Long requests kept in flight while describe is probed."""
    concurrency: tuple[tuple[int, int], ...]
    """(clients, requests per client) for the load levels."""
    encoding_rounds: int
    soak_total: int
    """Requests the server has answered when "after N requests" is measured."""
    soak_min: int
    """The soak's own requests at least, so growth is seen over a real span."""
    soak_clients: int
    idle_connections: int
    peer_rounds: int
    peer_texts: int
    """How many of texts.PEER_TEXTS wyoming-bench speaks."""
    onnx_rounds: int
    """Rounds of the --threads 1 server against onnxruntime on the int8 graph."""


FULL = Plan(
    rounds=4,
    short_extra_rounds=3,
    long_full_rounds=2,
    naive_long_rounds=1,
    experiment_rounds=3,
    overhead_rounds=3,
    fairness_rounds=3,
    describe_seconds=10.0,
    describe_interval=0.02,
    describe_load_requests=4,
    concurrency=((1, 2), (2, 2), (4, 1), (8, 1)),
    encoding_rounds=2,
    soak_total=200,
    soak_min=100,
    soak_clients=4,
    idle_connections=32,
    peer_rounds=2,
    peer_texts=1,
    onnx_rounds=3,
)

QUICK = Plan(
    rounds=1,
    short_extra_rounds=0,
    long_full_rounds=1,
    naive_long_rounds=0,
    experiment_rounds=1,
    overhead_rounds=1,
    fairness_rounds=1,
    describe_seconds=2.0,
    describe_interval=0.02,
    describe_load_requests=2,
    concurrency=((1, 1), (2, 1), (4, 1), (8, 1)),
    encoding_rounds=1,
    soak_total=40,
    soak_min=20,
    soak_clients=4,
    idle_connections=32,
    peer_rounds=1,
    peer_texts=1,
    onnx_rounds=1,
)


def make_plan(quick: bool, rounds: int | None) -> Plan:
    """The preset, with --rounds overriding the interleaved rounds if given."""
    plan = QUICK if quick else FULL
    if rounds is not None:
        plan = replace(plan, rounds=rounds, long_full_rounds=min(plan.long_full_rounds, rounds),
                       experiment_rounds=rounds, fairness_rounds=rounds, overhead_rounds=rounds)
    return plan
