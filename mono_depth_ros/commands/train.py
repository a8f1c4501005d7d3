"""`mono-depth-ros train`: fine-tune the depth and pose networks self-supervised."""

from __future__ import annotations

from mono_depth_ros.commands.pending import pending_command

add_parser = pending_command(
    "train", "Fine-tune the depth and pose networks self-supervised", "arrives with the training issues"
)
