"""Frames per second of the synthetic street renderer, mono and stereo, and the time to build its world.

Each timed call is a full `SyntheticWorld.render_frame` (RGB and exact depth, plus the right view in stereo) of the
next frame of the drive, so the numbers cover a moving camera rather than one cached view. The first frames are a
warm-up (lazy per-device tables, allocator growth). The renderer uses torch's intra-op threads: other busy processes
slow it down, which is why the machine line carries the load average.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mono_depth_ros.bench.settings import DEFAULT_FRAMES, REFERENCE_SIZE, TARGET_MONO_FPS, WARM_UP_FRAMES
from mono_depth_ros.bench.timing import Timing, measure
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld

__all__ = [
    "MODES",
    "RenderResult",
    "RenderRun",
    "run_render",
]

MODES = ("mono", "stereo")


@dataclass(frozen=True)
class RenderRun:
    """One mode: the world's build time and the per-frame render time."""

    mode: str
    build_s: float
    timing: Timing

    @property
    def frames_per_s(self) -> float:
        return self.timing.per_second


@dataclass(frozen=True)
class RenderResult:
    """The renderer benchmark at one image size."""

    width: int
    height: int
    device: str
    runs: tuple[RenderRun, ...]

    @property
    def targets_judged(self) -> bool:
        return (self.width, self.height) == REFERENCE_SIZE

    def missed_targets(self) -> list[str]:
        """A description of each missed target (none when the size is not the reference size)."""
        if not self.targets_judged:
            return []
        return [
            f"render mono >= {TARGET_MONO_FPS:g} frames/s at {self.width}x{self.height} (got {run.frames_per_s:.1f})"
            for run in self.runs
            if run.mode == "mono" and run.frames_per_s < TARGET_MONO_FPS
        ]

    def format(self) -> str:
        frames = self.runs[0].timing.repeats if self.runs else 0
        lines = [
            f"renderer (synthetic street, {self.device}), {self.width}x{self.height}, {frames} timed frames per mode "
            f"after {WARM_UP_FRAMES} warm-up",
            f"{'mode':8s} {'frames/s':>9s} {'median ms':>10s} {'p90 ms':>9s} {'world build s':>14s}   target",
        ]
        for run in self.runs:
            verdict = ""
            if run.mode == "mono" and self.targets_judged:
                ok = run.frames_per_s >= TARGET_MONO_FPS
                verdict = f">= {TARGET_MONO_FPS:g} frames/s {'ok' if ok else 'MISSED'}"
            lines.append(
                f"{run.mode:8s} {run.frames_per_s:9.1f} {run.timing.median_ms:10.1f} {run.timing.p90_ms:9.1f} "
                f"{run.build_s:14.2f}   {verdict}".rstrip()
            )
        if not self.targets_judged:
            width, height = REFERENCE_SIZE
            lines.append(f"(the target is set for {width}x{height}; not judged at {self.width}x{self.height})")
        return "\n".join(lines)


def _run_mode(mode: str, width: int, height: int, frames: int, seed: int, device: str) -> RenderRun:
    config = SimConfig(width=width, height=height, seed=seed, stereo=mode == "stereo")
    worlds: list[SyntheticWorld] = []
    # The build is a one-off cost: timed through the shared helper with one repeat and no warm-up, world kept.
    build = measure(
        lambda _: worlds.append(SyntheticWorld(config, frames=frames + WARM_UP_FRAMES, device=device)),
        repeats=1,
        warmup=0,
    )
    # The index runs over warm-up and timed calls alike, so every call renders the next frame of the drive.
    timing = measure(worlds[0].render_frame, repeats=frames, warmup=WARM_UP_FRAMES)
    return RenderRun(mode=mode, build_s=build.median_ms / 1000.0, timing=timing)


def run_render(
    width: int = REFERENCE_SIZE[0],
    height: int = REFERENCE_SIZE[1],
    frames: int = DEFAULT_FRAMES,
    *,
    modes: tuple[str, ...] = MODES,
    seed: int = 0,
    device: str = "cpu",
    progress: Callable[[str], None] | None = None,
) -> RenderResult:
    """Time `frames` rendered frames (after `WARM_UP_FRAMES`) in each of `modes`; `progress` is called with each
    mode's name once it is done. Invalid sizes raise `SimulationError` (from `SimConfig`)."""
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        raise ValueError(f"render modes must be among {MODES}, got {unknown}")
    runs = []
    for mode in modes:
        runs.append(_run_mode(mode, width, height, frames, seed, device))
        if progress is not None:
            progress(f"render {mode}")
    return RenderResult(width=width, height=height, device=device, runs=tuple(runs))
