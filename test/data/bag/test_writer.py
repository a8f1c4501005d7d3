from __future__ import annotations

from pathlib import Path

import pytest
from rosbags.highlevel import AnyReader
from rosbags.interfaces import QosDurability, QosReliability

from mono_depth_ros.data.bag import BagError, BagWriter, offered_qos, typestore_for
from mono_depth_ros.data.bag.messages import MessageFactory


def _write_strings(path: Path, texts: list[str], **options: object) -> None:
    typestore = typestore_for("kilted")
    string = typestore.types["std_msgs/msg/String"]
    with BagWriter(path, typestore, **options) as bag:
        bag.add_topic("/chatter", "std_msgs/msg/String")
        for i, text in enumerate(texts):
            bag.write("/chatter", string(data=text), 1_000 + i)


def _read_strings(path: Path) -> list[tuple[int, str]]:
    with AnyReader([path]) as reader:
        return [(stamp, reader.deserialize(raw, c.msgtype).data) for c, stamp, raw in reader.messages()]


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
@pytest.mark.parametrize("compress", [False, True])
def test_written_messages_read_back_in_order(tmp_path: Path, storage: str, compress: bool) -> None:
    path = tmp_path / "bag"
    _write_strings(path, ["a", "b", "c"], storage=storage, compress=compress)
    assert _read_strings(path) == [(1000, "a"), (1001, "b"), (1002, "c")]
    assert [p.name for p in tmp_path.iterdir()] == ["bag"]


def test_error_inside_the_block_leaves_no_bag_and_no_partial_folder(tmp_path: Path) -> None:
    typestore = typestore_for("kilted")
    path = tmp_path / "bag"

    def write_then_crash() -> None:
        with BagWriter(path, typestore) as bag:
            bag.add_topic("/chatter", "std_msgs/msg/String")
            bag.write("/chatter", typestore.types["std_msgs/msg/String"](data="x"), 1)
            raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_then_crash()
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "bag"
    _write_strings(path, ["first"])
    with pytest.raises(BagError, match=r"output bag .*bag already exists"):
        _write_strings(path, ["second"])
    assert _read_strings(path) == [(1000, "first")]


def test_missing_parent_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bag"
    _write_strings(path, ["x"])
    assert _read_strings(path) == [(1000, "x")]


def test_unknown_storage_is_named() -> None:
    with pytest.raises(BagError, match="unknown bag storage format 'rosbag1'"):
        BagWriter(Path("x"), typestore_for("kilted"), storage="rosbag1")


def test_writing_to_an_undeclared_topic_is_an_error(tmp_path: Path) -> None:
    typestore = typestore_for("kilted")
    with BagWriter(tmp_path / "bag", typestore) as bag:
        bag.add_topic("/a", "std_msgs/msg/String")
        with pytest.raises(BagError, match="topic /b was not added"):
            bag.write("/b", typestore.types["std_msgs/msg/String"](data="x"), 1)
        with pytest.raises(BagError, match="topic /a was added twice"):
            bag.add_topic("/a", "std_msgs/msg/String")


def test_latched_topics_are_recorded_transient_local(tmp_path: Path) -> None:
    typestore = typestore_for("kilted")
    messages = MessageFactory(typestore)
    path = tmp_path / "bag"
    with BagWriter(path, typestore) as bag:
        bag.add_topic("/tf_static", "tf2_msgs/msg/TFMessage", latched=True)
        bag.write("/tf_static", messages.tf_message([]), 5)
    with AnyReader([path]) as reader:
        (connection,) = reader.connections
        (qos,) = connection.ext.offered_qos_profiles
    assert qos.durability == QosDurability.TRANSIENT_LOCAL
    assert qos.reliability == QosReliability.RELIABLE
    assert offered_qos().durability == QosDurability.VOLATILE


def test_unknown_distribution_lists_the_known_ones() -> None:
    with pytest.raises(BagError, match="unknown ROS 2 distribution 'rolling'; expected one of kilted, jazzy, humble"):
        typestore_for("rolling")
