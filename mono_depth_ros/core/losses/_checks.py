"""Argument checks and tensor plumbing shared by the loss modules."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mono_depth_ros.core.losses.errors import LossError
from mono_depth_ros.core.numbers import is_finite_number

_FULL_PRECISION = (torch.float32, torch.float64)


def check_weight(value: object, name: str, *, low: float = 0.0, high: float | None = None) -> float:
    """A finite number in [low, high] (high None: unbounded), as float."""
    if not is_finite_number(value) or value < low or (high is not None and value > high):
        interval = f"[{low:g}, {high:g}]" if high is not None else f">= {low:g}"
        raise LossError(f"{name} must be a finite number {interval}, got {value!r}")
    return float(value)


def full_precision(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The tensors in their promoted dtype when that is float32/float64, else in float32.

    Half and bfloat16 (autocast) lose the SSIM's variance differences and the Umeyama SVD to rounding; the losses
    are cheap next to the networks, so they always run in full precision.
    """
    dtype = tensors[0].dtype
    for tensor in tensors[1:]:
        dtype = torch.promote_types(dtype, tensor.dtype)
    if dtype not in _FULL_PRECISION:
        dtype = torch.float32
    return tuple(tensor.to(dtype) for tensor in tensors)


def stack_views(values: torch.Tensor | Sequence[torch.Tensor], name: str, dim: int) -> torch.Tensor:
    """A tensor already stacked along `dim` (returned as is) or a non-empty sequence of tensors stacked along it.

    The sequence's tensors broadcast against each other first, so a view may omit batch dimensions the others have.
    """
    if isinstance(values, torch.Tensor):
        return values
    views = list(values)
    if not views:
        raise LossError(f"{name} must hold at least one view, got an empty sequence")
    if not all(isinstance(view, torch.Tensor) for view in views):
        kinds = sorted({type(view).__name__ for view in views})
        raise LossError(f"{name} must be a tensor or a sequence of tensors, got a sequence of {', '.join(kinds)}")
    return torch.stack(torch.broadcast_tensors(*views), dim=dim)
