"""`mono-depth-ros train --synthetic`: a tiny run end to end, resuming, a 2-process torchrun run, and one-line
failures for user mistakes."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mono_depth_ros.cli import main
from mono_depth_ros.core.models import ScaleSource, TrainingMode, load_checkpoint
from mono_depth_ros.core.training import list_checkpoints

TINY = ["--synthetic", "--width", "64", "--height", "64", "--frames", "5", "--device", "cpu"]


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "batch_size: 2\nscales: [0, 1]\nvalidation_frames: 2\nvalidate_every: 1000\ncheckpoint_every: 2\n",
        encoding="utf-8",
    )
    return path


def test_train_writes_checkpoints_and_csv_then_resumes(
    tmp_path: Path, tiny_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    arguments = ["train", *TINY, "--config", str(tiny_config), "--out", str(out)]
    assert main([*arguments, "--max-steps", "2"]) == 0
    printed = capsys.readouterr().out
    assert "validation Abs Rel at step 2:" in printed
    assert "median-scaled" in printed
    assert f"checkpoint: {out / 'checkpoint-00000002.pt'} (step 2" in printed
    assert f"learning curves: {out / 'learning_curves.png'}" in printed
    assert (out / "learning_curves.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with (out / "losses.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0])[:6] == ["step", "epoch", "elapsed_s", "learning_rate", "steps_per_second", "total"]
    assert {"photometric", "smoothness", "automask_kept"} <= set(rows[0])
    assert [row["step"] for row in rows] == ["1", "2"]
    with (out / "validation.csv").open(encoding="utf-8", newline="") as stream:
        assert [row["step"] for row in csv.DictReader(stream)] == ["0", "2"]

    assert main([*arguments, "--max-steps", "3"]) == 0  # the same --out: resumed at step 2
    captured = capsys.readouterr()
    assert f"resuming the run in {out}" in captured.out + captured.err
    assert [step for step, _ in list_checkpoints(out)] == [2, 3]
    checkpoint = load_checkpoint(out / "checkpoint-00000003.pt")
    assert checkpoint.step == 3
    assert checkpoint.training_mode is TrainingMode.MONO
    with (out / "losses.csv").open(encoding="utf-8", newline="") as stream:
        assert [row["step"] for row in csv.DictReader(stream)] == ["1", "2", "3"]


def test_stereo_training_is_metric(tmp_path: Path, tiny_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "stereo"
    options = ["--stereo", "--mode", "stereo", "--config", str(tiny_config), "--out", str(out), "--max-steps", "9"]
    code = main(["train", *TINY, *options, "--time-limit", "1e-9"])  # ends after its first step
    assert code == 0
    assert "metric (stereo scale x1)" in capsys.readouterr().out
    checkpoint = load_checkpoint(out / "checkpoint-00000001.pt")
    assert checkpoint.metric_scale.source is ScaleSource.STEREO
    assert checkpoint.stereo_baseline == pytest.approx(0.54)


@pytest.mark.parametrize(
    ("extra", "yaml_text", "message"),
    [
        ([], "learnig_rate: 0.1\n", r"unknown key 'learnig_rate' in training configuration file .* \(value 0\.1\)"),
        ([], "learning_rate: -1\n", r"learning_rate must be a positive number, got -1\.0"),
        (["--mode", "stereo"], "", r"mode 'stereo' needs a right image \(a stereo pair\): add --stereo"),
        (["--width", "100"], "", r"width must be a multiple of 32 and at least 64, got 100"),
    ],
)
def test_user_mistakes_print_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], yaml_text: str, message: str
) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(yaml_text, encoding="utf-8")
    code = main(["train", *TINY, "--config", str(config), "--out", str(tmp_path / "out"), *extra])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("mono-depth-ros train: error: ")
    assert re.search(message, err[0])
    assert not (tmp_path / "out").exists()


def test_without_synthetic_it_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--out", str(tmp_path / "out")]) == 1
    assert "give --bag PATH (with --image-topic) to train on recordings, or --synthetic" in capsys.readouterr().err


def test_two_process_gloo_run_under_torchrun(tmp_path: Path) -> None:
    config = tmp_path / "ddp.yaml"
    config.write_text("batch_size: 1\nscales: [0, 1]\nvalidation_frames: 2\nvalidate_every: 1000\n", encoding="utf-8")
    torchrun = Path(sys.executable).parent / "torchrun"
    out = tmp_path / "ddp"
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "mono_depth_ros.cli", "train"]
    # Stereo: no pose network, so each process builds, steps and saves less.
    command += [*TINY, "--stereo", "--mode", "stereo", "--config", str(config), "--out", str(out), "--max-steps", "3"]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [step for step, _ in list_checkpoints(out)] == [3]  # the final one, written once by rank 0
    assert load_checkpoint(out / "checkpoint-00000003.pt").step == 3
    assert result.stdout.count("checkpoint: ") == 1  # rank 0 alone reports
