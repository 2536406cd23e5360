"""Constants for the Kokoro text-to-speech integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "wyoming_kokoro"

# The server's default port (README: tcp://0.0.0.0:10210).
DEFAULT_PORT: Final = 10210

# Zeroconf instance names of our server start with this (the server names
# itself kokoro-<hostname> unless told otherwise); other Wyoming services on
# the network belong to the built-in wyoming integration.
ZEROCONF_NAME_PREFIX: Final = "kokoro"

# Timeouts in seconds. Every network wait in the data layer is bounded by one
# of these, so a dead or stalled server turns into an error, never a hang.
CONNECT_TIMEOUT: Final = 5.0
# Waiting for `info` after `describe`: the server answers from memory.
DESCRIBE_TIMEOUT: Final = 5.0
# Writing one event: only blocks when the server stops reading.
WRITE_TIMEOUT: Final = 10.0
# How long a stream's text waits for the server to accept synthesize-start
# (a `pong` to our `ping`); after that the text is sent anyway.
ACCEPT_TIMEOUT: Final = 2.0
# Silence allowed between two events while audio is expected. The server
# gives up on a sentence after 60 s (synthesis.sentence_timeout) and then
# sends an `error`, so wait a little longer than that before giving up here.
READ_TIMEOUT: Final = 65.0

# Options of a config entry.
CONF_STREAMING: Final = "streaming"
CONF_BLENDS: Final = "blends"
DEFAULT_STREAMING: Final = True

# Request options (Home Assistant's names for the preferred-format options).
# The limits restate the server's (the integration cannot import it);
# tests_ha/test_contract.py checks them against the server's own validation.
ATTR_SPEED: Final = "speed"
SPEED_MIN: Final = 0.5
SPEED_MAX: Final = 2.0
RATE_MIN: Final = 8000
RATE_MAX: Final = 48000
# The longest voice name (or preset, or blend) the server looks up.
VOICE_NAME_MAX: Final = 512
# The most voices one blend may mix.
MAX_BLEND_PARTS: Final = 8

# Formats a request may ask for. "pcm" is served as WAV that this integration
# wraps itself; the others are encoded by the server.
FORMATS: Final = ("mp3", "opus", "aac", "flac", "wav", "pcm")
# Home Assistant 2025.4 assumes mp3 when a request names no format and runs
# ffmpeg on anything else, so mp3 is what we ask for by default.
DEFAULT_FORMAT: Final = "mp3"

# File extension Home Assistant gets for each server format.
EXTENSIONS: Final = {
    "mp3": "mp3",
    "opus": "opus",
    # ADTS: raw AAC frames, each with its own header, as the server streams them.
    "aac": "aac",
    "flac": "flac",
    "wav": "wav",
    "pcm": "wav",
}
