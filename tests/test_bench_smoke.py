"""script/bench --quick end to end: every phase runs and the report is complete."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SECTIONS = (
    "## Machine",
    "## Setup",
    "## Targets",
    "## Time to first audio",
    "## Where the server's time goes",
    "## Real-time factor",
    "## Latency and throughput under load",
    "## describe under load",
    "## Fairness",
    "## Memory",
    "## Encoding overhead",
    "## Time to first audio experiments",
    "## onnxruntime on the same int8 graph",
    "## Peer check: wyoming-bench",
    "## GPU",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _section(markdown: str, title: str) -> str:
    """The text of one section, up to the next one of the same level."""
    start = markdown.index(title + "\n")
    end = markdown.find("\n## ", start + len(title))
    return markdown[start:] if end < 0 else markdown[start:end]


@pytest.mark.slow
# About 1.5-2 min on a quiet 2-core machine; the limits only stop a hung run.
@pytest.mark.timeout(600)
def test_quick_bench_writes_a_complete_report(tmp_path):
    # The module with script/bench's arguments: script/bench itself would run
    # script/setup (pip) first, which the test environment already did.
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--quick", "--out", str(tmp_path),
         "--raw", str(tmp_path / "raw.pickle")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=560,
    )
    assert done.returncode == 0, done.stderr[-4000:]

    markdown = (tmp_path / "BENCHMARKS.md").read_text(encoding="utf-8")
    for title in SECTIONS:
        assert title + "\n" in markdown, f"missing {title}"
    # The same tables go to stdout.
    assert "## Targets" in done.stdout

    # Every measured section holds real numbers, not just placeholders.
    for title in SECTIONS[3:12]:
        section = _section(markdown, title)
        assert re.search(r"\|\s*[−+-]?\d+(\.\d+)?\s*(ms|s|MB|×|%)?\s*\|", section), title
    targets = _section(markdown, "## Targets")
    verdicts = re.findall(r"\*\*(yes|no)\*\*", targets)
    assert len(verdicts) >= 11, targets
    # The direct baseline ran: TTFA ratios are numbers.
    assert re.search(r"\| \d+\.\d{3}× \|", _section(markdown, "## Time to first audio"))
    # wyoming-bench ran against the server (its own table, or its error, verbatim).
    peer = _section(markdown, "## Peer check: wyoming-bench")
    assert "wyoming-bench tts 127.0.0.1:" in peer
    assert "```" in peer
    if "It ran in" in peer:
        assert "TTFT (ms)" in peer
    gpu = _section(markdown, "## GPU")
    assert "CUDA" in gpu
    # A CPU run says so plainly in the table instead of leaving it blank.
    assert "| not measured |" in gpu

    chart = tmp_path / "docs" / "bench-latency.png"
    data = chart.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert data[12:16] == b"IHDR" and len(data) > 5000
    assert "](docs/bench-latency.png)" in markdown
