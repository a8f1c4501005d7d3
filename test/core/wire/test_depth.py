"""REP 118 depth: 32FC1 metres (NaN invalid, +inf beyond range) and 16UC1 millimetres (0 invalid)."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.wire import (
    MAX_DEPTH_16UC1_M,
    DepthValueError,
    ImageLayoutError,
    decode_image,
    depth_to_16uc1_mm,
    depth_to_32fc1,
    encode_image,
)


def test_32fc1_keeps_nan_and_positive_infinity() -> None:
    depth = np.array([[0.5, np.nan, np.inf], [80.0, 1e-3, 2.25]], dtype=np.float64)
    out = depth_to_32fc1(depth)
    assert out.dtype == np.float32
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, depth.astype(np.float32))


def test_32fc1_of_float32_contiguous_input_is_not_copied() -> None:
    depth = np.full((3, 4), 2.0, dtype=np.float32)
    assert depth_to_32fc1(depth) is depth


def test_32fc1_of_a_strided_view_is_contiguous() -> None:
    depth = np.arange(1, 25, dtype=np.float32).reshape(4, 6)[:, ::2]
    out = depth_to_32fc1(depth)
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, depth)


def test_32fc1_round_trips_through_an_image_payload() -> None:
    depth = np.linspace(0.1, 100.0, 48, dtype=np.float32).reshape(6, 8)
    depth[2, 3] = np.nan
    depth[4, 1] = np.inf
    decoded = decode_image(*encode_image(depth_to_32fc1(depth), "32FC1"))
    np.testing.assert_array_equal(decoded, depth)


@pytest.mark.parametrize(
    ("bad_values", "count", "minimum"),
    [([-0.5], 1, "-0.5"), ([0.0, -2.0], 2, "-2.0"), ([-np.inf, 0.0, -1.0], 3, "-inf"), ([0.0], 1, "0.0")],
)
def test_negative_zero_and_minus_infinity_are_rejected(bad_values: list[float], count: int, minimum: str) -> None:
    depth = np.full((4, 5), 3.0, dtype=np.float32)
    depth.flat[: len(bad_values)] = bad_values
    depth[3, 4] = np.nan  # NaN is allowed and not counted
    with pytest.raises(
        DepthValueError, match=rf"depth has {count} negative, zero or -inf value\(s\) \(minimum {minimum}\).*NaN"
    ):
        depth_to_32fc1(depth)
    with pytest.raises(DepthValueError, match=rf"depth has {count} negative"):
        depth_to_16uc1_mm(depth)


def test_integer_depth_is_rejected() -> None:
    with pytest.raises(DepthValueError, match=r"floating-point array in metres, got dtype uint16"):
        depth_to_32fc1(np.ones((2, 2), np.uint16))


@pytest.mark.parametrize("shape", [(4,), (1, 4, 4), (0, 4)])
def test_depth_shape_is_checked(shape: tuple[int, ...]) -> None:
    with pytest.raises(ImageLayoutError, match=r"depth"):
        depth_to_32fc1(np.ones(shape, np.float32))


def test_16uc1_millimetres_and_invalid_values() -> None:
    depth = np.array(
        [[1.0, 0.0014, 0.0016, 2.3456], [np.nan, np.inf, MAX_DEPTH_16UC1_M, 65.5356], [100.0, 0.0004, 12.0, 1e-3]]
    )
    out = depth_to_16uc1_mm(depth)
    assert out.dtype == np.uint16
    # Rounded to the nearest millimetre; NaN, +inf, > 65.535 m and < 0.5 mm are 0 ("no measurement").
    expected = np.array([[1000, 1, 2, 2346], [0, 0, 65535, 0], [0, 0, 12000, 1]], dtype=np.uint16)
    np.testing.assert_array_equal(out, expected)


def test_16uc1_round_trips_through_an_image_payload() -> None:
    depth = np.linspace(0.25, 60.0, 12).reshape(3, 4)
    millimetres = depth_to_16uc1_mm(depth)
    decoded = decode_image(*encode_image(millimetres, "16UC1", bigendian=True))
    np.testing.assert_allclose(decoded / 1000.0, depth, atol=5e-4)


def test_nan_depth_never_becomes_a_silent_integer_image() -> None:
    """NaN is REP 118's "no measurement" in 32FC1; in a millimetre image it must not turn into garbage integers."""
    depth = np.array([[1.5, np.nan], [np.nan, 2.0]], dtype=np.float32)
    with pytest.raises(ImageLayoutError, match="array dtype float32 does not match encoding 16UC1, which needs uint16"):
        encode_image(depth, "16UC1")
    millimetres = depth_to_16uc1_mm(depth)
    np.testing.assert_array_equal(millimetres, [[1500, 0], [0, 2000]])
    encoded = encode_image(depth_to_32fc1(depth), "32FC1")
    decoded = decode_image(encoded.height, encoded.width, "32FC1", encoded.is_bigendian, encoded.step, encoded.data)
    np.testing.assert_array_equal(np.isnan(decoded), np.isnan(depth))
