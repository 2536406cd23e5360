"""Diagnostics: what the server offers and how fast the last request was."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from . import KokoroConfigEntry


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: KokoroConfigEntry
) -> dict[str, Any]:
    """Entry settings, the server's info and voices, and the last latency.

    Nothing here is secret: Wyoming has no credentials, and the address is
    what a person debugging a LAN server needs first.
    """
    data = entry.runtime_data
    latency = data.client.last_latency
    return {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "source": entry.source,
            "data": dict(entry.data),
            "options": dict(entry.options),
        },
        "server": {
            "program": data.info.program,
            "description": data.info.description,
            "version": data.info.version,
            "supports_streaming": data.info.supports_streaming,
            "languages": data.info.languages,
        },
        "voices": [
            {
                "name": voice.name,
                "description": voice.description,
                "languages": list(voice.languages),
                "installed": voice.installed,
            }
            for voice in data.info.voices
        ],
        "blends": [{"voice": blend.voice, "label": blend.label} for blend in data.blends],
        "last_request": latency.as_dict() if latency is not None else None,
    }
