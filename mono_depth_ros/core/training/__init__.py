"""Self-supervised training of the depth (and pose) networks, ROS-free.

    config = load_training_config("config/train.yaml", mode="stereo")
    data = build_synthetic_data(config, stereo=True)
    result = Trainer(config, data.train, "runs/stereo", validation=data.validation).run()

- config: `TrainingConfig` (YAML, unknown keys rejected) - data: the `TrainingDataset` protocol, `TrainingSample`,
  `collate` - synthetic: the synthetic street as a dataset - augment: flip (stereo-consistent) and colour jitter -
  objective: per-mode losses -> `LossTerms` - optimisation: Adam + step schedule, AMP, `TrainingStep` -
  checkpoints: atomic save, keep the last K, find the newest - logging: losses.csv, validation.csv, TensorBoard -
  distributed: torchrun / DDP - validation: Abs Rel against ground truth - adaptive: the per-image scale CNN -
  trainer: `Trainer`.

Modes and options are described in `objective` and `TrainingConfig`; the checkpoint records the training mode, the
stereo baseline used and the metric scale (stereo, transferred global factor, per-image CNN).
"""

from mono_depth_ros.core.training.adaptive import ScaleTargets, fit_scale_cnn, optimal_scale_targets
from mono_depth_ros.core.training.augment import (
    AugmentationOptions,
    ColourJitter,
    augment,
    colour_jitter,
    flip_batch,
    mirror_camera_matrix,
)
from mono_depth_ros.core.training.checkpoints import (
    checkpoint_path,
    find_latest_checkpoint,
    list_checkpoints,
    load_latest_checkpoint,
    write_training_checkpoint,
)
from mono_depth_ros.core.training.config import TrainingConfig, load_training_config
from mono_depth_ros.core.training.data import (
    DatasetInfo,
    Frames,
    TrainingBatch,
    TrainingDataset,
    TrainingSample,
    collate,
)
from mono_depth_ros.core.training.distributed import DistributedContext, init_distributed
from mono_depth_ros.core.training.errors import TrainingConfigError, TrainingDataError, TrainingError
from mono_depth_ros.core.training.logging import LOSSES_FILE, VALIDATION_FILE, TrainingLog
from mono_depth_ros.core.training.objective import LossTerms, Objective, loss_columns, stereo_transform
from mono_depth_ros.core.training.optimisation import Precision, TrainingStep, build_optimiser, build_scheduler
from mono_depth_ros.core.training.synthetic import (
    RenderedDrive,
    SyntheticData,
    SyntheticDataset,
    build_synthetic_data,
    render_drive,
)
from mono_depth_ros.core.training.trainer import Progress, Trainer, TrainingResult, check_data
from mono_depth_ros.core.training.validation import (
    ValidationResult,
    ValidationSet,
    global_scale_factor,
    predict_depths,
    validate,
)

__all__ = [
    "LOSSES_FILE",
    "VALIDATION_FILE",
    "AugmentationOptions",
    "ColourJitter",
    "DatasetInfo",
    "DistributedContext",
    "Frames",
    "LossTerms",
    "Objective",
    "Precision",
    "Progress",
    "RenderedDrive",
    "ScaleTargets",
    "SyntheticData",
    "SyntheticDataset",
    "Trainer",
    "TrainingBatch",
    "TrainingConfig",
    "TrainingConfigError",
    "TrainingDataError",
    "TrainingDataset",
    "TrainingError",
    "TrainingLog",
    "TrainingResult",
    "TrainingSample",
    "TrainingStep",
    "ValidationResult",
    "ValidationSet",
    "augment",
    "build_optimiser",
    "build_scheduler",
    "build_synthetic_data",
    "check_data",
    "checkpoint_path",
    "collate",
    "colour_jitter",
    "find_latest_checkpoint",
    "fit_scale_cnn",
    "flip_batch",
    "global_scale_factor",
    "init_distributed",
    "list_checkpoints",
    "load_latest_checkpoint",
    "load_training_config",
    "loss_columns",
    "mirror_camera_matrix",
    "optimal_scale_targets",
    "predict_depths",
    "render_drive",
    "stereo_transform",
    "validate",
    "write_training_checkpoint",
]
