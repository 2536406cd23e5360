"""Zeroconf: Home Assistant finds the server on its own (real multicast on loopback)."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid

import pytest
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from wyoming_kokoro import __version__
from wyoming_kokoro.config import validate
from wyoming_kokoro.process.discovery import (
    SERVICE_TYPE,
    advertise,
    advertised_address,
    default_name,
    zeroconf_interfaces,
)


class Browser:
    """A separate zeroconf instance browsing _wyoming._tcp.local. on loopback."""

    def __init__(self) -> None:
        self.zc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
        self.added: set[str] = set()
        self.removed: set[str] = set()
        self._browser: AsyncServiceBrowser | None = None

    def _on_change(self, zeroconf, service_type, name, state_change) -> None:
        if state_change is ServiceStateChange.Added:
            self.added.add(name)
        elif state_change is ServiceStateChange.Removed:
            self.removed.add(name)

    async def __aenter__(self) -> Browser:
        self._browser = AsyncServiceBrowser(self.zc.zeroconf, SERVICE_TYPE,
                                            handlers=[self._on_change])
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._browser is not None
        await self._browser.async_cancel()
        await self.zc.async_close()

    async def wait_for(self, names: set[str], full: str, timeout: float = 10.0) -> bool:
        for _ in range(int(timeout / 0.1)):
            if full in names:
                return True
            await asyncio.sleep(0.1)
        return False

    async def resolve(self, full: str) -> AsyncServiceInfo:
        info = AsyncServiceInfo(SERVICE_TYPE, full)
        assert await info.async_request(self.zc.zeroconf, 5000)
        return info


def _unique(prefix: str = "kokoro-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _zeroconf(name: str) -> dict:
    return {"enabled": True, "name": name, "interfaces": ["127.0.0.1"]}


@pytest.mark.slow
async def test_browse_resolve_describe_and_goodbye(start_server):
    name = _unique()
    full = f"{name}.{SERVICE_TYPE}"
    async with Browser() as browser:
        server = await start_server(zeroconf=_zeroconf(name))
        assert await browser.wait_for(browser.added, full), browser.added
        info = await browser.resolve(full)
        assert info.parsed_addresses() == ["127.0.0.1"]
        assert info.port == server.port  # the real port, though the uri asked for 0
        assert info.properties[b"version"] == __version__.encode()
        assert info.properties[b"program"] == b"kokoro"
        async with AsyncTcpClient(info.parsed_addresses()[0], info.port) as client:
            await client.write_event(Event(type="describe"))
            described = await asyncio.wait_for(client.read_event(), 10)
        assert described.type == "info"
        await server.app.shutdown()
        assert await browser.wait_for(browser.removed, full), "no goodbye seen"


@pytest.mark.slow
async def test_a_name_conflict_renames_the_second_server(start_server, caplog):
    caplog.set_level(logging.INFO, logger="wyoming_kokoro.process.discovery")
    name = _unique()
    async with Browser() as browser:
        first = await start_server(zeroconf=_zeroconf(name))
        first_advertisement = await first.app.running.advertiser.registered()
        second = await start_server(zeroconf=_zeroconf(name))
        second_advertisement = await second.app.running.advertiser.registered()
        assert first_advertisement.name == name
        assert second_advertisement.name == f"{name}-2"
        renamed = f"{name}-2.{SERVICE_TYPE}"
        assert await browser.wait_for(browser.added, renamed)
        info = await browser.resolve(renamed)
        assert info.port == second.port
    assert f"advertising {name}-2" in caplog.text


@pytest.mark.slow
async def test_no_zeroconf_advertises_nothing(start_server):
    name = _unique()
    async with Browser() as browser:
        server = await start_server(zeroconf={"enabled": False, "name": name})
        assert server.app.running.advertiser is None
        assert not await browser.wait_for(browser.added, f"{name}.{SERVICE_TYPE}", timeout=3)


async def test_multicast_unavailable_keeps_serving(start_server, caplog):
    # An interface address this machine does not have: zeroconf cannot bind.
    server = await start_server(zeroconf={"enabled": True, "name": _unique(),
                                          "interfaces": ["192.0.2.123"]})
    assert await server.app.running.advertiser.registered() is None
    assert "Zeroconf unavailable" in caplog.text
    async with server.client() as client:
        await client.write_event(Event(type="describe"))
        assert (await client.read_event()).type == "info"


def test_default_name_is_stable_and_derived_from_the_host():
    assert default_name() == default_name()
    assert default_name().startswith("kokoro-")
    assert socket.gethostname().split(".")[0].lower()[:10] in default_name()


def test_advertised_address_rules():
    settings = validate({}).zeroconf
    assert advertised_address(settings, "192.168.1.20") == "192.168.1.20"
    assert advertised_address(settings, "127.0.0.1") == "127.0.0.1"
    lan = advertised_address(settings, "0.0.0.0")
    assert lan != "0.0.0.0"
    overridden = validate({"zeroconf": {"host": "10.1.2.3"}}).zeroconf
    assert advertised_address(overridden, "0.0.0.0") == "10.1.2.3"


async def test_a_server_on_every_address_announces_on_every_interface(caplog):
    """The default bind (0.0.0.0) with no interfaces configured: zeroconf gets its
    "all interfaces" choice and registers, or (no multicast here) logs one warning."""
    caplog.set_level(logging.INFO, logger="wyoming_kokoro")
    settings = validate({"zeroconf": {"name": f"kokoro-all-{uuid.uuid4().hex[:8]}"}}).zeroconf
    assert zeroconf_interfaces(settings, "0.0.0.0") is InterfaceChoice.All
    assert zeroconf_interfaces(settings, "127.0.0.1") == ["127.0.0.1"]
    advertisement = await advertise(settings, "0.0.0.0", 10200)
    if advertisement is None:
        assert "Zeroconf unavailable" in caplog.text
        return
    try:
        assert advertisement.name == settings.name
    finally:
        await advertisement.unregister()
