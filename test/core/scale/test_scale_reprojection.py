"""Scale by reprojection: ground-truth depth divided by a known scale, warped with the simulator's exact motion."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.scale import ReprojectionFit, ScaleInputError, reprojection_scale
from mono_depth_ros.core.shapes import ShapeError
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

TRUE_SCALE = 7.0


@pytest.fixture(scope="module")
def pair() -> dict[str, torch.Tensor]:
    """Frames 4 (source) and 5 (target) of a street drive, the target's depth, the motion and K."""
    world = SyntheticWorld(SimConfig(width=160, height=64, seed=3), frames=6)
    source, target = world.render_frame(4), world.render_frame(5)

    def image(frame) -> torch.Tensor:  # type: ignore[no-untyped-def]
        return torch.from_numpy(frame.left_rgb).permute(2, 0, 1).float() / 255

    return {
        "target_image": image(target),
        "source_image": image(source),
        "depth": torch.from_numpy(target.depth),
        "source_from_target": torch.from_numpy(np.linalg.inv(source.odom_from_left) @ target.odom_from_left),
        "camera_matrix": world.intrinsics.matrix(torch.float64),
    }


def _search(pair: dict[str, torch.Tensor], depth: torch.Tensor, **options: object) -> ReprojectionFit | None:
    return reprojection_scale(
        pair["target_image"], pair["source_image"], depth, pair["source_from_target"], pair["camera_matrix"],
        **{"low": 0.01, "high": 1000.0, **options},
    )  # fmt: skip


def test_the_known_scale_is_found_from_exact_relative_depth(pair: dict[str, torch.Tensor]) -> None:
    fit = _search(pair, pair["depth"] / TRUE_SCALE)
    assert fit is not None
    assert fit.scale == pytest.approx(TRUE_SCALE, rel=0.01)
    assert fit.pixels > 1000
    # Metric depth needs no scale; the sky's +inf is not a valid depth and is left out.
    assert _search(pair, pair["depth"]).scale == pytest.approx(1.0, rel=0.01)


def test_noisy_relative_depth_still_gives_the_scale(pair: dict[str, torch.Tensor]) -> None:
    noise = torch.from_numpy(np.random.default_rng(0).lognormal(0.0, 0.05, tuple(pair["depth"].shape)))
    fit = _search(pair, pair["depth"] / TRUE_SCALE * noise.float())
    assert fit is not None
    assert fit.scale == pytest.approx(TRUE_SCALE, rel=0.03)


def test_a_range_without_the_scale_or_a_still_scene_gives_nothing(pair: dict[str, torch.Tensor]) -> None:
    assert _search(pair, pair["depth"] / TRUE_SCALE, low=20.0, high=100.0) is None  # the minimum on the edge
    still = {**pair, "source_image": pair["target_image"]}
    assert _search(still, pair["depth"] / TRUE_SCALE) is None  # nothing beats no motion
    assert _search(pair, pair["depth"] / TRUE_SCALE, min_pixels=10**6) is None


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"low": 0.0}, ScaleInputError, r"low must be a finite positive number, got 0\.0"),
        ({"low": 5.0, "high": 5.0}, ScaleInputError, r"the scale range must have high > low, got low=5\.0 high=5\.0"),
        ({"step_ratio": 1.0}, ScaleInputError, r"step_ratio must be a number > 1, got 1\.0"),
        ({"fine_steps": 2}, ScaleInputError, r"fine_steps must be an integer >= 3, got 2"),
        ({"depth": torch.ones(3, 3)}, ShapeError, r"relative_depth"),
        ({"source_image": torch.ones(1, 64, 160)}, ShapeError, r"source_image"),
        ({"source_from_target": torch.eye(3)}, ShapeError, r"source_from_target"),
        (
            {"source_from_target": torch.full((4, 4), float("nan"))},
            ScaleInputError,
            r"source_from_target must be finite",
        ),
    ],
)
def test_bad_input_is_a_typed_error(
    pair: dict[str, torch.Tensor], change: dict[str, object], error: type[Exception], message: str
) -> None:
    arguments = {**pair, "depth": pair["depth"] / TRUE_SCALE, "low": 0.01, "high": 1000.0, **change}
    depth = arguments.pop("depth")
    with pytest.raises(error, match=message):
        reprojection_scale(
            arguments.pop("target_image"), arguments.pop("source_image"), depth, arguments.pop("source_from_target"),
            arguments.pop("camera_matrix"), **arguments,
        )  # fmt: skip
