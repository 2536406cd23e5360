"""Write one run's results: BENCHMARKS.md, its chart, and the same tables on stdout.

Every server figure is shown beside the direct baseline of the same rounds and
as a ratio to it; absolute times on a shared machine drift, ratios much less.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .chart import CHART, chart
from .markdown import render
from .results import BenchResults

_LOGGER = logging.getLogger(__name__)


def write(results: BenchResults, out_dir: Path) -> Path:
    """Write BENCHMARKS.md and the chart under out_dir, print the tables, return the md path."""
    markdown = render(results)
    chart(results, out_dir / CHART)
    path = out_dir / "BENCHMARKS.md"
    path.write_text(markdown, encoding="utf-8")
    print(markdown)
    _LOGGER.info("Wrote %s and %s", path, out_dir / CHART)
    return path
