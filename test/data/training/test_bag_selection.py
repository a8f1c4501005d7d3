from __future__ import annotations

from pathlib import Path

import pytest

from mono_depth_ros.data.training import BagDataError, BagSelection, camera_info_topic_for


@pytest.mark.parametrize(
    ("image", "info"),
    [
        ("/camera/left/image_raw", "/camera/left/camera_info"),
        ("/camera/left/image_raw/compressed", "/camera/left/camera_info"),
        ("camera/image_rect_color", "/camera/camera_info"),
        ("/image", "/camera_info"),
    ],
)
def test_camera_info_sits_beside_the_image_topic(image: str, info: str) -> None:
    assert camera_info_topic_for(image) == info


def test_selection_makes_topics_absolute_and_fills_camera_info() -> None:
    selection = BagSelection((Path("a"),), "cam/image_raw", right_image_topic="right/image_raw", odom_topic="odom")
    assert selection.image_topic == "/cam/image_raw"
    assert selection.camera_info_topic == "/cam/camera_info"
    assert selection.right_camera_info_topic == "/right/camera_info"
    assert selection.odom_topic == "/odom"
    assert selection.stereo
    assert BagSelection((Path("a"),), "/i", camera_info_topic="/info").camera_info_topic == "/info"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bags": ()}, "give at least one bag"),
        ({"bags": (Path("a"), Path("a"))}, "a bag is listed twice: a, a"),
        ({"image_topic": "/"}, "image topic must be a topic name, got '/'"),
        (
            {"right_image_topic": "/cam/image_raw"},
            "the left and right image topics must differ, both are /cam/image_raw",
        ),
        ({"right_camera_info_topic": "/r/info"}, "right camera_info topic '/r/info' given without a right image topic"),
    ],
)
def test_bad_selections_are_named(kwargs: dict, message: str) -> None:
    values = {"bags": (Path("a"),), "image_topic": "/cam/image_raw", **kwargs}
    with pytest.raises(BagDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BagSelection(**values)
