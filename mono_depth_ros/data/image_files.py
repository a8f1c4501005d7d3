"""Image files on disk as RGB arrays (PNG, JPEG, anything OpenCV decodes)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mono_depth_ros.errors import MonoDepthError


class ImageFileError(MonoDepthError):
    """An image file is missing or cannot be decoded."""


def read_rgb_image(path: Path | str) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a colour or grey image file (grey is replicated, alpha dropped)."""
    path = Path(path)
    if not path.is_file():
        raise ImageFileError(f"image {path} does not exist" if not path.exists() else f"image {path} is not a file")
    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if pixels is None:
        raise ImageFileError(f"cannot read image {path}: not an image format OpenCV can decode")
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
