# Two commands on a fresh machine: `make demo` (the main job) and `make test` (lint + the whole suite).
# Both create .venv once (idempotent: redone only when requirements.txt or setup.py change).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
# torch is pinned and installed alone, first: an unpinned request would pull several GB of CUDA packages.
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
STAMP := $(VENV)/.installed
# Camera frames of the demo drive (10 Hz) and how calibration_node finds the scale (stereo | odometry | ground).
DEMO_FRAMES ?= 200
DEMO_CALIBRATION ?= stereo
BIN := $(VENV)/bin
# DDS stays on loopback; every run gets its own domain so parallel runs never cross-talk.
ROS_ENV := ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
# pip warns about missing local index folders on machines that lack them; hide only that noise, keep failures.
# (The editable install runs with PYTHONWARNINGS=ignore: setuptools prints a banner about editable installs in
# general, not about this package.)
PIP_QUIET := { grep -v -e "is ignored: it is neither a file nor a directory" || true; }

.PHONY: help venv demo test lint format bench clean

help:
	@echo "make demo   - create .venv if needed, then run the demo"
	@echo "make test   - create .venv if needed, then ruff + the whole test suite"
	@echo "make bench  - print the benchmark numbers recorded in docs/BENCHMARKS.md"
	@echo "make clean  - remove .venv and caches"

$(STAMP): requirements.txt setup.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "mono_depth_ros needs Python 3.10 or newer, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | $(PIP_QUIET)
	$(BIN)/python -m pip install -q $(TORCH_PIP_ARGS) "$(TORCH_SPEC)" 2>&1 | $(PIP_QUIET)
	$(BIN)/python -m pip install -q -r requirements.txt 2>&1 | $(PIP_QUIET)
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q --no-deps -e . 2>&1 | $(PIP_QUIET)
	@$(BIN)/python -c 'import torch, rclpy, rosbags, cv2; print("environment ready: torch", torch.__version__)'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	@out="$${DEMO_OUT:-demo-$$(date +%Y%m%d-%H%M%S)}"; \
	$(ROS_ENV) $(BIN)/mono-depth-ros demo --out "$$out" --frames $(DEMO_FRAMES) --calibration $(DEMO_CALIBRATION); \
	echo "Pictures: $$out/frames/*.png, point cloud: $$out/points.ply, scale plot: $$out/scale.png, $$out/metrics.json"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(ROS_ENV) $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/mono-depth-ros bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
