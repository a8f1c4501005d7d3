"""LatestWorker: the newest item wins, nothing queues, errors are reported and the thread survives."""

from __future__ import annotations

import threading

from mono_depth_ros.ros.worker import LatestWorker

TIMEOUT_S = 10.0


def test_newest_item_replaces_the_waiting_one() -> None:
    gate = threading.Event()
    started = threading.Event()
    seen: list[int] = []

    def process(item: int) -> None:
        started.set()
        gate.wait(TIMEOUT_S)
        seen.append(item)

    worker: LatestWorker[int] = LatestWorker(process, "test-worker", on_error=lambda exc: None)
    try:
        assert not worker.submit(0)
        assert started.wait(TIMEOUT_S)
        # 0 is being processed: 1 waits, 2 and 3 replace it in turn.
        assert not worker.submit(1)
        assert worker.submit(2)
        assert worker.submit(3)
        assert not worker.idle
        gate.set()
        assert worker.wait_idle(TIMEOUT_S)
    finally:
        assert worker.stop(TIMEOUT_S)
    assert seen == [0, 3]
    assert worker.processed == 2
    assert worker.dropped == 2
    assert worker.failed == 0


def test_errors_go_to_on_error_and_the_thread_keeps_running() -> None:
    errors: list[BaseException] = []
    seen: list[int] = []

    def process(item: int) -> None:
        if item < 0:
            raise ValueError(f"negative item {item}")
        seen.append(item)

    worker: LatestWorker[int] = LatestWorker(process, "test-worker", on_error=errors.append)
    try:
        worker.submit(-1)
        assert worker.wait_idle(TIMEOUT_S)
        worker.submit(5)
        assert worker.wait_idle(TIMEOUT_S)
    finally:
        assert worker.stop(TIMEOUT_S)
    assert [str(error) for error in errors] == ["negative item -1"]
    assert seen == [5]
    assert worker.failed == 1
    assert worker.processed == 2


def test_a_failing_error_handler_does_not_end_the_thread() -> None:
    seen: list[int] = []

    def process(item: int) -> None:
        if item == 0:
            raise RuntimeError("boom")
        seen.append(item)

    def on_error(exc: BaseException) -> None:
        raise RuntimeError(f"handler failed on {exc}")

    worker: LatestWorker[int] = LatestWorker(process, "test-worker", on_error=on_error)
    try:
        worker.submit(0)
        assert worker.wait_idle(TIMEOUT_S)
        worker.submit(1)
        assert worker.wait_idle(TIMEOUT_S)
    finally:
        assert worker.stop(TIMEOUT_S)
    assert seen == [1]


def test_items_after_stop_are_dropped() -> None:
    seen: list[int] = []
    worker: LatestWorker[int] = LatestWorker(seen.append, "test-worker", on_error=lambda exc: None)
    assert worker.stop(TIMEOUT_S)
    assert worker.submit(1)
    assert seen == []
    assert worker.dropped == 1
