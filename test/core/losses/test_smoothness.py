"""Edge-aware smoothness and total variation, against independent computations and known cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mono_depth_ros.core.losses import (
    SMOOTHNESS_WEIGHT,
    LossError,
    ShapeError,
    edge_aware_smoothness,
    smoothness_weight,
    total_variation,
)


def _edge_aware_reference(disparity: np.ndarray, image: np.ndarray, normalise: bool) -> float:
    """Edge-aware smoothness of (B, H, W) disparity and (B, C, H, W) image, one neighbour pair at a time.

    Each map is divided by its own mean (if `normalise`); a horizontal pair costs |d(r, c+1) - d(r, c)| times
    exp(-mean over channels of |I(r, c+1) - I(r, c)|), and the result is the mean horizontal cost plus the mean
    vertical cost.
    """
    batch, height, width = disparity.shape
    horizontal, vertical = [], []
    for b in range(batch):
        d = disparity[b] / disparity[b].mean() if normalise else disparity[b]
        for row in range(height):
            for col in range(width):
                if col + 1 < width:
                    edge = np.mean(np.abs(image[b, :, row, col + 1] - image[b, :, row, col]))
                    horizontal.append(abs(d[row, col + 1] - d[row, col]) * np.exp(-edge))
                if row + 1 < height:
                    edge = np.mean(np.abs(image[b, :, row + 1, col] - image[b, :, row, col]))
                    vertical.append(abs(d[row + 1, col] - d[row, col]) * np.exp(-edge))
    return float(np.mean(horizontal) + np.mean(vertical))


@pytest.mark.parametrize("normalise", [True, False])
def test_edge_aware_smoothness_matches_an_independent_computation(normalise: bool, generator: torch.Generator) -> None:
    disparity = torch.rand(3, 5, 6, generator=generator, dtype=torch.float64)
    image = torch.rand(3, 3, 5, 6, generator=generator, dtype=torch.float64)
    ours = edge_aware_smoothness(disparity, image, normalise=normalise)
    assert ours.shape == ()
    expected = _edge_aware_reference(disparity.numpy(), image.numpy(), normalise)
    # The library adds 1e-7 to the mean against an all-zero disparity: a relative change of about 2e-7 here.
    assert ours.item() == pytest.approx(expected, rel=1e-6 if normalise else 1e-12)


def test_constant_disparity_is_perfectly_smooth(generator: torch.Generator) -> None:
    image = torch.rand(2, 3, 8, 8, generator=generator)
    assert edge_aware_smoothness(torch.full((2, 8, 8), 0.3), image).item() == 0.0
    assert total_variation(torch.full((2, 8, 8), 0.3)).item() == 0.0


def test_normalised_smoothness_ignores_the_disparity_scale(generator: torch.Generator) -> None:
    disparity = torch.rand(2, 8, 9, generator=generator, dtype=torch.float64) + 0.1
    image = torch.rand(2, 3, 8, 9, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(edge_aware_smoothness(5 * disparity, image), edge_aware_smoothness(disparity, image))
    raw = edge_aware_smoothness(5 * disparity, image, normalise=False)
    torch.testing.assert_close(raw, 5 * edge_aware_smoothness(disparity, image, normalise=False))


def test_disparity_edges_cost_less_on_image_edges() -> None:
    step = torch.zeros(1, 6, 8, dtype=torch.float64)
    step[..., 4:] = 1.0  # a disparity edge between columns 3 and 4
    flat_image = torch.full((1, 3, 6, 8), 0.5, dtype=torch.float64)
    edge_image = flat_image.clone()
    edge_image[..., 4:] = 1.0  # an image edge at the same place
    assert edge_aware_smoothness(step + 1, edge_image) < edge_aware_smoothness(step + 1, flat_image)


def test_total_variation_of_ramps() -> None:
    columns = torch.arange(5, dtype=torch.float64).expand(4, 5)  # 0..4 along every row: horizontal step 1
    torch.testing.assert_close(total_variation(columns), torch.tensor(1.0, dtype=torch.float64))
    torch.testing.assert_close(total_variation(2 * columns.T), torch.tensor(2.0, dtype=torch.float64))
    batch = torch.stack((columns, 3 * columns))
    torch.testing.assert_close(total_variation(batch), torch.tensor(2.0, dtype=torch.float64))


def test_smoothness_weight_halves_per_scale() -> None:
    assert [smoothness_weight(s) for s in range(4)] == [1e-3, 5e-4, 2.5e-4, 1.25e-4]
    assert smoothness_weight(0) == SMOOTHNESS_WEIGHT
    assert smoothness_weight(1, base=0.1) == 0.05
    with pytest.raises(LossError, match="scale"):
        smoothness_weight(-1)
    with pytest.raises(LossError, match="base"):
        smoothness_weight(0, base=-1.0)


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ShapeError, match="image"):
        edge_aware_smoothness(torch.rand(2, 8, 8), torch.rand(2, 3, 8, 9))
    with pytest.raises(LossError, match="2x2"):
        total_variation(torch.rand(1, 5))
