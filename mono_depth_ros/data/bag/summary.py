"""What a rosbag2 holds: topics, types, counts, time span; read back with `rosbags` (no ROS needed)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from rosbags.highlevel import AnyReader

from mono_depth_ros.data.bag.errors import BagError


class TopicSummary(NamedTuple):
    name: str
    msgtype: str
    count: int


class BagSummary(NamedTuple):
    path: Path
    storage: str
    topics: tuple[TopicSummary, ...]
    start_ns: int
    end_ns: int
    size_bytes: int

    @property
    def duration_s(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9

    def count(self, topic: str) -> int:
        """Messages on `topic` (0 when the bag does not have it)."""
        return next((t.count for t in self.topics if t.name == topic), 0)

    def format(self) -> str:
        """A human-readable table, as `ros2 bag info` would show."""
        width = max((len(t.name) for t in self.topics), default=5)
        type_width = max((len(t.msgtype) for t in self.topics), default=4)
        lines = [
            f"bag       {self.path}",
            f"storage   {self.storage}, {self.size_bytes / 1e6:.1f} MB",
            f"duration  {self.duration_s:.2f} s, {sum(t.count for t in self.topics)} messages",
            f"{'topic':<{width}}  {'type':<{type_width}}  {'count':>6}  {'rate':>9}",
        ]
        for topic in self.topics:
            rate = (topic.count - 1) / self.duration_s if topic.count > 1 and self.duration_s > 0 else 0.0
            rate_text = f"{rate:.1f} Hz" if rate else "-"
            lines.append(f"{topic.name:<{width}}  {topic.msgtype:<{type_width}}  {topic.count:>6}  {rate_text:>9}")
        return "\n".join(lines)


def summarise_bag(path: Path | str) -> BagSummary:
    """Read the metadata of the rosbag2 folder (or file) at `path`."""
    path = Path(path)
    if not path.exists():
        raise BagError(f"bag {path} does not exist")
    try:
        with AnyReader([path]) as reader:
            counts: dict[tuple[str, str], int] = {}
            for connection in reader.connections:
                key = (connection.topic, connection.msgtype)
                counts[key] = counts.get(key, 0) + connection.msgcount
            topics = tuple(TopicSummary(name, msgtype, n) for (name, msgtype), n in sorted(counts.items()))
            storage = _storage_of(path)
            return BagSummary(path, storage, topics, reader.start_time, reader.end_time, _size_of(path))
    except BagError:
        raise
    except Exception as error:  # rosbags raises several unrelated types for unreadable bags
        raise BagError(f"cannot read bag {path}: {error}") from None


def _storage_of(path: Path) -> str:
    files = [path] if path.is_file() else list(path.iterdir())
    suffixes = {f.suffix for f in files}
    if ".mcap" in suffixes:
        return "mcap"
    if ".db3" in suffixes:
        return "sqlite3"
    return "unknown"


def _size_of(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
