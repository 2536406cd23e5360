"""The server's life in three phases: startup, serve, shutdown."""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from wyoming.event import Event

from wyoming_kokoro.config import Config
from wyoming_kokoro.errors import UnknownVoiceError
from wyoming_kokoro.model.engine import Engine
from wyoming_kokoro.model.files import ModelFiles, locate
from wyoming_kokoro.model.scheduler import Scheduler, SynthesizeFn
from wyoming_kokoro.model.voices import CATALOGUE, VoiceCatalogue, VoiceChoice, parse_blend
from wyoming_kokoro.pipeline.synthesis import TextFilter
from wyoming_kokoro.process.discovery import Advertiser
from wyoming_kokoro.process.memory import trim_memory
from wyoming_kokoro.wire.connection import ConnectionHandler, Services
from wyoming_kokoro.wire.describe import build_info
from wyoming_kokoro.wire.server import Server

_LOGGER = logging.getLogger(__name__)

ENCODER_THREADS = max(1, min(4, os.cpu_count() or 1))

T = TypeVar("T")


def startup_voices(config: Config) -> tuple[str, ...]:
    """Catalogue voices that the default voice and the presets use."""
    names: list[str] = []
    for text in [config.voices.default, *(p.voice for p in config.voices.presets)]:
        if any(text == p.name for p in config.voices.presets):
            continue
        parts = parse_blend(text) if ("+" in text or ":" in text) else ((text, 1.0),)
        names.extend(name for name, _ in parts if name in CATALOGUE)
    return tuple(dict.fromkeys(names))


def text_filter_factory(config: Config) -> Callable[[str], TextFilter] | None:
    """The normaliser's constructor (it takes the language code), or None when off."""
    if not config.text.normalize:
        return None
    from wyoming_kokoro.pipeline.textnorm import StreamNormalizer

    return StreamNormalizer


@dataclass(frozen=True)
class LoadedModel:
    """The model and what it can speak; loaded once per process."""

    engine: Engine
    files: ModelFiles
    languages: frozenset[str]


def load_model(config: Config) -> LoadedModel:
    """Find (or download) the files and load the model. Blocking."""
    files = locate(config.model, startup_voices(config))
    engine, statuses = Engine.load(config.model, files)
    usable = frozenset(status.code for status in statuses if status.usable)
    return LoadedModel(engine, files, usable)


class Phase(enum.Enum):
    """The steps of start-up, in order; a stop request names the one it cut off."""

    MODEL_LOAD = "model load"
    WARMUP = "warm-up"
    LISTEN = "listen set-up"
    SERVING = "serving"


# Test hook: seconds that the warm-up is held open, so that a test can stop
# the server during it (a warm-up on the tiny model is over in a blink).
WARMUP_DELAY_ENV = "WYOMING_KOKORO_TEST_WARMUP_DELAY"


@dataclass
class Running:
    """What a finished start-up serves with."""

    engine: Engine
    catalogue: VoiceCatalogue
    scheduler: Scheduler
    server: Server
    advertiser: Advertiser | None
    """Registers the zeroconf name in the background; None without zeroconf."""


class App:
    """Builds the parts from a Config, serves, and shuts down gracefully.

    Start-up may be cut off at any phase: shutdown() takes apart whatever
    has been built so far, in reverse order.
    """

    def __init__(self, config: Config, model: LoadedModel | None = None) -> None:
        """model: an already loaded model (tests share one); None loads it at startup."""
        self.config = config
        self._model = model
        self.phase = Phase.MODEL_LOAD
        self.running: Running | None = None
        # Tests about protocol timing swap in a fake synthesiser here.
        self.synthesize_fn: SynthesizeFn | None = None
        self._stop = asyncio.Event()
        # The parts, each set as soon as it has started.
        self._loader: ThreadPoolExecutor | None = None
        self._encoders: ThreadPoolExecutor | None = None
        self._scheduler: Scheduler | None = None
        self._server: Server | None = None
        self._advertiser: Advertiser | None = None
        self._thread_work: set[Phase] = set()
        """Start-up phases whose work still runs in a thread, which cannot be cancelled."""

    @property
    def threads_busy(self) -> bool:
        """True while a cut-off model load or warm-up still runs in its thread."""
        return bool(self._thread_work)

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Start up, then serve until a stop request; a request during start-up cuts it short."""
        if self._stop.is_set():
            _LOGGER.info("Stopped before start-up began")
            return
        startup = asyncio.create_task(self.startup(), name="kokoro-startup")
        stop = asyncio.create_task(self._stop.wait())
        await asyncio.wait({startup, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not startup.done():
            startup.cancel()
            await asyncio.wait({startup})
            _LOGGER.info("Stopped during %s", self.phase.value)
            return
        startup.result()  # start-up errors end the run here
        await self.serve()

    async def startup(self) -> Running:
        """Load the model, start the queue, warm up, listen, then advertise in the background."""
        config = self.config
        self.phase = Phase.MODEL_LOAD
        model = self._model or await self._load_model()
        engine, files = model.engine, model.files
        speakable = [
            name for name, voice in CATALOGUE.items()
            if voice.language.code in model.languages and files.can_speak(name)
        ]
        default_voice = files.choose_default(config.voices.default)
        catalogue = VoiceCatalogue(speakable, config.voices.presets, default_voice,
                                   model.languages)
        catalogue.check()
        # A small pool of its own: few threads keep few malloc arenas, so
        # memory stays flat however many requests encode.
        self._encoders = encoders = ThreadPoolExecutor(max_workers=ENCODER_THREADS,
                                                       thread_name_prefix="kokoro-encode")
        self._scheduler = scheduler = Scheduler(self.synthesize_fn or engine.synthesize,
                                                config.synthesis, on_idle=trim_memory)
        scheduler.start()
        if config.model.warmup:
            self.phase = Phase.WARMUP
            default = catalogue.resolve(None)
            _LOGGER.info("Warming up the model with %s", default.name)
            await prepare_voice(files, default)
            await scheduler.run_in_model_thread(
                self._in_thread(Phase.WARMUP, partial(_warm_up, engine, default)))
            _LOGGER.info("Model warmed up with %s", default.name)
        self.phase = Phase.LISTEN
        info: Event = build_info(catalogue).event()
        services = Services(
            config=config,
            catalogue=catalogue,
            scheduler=scheduler,
            info=info,
            prepare_voice=partial(prepare_voice, files),
            text_filter=text_filter_factory(config),
            encoders=encoders,
        )
        self._server = server = Server(config.server, partial(ConnectionHandler, services))
        uri = await server.start()
        self.phase = Phase.SERVING
        _LOGGER.info("Ready on %s", uri)
        # Only now that the socket listens: a client that resolves the service
        # must be able to connect. The name check (1.5 s) runs behind serving.
        if server.is_tcp and config.zeroconf.enabled:
            assert server.host is not None and server.port is not None
            self._advertiser = Advertiser(config.zeroconf, server.host, server.port)
        self.running = Running(engine, catalogue, scheduler, server, self._advertiser)
        return self.running

    async def _load_model(self) -> LoadedModel:
        _LOGGER.info("Loading the model")
        # A thread of its own that lives until shutdown: a load in a thread
        # that ends afterwards (asyncio.to_thread, or the model thread itself)
        # left every later inference about ten times slower on CPU, through
        # torch's OpenMP thread pool.
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kokoro-load")
        work = self._in_thread(Phase.MODEL_LOAD, partial(load_model, self.config))
        return await asyncio.get_running_loop().run_in_executor(self._loader, work)

    def _in_thread(self, phase: Phase, func: Callable[[], T]) -> Callable[[], T]:
        """func, marked busy from now until it returns in its thread."""
        self._thread_work.add(phase)

        def run() -> T:
            try:
                return func()
            finally:
                self._thread_work.discard(phase)

        return run

    async def serve(self) -> None:
        """Until request_stop() (or the end of stdin for stdio://)."""
        assert self.running is not None
        stop = asyncio.create_task(self._stop.wait())
        closed = asyncio.create_task(self.running.server.wait_closed())
        await asyncio.wait({stop, closed}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stop, closed):
            task.cancel()

    async def shutdown(self) -> None:
        """Take apart what start-up built, last started first; safe at any phase, and twice.

        The server stops accepting and lets streams finish within the grace
        period, while the zeroconf goodbye goes out alongside.
        """
        advertiser, server, scheduler = self._advertiser, self._server, self._scheduler
        encoders, loader = self._encoders, self._loader
        self._advertiser = self._server = self._scheduler = None
        self._encoders = self._loader = None
        self.running = None
        withdraw = asyncio.create_task(advertiser.withdraw()) if advertiser else None
        report = None
        if server is not None:
            grace = self.config.server.shutdown_grace
            _LOGGER.info("Shutting down (grace %.1f s)", grace)
            report = await server.stop(grace)
        cancelled = await scheduler.stop() if scheduler is not None else []
        if encoders is not None:
            encoders.shutdown(wait=True)
        if withdraw is not None:
            await withdraw
        if loader is not None:
            # A load still running keeps its thread; see threads_busy.
            loader.shutdown(wait=False)
        if report is not None:
            _LOGGER.info(
                "Stopped: %s connections closed, %s requests cut off, %s queued jobs cancelled",
                report.connections, report.cut_off, len(cancelled),
            )


def _warm_up(engine: Engine, voice: VoiceChoice) -> None:
    delay = float(os.environ.get(WARMUP_DELAY_ENV, "0") or 0)
    if delay > 0:
        time.sleep(delay)
    engine.warmup(voice)


async def prepare_voice(files: ModelFiles, voice: VoiceChoice) -> None:
    """Download missing voice files in a thread; only the asking request waits."""
    for name, _ in voice.parts:
        if files.voice_path(name) is None:
            if not files.online:
                raise UnknownVoiceError(f"voice {name!r} is not installed")
            await asyncio.to_thread(files.fetch_voice, name)


async def run_app(config: Config, stop_requested: Callable[[], bool] = lambda: False) -> bool:
    """Start-up, serve, shutdown, with SIGTERM/SIGINT leading to shutdown at any phase.

    stop_requested: whether a signal came before the event loop ran.
    Returns App.threads_busy: True when a cut-off thread still runs, which
    the caller can only leave behind by ending the process.
    """
    app = App(config)
    loop = asyncio.get_running_loop()
    # Before anything starts, so that no phase is left to the default action
    # (death by signal, with no goodbye for zeroconf).
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, app.request_stop)
    if stop_requested():
        app.request_stop()
    try:
        await app.run()
    finally:
        await app.shutdown()
    return app.threads_busy
