"""Image files read as RGB: colour, grey and alpha files, and the errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mono_depth_ros.data.image_files import ImageFileError, read_rgb_image


def test_colour_grey_and_alpha_files_come_back_as_rgb(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "colour.png"), rgb[..., ::-1])
    np.testing.assert_array_equal(read_rgb_image(tmp_path / "colour.png"), rgb)
    cv2.imwrite(str(tmp_path / "grey.png"), rgb[..., 0])
    np.testing.assert_array_equal(read_rgb_image(tmp_path / "grey.png"), np.repeat(rgb[..., :1], 3, axis=2))
    bgra = np.concatenate([rgb[..., ::-1], np.full((5, 7, 1), 128, np.uint8)], axis=2)
    cv2.imwrite(str(tmp_path / "alpha.png"), bgra)
    np.testing.assert_array_equal(read_rgb_image(tmp_path / "alpha.png"), rgb)


def test_errors_name_the_file(tmp_path):
    with pytest.raises(ImageFileError, match=r"image .*gone\.png does not exist"):
        read_rgb_image(tmp_path / "gone.png")
    with pytest.raises(ImageFileError, match=r"image .* is not a file"):
        read_rgb_image(tmp_path)
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ImageFileError, match=r"cannot read image .*text\.png: not an image format OpenCV can decode"):
        read_rgb_image(tmp_path / "text.png")
