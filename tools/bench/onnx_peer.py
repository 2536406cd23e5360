"""The CPU alternative a user might pick instead: onnxruntime on kokoro-onnx's int8 graph.

This is what kokoro-onnx runs. Both sides get one thread (the server with
--threads 1, onnxruntime with one intra-op and one inter-op thread), the same
text, the same sentences and the same phonemes (the direct baseline's G2P);
rounds alternate the order. onnxruntime's time to first audio is its first
sentence's G2P and run, with no server or socket in between, which favours it
slightly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wyoming_kokoro.config import MODEL_RATE
from wyoming_kokoro.model.engine import MAX_PHONEMES

from .client import request
from .context import Context
from .direct import Direct
from .texts import LONG, LONG_SENTENCES, SHORT, VOICE

_LOGGER = logging.getLogger(__name__)

@dataclass
class Side:
    """One contender's samples, in seconds (rtf: compute seconds per audio second)."""

    label: str
    short_ttfa: list[float] = field(default_factory=list)
    long_ttfa: list[float] = field(default_factory=list)
    long_rtf: list[float] = field(default_factory=list)
    long_audio: list[float] = field(default_factory=list)


@dataclass
class OnnxComparison:
    """The server and onnxruntime, each on one thread, in the same rounds."""

    onnx_file: str
    runtime: str
    """onnxruntime's version."""
    ours: Side
    theirs: Side


class OnnxRuntime:
    """One onnxruntime session on the int8 graph, in its own thread."""

    def __init__(self, session: Any, vocab: dict[str, int], pack: np.ndarray) -> None:
        self._session = session
        self._vocab = vocab
        self._pack = pack
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnxruntime")

    @classmethod
    def load(cls, onnx_path: Path, model_dir: Path) -> OnnxRuntime:
        """The session (one thread), the model's vocab and the bench voice's style table."""
        import onnxruntime
        import torch

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(onnx_path), options,
                                               providers=["CPUExecutionProvider"])
        vocab = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["vocab"]
        pack = torch.load(model_dir / "voices" / f"{VOICE}.pt", map_location="cpu",
                          weights_only=True).numpy().astype(np.float32)
        runtime = cls(session, vocab, pack)
        # The first run pays for allocations the later ones reuse, as the
        # server's warm-up does.
        runtime._thread.submit(runtime._run, "oˈla").result()
        return runtime

    def close(self) -> None:
        self._thread.shutdown(wait=True)

    def _run(self, phonemes: str) -> float:
        """Audio seconds for one sentence's phonemes."""
        phonemes = phonemes[:MAX_PHONEMES]
        ids = [0, *(self._vocab[p] for p in phonemes if p in self._vocab), 0]
        # The style row is chosen by phoneme count, exactly as kokoro does.
        style = self._pack[max(len(phonemes) - 1, 0)].reshape(1, -1)
        (audio,) = self._session.run(None, {
            "tokens": np.array([ids], dtype=np.int64),
            "style": style,
            "speed": np.ones(1, dtype=np.float32),
        })
        return float(len(audio)) / MODEL_RATE

    def _sentence(self, direct: Direct, text: str) -> tuple[float, float]:
        started = time.perf_counter()
        audio = self._run(direct.phonemes(text))
        return time.perf_counter() - started, audio

    async def sentence(self, direct: Direct, text: str) -> tuple[float, float]:
        """(seconds, audio seconds) for G2P and one run of a sentence."""
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, self._sentence, direct, text)


async def _ours(ctx: Context, side: Side) -> None:
    await ctx.quiet()
    short = await request(ctx.threads_one, SHORT)
    if short.ok and short.ttfa is not None:
        side.short_ttfa.append(short.ttfa)
    await ctx.quiet()
    long = await request(ctx.threads_one, LONG)
    if long.ok and long.ttfa is not None and long.total is not None and long.audio_seconds:
        side.long_ttfa.append(long.ttfa)
        side.long_rtf.append(long.total / long.audio_seconds)
        side.long_audio.append(long.audio_seconds)


async def _theirs(ctx: Context, runtime: OnnxRuntime, side: Side) -> None:
    await ctx.quiet()
    seconds, _ = await runtime.sentence(ctx.direct, SHORT)
    side.short_ttfa.append(seconds)
    await ctx.quiet()
    timed = [await runtime.sentence(ctx.direct, text) for text in LONG_SENTENCES]
    audio = sum(a for _, a in timed)
    side.long_ttfa.append(timed[0][0])
    side.long_rtf.append(sum(s for s, _ in timed) / audio)
    side.long_audio.append(audio)


async def run(ctx: Context, onnx_path: Path, model_dir: Path) -> OnnxComparison:
    """Alternating rounds: the --threads 1 server, then onnxruntime (or the other way)."""
    import onnxruntime

    runtime = await asyncio.to_thread(OnnxRuntime.load, onnx_path, model_dir)
    result = OnnxComparison(onnx_path.name, onnxruntime.__version__,
                            Side("wyoming-kokoro server, `--threads 1` (torch KModel)"),
                            Side("onnxruntime, 1 thread (kokoro-onnx's int8 graph)"))
    try:
        for index in range(ctx.plan.onnx_rounds):
            if index % 2:
                await _theirs(ctx, runtime, result.theirs)
                await _ours(ctx, result.ours)
            else:
                await _ours(ctx, result.ours)
                await _theirs(ctx, runtime, result.theirs)
    finally:
        runtime.close()
    return result
