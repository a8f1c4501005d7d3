"""The decoded-frame cache: every frame of an image topic, decoded once at the training size, in one memory-mapped
uint8 array per bag, topic and size, reused across epochs and runs.

An entry is two files in the cache folder: `<key>.frames` (N x H x W x 3 bytes) and `<key>.json` (stamps, the
camera_info segment of each frame, the intrinsics at the training size, and the bag's fingerprint). The key names
the bag's path, the topics and the size; the fingerprint (size and modification time of every file of the bag)
invalidates the entry when the bag changes. Both files are written atomically, the JSON last, so an interrupted
build leaves no entry that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mono_depth_ros.atomic import atomic_write
from mono_depth_ros.core.wire import CameraModel
from mono_depth_ros.core.wire.errors import WireFormatError
from mono_depth_ros.core.wire.stamps import stamp_ns
from mono_depth_ros.data.bag.frames import message_to_rgb
from mono_depth_ros.data.bag.reading import iter_messages
from mono_depth_ros.data.training.cameras import CameraTimeline, FrameGeometry, ImageFit, Rectify, plan_geometry
from mono_depth_ros.data.training.errors import BagDataError

__all__ = ["CACHE_FORMAT", "CachedFrames", "FrameSource", "bag_fingerprint", "default_cache_dir", "load_frames"]

CACHE_FORMAT = 1
"""Bumped when the entry layout or the decoding changes (older entries are then rebuilt)."""


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/mono_depth_ros/frames (~/.cache/mono_depth_ros/frames)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mono_depth_ros" / "frames"


def bag_fingerprint(bag: Path) -> list[list[object]]:
    """(relative name, size, modification time) of every file of the bag: changes when the bag does."""
    files = [bag] if bag.is_file() else sorted(p for p in bag.rglob("*") if p.is_file())
    return [[str(p.relative_to(bag)) if p != bag else p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in files]


@dataclass(frozen=True)
class FrameSource:
    """One camera of one bag at one training size: what a cache entry holds."""

    bag: Path
    image_topic: str
    info_topic: str
    width: int
    height: int
    fit: ImageFit = ImageFit.RESIZE
    rectify: Rectify = Rectify.AUTO

    def key(self) -> str:
        identity = [
            CACHE_FORMAT, str(self.bag.resolve()), self.image_topic, self.info_topic, self.width, self.height,
            ImageFit(self.fit).value, Rectify(self.rectify).value,
        ]  # fmt: skip
        return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class CachedFrames:
    """The decoded frames of one `FrameSource`, in bag order."""

    pixels: np.ndarray
    """(N, H, W, 3) uint8 RGB at the training size (read-only, memory-mapped)."""
    stamps_ns: np.ndarray
    """(N,) int64 header stamps."""
    segments: np.ndarray
    """(N,) int32: the camera_info segment of each frame (index into camera_matrices)."""
    camera_matrices: np.ndarray
    """(S, 3, 3) float64 K of each segment at the training size."""
    baselines: np.ndarray
    """(S,) metres, -P[0, 3] / P[0, 0] of each segment (non-zero for the right camera of a pair)."""
    messages: int
    """Image messages in the bag on the topic."""
    before_camera_info: int
    """Frames skipped because no camera_info had been seen at their stamp."""
    from_cache: bool

    def __len__(self) -> int:
        return int(self.stamps_ns.shape[0])


def load_frames(source: FrameSource, cache_dir: Path, *, progress: Callable[[int], None] | None = None) -> CachedFrames:
    """The frames of `source`, from the cache when its entry is current, else decoded into a new entry.

    `progress(frames_decoded)` is called while decoding."""
    cache_dir = Path(cache_dir)
    key = source.key()
    index_path, frames_path = cache_dir / f"{key}.json", cache_dir / f"{key}.frames"
    fingerprint = bag_fingerprint(source.bag)
    cached = _open_entry(index_path, frames_path, fingerprint, source)
    if cached is not None:
        return cached
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BagDataError(f"cannot create the frame cache folder {cache_dir}: {error.strerror}") from None
    _build_entry(source, index_path, frames_path, fingerprint, progress)
    built = _open_entry(index_path, frames_path, fingerprint, source)
    if built is None:
        raise BagDataError(f"the frame cache entry {index_path} could not be read back after writing it")
    return CachedFrames(**{**built.__dict__, "from_cache": False})


def _open_entry(index_path: Path, frames_path: Path, fingerprint: list, source: FrameSource) -> CachedFrames | None:
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if index.get("format") != CACHE_FORMAT or index.get("fingerprint") != fingerprint:
        return None
    count = int(index["count"])
    shape = (count, source.height, source.width, 3)
    try:
        if frames_path.stat().st_size != int(np.prod(shape)):
            return None
    except OSError:
        return None
    pixels = np.memmap(frames_path, dtype=np.uint8, mode="r", shape=shape) if count else np.zeros(shape, np.uint8)
    return CachedFrames(
        pixels=pixels,
        stamps_ns=np.array(index["stamps_ns"], dtype=np.int64).reshape(count),
        segments=np.array(index["segments"], dtype=np.int32).reshape(count),
        camera_matrices=np.array(index["camera_matrices"], dtype=np.float64).reshape(-1, 3, 3),
        baselines=np.array(index["baselines"], dtype=np.float64).reshape(-1),
        messages=int(index["messages"]),
        before_camera_info=int(index["before_camera_info"]),
        from_cache=True,
    )


def _camera_timeline(source: FrameSource) -> CameraTimeline:
    stamps, models = [], []
    for item in iter_messages(source.bag, [source.info_topic]):
        try:
            models.append(CameraModel.from_message(item.message))
        except (WireFormatError, AttributeError, TypeError) as error:
            raise BagDataError(
                f"bag {source.bag}, topic {source.info_topic} at {item.stamp_ns} ns is not a usable camera_info: "
                f"{error}"
            ) from None
        stamps.append(stamp_ns(item.message.header))
    return CameraTimeline(stamps, models)


def _build_entry(
    source: FrameSource,
    index_path: Path,
    frames_path: Path,
    fingerprint: list,
    progress: Callable[[int], None] | None,
) -> None:
    timeline = _camera_timeline(source)
    geometries: dict[int, FrameGeometry] = {}
    stamps: list[int] = []
    segments: list[int] = []
    messages = before_info = 0
    with atomic_write(frames_path) as stream:
        for item in iter_messages(source.bag, [source.image_topic]):
            messages += 1
            stamp = stamp_ns(item.message.header)
            segment = timeline.segment_at(stamp)
            if segment < 0:
                before_info += 1
                continue
            if segment not in geometries:
                model = timeline.models[segment]
                geometries[segment] = plan_geometry(
                    model, source.image_topic, source.width, source.height, ImageFit(source.fit),
                    Rectify(source.rectify),
                )  # fmt: skip
            try:
                rgb = message_to_rgb(item.message)
            except WireFormatError as error:
                raise BagDataError(f"bag {source.bag}, topic {source.image_topic} at {stamp} ns: {error}") from None
            try:
                frame = geometries[segment].apply(rgb)
            except BagDataError as error:
                raise BagDataError(f"bag {source.bag}, topic {source.image_topic} at {stamp} ns: {error}") from None
            stream.write(frame.tobytes())
            stamps.append(stamp)
            segments.append(segment)
            if progress is not None:
                progress(len(stamps))
    used = sorted(geometries)
    renumber = {segment: position for position, segment in enumerate(used)}
    index = {
        "format": CACHE_FORMAT,
        "bag": str(source.bag.resolve()),
        "image_topic": source.image_topic,
        "info_topic": source.info_topic,
        "fingerprint": fingerprint,
        "count": len(stamps),
        "stamps_ns": stamps,
        "segments": [renumber[s] for s in segments],
        "camera_matrices": [geometries[s].intrinsics.as_array().tolist() for s in used],
        "baselines": [timeline.models[s].stereo_baseline() for s in used],
        "messages": messages,
        "before_camera_info": before_info,
    }
    with atomic_write(index_path, "w") as stream:
        json.dump(index, stream)
