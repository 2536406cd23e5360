"""BENCHMARKS.md, section by section, from one run's results."""

from __future__ import annotations

from .chart import CHART
from .encoding import EncodingResults
from .formatting import mb, ms, number, signed_mb, signed_ms, table, times, yes
from .latency import LatencyResults
from .load import DescribeResults, FairnessResults
from .measure import Stats, med, p95, ratio
from .memory import MemoryResults
from .overhead import OverheadCase
from .peer import PeerResult
from .results import BenchResults
from .texts import LONG, SHORT
from .verdicts import (
    bootstrap_median,
    fairness_check,
    first_clause_verdict,
    level_ratio,
    paired_difference,
    targets,
    threads_verdict,
)


def _header(results: BenchResults) -> str:
    kind = "`script/bench --quick` (minimal sizes: a smoke run, not a measurement)" \
        if results.quick else "`script/bench`"
    return "\n".join([
        "# Benchmarks",
        "",
        f"Measured by {kind} on {results.started:%Y-%m-%d %H:%M %Z}; the run took "
        f"{results.total_seconds / 60:.1f} min. Rerun it to refresh this file.",
        "",
        "The question: does the server add anything to the model's own time, and does it stay",
        "responsive and fair under load? Every server figure is set against kokoro called",
        "in-process on the same model and text (the *direct* baseline) in the same rounds,",
        "and shown as a ratio, because this machine is shared and absolute times drift.",
    ])


def _machine(results: BenchResults) -> str:
    rows = [[key, value] for key, value in results.machine.items()]
    rows.append(["Load average at the end (1 min)", results.load_end or "—"])
    return "## Machine\n\n" + table(["", ""], rows)


def _setup(results: BenchResults) -> str:
    plan = results.plan
    real = results.model.kind == "real"
    lines = [
        "## Setup",
        "",
        f"- **Model**: {results.model.description}."
        + (" Durations are the model's own, so audio lengths are real speech's. Random "
           "weights are no longer benchmarked: the full-size random model only stood in for "
           "missing weights, with a hand-tuned duration head, and adds nothing now; the tiny "
           "random model remains for `--quick`, which checks the bench itself."
           if real else " Random weights: the audio is noise and its length is not "
           "speech's, so no figure here says anything about the real model."),
        f"- **Voice and language**: {results.model.voice_note}; Spanish text (espeak G2P, "
        "offline).",
        f"- **Short reply**: “{SHORT}”",
        f"- **Long answer**: “{LONG}”",
        f"- **Rounds**: {plan.rounds} rounds of server/direct pairs for time to first audio "
        f"({plan.long_full_rounds} with the long answer run to the end for its RTF, "
        f"{plan.naive_long_rounds} with the naive call on it) and {plan.short_extra_rounds} "
        f"more of the short reply alone, {plan.overhead_rounds} of the "
        f"instrumented server, {plan.experiment_rounds} per experiment, "
        f"{plan.fairness_rounds} for fairness, {plan.encoding_rounds} per format; load levels "
        + ", ".join(f"{c}×{n}" for c, n in plan.concurrency) + " (clients × requests each); "
        f"describe probed for {plan.describe_seconds:.0f} s; a {plan.soak_total}-request soak.",
        "- **Servers** (subprocesses, real Wyoming clients over TCP on 127.0.0.1):",
    ]
    for server in results.servers:
        lines.append(f"  - {server.label}: `python -m wyoming_kokoro {' '.join(server.args)}` "
                     f"(ready after {server.startup_seconds:.1f} s)")
    lines += [
        "- **Method**: every client clock starts before the TCP connect. *Direct* is what the "
        "server's engine does for one sentence, in-process: G2P, then "
        "`KPipeline.infer(model, phonemes, pack, speed)`; its time to first audio is the first "
        "sentence's. *Naive* is the plain `KPipeline(...)(text, voice=pack)` call, which splits "
        "only at newlines. Nothing is timed until the server's CPU use shows it idle (a client "
        "that leaves early leaves a sentence running). Server and direct rounds alternate and "
        "swap order each round.",
    ]
    return "\n".join(lines)


def _targets(results: BenchResults) -> str:
    checked = targets(results)
    rows = [[t.metric, t.target, t.measured, yes(t.met)] for t in checked]
    text = "## Targets\n\n" + table(["metric", "target", "measured", "met?"], rows)
    control = Stats.of(results.latency.control) if results.latency else None
    missed = [t for t in checked if t.metric.startswith("TTFA") and t.met is False]
    if missed and control is not None:
        spread = max(abs(control.max - 1), abs(control.min - 1))
        text += (
            f"\n\n{len(missed)} black-box TTFA row(s) missed the target, but the machine's own "
            f"noise in this run was larger: the same sentence run twice in-process in a round "
            f"differed by up to {spread:.0%} (the A/A control under time to first audio). The "
            "instrumented rows time the server's own work around the model call directly, and "
            "they are the measurement that can resolve 20 ms here."
        )
    return text


def _ttfa(latency: LatencyResults | None) -> str:
    if latency is None:
        return "## Time to first audio\n\nNot measured in this run."
    rows = []
    for label, case in latency.ttfa.items():
        server, direct = Stats.of(case.server), Stats.of(case.direct)
        s_med = server.median if server else None
        d_med = direct.median if direct else None
        rows.append([
            label, str(len(case.server)), ms(s_med), ms(server.p95 if server else None),
            ms(d_med), ms(direct.p95 if direct else None), times(ratio(s_med, d_med), 3),
            times(case.paired_ratio, 3), signed_ms(paired_difference(case.server, case.direct)),
            ms(med(case.naive)),
        ])
    pooled = [r for case in latency.ttfa.values() for r in case.paired_ratios]
    summary = ""
    if len(pooled) >= 3 and len(latency.control) >= 3:
        low, mid, high = bootstrap_median(pooled)
        c_low, c_mid, c_high = bootstrap_median(latency.control)
        summary = (
            f"\n\nAll {len(pooled)} pairs pooled: server ÷ direct median {mid:.3f}× (95% "
            f"bootstrap interval {low:.3f}–{high:.3f}); the control: {c_mid:.3f}× "
            f"({c_low:.3f}–{c_high:.3f}, {len(latency.control)} pairs). An interval above the "
            "control's means the server process is measurably slower at the same work; the "
            "instrumented rows below show how much of that is the server's own code."
        )
    control = Stats.of(latency.control)
    if control is not None:
        spread = max(abs(control.max - 1), abs(control.min - 1))
        rows.append([
            "*Control: direct ÷ direct* (the same sentence twice in a round)",
            str(control.n), "—", "—", "—", "—", "—", times(control.median, 3), "—", "—",
        ])
        noise = (f" The control row is an A/A test: the same sentence run twice in-process in a "
                 f"round differed by up to {spread:.0%}. That is the noise floor of this machine "
                 "during this run; a paired ratio within it says the server adds nothing "
                 "measurable, and the instrumented figures below put a number on what it adds.")
    else:
        noise = ""
    return "\n".join([
        "## Time to first audio",
        "",
        "Each server request is paired with the direct run of the same first sentence, right "
        "before or after it. *Paired* is the median over the pairs of server ÷ direct (and of "
        "server − direct): drift between pairs cancels, which makes it the figure the target "
        "uses. Direct: the first sentence in-process (the same for streaming and "
        "non-streaming: the text is all there). Naive: the plain pipeline call, whose first "
        "audio waits for the whole text." + noise,
        "",
        table(["request", "pairs", "server median", "server p95", "direct median",
               "direct p95", "medians ÷", "paired ÷", "paired −", "naive median"], rows),
    ]) + summary


def _overhead(cases: list[OverheadCase]) -> str:
    title = "## Where the server's time goes"
    if not cases:
        return f"{title}\n\nNot measured in this run."
    rows = []
    for case in cases:
        ttfa, model = Stats.of(case.ttfa), Stats.of(case.model)
        before, after, own = Stats.of(case.before), Stats.of(case.after), Stats.of(case.own)
        rows.append([
            case.label, str(len(case.ttfa)), ms(ttfa.median if ttfa else None),
            ms(model.median if model else None), ms(before.median if before else None),
            ms(after.median if after else None), ms(own.median if own else None),
            ms(own.p95 if own else None),
        ])
    return "\n".join([
        title,
        "",
        "The same server, in this process, with a timer around the engine's synthesize call. "
        "*Before*: from the client's connect to the model starting (parse, normalise, split, "
        "queue, hand to the model thread). *After*: from the model returning to the first "
        "audio-chunk read by the client (PCM conversion, events, socket). Their sum is the "
        "server's own share of the time to first audio; the model's run drops out, and so "
        "does most of the noise. Requests are 0.5 s apart, as a voice assistant sends them. "
        "The first row is the first request after start-up: the warm-up runs the model but not "
        "the text and delivery path, which pay for their first use there.",
        "",
        table(["request", "n", "TTFA median", "model (first sentence)", "before the model",
               "after the model", "server's own median", "server's own p95"], rows),
    ])


def _rtf(latency: LatencyResults | None) -> str:
    if latency is None:
        return "## Real-time factor\n\nNot measured in this run."
    rows = []
    for case in latency.rtf.values():
        server, direct = med(case.server), med(case.direct)
        cpu_s, cpu_d = med(case.server_cpu), med(case.direct_cpu)
        rows.append([
            case.label, number(server), number(direct), times(ratio(server, direct), 3),
            number(cpu_s), number(cpu_d), times(ratio(cpu_s, cpu_d), 3),
            times(ratio(med(case.server_audio), med(case.direct_audio)), 3),
            number(med(case.naive)),
        ])
    return "\n".join([
        "## Real-time factor",
        "",
        "Compute seconds per second of audio (lower is better), medians. Server: connect to "
        "audio-stop; CPU: the server process's CPU seconds (all threads), steadier than wall "
        "time when other work shares the cores. The audio-length ratio checks both sides "
        "spoke the same thing.",
        "",
        table(["text", "server RTF", "direct RTF", "server ÷ direct", "server CPU/audio",
               "direct CPU/audio", "CPU server ÷ direct", "audio length server ÷ direct",
               "naive RTF"], rows),
    ])


def _load(results: BenchResults) -> str:
    if not results.levels:
        return "## Latency and throughput under load\n\nNot measured in this run."
    rows = []
    for level in results.levels:
        ttfa = Stats.of(level.ttfa)
        direct = sum(level.direct_throughput) / len(level.direct_throughput)
        audio = level.run.audio_seconds
        rows.append([
            str(level.run.clients), str(len(level.run.exchanges)),
            ms(ttfa.median if ttfa else None), ms(ttfa.p95 if ttfa else None),
            number(level.run.throughput), number(direct), times(level_ratio(level), 3),
            number(level.server_cpu / audio if audio else None), str(level.errors),
        ])
    return "\n".join([
        "## Latency and throughput under load",
        "",
        "Closed loop: each client sends the short reply, waits for audio-stop, and sends the "
        "next. Throughput is seconds of audio per wall second; the direct serial figure is "
        "measured just before and after each level (mean of the two). With round-robin "
        "scheduling, time to first audio grows with the number of clients ahead in the queue, "
        "while throughput stays at the model's.",
        "",
        f"![Time to first audio against concurrent clients]({CHART})",
        "",
        table(["clients", "requests", "TTFA median", "TTFA p95", "throughput (audio s/s)",
               "direct serial", "server ÷ direct", "server CPU/audio", "errors"], rows),
    ])


def _describe(describe: DescribeResults | None) -> str:
    if describe is None:
        return "## describe under load\n\nNot measured in this run."
    rows = []
    for label, values in (("idle", describe.idle), (
            f"model busy ({describe.long_requests} long requests in flight)", describe.busy)):
        stats = Stats.of(values)
        rows.append([label, str(len(values)), ms(stats.median if stats else None),
                     ms(stats.p95 if stats else None), ms(stats.p99 if stats else None),
                     ms(stats.max if stats else None)])
    note = ("Every long request was still running when probing ended."
            if describe.busy_throughout else
            "**A long request ended before probing did: the load was not full throughout.**")
    return "\n".join([
        "## describe under load",
        "",
        "A new connection every ~20 ms sends describe and waits for info (connect included), "
        f"while 20-sentence requests keep the model busy. {note} Errors: {describe.errors}.",
        "",
        table(["condition", "probes", "p50", "p95", "p99", "max"], rows),
    ])


def _fairness(fair: FairnessResults | None) -> str:
    if fair is None:
        return "## Fairness\n\nNot measured in this run."
    rows = []
    for index, (solo, behind, sentence) in enumerate(
            zip(fair.solo, fair.behind, fair.sentence, strict=False), start=1):
        rows.append([str(index), ms(solo), ms(behind), signed_ms(behind - solo), ms(sentence),
                     yes(behind - solo <= sentence)])
    extra, one_sentence = fairness_check(fair)
    return "\n".join([
        "## Fairness",
        "",
        "The short reply alone, then sent at a random point while a 20-sentence request is "
        "running (after its first audio). Round-robin should make it wait at most for the "
        "sentence that is running: the extra wait (behind minus alone, measured moments apart) "
        "should stay within one sentence (that sentence's direct time, measured in the same "
        "round).",
        "",
        table(["round", "alone", "behind the long request", "extra wait", "one sentence",
               "within one sentence?"], rows),
        "",
        f"Extra wait p95: {signed_ms(extra)}; one sentence (median): {ms(one_sentence)}.",
    ])


def _memory(memory: MemoryResults | None) -> str:
    if memory is None:
        return "## Memory\n\nNot measured in this run."
    idle = memory.idle
    rows = [
        ["idle (after start-up and warm-up)", mb(idle), "—"],
        ["peak while loading the model", mb(memory.startup_peak),
         signed_mb(memory.startup_peak - idle)],
        ["peak while serving (whole run)", mb(memory.serving_peak),
         signed_mb(memory.serving_peak - idle)],
    ]
    if memory.checkpoints:
        count, rss = memory.checkpoints[-1]
        rows.append([f"after {count} requests", mb(rss), signed_mb(rss - idle)])
    if memory.connections:
        rows += [
            ["idle, just before opening connections", mb(memory.before_connections),
             signed_mb(memory.before_connections - idle)],
            [f"with {memory.connections} open idle connections", mb(memory.with_connections),
             signed_mb(memory.with_connections - memory.before_connections) + " vs just before"],
            ["after closing them", mb(memory.after_connections),
             signed_mb(memory.after_connections - memory.before_connections) + " vs just before"],
        ]
    soak_rows = [[str(count), mb(rss), signed_mb(rss - memory.checkpoints[0][1])]
                 for count, rss in memory.checkpoints]
    return "\n".join([
        "## Memory",
        "",
        "Resident memory (RSS) of the server process. The soak sends the shortest text with "
        "every format, streaming and not, 4 clients at a time, and reads RSS on an idle server "
        f"between batches. Soak errors: {memory.soak_errors}.",
        "",
        table(["when", "RSS", "vs idle"], rows),
        "",
        table(["requests answered", "RSS", "vs soak start"], soak_rows),
    ])


def _encoding(encoding: EncodingResults | None) -> str:
    if encoding is None:
        return "## Encoding overhead\n\nNot measured in this run."
    rows = []
    for name, result in encoding.formats.items():
        share = result.encoder_cpu / encoding.synthesis_seconds
        speed = encoding.audio_seconds / result.encoder_cpu if result.encoder_cpu else None
        rows.append([
            name, str(result.rate), str(len(result.ttfa)), ms(med(result.ttfa)),
            ms(med(result.total)),
            "—" if name == "pcm" else signed_ms(med(result.extra_total)),
            "—" if name == "pcm" else signed_ms(med(result.extra_ttfa)),
            ms(result.encoder_cpu), f"{share:.2%}",
            "—" if speed is None else f"{speed:.0f}×",
        ])
    return "\n".join([
        "## Encoding overhead",
        "",
        "Server: the short reply in each format (`kokoro.format`), each request paired with a "
        "PCM request right next to it; *− pcm* is the median of those paired differences. "
        "Encoder: the server's own output classes (`wyoming_kokoro.pipeline.output`) on real audio, two "
        f"sentences of the long answer ({encoding.audio_seconds:.1f} s, synthesised in "
        f"{encoding.synthesis_seconds:.1f} s), the least CPU time of 3 runs. PCM at 24 kHz is a "
        "clip and an int16 conversion; opus resamples to 48 kHz. A wall-time difference within "
        "the control's spread (see time to first audio) is noise; the CPU share is the precise "
        "figure.",
        "",
        table(["format", "rate", "n", "server TTFA", "server total", "total − pcm",
               "TTFA − pcm", "encoder CPU", "CPU ÷ synthesis", "encoder speed (× real time)"],
              rows),
    ])


def _experiments(results: BenchResults) -> str:
    if not results.experiments:
        return "## Time to first audio experiments\n\nNot measured in this run."
    parts = ["## Time to first audio experiments", "",
             "Each setting in its own server process; rounds alternate the order. "
             "Keep only what the numbers support."]
    for experiment in results.experiments:
        rows = []
        for variant in experiment.variants:
            rows.append([variant.label, str(len(variant.ttfa)), ms(med(variant.ttfa)),
                         ms(p95(variant.ttfa)), ms(med(variant.total)), number(med(variant.rtf)),
                         number(med(variant.cpu_per_audio))])
        if experiment.setting.startswith("synthesis"):
            verdict = first_clause_verdict(experiment)
        else:
            verdict = threads_verdict(experiment, results.default_threads)
        parts += [
            "", f"### {experiment.title} (`{experiment.setting}`)", "",
            f"Text: “{experiment.text}”", "",
            table(["setting", "n", "TTFA median", "TTFA p95", "total median", "RTF",
                   "CPU/audio"], rows),
            "", verdict,
        ]
    return "\n".join(parts)


def _peer(peer: PeerResult | None) -> str:
    if peer is None:
        return "## Peer check: wyoming-bench\n\nNot run."
    if peer.returncode == 0:
        status = f"It ran in {peer.seconds:.0f} s; its output, verbatim:"
    else:
        code = "could not run" if peer.returncode is None else f"exited with {peer.returncode}"
        status = f"**It failed** ({code}); its output and error, verbatim:"
    return "\n".join([
        "## Peer check: wyoming-bench",
        "",
        "An independent benchmark (PyPI `wyoming-bench`) against the main server, with our "
        "voice and our short reply:",
        "",
        f"```\n{peer.command}\n```",
        "",
        status,
        "",
        f"```\n{peer.output or '(no output)'}\n```",
    ])


def _onnx(results: BenchResults) -> str:
    title = "## onnxruntime on the same int8 graph"
    comparison = results.onnx
    if comparison is None:
        return f"{title}\n\n{results.onnx_note or 'Not run.'}"
    rows = []
    for side in (comparison.ours, comparison.theirs):
        rows.append([side.label, str(len(side.short_ttfa)), ms(med(side.short_ttfa)),
                     ms(med(side.long_ttfa)), number(med(side.long_rtf)),
                     number(med(side.long_audio))])
    ours, theirs = comparison.ours, comparison.theirs
    weights = ("the weights dequantised from that same graph" if "PyPI" in
               results.model.description else "the model above, not that graph's weights")
    return "\n".join([
        title, "",
        "What a CPU user might run instead: kokoro-onnx's graph "
        f"(`{comparison.onnx_file}`, onnxruntime {comparison.runtime}). Both sides on one "
        "thread (the server with `--threads 1`), the same texts, sentences and phonemes, in "
        "alternating rounds of this run. The server runs torch in float32 on "
        f"{weights}; onnxruntime runs its int8 kernels. onnxruntime's first audio is its first "
        "sentence's G2P and run, with no server or socket in between.", "",
        table(["", "rounds", "TTFA short reply", "TTFA long answer", "RTF long answer",
               "long answer audio (s)"], rows), "",
        f"Server ÷ onnxruntime, medians: time to first audio "
        f"{times(ratio(med(ours.short_ttfa), med(theirs.short_ttfa)))} (short reply), "
        f"{times(ratio(med(ours.long_ttfa), med(theirs.long_ttfa)))} (long answer); "
        f"real-time factor {times(ratio(med(ours.long_rtf), med(theirs.long_rtf)))}.",
    ])


def _gpu(results: BenchResults) -> str:
    if results.device == "cuda" and results.latency is not None:
        case = results.latency.ttfa.get(next(iter(results.latency.ttfa)))
        rtf = results.latency.rtf.get("long")
        busy = Stats.of(results.describe.busy) if results.describe else None
        gpu = results.machine.get("CUDA GPU", "?")
        rows = [[gpu, ms(med(case.server) if case else None),
                 number(med(rtf.server) if rtf else None), ms(busy.p99 if busy else None)]]
        text = f"Measured on {gpu} with `--device cuda`."
    else:
        present = results.machine.get("CUDA GPU", "none")
        text = ("Not measured: this machine has no CUDA GPU, so every figure above is CPU-only."
                if present == "none" else
                f"A CUDA device ({present}) is present, but this run used `--device "
                f"{results.device}`.")
        text += (" To fill this table, run `script/bench --device cuda` on a machine with a GPU "
                 "(the server and the direct baseline then both use it).")
        rows = [["none", "not measured", "not measured", "not measured"]]
    return "\n".join([
        "## GPU", "", text, "",
        table(["GPU", "TTFA short reply (server median)", "RTF long answer (server)",
               "describe p99 under load"], rows),
    ])


def _run(results: BenchResults) -> str:
    rows = [[phase, f"{seconds:.0f} s", results.phase_load.get(phase, "—"),
             mb(results.phase_rss.get(phase)), mb(results.phase_peak.get(phase))]
            for phase, seconds in results.phase_seconds.items()]
    rows.append(["total", f"{results.total_seconds:.0f} s", results.load_end or "—", "—", "—"])
    return "\n".join([
        "## Run", "",
        "The load average counts runnable processes on the 2 cores, this run's included "
        "(a busy server and its client make about 2-3): well above that, other work was "
        "competing for the cores.", "",
        table(["phase", "wall time", "load average (1 min) at its end",
               "main server RSS after it", "main server peak RSS in it"], rows),
    ])


def render(results: BenchResults) -> str:
    """The whole BENCHMARKS.md."""
    sections = [
        _header(results), _machine(results), _setup(results), _targets(results),
        _ttfa(results.latency), _overhead(results.overhead), _rtf(results.latency),
        _load(results),
        _describe(results.describe), _fairness(results.fairness), _memory(results.memory),
        _encoding(results.encoding), _experiments(results), _onnx(results), _peer(results.peer),
        _gpu(results), _run(results),
    ]
    return "\n\n".join(sections) + "\n"
