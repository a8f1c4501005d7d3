"""The `mono-depth-ros` command: every capability of the package without a ROS graph.

Each sub-command lives in `mono_depth_ros.commands.<name>` with `add_parser(subparsers)` and `run(args) -> int`.
User mistakes and failures print one line on stderr and exit non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mono_depth_ros import __version__
from mono_depth_ros.errors import MonoDepthError

COMMANDS = ("simulate", "predict", "train", "eval", "convert", "export", "launch", "demo", "bench")

EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mono-depth-ros",
        description="Metric depth from one camera: simulate, predict, train, evaluate, convert and export models, "
        "and launch the ROS 2 nodes.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"mono_depth_ros.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except MonoDepthError as error:
        print(f"mono-depth-ros {args.command}: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"mono-depth-ros {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
