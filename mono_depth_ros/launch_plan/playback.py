"""What a bag replay does (`mono-depth-ros launch --play`, `python -m mono_depth_ros.ros.player`): validated
options, topic remapping, and the command-line form both share. ROS-free: the player itself is ros/player.py."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from mono_depth_ros.commands.options import finite_float
from mono_depth_ros.core.numbers import is_finite_number, is_positive_number
from mono_depth_ros.launch_plan.arguments import check_topic
from mono_depth_ros.launch_plan.errors import LaunchArgumentError

__all__ = ["PLAYER_MODULE", "PlaybackOptions", "TopicRemap", "add_playback_options", "playback_options"]

PLAYER_MODULE = "mono_depth_ros.ros.player"


def _absolute_topic(what: str, value: str) -> str:
    check_topic(what, value)
    if not value.startswith("/"):
        raise LaunchArgumentError(f"{what} must be an absolute topic name (starting with '/'), got {value!r}")
    return value


@dataclass(frozen=True)
class TopicRemap:
    """Rename a recorded topic, or every topic under a recorded namespace: `/camera/left:=/camera` turns
    /camera/left/image_raw into /camera/image_raw."""

    source: str
    target: str

    def __post_init__(self) -> None:
        _absolute_topic("a remap's source", self.source)
        _absolute_topic("a remap's target", self.target)

    @classmethod
    def parse(cls, text: str) -> TopicRemap:
        """From `FROM:=TO`."""
        source, separator, target = text.partition(":=")
        if not separator:
            raise LaunchArgumentError(f"a remap must look like /from:=/to, got {text!r}")
        return cls(source, target)

    def apply(self, topic: str) -> str | None:
        """The new name of `topic`, or None when this rule does not match it."""
        if topic == self.source:
            return self.target
        if topic.startswith(self.source + "/"):
            return self.target.rstrip("/") + topic[len(self.source) :]
        return None

    def __str__(self) -> str:
        return f"{self.source}:={self.target}"


@dataclass(frozen=True)
class PlaybackOptions:
    """How to replay `bag`: at `rate` times the recorded speed, once or in a loop, after `delay_s` seconds,
    with `/clock` when `clock`; only `topics` (all when empty), renamed by the first matching of `remaps`."""

    bag: Path
    rate: float = 1.0
    loop: bool = False
    remaps: tuple[TopicRemap, ...] = ()
    topics: tuple[str, ...] = ()
    clock: bool = False
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        bag = Path(self.bag).expanduser().absolute()
        if not bag.exists():
            raise LaunchArgumentError(f"bag {bag} does not exist")
        object.__setattr__(self, "bag", bag)
        if not is_positive_number(self.rate):
            raise LaunchArgumentError(f"rate must be a positive finite number, got {self.rate!r}")
        if not is_finite_number(self.delay_s) or self.delay_s < 0:
            raise LaunchArgumentError(f"delay must be a finite number of seconds >= 0, got {self.delay_s!r}")
        object.__setattr__(self, "remaps", tuple(self.remaps))
        object.__setattr__(self, "topics", tuple(_absolute_topic("a played topic", t) for t in self.topics))

    def rename(self, topic: str) -> str:
        """The name `topic` of the bag is published under."""
        for remap in self.remaps:
            renamed = remap.apply(topic)
            if renamed is not None:
                return renamed
        return topic

    def command_arguments(self) -> list[str]:
        """The player's command line for these options (what `add_playback_options` parses back)."""
        args = [str(self.bag), "--rate", repr(float(self.rate))]
        if self.loop:
            args.append("--loop")
        for remap in self.remaps:
            args += ["--remap", str(remap)]
        for topic in self.topics:
            args += ["--topic", topic]
        if self.clock:
            args.append("--clock")
        if self.delay_s:
            args += ["--delay", repr(float(self.delay_s))]
        return args


def add_playback_options(parser: argparse.ArgumentParser, *, clock: bool = True) -> None:
    """The replay options (not the bag itself, nor --clock unless `clock`), for the player and the launcher."""
    parser.add_argument("--rate", type=finite_float, default=1.0, help="speed factor of the replay (default 1.0)")
    parser.add_argument("--loop", action="store_true", help="start over at the end of the bag")
    parser.add_argument(
        "--remap",
        action="append",
        default=[],
        metavar="FROM:=TO",
        help="publish a recorded topic, or every topic under a recorded namespace, under another name "
        "(e.g. /camera/left:=/camera); repeatable, the first match wins",
    )
    parser.add_argument(
        "--topic", action="append", default=[], metavar="TOPIC", help="play only this recorded topic (repeatable)"
    )
    parser.add_argument("--delay", type=finite_float, default=0.0, help="seconds to wait before the first message")
    if clock:
        parser.add_argument("--clock", action="store_true", help="publish /clock with the bag's time")


def playback_options(bag: Path | str, args: argparse.Namespace, *, clock: bool | None = None) -> PlaybackOptions:
    """PlaybackOptions from the parsed `add_playback_options` arguments (`clock` overrides --clock)."""
    return PlaybackOptions(
        bag=Path(bag),
        rate=args.rate,
        loop=args.loop,
        remaps=tuple(TopicRemap.parse(text) for text in args.remap),
        topics=tuple(args.topic),
        clock=bool(getattr(args, "clock", False)) if clock is None else clock,
        delay_s=args.delay,
    )
