"""The package's public geometry API: every exported name exists and comes from its module."""

from __future__ import annotations

import mono_depth_ros.core.geometry as geometry


def test_every_exported_name_exists_once() -> None:
    assert len(set(geometry.__all__)) == len(geometry.__all__)
    missing = [name for name in geometry.__all__ if not hasattr(geometry, name)]
    assert missing == []


def test_exports_are_the_defining_objects() -> None:
    from mono_depth_ros.core.geometry import camera, umeyama, warp

    assert geometry.backproject is camera.backproject
    assert geometry.umeyama_alignment is umeyama.umeyama_alignment
    assert geometry.WarpResult is warp.WarpResult
