"""Atomic rosbag2 writing: a bag appears at its final path complete, or not at all."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from rosbags.interfaces import Qos, QosDurability, QosHistory, QosLiveliness, QosReliability, QosTime
from rosbags.rosbag2 import CompressionFormat, CompressionMode, StoragePlugin, Writer
from rosbags.typesys.store import Typestore

from mono_depth_ros.data.bag.errors import BagError

StorageFormat = Literal["mcap", "sqlite3"]
STORAGE_PLUGINS: dict[str, StoragePlugin] = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}

_NO_TIME = QosTime(0, 0)


def offered_qos(*, latched: bool = False) -> Qos:
    """The QoS a recorder notes for a topic: reliable, so that both reliable and best-effort subscribers of a
    replay connect; `latched` (transient-local, depth 1) for /tf_static-like topics that late joiners must get."""
    return Qos(
        history=QosHistory.KEEP_LAST,
        depth=1 if latched else 10,
        reliability=QosReliability.RELIABLE,
        durability=QosDurability.TRANSIENT_LOCAL if latched else QosDurability.VOLATILE,
        deadline=_NO_TIME,
        lifespan=_NO_TIME,
        liveliness=QosLiveliness.AUTOMATIC,
        liveliness_lease_duration=_NO_TIME,
        avoid_ros_namespace_conventions=False,
    )


@dataclass
class BagWriter:
    """Write messages to a rosbag2 at `path`, atomically.

    The bag is written into a hidden sibling folder and renamed to `path` when the `with` block ends without an
    error; on an error (or Ctrl-C) the partial folder is removed, so `path` never holds a truncated bag.

    >>> with BagWriter(path, typestore) as bag:
    ...     bag.write("/odom", msg, stamp_ns)
    """

    path: Path
    typestore: Typestore
    storage: StorageFormat = "mcap"
    compress: bool = False
    _writer: Writer | None = field(default=None, init=False, repr=False)
    _connections: dict[str, object] = field(default_factory=dict, init=False, repr=False)
    _partial: Path | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.storage not in STORAGE_PLUGINS:
            raise BagError(f"unknown bag storage format {self.storage!r}; expected mcap or sqlite3")

    def __enter__(self) -> BagWriter:
        if self.path.exists():
            raise BagError(f"output bag {self.path} already exists; choose another path or remove it")
        if not self.path.parent.is_dir():
            try:
                self.path.parent.mkdir(parents=True)
            except OSError as error:
                raise BagError(f"cannot create the folder {self.path.parent} for the bag: {error.strerror}") from None
        self._partial = self.path.parent / f".{self.path.name}.partial-{os.getpid()}"
        shutil.rmtree(self._partial, ignore_errors=True)
        writer = Writer(self._partial, version=9, storage_plugin=STORAGE_PLUGINS[self.storage])
        if self.compress:
            # Per-message zstd keeps random access for the reader's seek-by-topic.
            writer.set_compression(CompressionMode.MESSAGE, CompressionFormat.ZSTD)
        writer.open()
        self._writer = writer
        return self

    def add_topic(self, topic: str, msgtype: str, *, latched: bool = False) -> None:
        """Declare `topic` with its message type before writing to it."""
        if self._writer is None:
            raise BagError("BagWriter.add_topic called outside its `with` block")
        if topic in self._connections:
            raise BagError(f"topic {topic} was added twice")
        self._connections[topic] = self._writer.add_connection(
            topic, msgtype, typestore=self.typestore, offered_qos_profiles=[offered_qos(latched=latched)]
        )

    def write(self, topic: str, message: object, stamp_ns: int) -> None:
        """Serialise `message` (a type-store message object) and store it at receive time `stamp_ns`."""
        if self._writer is None:
            raise BagError("BagWriter.write called outside its `with` block")
        try:
            connection = self._connections[topic]
        except KeyError:
            raise BagError(f"topic {topic} was not added to the bag before writing to it") from None
        data = self.typestore.serialize_cdr(message, connection.msgtype)
        self._writer.write(connection, stamp_ns, data)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        writer, partial = self._writer, self._partial
        self._writer = None
        if writer is None or partial is None:
            return
        try:
            writer.close()
        finally:
            if kind is None:
                # The final folder name appears only once the bag (metadata.yaml included) is complete.
                os.replace(partial, self.path)
            else:
                shutil.rmtree(partial, ignore_errors=True)
