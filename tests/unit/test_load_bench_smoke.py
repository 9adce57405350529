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
        "updates/s offered in phase 2",
        "p99 ms at half of max",
        "  p99 ms to the whole answer",
        "SQL statements per update",
        "peak RSS MB (VmHWM)",
    ):
        line = next(line for line in out.splitlines() if line.startswith(figure))
        assert len(line.split()) >= 4, line  # this bot, echo bot, ratio


def test_a_fixed_rate_is_printed_as_the_rate_phase_two_ran_at(capsys) -> None:
    from bench.load import Figures, report

    ours = Figures(updates_per_second=90, p50=0.2, p95=0.3, p99=0.4, offered_rate=40)
    theirs = Figures(updates_per_second=300, p50=0.1, p95=0.15, p99=0.2, offered_rate=40)
    report(ours, theirs, 100, fixed_rate=True)
    lines = capsys.readouterr().out.splitlines()
    assert next(line for line in lines if line.startswith("updates/s offered")).split()[-3:] == [
        "40.0",
        "40.0",
        "1.0×",
    ]
    p99 = next(line for line in lines if line.startswith("p99 ms at 40/s"))
    assert p99.split()[-3:] == ["400", "200", "2.0×"]
