"""`colcon build` in a ROS 2 workspace installs what `ros2 run` and `ros2 launch` look for."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mono_depth_ros import __version__

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCES = shutil.ignore_patterns(
    ".venv", ".git", "build", "install", "log", "__pycache__", ".pytest_cache", ".ruff_cache", "*.egg-info"
)


def test_colcon_build_installs_nodes_launch_config_and_manifest(tmp_path: Path) -> None:
    colcon = shutil.which("colcon", path=str(Path(sys.executable).parent))
    assert colcon is not None, "colcon is part of the test environment (requirements.txt)"
    workspace = tmp_path / "ws"
    shutil.copytree(ROOT, workspace / "src" / "mono_depth_ros", ignore=NOT_SOURCES)

    result = subprocess.run(
        [colcon, "build"],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLCON_HOME": str(tmp_path / "colcon_home")},
    )
    assert result.returncode == 0, result.stdout + result.stderr

    prefix = workspace / "install" / "mono_depth_ros"
    executables = prefix / "lib" / "mono_depth_ros"
    for name in ("depth_node", "calibration_node", "trainer_node", "mono-depth-ros"):
        script = executables / name
        assert script.is_file(), f"{name} is not where `ros2 run mono_depth_ros {name}` looks"
        assert os.access(script, os.X_OK)
    share = prefix / "share" / "mono_depth_ros"
    assert (share / "package.xml").read_text() == (ROOT / "package.xml").read_text()
    configs = [*(ROOT / "config").glob("*.yaml"), *(ROOT / "config").glob("*.rviz")]
    assert {p.name for p in (share / "config").iterdir()} == {p.name for p in configs}
    for launch_file in ("depth.launch.py", "train.launch.py"):
        assert (share / "launch" / launch_file).is_file(), f"`ros2 launch mono_depth_ros {launch_file}` needs it"
    assert (prefix / "share" / "ament_index" / "resource_index" / "packages" / "mono_depth_ros").is_file()

    # The installed entry point runs the installed package.
    site_packages = next((prefix / "lib").glob("python3*/site-packages"))
    run = subprocess.run(
        [sys.executable, str(executables / "mono-depth-ros"), "--version"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(site_packages)},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"mono-depth-ros {__version__}")
    # The bundled demo model is installed beside the code that finds it (mono_depth_ros.assets.DEMO_MODEL).
    installed_model = site_packages / "mono_depth_ros" / "assets" / "demo_model.pt"
    assert installed_model.stat().st_size == (ROOT / "mono_depth_ros" / "assets" / "demo_model.pt").stat().st_size
