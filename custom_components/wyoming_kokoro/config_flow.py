"""Config flow: manual entry, zeroconf and add-on discovery, reconfigure, options.

Unique ids. A Wyoming server has no identity of its own (`info` names the
program, not the machine), so the id is whatever is stable for the way the
server was found:

* zeroconf: `zeroconf:<instance name>`. The instance name (kokoro-<hostname>
  unless configured) survives address changes, so when the same server shows
  up on a new address, the entry's host and port are updated instead of a
  second entry being offered.
* add-on (hassio): `hassio:<add-on slug>`, stable for one installed add-on.
* manual: `<host>:<port>`, the only thing known.

The same server can be found more than one way. A manual entry that
discovery later finds at the same host and port is adopted: it takes the
discovered id (so future address changes are followed) and no new entry is
offered. The other way round, the manual step refuses a host and port that
an existing entry already uses. Reconfigure moves a manual entry's id along
with its address and keeps a discovered entry's id.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .blends import parse_blends
from .client import KokoroClient
from .const import (
    CONF_BLENDS,
    CONF_STREAMING,
    DEFAULT_PORT,
    DEFAULT_STREAMING,
    DOMAIN,
    ZEROCONF_NAME_PREFIX,
)
from .data import ServerInfo
from .errors import KokoroError, KokoroNoTtsError

_LOGGER = logging.getLogger(__name__)

_PORT_SELECTOR = vol.All(
    selector.NumberSelector(
        selector.NumberSelectorConfig(min=1, max=65535, mode=selector.NumberSelectorMode.BOX)
    ),
    vol.Coerce(int),
)
ADDRESS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): selector.TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_PORT): _PORT_SELECTOR,
    }
)


async def _describe(host: str, port: int) -> ServerInfo:
    """A real `describe` -> `info` round trip; raises KokoroError."""
    try:
        return await KokoroClient(host, port).describe()
    except KokoroError as err:
        _LOGGER.debug("Describe %s:%s failed: %s", host, port, err)
        raise


def _title(info: ServerInfo, where: str) -> str:
    """`Kokoro (kokoro-box)`: the program, and where it runs."""
    return f"{info.program[:1].upper()}{info.program[1:]} ({where})"


class KokoroConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Kokoro server."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Nothing found yet."""
        self._host: str | None = None
        self._port: int | None = None
        self._name: str | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> KokoroOptionsFlow:
        """Options: streaming on or off, and voice blends for the voice menu."""
        return KokoroOptionsFlow()

    def _same_address(self, host: str, port: int) -> ConfigEntry | None:
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(CONF_HOST) == host and entry.data.get(CONF_PORT) == port:
                return entry
        return None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Host and port typed in, checked with a real `describe`."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            port = int(user_input[CONF_PORT])
            self._async_abort_entries_match({CONF_HOST: host, CONF_PORT: port})
            try:
                info = await _describe(host, port)
            except KokoroNoTtsError:
                errors["base"] = "no_tts"
            except KokoroError:
                errors["base"] = "cannot_connect"
            else:
                await self.async_set_unique_id(f"{host}:{port}")
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=_title(info, f"{host}:{port}"),
                    data={CONF_HOST: host, CONF_PORT: port},
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(ADDRESS_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A `_wyoming._tcp.local.` service; ours when its name starts with kokoro."""
        # The name is `<instance>.<type>`; only the instance is ours to judge.
        instance = discovery_info.name.removesuffix(discovery_info.type).rstrip(".")
        if not instance.lower().startswith(ZEROCONF_NAME_PREFIX):
            # Other Wyoming services (piper, whisper, satellites) are for
            # Home Assistant's built-in wyoming integration.
            return self.async_abort(reason="not_kokoro")
        if discovery_info.port is None:
            return self.async_abort(reason="cannot_connect")
        host, port = discovery_info.host, discovery_info.port

        unique_id = f"zeroconf:{instance.lower()}"
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: port})
        if (result := self._adopt_or_none(unique_id, host, port)) is not None:
            return result

        try:
            info = await _describe(host, port)
        except KokoroNoTtsError:
            return self.async_abort(reason="no_tts")
        except KokoroError:
            return self.async_abort(reason="cannot_connect")
        self._host, self._port, self._name = host, port, _title(info, instance)
        self.context["title_placeholders"] = {"name": instance}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before adding a discovered server."""
        assert self._host is not None and self._port is not None and self._name is not None
        if user_input is None:
            self._set_confirm_only()
            return self.async_show_form(
                step_id="zeroconf_confirm",
                description_placeholders={
                    "name": self._name,
                    "host": self._host,
                    "port": str(self._port),
                },
            )
        return self.async_create_entry(
            title=self._name, data={CONF_HOST: self._host, CONF_PORT: self._port}
        )

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """An add-on announced itself through the Supervisor.

        Home Assistant starts a hassio flow for the integration whose domain
        equals the discovery's service name, and the add-on announces
        `wyoming` so that the built-in wyoming integration can set it up. A
        custom integration therefore never receives that discovery in a real
        installation; here the add-on's server is found by zeroconf (when it
        advertises itself) or added by hand. The step is kept, tested, for an
        add-on that announces `wyoming_kokoro`.
        """
        config = discovery_info.config
        if uri := config.get("uri"):
            parsed = urlparse(str(uri))
            host, port = parsed.hostname, parsed.port
        else:
            host, port = config.get(CONF_HOST), config.get(CONF_PORT)
        if not host or port is None:
            return self.async_abort(reason="cannot_connect")
        port = int(port)

        unique_id = f"hassio:{discovery_info.slug}"
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: port})
        if (result := self._adopt_or_none(unique_id, host, port)) is not None:
            return result

        self._host, self._port, self._name = host, port, discovery_info.name
        self.context["title_placeholders"] = {"name": discovery_info.name}
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before adding the add-on's server; check it answers first."""
        assert self._host is not None and self._port is not None and self._name is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await _describe(self._host, self._port)
            except KokoroNoTtsError:
                errors["base"] = "no_tts"
            except KokoroError:
                errors["base"] = "cannot_connect"
            else:
                return self.async_create_entry(
                    title=self._name, data={CONF_HOST: self._host, CONF_PORT: self._port}
                )
        return self.async_show_form(
            step_id="hassio_confirm",
            description_placeholders={"addon": self._name},
            errors=errors,
        )

    def _adopt_or_none(self, unique_id: str, host: str, port: int) -> ConfigFlowResult | None:
        """Adopt an entry at the same address (see the module doc) and abort."""
        if (entry := self._same_address(host, port)) is None:
            return None
        if entry.source == SOURCE_USER and entry.unique_id != unique_id:
            self.hass.config_entries.async_update_entry(entry, unique_id=unique_id)
        return self.async_abort(reason="already_configured")

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new host or port for an existing entry."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            port = int(user_input[CONF_PORT])
            other = self._same_address(host, port)
            if other is not None and other.entry_id != entry.entry_id:
                return self.async_abort(reason="already_configured")
            unique_id = entry.unique_id
            if entry.source == SOURCE_USER:
                # A manual entry's id is its address, so it moves with it.
                unique_id = f"{host}:{port}"
                other = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id)
                if other is not None and other.entry_id != entry.entry_id:
                    return self.async_abort(reason="already_configured")
            try:
                await _describe(host, port)
            except KokoroNoTtsError:
                errors["base"] = "no_tts"
            except KokoroError:
                errors["base"] = "cannot_connect"
            else:
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=unique_id,
                    data_updates={CONF_HOST: host, CONF_PORT: port},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                ADDRESS_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
        )


class KokoroOptionsFlow(OptionsFlow):
    """Streaming on or off, and named voice blends for the voice menu."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form for all options."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"line": ""}
        if user_input is not None:
            text = user_input.get(CONF_BLENDS, "")
            try:
                blends = parse_blends(text)
            except ValueError as err:
                errors[CONF_BLENDS] = "invalid_blend"
                placeholders["line"] = str(err)
            else:
                # Voices can only be checked while the entry is loaded.
                runtime = getattr(self.config_entry, "runtime_data", None)
                if runtime is not None:
                    info: ServerInfo = runtime.info
                    for blend in blends:
                        for name in blend.names:
                            if info.voice(name) is None:
                                errors[CONF_BLENDS] = "unknown_voice"
                                placeholders["line"] = name
                if not errors:
                    return self.async_create_entry(data=user_input)

        schema = vol.Schema(
            {
                vol.Required(CONF_STREAMING, default=DEFAULT_STREAMING): selector.BooleanSelector(),
                vol.Optional(CONF_BLENDS, default=""): selector.TextSelector(
                    selector.TextSelectorConfig(multiline=True)
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or dict(self.config_entry.options)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
