from __future__ import annotations

import numpy as np

from mono_depth_ros.data.training import Window, moving_frames, pair_by_stamp, split_by_time, triplets


def test_pairs_match_exact_stamps_and_within_a_tolerance_one_to_one() -> None:
    left = np.array([100, 200, 300, 400])
    right = np.array([300, 103, 205, 900])
    np.testing.assert_array_equal(pair_by_stamp(left, right, 0), [-1, -1, 0, -1])
    np.testing.assert_array_equal(pair_by_stamp(left, right, 5), [1, 2, 0, -1])
    # Two left frames near one right frame: the nearer one gets it.
    np.testing.assert_array_equal(pair_by_stamp(np.array([10, 12]), np.array([13]), 5), [-1, 0])
    assert pair_by_stamp(left, np.zeros(0, np.int64), 5).tolist() == [-1, -1, -1, -1]


def test_static_frames_are_skipped_against_the_last_kept_frame() -> None:
    base = np.full((6, 8, 8, 3), 100, np.uint8)
    base[1] += 1  # noise-level change: still
    base[2] += 40  # moved
    base[3] = base[2]
    base[4] = base[2] + 1
    base[5] = 200
    kept = moving_frames(base, np.arange(6), 0.01)
    np.testing.assert_array_equal(kept, [0, 2, 5])
    np.testing.assert_array_equal(moving_frames(base, np.arange(6), 0.0), np.arange(6))


def test_split_keeps_time_order_and_holds_out_the_end() -> None:
    train, held = split_by_time(np.arange(10), 0.2)
    np.testing.assert_array_equal(train, np.arange(8))
    np.testing.assert_array_equal(held, [8, 9])
    train, held = split_by_time(np.arange(3), 0.0)
    assert train.tolist() == [0, 1, 2]
    assert held.tolist() == []


def test_triplets_step_over_kept_frames_by_stride() -> None:
    frames = np.array([0, 2, 5, 6, 9])
    assert triplets(frames, 1) == [Window(2, 0, 5), Window(5, 2, 6), Window(6, 5, 9)]
    assert triplets(frames, 2) == [Window(5, 0, 9)]
    assert triplets(frames, 3) == []
