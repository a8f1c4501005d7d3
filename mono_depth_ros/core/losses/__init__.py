"""Self-supervised training losses, ROS-free and batch-agnostic (leading `*` dimensions broadcast).

- photometric: SSIM with a box (Monodepth2) or Gaussian (Learn Stereo Infer Mono) window, and the photometric error
  alpha / 2 (1 - SSIM) + (1 - alpha) |I - I'| with alpha = 0.85.
- reprojection: Monodepth2's per-pixel minimum over source views, auto-masking with identity reprojection and a
  1e-5 tie-break, and full-resolution multi-scale upsampling.
- smoothness: edge-aware smoothness on mean-normalised disparity (weight 1e-3 / 2^scale) and total variation.
- stereo: left-right disparity consistency and the Siamese stereo loss (image + left-right + TV, both views).
- sag: the scale-aware geometric loss (Umeyama alignment of the moved target cloud to the source cloud).

Shapes: images (*, C, H, W) with values in [0, 1]; depth, disparity and per-pixel errors (*, H, W) (pass a network's
(B, 1, H, W) output as `output[:, 0]`); scalar losses (). Losses are computed in float32 (float64 for float64
inputs), also under autocast. Bad arguments raise `LossError` or `ShapeError`.

A trainer's Monodepth2 step, per scale s (depth upsampled to the input resolution with `to_full_resolution`):
`reprojection_loss(target, warped, sources).loss + smoothness_weight(s) * edge_aware_smoothness(disp_s, image_s)`,
averaged over scales; for the SAG paper add `SAG_WEIGHT * sag_loss(...).total` per source view.
"""

from mono_depth_ros.core.losses.errors import LossError, ShapeError
from mono_depth_ros.core.losses.photometric import (
    BOX_WINDOW_SIZE,
    GAUSSIAN_SIGMA,
    GAUSSIAN_WINDOW_SIZE,
    SSIM_ALPHA,
    SSIM_C1,
    SSIM_C2,
    SsimWindow,
    gaussian_window,
    photometric_error,
    ssim,
)
from mono_depth_ros.core.losses.reprojection import (
    AUTOMASK_TIE_BREAK,
    ReprojectionLoss,
    minimum_reprojection,
    reprojection_loss,
    to_full_resolution,
)
from mono_depth_ros.core.losses.sag import SAG_MIN_POINTS, SAG_WEIGHT, SagLoss, sag_loss
from mono_depth_ros.core.losses.smoothness import (
    SMOOTHNESS_WEIGHT,
    edge_aware_smoothness,
    smoothness_weight,
    total_variation,
)
from mono_depth_ros.core.losses.stereo import (
    SiameseStereoLoss,
    depth_to_stereo_disparity,
    left_right_consistency,
    mirror,
    sample_horizontally,
    siamese_stereo_loss,
)

__all__ = [
    "AUTOMASK_TIE_BREAK",
    "BOX_WINDOW_SIZE",
    "GAUSSIAN_SIGMA",
    "GAUSSIAN_WINDOW_SIZE",
    "SAG_MIN_POINTS",
    "SAG_WEIGHT",
    "SMOOTHNESS_WEIGHT",
    "SSIM_ALPHA",
    "SSIM_C1",
    "SSIM_C2",
    "LossError",
    "ReprojectionLoss",
    "SagLoss",
    "ShapeError",
    "SiameseStereoLoss",
    "SsimWindow",
    "depth_to_stereo_disparity",
    "edge_aware_smoothness",
    "gaussian_window",
    "left_right_consistency",
    "minimum_reprojection",
    "mirror",
    "photometric_error",
    "reprojection_loss",
    "sag_loss",
    "sample_horizontally",
    "siamese_stereo_loss",
    "smoothness_weight",
    "ssim",
    "to_full_resolution",
    "total_variation",
]
