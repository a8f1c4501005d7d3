"""Kill `mono-depth-ros train --bag` with SIGKILL at random moments, rerun the same command each time, and check
that every run resumes from the newest checkpoint and that no checkpoint file is ever truncated.

    python docs/benchmarks/kill_resume.py --kills 5 --out /tmp/kill_resume

Records a 30-frame synthetic drive (jpeg) and trains mono at 320x96 with a checkpoint every 2 steps, so kills
land during steps and during checkpoint writes alike. Prints one line per kill and a summary.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from mono_depth_ros.core.models import CheckpointError, load_checkpoint
from mono_depth_ros.core.training import list_checkpoints
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, record_drive


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    bag = args.out / "drive"
    record_drive(RecordingOptions(out=bag, frames=30, width=640, height=192, compressed=True))
    config = args.out / "run.yaml"
    config.write_text(
        f"batch_size: 2\ncheckpoint_every: 2\nkeep_checkpoints: 2\nvalidate_every: 1000\n"
        f"frame_cache_dir: {args.out / 'cache'}\n",
        encoding="utf-8",
    )
    run = args.out / "run"
    command = [sys.executable, "-m", "mono_depth_ros.cli", "train", "--bag", str(bag), "--image-topic",
               SIM_TOPICS.compressed(SIM_TOPICS.left_image), "--config", str(config), "--device", "cpu",
               "--out", str(run), "--max-steps", "1000"]  # fmt: skip
    rng = random.Random(args.seed)
    truncated = resumed_ok = 0
    previous_step = 0
    for kill in range(1, args.kills + 1):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Wait until this run has written a new checkpoint, then kill it a random moment later.
        while not list_checkpoints(run) or list_checkpoints(run)[-1][0] <= previous_step:
            if process.poll() is not None:
                print(process.communicate()[0][-2000:])
                return 1
            time.sleep(0.05)
        delay = rng.uniform(0.0, 4.0)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        output = process.communicate()[0]
        saved = list_checkpoints(run)
        for _, path in saved:
            try:
                load_checkpoint(path)
            except CheckpointError:
                truncated += 1
        resumed = "resuming the run in" in output
        resumed_ok += int(resumed == (kill > 1))
        partial = len(list(run.glob(".*.partial")))
        print(
            f"kill {kill}: SIGKILL {delay:.2f} s after checkpoint {saved[-1][0] if saved else '-'}; this run "
            f"{'resumed' if resumed else 'started fresh'} (from step {previous_step}); checkpoints now "
            f"{[s for s, _ in saved]}, {partial} interrupted write(s) left",
            flush=True,
        )
        previous_step = saved[-1][0] if saved else 0
    final = subprocess.run([*command[:-1], str(previous_step + 2)], capture_output=True, text=True, check=False)
    ok = final.returncode == 0 and f"(step {previous_step + 2}, " in final.stdout and "resuming" in final.stdout
    print(
        f"final rerun: exit {final.returncode}, resumed from step {previous_step} to {previous_step + 2}: "
        f"{'ok' if ok else 'FAILED'}; partial files left: {len(list(run.glob('.*.partial')))}"
    )
    print(f"summary: {args.kills} kills, {truncated} truncated checkpoints, {resumed_ok}/{args.kills} runs resumed "
          f"as expected, final resume {'ok' if ok else 'FAILED'}")  # fmt: skip
    return 0 if truncated == 0 and ok and resumed_ok == args.kills else 1


if __name__ == "__main__":
    sys.exit(main())
