"""PinholeIntrinsics and resize_camera_matrix: the pixel-centre convention checked against OpenCV and torch."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
import torch
from torch.nn import functional

from mono_depth_ros.core.geometry import IntrinsicsError, PinholeIntrinsics, ShapeError, resize_camera_matrix

KITTI_LIKE = PinholeIntrinsics(fx=721.5, fy=720.0, cx=609.6, cy=172.9, width=1242, height=375)


def _ramp(height: int, width: int) -> np.ndarray:
    """A float32 image whose value at every pixel is its column u (channel 0) and row v (channel 1)."""
    v, u = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack((u, v), axis=-1)


def _original_coordinates(resized: PinholeIntrinsics, original: PinholeIntrinsics) -> np.ndarray:
    """Where each pixel of the resized image looks in the original one, following rays through the intrinsics."""
    v, u = np.mgrid[0 : resized.height, 0 : resized.width].astype(np.float64)
    return np.stack(
        (
            (u - resized.cx) / resized.fx * original.fx + original.cx,
            (v - resized.cy) / resized.fy * original.fy + original.cy,
        ),
        axis=-1,
    )


@pytest.mark.parametrize(("width", "height"), [(40, 30), (128, 96), (37, 23)])
def test_resized_intrinsics_follow_cv2_resize(width: int, height: int) -> None:
    original = PinholeIntrinsics(fx=50.0, fy=45.0, cx=31.2, cy=22.7, width=64, height=48)
    resized = original.resized(width, height)
    image = cv2.resize(_ramp(original.height, original.width), (width, height), interpolation=cv2.INTER_LINEAR)
    expected = _original_coordinates(resized, original)
    # The ramp is linear, so bilinear resampling is exact away from the clamped border.
    interior = (slice(2, -2), slice(2, -2))
    np.testing.assert_allclose(image[interior], expected[interior], atol=1e-4)


def test_resized_intrinsics_follow_torch_interpolate() -> None:
    original = PinholeIntrinsics(fx=50.0, fy=45.0, cx=31.2, cy=22.7, width=64, height=48)
    resized = original.resized(40, 30)
    ramp = torch.from_numpy(_ramp(48, 64)).permute(2, 0, 1)[None]
    image = functional.interpolate(ramp, size=(30, 40), mode="bilinear", align_corners=False)[0].permute(1, 2, 0)
    expected = _original_coordinates(resized, original)
    np.testing.assert_allclose(image.numpy()[2:-2, 2:-2], expected[2:-2, 2:-2], atol=1e-4)


def test_resize_hand_worked_halving() -> None:
    # Pixels 0 and 1 merge into pixel 0 whose centre is at original u = 0.5: cx 0.5 -> 0.
    halved = PinholeIntrinsics(10.0, 10.0, 0.5, 2.5, 4, 6).resized(2, 3)
    assert halved == PinholeIntrinsics(5.0, 5.0, 0.0, 1.0, 2, 3)


def test_cropped_intrinsics_follow_array_slicing() -> None:
    original = PinholeIntrinsics(fx=50.0, fy=45.0, cx=31.2, cy=22.7, width=64, height=48)
    cropped = original.cropped(left=5, top=7, width=30, height=20)
    image = _ramp(48, 64)[7:27, 5:35]
    np.testing.assert_allclose(image, _original_coordinates(cropped, original), atol=1e-4)


def test_normalised_round_trip_and_centred_camera() -> None:
    restored = PinholeIntrinsics.from_normalised(*KITTI_LIKE.normalised(), 1242, 375)
    np.testing.assert_allclose(dataclasses.astuple(restored), dataclasses.astuple(KITTI_LIKE), rtol=1e-12)
    centred = PinholeIntrinsics.from_normalised(0.5, 0.5, 0.5, 0.5, 640, 480)
    assert (centred.cx, centred.cy) == (319.5, 239.5)


def test_normalised_values_are_size_independent() -> None:
    resized = KITTI_LIKE.resized(640, 192)
    np.testing.assert_allclose(resized.normalised(), KITTI_LIKE.normalised(), rtol=1e-12)


def test_matrix_forms_agree() -> None:
    expected = np.array([[721.5, 0.0, 609.6], [0.0, 720.0, 172.9], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(KITTI_LIKE.as_array(), expected)
    matrix = KITTI_LIKE.matrix(dtype=torch.float64)
    assert matrix.dtype == torch.float64
    np.testing.assert_array_equal(matrix.numpy(), expected)
    assert PinholeIntrinsics.from_matrix(matrix, 1242, 375) == KITTI_LIKE


def test_from_projection_matrix_uses_left_block() -> None:
    projection = np.hstack((KITTI_LIKE.as_array(), [[44.9], [0.2], [0.003]]))
    assert PinholeIntrinsics.from_matrix(projection, 1242, 375) == KITTI_LIKE


def test_sizes_and_values_are_stored_as_plain_numbers() -> None:
    intrinsics = PinholeIntrinsics(np.float32(5.0), 5.0, 2.0, 2.0, np.int64(8), 6.0)
    assert type(intrinsics.fx) is float
    assert type(intrinsics.width) is int
    assert type(intrinsics.height) is int


@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_resize_camera_matrix_matches_dataclass(batch: tuple[int, ...]) -> None:
    matrix = KITTI_LIKE.matrix(dtype=torch.float64).expand(*batch, 3, 3).clone()
    resized = resize_camera_matrix(matrix, 640 / 1242, 192 / 375)
    assert resized.shape == (*batch, 3, 3)
    expected = KITTI_LIKE.resized(640, 192).matrix(dtype=torch.float64)
    torch.testing.assert_close(resized, expected.expand(*batch, 3, 3))
    torch.testing.assert_close(matrix, KITTI_LIKE.matrix(dtype=torch.float64).expand(*batch, 3, 3))


def test_resize_camera_matrix_is_differentiable() -> None:
    matrix = KITTI_LIKE.matrix(dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda k: resize_camera_matrix(k, 0.5, 0.25), (matrix,))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((float("nan"), 1.0, 0.0, 0.0, 4, 4), "fx must be finite, got nan"),
        (("a", 1.0, 0.0, 0.0, 4, 4), "fx must be a number, got 'a'"),
        ((1.0, 1.0, float("inf"), 0.0, 4, 4), "cx must be finite"),
        ((1.0, -2.0, 0.0, 0.0, 4, 4), r"focal lengths must be positive, got fx=1.0, fy=-2.0"),
        ((1.0, 1.0, 0.0, 0.0, 0, 4), "image width must be a positive integer, got 0"),
        ((1.0, 1.0, 0.0, 0.0, 4, 2.5), "image height must be a positive integer, got 2.5"),
        ((1.0, 1.0, 0.0, 0.0, True, 4), "image width must be a positive integer, got True"),
    ],
)
def test_invalid_values_are_rejected(arguments: tuple[object, ...], message: str) -> None:
    with pytest.raises(IntrinsicsError, match=message):
        PinholeIntrinsics(*arguments)


def test_from_matrix_rejects_what_it_cannot_represent() -> None:
    with pytest.raises(IntrinsicsError, match=r"3x3 \(K\) or 3x4 \(P\), got shape \(2, 3\)"):
        PinholeIntrinsics.from_matrix(np.zeros((2, 3)), 4, 4)
    skewed = np.array([[10.0, 0.5, 2.0], [0.0, 10.0, 2.0], [0.0, 0.0, 1.0]])
    with pytest.raises(IntrinsicsError, match=r"skew K\[0, 1\]=0.5"):
        PinholeIntrinsics.from_matrix(skewed, 4, 4)
    scaled = 2 * np.eye(3)
    with pytest.raises(IntrinsicsError, match=r"must have the form"):
        PinholeIntrinsics.from_matrix(scaled, 4, 4)
    with pytest.raises(IntrinsicsError, match="must be finite"):
        PinholeIntrinsics.from_matrix(np.full((3, 3), np.nan), 4, 4)


def test_bad_resize_and_crop_are_rejected() -> None:
    with pytest.raises(IntrinsicsError, match="resize target must be positive, got 0x10"):
        KITTI_LIKE.resized(0, 10)
    with pytest.raises(IntrinsicsError, match=r"crop \(left=1240, top=0, width=10, height=10\) must lie inside"):
        KITTI_LIKE.cropped(1240, 0, 10, 10)
    with pytest.raises(IntrinsicsError, match="scale_y must be a positive finite factor, got -1"):
        resize_camera_matrix(torch.eye(3), 1.0, -1.0)
    with pytest.raises(ShapeError, match=r"matrix must have shape \(\*, 3, 3\), got \(3, 4\)"):
        resize_camera_matrix(torch.zeros(3, 4), 1.0, 1.0)
