"""Zeroconf: advertise the server as _wyoming._tcp.local. so Home Assistant finds it.

Home Assistant builds a config entry's unique id from the instance name, so
the name stays the same across restarts unless another server already has it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass

from zeroconf import DNSQuestionType, InterfaceChoice, IPVersion, NonUniqueNameException
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from wyoming_kokoro import __version__
from wyoming_kokoro.config import ZeroconfSettings
from wyoming_kokoro.wire.describe import PROGRAM_NAME

_LOGGER = logging.getLogger(__name__)

SERVICE_TYPE = "_wyoming._tcp.local."
MAX_RENAMES = 20
# How long to wait for another server to claim a name before taking it; a
# responder multicasts the same record at most once a second, so over 1 s.
NAME_CHECK_MS = 1500


def default_name() -> str:
    """kokoro-<hostname>, with the hostname reduced to what mDNS labels like."""
    host = socket.gethostname().split(".")[0].lower()
    host = re.sub(r"[^a-z0-9-]+", "-", host).strip("-") or "host"
    return f"kokoro-{host}"[:63]


def lan_address() -> str | None:
    """The first IPv4 address of a non-loopback interface, if any."""
    import ifaddr

    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                address = ipaddress.ip_address(ip.ip)
                if not address.is_loopback and not address.is_link_local:
                    return ip.ip
    return None


def advertised_address(settings: ZeroconfSettings, bind_host: str) -> str:
    """--zeroconf-host, else the bind host, else (for 0.0.0.0) the LAN address."""
    if settings.host:
        return settings.host
    try:
        bound = ipaddress.ip_address(bind_host)
    except ValueError:
        bound = None
    if bound is not None and not bound.is_unspecified:
        return str(bound)
    if bound is None:
        try:
            return socket.gethostbyname(bind_host)
        except OSError:
            pass  # fall through to the LAN address
    return lan_address() or "127.0.0.1"


@dataclass
class Advertisement:
    """A registered service; unregister() sends the goodbye packets."""

    name: str
    address: str
    port: int
    _zeroconf: AsyncZeroconf
    _info: AsyncServiceInfo

    async def unregister(self) -> None:
        try:
            # Both calls return an awaitable that must itself be awaited, or
            # the goodbye packets are never sent.
            await (await self._zeroconf.async_unregister_service(self._info))
        finally:
            await self._zeroconf.async_close()
        _LOGGER.info("Zeroconf: %s unregistered", self.name)


def zeroconf_interfaces(settings: ZeroconfSettings, bind_host: str) -> list[str] | InterfaceChoice:
    """The interfaces to announce on: the configured ones, loopback for a loopback
    server, else every interface (zeroconf takes its enum there, not a string)."""
    if settings.interfaces:
        return list(settings.interfaces)
    if bind_host == "127.0.0.1":
        return ["127.0.0.1"]
    return InterfaceChoice.All


async def _name_taken(zc: AsyncZeroconf, name: str) -> bool:
    """Ask the network whether another server already answers to this name.

    zeroconf's own probe asks for unicast replies, which another process on
    the same host may never receive (both share port 5353), so a plain
    multicast question settles it first.
    """
    probe = AsyncServiceInfo(SERVICE_TYPE, f"{name}.{SERVICE_TYPE}")
    if await probe.async_request(zc.zeroconf, NAME_CHECK_MS, question_type=DNSQuestionType.QM):
        return True
    # Answers that complete the records only after the request gave up still
    # land in the cache.
    return bool(probe.load_from_cache(zc.zeroconf))


async def advertise(settings: ZeroconfSettings, bind_host: str, port: int) -> Advertisement | None:
    """Register the service; None (with one warning) if multicast is unavailable.

    Cancelled part-way, it closes its zeroconf instance before re-raising,
    which sends the goodbye for a registration that had already begun.
    """
    address = advertised_address(settings, bind_host)
    base = settings.name or default_name()
    try:
        zc = AsyncZeroconf(interfaces=zeroconf_interfaces(settings, bind_host),
                           ip_version=IPVersion.V4Only)
    except OSError as err:
        _LOGGER.warning("Zeroconf unavailable (%s); serving on TCP without discovery", err)
        return None
    step = "socket start"
    try:
        # Until its sockets listen, answers to the name check would be missed.
        await zc.zeroconf.async_wait_for_start()
        for attempt in range(1, MAX_RENAMES + 1):
            name = base if attempt == 1 else f"{base}-{attempt}"
            step = f"name check of {name}"
            _LOGGER.info("Zeroconf: checking that the name %s is free", name)
            if await _name_taken(zc, name):
                _LOGGER.info("Zeroconf name %s is taken; trying another", name)
                continue
            info = AsyncServiceInfo(
                SERVICE_TYPE,
                f"{name}.{SERVICE_TYPE}",
                addresses=[socket.inet_aton(address)],
                port=port,
                properties={"version": __version__, "program": PROGRAM_NAME},
                server=f"{name}.local.",
            )
            step = f"registration of {name}"
            _LOGGER.info("Zeroconf: registering %s", name)
            try:
                await (await zc.async_register_service(info))
            except NonUniqueNameException:
                _LOGGER.info("Zeroconf name %s is taken; trying another", name)
                continue
            _LOGGER.info("Zeroconf: advertising %s at %s:%s", name, address, port)
            return Advertisement(name, address, port, zc, info)
    except asyncio.CancelledError:
        # async_close unregisters whatever reached zeroconf's registry, so a
        # browser that already saw the service also sees it go.
        _LOGGER.info("Zeroconf: stopped during the %s", step)
        await zc.async_close()
        raise
    except OSError as err:
        _LOGGER.warning("Zeroconf unavailable (%s); serving on TCP without discovery", err)
        await zc.async_close()
        return None
    await zc.async_close()
    _LOGGER.warning("Zeroconf: no free name after %s tries; not advertising", MAX_RENAMES)
    return None


class Advertiser:
    """Runs advertise() in the background, so that serving need not wait for the name check.

    Create it only once the socket listens: a client that resolves the
    service must be able to connect.
    """

    def __init__(self, settings: ZeroconfSettings, bind_host: str, port: int) -> None:
        self._task = asyncio.create_task(advertise(settings, bind_host, port),
                                         name="kokoro-zeroconf")
        self._task.add_done_callback(_log_failure)

    async def registered(self) -> Advertisement | None:
        """The registered service once registration ends; None if it could not be."""
        return await asyncio.shield(self._task)

    async def withdraw(self) -> None:
        """Cut registration short, or unregister; either way goodbyes go out for what was announced."""
        self._task.cancel()
        # wait() rather than awaiting the task: a cancellation of the caller
        # itself must not be mistaken for the task's own.
        await asyncio.wait({self._task})
        if self._task.cancelled() or self._task.exception() is not None:
            return
        advertisement = self._task.result()
        if advertisement is not None:
            await advertisement.unregister()


def _log_failure(task: asyncio.Task[Advertisement | None]) -> None:
    if not task.cancelled() and (err := task.exception()) is not None:
        _LOGGER.error("Zeroconf registration failed: %r", err, exc_info=err)
