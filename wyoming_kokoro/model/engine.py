"""Text and a voice in, float32 audio out. Synchronous, and blind to asyncio.

One KModel is shared by one KPipeline per language. Only the scheduler's
model thread calls ``synthesize``, so the caches here need no locks.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from wyoming_kokoro.config import ModelSettings
from wyoming_kokoro.errors import ModelError, SynthesisError, UnknownVoiceError
from wyoming_kokoro.languages import LANGUAGE_CODES, LANGUAGES
from wyoming_kokoro.model.files import ModelFiles, load_model
from wyoming_kokoro.model.voices import VoiceChoice

if TYPE_CHECKING:
    import torch
    from kokoro import KModel, KPipeline

_LOGGER = logging.getLogger(__name__)

# kokoro indexes the voice pack by phoneme count and its context holds 510
# phonemes; beyond that it truncates silently, so longer input is cut here.
MAX_PHONEMES = 510
_BLEND_CACHE_SIZE = 32
_PHONEME_BREAKS = ".!?;:,—…"


def split_phonemes(phonemes: str, limit: int = MAX_PHONEMES) -> list[str]:
    """Cut a phoneme string into pieces of at most limit, at pauses or spaces."""
    pieces: list[str] = []
    rest = phonemes.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max(window.rfind(mark + " ") for mark in _PHONEME_BREAKS)
        cut = cut + 1 if cut > 0 else window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


@dataclass(frozen=True)
class LanguageStatus:
    """Whether a language can be spoken, and why not."""

    code: str
    usable: bool
    detail: str


def spacy_english_installed() -> bool:
    """misaki's English G2P needs spaCy's en_core_web_sm, which it downloads otherwise."""
    try:
        import spacy.util
    except ImportError:
        return False
    return bool(spacy.util.is_package("en_core_web_sm"))


def _espeak_english_pipeline(code: str, repo_id: str, model: KModel) -> KPipeline:
    """An English pipeline without spaCy: misaki's espeak G2P for en-us / en-gb.

    KPipeline('a') would try to download spaCy's model at construction, so the
    pipeline is built for an espeak language and given English G2P instead.
    """
    from kokoro import KPipeline
    from misaki.espeak import EspeakG2P

    pipeline = KPipeline(lang_code="e", repo_id=repo_id, model=model)
    pipeline.g2p = EspeakG2P(language=LANGUAGES[code].tag.lower())
    pipeline.lang_code = code
    return pipeline


def build_pipelines(
    model: KModel, settings: ModelSettings
) -> tuple[dict[str, KPipeline], list[LanguageStatus]]:
    """One KPipeline per usable language, all sharing the model."""
    from kokoro import KPipeline

    wanted = settings.languages or LANGUAGE_CODES
    english_misaki = settings.english_g2p == "misaki" or (
        settings.english_g2p == "auto" and spacy_english_installed()
    )
    if settings.english_g2p == "misaki" and not spacy_english_installed():
        raise ModelError(
            "english_g2p is misaki but spaCy's en_core_web_sm is not installed: "
            "run `python -m spacy download en_core_web_sm` or use english_g2p: auto"
        )
    if not english_misaki and any(LANGUAGES[code].english for code in wanted):
        _LOGGER.warning(
            "spaCy's en_core_web_sm is not installed: English uses espeak (lower quality). "
            "Install it with `python -m spacy download en_core_web_sm` for misaki's English."
        )
    pipelines: dict[str, KPipeline] = {}
    statuses: list[LanguageStatus] = []
    for code in wanted:
        try:
            if LANGUAGES[code].english and not english_misaki:
                pipeline = _espeak_english_pipeline(code, model.repo_id, model)
                detail = "espeak"
            else:
                pipeline = KPipeline(lang_code=code, repo_id=model.repo_id, model=model)
                detail = LANGUAGES[code].g2p
        except (ImportError, RuntimeError, OSError, AssertionError) as err:
            # A missing G2P extra (misaki[ja], misaki[zh]) leaves that language out.
            _LOGGER.info("Language %s unavailable: %s", LANGUAGES[code].label, err)
            statuses.append(LanguageStatus(code, False, str(err) or type(err).__name__))
            continue
        pipelines[code] = pipeline
        statuses.append(LanguageStatus(code, True, detail))
    return pipelines, statuses


class Engine:
    """Synthesises one piece of text with one voice; never called concurrently."""

    def __init__(self, model: KModel, pipelines: dict[str, KPipeline], files: ModelFiles) -> None:
        self._model = model
        self._pipelines = pipelines
        self._files = files
        self._packs: dict[str, torch.Tensor] = {}
        self._blends: OrderedDict[str, torch.Tensor] = OrderedDict()

    @classmethod
    def load(cls, settings: ModelSettings, files: ModelFiles) -> tuple[Engine, list[LanguageStatus]]:
        """Load the model once and build the pipelines."""
        import torch
        from loguru import logger as kokoro_logger

        # kokoro logs through loguru; our own logging says what matters.
        kokoro_logger.disable("kokoro")
        if settings.threads:
            torch.set_num_threads(settings.threads)
        device = resolve_device(settings.device)
        model = load_model(files, device)
        pipelines, statuses = build_pipelines(model, settings)
        _LOGGER.info("Model loaded on %s; languages: %s", device,
                     ", ".join(s.code for s in statuses if s.usable) or "none")
        return cls(model, pipelines, files), statuses

    def phonemize(self, text: str, language: str) -> str:
        """Text to phonemes with the language's G2P."""
        pipeline = self._pipelines.get(language)
        if pipeline is None:
            raise UnknownVoiceError(f"language {language!r} is not available")
        result = pipeline.g2p(text)
        phonemes = result[0] if isinstance(result, tuple) else result
        return (phonemes or "").strip()

    def synthesize(self, text: str, voice: VoiceChoice, speed: float) -> list[np.ndarray]:
        """Audio for text, as float32 arrays at 24 kHz (one per phoneme piece)."""
        import torch
        from kokoro import KPipeline

        phonemes = self.phonemize(text, voice.language.code)
        if not phonemes:
            return []
        pack = self._voice_pack(voice)
        audio: list[np.ndarray] = []
        with torch.inference_mode():
            for piece in split_phonemes(phonemes):
                output = KPipeline.infer(self._model, piece, pack, speed)
                audio.append(output.audio.detach().cpu().numpy().astype(np.float32, copy=False))
        return audio

    def warmup(self, voice: VoiceChoice) -> None:
        """Run once so the first request does not pay for lazy initialisation."""
        self.synthesize("Hello.", voice, 1.0)

    def _voice_pack(self, voice: VoiceChoice) -> torch.Tensor:
        if len(voice.parts) == 1:
            return self._single_pack(voice.parts[0][0])
        key = voice.key
        blended = self._blends.get(key)
        if blended is None:
            # Summed in order from the first part (as sum() would, without its int 0).
            scaled = [self._single_pack(name) * weight for name, weight in voice.parts]
            blended = scaled[0]
            for part in scaled[1:]:
                blended = blended + part
            self._blends[key] = blended
            if len(self._blends) > _BLEND_CACHE_SIZE:
                self._blends.popitem(last=False)
        else:
            self._blends.move_to_end(key)
        return blended

    def _single_pack(self, name: str) -> torch.Tensor:
        pack = self._packs.get(name)
        if pack is not None:
            return pack
        import torch

        path = self._files.voice_path(name)
        if path is None:
            raise UnknownVoiceError(f"voice {name!r} is not on disk")
        try:
            pack = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises many types for a corrupt file
            raise SynthesisError(f"cannot read voice {name!r}: {err}") from None
        if not isinstance(pack, torch.Tensor) or pack.dim() != 3 or pack.shape[0] < MAX_PHONEMES:
            raise SynthesisError(f"voice file of {name!r} has an unexpected shape")
        pack = pack.to(self._model.device)
        self._packs[name] = pack
        return pack


def resolve_device(device: str) -> str:
    """auto picks CUDA when available; cuda without a GPU is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("device cuda was asked for, but torch sees no CUDA GPU")
    return device

