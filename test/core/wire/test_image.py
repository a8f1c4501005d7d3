"""Raw and compressed image payloads: round trips, step padding, byte order, colour conversion and typed errors."""

from __future__ import annotations

import array
import struct

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.wire import (
    ENCODINGS,
    ImageDecodeError,
    ImageLayoutError,
    UnsupportedEncodingError,
    WireFormatError,
    decode_compressed,
    decode_image,
    encode_compressed,
    encode_image,
    get_encoding,
    image_to_rgb8,
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def random_pixels(rng: np.random.Generator, encoding: str, height: int = 5, width: int = 7) -> np.ndarray:
    """A random array of exactly the encoding's dtype and shape, spanning the dtype's full range."""
    info = ENCODINGS[encoding]
    shape = (height, width) if info.channels == 1 else (height, width, info.channels)
    if info.dtype.kind == "f":
        return rng.normal(0.0, 1e3, size=shape).astype(info.dtype)
    limits = np.iinfo(info.dtype)
    return rng.integers(limits.min, limits.max, size=shape, endpoint=True, dtype=info.dtype)


def textured_rgb(height: int = 48, width: int = 64) -> np.ndarray:
    """A smooth deterministic colour image (gradients and a low-frequency pattern): jpeg-friendly content."""
    v, u = np.mgrid[0:height, 0:width].astype(np.float64)
    red = 127 + 100 * np.sin(u / 9.0)
    green = 255 * v / (height - 1)
    blue = 127 + 100 * np.cos((u + v) / 13.0)
    return np.clip(np.stack([red, green, blue], axis=-1), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------------------
# Encoding table and raw round trips


def test_table_has_the_documented_encodings() -> None:
    expected = {
        "mono8": (np.uint8, 1),
        "mono16": (np.uint16, 1),
        "rgb8": (np.uint8, 3),
        "bgr8": (np.uint8, 3),
        "rgba8": (np.uint8, 4),
        "bgra8": (np.uint8, 4),
        "16UC1": (np.uint16, 1),
        "32FC1": (np.float32, 1),
        "8UC3": (np.uint8, 3),
        "64FC1": (np.float64, 1),
    }
    for name, (dtype, channels) in expected.items():
        info = get_encoding(name)
        assert info.dtype == np.dtype(dtype)
        assert info.channels == channels
        assert info.bytes_per_pixel == np.dtype(dtype).itemsize * channels


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("bigendian", [False, True])
def test_every_encoding_round_trips(rng: np.random.Generator, encoding: str, bigendian: bool) -> None:
    pixels = random_pixels(rng, encoding)
    encoded = encode_image(pixels, encoding, bigendian=bigendian)
    info = ENCODINGS[encoding]
    assert (encoded.height, encoded.width, encoded.encoding) == (5, 7, encoding)
    assert encoded.step == 7 * info.bytes_per_pixel
    assert len(encoded.data) == 5 * encoded.step
    assert isinstance(encoded.data, bytes)
    decoded = decode_image(*encoded)
    assert decoded.dtype == info.dtype
    assert decoded.dtype.isnative
    assert decoded.shape == pixels.shape
    np.testing.assert_array_equal(decoded, pixels)


def test_encode_writes_little_and_big_endian_bytes() -> None:
    pixels = np.array([[0x0102, 0xA0B0]], dtype=np.uint16)
    assert encode_image(pixels, "mono16").data == bytes([0x02, 0x01, 0xB0, 0xA0])
    big = encode_image(pixels, "mono16", bigendian=True)
    assert big.is_bigendian == 1
    assert big.data == bytes([0x01, 0x02, 0xA0, 0xB0])


def test_encode_accepts_a_trailing_channel_axis_of_one() -> None:
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    encoded = encode_image(pixels, "mono8")
    np.testing.assert_array_equal(decode_image(*encoded), pixels[..., 0])


def test_decode_without_padding_is_a_view_of_the_data() -> None:
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = array.array("B", pixels.tobytes())  # what an rclpy message holds
    decoded = decode_image(2, 3, "rgb8", 0, 9, data)
    np.testing.assert_array_equal(decoded, pixels)
    assert np.shares_memory(decoded, np.frombuffer(data, dtype=np.uint8))


@pytest.mark.parametrize("data_type", [bytes, bytearray, list, "array", "ndarray"])
def test_decode_accepts_every_data_container(data_type: object) -> None:
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    raw = pixels.tobytes()
    data = {
        "array": lambda b: array.array("B", b),
        "ndarray": lambda b: np.frombuffer(b, dtype=np.uint8).copy(),  # what a rosbags message holds
    }.get(data_type, data_type)(raw)
    np.testing.assert_array_equal(decode_image(3, 4, "mono8", 0, 4, data), pixels)


@pytest.mark.parametrize("bigendian", [False, True])
def test_encode_writes_into_the_allocated_buffer(rng: np.random.Generator, bigendian: bool) -> None:
    pixels = random_pixels(rng, "32FC1")
    allocated: list[bytearray] = []

    def allocate(nbytes: int) -> bytearray:
        allocated.append(bytearray(nbytes))
        return allocated[-1]

    encoded = encode_image(pixels, "32FC1", bigendian=bigendian, allocate=allocate)
    assert encoded.data is allocated[0]
    assert bytes(encoded.data) == encode_image(pixels, "32FC1", bigendian=bigendian).data
    # A rosbags message wants a uint8 ndarray: allocate one and it is filled in place.
    as_ndarray = encode_image(pixels, "32FC1", allocate=lambda n: np.empty(n, np.uint8)).data
    assert isinstance(as_ndarray, np.ndarray)
    np.testing.assert_array_equal(decode_image(5, 7, "32FC1", 0, 28, as_ndarray), pixels)


def test_allocate_must_return_a_writable_buffer_of_the_right_size() -> None:
    with pytest.raises(WireFormatError, match=r"allocate\(12\) must return a writable contiguous buffer of 12 bytes"):
        encode_image(np.zeros((2, 2, 3), np.uint8), "rgb8", allocate=lambda n: bytearray(n + 1))
    with pytest.raises(WireFormatError, match=r"writable=False"):
        encode_image(np.zeros((2, 2, 3), np.uint8), "rgb8", allocate=lambda n: bytes(n))


# --------------------------------------------------------------------------------------------------------------
# Step padding and byte order (bytes built independently, row by row)


def test_decode_honours_step_padding_rgb8() -> None:
    height, width = 3, 4
    pixels = (np.arange(height * width * 3) % 251).astype(np.uint8).reshape(height, width, 3)
    step = width * 3 + 7
    data = b"".join(pixels[row].tobytes() + b"\xee" * 7 for row in range(height))
    decoded = decode_image(height, width, "rgb8", 0, step, data)
    np.testing.assert_array_equal(decoded, pixels)
    # A strided view: no copy of the padded rows.
    assert np.shares_memory(decoded, np.frombuffer(data, dtype=np.uint8))


@pytest.mark.parametrize(("encoding", "fmt"), [("mono16", "H"), ("16UC1", "H"), ("32FC1", "f")])
@pytest.mark.parametrize("padding", [0, 3])
def test_decode_big_endian(encoding: str, fmt: str, padding: int) -> None:
    height, width = 3, 5
    if fmt == "H":
        values = [[(row * 977 + col * 13_001) % 65536 for col in range(width)] for row in range(height)]
    else:
        values = [[row * 1.5 - col * 0.25 + 0.125 for col in range(width)] for row in range(height)]
    # Each row: big-endian values, then `padding` filler bytes (an odd padding leaves the rows unaligned).
    data = b"".join(struct.pack(f">{width}{fmt}", *row) + b"\x7f" * padding for row in values)
    step = width * struct.calcsize(fmt) + padding
    decoded = decode_image(height, width, encoding, 1, step, data)
    assert decoded.dtype.isnative
    np.testing.assert_array_equal(decoded, np.array(values, dtype=ENCODINGS[encoding].dtype))


@pytest.mark.parametrize(("encoding", "fmt"), [("mono16", "H"), ("32FC1", "f")])
def test_decode_little_endian_with_odd_padding(encoding: str, fmt: str) -> None:
    values = [[1, 2, 300], [40_000, 5, 65_535]] if fmt == "H" else [[1.5, -2.0, 3.25], [0.0, 1e-3, 7.0]]
    data = b"".join(struct.pack(f"<3{fmt}", *row) + b"\x00" * 5 for row in values)
    decoded = decode_image(2, 3, encoding, 0, 3 * struct.calcsize(fmt) + 5, data)
    np.testing.assert_array_equal(decoded, np.array(values, dtype=ENCODINGS[encoding].dtype))


# --------------------------------------------------------------------------------------------------------------
# Typed errors with the offending value in the message


def test_unknown_encoding() -> None:
    with pytest.raises(UnsupportedEncodingError, match=r"unknown image encoding 'yuv422_yuy2'"):
        decode_image(2, 2, "yuv422_yuy2", 0, 4, bytes(8))
    with pytest.raises(UnsupportedEncodingError, match=r"'RGB8'.*did you mean 'rgb8'"):
        encode_image(np.zeros((2, 2, 3), np.uint8), "RGB8")


def test_step_smaller_than_a_row() -> None:
    with pytest.raises(
        ImageLayoutError, match=r"step 1919 is smaller than width\*bytes_per_pixel = 1920 for 640x192 rgb8"
    ):
        decode_image(192, 640, "rgb8", 0, 1919, bytes(1919 * 192))


def test_truncated_data() -> None:
    with pytest.raises(ImageLayoutError, match=r"truncated: 100 bytes, expected height\*step = 4\*30 = 120"):
        decode_image(4, 10, "rgb8", 0, 30, bytes(100))


def test_data_larger_than_height_times_step() -> None:
    with pytest.raises(ImageLayoutError, match=r"has 121 bytes, more than height\*step = 4\*30 = 120"):
        decode_image(4, 10, "rgb8", 0, 30, bytes(121))


@pytest.mark.parametrize(("height", "width"), [(0, 10), (10, 0), (0, 0)])
def test_zero_size_image(height: int, width: int) -> None:
    with pytest.raises(ImageLayoutError, match=rf"zero-size image: {width}x{height} mono8"):
        decode_image(height, width, "mono8", 0, width, b"")
    with pytest.raises(ImageLayoutError, match="zero-size image"):
        encode_image(np.zeros((height, width), np.uint8), "mono8")


def test_dtype_must_match_encoding_exactly() -> None:
    message = r"array dtype float32 does not match encoding mono16, which needs uint16"
    with pytest.raises(ImageLayoutError, match=message):
        encode_image(np.zeros((4, 4), np.float32), "mono16")
    message = r"array dtype int64 does not match encoding 32FC1, which needs float32"
    with pytest.raises(ImageLayoutError, match=message):
        encode_image(np.zeros((4, 4), np.int64), "32FC1")


def test_channels_must_match_encoding() -> None:
    message = r"encoding rgb8 needs an array of shape \(H, W, 3\), got shape \(4, 4\)"
    with pytest.raises(ImageLayoutError, match=message):
        encode_image(np.zeros((4, 4), np.uint8), "rgb8")
    message = r"encoding mono8 needs an array of shape \(H, W\), got shape \(4, 4, 3\)"
    with pytest.raises(ImageLayoutError, match=message):
        encode_image(np.zeros((4, 4, 3), np.uint8), "mono8")


def test_data_of_ints_outside_a_byte() -> None:
    with pytest.raises(ImageLayoutError, match=r"message data must be bytes \(ints in 0..255\)"):
        decode_image(1, 2, "mono8", 0, 2, [1, 300])


def test_errors_are_value_errors() -> None:
    # Callers that already guard against ValueError keep working.
    with pytest.raises(ValueError, match="unknown image encoding"):
        decode_image(1, 1, "nope", 0, 1, b"\x00")
    assert issubclass(ImageLayoutError, WireFormatError)


# --------------------------------------------------------------------------------------------------------------
# image_to_rgb8


def test_image_to_rgb8_from_every_colour_encoding() -> None:
    rgb = textured_rgb(6, 9)
    alpha = np.full((*rgb.shape[:2], 1), 200, np.uint8)
    wide = rgb.astype(np.uint16) * 257  # 8 -> 16 bit so that the high byte is the 8-bit value
    cases = {
        "rgb8": rgb,
        "bgr8": rgb[..., ::-1],
        "rgba8": np.concatenate([rgb, alpha], axis=-1),
        "bgra8": np.concatenate([rgb[..., ::-1], alpha], axis=-1),
        "rgb16": wide,
        "bgr16": wide[..., ::-1],
        "rgba16": np.concatenate([wide, alpha.astype(np.uint16)], axis=-1),
        "bgra16": np.concatenate([wide[..., ::-1], alpha.astype(np.uint16)], axis=-1),
    }
    for encoding, pixels in cases.items():
        out = image_to_rgb8(np.ascontiguousarray(pixels), encoding)
        assert out.dtype == np.uint8, encoding
        assert out.shape == rgb.shape, encoding
        np.testing.assert_array_equal(out, rgb, err_msg=encoding)


@pytest.mark.parametrize("encoding", ["mono8", "8UC1", "mono16", "16UC1"])
def test_image_to_rgb8_from_grey(encoding: str) -> None:
    values = np.array([[0, 1, 255, 256], [4095, 32768, 65280, 65535]], dtype=np.uint16)
    if ENCODINGS[encoding].dtype == np.uint8:
        grey = (values % 256).astype(np.uint8)
        expected = grey
    else:
        grey = values
        expected = np.array([[0, 0, 0, 1], [15, 128, 255, 255]], dtype=np.uint8)  # value >> 8
    out = image_to_rgb8(grey, encoding)
    assert out.shape == (2, 4, 3)
    for channel in range(3):
        np.testing.assert_array_equal(out[..., channel], expected)


def test_image_to_rgb8_of_padded_bgr_message() -> None:
    rgb = textured_rgb(4, 5)
    data = b"".join(rgb[row, :, ::-1].tobytes() + b"\x00\x00" for row in range(4))
    pixels = decode_image(4, 5, "bgr8", 0, 17, data)
    np.testing.assert_array_equal(image_to_rgb8(pixels, "bgr8"), rgb)


@pytest.mark.parametrize("encoding", ["32FC1", "8UC3", "16SC1"])
def test_image_to_rgb8_rejects_encodings_without_colour_meaning(encoding: str, rng: np.random.Generator) -> None:
    with pytest.raises(UnsupportedEncodingError, match=rf"cannot convert {encoding} to rgb8"):
        image_to_rgb8(random_pixels(rng, encoding), encoding)


# --------------------------------------------------------------------------------------------------------------
# Compressed images


def test_png_round_trips_exactly() -> None:
    rgb = textured_rgb()
    fmt, data = encode_compressed(rgb, "png")
    assert fmt == "rgb8; png compressed bgr8"
    assert data.startswith(b"\x89PNG")
    decoded, encoding = decode_compressed(fmt, data)
    assert encoding == "rgb8"
    np.testing.assert_array_equal(decoded, rgb)


def test_png_round_trips_mono8_and_mono16() -> None:
    grey = textured_rgb()[..., 1]
    fmt, data = encode_compressed(grey, "png")
    assert fmt == "mono8; png compressed "
    decoded, encoding = decode_compressed(fmt, data)
    assert encoding == "mono8"
    np.testing.assert_array_equal(decoded, grey)
    wide = grey.astype(np.uint16) * 250
    fmt, data = encode_compressed(wide, "png")
    decoded, encoding = decode_compressed(fmt, data)
    assert (fmt, encoding, decoded.dtype) == ("mono16; png compressed ", "mono16", np.uint16)
    np.testing.assert_array_equal(decoded, wide)


def test_jpeg_round_trips_within_a_small_error() -> None:
    rgb = textured_rgb()
    fmt, data = encode_compressed(rgb, "jpeg", quality=95)
    assert fmt == "rgb8; jpeg compressed bgr8"
    assert data.startswith(b"\xff\xd8")
    decoded, encoding = decode_compressed(fmt, data)
    assert encoding == "rgb8"
    assert decoded.shape == rgb.shape
    error = np.abs(decoded.astype(np.float64) - rgb).mean()
    assert error < 2.0, error
    # A channel swap would give a huge error: check the colour order explicitly on the means.
    np.testing.assert_allclose(decoded.reshape(-1, 3).mean(0), rgb.reshape(-1, 3).mean(0), atol=2.0)


def test_plain_codec_format_decodes_to_opencv_order() -> None:
    rgb = textured_rgb()
    _, data = encode_compressed(rgb, "png")
    decoded, encoding = decode_compressed("png", data)
    assert encoding == "bgr8"
    np.testing.assert_array_equal(decoded, rgb[..., ::-1])
    # An empty format: the codec is recognised from the data.
    decoded, encoding = decode_compressed("", data)
    assert encoding == "bgr8"


def test_compressed_decodes_into_the_original_encoding() -> None:
    rgb = textured_rgb()
    _, data = encode_compressed(rgb, "png")
    bgra, encoding = decode_compressed("bgra8; png compressed bgr8", data)
    assert encoding == "bgra8"
    np.testing.assert_array_equal(bgra[..., :3], rgb[..., ::-1])
    np.testing.assert_array_equal(bgra[..., 3], 255)


def test_compressed_from_opencv_written_bytes() -> None:
    # Bytes written by OpenCV directly, as a C++ image_transport publisher would.
    rgb = textured_rgb()
    ok, png = cv2.imencode(".png", rgb[..., ::-1].copy())
    assert ok
    decoded, encoding = decode_compressed("rgb8; png compressed bgr8", png.tobytes())
    np.testing.assert_array_equal(decoded, rgb)
    assert encoding == "rgb8"


def test_corrupt_jpeg() -> None:
    with pytest.raises(ImageDecodeError, match=r"cannot decode 14 bytes as jpeg"):
        decode_compressed("jpeg", b"\xff\xd8not a jpeg\xff\xd9")


def test_jpeg_with_corrupt_headers() -> None:
    _, data = encode_compressed(textured_rgb(), "jpeg")
    corrupt = data[:2] + bytes(200) + data[202:]  # tables and frame header zeroed, markers intact at both ends
    with pytest.raises(ImageDecodeError, match=rf"cannot decode {len(data)} bytes as jpeg \(format 'jpeg'\): corrupt"):
        decode_compressed("jpeg", corrupt)


def test_truncated_jpeg() -> None:
    _, data = encode_compressed(textured_rgb(), "jpeg")
    with pytest.raises(ImageDecodeError, match=rf"jpeg data of {len(data) // 2} bytes has no end-of-image marker"):
        decode_compressed("rgb8; jpeg compressed bgr8", data[: len(data) // 2])


def test_truncated_png() -> None:
    _, data = encode_compressed(textured_rgb(), "png")
    with pytest.raises(ImageDecodeError, match=rf"cannot decode {len(data) // 2} bytes as png"):
        decode_compressed("png", data[: len(data) // 2])


def test_empty_compressed_data() -> None:
    with pytest.raises(ImageDecodeError, match=r"compressed image data is empty \(format 'jpeg'\)"):
        decode_compressed("jpeg", b"")


def test_unsupported_compressed_formats() -> None:
    with pytest.raises(UnsupportedEncodingError, match="compressedDepth"):
        decode_compressed("16UC1; compressedDepth png", b"\x00" * 20)
    with pytest.raises(UnsupportedEncodingError, match=r"unsupported compressed image format 'rgb8; webp"):
        decode_compressed("rgb8; webp compressed bgr8", b"\x00" * 20)
    with pytest.raises(UnsupportedEncodingError, match=r"unsupported compression format 'bmp'"):
        encode_compressed(textured_rgb(), "bmp")


def test_encode_compressed_rejects_bad_arguments() -> None:
    with pytest.raises(WireFormatError, match=r"jpeg quality must be an integer in 1..100, got 0"):
        encode_compressed(textured_rgb(), "jpeg", quality=0)
    with pytest.raises(ImageLayoutError, match=r"got shape \(4, 4, 3\) dtype float32"):
        encode_compressed(np.zeros((4, 4, 3), np.float32), "jpeg")
    with pytest.raises(ImageLayoutError, match=r"jpeg compression needs .* dtype uint16"):
        encode_compressed(np.zeros((4, 4), np.uint16), "jpeg")
