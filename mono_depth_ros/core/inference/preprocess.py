"""Images into the network: validation, transfer to the device, resizing and colour conversion on the device.

An image is an (H, W, C) uint8 array (numpy, or a torch tensor already on the estimator's device) in one of
`ENCODINGS`; mono8 may also be (H, W). Resizing runs before the colour conversion (it is per channel, so the order
does not matter, and it is cheaper on the smaller image): on the CPU straight on the uint8 pixels (torch's
vectorised uint8 path), elsewhere on floats. Downscaling is antialiased, as the PIL resize Monodepth2 trains with.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from mono_depth_ros.core.inference.errors import InferenceConfigError, InputImageError

__all__ = [
    "ENCODINGS",
    "MAX_IMAGE_SIDE",
    "MIN_IMAGE_SIDE",
    "channel_order",
    "image_to_device",
    "to_network_input",
]

#: Channels of every encoding the estimator takes, and where red, green and blue sit (mono: grey replicated).
_LAYOUTS: dict[str, tuple[int, tuple[int, int, int]]] = {
    "rgb8": (3, (0, 1, 2)),
    "bgr8": (3, (2, 1, 0)),
    "mono8": (1, (0, 0, 0)),
    "rgba8": (4, (0, 1, 2)),
    "bgra8": (4, (2, 1, 0)),
}
ENCODINGS: tuple[str, ...] = tuple(_LAYOUTS)
#: Smallest image side accepted: below it there is nothing to resize from (a 1x1 "image" is a caller's mistake).
MIN_IMAGE_SIDE = 8
#: Largest image side accepted (16384 px: beyond any camera; a bigger array is a caller's mistake, e.g. a flattened
#: buffer, and would only exhaust memory).
MAX_IMAGE_SIDE = 16384

_ENCODING_FOR_CHANNELS = {1: "mono8", 3: "rgb8 or bgr8", 4: "rgba8 or bgra8"}


def channel_order(encoding: str) -> tuple[int, int, int]:
    """Indices of the red, green and blue channels of `encoding` ((0, 0, 0) for mono8)."""
    return _layout(encoding)[1]


def _layout(encoding: str) -> tuple[int, tuple[int, int, int]]:
    layout = _LAYOUTS.get(encoding) if isinstance(encoding, str) else None
    if layout is None:
        raise InputImageError(f"image encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")
    return layout


def image_to_device(image: Any, encoding: str, device: torch.device) -> torch.Tensor:
    """Check `image` against `encoding` and return it as an (H, W, C) uint8 tensor on `device` (C as the encoding:
    1, 3 or 4). A numpy array is wrapped without a copy (and copied once to a CUDA device); a tensor must already be
    on `device`. Every problem is an InputImageError naming the shape, dtype, encoding or device."""
    channels, _ = _layout(encoding)
    if isinstance(image, np.ndarray):
        kind = "array"
    elif isinstance(image, torch.Tensor):
        kind = "tensor"
    else:
        raise InputImageError(
            f"image must be a numpy array or a torch tensor (H, W, C) uint8, got {type(image).__name__}"
        )
    shape = tuple(image.shape)
    dtype = str(image.dtype).replace("torch.", "")
    if dtype != "uint8":
        raise InputImageError(
            f"image {kind} of dtype {dtype} (shape {shape}) is not supported: the estimator takes 8-bit images "
            "(uint8); convert 16-bit or float images first (e.g. core.wire.image_to_rgb8)"
        )
    if len(shape) == 2:
        shape = (*shape, 1)
        image = image[..., None]
    if len(shape) != 3:
        raise InputImageError(f"image must have shape (H, W, C) (or (H, W) for mono8), got {tuple(image.shape)}")
    height, width, found = shape
    if height == 0 or width == 0:
        raise InputImageError(f"image is empty: shape {shape[:2] if found == 1 else shape}")
    if found != channels:
        hint = _ENCODING_FOR_CHANNELS.get(found)
        advice = f"; pass encoding {hint}" if hint else ""
        raise InputImageError(
            f"image with {found} channel(s) (shape {tuple(image.shape)}) does not match encoding {encoding}, which has "
            f"{channels}{advice}"
        )
    if min(height, width) < MIN_IMAGE_SIDE:
        raise InputImageError(
            f"image of {width}x{height} pixels is too small: each side must be at least {MIN_IMAGE_SIDE} pixels"
        )
    if max(height, width) > MAX_IMAGE_SIDE:
        raise InputImageError(
            f"image of {width}x{height} pixels is too large: each side must be at most {MAX_IMAGE_SIDE} pixels"
        )
    if isinstance(image, torch.Tensor):
        if image.device != device:
            raise InputImageError(
                f"image tensor is on {image.device}, the estimator runs on {device}; pass a numpy array or a "
                f"tensor on {device}"
            )
        return image
    if any(stride < 0 for stride in image.strides):
        image = np.ascontiguousarray(image)  # torch cannot wrap negative strides (e.g. a [..., ::-1] view)
    with warnings.catch_warnings():
        # Read-only arrays (a message's buffer) are wrapped as they are: nothing here writes into the input.
        warnings.simplefilter("ignore", UserWarning)
        pixels = torch.from_numpy(image)
    return pixels.to(device) if device.type != "cpu" else pixels


def to_network_input(
    pixels: torch.Tensor, encoding: str, size: tuple[int, int], *, channels_last: bool = True
) -> torch.Tensor:
    """(H, W, C) uint8 pixels in `encoding` -> (1, 3, height, width) RGB float32 in [0, 1] for `size` = (width,
    height), on the pixels' device, in channels-last memory format when asked."""
    _, order = _layout(encoding)
    width, height = size
    if width <= 0 or height <= 0:
        raise InferenceConfigError(f"network input size must be positive, got {width}x{height}")
    # (1, C, H, W) view of the (H, W, C) buffer: channels-last strides, no copy.
    nchw = pixels.permute(2, 0, 1).unsqueeze(0)
    if tuple(nchw.shape[-2:]) == (height, width):
        images = nchw.float().div_(255.0)
    elif pixels.device.type == "cpu":
        resized = functional.interpolate(
            nchw, size=(height, width), mode="bilinear", align_corners=False, antialias=True
        )
        images = resized.float().div_(255.0)
    else:
        images = functional.interpolate(
            nchw.float().div_(255.0), size=(height, width), mode="bilinear", align_corners=False, antialias=True
        )
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    elif images.shape[1] != 3 or order != (0, 1, 2):
        images = images[:, list(order)]
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return images.contiguous(memory_format=memory_format)
