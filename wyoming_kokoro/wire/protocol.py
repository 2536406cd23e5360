"""Reading and writing Wyoming events with limits a hostile client cannot bend.

The wyoming library trusts a client's data_length and payload_length. Here
every header is checked first: sizes are bounded before anything is read, so
the server never allocates what a client merely claims.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from wyoming import __version__ as _VERSION
from wyoming.event import Event

_NEWLINE = b"\n"
MAX_TYPE_LENGTH = 128


class ProtocolError(Exception):
    """The client broke the wire format; its connection is closed."""


@dataclass(frozen=True)
class WireLimits:
    """Bounds for one event read from a client."""

    max_header_bytes: int
    max_data_bytes: int
    max_payload_bytes: int


def _length(header: dict[str, Any], key: str, limit: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{key} must be an integer, got {type(value).__name__}")
    if value < 0:
        raise ProtocolError(f"{key} must not be negative ({value})")
    if value > limit:
        raise ProtocolError(f"{key} {value} exceeds the limit of {limit} bytes")
    return value


def parse_header(line: bytes) -> dict[str, Any]:
    """Decode and check one header line."""
    try:
        header = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("header line is not valid JSON") from None
    except RecursionError:
        # json recurses once per nesting level: [[[[... fits in any size limit.
        raise ProtocolError("header line nests too deeply") from None
    if not isinstance(header, dict):
        raise ProtocolError(f"header must be a JSON object, got {type(header).__name__}")
    event_type = header.get("type")
    if not isinstance(event_type, str) or not event_type or len(event_type) > MAX_TYPE_LENGTH:
        raise ProtocolError("header needs a short string 'type'")
    data = header.get("data")
    if data is not None and not isinstance(data, dict):
        raise ProtocolError("header 'data' must be a JSON object")
    return header


async def read_header_line(reader: asyncio.StreamReader) -> bytes:
    """One header line; b"" at end of stream. The reader's limit bounds its size."""
    try:
        line = await reader.readline()
    except ValueError:
        # StreamReader raises ValueError when the line outgrows its limit.
        raise ProtocolError("header line exceeds the size limit") from None
    if line and not line.endswith(_NEWLINE):
        raise ProtocolError("connection closed in the middle of a header line")
    return line


async def read_body(
    reader: asyncio.StreamReader, header: dict[str, Any], limits: WireLimits
) -> Event:
    """Read the data and payload that a checked header announces."""
    data_length = _length(header, "data_length", limits.max_data_bytes)
    payload_length = _length(header, "payload_length", limits.max_payload_bytes)
    data: dict[str, Any] = dict(header.get("data") or {})
    try:
        if data_length:
            raw = await reader.readexactly(data_length)
            try:
                extra = json.loads(raw)
            except (UnicodeDecodeError, ValueError):
                raise ProtocolError("event data is not valid JSON") from None
            except RecursionError:
                raise ProtocolError("event data nests too deeply") from None
            if not isinstance(extra, dict):
                raise ProtocolError("event data must be a JSON object")
            data.update(extra)
        payload = await reader.readexactly(payload_length) if payload_length else None
    except asyncio.IncompleteReadError:
        raise ProtocolError("connection closed before the announced data arrived") from None
    return Event(type=header["type"], data=data, payload=payload)


def encode_event(event: Event) -> bytes:
    """Serialise an event to the wire format."""
    header: dict[str, Any] = {"type": event.type, "version": _VERSION}
    data_bytes = b""
    if event.data:
        data_bytes = json.dumps(event.data, ensure_ascii=False).encode("utf-8")
        header["data_length"] = len(data_bytes)
    if event.payload:
        header["payload_length"] = len(event.payload)
    line = json.dumps(header, ensure_ascii=False).encode("utf-8") + _NEWLINE
    return line + data_bytes + (event.payload or b"")
