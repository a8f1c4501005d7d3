"""Network output -> prediction: flip post-processing and resizing, both on inverse depth.

Why inverse depth: the decoder's sigmoid is affine in inverse depth (see `core.models.disparity`), so blending or
bilinearly interpolating inverse depth is exactly blending or interpolating the network's own output, and it never
averages a near and a far surface into a depth that belongs to neither as badly as averaging depth does.
"""

from __future__ import annotations

import torch
from torch.nn import functional

__all__ = ["EDGE_FRACTION", "blend_flipped", "flip_blend_weights", "resize_bilinear"]

#: Fraction of the image width, at each side, taken from one prediction only in flip post-processing; the weights
#: then ramp to the plain mean over as many columns again (Monodepth2).
EDGE_FRACTION = 0.05


def flip_blend_weights(
    width: int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight of the direct prediction, weight of the mirrored one), each (width,), summing to 1 per column.

    With x = column / (width - 1) in [0, 1], Monodepth2's ramp is left(x) = 1 - clamp(20 (x - 0.05), 0, 1): 1 over
    the leftmost 5 % of the columns, 0 from 10 % on. The mirrored prediction gets left(x) + (1 - left - right) / 2
    and the direct one right(x) + (1 - left - right) / 2, with right(x) = left(1 - x). So the leftmost ~5 % of the
    columns come from the mirrored prediction, the rightmost ~5 % from the direct one, and the mean elsewhere.

    Why: a network trained on stereo sees, at the left edge of a left image, pixels with no match in the right image
    and predicts them poorly; in the mirrored image those pixels sit at the right edge, where it does well.
    """
    x = torch.linspace(0.0, 1.0, width, device=device, dtype=torch.float64)
    left = 1.0 - torch.clamp((x - EDGE_FRACTION) / EDGE_FRACTION, 0.0, 1.0)
    right = left.flip(0)
    middle = 0.5 * (1.0 - left - right)
    return (right + middle).to(dtype), (left + middle).to(dtype)


def blend_flipped(direct: torch.Tensor, mirrored: torch.Tensor) -> torch.Tensor:
    """Flip post-processing: (*, H, W) prediction on the image and (*, H, W) prediction on the mirrored image,
    already mirrored back (so both are in the image's orientation) -> (*, H, W) blend, per `flip_blend_weights`.

    Use it on inverse depth (or the sigmoid disparity), not on depth.
    """
    w_direct, w_mirrored = flip_blend_weights(direct.shape[-1], device=direct.device, dtype=direct.dtype)
    return direct * w_direct + mirrored * w_mirrored


def resize_bilinear(values: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, C, h, w) -> (B, C, height, width), bilinear with pixel centres aligned as `PinholeIntrinsics.resized`
    assumes (align_corners=False). A no-op when the size already matches."""
    if tuple(values.shape[-2:]) == (height, width):
        return values
    return functional.interpolate(values, size=(height, width), mode="bilinear", align_corners=False)
