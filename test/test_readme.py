"""The README's tables and commands follow the code: every declared node parameter is in its table, and the
bundled model's recipe names files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mono_depth_ros.ros.calibration_config import CALIBRATION_PARAMETERS
from mono_depth_ros.ros.depth_config import DEPTH_PARAMETERS
from mono_depth_ros.ros.trainer_config import TRAINER_PARAMETERS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _table_after(title: str) -> str:
    start = README.index(title)
    lines = README[start:].splitlines()[1:]
    table = [line for line in lines[:40] if line.startswith("|")]
    return "\n".join(table)


@pytest.mark.parametrize(
    ("title", "specs"),
    [
        ("**depth_node**", DEPTH_PARAMETERS),
        ("**calibration_node**", CALIBRATION_PARAMETERS),
        ("**trainer_node**", TRAINER_PARAMETERS),
    ],
)
def test_every_declared_parameter_is_in_its_readme_table(title: str, specs: tuple) -> None:
    table = _table_after(title)
    documented = set(re.findall(r"`([a-z_]+)`", "\n".join(line.split("|")[1] for line in table.splitlines())))
    assert {spec.name for spec in specs} <= documented, {spec.name for spec in specs} - documented


def test_the_demo_model_recipe_names_files_that_exist() -> None:
    root = Path(__file__).resolve().parents[1]
    section = README[README.index("## The bundled demo model") :]
    for path in ("docs/benchmarks/mono_stereo_40min.yaml", "mono_depth_ros/assets/demo_model.pt"):
        assert path in section
        assert (root / path).is_file()
    assert (root / "docs/images/demo.png").is_file()
