"""Reading weight files safely and comparing state dicts: shared by checkpoints, ImageNet weights and the
monodepth2 import, so every loader reports the same problems in the same words."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from mono_depth_ros.core.models.errors import CheckpointError


def load_weights_only(path: Path | str, *, map_location: str | torch.device = "cpu") -> Any:
    """`torch.load(path, weights_only=True)`: a file that would need code to unpickle is refused, never run.

    Raises CheckpointError(path, problem) with a one-line problem: "refused: ..." or "not a readable torch file (...)".
    """
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        text = str(error)
        refused = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        if refused:
            raise CheckpointError(
                path, f"refused: loading it would run code ({refused[1]}), which a weights file must not need"
            ) from None
        cause = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
        raise CheckpointError(path, f"not a readable torch file ({cause[1] if cause else _last_line(text)})") from None
    except (RuntimeError, OSError, EOFError, ValueError) as error:
        cause = f"{type(error).__name__}: {_last_line(str(error))}"
        raise CheckpointError(path, f"not a readable torch file ({cause})") from None


def state_dict_problem(
    expected: Mapping[str, torch.Tensor], state: Mapping[str, Any], *, display: Callable[[str], str] = str
) -> str | None:
    """What keeps `state` from loading into a module whose state dict is `expected`, or None when it fits.

    `display` turns our key names into the names the user's file uses (for imported formats).
    """
    missing = [display(key) for key in expected if key not in state]
    unexpected = [display(key) for key in state if key not in expected]
    if missing or unexpected:
        parts = [f"missing keys {some_keys(missing)}"] if missing else []
        parts += [f"unexpected keys {some_keys(unexpected)}"] if unexpected else []
        return "; ".join(parts)
    for key, reference in expected.items():
        value = state[key]
        if not isinstance(value, torch.Tensor):
            return f"{display(key)} is a {type(value).__name__}, not a tensor"
        if tuple(value.shape) != tuple(reference.shape):
            return f"{display(key)} has shape {tuple(value.shape)}, expected {tuple(reference.shape)}"
    return None


def some_keys(keys: list[str], limit: int = 5) -> str:
    """A few keys and the count: "[a, b, ...] (12)"."""
    shown = ", ".join(keys[:limit])
    return f"[{shown}{', ...' if len(keys) > limit else ''}] ({len(keys)})"


def _last_line(text: str) -> str:
    """torch's load errors are paragraphs of advice; the cause is on a short line of its own."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and "documentation" not in line]
    return lines[-1] if lines else "unknown error"
