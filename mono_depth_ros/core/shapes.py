"""Tensor shape checks with typed errors (kornia-style `(*, 3, H, W)` specs)."""

from __future__ import annotations

from collections.abc import Sequence

from mono_depth_ros.errors import MonoDepthError


class ShapeError(MonoDepthError, ValueError):
    """A tensor or array does not have the documented shape."""


def check_shape(
    value: object,
    name: str,
    spec: Sequence[int | str],
    bound: dict[str, int] | None = None,
) -> dict[str, int]:
    """Check `value.shape` against `spec` and return the sizes bound to symbolic dimensions.

    `spec` lists dimensions: an int must match exactly, a name ("H", "N") binds the size on first use and must agree
    afterwards (also across calls sharing `bound`), and a leading "*" accepts any number of leading batch dimensions.

    Example: `check_shape(depth, "depth", ["*", "H", "W"])` then
    `check_shape(image, "image", ["*", 3, "H", "W"], bound)` ensures both share H and W.
    """
    sizes = dict(bound) if bound else {}
    shape = tuple(getattr(value, "shape", ()))
    if not hasattr(value, "shape"):
        raise ShapeError(f"{name} must be a tensor or array of shape {_describe(spec)}, got {type(value).__name__}")
    dims = list(spec)
    batched = bool(dims) and dims[0] == "*"
    fixed = dims[1:] if batched else dims
    if len(shape) < len(fixed) or (not batched and len(shape) != len(fixed)):
        raise ShapeError(f"{name} must have shape {_describe(spec)}, got {shape}")
    tail = shape[len(shape) - len(fixed) :]
    for expected, actual in zip(fixed, tail, strict=True):
        if isinstance(expected, int):
            if actual != expected:
                raise ShapeError(f"{name} must have shape {_describe(spec)}, got {shape}")
        elif expected in sizes and sizes[expected] != actual:
            raise ShapeError(f"{name} must have shape {_describe(spec)} with {expected}={sizes[expected]}, got {shape}")
        else:
            sizes[str(expected)] = actual
    if bound is not None:
        bound.update(sizes)
    return sizes


def _describe(spec: Sequence[int | str]) -> str:
    return "(" + ", ".join(str(d) for d in spec) + ")"
