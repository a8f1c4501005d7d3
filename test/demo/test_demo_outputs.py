"""The demo's files: PLY, panels, JSON, and the pictures' colour scales."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from mono_depth_ros.demo import DemoOutputError, depth_panel, write_json, write_ply, write_png
from mono_depth_ros.plots import PlotError, plot_scale_over_time
from mono_depth_ros.plots.depth import colourise_inverse_depth, colourise_metric_depth


def read_ply(path: Path) -> tuple[list[str], np.ndarray]:
    data = path.read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode("ascii").splitlines()
    count = int(next(line for line in header if line.startswith("element vertex")).split()[-1])
    names = [line.split()[-1] for line in header if line.startswith("property")]
    kinds = ["<f4" if line.split()[1] == "float" else "u1" for line in header if line.startswith("property")]
    records = np.frombuffer(data[end:], dtype=list(zip(names, kinds, strict=True)))
    assert records.shape[0] == count
    return header, records


def test_ply_holds_the_finite_points_with_their_colours(tmp_path: Path) -> None:
    points = np.array([[0.0, 1.0, 2.0], [np.nan, 0.0, 1.0], [3.0, -1.0, 4.5]])
    colours = np.array([[255, 0, 0], [0, 255, 0], [1, 2, 3]], dtype=np.uint8)
    assert write_ply(tmp_path / "c.ply", points, colours) == 2
    header, records = read_ply(tmp_path / "c.ply")
    assert header[:3] == ["ply", "format binary_little_endian 1.0", "element vertex 2"]
    np.testing.assert_array_equal(records["z"], [2.0, 4.5])
    np.testing.assert_array_equal(records["red"], [255, 1])
    assert write_ply(tmp_path / "plain.ply", points) == 2
    assert "property uchar red" not in read_ply(tmp_path / "plain.ply")[0]
    with pytest.raises(DemoOutputError, match=r"no valid point among 1 to write to empty.ply"):
        write_ply(tmp_path / "empty.ply", np.full((1, 3), np.nan))


def test_a_panel_puts_the_frame_above_its_depth_at_the_frame_size(tmp_path: Path) -> None:
    rgb = np.full((40, 60, 3), 7, np.uint8)
    depth = np.full((20, 30), 10.0, np.float32)
    depth[0, 0] = np.nan
    panel = depth_panel(rgb, depth)
    assert panel.shape == (80, 60, 3)
    np.testing.assert_array_equal(panel[:40], rgb)
    assert panel[40, 0].tolist() == [0, 0, 0]  # no depth: black
    written = write_png(tmp_path / "p.png", panel)
    np.testing.assert_array_equal(cv2.imread(str(written))[..., ::-1], panel)


def test_metric_colours_are_a_fixed_scale_near_bright_far_dark() -> None:
    depth = np.array([[2.0, 10.0, 80.0, 500.0]])
    colours = colourise_metric_depth(depth).astype(int).sum(axis=-1)[0]
    assert colours[0] > colours[1] > colours[2]
    assert colours[2] == colours[3]  # beyond far: the far colour
    np.testing.assert_array_equal(colourise_metric_depth(depth * 1.0), colourise_metric_depth(depth))
    # Relative inverse depth spans its own percentiles.
    relative = colourise_inverse_depth(np.linspace(0.0, 1.0, 100).reshape(10, 10))
    assert relative[0, 0].sum() < relative[-1, -1].sum()


def test_json_is_standard_with_nan_as_null(tmp_path: Path) -> None:
    write_json(tmp_path / "m.json", {"a": math.nan, "b": [1.5, math.inf], "c": np.float32(2.0), "d": Path("/x")})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": None, "b": [1.5, None], "c": 2.0, "d": "/x"}


def test_the_scale_plot_is_a_png_and_needs_scales(tmp_path: Path) -> None:
    path = plot_scale_over_time([1.0, 2.0, 3.0], [0.9, 0.95, 1.0], tmp_path / "s.png", right_scale=1.01)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(PlotError, match="no depth_scale was published"):
        plot_scale_over_time([], [], tmp_path / "none.png")
    with pytest.raises(PlotError, match="2 times for 1 scales"):
        plot_scale_over_time([1.0, 2.0], [1.0], tmp_path / "bad.png")
