"""matplotlib on demand (no display needed) and PNGs written atomically: what every plot of the package shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mono_depth_ros.atomic import atomic_write
from mono_depth_ros.plots.errors import PlotError

__all__ = ["load_pyplot", "save_png"]


def load_pyplot() -> Any:
    """matplotlib.pyplot on the Agg back-end (files only), or PlotError when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: a file only
        from matplotlib import pyplot
    except ImportError:
        raise PlotError("plotting needs matplotlib: pip install matplotlib") from None
    return pyplot


def save_png(figure: Any, out: Path | str, *, dpi: int = 90) -> Path:
    """Write `figure` to `out` as PNG, atomically."""
    out = Path(out)
    with atomic_write(out, "wb") as stream:
        figure.savefig(stream, format="png", dpi=dpi)
    return out
