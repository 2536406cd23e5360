"""LLM-style streaming through Home Assistant's own machinery (HA 2026.10).

Two paths where Home Assistant itself hands text deltas to the entity: the
TTS manager's result stream (async_create_stream + async_set_message_stream)
and an Assist pipeline whose conversation agent streams its answer into the
chat log as a language model does. Each shows audio coming out before the
last delta is sent, and the audio as long as the same text spoken at once.
With streaming turned off in the entry's options, Home Assistant joins the
deltas itself and asks for one-shot synthesis; the audio is the same.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import pytest
from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION

# Streaming TTS input arrived in 2025.7; the newest HA in the test matrix
# (2026.10) is where these paths are tested, and its pipeline API is used.
MIN_STREAMING_HA = "2026.10.0"

if AwesomeVersion(HA_VERSION) < AwesomeVersion(MIN_STREAMING_HA):
    pytest.skip(
        f"Home Assistant {HA_VERSION} has no streaming TTS input; these tests need "
        f"{MIN_STREAMING_HA} or later (run them in .venv-ha-2026)",
        allow_module_level=True,
    )

from homeassistant.components import conversation, tts  # noqa: E402
from homeassistant.components.assist_pipeline import (  # noqa: E402
    Pipeline,
    PipelineEvent,
    PipelineEventType,
    PipelineStage,
)
from homeassistant.components.assist_pipeline.pipeline import (  # noqa: E402
    PipelineInput,
    PipelineRun,
)
from homeassistant.config_entries import ConfigEntryState  # noqa: E402
from homeassistant.core import Context, HomeAssistant  # noqa: E402
from homeassistant.helpers import chat_session  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from kokoro_helpers import decode, entity_id_of, entity_of  # noqa: E402
from pytest_homeassistant_custom_component.common import MockConfigEntry  # noqa: E402

from custom_components.wyoming_kokoro.const import CONF_STREAMING  # noqa: E402

OPTIONS = {"preferred_format": "wav", "voice": "af_heart"}
# Deltas as a language model sends them: words are cut anywhere. The
# first part is two sentences (the server's normaliser holds a sentence
# until the next one ends) and, for the pipeline, more than the 60
# characters after which Home Assistant starts streaming the answer.
FIRST_DELTAS = (
    "The wash",
    "ing machine fin",
    "ished its cy",
    "cle. The dry",
    "er is still run",
    "ning. ",
)
LAST_DELTAS = ("It will be ", "do", "ne in ten min", "utes.")
TEXT = "".join(FIRST_DELTAS + LAST_DELTAS)
# How long the language model holds back its last deltas waiting for audio.
AUDIO_WAIT = 30.0


class LanguageModel:
    """Text deltas from a slow producer that notes when each thing happened.

    With `wait_for_audio` it holds the last deltas back until `heard()` is
    called (or AUDIO_WAIT passes), as a model that is still thinking would:
    audio that comes out in that pause was made from the first deltas alone.
    """

    def __init__(self, wait_for_audio: bool) -> None:
        """Nothing sent or heard yet."""
        self._wait_for_audio = wait_for_audio
        self._first_audio = asyncio.Event()
        self.first_audio_at: float | None = None
        self.last_delta_at: float | None = None

    def heard(self) -> None:
        """Audio arrived (only the first call counts)."""
        if self.first_audio_at is None:
            self.first_audio_at = time.monotonic()
            self._first_audio.set()

    async def deltas(self) -> AsyncGenerator[str]:
        """FIRST_DELTAS, a pause, then LAST_DELTAS."""
        for delta in FIRST_DELTAS:
            yield delta
        if self._wait_for_audio:
            try:
                async with asyncio.timeout(AUDIO_WAIT):
                    await self._first_audio.wait()
            except TimeoutError:
                pass
        for delta in LAST_DELTAS:
            self.last_delta_at = time.monotonic()
            yield delta

    @property
    def audio_before_last_delta(self) -> bool:
        """Whether audio came out before the last delta was sent."""
        assert self.last_delta_at is not None, "the text stream never ended"
        return self.first_audio_at is not None and self.first_audio_at < self.last_delta_at


async def spoken_at_once(hass: HomeAssistant, entry: MockConfigEntry) -> int:
    """Samples of TEXT from one `synthesize` of the same server and voice."""
    extension, data = await entity_of(hass, entry).async_get_tts_audio(TEXT, "en-US", OPTIONS)
    assert extension == "wav"
    samples = decode(data).samples
    assert samples > 0
    return samples


async def turn_streaming_off(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The entry's streaming option off, as a user would set it."""
    hass.config_entries.async_update_entry(entry, options={CONF_STREAMING: False})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entity_of(hass, entry).async_supports_streaming_input() is False


# --- the TTS manager's result stream ---------------------------------------------


async def manager_stream(
    hass: HomeAssistant, entry: MockConfigEntry, model: LanguageModel
) -> tuple[tts.ResultStream, bytes]:
    """Create a result stream, feed it the model's deltas, read all audio."""
    stream = tts.async_create_stream(hass, entity_id_of(hass, entry), "en-US", dict(OPTIONS))
    stream.async_set_message_stream(model.deltas())
    chunks = []
    async for chunk in stream.async_stream_result():
        chunks.append(chunk)
        model.heard()
    return stream, b"".join(chunks)


async def test_tts_manager_stream(hass: HomeAssistant, kokoro_entry: MockConfigEntry) -> None:
    """Audio comes out of HA's result stream while the deltas still come in."""
    model = LanguageModel(wait_for_audio=True)
    stream, data = await manager_stream(hass, kokoro_entry, model)
    assert stream.supports_streaming_input is True
    assert stream.extension == "wav"
    assert model.audio_before_last_delta, "no audio before the last text delta"
    assert kokoro_entry.runtime_data.client.last_latency.mode == "stream"
    assert decode(data).samples == await spoken_at_once(hass, kokoro_entry)


async def test_tts_manager_stream_with_streaming_off(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry
) -> None:
    """Streaming off: HA joins the deltas, one `synthesize`, the same audio."""
    expected = await spoken_at_once(hass, kokoro_entry)
    await turn_streaming_off(hass, kokoro_entry)
    model = LanguageModel(wait_for_audio=False)
    stream, data = await manager_stream(hass, kokoro_entry, model)
    assert stream.supports_streaming_input is False
    assert not model.audio_before_last_delta
    assert kokoro_entry.runtime_data.client.last_latency.mode == "synthesize"
    assert decode(data).samples == expected


# --- an Assist pipeline with a streaming conversation agent ------------------------


class StreamingAgent(conversation.AbstractConversationAgent):
    """A conversation agent that writes its answer into the chat log in deltas."""

    def __init__(self, hass: HomeAssistant, agent_id: str, model: LanguageModel) -> None:
        """Answer every sentence with the model's deltas."""
        self._hass = hass
        self._agent_id = agent_id
        self._model = model

    @property
    def supported_languages(self) -> list[str]:
        """English only."""
        return ["en"]

    async def _content(self) -> AsyncGenerator[conversation.AssistantContentDeltaDict]:
        yield {"role": "assistant"}
        async for delta in self._model.deltas():
            yield {"content": delta}

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Stream the answer into the pipeline's chat log, as an LLM agent does."""
        with (
            chat_session.async_get_chat_session(self._hass, user_input.conversation_id) as session,
            conversation.async_get_chat_log(self._hass, session, user_input) as chat_log,
        ):
            async for _content in chat_log.async_add_delta_content_stream(
                self._agent_id, self._content()
            ):
                pass
            return conversation.async_get_result_from_chat_log(user_input, chat_log)


async def run_pipeline(
    hass: HomeAssistant, entry: MockConfigEntry, model: LanguageModel
) -> tuple[list[PipelineEvent], bytes]:
    """Run intent → TTS with the streaming agent; read the answer's audio."""
    # The conversation component reads which entities are exposed, a part of
    # the core "homeassistant" integration.
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    agent_entry = MockConfigEntry(domain="conversation", title="Streaming agent")
    agent_entry.add_to_hass(hass)
    conversation.async_set_agent(
        hass, agent_entry, StreamingAgent(hass, agent_entry.entry_id, model)
    )
    pipeline = Pipeline(
        conversation_engine=agent_entry.entry_id,
        conversation_language="en",
        language="en",
        name="Kokoro streaming",
        stt_engine=None,
        stt_language=None,
        tts_engine=entity_id_of(hass, entry),
        tts_language="en-US",
        tts_voice="af_heart",
        wake_word_entity=None,
        wake_word_id=None,
    )
    events: list[PipelineEvent] = []
    readers: list[asyncio.Task[bytes]] = []

    async def read_audio(token: str) -> bytes:
        stream = tts.async_get_stream(hass, token)
        assert stream is not None
        chunks = []
        async for chunk in stream.async_stream_result():
            chunks.append(chunk)
            model.heard()
        return b"".join(chunks)

    def on_event(event: PipelineEvent) -> None:
        events.append(event)
        # A satellite starts reading the answer's audio as soon as the run
        # tells it where; the audio flows once text reaches the engine.
        if event.type is PipelineEventType.RUN_START and event.data:
            token = event.data["tts_output"]["token"]
            readers.append(hass.async_create_task(read_audio(token)))

    try:
        with chat_session.async_get_chat_session(hass) as session:
            await PipelineInput(
                session=session,
                intent_input="Is the laundry done?",
                run=PipelineRun(
                    hass,
                    context=Context(),
                    pipeline=pipeline,
                    start_stage=PipelineStage.INTENT,
                    end_stage=PipelineStage.TTS,
                    event_callback=on_event,
                    tts_audio_output={"preferred_format": "wav"},
                ),
            ).execute(validate=True)
        assert len(readers) == 1, [event.type for event in events]
        async with asyncio.timeout(60):
            data = await readers[0]
    finally:
        for reader in readers:
            reader.cancel()
        conversation.async_unset_agent(hass, agent_entry)
    errors = [event.data for event in events if event.type is PipelineEventType.ERROR]
    assert not errors, errors
    return events, data


def _progress(events: Sequence[PipelineEvent], key: str) -> list[Any]:
    """Values of `key` in the run's intent-progress events."""
    return [
        event.data[key]
        for event in events
        if event.type is PipelineEventType.INTENT_PROGRESS and event.data and key in event.data
    ]


def _spoken_text(events: Sequence[PipelineEvent]) -> str:
    ends = [event for event in events if event.type is PipelineEventType.INTENT_END]
    assert len(ends) == 1
    response: dict[str, Any] = ends[0].data["intent_output"]["response"]  # type: ignore[index]
    speech: str = response["speech"]["plain"]["speech"]
    return speech


async def test_assist_pipeline_streaming_agent(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry
) -> None:
    """An Assist answer is spoken while the agent is still writing it."""
    model = LanguageModel(wait_for_audio=True)
    events, data = await run_pipeline(hass, kokoro_entry, model)
    # Home Assistant decided to stream the answer to the engine.
    assert _progress(events, "tts_start_streaming") == [True]
    assert _spoken_text(events) == TEXT
    assert model.audio_before_last_delta, "no audio before the agent's last delta"
    assert kokoro_entry.runtime_data.client.last_latency.mode == "stream"
    assert decode(data).samples == await spoken_at_once(hass, kokoro_entry)


async def test_assist_pipeline_with_streaming_off(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry
) -> None:
    """Streaming off: the pipeline speaks the finished answer in one go."""
    expected = await spoken_at_once(hass, kokoro_entry)
    await turn_streaming_off(hass, kokoro_entry)
    model = LanguageModel(wait_for_audio=False)
    events, data = await run_pipeline(hass, kokoro_entry, model)
    assert _progress(events, "tts_start_streaming") == []
    assert _spoken_text(events) == TEXT
    assert not model.audio_before_last_delta
    assert kokoro_entry.runtime_data.client.last_latency.mode == "synthesize"
    assert decode(data).samples == expected
