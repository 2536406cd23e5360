"""Soak test: many mixed requests against an in-process server; reports leaks and errors.

    python -m tools.soak                        # 1000 fake-engine requests + 30 on a tiny model
    python -m tools.soak --requests 200 --real 0
    python -m tools.soak --model-dir DIR        # use this model folder instead of building one

The bulk runs with a fake synthesiser (fast, so the server's own code is what
is exercised): every output format, streaming and not, blends and presets,
and some clients that disconnect mid-stream. A slice then runs on a real
model (by default a tiny random-weight one built here). The report gives RSS
drift, file descriptors, asyncio tasks, what is left in the scheduler, and
the outcome of every request by type. It exits non-zero when a target is
missed: RSS drift under 30 MB, every other figure zero.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wyoming_kokoro.app import App, LoadedModel, load_model  # noqa: E402
from wyoming_kokoro.config import MODEL_RATE, Config, validate  # noqa: E402
from wyoming_kokoro.voices import VoiceChoice  # noqa: E402

RSS_LIMIT_MB = 30.0
MODEL_VOICES = ("af_heart", "af_bella", "af_sky", "ef_dora", "em_alex", "ff_siwis")
FORMATS = ("pcm", "wav", "mp3", "opus", "flac", "aac")
# Voice (a name, a blend or the preset) and the language of its texts.
VOICES = (("ef_dora", "e"), ("em_alex", "e"), ("ef_dora:0.7+em_alex:0.3", "e"), ("calm", "e"),
          ("ff_siwis", "f"), ("af_heart", "a"), ("af_bella:0.5+af_sky:0.5", "a"))
# The first text of each language is one short sentence (for the real model).
TEXTS = {
    "e": ("Hola a todos.",
          "Las luces de la cocina están encendidas. ¿Algo más?",
          "Uno, dos, tres. Cuatro, cinco, seis. Siete, ocho, nueve. Diez."),
    "f": ("Bonjour tout le monde.",
          "Il fait beau aujourd'hui. Les lumières du salon sont allumées."),
    "a": ("Hello there.",
          "The kitchen lights are on. The front door is locked. Good night."),
}
# Container names that PyAV's demuxers know, to check encoded output decodes.
DEMUXERS = {"wav": "wav", "mp3": "mp3", "opus": "ogg", "flac": "flac", "aac": "aac"}
OK = "ok"
DISCONNECTED = "disconnected (planned)"
READ_TIMEOUT = 60.0


def fake_synthesize(text: str, voice: VoiceChoice, speed: float) -> list[np.ndarray]:
    """Stands in for the model: a quiet tone whose length follows the text."""
    samples = max(1200, int(len(text) * 0.004 / speed * MODEL_RATE))
    t = np.arange(samples, dtype=np.float32) / MODEL_RATE
    return [(0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)]


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


# -- the requests ----------------------------------------------------------


@dataclass(frozen=True)
class RequestSpec:
    """One request of the mix."""

    text: str
    voice: str
    format: str
    streaming: bool
    disconnect: bool
    """Leave after the first audio chunk instead of reading to the end."""
    speed: float | None = None


def make_plan(count: int, seed: int, disconnect_share: float = 0.1,
              short: bool = False) -> list[RequestSpec]:
    """A reproducible mix that covers every format, streaming and not, and blends.

    short: one-sentence texts only, for the (slower) real model.
    """
    rng = random.Random(seed)
    plan = []
    for i in range(count):
        voice, language = rng.choice(VOICES)
        texts = TEXTS[language]
        plan.append(RequestSpec(
            text=texts[0] if short else rng.choice(texts),
            voice=voice,
            # Cycle through formats so that even a short run covers all of them.
            format=FORMATS[i % len(FORMATS)],
            streaming=(i // len(FORMATS)) % 2 == 1,
            disconnect=rng.random() < disconnect_share,
            speed=rng.choice((None, None, 0.8, 1.25)),
        ))
    return plan


def _encode(event_type: str, data: dict[str, Any] | None = None) -> bytes:
    head: dict[str, Any] = {"type": event_type}
    body = b""
    if data:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        head["data_length"] = len(body)
    return json.dumps(head).encode("utf-8") + b"\n" + body


async def _read(reader: asyncio.StreamReader) -> tuple[str, dict[str, Any], bytes] | None:
    line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
    if not line:
        return None
    head = json.loads(line)
    data = dict(head.get("data") or {})
    if head.get("data_length"):
        data.update(json.loads(await reader.readexactly(head["data_length"])))
    payload = await reader.readexactly(head["payload_length"]) if head.get("payload_length") else b""
    return head["type"], data, payload


def _check_audio(fmt: str, audio: bytes) -> str | None:
    """None if the joined payloads are playable audio of that format, else what is wrong."""
    if not audio:
        return "no audio"
    if fmt == "pcm":
        return None if len(audio) % 2 == 0 else "odd PCM length"
    import av

    try:
        with av.open(io.BytesIO(audio), format=DEMUXERS[fmt]) as container:
            samples = sum(frame.samples for frame in container.decode(audio=0))
    except (av.FFmpegError, ValueError, OSError) as err:
        return f"{fmt} does not decode: {err}"
    return None if samples > 0 else f"{fmt} decodes to nothing"


async def run_request(host: str, port: int, spec: RequestSpec) -> str:
    """Send one request, check the answer; returns OK, DISCONNECTED or what went wrong."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        data: dict[str, Any] = {"voice": {"name": spec.voice}}
        kokoro: dict[str, Any] = {"format": spec.format}
        if spec.speed is not None:
            kokoro["speed"] = spec.speed
        data["kokoro"] = kokoro
        if spec.streaming:
            words = spec.text.split(" ")
            deltas = [" ".join(words[i:i + 3]) + " " for i in range(0, len(words), 3)]
            wire = _encode("synthesize-start", data)
            wire += b"".join(_encode("synthesize-chunk", {"text": d}) for d in deltas)
            # Home Assistant repeats the text for servers without streaming.
            wire += _encode("synthesize", {**data, "text": spec.text})
            wire += _encode("synthesize-stop")
        else:
            wire = _encode("synthesize", {**data, "text": spec.text})
        writer.write(wire)
        await writer.drain()

        end = "synthesize-stopped" if spec.streaming else "audio-stop"
        types: list[str] = []
        audio = bytearray()
        while True:
            event = await _read(reader)
            if event is None:
                return f"closed early after {types[-3:]}"
            event_type, event_data, payload = event
            types.append(event_type)
            if event_type == "error":
                return f"error: {event_data.get('code')}"
            if event_type == "audio-chunk":
                if event_data.get("format", "pcm") != spec.format:
                    return "chunk of the wrong format"
                audio += payload
                if spec.disconnect:
                    return DISCONNECTED
            if event_type == end:
                break
        expected = ["audio-start", "audio-stop"] + (["synthesize-stopped"] if spec.streaming else [])
        if [t for t in types if t != "audio-chunk"] != expected:
            return f"bad event order {types[:2]}...{types[-2:]}"
        problem = await asyncio.to_thread(_check_audio, spec.format, bytes(audio))
        return OK if problem is None else f"bad audio: {problem}"
    except asyncio.TimeoutError:
        return "timeout (no answer)"
    except (ConnectionError, asyncio.IncompleteReadError) as err:
        return f"connection lost: {type(err).__name__}"
    finally:
        if spec.disconnect:
            # An abrupt reset, like a client that crashes.
            writer.transport.abort()
        else:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 5)
            except (ConnectionError, asyncio.TimeoutError):
                pass


# -- measuring -------------------------------------------------------------


def open_fds() -> int:
    if os.path.isdir("/proc/self/fd"):
        return len(os.listdir("/proc/self/fd"))
    import psutil

    return psutil.Process().num_fds()


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / (1024 * 1024)


@dataclass
class Snapshot:
    rss_mb: float
    fds: int
    tasks: int

    @classmethod
    def take(cls) -> Snapshot:
        gc.collect()
        return cls(rss_mb(), open_fds(), len(asyncio.all_tasks()))


class _ErrorCounter(logging.Handler):
    """Counts ERROR records anywhere (an exception that escaped a task ends up here)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


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


async def _settle(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        await asyncio.sleep(0.05)


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
        await _settle(lambda: running.server.connections == 0)
        before = Snapshot.take()
        started = time.perf_counter()
        await _run_plan(host, port, plan, concurrency, result.outcomes)
        result.seconds = time.perf_counter() - started
        scheduler = running.scheduler
        await _settle(lambda: scheduler.active_jobs == 0 and running.server.connections == 0)
        await _settle(lambda: len(asyncio.all_tasks()) <= before.tasks)
        await _settle(lambda: open_fds() <= before.fds)
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


async def run_soak(model: LoadedModel, model_dir: Path, requests: int = 1000, real: int = 30,
                   concurrency: int = 8, seed: int = 0,
                   rss_limit_mb: float = RSS_LIMIT_MB) -> SoakReport:
    """The fake-engine phase, then (if real > 0) the real-model phase."""
    # The warm-up covers every format, streaming and not, before the baseline.
    warmup = make_plan(2 * len(FORMATS), seed + 1000, disconnect_share=0.0)
    phases = [await run_phase("fake", model, model_dir, make_plan(requests, seed), warmup,
                              concurrency, fake_synthesize)]
    if real > 0:
        real_warmup = make_plan(2 * len(FORMATS), seed + 1001, disconnect_share=0.0, short=True)
        phases.append(await run_phase("real", model, model_dir,
                                      make_plan(real, seed + 1, short=True), real_warmup,
                                      min(concurrency, 4), None))
    return SoakReport(phases, rss_limit_mb)


def _load(model_dir: Path | None, scratch: Path) -> tuple[LoadedModel, Path]:
    if model_dir is None:
        from tools.random_model import build

        print("Building a tiny random-weight model...", file=sys.stderr)
        model_dir = build(scratch / "model", "tiny", MODEL_VOICES, seed=0)
    return load_model(soak_config(model_dir)), model_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="fake-engine requests")
    parser.add_argument("--real", type=int, default=30, help="requests on the real model")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-dir", type=Path,
                        help=f"model folder with voices {', '.join(MODEL_VOICES)}; "
                             "default: build a tiny random one")
    parser.add_argument("--rss-limit-mb", type=float, default=RSS_LIMIT_MB)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as scratch:
        model, model_dir = _load(args.model_dir, Path(scratch))
        report = asyncio.run(run_soak(model, model_dir, args.requests, args.real,
                                      args.concurrency, args.seed, args.rss_limit_mb))
    print(report.table())
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":
    main()
