"""Speech through Home Assistant's TTS component and the entity, against a real server.

Runs on both Home Assistant versions we test. Home Assistant 2025.4 sends
every request of a TTS entity through async_stream_tts_audio with the whole
message as one text delta; here the entity's streaming with several deltas
is exercised by calling it directly with a TTSAudioRequest, and
test_streaming.py follows HA 2026's own streaming path.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from conftest import (
    PRESET,
    SERVER_PYTHON,
    KokoroServer,
    launch_server,
    stop_process,
    wait_ready,
)
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from kokoro_helpers import (
    MODEL_RATE,
    PACED_FRAMES,
    SAMPLES_PER_PHONEME,
    Listener,
    add_entry_by_user_step,
    counting_listener,
    decode,
    deltas,
    entity_id_of,
    entity_of,
    paced_model,
    speak,
    wav_frames,
)
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.wyoming_kokoro.const import CONF_STREAMING

TEXT = "Hello there. How are you today?"


async def reference_frames(hass: HomeAssistant, entry: MockConfigEntry, text: str) -> int:
    """Samples of raw PCM for `text`: what every format must decode to.

    Asked of the entity directly: Home Assistant would pass a `pcm` request
    on to ffmpeg, and this is the server's own audio.
    """
    extension, data = await entity_of(hass, entry).async_get_tts_audio(
        text, "en-US", {"preferred_format": "pcm", "voice": "af_heart"}
    )
    assert extension == "wav"
    rate, frames = wav_frames(data)
    assert rate == MODEL_RATE
    # The tiny model makes whole frames of 600 samples, one per phoneme.
    assert frames > 0 and frames % SAMPLES_PER_PHONEME == 0
    return frames


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav"])
async def test_formats_through_home_assistant(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry, fmt: str
) -> None:
    """Each preferred format comes back in that format, with all the audio.

    A wrong extension or a missing format would make Home Assistant convert
    with ffmpeg, and the extension check below would fail.
    """
    frames = await reference_frames(hass, kokoro_entry, TEXT)
    extension, data = await speak(
        hass, kokoro_entry, TEXT, {"preferred_format": fmt, "voice": "af_heart"}
    )
    assert extension == fmt
    decoded = decode(data)
    assert decoded.channels == 1
    if fmt == "opus":
        # Opus runs at 48 kHz; the decoder's pre-skip trims the encoder delay.
        assert decoded.codec == "opus"
        assert decoded.rate == 48000
        assert abs(decoded.samples - 2 * frames) <= 2 * 960
    elif fmt == "mp3":
        # MP3 adds encoder delay and padding (at most about two frames).
        assert decoded.rate == MODEL_RATE
        assert frames <= decoded.samples <= frames + 2 * 1152
    elif fmt == "aac":
        # ADTS carries no edit list: the 1024 priming samples and the padding
        # of the last frame are decoded too.
        assert decoded.codec == "aac"
        assert decoded.rate == MODEL_RATE
        assert frames <= decoded.samples <= frames + 3 * 1024
    else:
        assert decoded.rate == MODEL_RATE
        assert decoded.samples == frames
    # Home Assistant 2025.4 goes through the streaming method.
    latency = kokoro_entry.runtime_data.client.last_latency
    assert latency.mode == "stream"
    assert latency.format == fmt
    assert latency.error is None
    assert 0 < latency.first_audio_s <= latency.total_s


async def test_no_format_gives_mp3(hass: HomeAssistant, kokoro_entry: MockConfigEntry) -> None:
    """With no preferred format Home Assistant expects mp3; that is what comes."""
    extension, data = await speak(hass, kokoro_entry, "Good morning.")
    assert extension == "mp3"
    decoded = decode(data)
    assert decoded.codec.startswith("mp3")
    assert decoded.samples > 0


async def flac_samples(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    text: str,
    language: str,
    voice: str | None = None,
) -> int:
    """Samples of `text` spoken through Home Assistant as flac (lossless: exact)."""
    options = {"preferred_format": "flac"} | ({"voice": voice} if voice else {})
    extension, data = await speak(hass, entry, text, options, language)
    assert extension == "flac"
    return decode(data).samples


async def test_default_voice_follows_language(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry
) -> None:
    """No voice chosen: the language picks one (the server's default is Spanish).

    The voice shows in the audio's length: each voice speaks through its
    own language's phonemes, and the tiny model gives every phoneme one
    frame, so the same text comes out longer or shorter per language.
    Each reference is a voice in its own language: a named voice asked for
    another language reads the text in that one (the last checks).
    """
    english, spanish = "Good morning, how was your weekend?", "Buenos días, ¿qué tal?"
    as_english = await flac_samples(hass, kokoro_entry, english, "en-US", "af_heart")
    as_spanish = await flac_samples(hass, kokoro_entry, english, "es", "ef_dora")
    assert as_english != as_spanish, "the text does not tell the two voices apart"
    assert await flac_samples(hass, kokoro_entry, english, "en-US") == as_english
    # The Spanish voice in an English pipeline reads English phonemes.
    assert await flac_samples(hass, kokoro_entry, english, "en-US", "ef_dora") == as_english

    as_english = await flac_samples(hass, kokoro_entry, spanish, "en-US", "af_heart")
    as_spanish = await flac_samples(hass, kokoro_entry, spanish, "es", "ef_dora")
    assert as_english != as_spanish, "the text does not tell the two voices apart"
    assert await flac_samples(hass, kokoro_entry, spanish, "es") == as_spanish
    assert await flac_samples(hass, kokoro_entry, spanish, "es", "af_heart") == as_spanish


async def test_non_streaming_through_home_assistant(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry
) -> None:
    """Streaming turned off: one `synthesize`, the whole file at once."""
    frames = await reference_frames(hass, kokoro_entry, TEXT)
    hass.config_entries.async_update_entry(kokoro_entry, options={CONF_STREAMING: False})
    await hass.async_block_till_done()
    assert kokoro_entry.state is ConfigEntryState.LOADED

    extension, data = await speak(
        hass, kokoro_entry, TEXT, {"preferred_format": "wav", "voice": "af_heart"}
    )
    assert extension == "wav"
    assert decode(data).samples == frames
    latency = kokoro_entry.runtime_data.client.last_latency
    assert latency.mode == "synthesize"
    assert latency.error is None


async def test_sample_rate_and_pcm(hass: HomeAssistant, kokoro_entry: MockConfigEntry) -> None:
    """preferred_sample_rate reaches the server (asked of the entity directly).

    Home Assistant runs ffmpeg whenever a request carries
    preferred_sample_rate, even when the engine honours it, so asking the
    entity is the way to see what the server itself sent
    (test_satellite.py follows the path through ffmpeg).
    """
    entity = entity_of(hass, kokoro_entry)
    frames = await reference_frames(hass, kokoro_entry, TEXT)
    extension, data = await entity.async_get_tts_audio(
        TEXT,
        "en-US",
        {"preferred_format": "flac", "preferred_sample_rate": 16000, "voice": "af_heart"},
    )
    assert extension == "flac"
    decoded = decode(data)
    assert decoded.rate == 16000
    assert abs(decoded.samples - frames * 2 // 3) <= 64

    # Raw PCM at 8 kHz, streamed: wrapped into WAV by the integration.
    response = await entity.async_stream_tts_audio(
        TTSAudioRequest(
            "en-US",
            {"preferred_format": "pcm", "preferred_sample_rate": 8000, "voice": "af_heart"},
            deltas([TEXT]),
        )
    )
    assert response.extension == "wav"
    data = b"".join([chunk async for chunk in response.data_gen])
    rate, pcm_frames = wav_frames(data)
    assert rate == 8000
    assert abs(pcm_frames - frames // 3) <= 32


async def test_streaming_text_deltas(hass: HomeAssistant, kokoro_entry: MockConfigEntry) -> None:
    """Audio of the first sentence arrives while the text is still streaming."""
    entity = entity_of(hass, kokoro_entry)
    first_audio = asyncio.Event()
    audio_before_text_end = False

    async def language_model() -> AsyncGenerator[str]:
        nonlocal audio_before_text_end
        # Two sentences first: the server's text normaliser holds the space
        # after a sentence until the next sentence ends, so one sentence
        # alone is not yet spoken (reported to the server's maintainers).
        for delta in ("Hel", "lo the", "re. How are", " you? "):
            yield delta
        # Hold the rest back until audio is heard, as a slow language model
        # would.
        try:
            async with asyncio.timeout(30):
                await first_audio.wait()
            audio_before_text_end = True
        except TimeoutError:
            pass
        for delta in ("I am ", "fine."):
            yield delta

    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("en-US", {"preferred_format": "wav", "voice": "af_heart"}, language_model())
    )
    assert response.extension == "wav"
    chunks = []
    async for chunk in response.data_gen:
        chunks.append(chunk)
        first_audio.set()
    assert audio_before_text_end, "no audio came before the text stream ended"
    assert len(chunks) >= 2
    # The streamed text is spoken whole: as long as the same text at once.
    frames = await reference_frames(hass, kokoro_entry, "Hello there. How are you? I am fine.")
    assert decode(b"".join(chunks)).samples == frames
    assert entity.async_supports_streaming_input() is True


@pytest.fixture(scope="module")
def paced_server(
    model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Generator[KokoroServer]:
    """A server whose model gives each phoneme PACED_FRAMES frames at speed 1."""
    folder = tmp_path_factory.mktemp("paced")
    model = paced_model(SERVER_PYTHON, model_dir, folder / "model")
    log = folder / "server.log"
    process = launch_server(model, log)
    try:
        yield wait_ready(process, log)
    finally:
        stop_process(process)


async def test_speed(
    hass: HomeAssistant, socket_enabled: None, paced_server: KokoroServer
) -> None:
    """The speed option reaches the model: speed 2 halves the audio, 0.5 doubles it.

    The paced model gives every phoneme round(PACED_FRAMES / speed) frames,
    so the lengths are exact multiples.
    """
    entry = await add_entry_by_user_step(hass, paced_server.host, paced_server.port)
    lengths = {}
    for speed in (1.0, 2.0, 0.5):
        extension, data = await speak(
            hass, entry, TEXT, {"preferred_format": "wav", "speed": speed, "voice": "af_heart"}
        )
        assert extension == "wav"
        lengths[speed] = decode(data).samples
    assert lengths[1.0] > 0 and lengths[1.0] % (PACED_FRAMES * SAMPLES_PER_PHONEME) == 0
    assert lengths[2.0] * 2 == lengths[1.0]
    assert lengths[0.5] == lengths[1.0] * 2


@asynccontextmanager
async def client_pointed_at(entry: MockConfigEntry) -> AsyncIterator[Listener]:
    """Point the entry's client at a counting listener for a while."""
    client = entry.runtime_data.client
    address = client.host, client.port
    async with counting_listener() as listener:
        client.host, client.port = "127.0.0.1", listener.port
        try:
            yield listener
        finally:
            client.host, client.port = address


async def test_bad_speeds_send_nothing(hass: HomeAssistant, kokoro_entry: MockConfigEntry) -> None:
    """Bad speeds are refused with a clear error before any connection is made."""
    async with client_pointed_at(kokoro_entry) as listener:
        for bad in (0.49, 2.01, "fast", math.nan, True):
            with pytest.raises(HomeAssistantError, match="speed"):
                await speak(hass, kokoro_entry, f"Speed {bad!r}.", {"speed": bad})
        assert listener.connections == 0
        # The listener does count: a good speed connects (and gets no answer).
        with pytest.raises(HomeAssistantError):
            await speak(hass, kokoro_entry, "Speed 1.5.", {"speed": 1.5})
        assert listener.connections == 1


async def test_invalid_options(hass: HomeAssistant, kokoro_entry: MockConfigEntry) -> None:
    """Each bad value gets a clear error naming the option, and no request."""
    cases = [
        ({"preferred_format": "ogg"}, "preferred_format"),
        ({"preferred_format": 3}, "preferred_format"),
        ({"preferred_sample_rate": 7999}, "preferred_sample_rate"),
        ({"preferred_sample_rate": 48001}, "preferred_sample_rate"),
        ({"preferred_sample_rate": 16000.5}, "preferred_sample_rate"),
        ({"voice": 7}, "voice"),
        ({"voice": "x" * 513}, "voice"),
    ]
    async with client_pointed_at(kokoro_entry) as listener:
        for options, name in cases:
            with pytest.raises(HomeAssistantError, match=name):
                await speak(hass, kokoro_entry, f"Options {options!r}.", options)
        # Options Home Assistant itself does not allow never reach the entity.
        with pytest.raises(HomeAssistantError, match="Invalid options"):
            await speak(hass, kokoro_entry, "Hi.", {"speaker": "x"})
        assert listener.connections == 0


async def test_voices_presets_and_blends(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """The voice menu (as the UI asks for it), a preset and a blend all speak."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "tts/engine/voices",
            "engine_id": entity_id_of(hass, kokoro_entry),
            "language": "en-US",
        }
    )
    message = await client.receive_json()
    assert message["success"], message
    voice_ids = {voice["voice_id"] for voice in message["result"]["voices"]}
    assert {"af_heart", "af_bella", PRESET} <= voice_ids

    for voice in (PRESET, "af_bella:0.7+af_sky:0.3", "bf_emma"):
        extension, data = await speak(
            hass, kokoro_entry, f"Voice {voice}.", {"preferred_format": "flac", "voice": voice}
        )
        assert extension == "flac"
        assert decode(data).samples > 0


async def test_unknown_voice(hass: HomeAssistant, kokoro_entry: MockConfigEntry) -> None:
    """An unknown voice is a clear error, streaming or not."""
    with pytest.raises(HomeAssistantError, match="voice 'zz_nobody' is not available"):
        await speak(hass, kokoro_entry, "Who?", {"voice": "zz_nobody"})
    with pytest.raises(HomeAssistantError, match="bad_blend"):
        await speak(hass, kokoro_entry, "Who?", {"voice": "af_heart:x"})
    entity = entity_of(hass, kokoro_entry)
    with pytest.raises(HomeAssistantError, match="voice 'zz_nobody' is not available"):
        await entity.async_get_tts_audio("Who?", "en-US", {"voice": "zz_nobody"})
    latency = kokoro_entry.runtime_data.client.last_latency
    assert latency.error is not None and "unknown_voice" in latency.error
    # The entry is unharmed: the next request speaks.
    extension, _ = await speak(hass, kokoro_entry, "Still here.", {"preferred_format": "wav"})
    assert extension == "wav"


async def test_server_stalls(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry, kokoro_server: KokoroServer
) -> None:
    """A frozen server (socket open, nothing sent) ends in an error, not a hang."""
    client = kokoro_entry.runtime_data.client
    default_timeout, client.read_timeout = client.read_timeout, 1.0
    kokoro_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(HomeAssistantError, match="no answer"):
            async with asyncio.timeout(15):
                await speak(hass, kokoro_entry, "Anyone there?", {"preferred_format": "wav"})
        assert time.monotonic() - started < 10
    finally:
        kokoro_server.resume()
        client.read_timeout = default_timeout
    # Home Assistant is fine, and so is the server once it runs again.
    assert hass.is_running
    extension, data = await speak(hass, kokoro_entry, "Back again.", {"preferred_format": "wav"})
    assert decode(data).samples > 0


async def test_server_killed_mid_request(
    hass: HomeAssistant, socket_enabled: None, disposable_server: KokoroServer
) -> None:
    """The server dies while speaking: an error, no hang; later requests fail fast."""
    entry = await add_entry_by_user_step(hass, disposable_server.host, disposable_server.port)
    entity = entity_of(hass, entry)
    text = " ".join(f"This is sentence number {n}." for n in range(40))
    response = await entity.async_stream_tts_audio(
        TTSAudioRequest("en-US", {"preferred_format": "wav"}, deltas([text]))
    )
    received = 0
    with pytest.raises(HomeAssistantError, match="connection"):
        async with asyncio.timeout(20):
            async for chunk in response.data_gen:
                received += len(chunk)
                if disposable_server.process.poll() is None:
                    disposable_server.kill()
    assert received > 0
    assert entry.runtime_data.client.last_latency.error is not None

    # Home Assistant stays up; the next request fails at once, clearly.
    assert hass.is_running
    started = time.monotonic()
    with pytest.raises(HomeAssistantError, match="cannot connect"):
        await speak(hass, entry, "Hello?", {"preferred_format": "wav"})
    assert time.monotonic() - started < 5


async def test_diagnostics(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """Diagnostics show the server, its voices and the last request's latency."""
    await speak(hass, kokoro_entry, "Measure me.", {"preferred_format": "opus"})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, kokoro_entry)
    assert diagnostics["server"]["program"] == "kokoro"
    assert diagnostics["server"]["supports_streaming"] is True
    assert "es" in diagnostics["server"]["languages"]
    names = {voice["name"] for voice in diagnostics["voices"]}
    assert {"af_heart", "ef_dora", PRESET} <= names
    last = diagnostics["last_request"]
    assert last["format"] == "opus"
    assert last["error"] is None
    assert 0 < last["first_audio_s"] <= last["total_s"]
    assert last["audio_bytes"] > 0
