"""`mono-depth-ros convert`: import a monodepth2 model folder into a checkpoint."""

from __future__ import annotations

from mono_depth_ros.commands.pending import pending_command

add_parser = pending_command(
    "convert", "Import a monodepth2 model folder into a checkpoint", "arrives with the networks and inference issue"
)
