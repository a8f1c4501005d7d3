"""`mono-depth-ros export`: export a checkpoint to ONNX with dynamic height and width."""

from __future__ import annotations

from mono_depth_ros.commands.pending import pending_command

add_parser = pending_command(
    "export",
    "Export a checkpoint to ONNX with dynamic height and width",
    "arrives with the networks and inference issue",
)
