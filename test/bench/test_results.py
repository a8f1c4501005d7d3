"""Verdicts and tables of the benchmark results, on made-up timings (nothing is rendered or converted here)."""

from __future__ import annotations

from mono_depth_ros.bench.conversions import LOOP_CLOUD, VECTORISED_CLOUD, ConversionCase, ConversionsResult
from mono_depth_ros.bench.render import RenderResult, RenderRun
from mono_depth_ros.bench.timing import Timing


def _render(width: int, height: int, mono_ms: float) -> RenderResult:
    runs = (
        RenderRun("mono", build_s=0.25, timing=Timing(mono_ms, mono_ms * 2, 50)),
        RenderRun("stereo", build_s=0.2, timing=Timing(mono_ms * 2, mono_ms * 3, 50)),
    )
    return RenderResult(width=width, height=height, device="cpu", runs=runs)


def test_render_target_met_and_missed() -> None:
    fast = _render(640, 192, 40.0)  # 25 frames/s
    assert fast.missed_targets() == []
    assert ">= 20 frames/s ok" in fast.format()
    slow = _render(640, 192, 200.0)  # 5 frames/s
    assert slow.missed_targets() == ["render mono >= 20 frames/s at 640x192 (got 5.0)"]
    table = slow.format().splitlines()
    assert table[0] == "renderer (synthetic street, cpu), 640x192, 50 timed frames per mode after 3 warm-up"
    assert table[2].split() == ["mono", "5.0", "200.0", "400.0", "0.25", ">=", "20", "frames/s", "MISSED"]
    assert table[3].split() == ["stereo", "2.5", "400.0", "600.0", "0.20"]


def test_render_target_is_not_judged_at_other_sizes() -> None:
    result = _render(64, 32, 200.0)
    assert result.missed_targets() == []
    assert "MISSED" not in result.format()
    assert result.format().endswith("(the target is set for 640x192; not judged at 64x32)")


def _conversions(width: int, height: int, cloud_ms: float, loop_ms: float, depth_ms: float = 1.5) -> ConversionsResult:
    cases = (
        ConversionCase("(a) Image rgb8 -> numpy", Timing(0.01, 0.02, 300), 1.0),
        ConversionCase("(b) depth -> 32FC1 Image", Timing(depth_ms, 2.0, 300), 1.0),
        ConversionCase(VECTORISED_CLOUD, Timing(cloud_ms, cloud_ms, 300), 3.0),
        ConversionCase(LOOP_CLOUD, Timing(loop_ms, loop_ms, 5)),
    )
    return ConversionsResult(width=width, height=height, cases=cases, cloud_bytes=1966080)


def test_conversion_targets_met_and_missed() -> None:
    result = _conversions(640, 192, cloud_ms=4.0, loop_ms=20.0)
    assert result.speedup == 5.0
    assert result.missed_targets() == [
        "(b) depth -> 32FC1 Image <= 1 ms (got 1.500)",
        f"{VECTORISED_CLOUD} <= 3 ms (got 4.000)",
        "(c) speed-up over the loop >= 10x (got 5.0x)",
    ]
    table = result.format()
    assert "<= 1 ok" in table
    assert "<= 1 MISSED" in table
    assert "(c) speed-up over the per-point loop: 5x (target >= 10x MISSED); bytes and layout identical" in table
    good = _conversions(640, 192, cloud_ms=1.0, loop_ms=200.0, depth_ms=0.2)
    assert good.missed_targets() == []
    assert "MISSED" not in good.format()


def test_conversion_targets_are_not_judged_at_other_sizes() -> None:
    result = _conversions(64, 32, cloud_ms=4.0, loop_ms=20.0)
    assert result.missed_targets() == []
    assert "MISSED" not in result.format()
    assert result.format().endswith("(the targets are set for 640x192; not judged at 64x32)")
