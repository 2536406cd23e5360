"""Shared fixtures: one tiny random-weight model per test session, and real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.wyoming_client import RunningServer
from tools.random_model import build
from wyoming_kokoro.app import App, LoadedModel, load_model
from wyoming_kokoro.config import Config, validate
from wyoming_kokoro.scheduler import SynthesizeFn


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def server_settings(model_dir: Path, **sections: Any) -> Config:
    """Settings for a test server: loopback, no zeroconf, the tiny model."""
    base = {
        "server": {"uri": "tcp://127.0.0.1:0"},
        "model": {"dir": str(model_dir), "english_g2p": "espeak", "warmup": False,
                  "languages": ["a", "e", "f"]},
        "voices": {"default": "ef_dora"},
        "zeroconf": {"enabled": False},
    }
    return validate(_merge(base, sections))




@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model in --model-dir layout, built once per session (~15 s)."""
    return build(tmp_path_factory.mktemp("model"), "tiny", (
        "af_heart", "af_bella", "af_sky", "ef_dora", "em_alex", "ff_siwis",
    ), seed=0)


@pytest.fixture(scope="session")
def loaded_model(model_dir: Path) -> LoadedModel:
    """The model loaded once and shared by the in-process servers."""
    return load_model(server_settings(model_dir))


@pytest.fixture
async def start_server(
    model_dir: Path, loaded_model: LoadedModel
) -> AsyncIterator[Callable[..., Any]]:
    """Start real servers in this event loop; they are shut down after the test."""
    apps: list[App] = []

    async def start(synthesize: SynthesizeFn | None = None, **sections: Any) -> RunningServer:
        app = App(server_settings(model_dir, **sections), loaded_model)
        app.synthesize_fn = synthesize
        running = await app.startup()
        apps.append(app)
        return RunningServer(app, "127.0.0.1", running.server.port or 0)

    yield start
    for app in apps:
        await asyncio.wait_for(app.shutdown(), 30)
