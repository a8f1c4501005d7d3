"""`mono-depth-ros predict`: run a checkpoint on image files or a bag and write metric depth."""

from __future__ import annotations

from mono_depth_ros.commands.pending import pending_command

add_parser = pending_command(
    "predict",
    "Run a checkpoint on image files or a bag and write metric depth",
    "arrives with the networks and inference issue",
)
