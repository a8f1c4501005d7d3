"""The training objective of each mode: run the networks on a batch and combine the losses into `LossTerms`.

Photometric modes (mono, stereo, mono_stereo; Monodepth2):
  - depth of the target frame at every decoder scale, upsampled to the input resolution (full-resolution
    multi-scale), then every source view (t-1, t+1, right) is warped into the target in one batched call per scale;
  - per-pixel minimum reprojection over the sources with auto-masking (the unwarped sources' errors are computed
    once per step, not per scale), a source counting only where the pixel lands inside it (`mask_out_of_view`);
    edge-aware smoothness on each scale's disparity, weight w / 2^s;
  - L = mean over scales of (L_P + w / 2^s L_S) [+ sag_weight * L_SAG, mean over scales and temporal sources].
  Pose convention: the pose net sees temporally ordered pairs (earlier, later), at most `pose_max_width` wide, and
  its transform maps points of the earlier camera into the later one (later_from_earlier). So source t+1 uses
  net(I_t, I_t+1) = (t+1)_from_t directly, and source t-1 uses inverse(net(I_t-1, I_t)) = (t-1)_from_t.
  Stereo: the right camera is the left one moved by +B along x (the dataset's real baseline B), so
  right_from_left = translation(-B, 0, 0) and depth comes out in metres.
Siamese stereo (Learn Stereo, Infer Mono): the left image and the mirrored right image go through the same network
  as one batch; depth becomes disparity as a fraction of the width, d = fx B / (W depth); image + left-right + TV
  loss per scale at the input resolution, summed over the scales.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields

import torch
from torch import nn
from torch.nn import functional

from mono_depth_ros.core.geometry import invert_transform, warp_source_to_target
from mono_depth_ros.core.losses import (
    depth_to_stereo_disparity,
    edge_aware_smoothness,
    minimum_reprojection,
    mirror,
    photometric_error,
    sag_loss,
    siamese_stereo_loss,
    smoothness_weight,
    to_full_resolution,
)
from mono_depth_ros.core.models import DepthOutput, TrainingMode, disparity_to_depth
from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.data import TrainingBatch
from mono_depth_ros.core.training.errors import TrainingDataError

__all__ = ["LossTerms", "Objective", "loss_columns", "stereo_transform"]


@dataclass(frozen=True)
class LossTerms:
    """The loss of one step and its parts (scalar tensors); None where the mode has no such term."""

    total: torch.Tensor
    photometric: torch.Tensor | None = None
    """L_P: min-reprojection photometric loss, mean over scales."""
    smoothness: torch.Tensor | None = None
    """Weighted smoothness (edge-aware w / 2^s, or TV for siamese), mean (siamese: sum) over scales."""
    sag: torch.Tensor | None = None
    """L_SAG (unweighted), mean over scales and temporal sources."""
    sag_alignment: torch.Tensor | None = None
    sag_scale: torch.Tensor | None = None
    stereo_image: torch.Tensor | None = None
    """Siamese image loss (both views), summed over scales."""
    stereo_consistency: torch.Tensor | None = None
    """Siamese left-right consistency (both views), summed over scales."""
    automask_kept: torch.Tensor | None = None
    """Fraction of pixels where a warped source beat the identity (finest scale); diagnostic, no gradient."""

    def present(self) -> dict[str, torch.Tensor]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def values(self) -> dict[str, float]:
        """Plain floats of the present terms (one device synchronisation for all of them)."""
        present = self.present()
        numbers = torch.stack([value.detach().float().reshape(()) for value in present.values()]).tolist()
        return dict(zip(present, numbers, strict=True))


def loss_columns(config: TrainingConfig) -> tuple[str, ...]:
    """The terms a configuration's steps report, in `LossTerms` order (the CSV columns)."""
    if config.mode is TrainingMode.SIAMESE_STEREO:
        return ("total", "smoothness", "stereo_image", "stereo_consistency")
    names = ["total", "photometric", "smoothness"]
    if config.sag:
        names += ["sag", "sag_alignment", "sag_scale"]
    if config.automask:
        names.append("automask_kept")
    return tuple(names)


def stereo_transform(baseline: torch.Tensor) -> torch.Tensor:
    """right_from_left (B, 4, 4) for signed baselines (B,): the right camera at +baseline along x, so a point p in
    the left frame is at p - (baseline, 0, 0) in the right one."""
    transform = torch.eye(4, dtype=torch.float32, device=baseline.device).repeat(baseline.shape[0], 1, 1)
    transform[:, 0, 3] = -baseline.float()
    return transform


Autocast = Callable[[], AbstractContextManager[None]]


class Objective:
    """Runs the depth (and pose) network on a batch and returns the mode's `LossTerms`.

    `depth` and `pose` may be DistributedDataParallel wrappers: each is called once per step (pairs and frames are
    batched), as DDP expects.
    """

    def __init__(self, config: TrainingConfig, depth: nn.Module, pose: nn.Module | None = None) -> None:
        if config.uses_temporal and pose is None:
            raise TrainingDataError(f"mode {config.mode.value!r} needs a pose network")
        self.config = config
        self.depth = depth
        self.pose = pose
        self.scales = config.scales

    def __call__(
        self, batch: TrainingBatch, autocast: Autocast, *, generator: torch.Generator | None = None
    ) -> LossTerms:
        if self.config.mode is TrainingMode.SIAMESE_STEREO:
            return self._siamese(batch, autocast)
        return self._photometric(batch, autocast, generator)

    # Monodepth2 (and SAG) --------------------------------------------------------------------------------------

    def _poses(self, batch: TrainingBatch, autocast: Autocast) -> tuple[torch.Tensor, torch.Tensor]:
        """(t-1)_from_t and (t+1)_from_t, (B, 4, 4) float32, from one pose-net call over both ordered pairs."""
        inputs = batch.inputs
        if inputs.previous is None or inputs.next is None or self.pose is None:
            raise TrainingDataError(f"mode {self.config.mode.value!r} needs frames t-1 and t+1 in every sample")
        earlier = torch.cat((inputs.previous, inputs.image))
        later = torch.cat((inputs.image, inputs.next))
        earlier, later = self._pose_size(earlier), self._pose_size(later)
        with autocast():
            motion = self.pose(earlier, later)
        later_from_earlier = motion.transform().float()
        size = batch.size
        return invert_transform(later_from_earlier[:size]), later_from_earlier[size:]

    def _pose_size(self, images: torch.Tensor) -> torch.Tensor:
        """Images (N, 3, H, W) resized to at most `pose_max_width` wide (aspect kept) for the pose network."""
        limit = self.config.pose_max_width
        height, width = int(images.shape[-2]), int(images.shape[-1])
        if limit == 0 or width <= limit:
            return images
        size = (max(round(height * limit / width), 32), limit)
        return functional.interpolate(images, size=size, mode="bilinear", align_corners=False)

    def _sources(self, batch: TrainingBatch, autocast: Autocast) -> tuple[torch.Tensor, torch.Tensor, int]:
        """The source images (B, S, 3, H, W), source_from_target (B, S, 4, 4), and how many are temporal."""
        frames = batch.frames
        images, transforms = [], []
        temporal = 0
        if self.config.uses_temporal:
            previous_from_target, next_from_target = self._poses(batch, autocast)
            images += [frames.previous, frames.next]
            transforms += [previous_from_target, next_from_target]
            temporal = 2
        if self.config.uses_right:
            if frames.right is None or batch.baseline is None:
                raise TrainingDataError(f"mode {self.config.mode.value!r} needs a right image in every sample")
            images.append(frames.right)
            transforms.append(stereo_transform(batch.baseline))
        return torch.stack(images, 1), torch.stack(transforms, 1), temporal

    def _depth_forward(self, batch: TrainingBatch, autocast: Autocast) -> DepthOutput:
        inputs = batch.inputs
        images = inputs.image
        if self.config.sag:
            images = torch.cat((inputs.image, inputs.previous, inputs.next))  # source depths for SAG
        with autocast():
            return self.depth(images)

    def _full_depth(self, output: DepthOutput, index: int, height: int, width: int) -> torch.Tensor:
        """(N, H, W) float32 depth of scale `index` at the input resolution (disparity upsampled, as Monodepth2;
        two-stream depth upsampled directly, since it is no longer a function of the disparity alone)."""
        if output.mu is None:
            disparity = to_full_resolution(output.disparities[index][:, 0].float(), height, width)
            return disparity_to_depth(disparity, self.config.min_depth, self.config.max_depth)
        return to_full_resolution(output.depths[index][:, 0].float(), height, width)

    def _photometric(self, batch: TrainingBatch, autocast: Autocast, generator: torch.Generator | None) -> LossTerms:
        config = self.config
        target = batch.frames.image
        size, height, width = batch.size, int(target.shape[-2]), int(target.shape[-1])
        output = self._depth_forward(batch, autocast)
        sources, source_from_target, temporal = self._sources(batch, autocast)
        camera = batch.camera_matrix[:, None]
        target_views = target[:, None]
        # The unwarped sources' errors do not depend on the depth: once per step, not per scale.
        identity = photometric_error(sources, target_views) if config.automask else None
        photometric, smoothness, sag_terms = [], [], []
        kept = None
        for index, scale in enumerate(self.scales):
            depth = self._full_depth(output, index, height, width)
            # All sources (t-1, t+1, right) in one warp: (B, 1) depth and K broadcast against (B, S) views.
            warped = warp_source_to_target(sources, depth[:size, None], source_from_target, camera)
            errors = photometric_error(warped.image, target_views)
            valid = warped.valid if config.mask_out_of_view else None
            reprojection = minimum_reprojection(errors, identity, valid=valid, generator=generator)
            photometric.append(reprojection.loss)
            if index == 0 and identity is not None:
                kept = reprojection.mask.float().mean().detach()
            # Smoothness at the decoder scale's own resolution, against the image downsampled to it.
            disparity = output.disparities[index][:size, 0].float()
            image = target if scale == 0 else functional.interpolate(target, size=disparity.shape[-2:], mode="area")
            smoothness.append(
                smoothness_weight(scale, config.smoothness_weight) * edge_aware_smoothness(disparity, image)
            )
            for source in range(temporal if config.sag else 0):
                first = (source + 1) * size
                mu = output.mu
                sag_terms.append(
                    sag_loss(
                        depth[:size],
                        depth[first : first + size],
                        source_from_target[:, source],
                        batch.camera_matrix,
                        # Reliable: where this source won the minimum and beat the identity.
                        mask=reprojection.source_mask(source) if identity is not None else None,
                        mu_target=None if mu is None else mu[:size].float(),
                        mu_source=None if mu is None else mu[first : first + size].float(),
                    )
                )
        count = len(self.scales)
        photometric_loss = torch.stack(photometric).sum() / count
        smoothness_loss = torch.stack(smoothness).sum() / count
        total = photometric_loss + smoothness_loss
        sag = alignment = scale_term = None
        if sag_terms:
            sag = torch.stack([terms.total for terms in sag_terms]).mean()
            alignment = torch.stack([terms.rotation + terms.translation for terms in sag_terms]).mean().detach()
            scale_term = torch.stack([terms.scale for terms in sag_terms]).mean().detach()
            total = total + config.sag_weight * sag
        return LossTerms(
            total=total,
            photometric=photometric_loss.detach(),
            smoothness=smoothness_loss.detach(),
            sag=None if sag is None else sag.detach(),
            sag_alignment=alignment,
            sag_scale=scale_term,
            automask_kept=kept,
        )

    # Learn Stereo, Infer Mono ----------------------------------------------------------------------------------

    def _siamese(self, batch: TrainingBatch, autocast: Autocast) -> LossTerms:
        frames, inputs = batch.frames, batch.inputs
        if frames.right is None or inputs.right is None or batch.baseline is None:
            raise TrainingDataError("mode 'siamese_stereo' needs a right image in every sample")
        size, height, width = batch.size, int(frames.image.shape[-2]), int(frames.image.shape[-1])
        # One batch through the shared network: the left images and the mirrored right ones.
        with autocast():
            output = self.depth(torch.cat((inputs.image, mirror(inputs.right))))
        focal = batch.camera_matrix[:, 0, 0].repeat(2)
        baseline = batch.baseline.repeat(2)
        image_terms, consistency_terms, smoothness_terms, totals = [], [], [], []
        for index in range(len(self.scales)):
            disparity = to_full_resolution(output.disparities[index][:, 0].float(), height, width)
            depth = disparity_to_depth(disparity, self.config.min_depth, self.config.max_depth)
            # d = fx B / (W depth): the pair's disparity as a fraction of the width, metric through B.
            fraction = depth_to_stereo_disparity(depth, focal, baseline)
            terms = siamese_stereo_loss(
                frames.image,
                frames.right,
                fraction[:size],
                mirror(fraction[size:]),  # the right view's disparity, mirrored back
                smoothness_weight=self.config.smoothness_weight,
            )
            image_terms.append(terms.image)
            consistency_terms.append(terms.left_right)
            smoothness_terms.append(self.config.smoothness_weight * terms.smoothness)
            totals.append(terms.total)
        # Learn Stereo, Infer Mono sums the scales' losses.
        return LossTerms(
            total=torch.stack(totals).sum(),
            smoothness=torch.stack(smoothness_terms).sum().detach(),
            stereo_image=torch.stack(image_terms).sum().detach(),
            stereo_consistency=torch.stack(consistency_terms).sum().detach(),
        )
