from __future__ import annotations

from pathlib import Path

import pytest

from mono_depth_ros.data.bag import BagError, BagWriter, iter_messages, typestore_for


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    typestore = typestore_for("humble")
    types = typestore.types
    path = tmp_path / "bag"
    with BagWriter(path, typestore) as writer:
        writer.add_topic("/text", "std_msgs/msg/String")
        writer.add_topic("/number", "std_msgs/msg/Float64")
        writer.write("/number", types["std_msgs/msg/Float64"](data=2.5), 20)
        writer.write("/text", types["std_msgs/msg/String"](data="hello"), 10)
        writer.write("/number", types["std_msgs/msg/Float64"](data=3.5), 30)
    return path


def test_messages_come_in_time_order_for_the_chosen_topics(bag: Path) -> None:
    got = [(m.topic, m.stamp_ns, m.message.data) for m in iter_messages(bag, ["/number", "/text"])]
    assert got == [("/text", 10, "hello"), ("/number", 20, 2.5), ("/number", 30, 3.5)]
    assert [m.message.data for m in iter_messages(bag, ["/number"])] == [2.5, 3.5]


def test_missing_topic_lists_what_the_bag_has(bag: Path) -> None:
    with pytest.raises(BagError, match=r"has no topic /image; it has: .*/number \(std_msgs/msg/Float64, 2\)"):
        list(iter_messages(bag, ["/image"]))


def test_missing_bag_is_named(tmp_path: Path) -> None:
    with pytest.raises(BagError, match="does not exist"):
        list(iter_messages(tmp_path / "nope", ["/a"]))
