"""The baseline: kokoro called in-process on the same model and text, no server.

`sentence` does what the server's engine does for one sentence (G2P, then
KPipeline.infer with the voice pack, under inference_mode, to a float32
array), so server ÷ direct isolates what the server adds. `naive` is the
plain `KPipeline(...)(text, voice=pack)` call most scripts use.

Every call runs in one dedicated thread, as the server runs its model. On
this shared 2-core machine, torch called from the asyncio main thread often
had its worker threads spinning instead of sleeping (4× the CPU time and
2–4× the wall time of the same call from a worker thread, with no voluntary
context switches), which would have flattered the server.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wyoming_kokoro.config import MODEL_RATE, REPO_ID

from .texts import LANGUAGE, VOICE

_LOGGER = logging.getLogger(__name__)

SETTLE = 0.1


@dataclass(frozen=True)
class Timed:
    """One in-process synthesis."""

    seconds: float
    cpu_seconds: float
    """CPU time of this process (all threads): steadier than wall time on a busy machine."""
    audio_seconds: float


@dataclass(frozen=True)
class NaiveTimed:
    """One plain KPipeline call on a whole text."""

    ttfa: float
    total: float
    audio_seconds: float


class Direct:
    """One KModel, one KPipeline and the voice pack, loaded like the server does."""

    def __init__(self, model: Any, pipeline: Any, pack: Any) -> None:
        self._model = model
        self._pipeline = pipeline
        self._pack = pack
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="direct-model")

    def close(self) -> None:
        self._thread.shutdown(wait=True)

    async def _in_thread(self, func: Callable[..., Any], *args: Any) -> Any:
        result = await asyncio.get_running_loop().run_in_executor(self._thread, func, *args)
        # torch's worker threads spin for a moment after a run; a server request
        # timed right after would share the cores with them.
        await asyncio.sleep(SETTLE)
        return result

    @classmethod
    def load(cls, model_dir: Path, device: str) -> Direct:
        """Load the model (a few seconds) and warm it up once."""
        import torch
        from kokoro import KModel, KPipeline
        from loguru import logger as kokoro_logger

        kokoro_logger.disable("kokoro")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            model = KModel(repo_id=REPO_ID, config=str(model_dir / "config.json"),
                           model=str(model_dir / "kokoro-v1_0.pth"))
        model = model.to(device).eval()
        pipeline = KPipeline(lang_code=LANGUAGE, repo_id=REPO_ID, model=model)
        pack = torch.load(model_dir / "voices" / f"{VOICE}.pt", map_location="cpu",
                          weights_only=True).to(device)
        direct = cls(model, pipeline, pack)
        # The server warms up at start-up; so does the baseline, or its first
        # round would pay for lazy initialisation the server never shows.
        direct._thread.submit(direct._sentence, "Hola.", 1.0).result()
        return direct

    def phonemes(self, text: str) -> str:
        """Text to phonemes with the pipeline's G2P, as the engine does."""
        result = self._pipeline.g2p(text)
        phonemes = result[0] if isinstance(result, tuple) else result
        return (phonemes or "").strip()

    async def sentence(self, text: str, speed: float = 1.0) -> Timed:
        """G2P and inference for one sentence: the server engine's work, timed."""
        timed, _ = await self._in_thread(self._sentence, text, speed)
        return timed

    async def sentence_audio(self, text: str, speed: float = 1.0) -> tuple[Timed, np.ndarray]:
        """As sentence, also returning the audio (for the encoder measurements)."""
        return await self._in_thread(self._sentence, text, speed)

    async def sentences(self, texts: Iterable[str]) -> list[Timed]:
        """Each sentence on its own, in order: the server's schedule for one request."""
        return [await self.sentence(text) for text in texts]

    async def naive(self, text: str) -> NaiveTimed:
        """The plain pipeline call: it splits only at newlines, so first audio waits
        for the whole paragraph."""
        return await self._in_thread(self._naive, text)

    def _sentence(self, text: str, speed: float) -> tuple[Timed, np.ndarray]:
        import torch
        from kokoro import KPipeline

        started, cpu_started = time.perf_counter(), time.process_time()
        phonemes = self.phonemes(text)
        with torch.inference_mode():
            output = KPipeline.infer(self._model, phonemes, self._pack, speed)
            audio = output.audio.detach().cpu().numpy().astype(np.float32, copy=False)
        timed = Timed(time.perf_counter() - started, time.process_time() - cpu_started,
                      len(audio) / MODEL_RATE)
        return timed, audio

    def _naive(self, text: str) -> NaiveTimed:
        started = time.perf_counter()
        first: float | None = None
        samples = 0
        for result in self._pipeline(text, voice=self._pack, speed=1.0):
            if result.audio is None:
                continue
            if first is None:
                first = time.perf_counter()
            samples += len(result.audio)
        ended = time.perf_counter()
        return NaiveTimed((first or ended) - started, ended - started, samples / MODEL_RATE)
