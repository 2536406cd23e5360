"""The benchmark behind script/bench: the server against kokoro in-process.

Modules, one job each:

- ``__main__``: the command line and the order of the phases
- ``plan``: how much each phase measures (full run or --quick)
- ``model``: real weights if present, else random ones of the real architecture
- ``server``: the server as a subprocess, its port, RSS and CPU time
- ``direct``: the in-process baseline (what the engine does, and the naive call)
- ``client``: real Wyoming clients generating the load
- ``latency``, ``experiments``, ``load``, ``memory``, ``encoding``, ``peer``: the phases
- ``measure``: statistics and machine information
- ``report``: BENCHMARKS.md, the chart, and the tables on stdout
"""
