"""Monodepth2's mapping between the decoder's sigmoid output and depth."""

from __future__ import annotations

import torch


def disparity_to_inverse_depth(disparity: torch.Tensor, min_depth: float, max_depth: float) -> torch.Tensor:
    """Sigmoid disparity (*) in [0, 1] -> inverse depth (*) in [1/max_depth, 1/min_depth], linearly."""
    min_inverse, max_inverse = 1.0 / max_depth, 1.0 / min_depth
    return min_inverse + (max_inverse - min_inverse) * disparity


def disparity_to_depth(disparity: torch.Tensor, min_depth: float, max_depth: float) -> torch.Tensor:
    """Sigmoid disparity (*) in [0, 1] -> depth (*) in [min_depth, max_depth].

    depth = 1 / (1/max + (1/min - 1/max) * disparity): the sigmoid spans inverse depth linearly.
    """
    return 1.0 / disparity_to_inverse_depth(disparity, min_depth, max_depth)


def depth_to_disparity(depth: torch.Tensor, min_depth: float, max_depth: float) -> torch.Tensor:
    """Inverse of `disparity_to_depth` (*) -> (*); depths outside the range give values outside [0, 1]."""
    min_inverse, max_inverse = 1.0 / max_depth, 1.0 / min_depth
    return (1.0 / depth - min_inverse) / (max_inverse - min_inverse)
