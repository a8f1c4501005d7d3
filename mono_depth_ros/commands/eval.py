"""`mono-depth-ros eval`: evaluate a checkpoint with the KITTI metrics."""

from __future__ import annotations

from mono_depth_ros.commands.pending import pending_command

add_parser = pending_command(
    "eval", "Evaluate a checkpoint with the KITTI metrics", "arrives with the networks and inference issue"
)
