"""Training checkpoints: atomic writes that survive a crash before the rename, keep-last-K, newest found, RNG
states as weights_only-safe values."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from mono_depth_ros.core.models import Checkpoint, ModelConfig, Networks, load_checkpoint
from mono_depth_ros.core.training import (
    TrainingError,
    checkpoint_path,
    find_latest_checkpoint,
    list_checkpoints,
    load_latest_checkpoint,
    write_training_checkpoint,
)
from mono_depth_ros.core.training.checkpoints import capture_rng_state, plain, restore_rng_state


@pytest.fixture(scope="module")
def networks() -> Networks:
    torch.manual_seed(0)
    return Networks.build(ModelConfig(pose=False))


def _checkpoint(networks: Networks, step: int) -> Checkpoint:
    state = plain({"optimiser": {"betas": (0.9, 0.999), "step": np.float32(3.0)}, "rng": capture_rng_state()})
    return Checkpoint.from_networks(networks, 64, 64, step=step, training_state=state)


def test_names_listing_and_keep_last(tmp_path: Path, networks: Networks) -> None:
    assert checkpoint_path(tmp_path, 42).name == "checkpoint-00000042.pt"
    assert find_latest_checkpoint(tmp_path / "missing") is None
    for step in (5, 10, 15, 20):
        write_training_checkpoint(tmp_path, _checkpoint(networks, step), keep=2)
    assert [step for step, _ in list_checkpoints(tmp_path)] == [15, 20]
    assert find_latest_checkpoint(tmp_path) == tmp_path / "checkpoint-00000020.pt"
    loaded = load_checkpoint(find_latest_checkpoint(tmp_path))
    assert loaded.step == 20
    assert loaded.training_state["optimiser"]["betas"] == [0.9, 0.999]  # tuples stored as lists
    assert not list(tmp_path.glob("*.partial"))


def test_crash_before_the_rename_leaves_the_previous_checkpoint(
    tmp_path: Path, networks: Networks, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_training_checkpoint(tmp_path, _checkpoint(networks, 10), keep=3)

    def crash(source: object, destination: object) -> None:
        raise OSError("simulated crash between writing the temporary file and renaming it")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match=r"simulated crash"):
        write_training_checkpoint(tmp_path, _checkpoint(networks, 20), keep=1)
    monkeypatch.undo()
    assert [step for step, _ in list_checkpoints(tmp_path)] == [10]  # nothing pruned, nothing half-written
    assert not list(tmp_path.glob("*.partial"))
    loaded, warnings = load_latest_checkpoint(tmp_path)
    assert loaded is not None
    assert loaded.step == 10
    assert warnings == []


def test_a_truncated_newest_file_is_skipped(tmp_path: Path, networks: Networks) -> None:
    write_training_checkpoint(tmp_path, _checkpoint(networks, 10), keep=3)
    good = checkpoint_path(tmp_path, 10).read_bytes()
    checkpoint_path(tmp_path, 30).write_bytes(good[: len(good) // 3])  # e.g. copied by hand and cut short
    loaded, warnings = load_latest_checkpoint(tmp_path)
    assert loaded.step == 10
    assert len(warnings) == 1
    assert "checkpoint-00000030.pt" in warnings[0]


def test_rng_state_round_trip() -> None:
    state = plain(capture_rng_state())
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.rand(5)
    np.random.rand(5)
    random.random()
    restore_rng_state(state)
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1])
    assert random.random() == expected[2]


def test_plain_refuses_objects() -> None:
    assert plain({"a": (1, np.int64(2), [np.zeros(2)])})["a"][1] == 2
    with pytest.raises(TrainingError, match=r"cannot store a object in a checkpoint's training state"):
        plain({"a": object()})
