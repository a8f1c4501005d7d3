"""Adaptive per-image scaling: Wasserstein-optimal scales on a set with ground truth, and fitting the scale CNN.

For each image of the set, s* = argmin over s in [low, high] of W1(s * g * D_pred, D_gt) (core.scale), where g is
the set's global factor (median of GT / prediction, One Scalar). The paper corrects a model that is already nearly
metric, so its search interval [0.1, 2.0] sits around 1; the factor g puts any model there first (g is about 1 for a
stereo-trained model and the network's arbitrary unit for a monocular one). The scale CNN then learns
log(g * s*) from the RGB image with MSE (Adam 1e-3, step decay every 10 epochs, 30 epochs, batch 30 by default),
so exp(CNN(image)) alone turns the prediction into metres.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.core.models import DepthNetwork, ScaleCNN
from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.errors import TrainingDataError
from mono_depth_ros.core.training.validation import EVALUATION_MAX_DEPTH, iterate_batches, predict_depths

__all__ = ["ScaleTargets", "fit_scale_cnn", "optimal_scale_targets"]


@dataclass(frozen=True)
class ScaleTargets:
    """What the scale CNN learns: per image, the log of the factor that makes its prediction metric."""

    log_scales: np.ndarray
    """(N,) float64 log(g * s*)."""
    global_factor: float
    """g: the set's median of GT / prediction."""
    optimal: np.ndarray
    """(N,) the Wasserstein-optimal s* in [low, high], relative to g."""


def optimal_scale_targets(
    network: DepthNetwork,
    images: np.ndarray,
    depths: np.ndarray,
    device: torch.device,
    scale_range: tuple[float, float] = (0.1, 2.0),
) -> ScaleTargets:
    """Per-image targets for (N, H, W, 3) uint8 images and their (N, H, W) ground-truth depths (metres)."""
    from mono_depth_ros.core.scale import GlobalScaleAccumulator, wasserstein_optimal_scale

    predictions = predict_depths(network, images, device).double().numpy()
    reference = np.asarray(depths, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(reference) & (reference > 0) & (reference < EVALUATION_MAX_DEPTH)
    usable = valid.reshape(valid.shape[0], -1).any(axis=1)
    if not usable.all():
        raise TrainingDataError(
            f"image {int(np.argmin(usable))} of the ground-truth set has no valid depth (finite, below "
            f"{EVALUATION_MAX_DEPTH:g} m): every image needs some for its optimal scale"
        )
    accumulator = GlobalScaleAccumulator()
    for gt, prediction, mask in zip(reference, predictions, valid, strict=True):
        accumulator.add(gt, prediction, mask)
    factor = accumulator.factor()
    low, high = scale_range
    optimal = np.array(
        [
            wasserstein_optimal_scale(factor * prediction, gt, low, high, mask=mask)
            for gt, prediction, mask in zip(reference, predictions, valid, strict=True)
        ]
    )
    return ScaleTargets(np.log(factor * optimal), factor, optimal)


def fit_scale_cnn(
    network: ScaleCNN,
    images: np.ndarray,
    log_scales: np.ndarray,
    config: TrainingConfig,
    device: torch.device,
    *,
    progress: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train the scale CNN on (N, H, W, 3) uint8 images and (N,) log-scale targets with MSE; returns the mean loss
    of each epoch. `progress(epoch, loss)` after each epoch. Deterministic for a seed (shuffling from it)."""
    count = int(images.shape[0])
    if count == 0 or log_scales.shape != (count,):
        raise TrainingDataError(f"the scale CNN needs one log scale per image, got {log_scales.shape} for {count}")
    network.to(device).train()
    optimiser = torch.optim.Adam(network.parameters(), lr=config.scale_cnn_learning_rate)
    scheduler = torch.optim.lr_scheduler.StepLR(
        optimiser, step_size=config.scale_cnn_step_epochs, gamma=config.scale_cnn_gamma
    )
    targets = torch.as_tensor(log_scales, dtype=torch.float32)
    generator = torch.Generator().manual_seed(config.seed)
    losses = []
    for epoch in range(config.scale_cnn_epochs):
        order = torch.randperm(count, generator=generator).numpy()
        total, seen = 0.0, 0
        for start in range(0, count, config.scale_cnn_batch_size):
            chosen = order[start : start + config.scale_cnn_batch_size]
            (batch,) = iterate_batches(images[chosen], len(chosen), device)
            optimiser.zero_grad(set_to_none=True)
            loss = torch.nn.functional.mse_loss(network(batch), targets[chosen].to(device))
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(chosen)
            seen += len(chosen)
        scheduler.step()
        losses.append(total / seen)
        if progress is not None:
            progress(epoch + 1, losses[-1])
        if not math.isfinite(losses[-1]):
            raise TrainingDataError(f"the scale CNN's loss became {losses[-1]} in epoch {epoch + 1}")
    network.eval()
    return losses
