"""One soak phase: start a server, warm it up, run the mix, and measure what it left."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools.fake_model import FakeSynth
from tools.probes import open_fds, rss_bytes, settle
from wyoming_kokoro.config import Config, validate
from wyoming_kokoro.model.voices import VoiceChoice
from wyoming_kokoro.pipeline.output import FORMATS
from wyoming_kokoro.process.app import App, LoadedModel

from .client import OK, run_request
from .plan import RequestSpec, make_plan
from .report import RSS_LIMIT_MB, PhaseResult, SoakReport


def soak_config(model_dir: Path) -> Config:
    """Loopback, no zeroconf, the given model folder, one blend preset."""
    return validate({
        "server": {"uri": "tcp://127.0.0.1:0"},
        "model": {"dir": str(model_dir), "english_g2p": "espeak", "warmup": False,
                  "languages": ["a", "e", "f"]},
        "voices": {"default": "ef_dora", "presets": {
            "calm": {"voice": "ef_dora:0.6+em_alex:0.4", "speed": 0.9}}},
        "zeroconf": {"enabled": False},
        "text": {"normalize": False},
    })


@dataclass
class Snapshot:
    rss_mb: float
    fds: int
    tasks: int

    @classmethod
    def take(cls) -> Snapshot:
        gc.collect()
        return cls(rss_bytes() / (1024 * 1024), open_fds(), len(asyncio.all_tasks()))


class _ErrorCounter(logging.Handler):
    """Counts ERROR records anywhere (an exception that escaped a task ends up here)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _run_plan(host: str, port: int, plan: list[RequestSpec], concurrency: int,
                    outcomes: Counter[str]) -> None:
    queue: asyncio.Queue[RequestSpec] = asyncio.Queue()
    for spec in plan:
        queue.put_nowait(spec)

    async def worker() -> None:
        while not queue.empty():
            spec = queue.get_nowait()
            try:
                outcomes[await run_request(host, port, spec)] += 1
            except Exception as err:  # a broken answer must be counted, not end the soak
                outcomes[f"client error: {type(err).__name__}: {err}"] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def run_phase(name: str, model: LoadedModel, model_dir: Path, plan: list[RequestSpec],
                    warmup: list[RequestSpec], concurrency: int,
                    synthesize: Callable[[str, VoiceChoice, float], list[np.ndarray]] | None
                    ) -> PhaseResult:
    """Start a server, warm it up, run the plan, and measure what it left behind."""
    result = PhaseResult(name, requests=len(plan))
    counter = _ErrorCounter()
    logging.getLogger().addHandler(counter)
    app = App(soak_config(model_dir), model)
    app.synthesize_fn = synthesize
    running = await app.startup()
    try:
        host, port = "127.0.0.1", running.server.port
        assert port is not None
        # Lazily created parts (codecs, thread pools, voice caches) are not leaks.
        warm: Counter[str] = Counter()
        await _run_plan(host, port, warmup, concurrency, warm)
        for key, n in warm.items():
            if key != OK:
                result.outcomes[f"warm-up: {key}"] += n
        await settle(lambda: running.server.connections == 0)
        before = Snapshot.take()
        started = time.perf_counter()
        await _run_plan(host, port, plan, concurrency, result.outcomes)
        result.seconds = time.perf_counter() - started
        scheduler = running.scheduler
        await settle(lambda: scheduler.active_jobs == 0 and running.server.connections == 0)
        await settle(lambda: len(asyncio.all_tasks()) <= before.tasks)
        await settle(lambda: open_fds() <= before.fds)
        after = Snapshot.take()
        result.rss_drift_mb = after.rss_mb - before.rss_mb
        result.fds_diff = after.fds - before.fds
        result.tasks_diff = after.tasks - before.tasks
        result.jobs_left = scheduler.active_jobs
        result.queued_left = scheduler.queued_sentences
        result.connections_left = running.server.connections
    finally:
        await app.shutdown()
        logging.getLogger().removeHandler(counter)
    result.logged_errors = len(counter.messages)
    for message in counter.messages[:5]:
        print(f"[{name}] logged error: {message.splitlines()[0]}", file=sys.stderr)
    return result


async def run_soak(model: LoadedModel, model_dir: Path, requests: int = 1000, real: int = 30,
                   concurrency: int = 8, seed: int = 0,
                   rss_limit_mb: float = RSS_LIMIT_MB) -> SoakReport:
    """The fake-engine phase, then (if real > 0) the real-model phase."""
    # The warm-up covers every format, streaming and not, before the baseline.
    warmup = make_plan(2 * len(FORMATS), seed + 1000, disconnect_share=0.0)
    phases = [await run_phase("fake", model, model_dir, make_plan(requests, seed), warmup,
                              concurrency, FakeSynth(seconds_per_char=0.004))]
    if real > 0:
        real_warmup = make_plan(2 * len(FORMATS), seed + 1001, disconnect_share=0.0, short=True)
        phases.append(await run_phase("real", model, model_dir,
                                      make_plan(real, seed + 1, short=True), real_warmup,
                                      min(concurrency, 4), None))
    return SoakReport(phases, rss_limit_mb)
