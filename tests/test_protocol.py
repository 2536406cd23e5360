"""The Wyoming exchanges Home Assistant uses, against a real server and the real kokoro path."""

from __future__ import annotations

import asyncio

from wyoming.event import Event

from tests.conftest import server_settings
from tests.expected import expected_samples
from tests.wyoming_client import (
    AudioResult,
    RunningServer,
    describe,
    read_until,
    stream,
    synthesize,
)
from tools.random_model import build
from wyoming_kokoro.config import MODEL_RATE
from wyoming_kokoro.pipeline.textnorm import normalize
from wyoming_kokoro.process.app import App, load_model

SPANISH = "Hola, buenos días. Las luces de la cocina están encendidas. ¿Algo más?"


async def test_describe_lists_every_voice_and_streaming(start_server, loaded_model):
    server = await start_server()
    info, _ = await describe(server)
    assert info.type == "info"
    (program,) = info.data["tts"]
    assert program["name"] == "kokoro"
    assert program["installed"] is True
    assert program["supports_synthesize_streaming"] is True
    assert program["attribution"]["name"]
    voices = {v["name"]: v for v in program["voices"]}
    assert len(voices) == 54
    assert voices["af_heart"]["languages"] == ["en-US"]
    assert voices["bf_emma"]["languages"] == ["en-GB"]
    assert voices["ef_dora"]["languages"] == ["es"]
    assert voices["ff_siwis"]["languages"] == ["fr-FR"]
    assert voices["pf_dora"]["languages"] == ["pt-BR"]
    assert voices["zf_xiaobei"]["languages"] == ["zh-CN"]
    assert voices["jf_alpha"]["languages"] == ["ja"]
    assert voices["af_heart"]["description"] == "Heart — American English, female"
    # Installed means speakable: a voice file here and its language loaded.
    installed = {name for name, v in voices.items() if v["installed"]}
    assert installed == {"af_heart", "af_bella", "af_sky", "ef_dora", "em_alex", "ff_siwis"}


async def test_describe_offers_the_voices_there_are_for_voiceless_languages(tmp_path):
    """A model with Spanish voices only, but English and French G2P loaded.

    Every installed voice is listed under English and French too (its own
    language first), since the server reads a request's text in its language
    whatever the voice; voices that are not installed keep their own only.
    """
    spanish_only = build(tmp_path / "model", "tiny", ("ef_dora", "em_alex"), seed=0)
    settings = server_settings(spanish_only)
    app = App(settings, load_model(settings))
    running = await app.startup()
    try:
        info, _ = await describe(RunningServer(app, "127.0.0.1", running.server.port or 0))
    finally:
        await asyncio.wait_for(app.shutdown(), 30)
    voices = {v["name"]: v for v in info.data["tts"][0]["voices"]}
    assert voices["ef_dora"]["languages"] == ["es", "en-US", "fr-FR"]
    assert voices["em_alex"]["languages"] == ["es", "en-US", "fr-FR"]
    assert voices["af_heart"]["installed"] is False
    assert voices["af_heart"]["languages"] == ["en-US"]
    assert voices["jf_alpha"]["languages"] == ["ja"]


async def test_ping_pong(start_server):
    server = await start_server()
    async with server.client() as client:
        await client.write_event(Event(type="ping", data={"text": "x"}))
        pong = await client.read_event()
    assert pong.type == "pong"
    assert pong.data.get("text") == "x"


async def test_synthesize_gives_one_pcm_cycle_of_the_right_length(start_server, loaded_model):
    server = await start_server()
    result = await synthesize(server, SPANISH, "ef_dora")
    assert result.error is None
    assert result.types[0] == "audio-start"
    assert result.types[-1] == "audio-stop"
    assert set(result.types[1:-1]) == {"audio-chunk"}
    assert result.start.data["rate"] == MODEL_RATE
    assert result.start.data["width"] == 2
    assert result.start.data["channels"] == 1
    assert "format" not in result.start.data
    assert result.samples == expected_samples(loaded_model, SPANISH, "e")
    # Exactly one cycle: Home Assistant stops reading at the first audio-stop.
    async with server.client() as client:
        await client.write_event(Event(type="synthesize", data={"text": SPANISH}))
        await read_until(client, AudioResult(), "audio-stop")
        await client.write_event(Event(type="ping"))
        after = await client.read_event()
    assert after.type == "pong"


async def test_no_voice_gets_the_default(start_server, loaded_model):
    server = await start_server(voices={"default": "ff_siwis"})
    text = "Bonjour tout le monde."
    result = await synthesize(server, text)
    assert result.samples == expected_samples(loaded_model, text, "f")


async def test_language_without_name_picks_a_voice_of_that_language(start_server, loaded_model):
    server = await start_server()
    text = "Bonjour tout le monde."
    async with server.client() as client:
        await client.write_event(
            Event(type="synthesize", data={"text": text, "voice": {"language": "fr"}}))
        result = await read_until(client, AudioResult(), "audio-stop")
    assert result.samples == expected_samples(loaded_model, text, "f")


async def test_streaming_as_home_assistant_sends_it(start_server, loaded_model):
    server = await start_server()
    # LLM deltas split words and sentences anywhere; the compat synthesize is ignored.
    deltas = ["Hola, bue", "nos días. Las lu", "ces de la cocina están encen", "didas. ¿Algo más?"]
    result = await stream(server, deltas, "ef_dora")
    assert result.error is None
    assert result.types[0] == "audio-start"
    assert result.types[-2:] == ["audio-stop", "synthesize-stopped"]
    assert result.types.count("audio-start") == 1
    assert result.samples == expected_samples(loaded_model, "".join(deltas), "e")


async def test_streaming_audio_starts_before_the_text_ends(start_server):
    server = await start_server()
    async with server.client() as client:
        await client.write_event(Event(type="synthesize-start", data={"voice": {"name": "ef_dora"}}))
        await client.write_event(Event(type="synthesize-chunk", data={"text": "Primera frase. "}))
        first = await asyncio.wait_for(client.read_event(), 30)
        assert first.type == "audio-start"
        await client.write_event(Event(type="synthesize-chunk", data={"text": "Segunda frase."}))
        await client.write_event(Event(type="synthesize-stop"))
        rest = await read_until(client, AudioResult(), "synthesize-stopped")
    assert rest.types[-1] == "synthesize-stopped"


async def test_empty_text_gives_an_empty_cycle(start_server):
    server = await start_server()
    for text in ("", "   ", "\n\n"):
        result = await synthesize(server, text)
        assert result.types == ["audio-start", "audio-stop"]
    empty_stream = await stream(server, [], compat=False)
    assert empty_stream.types == ["audio-start", "audio-stop", "synthesize-stopped"]


async def test_unknown_voice_is_an_error_naming_it(start_server):
    server = await start_server()
    result = await synthesize(server, "Hola.", "xx_nobody")
    assert result.types == ["error"]
    assert result.error.data["code"] == "unknown_voice"
    assert "xx_nobody" in result.error.data["text"]
    not_installed = await synthesize(server, "Hola.", "jf_alpha")
    assert not_installed.error.data["code"] == "unknown_voice"
    assert "not installed" in not_installed.error.data["text"]
    info, _ = await describe(server)
    assert info.type == "info"


async def test_malformed_blend_is_an_error(start_server):
    server = await start_server()
    for blend in ("ef_dora:abc+em_alex", "ef_dora:0+em_alex:0", "ef_dora+", "ef_dora:-1+em_alex"):
        result = await synthesize(server, "Hola.", blend)
        assert result.error is not None, blend
        assert result.error.data["code"] == "bad_blend", blend


async def test_blend_and_preset_speak(start_server, loaded_model):
    server = await start_server(voices={"presets": {
        "calm": {"voice": "ef_dora:0.7+em_alex:0.3", "speed": 0.9}}})
    text = "Hola a todos."
    blend = await synthesize(server, text, "ef_dora:0.7+em_alex:0.3")
    assert blend.samples == expected_samples(loaded_model, text, "e")
    preset = await synthesize(server, text, "calm")
    assert preset.samples == expected_samples(loaded_model, text, "e")
    info, _ = await describe(server)
    voices = {v["name"]: v for v in info.data["tts"][0]["voices"]}
    assert voices["calm"]["installed"] is True
    assert voices["calm"]["languages"] == ["es"]


async def test_text_too_long_is_an_error(start_server):
    server = await start_server(synthesis={"max_text_length": 50})
    result = await synthesize(server, "Hola. " * 20)
    assert result.error.data["code"] == "text_too_long"
    streamed = await stream(server, ["Hola. " * 5] * 4, compat=False)
    assert streamed.error.data["code"] == "text_too_long"


async def test_long_text_is_never_truncated(start_server, loaded_model):
    server = await start_server()
    # One run-on "sentence" far beyond 510 phonemes, without punctuation.
    text = " ".join(["la casa grande"] * 80)
    result = await synthesize(server, text, "ef_dora")
    assert result.error is None
    # The normaliser ends the run-on line with a full stop.
    assert result.samples == expected_samples(loaded_model, normalize(text, "e"), "e")
    assert result.samples > 600 * 510


async def test_output_rate_and_chunk_size(start_server, loaded_model):
    server = await start_server(audio={"output_rate": 16000, "samples_per_chunk": 512})
    text = "Hola a todos."
    result = await synthesize(server, text)
    assert result.start.data["rate"] == 16000
    assert all(c.data["rate"] == 16000 for c in result.chunks)
    assert max(len(c.payload) for c in result.chunks) == 512 * 2
    expected = expected_samples(loaded_model, text, "e") * 16000 / MODEL_RATE
    assert abs(result.samples - expected) <= 64


async def test_english_falls_back_to_espeak(start_server, loaded_model):
    server = await start_server()
    text = "Hello world. The lights are on."
    result = await synthesize(server, text, "af_heart")
    assert result.error is None
    assert result.samples > 0
    assert result.samples == expected_samples(loaded_model, normalize(text, "a"), "a")


async def test_an_error_reaches_a_client_that_keeps_sending(start_server):
    server = await start_server()
    async with server.client() as client:
        await client.write_event(Event(type="synthesize-start", data={"voice": {"name": "zz_nobody"}}))
        await asyncio.sleep(0.3)
        # Still sending after the server decided to close: the error must not be lost.
        for _ in range(5):
            await client.write_event(Event(type="synthesize-chunk", data={"text": "Hola. "}))
        error = await asyncio.wait_for(client.read_event(), 10)
        assert error.type == "error"
        assert error.data["code"] == "unknown_voice"
        assert await asyncio.wait_for(client.read_event(), 10) is None
