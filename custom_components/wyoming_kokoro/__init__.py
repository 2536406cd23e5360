"""The Kokoro text-to-speech integration (a Wyoming server with extras).

Home Assistant's own Wyoming integration speaks to the same server, but only
plain Wyoming: no speed, no encoded formats, no streaming text in 2025.4. This
integration uses the server's `kokoro` protocol extension for all of that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady

from .blends import Blend, parse_blends
from .client import KokoroClient
from .const import CONF_BLENDS
from .data import ServerInfo
from .errors import KokoroError, KokoroNoTtsError

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [Platform.TTS]


@dataclass
class KokoroRuntimeData:
    """What a loaded entry keeps: its client, the server's info, its blends."""

    client: KokoroClient
    info: ServerInfo
    blends: list[Blend] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    """The options the entity was built with."""


KokoroConfigEntry = ConfigEntry[KokoroRuntimeData]


async def async_setup_entry(hass: HomeAssistant, entry: KokoroConfigEntry) -> bool:
    """Ask the server what it offers, then set up the TTS entity."""
    client = KokoroClient(entry.data[CONF_HOST], entry.data[CONF_PORT])
    try:
        info = await client.describe()
    except KokoroNoTtsError as err:
        # Retrying will not make a TTS program appear.
        raise ConfigEntryError(f"{client.host}:{client.port}: {err}") from err
    except KokoroError as err:
        # Home Assistant retries with back-off; the server may still be
        # loading its model.
        raise ConfigEntryNotReady(f"{client.host}:{client.port}: {err}") from err

    try:
        blends = parse_blends(entry.options.get(CONF_BLENDS, ""))
    except ValueError as err:
        # The options flow validates blends; a bad line here was edited by hand.
        _LOGGER.warning("Ignoring the configured blends, bad line: %s", err)
        blends = []

    entry.runtime_data = KokoroRuntimeData(
        client=client, info=info, blends=blends, options=dict(entry.options)
    )
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: KokoroConfigEntry) -> None:
    """Reload so the entity picks up new options (blends, streaming).

    Data changes (a new address from discovery or reconfigure) come with
    their own reload from the config flow, so only options count here.
    """
    if dict(entry.options) != entry.runtime_data.options:
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: KokoroConfigEntry) -> bool:
    """Unload the TTS entity; nothing else is held open between requests."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
