"""`mono-depth-ros bench`: print the package's benchmark numbers."""

from __future__ import annotations

from mono_depth_ros.commands.pending import pending_command

add_parser = pending_command(
    "bench",
    "Print the package's benchmark numbers",
    "arrives with the demo issue; meanwhile see benchmarks/ and docs/BENCHMARKS.md",
)
