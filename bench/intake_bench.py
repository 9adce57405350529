"""Benchmark: how well the bot understands what residents write.

Reads the labelled messages of ``tests/fixtures/intake_eval.tsv`` (expected category of
the example organisation, or ``none`` for a message that is not a problem), reads
each one as a message outside any conversation (``categories.read``: the guessed
categories and whether filing is offered) and prints

* top-1 accuracy: problems whose first guess is the expected category;
* top-3 recall: problems whose expected category is among the first three guesses;
* false offers: non-problems (greetings, thanks, chit-chat) offered as a ticket;
* the mean and 95th-percentile time of one reading (the dictionary loaded first).

    .venv/bin/python bench/intake_bench.py              # figures
    .venv/bin/python bench/intake_bench.py --misses     # and every message it gets wrong
    .venv/bin/python bench/intake_bench.py --org path/to/organisation.toml --data other.tsv

Targets (tests/unit/test_intake_eval.py holds them): top-1 ≥ 95 %, no false offer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config.orgfile import Organisation, load_organisation
from bot.config.orgfile.loader import EXAMPLE_ORGANISATION_PATH
from bot.services.intake import categories
from bot.services.intake.words import warm_up

EVAL_PATH = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "intake_eval.tsv"
NOT_A_PROBLEM = "none"


@dataclass(frozen=True)
class Example:
    line: int
    expected: str  # a category key, or "none"
    text: str


@dataclass(frozen=True)
class Miss:
    example: Example
    guessed: list[str]
    offered: bool


@dataclass
class Figures:
    problems: int = 0
    top1: int = 0
    top3: int = 0
    non_problems: int = 0
    false_offers: int = 0
    seconds: list[float] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.problems if self.problems else 0.0

    @property
    def top3_recall(self) -> float:
        return self.top3 / self.problems if self.problems else 0.0


def load_examples(path: Path = EVAL_PATH) -> list[Example]:
    found = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        expected, text = line.split("\t", 1)
        found.append(Example(number, expected.strip(), text.strip()))
    return found


def evaluate(org: Organisation, examples: list[Example]) -> Figures:
    figures = Figures()
    for example in examples:
        started = time.perf_counter()
        reading = categories.read(org, example.text)
        figures.seconds.append(time.perf_counter() - started)
        guessed = [g.key for g in reading.guesses]
        if example.expected == NOT_A_PROBLEM:
            figures.non_problems += 1
            if reading.offered:
                figures.false_offers += 1
                figures.misses.append(Miss(example, guessed, reading.offered))
            continue
        figures.problems += 1
        hit = reading.offered and guessed[:1] == [example.expected]
        figures.top1 += hit
        figures.top3 += reading.offered and example.expected in guessed[:3]
        if not hit:
            figures.misses.append(Miss(example, guessed, reading.offered))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org", type=Path, default=EXAMPLE_ORGANISATION_PATH)
    parser.add_argument("--data", type=Path, default=EVAL_PATH)
    parser.add_argument("--misses", action="store_true", help="list the messages it gets wrong")
    args = parser.parse_args()

    org = load_organisation(args.org)
    examples = load_examples(args.data)
    started = time.perf_counter()
    warm_up()
    categories.guess(org, "warm-up")
    loading = time.perf_counter() - started
    figures = evaluate(org, examples)

    print(f"messages: {len(examples)} ({figures.problems} problems, "
          f"{figures.non_problems} not problems)")  # fmt: skip
    print(f"top-1 accuracy: {figures.top1_accuracy:.1%} ({figures.top1}/{figures.problems})")
    print(f"top-3 recall:   {figures.top3_recall:.1%} ({figures.top3}/{figures.problems})")
    print(f"false offers:   {figures.false_offers}/{figures.non_problems} non-problems")
    times = sorted(figures.seconds)
    p95 = times[int(0.95 * (len(times) - 1))]
    mean = statistics.fmean(times) * 1000
    print(f"guess time:     mean {mean:.3f} ms, p95 {p95 * 1000:.3f} ms")
    print(f"loading:        {loading:.2f} s (Chinese dictionary and the organisation's matcher)")
    if args.misses:
        for miss in figures.misses:
            offered = "offered" if miss.offered else "not offered"
            print(f"  line {miss.example.line}: expected {miss.example.expected}, got "
                  f"{miss.guessed or '-'} ({offered}): {miss.example.text}")  # fmt: skip


if __name__ == "__main__":
    main()
