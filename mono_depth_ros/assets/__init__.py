"""Files shipped with the package: the bundled demo model.

DEMO_MODEL: a ResNet-18 depth network trained by this project's trainer on the synthetic world only (mono + stereo,
320x96, 972 steps in 40 CPU minutes; fp16 weights, no pose network). Metric by stereo training for the simulator's
0.54 m rig; on real cameras use it only to try the graph out. How to rebuild it: the README's "The bundled demo
model".
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEMO_MODEL"]

DEMO_MODEL = Path(__file__).resolve().parent / "demo_model.pt"
