"""The load benchmark runs end to end with tiny numbers and prints its figures.

It starts the bot and an echo bot as processes and takes about half a minute, so it runs
only when asked: ``RSB_BENCH_SMOKE=1 .venv/bin/pytest tests/unit/test_load_bench_smoke.py``.
No figure is checked, only that each is printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not os.environ.get("RSB_BENCH_SMOKE"), reason="set RSB_BENCH_SMOKE=1")
def test_the_load_benchmark_prints_its_figures_for_both_bots() -> None:
    tiny = ["--residents", "3", "--agents", "1", "--seconds", "2", "--latency-ms", "10"]
    finished = subprocess.run(
        [sys.executable, "-m", "bench.load", *tiny],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = finished.stdout
    assert "registered 3 of 3 residents" in out
    for figure in (
        "updates/s (max, closed loop)",
        "CPU ms per update",
        "p99 ms at half of max",
        "SQL statements per update",
        "peak RSS MB (VmHWM)",
    ):
        line = next(line for line in out.splitlines() if line.startswith(figure))
        assert len(line.split()) >= 4, line  # this bot, echo bot, ratio
