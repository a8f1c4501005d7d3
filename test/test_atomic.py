"""atomic_write: the new file replaces the old only on success, with ordinary permissions, leaving nothing behind."""

from __future__ import annotations

import os
import stat

import pytest

from mono_depth_ros.atomic import atomic_write


def test_success_replaces_the_file_with_ordinary_permissions(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with atomic_write(path, "w") as stream:
        stream.write("new")
    assert path.read_text() == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failure_keeps_the_old_file_and_removes_the_partial_one(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"old")

    def write_then_crash() -> None:
        with atomic_write(path) as stream:
            stream.write(b"half of the new")
            raise RuntimeError("crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        write_then_crash()
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
