"""Everything one bench run measured, as one object (pickled by --raw)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .encoding import EncodingResults
from .experiments import Experiment
from .latency import LatencyResults
from .load import DescribeResults, FairnessResults, LoadLevel
from .memory import MemoryResults
from .model import ModelChoice
from .onnx_peer import OnnxComparison
from .overhead import OverheadCase
from .peer import PeerResult
from .plan import Plan


@dataclass
class ServerInfo:
    """How a server process was started, for the setup section."""

    label: str
    args: list[str]
    startup_seconds: float


@dataclass
class BenchResults:
    """Everything one run measured; a phase that did not run leaves None."""

    quick: bool
    device: str
    plan: Plan
    machine: dict[str, str]
    model: ModelChoice
    servers: list[ServerInfo] = field(default_factory=list)
    latency: LatencyResults | None = None
    overhead: list[OverheadCase] = field(default_factory=list)
    experiments: list[Experiment] = field(default_factory=list)
    describe: DescribeResults | None = None
    fairness: FairnessResults | None = None
    levels: list[LoadLevel] = field(default_factory=list)
    memory: MemoryResults | None = None
    encoding: EncodingResults | None = None
    peer: PeerResult | None = None
    onnx: OnnxComparison | None = None
    onnx_note: str = ""
    """Why the onnxruntime row is missing, when it is."""
    default_threads: int = 0
    """torch's default intra-op threads: what the main server runs with."""
    phase_seconds: dict[str, float] = field(default_factory=dict)
    phase_load: dict[str, str] = field(default_factory=dict)
    """The 1-minute load average when each phase ended: how shared the cores were."""
    phase_rss: dict[str, int] = field(default_factory=dict)
    """The main server's RSS after each phase, on an idle server."""
    phase_peak: dict[str, int] = field(default_factory=dict)
    """The main server's peak RSS during each phase."""
    load_end: str = ""
    total_seconds: float = 0.0
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
