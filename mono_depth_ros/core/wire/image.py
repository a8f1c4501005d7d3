"""Raw and compressed image payloads (sensor_msgs/Image, sensor_msgs/CompressedImage) <-> numpy arrays.

ROS-free: the functions take the message *fields* (or, for the `*_message` helpers, any object that has them), so
rclpy messages and `rosbags` message dataclasses go through the same code.

Array layout: a single-channel encoding is an (H, W) array, a multi-channel one (H, W, C), in the dtype the
encoding names (mono16 -> uint16, 32FC1 -> float32, ...) in native byte order. Conversions never cast silently:
an array whose dtype or channel count does not match the encoding is an error that names both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import cv2
import numpy as np

from mono_depth_ros.core.wire.buffers import (
    Allocator,
    BytesLike,
    as_byte_array,
    exact_payload,
    finish_output,
    new_output,
)
from mono_depth_ros.core.wire.errors import (
    ImageDecodeError,
    ImageLayoutError,
    UnsupportedEncodingError,
    WireFormatError,
)

__all__ = [
    "ENCODINGS",
    "EncodedImage",
    "ImageEncoding",
    "decode_compressed",
    "decode_compressed_message",
    "decode_image",
    "decode_image_message",
    "encode_compressed",
    "encode_image",
    "get_encoding",
    "image_to_rgb8",
]


@dataclass(frozen=True)
class ImageEncoding:
    """One `sensor_msgs/image_encodings` entry.

    `colour` is the channel order for colour conversions ("mono", "rgb", "bgr", "rgba", "bgra"), or None for the
    generic OpenCV-style encodings (8UC3, 32FC1, ...) whose channels carry no colour meaning.
    """

    name: str
    dtype: np.dtype
    channels: int
    colour: str | None

    @property
    def bytes_per_pixel(self) -> int:
        return self.dtype.itemsize * self.channels


def _build_table() -> dict[str, ImageEncoding]:
    table: dict[str, ImageEncoding] = {}
    for name, dtype, channels, colour in (
        ("mono8", np.uint8, 1, "mono"),
        ("mono16", np.uint16, 1, "mono"),
        ("rgb8", np.uint8, 3, "rgb"),
        ("bgr8", np.uint8, 3, "bgr"),
        ("rgba8", np.uint8, 4, "rgba"),
        ("bgra8", np.uint8, 4, "bgra"),
        ("rgb16", np.uint16, 3, "rgb"),
        ("bgr16", np.uint16, 3, "bgr"),
        ("rgba16", np.uint16, 4, "rgba"),
        ("bgra16", np.uint16, 4, "bgra"),
    ):
        table[name] = ImageEncoding(name, np.dtype(dtype), channels, colour)
    # The generic encodings, named as in sensor_msgs/image_encodings.hpp (8UC1 ... 64FC4).
    for prefix, dtype in (
        ("8U", np.uint8),
        ("8S", np.int8),
        ("16U", np.uint16),
        ("16S", np.int16),
        ("32S", np.int32),
        ("32F", np.float32),
        ("64F", np.float64),
    ):
        for channels in (1, 2, 3, 4):
            name = f"{prefix}C{channels}"
            table[name] = ImageEncoding(name, np.dtype(dtype), channels, None)
    return table


#: Every supported encoding by its ROS name (case-sensitive, as in sensor_msgs/image_encodings).
ENCODINGS: Mapping[str, ImageEncoding] = MappingProxyType(_build_table())


class EncodedImage(NamedTuple):
    """The payload fields of a sensor_msgs/Image (everything but the header).

    `data` is bytes, or the buffer the caller's `allocate` returned (see core.wire.buffers).
    """

    height: int
    width: int
    encoding: str
    is_bigendian: int
    step: int
    data: BytesLike


def get_encoding(encoding: str) -> ImageEncoding:
    """The table entry for `encoding`, or UnsupportedEncodingError naming it and the supported ones."""
    info = ENCODINGS.get(encoding)
    if info is None:
        raise UnsupportedEncodingError(
            f"unknown image encoding {encoding!r}; supported: {', '.join(ENCODINGS)}"
            + (f" (did you mean {encoding.lower()!r}?)" if encoding.lower() in ENCODINGS else "")
        )
    return info


def decode_image(height: int, width: int, encoding: str, is_bigendian: bool | int, step: int, data: Any) -> np.ndarray:
    """The pixels of a sensor_msgs/Image as an (H, W) or (H, W, C) array of the encoding's dtype.

    Rows padded beyond width * bytes_per_pixel (`step` larger than a row) are skipped through a strided view, so
    little-endian data is returned *without a copy*: the result shares memory with `data` (copy it before mutating
    the message). Big-endian multi-byte data is byte-swapped into a new native-order array.
    """
    info = get_encoding(encoding)
    height, width, step = int(height), int(width), int(step)
    if height <= 0 or width <= 0:
        raise ImageLayoutError(f"zero-size image: {width}x{height} {encoding}")
    row_bytes = width * info.bytes_per_pixel
    if step < row_bytes:
        raise ImageLayoutError(
            f"step {step} is smaller than width*bytes_per_pixel = {row_bytes} for {width}x{height} {encoding}"
        )
    expected = height * step
    buffer = exact_payload(
        data,
        expected,
        what="image data",
        rule=f"height*step = {height}*{step} = {expected} for {width}x{height} {encoding}",
        error=ImageLayoutError,
    )
    itemsize = info.dtype.itemsize
    dtype = info.dtype.newbyteorder(">" if is_bigendian else "<") if itemsize > 1 else info.dtype
    pixels = np.ndarray(
        (height, width, info.channels),
        dtype=dtype,
        buffer=buffer,
        strides=(step, info.bytes_per_pixel, itemsize),
    )
    if info.channels == 1:
        pixels = pixels[..., 0]
    if not dtype.isnative:
        pixels = pixels.astype(dtype.newbyteorder("="))
    return pixels


def decode_image_message(msg: Any) -> np.ndarray:
    """`decode_image` on any object with the sensor_msgs/Image fields (rclpy message, rosbags dataclass)."""
    return decode_image(msg.height, msg.width, msg.encoding, msg.is_bigendian, msg.step, msg.data)


def _check_array(array: Any, info: ImageEncoding) -> np.ndarray:
    """`array` as an ndarray of exactly the encoding's shape and dtype (a trailing channel axis of 1 is dropped)."""
    pixels = np.asarray(array)
    if info.channels == 1 and pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    expected_ndim = 2 if info.channels == 1 else 3
    if pixels.ndim != expected_ndim or (info.channels > 1 and pixels.shape[2] != info.channels):
        wanted = "(H, W)" if info.channels == 1 else f"(H, W, {info.channels})"
        raise ImageLayoutError(f"encoding {info.name} needs an array of shape {wanted}, got shape {pixels.shape}")
    if pixels.dtype.newbyteorder("=") != info.dtype:
        raise ImageLayoutError(
            f"array dtype {pixels.dtype} does not match encoding {info.name}, which needs {info.dtype}; "
            "convert the array explicitly (no implicit cast)"
        )
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ImageLayoutError(f"zero-size image: {pixels.shape[1]}x{pixels.shape[0]} {info.name}")
    return pixels


def encode_image(
    array: Any, encoding: str, *, bigendian: bool = False, allocate: Allocator | None = None
) -> EncodedImage:
    """The sensor_msgs/Image payload for `array` ((H, W) or (H, W, C)) in `encoding`, rows unpadded.

    The array's dtype and channel count must match the encoding exactly (uint16 (H, W) for mono16, ...).
    `allocate(nbytes)`, when given, provides the buffer the pixels are written into (returned as `data`);
    otherwise `data` is bytes.
    """
    info = get_encoding(encoding)
    pixels = _check_array(array, info)
    dtype = info.dtype.newbyteorder(">" if bigendian else "<") if info.dtype.itemsize > 1 else info.dtype
    height, width = (int(n) for n in pixels.shape[:2])
    step = width * info.bytes_per_pixel
    view, target = new_output(height * step, allocate)
    # One pass: copy (and byte-swap when the wire order is not the host's) straight into the output.
    np.copyto(view.view(dtype).reshape(pixels.shape), pixels, casting="equiv")
    return EncodedImage(height, width, encoding, int(bool(bigendian)), step, finish_output(view, target))


# OpenCV's colour conversion codes between the channel orders of the table ("mono" is OpenCV's GRAY).
def _cvt_code(source: str, target: str) -> int:
    def cv_name(order: str) -> str:
        return "GRAY" if order == "mono" else order.upper()

    return int(getattr(cv2, f"COLOR_{cv_name(source)}2{cv_name(target)}"))


def _reorder(pixels: np.ndarray, source: str, target: str) -> np.ndarray:
    """`pixels` in channel order `source` converted to `target` (same dtype); a new contiguous array."""
    if source == target:
        return np.ascontiguousarray(pixels)
    if source == "rgba" and target == "rgb":
        return np.ascontiguousarray(pixels[..., :3])
    return cv2.cvtColor(np.ascontiguousarray(pixels), _cvt_code(source, target))


def image_to_rgb8(array: Any, encoding: str) -> np.ndarray:
    """An image of a colour or mono encoding as (H, W, 3) uint8 RGB.

    Supports mono8/16, rgb/bgr/rgba/bgra 8/16 and the single-channel 8UC1/16UC1 (shown as grey). 16-bit values are
    reduced to 8 bit by keeping the high byte (value >> 8), as cv_bridge does: a fixed mapping of the full 16-bit
    range, not a per-image normalisation. An rgb8 array comes back as is (shared memory); everything else is new.
    Generic multi-channel encodings (8UC3, ...) have no channel order and float encodings no display range, so they
    raise UnsupportedEncodingError.
    """
    info = get_encoding(encoding)
    pixels = _check_array(array, info)
    colour = info.colour
    if colour is None and info.channels == 1 and info.dtype in (np.dtype(np.uint8), np.dtype(np.uint16)):
        colour = "mono"
    if colour is None:
        raise UnsupportedEncodingError(
            f"cannot convert {encoding} to rgb8: only mono, colour (rgb/bgr/rgba/bgra) and 8UC1/16UC1 images have a "
            "defined colour meaning"
        )
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    if colour == "rgb":
        return pixels
    return _reorder(pixels, colour, "rgb")


# ----------------------------------------------------------------------------------------------------------------
# Compressed images (image_transport's "compressed" transport)

_JPEG_MAGIC = b"\xff\xd8"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _parse_format(fmt: str) -> tuple[str | None, str, bool]:
    """(original encoding or None, codec "jpeg"|"png", whether the stored channels are bgr) from a format string.

    image_transport writes "<encoding>; <codec> compressed <stored encoding>" (e.g. "rgb8; jpeg compressed bgr8",
    "mono8; png compressed "); older publishers and many tools write just the codec ("jpeg", "png").
    """
    text = str(fmt).strip()
    original: str | None = None
    rest = text
    if ";" in text:
        head, _, rest = text.partition(";")
        original = head.strip() or None
    rest = rest.strip().lower()
    if "compresseddepth" in rest.replace(" ", ""):
        raise UnsupportedEncodingError(
            f"compressed format {fmt!r} is compressedDepth (image_transport's depth codec), which is not supported; "
            "subscribe to the raw depth image instead"
        )
    codec_token = rest.split()[0] if rest else ""
    codecs = {"jpeg": "jpeg", "jpg": "jpeg", "png": "png", "": ""}
    if codec_token not in codecs:
        raise UnsupportedEncodingError(f"unsupported compressed image format {fmt!r}: expected jpeg or png")
    stored_bgr = "compressed bgr" in rest or "compressed" not in rest
    return original, codecs[codec_token], stored_bgr


def decode_compressed(fmt: str, data: Any) -> tuple[np.ndarray, str]:
    """(pixels, encoding) of a sensor_msgs/CompressedImage, decoded with OpenCV (jpeg, png; 8 or 16 bit).

    When the format names the original encoding ("rgb8; jpeg compressed bgr8"), the pixels come back in it, as
    image_transport's compressed subscriber does; otherwise in OpenCV's order (bgr8, bgra8, mono8, mono16, ...).
    Corrupt, truncated or empty data raises ImageDecodeError.
    """
    original, codec, stored_bgr = _parse_format(fmt)
    buffer = as_byte_array(data, ImageLayoutError)
    if buffer.size == 0:
        raise ImageDecodeError(f"compressed image data is empty (format {fmt!r})")
    head = buffer[:8].tobytes()
    if not codec:
        codec = "jpeg" if head.startswith(_JPEG_MAGIC) else "png" if head.startswith(_PNG_MAGIC) else ""
        if not codec:
            raise ImageDecodeError(f"format {fmt!r} names no codec and the data is neither jpeg nor png")
    if codec == "jpeg" and buffer.size >= 2 and buffer[-2:].tobytes() != b"\xff\xd9":
        # libjpeg "decodes" a truncated file into a partly grey image with only a warning; a missing end-of-image
        # marker is how truncation shows.
        raise ImageDecodeError(
            f"jpeg data of {buffer.size} bytes has no end-of-image marker (format {fmt!r}): truncated or corrupt"
        )
    pixels = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        raise ImageDecodeError(f"cannot decode {buffer.size} bytes as {codec} (format {fmt!r}): corrupt data")
    depth = {np.dtype(np.uint8): "8", np.dtype(np.uint16): "16"}.get(pixels.dtype)
    if depth is None:
        raise ImageDecodeError(f"decoded {codec} has unsupported pixel type {pixels.dtype} (format {fmt!r})")
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    stored = {1: "mono", 3: "bgr" if stored_bgr else "rgb", 4: "bgra" if stored_bgr else "rgba"}.get(channels)
    if stored is None:
        raise ImageDecodeError(f"decoded {codec} has {channels} channels (format {fmt!r})")
    native_encoding = f"{stored}{depth}"
    target = ENCODINGS.get(original) if original else None
    if target is None or target.dtype != pixels.dtype:
        return pixels, native_encoding
    if target.colour is not None:
        return _reorder(pixels, stored, target.colour), target.name
    if target.channels == channels:
        # A generic encoding (16UC1, 8UC3, ...): same bytes, the original label.
        return pixels, target.name
    return pixels, native_encoding


def decode_compressed_message(msg: Any) -> tuple[np.ndarray, str]:
    """`decode_compressed` on any object with the sensor_msgs/CompressedImage fields."""
    return decode_compressed(msg.format, msg.data)


def encode_compressed(array: Any, fmt: str = "jpeg", quality: int = 90, *, png_level: int = 3) -> tuple[str, bytes]:
    """(format string, bytes) of a sensor_msgs/CompressedImage, as image_transport's compressed publisher writes.

    `array`: (H, W, 3) uint8 RGB ("rgb8; jpeg compressed bgr8"), (H, W) uint8 grey ("mono8; jpeg compressed ") or,
    for png only, (H, W) uint16 ("mono16; png compressed "). `quality` (1..100) is the jpeg quality, `png_level`
    (0..9) the png compression level (lossless at every level; higher is smaller and slower).
    """
    codec = str(fmt).strip().lower()
    codec = "jpeg" if codec == "jpg" else codec
    if codec not in ("jpeg", "png"):
        raise UnsupportedEncodingError(f"unsupported compression format {fmt!r}: expected 'jpeg' or 'png'")
    pixels = np.asarray(array)
    if pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.dtype == np.uint8:
        encoding, stored, data = "rgb8", "bgr8", cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2BGR)
    elif pixels.ndim == 2 and pixels.dtype == np.uint8:
        encoding, stored, data = "mono8", "", np.ascontiguousarray(pixels)
    elif pixels.ndim == 2 and pixels.dtype == np.uint16 and codec == "png":
        encoding, stored, data = "mono16", "", np.ascontiguousarray(pixels)
    else:
        raise ImageLayoutError(
            f"{codec} compression needs an (H, W, 3) uint8 RGB or (H, W) uint8 grey array"
            + (" (or (H, W) uint16 for png)" if codec == "png" else "")
            + f", got shape {pixels.shape} dtype {pixels.dtype}"
        )
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise ImageLayoutError(f"zero-size image: {data.shape[1]}x{data.shape[0]}")
    if codec == "jpeg":
        if isinstance(quality, bool) or not 1 <= int(quality) <= 100 or int(quality) != quality:
            raise WireFormatError(f"jpeg quality must be an integer in 1..100, got {quality!r}")
        ok, encoded = cv2.imencode(".jpg", data, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    else:
        if isinstance(png_level, bool) or not 0 <= int(png_level) <= 9 or int(png_level) != png_level:
            raise WireFormatError(f"png compression level must be an integer in 0..9, got {png_level!r}")
        ok, encoded = cv2.imencode(".png", data, [cv2.IMWRITE_PNG_COMPRESSION, int(png_level)])
    if not ok:
        raise ImageDecodeError(f"OpenCV failed to encode a {data.shape} {data.dtype} image as {codec}")
    return f"{encoding}; {codec} compressed {stored}", encoded.tobytes()
