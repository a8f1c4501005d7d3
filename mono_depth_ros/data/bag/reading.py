"""Reading messages back from rosbag2 files with `rosbags` (the type store comes from the bag's own definitions)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from rosbags.highlevel import AnyReader

from mono_depth_ros.data.bag.errors import BagError


class BagMessage(NamedTuple):
    topic: str
    stamp_ns: int
    message: object


def iter_messages(path: Path | str, topics: Iterable[str]) -> Iterator[BagMessage]:
    """Deserialised messages of `topics` in receive-time order.

    A topic the bag does not have is a BagError that lists the topics it does have, with types and counts.
    """
    path = Path(path)
    if not path.exists():
        raise BagError(f"bag {path} does not exist")
    wanted = list(topics)
    try:
        reader = AnyReader([path])
        reader.open()
    except Exception as error:  # rosbags raises several unrelated types for unreadable bags
        raise BagError(f"cannot read bag {path}: {error}") from None
    try:
        available = {c.topic: c for c in reader.connections}
        missing = [t for t in wanted if t not in available]
        if missing:
            listing = ", ".join(f"{c.topic} ({c.msgtype}, {c.msgcount})" for c in reader.connections)
            raise BagError(f"bag {path} has no topic {', '.join(missing)}; it has: {listing}")
        connections = [c for c in reader.connections if c.topic in wanted]
        for connection, stamp, data in reader.messages(connections=connections):
            yield BagMessage(connection.topic, stamp, reader.deserialize(data, connection.msgtype))
    finally:
        reader.close()
