from __future__ import annotations

from pathlib import Path

import pytest

from mono_depth_ros.data.bag import BagError, BagWriter, summarise_bag, typestore_for


@pytest.fixture
def two_topic_bag(tmp_path: Path) -> Path:
    typestore = typestore_for("jazzy")
    string = typestore.types["std_msgs/msg/String"]
    path = tmp_path / "bag"
    with BagWriter(path, typestore, storage="sqlite3") as bag:
        bag.add_topic("/a", "std_msgs/msg/String")
        bag.add_topic("/b", "std_msgs/msg/String")
        for i in range(11):
            bag.write("/a", string(data="x"), i * 100_000_000)
        bag.write("/b", string(data="y"), 500_000_000)
    return path


def test_summary_counts_and_span(two_topic_bag: Path) -> None:
    summary = summarise_bag(two_topic_bag)
    assert summary.storage == "sqlite3"
    assert [(t.name, t.msgtype, t.count) for t in summary.topics] == [
        ("/a", "std_msgs/msg/String", 11),
        ("/b", "std_msgs/msg/String", 1),
    ]
    assert summary.count("/a") == 11
    assert summary.count("/missing") == 0
    assert summary.duration_s == pytest.approx(1.0)
    assert summary.size_bytes > 0


def test_summary_table_shows_rates(two_topic_bag: Path) -> None:
    lines = summarise_bag(two_topic_bag).format().splitlines()
    row_a = next(line for line in lines if line.startswith("/a "))
    assert row_a.split()[-2:] == ["10.0", "Hz"]
    row_b = next(line for line in lines if line.startswith("/b "))
    assert row_b.split()[-1] == "-"


def test_missing_bag(tmp_path: Path) -> None:
    with pytest.raises(BagError, match=r"bag .*nowhere does not exist"):
        summarise_bag(tmp_path / "nowhere")


def test_unreadable_bag_is_a_bag_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "metadata.yaml").write_text("rosbag2_bagfile_information: {version: 9, storage_identifier: mcap\n")
    with pytest.raises(BagError, match=r"cannot read bag .*broken"):
        summarise_bag(broken)
