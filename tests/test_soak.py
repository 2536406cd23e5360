"""A short soak for CI: mixed requests leave no leak, no error and nothing behind.

script/soak runs the long one (1000 requests); this is the same check at a size
that fits a test run.
"""

from __future__ import annotations

import pytest

from tools.soak.client import DISCONNECTED, OK
from tools.soak.phase import run_soak
from tools.soak.plan import make_plan
from wyoming_kokoro.pipeline.output import FORMATS

pytestmark = pytest.mark.slow


def test_plan_covers_every_format_streaming_blends_and_disconnects():
    plan = make_plan(150, seed=1)
    assert {spec.format for spec in plan} == set(FORMATS)
    assert {(spec.format, spec.streaming) for spec in plan} == {
        (fmt, streaming) for fmt in FORMATS for streaming in (False, True)}
    assert any("+" in spec.voice for spec in plan)
    assert any(spec.voice == "calm" for spec in plan)
    assert 5 <= sum(spec.disconnect for spec in plan) <= 40


async def test_soak_meets_its_targets(loaded_model, model_dir):
    report = await run_soak(loaded_model, model_dir, requests=150, real=10, concurrency=8, seed=1)
    table = report.table()
    print(table)
    fake, real = report.phases
    assert report.passed, table
    assert fake.outcomes[OK] + fake.outcomes[DISCONNECTED] == 150, table
    assert fake.outcomes[DISCONNECTED] > 0, table
    assert real.outcomes[OK] + real.outcomes[DISCONNECTED] == 10, table
    assert fake.rss_drift_mb < 30 and real.rss_drift_mb < 30, table
