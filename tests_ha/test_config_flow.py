"""The config flow against a real server: user, zeroconf, hassio, reconfigure, options."""

from __future__ import annotations

from conftest import KokoroServer
from homeassistant.config_entries import (
    SOURCE_HASSIO,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from kokoro_helpers import entity_of, start_zeroconf_flow
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wyoming_kokoro.const import CONF_BLENDS, CONF_STREAMING, DOMAIN

HOST = "127.0.0.1"


async def test_user_step_cannot_connect_then_succeeds(
    hass: HomeAssistant, socket_enabled: None, kokoro_server: KokoroServer, closed_port: int
) -> None:
    """An unreachable address shows cannot_connect; the right one creates the entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: closed_port}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: kokoro_server.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: HOST, CONF_PORT: kokoro_server.port}
    entry = result["result"]
    assert entry.unique_id == f"{HOST}:{kokoro_server.port}"
    assert "Kokoro" in entry.title
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # The entity describes what the server offers.
    entity = entity_of(hass, entry)
    assert entity.default_language == "en-US"
    assert {"en-US", "en-GB", "es", "fr-FR", "it", "pt-BR"} <= set(entity.supported_languages)
    spanish = {voice.voice_id for voice in entity.async_get_supported_voices("es") or []}
    assert {"ef_dora", "em_alex"} <= spanish
    assert "af_heart" not in spanish
    # The server's preset is offered like any voice.
    english = {voice.voice_id for voice in entity.async_get_supported_voices("en-US") or []}
    assert {"af_heart", "calm"} <= english


async def test_user_step_same_server_twice(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry, kokoro_server: KokoroServer
) -> None:
    """The same host and port again is refused, not duplicated."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: kokoro_server.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_zeroconf_ignores_other_wyoming_services(
    hass: HomeAssistant, socket_enabled: None, kokoro_server: KokoroServer
) -> None:
    """A Wyoming service whose name does not start with kokoro is not ours."""
    result = await start_zeroconf_flow(hass, "piper-livingroom", HOST, kokoro_server.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_kokoro"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_zeroconf_confirm_creates_entry(
    hass: HomeAssistant, socket_enabled: None, kokoro_server: KokoroServer
) -> None:
    """A discovered server is described, confirmed, then set up."""
    result = await start_zeroconf_flow(hass, "kokoro-box", HOST, kokoro_server.port)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zeroconf_confirm"
    assert result["description_placeholders"]["host"] == HOST

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == "zeroconf:kokoro-box"
    assert entry.data == {CONF_HOST: HOST, CONF_PORT: kokoro_server.port}
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # Found again at the same place: nothing new is offered.
    result = await start_zeroconf_flow(hass, "kokoro-box", HOST, kokoro_server.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_zeroconf_cannot_connect(
    hass: HomeAssistant, socket_enabled: None, closed_port: int
) -> None:
    """A discovered server that does not answer is not offered."""
    result = await start_zeroconf_flow(hass, "kokoro-gone", HOST, closed_port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_rediscovery_updates_address(
    hass: HomeAssistant, socket_enabled: None, kokoro_server: KokoroServer, closed_port: int
) -> None:
    """A known server found on a new port: the entry follows, no second entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="zeroconf:kokoro-box",
        data={CONF_HOST: HOST, CONF_PORT: closed_port},
        title="Kokoro (kokoro-box)",
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY

    result = await start_zeroconf_flow(hass, "kokoro-box", HOST, kokoro_server.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == kokoro_server.port
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_manual_entry_adopted_by_discovery(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry, kokoro_server: KokoroServer
) -> None:
    """Added by hand, then discovered: one entry, which takes the discovered id."""
    assert kokoro_entry.unique_id == f"{HOST}:{kokoro_server.port}"
    result = await start_zeroconf_flow(hass, "kokoro-box", HOST, kokoro_server.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    # From now on the entry follows the server across address changes.
    assert kokoro_entry.unique_id == "zeroconf:kokoro-box"


async def test_discovered_entry_blocks_manual_duplicate(
    hass: HomeAssistant, socket_enabled: None, kokoro_server: KokoroServer
) -> None:
    """Discovered first, then typed in by hand: refused."""
    result = await start_zeroconf_flow(hass, "kokoro-box", HOST, kokoro_server.port)
    await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: kokoro_server.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_hassio_discovery(
    hass: HomeAssistant, socket_enabled: None, kokoro_server: KokoroServer, closed_port: int
) -> None:
    """Add-on discovery: confirm step, cannot_connect shown, then the entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_HASSIO},
        data=HassioServiceInfo(
            config={"uri": f"tcp://{HOST}:{closed_port}"},
            name="Kokoro TTS",
            slug="abc123_kokoro",
            uuid="0123456789abcdef",
        ),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "cannot_connect"}

    hass.config_entries.flow.async_abort(result["flow_id"])

    # The add-on restarted on its real port and announced itself again, with
    # host and port in its config this time.
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_HASSIO},
        data=HassioServiceInfo(
            config={"host": HOST, "port": kokoro_server.port},
            name="Kokoro TTS",
            slug="abc123_kokoro",
            uuid="0123456789abcdef",
        ),
    )
    assert result["step_id"] == "hassio_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kokoro TTS"
    assert result["result"].unique_id == "hassio:abc123_kokoro"
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_reconfigure_moves_manual_entry(
    hass: HomeAssistant, socket_enabled: None, kokoro_server: KokoroServer, closed_port: int
) -> None:
    """A manual entry whose server moved: reconfigure checks, updates, reloads."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        source=SOURCE_USER,
        unique_id=f"{HOST}:{closed_port}",
        data={CONF_HOST: HOST, CONF_PORT: closed_port},
        title="Kokoro",
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: closed_port}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: HOST, CONF_PORT: kokoro_server.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PORT] == kokoro_server.port
    assert entry.unique_id == f"{HOST}:{kokoro_server.port}"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_options_blends_and_streaming(
    hass: HomeAssistant, kokoro_entry: MockConfigEntry
) -> None:
    """Blends are checked against the server's voices and join the voice menu."""
    result = await hass.config_entries.options.async_init(kokoro_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STREAMING: True, CONF_BLENDS: "Warm = af_heart:0.7+not a voice"}
    )
    assert result["errors"] == {CONF_BLENDS: "invalid_blend"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STREAMING: True, CONF_BLENDS: "Warm = af_heart:0.7+zz_nobody"}
    )
    assert result["errors"] == {CONF_BLENDS: "unknown_voice"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_STREAMING: False, CONF_BLENDS: "Warm = af_heart:0.7 + af_sky:0.3\nef_dora+em_alex"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert kokoro_entry.state is ConfigEntryState.LOADED

    # The reloaded entity offers the blends under their first voice's language.
    entity = entity_of(hass, kokoro_entry)
    english = {v.voice_id: v.name for v in entity.async_get_supported_voices("en-US") or []}
    assert english["af_heart:0.7+af_sky:0.3"] == "Warm"
    spanish = {v.voice_id for v in entity.async_get_supported_voices("es") or []}
    assert "ef_dora+em_alex" in spanish
    assert "af_heart:0.7+af_sky:0.3" not in spanish
    # Streaming off: Home Assistant 2025.6+ would ask for whole texts.
    assert entity.async_supports_streaming_input() is False
