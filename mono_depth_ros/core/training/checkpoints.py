"""Training checkpoints in an output folder: `checkpoint-00001234.pt` every N steps (atomic: temporary file, fsync,
rename), the last K kept, the newest found for resuming; and the resumable state as weights_only-safe values.

`training_state` of a checkpoint (core.models.checkpoint) holds, for an exact resume:

    config           TrainingConfig.to_dict() of the run
    optimiser        Adam's state dict        scheduler     StepLR's state dict
    grad_scaler      fp16 loss scaler state (empty otherwise)
    rng              {"torch": uint8 tensor, "cuda": [uint8 tensors], "numpy": {...}, "python": [...]}
    scale_cnn_done   bool: the adaptive-scale phase has run for this step

Everything is converted to tensors, numbers, strings, lists and dicts (tuples become lists), so
`torch.load(weights_only=True)` reads it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mono_depth_ros.core.models import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from mono_depth_ros.core.training.errors import TrainingError

__all__ = [
    "CHECKPOINT_PATTERN",
    "capture_rng_state",
    "checkpoint_path",
    "find_latest_checkpoint",
    "list_checkpoints",
    "load_latest_checkpoint",
    "plain",
    "remove_partial_checkpoints",
    "restore_rng_state",
    "write_training_checkpoint",
]

CHECKPOINT_PATTERN = re.compile(r"^checkpoint-(\d{8,})\.pt$")


def checkpoint_path(folder: Path | str, step: int) -> Path:
    """folder / checkpoint-<step, 8 digits>.pt"""
    return Path(folder) / f"checkpoint-{int(step):08d}.pt"


def list_checkpoints(folder: Path | str) -> list[tuple[int, Path]]:
    """(step, path) of the checkpoints in `folder`, oldest first (temporary files are not listed)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = CHECKPOINT_PATTERN.match(path.name)
        if match and path.is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def find_latest_checkpoint(folder: Path | str) -> Path | None:
    """The checkpoint with the highest step in `folder`, or None."""
    found = list_checkpoints(folder)
    return found[-1][1] if found else None


def remove_partial_checkpoints(folder: Path | str) -> list[Path]:
    """Delete the temporary files of checkpoints whose writing was killed (SIGKILL, power loss: no cleanup ran);
    each is as large as a checkpoint. Only the process that writes checkpoints into `folder` may call this."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.glob(".checkpoint-*.pt.*.partial"):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def load_latest_checkpoint(folder: Path | str) -> tuple[Checkpoint | None, list[str]]:
    """The newest checkpoint of `folder` that loads, and a warning per newer one that did not (skipped)."""
    warnings = []
    for _, path in reversed(list_checkpoints(folder)):
        try:
            return load_checkpoint(path), warnings
        except CheckpointError as error:
            warnings.append(f"skipped unreadable {error}")
    return None, warnings


def write_training_checkpoint(folder: Path | str, checkpoint: Checkpoint, keep: int) -> Path:
    """Save `checkpoint` as folder/checkpoint-<step>.pt atomically, then delete all but the newest `keep`.

    A crash at any moment leaves every previously written checkpoint intact (the new file appears by rename only
    once it is complete), so resuming always finds a readable one.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = save_checkpoint(checkpoint, checkpoint_path(folder, checkpoint.step))
    for _, old in list_checkpoints(folder)[: -max(int(keep), 1)]:
        if old != path:
            old.unlink(missing_ok=True)
    return path


def plain(value: Any) -> Any:
    """`value` with tuples as lists and numpy values as tensors or numbers, recursively (weights_only-safe)."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TrainingError(f"cannot store a {type(value).__name__} in a checkpoint's training state: {value!r}")


def capture_rng_state() -> dict[str, Any]:
    """The global random states (torch CPU and CUDA, numpy, Python) as plain values."""
    name, keys, position, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": [state.clone() for state in torch.cuda.get_rng_state_all()] if torch.cuda.is_available() else [],
        "numpy": {
            "name": str(name),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "position": int(position),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": {"version": int(version), "internal": [int(v) for v in internal], "gauss": gauss},
    }


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Restore what `capture_rng_state` captured (CUDA states only when this machine has as many devices)."""
    if not state:
        return
    try:
        torch.set_rng_state(state["torch"])
        cuda = state.get("cuda") or []
        if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
        numpy_state = state["numpy"]
        np.random.set_state(
            (
                numpy_state["name"],
                numpy_state["keys"].numpy().astype(np.uint32),
                int(numpy_state["position"]),
                int(numpy_state["has_gauss"]),
                float(numpy_state["cached_gaussian"]),
            )
        )
        python = state["python"]
        random.setstate((int(python["version"]), tuple(int(v) for v in python["internal"]), python["gauss"]))
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise TrainingError(f"the checkpoint's random states cannot be restored: {error}") from None
