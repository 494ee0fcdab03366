"""Deep fuzzing of every entry point that takes outside input, for as long as it is given.

Run: ``.venv/bin/python bench/fuzz.py --minutes 60`` (or ``make fuzz``). Each round runs every
target of tests/fuzz/test_fuzz.py with the random ``deep`` profile (new cases every round), until
the time is spent; a target that fails prints hypothesis's falsifying example and is counted.
Prints the cases run per target and the failures, and exits 1 when any target failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--examples", type=int, default=200, help="cases per target per round")
    parser.add_argument("--only", default="", help="run the targets whose name contains this")
    args = parser.parse_args()
    os.environ["ONTRACK_FUZZ_PROFILE"] = "deep"
    os.environ["ONTRACK_FUZZ_EXAMPLES"] = str(args.examples)
    sys.path.insert(0, str(ROOT))
    from tests.fuzz import test_fuzz  # noqa: PLC0415 - after the profile is chosen
    from tests.fuzz.harness import CASES  # noqa: PLC0415

    targets = {
        name: getattr(test_fuzz, name)
        for name in dir(test_fuzz)
        if name.startswith("test_") and hasattr(getattr(test_fuzz, name), "hypothesis")
        and args.only in name
    }
    failures: Counter[str] = Counter()
    deadline = time.monotonic() + args.minutes * 60
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        for name, target in targets.items():
            if time.monotonic() >= deadline:
                break
            try:
                target()
            except Exception:  # a falsified property: report it and go on with the others
                failures[name] += 1
                traceback.print_exc(limit=3)
    total = sum(CASES.values())
    print(f"\n{rounds} rounds in {args.minutes:g} min, {total:,} cases")
    print("| target | cases | failed rounds |")
    print("|---|---:|---:|")
    for name in sorted(CASES):
        print(f"| {name} | {CASES[name]:,} | {failures.get('test_' + name.replace(' ', '_'), 0)} |")
    for name, count in failures.items():
        print(f"FAILED {name}: {count} round(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
