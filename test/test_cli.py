from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mono_depth_ros.cli import COMMANDS, main
from mono_depth_ros.data.bag import summarise_bag


def test_help_lists_every_contract_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in ("simulate", "predict", "train", "eval", "convert", "export", "launch", "demo", "bench"):
        assert name in out
    assert set(COMMANDS) == {"simulate", "predict", "train", "eval", "convert", "export", "launch", "demo", "bench"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: mono-depth-ros {command}" in capsys.readouterr().out


def test_simulate_writes_a_bag_and_prints_its_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "drive"
    code = main(["simulate", "--out", str(out), "--frames", "3", "--width", "96", "--height", "32", "--stereo"])
    assert code == 0
    printed = capsys.readouterr().out
    summary = summarise_bag(out)
    assert summary.count("/camera/right/image_raw") == 3
    for topic in summary.topics:
        assert topic.name in printed
    assert str(out) in printed


def test_simulate_into_an_existing_bag_fails_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "drive"
    out.mkdir()
    assert main(["simulate", "--out", str(out), "--frames", "1", "--width", "64", "--height", "32"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("mono-depth-ros simulate: error: output bag")
    assert "already exists" in err[0]


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("--frames", "0", "expected a positive integer, got 0"),
        ("--width", "wide", "expected a positive integer, got 'wide'"),
        ("--format", "bag", "invalid choice: 'bag'"),
        ("--seed", "-1", "expected a non-negative integer, got -1"),
    ],
)
def test_simulate_rejects_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argument: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "--out", str(tmp_path / "x"), argument, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_unknown_options_of_implemented_commands_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "--out", "x", "--colour", "red"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --colour red" in capsys.readouterr().err


def test_installed_console_scripts_run() -> None:
    """The entry points setup.py declares are installed and behave (a fresh process, as a user runs them)."""
    bin_dir = Path(sys.executable).parent
    cli = shutil.which("mono-depth-ros", path=str(bin_dir))
    assert cli is not None, f"mono-depth-ros is not installed in {bin_dir}"
    result = subprocess.run([cli, "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("mono-depth-ros ")
    for node in ("depth_node", "calibration_node", "trainer_node"):
        script = shutil.which(node, path=str(bin_dir))
        assert script is not None, f"{node} is not installed in {bin_dir}"
    # Without their required parameter (a checkpoint; bags to train on) the nodes refuse to start with one line
    # naming it.
    for node, parameter in (("depth_node", "checkpoint"), ("calibration_node", "checkpoint"), ("trainer_node", "bags")):
        result = subprocess.run([shutil.which(node, path=str(bin_dir))], capture_output=True, text=True, check=False)
        assert result.returncode == 2, result.stderr
        assert parameter in result.stderr
        assert "Traceback" not in result.stderr


def test_parsing_the_command_line_loads_neither_torch_nor_rclpy() -> None:
    """`mono-depth-ros --help` must answer at once: heavy imports happen only when a command runs."""
    script = (
        "import sys\n"
        "from mono_depth_ros.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('torch', 'rclpy', 'cv2') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
