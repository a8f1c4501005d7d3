"""A training run on recorded bags, shared by `mono-depth-ros train --bag` and trainer_node.

trainer, data = prepare_bag_training(config, selection, "runs/bag", progress=report)
print(data.summary.format())
result = trainer.run()            # another thread may call trainer.request_stop(): it saves and returns
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.trainer import Progress, Trainer
from mono_depth_ros.data.training.dataset import BagData, ProgressFn, build_bag_data
from mono_depth_ros.data.training.selection import BagSelection

__all__ = ["prepare_bag_training"]


def prepare_bag_training(
    config: TrainingConfig,
    selection: BagSelection,
    output_dir: Path | str,
    *,
    progress: Callable[[Progress], None] | None = None,
    on_checkpoint: Callable[[Path], None] | None = None,
    data_progress: ProgressFn | None = None,
) -> tuple[Trainer, BagData]:
    """Build the bag data (decoding into the frame cache when needed) and the `Trainer` that resumes from
    `output_dir`; errors in the data or the configuration are raised here, before anything trains."""
    data = build_bag_data(config, selection, progress=data_progress)
    trainer = Trainer(
        config,
        data.train,
        output_dir,
        validation=data.validation,
        validation_windows=data.validation_windows,
        progress=progress,
        on_checkpoint=on_checkpoint,
    )
    return trainer, data
