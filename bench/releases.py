"""Release commands benchmark: what a TPM waits for around a go/no-go, measured whole (the
command as a user types it, process start included) on examples/platform-migration, beside the
baseline of ``ontrack forecast`` on the same plan in the same run (the readiness gates ride on
the one assessment, so their cost over it is what this shows).

Run: ``.venv/bin/python bench/releases.py [--runs 3]``. Prints a Markdown table of the median
wall time of each command over ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTRACK = str(Path(sys.executable).parent / "ontrack")
PLAN = str(ROOT / "examples" / "platform-migration")

COMMANDS: list[tuple[str, list[str]]] = [
    ("baseline: forecast", ["forecast", PLAN]),
    ("assess", ["assess", PLAN]),
    ("release calendar", ["release", "calendar", PLAN]),
    ("release status rel-stateless", ["release", "status", "rel-stateless", PLAN]),
    (
        "release go-no-go rel-stateless (HTML)",
        ["release", "go-no-go", "rel-stateless", PLAN, "-f", "html"],
    ),
    ("release slip rel-stateless", ["release", "slip", "rel-stateless", PLAN]),
    ("release slip rel-full-cutover", ["release", "slip", "rel-full-cutover", PLAN]),
    (
        "release notes HEAD~200..HEAD",
        ["release", "notes", "--repo", str(ROOT), "--from", "HEAD~200"],
    ),
]


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [ONTRACK, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ontrack {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    rows = []
    for name, args in COMMANDS:
        times = [timed(args) for _ in range(runs)]
        rows.append((name, statistics.median(times), min(times), max(times)))
    base = rows[0][1]
    print("| command | median s | min–max s | × forecast |")
    print("|---|---|---|---|")
    for name, median, low, high in rows:
        print(f"| {name} | {median:.2f} | {low:.2f}–{high:.2f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
