"""The package's public evaluation API: every exported name exists once, errors derive from the package root."""

from __future__ import annotations

import mono_depth_ros.core.evaluation as evaluation
from mono_depth_ros.core.shapes import ShapeError
from mono_depth_ros.errors import MonoDepthError


def test_every_exported_name_exists_once() -> None:
    assert len(set(evaluation.__all__)) == len(evaluation.__all__)
    assert [name for name in evaluation.__all__ if not hasattr(evaluation, name)] == []


def test_exports_are_the_defining_objects() -> None:
    from mono_depth_ros.core.evaluation import evaluator, metrics, protocol

    assert evaluation.compute_depth_metrics is metrics.compute_depth_metrics
    assert evaluation.evaluate_depths is evaluator.evaluate_depths
    assert evaluation.EvaluationOptions is protocol.EvaluationOptions
    assert evaluation.ShapeError is ShapeError


def test_errors_derive_from_the_package_root() -> None:
    assert issubclass(evaluation.EvaluationError, MonoDepthError)
    assert issubclass(evaluation.EvaluationError, ValueError)
    assert issubclass(evaluation.EvaluationDataError, evaluation.EvaluationError)
