"""Where the package's data files (config/*.yaml, config/depth.rviz, launch/) are, however it was installed."""

from __future__ import annotations

import contextlib
from pathlib import Path

from mono_depth_ros.launch_plan.errors import LaunchError

__all__ = ["CALIBRATION_PARAMS", "DEPTH_PARAMS", "PACKAGE", "RVIZ_CONFIG", "TRAINER_PARAMS", "find_share_dir"]

PACKAGE = "mono_depth_ros"
DEPTH_PARAMS = Path("config/depth.yaml")
CALIBRATION_PARAMS = Path("config/calibration.yaml")
TRAINER_PARAMS = Path("config/trainer.yaml")
RVIZ_CONFIG = Path("config/depth.rviz")

# This file is <share root>/mono_depth_ros/launch_plan/share.py in a source tree (or an editable install), and
# <prefix>/lib/python3.X/site-packages/mono_depth_ros/launch_plan/share.py in a colcon or pip install, whose
# setup.py data_files land in <prefix>/share/mono_depth_ros.
_PACKAGE_DEPTH = 2
_PREFIX_DEPTH = 5


def _candidates(module_file: Path) -> list[Path]:
    parents = module_file.parents
    candidates = [parents[_PACKAGE_DEPTH]]
    if len(parents) > _PREFIX_DEPTH:
        candidates.append(parents[_PREFIX_DEPTH] / "share" / PACKAGE)
    return candidates


def find_share_dir(module_file: Path | None = None) -> Path:
    """The folder holding config/depth.yaml for the package that is running.

    The copy next to the running code wins (source tree, then the install prefix of a colcon or pip install), so a
    sourced ROS workspace with another build of the package never mixes its files with this code; the ament index
    is the last resort. A LaunchError lists the folders searched when none has the files.
    """
    module_file = Path(__file__) if module_file is None else Path(module_file)
    candidates = _candidates(module_file.absolute())
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    except ImportError:
        pass
    else:
        with contextlib.suppress(PackageNotFoundError, OSError, ValueError):  # OSError: no AMENT_PREFIX_PATH
            candidates.append(Path(get_package_share_directory(PACKAGE)))
    for candidate in candidates:
        if (candidate / DEPTH_PARAMS).is_file():
            return candidate
    searched = ", ".join(str(c) for c in candidates)
    raise LaunchError(f"cannot find {DEPTH_PARAMS} of {PACKAGE}; searched {searched}")
