"""Sub-commands whose implementation lands with a later issue: they parse, explain, and exit non-zero."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

EXIT_NOT_IMPLEMENTED = 3


def pending_command(name: str, summary: str, arrives_with: str) -> Callable[[argparse._SubParsersAction], None]:
    """An `add_parser` for a command that is not implemented yet, so `--help` already says what it will do."""

    def add_parser(subparsers: argparse._SubParsersAction) -> None:
        parser = subparsers.add_parser(
            name,
            help=f"{summary} (not implemented yet)",
            description=f"{summary}. Not implemented yet: {arrives_with}.",
        )

        def run(args: argparse.Namespace) -> int:
            print(f"mono-depth-ros {name}: not implemented yet ({arrives_with})", file=sys.stderr)
            return EXIT_NOT_IMPLEMENTED

        parser.set_defaults(run=run, accepts_any_arguments=True)

    return add_parser
