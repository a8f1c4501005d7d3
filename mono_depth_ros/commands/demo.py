"""`mono-depth-ros demo`: run the end-to-end demo on a synthetic drive."""

from __future__ import annotations

from mono_depth_ros.commands.pending import pending_command

add_parser = pending_command(
    "demo",
    "Run the end-to-end demo on a synthetic drive",
    "arrives with the demo issue; meanwhile 'make demo' records a simulated drive",
)
