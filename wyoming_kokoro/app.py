"""The server's life in three phases: startup, serve, shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from wyoming.event import Event

from .config import Config
from .describe import build_info
from .discovery import Advertisement, advertise
from .engine import Engine
from .errors import UnknownVoiceError
from .handler import ConnectionHandler, Services
from .memory import trim_memory
from .model import ModelFiles, locate
from .scheduler import Scheduler, SynthesizeFn
from .server import Server
from .synthesis import TextFilter
from .voices import CATALOGUE, VoiceCatalogue, VoiceChoice, parse_blend

_LOGGER = logging.getLogger(__name__)

ENCODER_THREADS = max(1, min(4, os.cpu_count() or 1))


def startup_voices(config: Config) -> tuple[str, ...]:
    """Catalogue voices that the default voice and the presets use."""
    names: list[str] = []
    for text in [config.voices.default, *(p.voice for p in config.voices.presets)]:
        if any(text == p.name for p in config.voices.presets):
            continue
        parts = parse_blend(text) if ("+" in text or ":" in text) else ((text, 1.0),)
        names.extend(name for name, _ in parts if name in CATALOGUE)
    return tuple(dict.fromkeys(names))


def text_filter_factory(config: Config) -> partial[TextFilter] | None:
    if not config.text.normalize:
        return None
    from .textnorm import StreamNormalizer

    return partial(StreamNormalizer)


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


@dataclass
class Running:
    """What startup built and shutdown takes apart."""

    engine: Engine
    scheduler: Scheduler
    server: Server
    catalogue: VoiceCatalogue
    advertisement: Advertisement | None
    encoders: ThreadPoolExecutor


class App:
    """Builds the parts from a Config, serves, and shuts down gracefully."""

    def __init__(self, config: Config, model: LoadedModel | None = None) -> None:
        """model: an already loaded model (tests share one); None loads it at startup."""
        self.config = config
        self._model = model
        self.running: Running | None = None
        # Tests about protocol timing swap in a fake synthesiser here.
        self.synthesize_fn: SynthesizeFn | None = None
        self._stop = asyncio.Event()

    def request_stop(self) -> None:
        self._stop.set()

    async def startup(self) -> Running:
        """Load the model, start the queue, listen, then advertise."""
        config = self.config
        model = self._model or await asyncio.to_thread(load_model, config)
        engine, files = model.engine, model.files
        speakable = [
            name for name, voice in CATALOGUE.items()
            if voice.language.code in model.languages and files.can_speak(name)
        ]
        default_voice = files.choose_default(config.voices.default)
        catalogue = VoiceCatalogue(speakable, config.voices.presets, default_voice)
        catalogue.check()
        scheduler = Scheduler(self.synthesize_fn or engine.synthesize, config.synthesis,
                              on_idle=trim_memory)
        scheduler.start()
        if config.model.warmup:
            default = catalogue.resolve(None)
            await prepare_voice(files, default)
            await scheduler.run_in_model_thread(partial(engine.warmup, default))
            _LOGGER.info("Model warmed up with %s", default.name)
        info: Event = build_info(catalogue).event()
        # A small pool of its own: few threads keep few malloc arenas, so
        # memory stays flat however many requests encode.
        encoders = ThreadPoolExecutor(max_workers=ENCODER_THREADS,
                                      thread_name_prefix="kokoro-encode")
        services = Services(
            config=config,
            catalogue=catalogue,
            scheduler=scheduler,
            info=info,
            prepare_voice=partial(prepare_voice, files),
            text_filter=text_filter_factory(config),
            encoders=encoders,
        )
        server = Server(config.server, partial(ConnectionHandler, services))
        uri = await server.start()
        # Register only once the socket listens: a client that resolves the
        # service must be able to connect.
        advertisement = None
        if server.is_tcp and config.zeroconf.enabled:
            assert server.host is not None and server.port is not None
            advertisement = await advertise(config.zeroconf, server.host, server.port)
        _LOGGER.info("Ready on %s", uri)
        self.running = Running(engine, scheduler, server, catalogue, advertisement, encoders)
        return self.running

    async def serve(self) -> None:
        """Until SIGTERM/SIGINT (or the end of stdin for stdio://)."""
        assert self.running is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        stop = asyncio.create_task(self._stop.wait())
        closed = asyncio.create_task(self.running.server.wait_closed())
        await asyncio.wait({stop, closed}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stop, closed):
            task.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)

    async def shutdown(self) -> None:
        """Stop accepting, let streams finish within the grace period, unregister."""
        running = self.running
        if running is None:
            return
        grace = self.config.server.shutdown_grace
        _LOGGER.info("Shutting down (grace %.1f s)", grace)
        report = await running.server.stop(grace)
        cancelled = await running.scheduler.stop()
        running.encoders.shutdown(wait=True)
        if running.advertisement is not None:
            await running.advertisement.unregister()
        _LOGGER.info(
            "Stopped: %s connections closed, %s requests cut off, %s queued jobs cancelled",
            report.connections, report.cut_off, len(cancelled),
        )
        self.running = None


async def prepare_voice(files: ModelFiles, voice: VoiceChoice) -> None:
    """Download missing voice files in a thread; only the asking request waits."""
    for name, _ in voice.parts:
        if files.voice_path(name) is None:
            if not files.online:
                raise UnknownVoiceError(f"voice {name!r} is not installed")
            await asyncio.to_thread(files.fetch_voice, name)


async def run_app(config: Config) -> None:
    """Startup, serve, shutdown."""
    app = App(config)
    await app.startup()
    try:
        await app.serve()
    finally:
        await app.shutdown()
