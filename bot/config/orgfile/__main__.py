"""``python -m bot.config.orgfile [PATH]``: check an organisation file.

Prints one line per problem (``file:line: place: message``) and exits with 1, or
prints a short summary and exits with 0. Without PATH the shipped example is
checked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .durations import format_duration
from .loader import EXAMPLE_ORGANISATION_PATH, check_organisation, load_organisation


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.config.orgfile", description="Check an organisation file."
    )
    parser.add_argument("path", nargs="?", default=str(EXAMPLE_ORGANISATION_PATH))
    args = parser.parse_args(argv)

    problems = check_organisation(args.path)
    if problems:
        for problem in problems:
            print(problem)
        noun = "problem" if len(problems) == 1 else "problems"
        print(f"{len(problems)} {noun} found")
        return 1

    org = load_organisation(args.path)
    units = sum(len(b.units) for p in org.projects for b in p.buildings)
    print(f"{args.path}: OK")
    print(
        f"  {len(org.regions)} regions, {len(org.projects)} projects ({units} units), "
        f"{len(org.staff)} staff, {len(org.categories)} categories, "
        f"{len(org.sla.rules)} SLA rules"
    )
    print(
        f"  SLA defaults: first response {format_duration(org.sla.first_response)}, "
        f"resolution {format_duration(org.sla.resolution)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
