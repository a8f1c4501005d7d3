"""`mono-depth-ros launch`: start the nodes of depth.launch.py (and optionally replay a bag) without launch_ros.

The node set comes from `mono_depth_ros.launch_plan.plan_nodes`, the function the launch file uses, so both start
the same processes with the same names, namespaces, parameters and remappings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mono_depth_ros.launch_plan.arguments import ARGUMENTS, LaunchArguments
from mono_depth_ros.launch_plan.errors import LaunchArgumentError
from mono_depth_ros.launch_plan.playback import PlaybackOptions, add_playback_options, playback_options

_PREFIX = "launch_"


class _IntermixedParser(argparse.ArgumentParser):
    """Takes NAME:=VALUE assignments and options in any order (`camera:=a --play b checkpoint:=c`).

    argparse fills a `*` positional from the first run of positionals only; the intermixed parse collects them all.
    The guard is for Python < 3.13, whose intermixed parse calls parse_known_args itself.
    """

    _intermixed = False

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        if self._intermixed:
            return super().parse_known_args(args, namespace)
        self._intermixed = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixed = False


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    names = ", ".join(spec.name for spec in ARGUMENTS)
    default_class = subparsers._parser_class
    subparsers._parser_class = _IntermixedParser
    try:
        parser = subparsers.add_parser(
            "launch",
            help="start the depth (and calibration) nodes without launch_ros, optionally replaying a bag",
            description="Start the nodes of depth.launch.py as processes with --ros-args (same names, parameters "
            "and remappings), forward Ctrl-C/SIGTERM to them, and stop them all when one dies. Launch arguments "
            f"are given as NAME:=VALUE (as ros2 launch takes them) or --name VALUE: {names}.",
            epilog="Example, on a bag written by `mono-depth-ros simulate --stereo`: mono-depth-ros launch "
            "checkpoint:=model.pt calibration:=stereo --play drive --rate 0.5",
        )
    finally:
        subparsers._parser_class = default_class
    parser.add_argument(
        "assignments", nargs="*", metavar="NAME:=VALUE", help="launch arguments, as `ros2 launch` takes them"
    )
    group = parser.add_argument_group("launch arguments (the same as depth.launch.py's)")
    for spec in ARGUMENTS:
        option = "--" + spec.name.replace("_", "-")
        default = spec.default or "empty"
        if spec.is_flag:
            group.add_argument(
                option,
                dest=_PREFIX + spec.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=f"{spec.description} (default: {default})",
            )
        else:
            group.add_argument(
                option,
                dest=_PREFIX + spec.name,
                metavar=spec.name.upper(),
                choices=spec.choices or None,
                default=None,
                help=f"{spec.description} (default: {default})",
            )
    play = parser.add_argument_group("bag replay (republished with rclpy; /clock too with use_sim_time)")
    play.add_argument("--play", type=Path, metavar="BAG", help="replay this rosbag2 (mcap or sqlite3) into the graph")
    add_playback_options(play, clock=False)
    parser.add_argument("--dry-run", action="store_true", help="print the command lines and exit")
    parser.set_defaults(run=run)


def launch_strings(args: argparse.Namespace) -> dict[str, str]:
    """The launch arguments given on the command line (NAME:=VALUE and --name VALUE), as strings."""
    given: dict[str, str] = {}

    def give(name: str, value: str) -> None:
        if name in given and given[name] != value:
            raise LaunchArgumentError(f"{name} is given twice: {given[name]!r} and {value!r}")
        given[name] = value

    for text in args.assignments:
        name, separator, value = text.partition(":=")
        if not separator or not name:
            raise LaunchArgumentError(f"launch arguments look like NAME:=VALUE, got {text!r}")
        give(name, value)
    for spec in ARGUMENTS:
        value = getattr(args, _PREFIX + spec.name)
        if value is not None:
            give(spec.name, ("true" if value else "false") if isinstance(value, bool) else value)
    return given


def _playback(args: argparse.Namespace, arguments: LaunchArguments) -> PlaybackOptions | None:
    if args.play is None:
        used = [
            option
            for option, used in (
                ("--rate", args.rate != 1.0),
                ("--loop", args.loop),
                ("--remap", bool(args.remap)),
                ("--topic", bool(args.topic)),
                ("--delay", args.delay != 0.0),
            )
            if used
        ]
        if used:
            verb = "applies" if len(used) == 1 else "apply"
            raise LaunchArgumentError(f"{', '.join(used)} {verb} to a replay only: add --play BAG")
        return None
    return playback_options(args.play, args, clock=arguments.use_sim_time)


def run(args: argparse.Namespace) -> int:
    from mono_depth_ros.launch_plan.nodes import plan_nodes
    from mono_depth_ros.launch_plan.processes import node_process, player_process, supervise

    arguments = LaunchArguments.from_strings(launch_strings(args))
    playback = _playback(args, arguments)
    processes = [node_process(spec) for spec in plan_nodes(arguments)]
    if playback is not None:
        processes.append(player_process(playback))
    if args.dry_run:
        for process in processes:
            print(process.command_line())
        return 0
    return supervise(processes, report=lambda line: print(f"mono-depth-ros launch: {line}", file=sys.stderr))
