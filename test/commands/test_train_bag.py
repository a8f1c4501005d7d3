"""`mono-depth-ros train --bag`: a few steps on a simulated recording, the checkpoint in `predict`, one-line
failures for user mistakes, Ctrl-C saving, and a SIGKILL followed by a rerun that resumes."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mono_depth_ros.cli import main
from mono_depth_ros.core.models import TrainingMode, load_checkpoint
from mono_depth_ros.core.training import list_checkpoints
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, record_drive


@pytest.fixture(scope="module")
def drive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("train_bag") / "drive"
    record_drive(RecordingOptions(out=path, frames=10, width=128, height=64, stereo=True, compressed=True, seed=2))
    return path


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        f"batch_size: 2\nscales: [0, 1]\nvalidate_every: 1000\ncheckpoint_every: 1000\nkeep_checkpoints: 1\n"
        f"validation_fraction: 0.3\nframe_cache_dir: {tmp_path / 'cache'}\n",
        encoding="utf-8",
    )
    return path


def _arguments(drive: Path, config: Path, out: Path) -> list[str]:
    left, right = (SIM_TOPICS.compressed(t) for t in (SIM_TOPICS.left_image, SIM_TOPICS.right_image))
    return [
        "train", "--bag", str(drive), "--image-topic", left, "--right-image-topic", right, "--odom-topic", "/odom",
        "--width", "64", "--height", "64", "--device", "cpu", "--config", str(config), "--out", str(out),
    ]  # fmt: skip


def test_a_few_steps_on_a_bag_give_a_checkpoint_that_predict_runs(
    drive: Path, tiny_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    arguments = _arguments(drive, tiny_config, out)
    assert main([*arguments, "--mode", "mono_stereo", "--max-steps", "2"]) == 0
    printed = capsys.readouterr()
    assert "bag data at 64x64: 5 training and 1 validation windows from 1 bag(s), stereo baseline 0.54 m" in printed.out
    assert re.search(r"10 frames \((decoded|cached)\), skipped none; 1 calibration\(s\); 5 \+ 1 windows", printed.out)
    assert "odometry at 10 frames" in printed.out
    assert "held-out loss at the end: " in printed.out
    assert f"checkpoint: {out / 'checkpoint-00000002.pt'} (step 2, epoch 1, done)" in printed.out
    checkpoint = load_checkpoint(out / "checkpoint-00000002.pt")
    assert checkpoint.training_mode is TrainingMode.MONO_STEREO
    assert checkpoint.stereo_baseline == pytest.approx(0.54)
    assert (out / "validation_losses.csv").read_text().splitlines()[0].startswith("step,elapsed_s,total,")

    image = tmp_path / "frame.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 128, 3), dtype=np.uint8)).save(image)
    predictions = tmp_path / "depth"
    assert main(["predict", "--checkpoint", str(out / "checkpoint-00000002.pt"), "--out", str(predictions),
                 "--device", "cpu", str(image)]) == 0  # fmt: skip
    depth = np.load(predictions / "frame.npy")
    assert depth.shape == (64, 128)
    assert np.isfinite(depth).all()

    # Fine-tune the checkpoint further in a new folder, decoder only, from the frames cached by the first run.
    tuned = tmp_path / "tuned"
    init = ["--init", str(out / "checkpoint-00000002.pt"), "--freeze-encoder"]
    assert main([*_arguments(drive, tiny_config, tuned), "--mode", "stereo", *init, "--max-steps", "1"]) == 0
    assert "(cached)" in capsys.readouterr().out
    before, after = (
        checkpoint.state_dicts["depth"],
        load_checkpoint(tuned / "checkpoint-00000001.pt").state_dicts["depth"],
    )
    encoder = [k for k in before if k.startswith("encoder.") and k.endswith("weight")]
    decoder = [k for k in before if k.startswith("decoder.") and k.endswith("weight")]
    assert all(np.array_equal(before[k], after[k]) for k in encoder)
    assert any(not np.array_equal(before[k], after[k]) for k in decoder)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], r"--bag needs --image-topic"),
        (["--image-topic", "/camera/left/image_raw", "--synthetic"], "give either --bag or --synthetic, not both"),
        (["--image-topic", "/nope"], r"has no topic /nope; it has: /camera/left/camera_info \(sensor_msgs/msg/Camera"),
        (["--image-topic", "/odom"], r"topic /odom carries nav_msgs/msg/Odometry, not sensor_msgs/msg/Image"),
        (["--image-topic", "/camera/left/image_raw/compressed", "--frames", "3"], "--frames applies to --synthetic"),
        (
            ["--image-topic", "/camera/left/image_raw/compressed", "--mode", "stereo"],
            "mode 'stereo' needs a right image",
        ),
        (
            ["--image-topic", "/camera/left/image_raw/compressed", "--init", "nope.pt"],
            "--init checkpoint 'nope.pt' does",
        ),
        (["--image-topic", "/camera/left/image_raw/compressed", "--bag", "missing"], "bag missing does not exist"),
    ],
)
def test_user_mistakes_print_one_line(
    drive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code = main(["train", "--bag", str(drive), "--out", str(tmp_path / "out"), "--device", "cpu", *extra])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("mono-depth-ros train: error: ")
    assert re.search(message, err[0]), err[0]
    assert not (tmp_path / "out").exists()


def test_a_bag_file_that_is_not_a_bag_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.db3"
    garbage.write_bytes(b"\x00" * 64)
    assert main(["train", "--bag", str(garbage), "--image-topic", "/i", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"cannot read bag {garbage}" in err[0]


def _command(drive: Path, config: Path, out: Path, max_steps: int) -> list[str]:
    arguments = _arguments(drive, config, out)
    return [sys.executable, "-m", "mono_depth_ros.cli", *arguments, "--mode", "stereo", "--max-steps", str(max_steps)]


def _wait_for_checkpoint(out: Path, process: subprocess.Popen, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while not list_checkpoints(out):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"no checkpoint appeared: {process.communicate()[1][-2000:]}")
        time.sleep(0.1)


@pytest.fixture
def every_step(tmp_path: Path, tiny_config: Path) -> Path:
    path = tmp_path / "every_step.yaml"
    path.write_text(tiny_config.read_text().replace("checkpoint_every: 1000", "checkpoint_every: 1"), encoding="utf-8")
    return path


def test_sigkill_at_a_random_moment_then_the_same_command_resumes(
    drive: Path, every_step: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        _command(drive, every_step, out, 1000), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=environment,
    )  # fmt: skip
    _wait_for_checkpoint(out, process, 240)
    time.sleep(random.Random().uniform(0.0, 3.0))  # mid-step, or mid-write of a checkpoint
    process.send_signal(signal.SIGKILL)
    process.communicate()
    saved = list_checkpoints(out)
    assert saved
    for _, path in saved:
        load_checkpoint(path)  # never truncated
    last = saved[-1][0]

    rerun = subprocess.run(
        _command(drive, every_step, out, last + 2), capture_output=True, text=True, env=environment, timeout=300,
        check=False,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"resuming the run in {out}" in rerun.stdout + rerun.stderr
    assert f"(step {last + 2}, " in rerun.stdout
    assert load_checkpoint(out / f"checkpoint-{last + 2:08d}.pt").step == last + 2
    assert not list(out.glob(".*.partial"))  # a write the kill interrupted is cleaned up


def test_ctrl_c_saves_a_checkpoint_and_exits_0(drive: Path, tiny_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "interrupted"
    process = subprocess.Popen(
        _command(drive, tiny_config, out, 1000), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not (out / "losses.csv").exists() or len((out / "losses.csv").read_text().splitlines()) < 2:
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr[-2000:]
    assert "stopping after this step: saving a checkpoint" in stderr
    assert "stopped early" in stdout
    [(step, path)] = list_checkpoints(out)
    assert step >= 1
    assert load_checkpoint(path).step == step


def test_the_commands_and_launch_files_offer_every_training_mode() -> None:
    """Copies kept so that `--help` and launch files do not import torch: they must list the same modes."""
    from mono_depth_ros.commands.train import MODES
    from mono_depth_ros.core.models import TrainingMode
    from mono_depth_ros.launch_plan.training import TRAINING_MODES

    assert MODES == TRAINING_MODES == tuple(mode.value for mode in TrainingMode)
