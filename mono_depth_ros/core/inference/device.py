"""Devices and numeric precision of inference: `auto` picks CUDA when present; fp16/bf16 only run on CUDA."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Literal

import torch

from mono_depth_ros.core.inference.errors import DeviceError, InferenceConfigError

__all__ = ["PRECISIONS", "Precision", "autocast", "effective_precision", "resolve_device"]

Precision = Literal["fp32", "fp16", "bf16"]
PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "bf16")
_AUTOCAST_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda)(?::(\d+))?$")


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """`auto` (CUDA when available, else the CPU), `cpu`, `cuda` (the current CUDA device) or `cuda:N`.

    Raises DeviceError naming the value when it is malformed, or asks for CUDA (or a CUDA index) this machine
    does not have.
    """
    text = str(spec).strip() if isinstance(spec, (str, torch.device)) else None
    match = _DEVICE_PATTERN.match(text) if text is not None else None
    if match is None:
        raise DeviceError(f"device must be auto, cpu, cuda or cuda:N, got {spec!r}")
    kind, index = match.group(1), match.group(2)
    if kind in ("auto", "cpu") and index is not None:
        raise DeviceError(f"device {text!r} takes no index; use auto, cpu, cuda or cuda:N")
    if kind == "auto":
        return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
    if kind == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise DeviceError(
            f"device {text!r} asks for CUDA, but this machine has none (torch {torch.__version__}); "
            "use device auto or cpu"
        )
    count = torch.cuda.device_count()
    number = torch.cuda.current_device() if index is None else int(index)
    if number >= count:
        raise DeviceError(
            f"device {text!r} does not exist: this machine has {count} CUDA device(s), cuda:0..{count - 1}"
        )
    return torch.device("cuda", number)


def effective_precision(precision: str, device: torch.device) -> tuple[Precision, str | None]:
    """(the precision that runs on `device`, a warning when it differs from the requested one).

    fp16 and bf16 autocast only on CUDA; on the CPU they fall back to fp32 (a robot without a GPU runs the same
    configuration, slower, rather than failing).
    """
    if precision not in PRECISIONS:
        raise InferenceConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "fp32" or device.type == "cuda":
        return precision, None  # type: ignore[return-value]
    return "fp32", f"precision {precision} needs CUDA; running fp32 on {device}"


@contextlib.contextmanager
def autocast(precision: str, device: torch.device) -> Iterator[None]:
    """Mixed-precision autocast for fp16/bf16 on CUDA; nothing for fp32."""
    if precision == "fp32":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=_AUTOCAST_DTYPES[precision]):
        yield
