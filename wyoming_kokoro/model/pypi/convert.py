"""Turn kokoro-onnx's int8 graph back into a kokoro KModel checkpoint.

The export keeps torch's module paths in its node names and most float
tensors under their torch names, so every weight can be traced back to the
module it came from. Quantised weights are dequantised with their own scale
and zero point; weight_norm, folded into one tensor by the export, is split
again so that it gives back exactly the same weight.

Needs the optional ``onnx`` package; only the build step imports this module.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from wyoming_kokoro.errors import ModelError

if TYPE_CHECKING:
    from kokoro import KModel

_LOGGER = logging.getLogger(__name__)

COMPONENTS = ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
# kokoro-onnx wraps the decoder in a module called "decoder" and every other
# part in one called "encoder"; those names prefix the graph's tensors.
_WRAPPER = {"decoder": "decoder"}
# ONNX orders LSTM gates i, o, f, c; torch orders them i, f, g(=c), o.
_GATE_ORDER = (0, 2, 3, 1)
_REUSE_SUFFIX = re.compile(r"_\d+$")


def _wrapped(key: str) -> str:
    component = key.split(".", 1)[0]
    return f"{_WRAPPER.get(component, 'encoder')}.{key}"


@dataclass
class Conversion:
    """The rebuilt checkpoint and how each tensor was obtained."""

    checkpoint: dict[str, dict[str, torch.Tensor]]
    from_graph: int
    """Tensors taken (and dequantised where needed) from the graph."""
    filled: int
    """Tensors the graph does not hold, filled with their exact neutral values."""


class _Graph:
    """The graph's initialisers (decoded on demand) and nodes."""

    def __init__(self, path: Path) -> None:
        import onnx

        try:
            model = onnx.load(str(path))
        except (OSError, ValueError, onnx.onnx_cpp2py_export.checker.ValidationError) as err:
            raise ModelError(f"cannot read ONNX model {path}: {err}") from None
        self._raw = {init.name: init for init in model.graph.initializer}
        self._decoded: dict[str, np.ndarray] = {}
        self.nodes = list(model.graph.node)
        self.consumers: dict[str, list[Any]] = {}
        for node in self.nodes:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)

    def has(self, name: str) -> bool:
        return name in self._raw

    def array(self, name: str) -> np.ndarray:
        from onnx import numpy_helper

        if name not in self._decoded:
            if name not in self._raw:
                raise ModelError(f"ONNX model lacks tensor {name!r}")
            self._decoded[name] = numpy_helper.to_array(self._raw[name])
        return self._decoded[name]

    def dequantized(self, quantized: str, zero_point: str, scale: str | None = None) -> np.ndarray:
        """(q - zp) * s in float32; the scale is found by the quantiser's naming if not given."""
        if scale is None:
            if not quantized.endswith("_quantized"):
                raise ModelError(f"unexpected quantised tensor name {quantized!r}")
            scale = quantized[: -len("_quantized")] + "_scale"
        q = self.array(quantized).astype(np.float32)
        return (q - self.array(zero_point).astype(np.float32)) * self.array(scale)


def _scope(node_name: str) -> str:
    """The torch module path a node's name points at (without the wrapper)."""
    segments = node_name.strip("/").split("/")[1:-1]
    path: list[str] = []
    for segment in segments:
        segment = _REUSE_SUFFIX.sub("", segment)
        # A Sequential inside a container is named twice ("cnn.0" then
        # "cnn.0.0", "asr_res" then "asr_res.0"): the second is the full path.
        if path and "." in segment and segment.split(".")[0] == path[-1].split(".")[0]:
            path[-1] = segment
        else:
            path.append(segment)
    return ".".join(path)


def _candidates(scope: str, modules: Iterable[str]) -> list[str]:
    """The modules whose path ends with scope (at a dot)."""
    return [name for name in modules if name == scope or name.endswith("." + scope)]


def _resolve(scope: str, modules: Iterable[str]) -> str:
    """The one module whose path ends with scope."""
    found = _candidates(scope, modules)
    if len(found) != 1:
        raise ModelError(
            f"cannot map ONNX scope {scope!r} onto one kokoro module (candidates: {found})"
        )
    return found[0]


def _per_direction(graph: _Graph, quantized: str, zero_point: str, scale: str) -> np.ndarray:
    """Dequantise an LSTM matrix [dir, rows, cols] whose scale is one per direction."""
    q = graph.array(quantized).astype(np.float32)
    zp = graph.array(zero_point).astype(np.float32).reshape(-1, 1, 1)
    return (q - zp) * graph.array(scale).reshape(-1, 1, 1)


def _lstm_params(graph: _Graph, node: Any) -> dict[str, np.ndarray]:
    """torch's bidirectional LSTM parameters from a DynamicQuantizeLSTM node."""
    inputs = list(node.input)
    w = _per_direction(graph, inputs[1], inputs[9], inputs[8])  # [dir, in, 4H]
    r = _per_direction(graph, inputs[2], inputs[11], inputs[10])  # [dir, H, 4H]
    b = graph.array(inputs[3])  # [dir, 8H]: input biases, then recurrent ones
    hidden = r.shape[1]

    def reorder(matrix: np.ndarray) -> np.ndarray:
        chunks = np.split(matrix, 4, axis=0)
        return np.concatenate([chunks[i] for i in _GATE_ORDER], axis=0)

    params: dict[str, np.ndarray] = {}
    for direction, suffix in ((0, "_l0"), (1, "_l0_reverse")):
        params[f"weight_ih{suffix}"] = reorder(w[direction].T)
        params[f"weight_hh{suffix}"] = reorder(r[direction].T)
        params[f"bias_ih{suffix}"] = reorder(b[direction, : 4 * hidden])
        params[f"bias_hh{suffix}"] = reorder(b[direction, 4 * hidden:])
    return params


def convert(onnx_path: Path, model: KModel) -> Conversion:
    """Rebuild a checkpoint for model (a freshly built KModel) from the int8 graph."""
    expected: dict[str, torch.Size] = {}
    for component in COMPONENTS:
        for key, value in getattr(model, component).state_dict().items():
            expected[f"{component}.{key}"] = value.shape
    modules = {key.rsplit(".", 1)[0] for key in expected}
    graph = _Graph(onnx_path)
    tensors: dict[str, np.ndarray] = {}

    # Float tensors the export kept under their torch names.
    for key in expected:
        name = _wrapped(key)
        if graph.has(name) and graph.array(name).dtype == np.float32:
            tensors[key] = graph.array(name)

    def put_weight(module: str, weight: np.ndarray) -> None:
        if f"{module}.weight_v" in expected:
            if f"{module}.weight_v" in tensors:
                return
            # weight_norm: weight = g * v / ||v||; with v = W and g = ||W||
            # over every dim but the first that is W again.
            norm = np.sqrt((weight.astype(np.float64) ** 2).sum(
                axis=tuple(range(1, weight.ndim)), keepdims=True)).astype(np.float32)
            # Quantisation rounds some small output channels to all zeros;
            # v / ||v|| would then be 0/0 = NaN. Any nonzero v with g = 0
            # gives the same zero channel.
            dead = np.broadcast_to(norm == 0, weight.shape)
            tensors[f"{module}.weight_v"] = np.where(dead, np.float32(1), weight)
            tensors[f"{module}.weight_g"] = norm
        elif f"{module}.weight" in expected:
            tensors.setdefault(f"{module}.weight", weight)
        else:
            raise ModelError(f"kokoro module {module} has no weight to take an ONNX tensor")

    for node in graph.nodes:
        op = node.op_type
        inputs = list(node.input)
        if not _scope(node.name):
            continue  # glue between the parts, not a module's computation
        if op == "MatMulInteger" and graph.has(inputs[1]):
            module = _resolve(_scope(node.name), modules)
            # Stored transposed [in, out], with one scale per output column.
            put_weight(module, graph.dequantized(inputs[1], inputs[3]).T)
        elif op == "ConvInteger" and graph.has(inputs[1]):
            module = _resolve(_scope(node.name), modules)
            put_weight(module, graph.dequantized(inputs[1], inputs[3]))
        elif op in ("Conv", "ConvTranspose", "MatMul") and graph.has(inputs[1]):
            # Float layers: the few the quantiser left alone, plus constant
            # kernels such as the iSTFT's, which belong to no kokoro weight.
            if not _candidates(_scope(node.name), modules):
                _LOGGER.debug("Skipping %s: no kokoro weight behind it", node.name)
                continue
            module = _resolve(_scope(node.name), modules)
            weight = graph.array(inputs[1])
            put_weight(module, weight.T if op == "MatMul" else weight)
        elif op == "Gather" and graph.has(inputs[0]) and inputs[0].endswith("_quantized"):
            module = _resolve(_scope(node.name), modules)
            dequant = [c for c in graph.consumers.get(node.output[0], [])
                       if c.op_type == "DequantizeLinear"]
            if len(dequant) != 1:
                raise ModelError(f"embedding {node.name} has no single DequantizeLinear")
            scale, zero_point = dequant[0].input[1], dequant[0].input[2]
            put_weight(module, graph.dequantized(inputs[0], zero_point, scale))
        elif op == "DynamicQuantizeLSTM":
            module = _resolve(_scope(node.name), modules)
            for param, value in _lstm_params(graph, node).items():
                tensors.setdefault(f"{module}.{param}", value)
    from_graph = len(tensors)

    filled = 0
    for key, value in _neutral_values(model, expected, tensors).items():
        tensors[key] = value
        filled += 1

    missing = [key for key in expected if key not in tensors]
    if missing:
        raise ModelError(
            f"the ONNX model does not provide {len(missing)} kokoro tensors, "
            f"first {missing[:5]}"
        )
    checkpoint: dict[str, dict[str, torch.Tensor]] = {name: {} for name in COMPONENTS}
    for key, shape in expected.items():
        value = torch.from_numpy(np.array(tensors[key], dtype=np.float32, order="C"))
        if value.shape != shape:
            raise ModelError(
                f"ONNX tensor for {key} has shape {tuple(value.shape)}, kokoro expects {tuple(shape)}"
            )
        component, rest = key.split(".", 1)
        checkpoint[component][rest] = value
    _LOGGER.debug("Converted %d tensors from the graph, filled %d", from_graph, filled)
    return Conversion(checkpoint=checkpoint, from_graph=from_graph, filled=filled)


def _neutral_values(
    model: KModel, expected: dict[str, torch.Size], tensors: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Values for the tensors the graph cannot hold, each exact for inference.

    The export normalises AdaIN's InstanceNorm1d without its affine parameters
    (so weight 1 and bias 0 reproduce it), and drops ALBERT's pooler, which
    KModel never calls.
    """
    values: dict[str, np.ndarray] = {}
    for component in COMPONENTS:
        for name, module in getattr(model, component).named_modules():
            prefix = f"{component}.{name}" if name else component
            if isinstance(module, torch.nn.InstanceNorm1d):
                for param, fill in (("weight", 1.0), ("bias", 0.0)):
                    key = f"{prefix}.{param}"
                    if key in expected and key not in tensors:
                        values[key] = np.full(tuple(expected[key]), fill, dtype=np.float32)
    for key, shape in expected.items():
        if key.startswith("bert.pooler.") and key not in tensors:
            values[key] = np.zeros(tuple(shape), dtype=np.float32)
    return values
