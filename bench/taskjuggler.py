"""ontrack's default schedule against TaskJuggler (tj3) on the same plans, as users run both.

Run: ``.venv/bin/python bench/taskjuggler.py`` (needs Debian's ``tj3``: ``scripts/ensure-tj3``).

Per plan (the two examples, and ``ontrack generate --tasks N --people P --seed 1`` plans of
100/4, 300/10, 1,000/30 and 3,000/80 by default), whole process, in turn:

* ``ontrack schedule PLAN --format json`` (the default: what a TPM waits for), its finish and
  its proven lower bound;
* ``ontrack schedule PLAN --backend cpsat --time-limit 10`` (``--cpsat 0`` skips it), and with
  ``--reference S`` a longer CP-SAT run to measure the default against;
* ``ontrack export PLAN --to tjp --tjp-select RULE`` then ``tj3`` on it, for each of tj3's
  resource-picking rules (``maxloaded``, ``minloaded``, ``minallocated``, ``order``); tj3's
  finish is the latest end in a CSV task report appended to the export. "fail": tj3 exited
  non-zero (its first error is printed).

Both tools get the same problem: tj3 has no finish-to-finish or start-to-finish link for
as-soon-as-possible tasks, so the export writes FF as FS and SF as SS (warning W460), and the
plan ontrack schedules here is rewritten the same way (``--as-written`` keeps the plan's own
links for ontrack, which only helps ontrack). Both schedule from the program's start
(``ONTRACK_TODAY`` set to the day before it, so no work is done yet and none is held back):
finishes are working days of the program calendar from there.
Python runs with bytecode caching on, as an installed ontrack does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ontrack.engines.calendar import WorkGrid
from ontrack.interop.tjp import csv_taskreport, read_taskreport
from ontrack.planfile import load_plan

ROOT = Path(__file__).resolve().parents[1]
RULES = ("maxloaded", "minloaded", "minallocated", "order")
GENERATED = ((100, 4), (300, 10), (1000, 30), (3000, 80))


@dataclass(frozen=True)
class Run:
    seconds: float
    finish: dt.date | None
    detail: str = ""


def exe() -> str:
    return shutil.which("ontrack", path=str(Path(sys.executable).parent)) or "ontrack"


def environment(today: dt.date) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["ONTRACK_TODAY"] = today.isoformat()
    return env


def timed(args: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, str, int]:
    began = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    return time.perf_counter() - began, done.stdout + done.stderr, done.returncode


def same_links(text: str, strict: bool = False) -> str:
    """The plan as tj3 gets it: FF links as FS, SF as SS (see the module doc); ``strict``:
    SS as FS too, for the plans tj3 cannot schedule with their start-to-start links."""
    text = re.sub(r"(\btype:\s*)FF\b", r"\1FS", text)
    text = re.sub(r"(\btype:\s*)SF\b", r"\1" + ("FS" if strict else "SS"), text)
    return re.sub(r"(\btype:\s*)SS\b", r"\1FS", text) if strict else text


def ontrack_schedule(plan: Path, env: dict[str, str], extra: list[str]) -> Run:
    seconds, out, code = timed([exe(), "schedule", str(plan), "--format", "json", *extra], env)
    if code != 0:
        return Run(seconds, None, out.strip().splitlines()[-1] if out.strip() else "failed")
    data = json.loads(out[out.index("{") :])
    bound = data.get("lower_bound_finish")
    return Run(seconds, dt.date.fromisoformat(data["finish"]), bound or "")


def tj3(plan: Path, rule: str, env: dict[str, str], work: Path) -> Run:
    target = work / f"{plan.stem}-{rule}.tjp"
    _, out, code = timed(
        [exe(), "export", str(plan), "--to", "tjp", "--tjp-select", rule, "-o", str(target)], env
    )
    if code != 0:
        raise SystemExit(f"export of {plan} failed:\n{out}")
    report = f"report_{rule}"
    target.write_text(target.read_text(encoding="utf-8") + csv_taskreport(report), "utf-8")
    seconds, out, code = timed(["tj3", "--no-color", target.name], env, cwd=work)
    if code != 0:
        first = next((line for line in out.splitlines() if "Error" in line), "tj3 failed")
        return Run(seconds, None, first.strip())
    rows = read_taskreport((work / f"{report}.csv").read_text(encoding="utf-8"))
    last = max(end for _, end in rows.values())
    # An end at midnight is the end of the day before.
    finish = (last - dt.timedelta(minutes=1)).date()
    return Run(seconds, finish)


def working_days(grid: WorkGrid, finish: dt.date | None) -> int | None:
    return None if finish is None else grid.index_on_or_before(finish) + 1


def plans(work: Path, names: list[str], seed: int) -> list[tuple[str, Path]]:
    chosen: list[tuple[str, Path]] = []
    for name in names:
        if name in ("small", "platform-migration"):
            chosen.append((f"examples/{name}", ROOT / "examples" / name))
            continue
        tasks = int(name)
        people = dict(GENERATED).get(tasks, max(2, tasks // 35))
        path = work / f"plan{tasks}.yaml"
        args = [exe(), "generate", "--tasks", str(tasks), "--people", str(people)]
        subprocess.run(
            [*args, "--seed", str(seed), "-o", str(path)], check=True, capture_output=True
        )
        chosen.append((f"generated {tasks:,}, {people}", path))
    return chosen


def as_tj3_sees_it(source: Path, work: Path, strict: bool = False) -> Path:
    """A copy of the plan (a file or a directory of YAML files) with :func:`same_links`."""
    kind = "strict" if strict else "same"
    if source.is_file():
        target = work / f"{source.stem}.{kind}.yaml"
        target.write_text(same_links(source.read_text(encoding="utf-8"), strict), "utf-8")
        return target
    target = work / f"{source.name}.{kind}"
    shutil.copytree(source, target)
    for path in target.rglob("*.yaml"):
        path.write_text(same_links(path.read_text(encoding="utf-8"), strict), "utf-8")
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--plans",
        default="small,platform-migration,100,300,1000,3000",
        help="comma-separated: small, platform-migration, or a task count to generate",
    )
    parser.add_argument("--seed", type=int, default=1, help="ontrack generate's seed")
    parser.add_argument("--cpsat", type=float, default=10, help="CP-SAT seconds (0: skip)")
    parser.add_argument("--reference", type=float, default=0, help="a longer CP-SAT run, s")
    parser.add_argument("--as-written", action="store_true", help="ontrack keeps FF/SF links")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if shutil.which("tj3") is None:
        raise SystemExit("tj3 is not installed: run scripts/ensure-tj3")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=False)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="ontrack-tj3-") as tmp:
        work = Path(tmp)
        print(
            "| plan (tasks, people) | ontrack default: finish (wall s) | lower bound "
            "| CP-SAT | reference | tj3 best rule: finish (wall s) | tj3 all rules | links |"
        )
        print("|---|---|---:|---:|---:|---|---|---|")
        for label, source in plans(work, args.plans.split(","), args.seed):
            loaded, _ = load_plan(source)
            if loaded is None:
                raise SystemExit(f"{source} does not load")
            grid = WorkGrid.for_plan(loaded)
            env = environment(loaded.program.start - dt.timedelta(days=1))
            plan = source if args.as_written else as_tj3_sees_it(source, work)
            links = "as written" if args.as_written else "FF as FS, SF as SS"
            tj = {rule: tj3(plan, rule, env, work) for rule in RULES}
            if all(run.finish is None for run in tj.values()):
                for rule, run in tj.items():
                    print(f"  tj3 {rule}: {run.detail}", file=sys.stderr)
                # tj3 3.7.1 books a start-to-start successor before its predecessor has
                # started on some plans, then refuses the schedule: both get SS as FS then.
                plan = as_tj3_sees_it(source, work, strict=True)
                links = "every link FS (tj3 failed on SS)"
                tj = {rule: tj3(plan, rule, env, work) for rule in RULES}
            default = ontrack_schedule(plan, env, [])
            cpsat = (
                ontrack_schedule(
                    plan, env, ["--backend", "cpsat", "--time-limit", f"{args.cpsat:g}"]
                )
                if args.cpsat
                else None
            )
            reference = (
                ontrack_schedule(
                    plan, env, ["--backend", "cpsat", "--time-limit", f"{args.reference:g}"]
                )
                if args.reference
                else None
            )
            valid = {r: run for r, run in tj.items() if run.finish is not None}
            best_rule = min(valid, key=lambda r: (valid[r].finish, valid[r].seconds), default=None)
            bound = (
                working_days(grid, dt.date.fromisoformat(default.detail))
                if default.detail[:2] == "20"
                else None
            )
            row: dict[str, object] = {
                "plan": label,
                "links": links,
                "default_days": working_days(grid, default.finish),
                "default_s": round(default.seconds, 2),
                "lower_bound_days": bound,
                "cpsat_days": working_days(grid, cpsat.finish) if cpsat else None,
                "reference_days": working_days(grid, reference.finish) if reference else None,
                "tj3": {
                    r: {
                        "days": working_days(grid, run.finish),
                        "s": round(run.seconds, 2),
                        "error": run.detail,
                    }
                    for r, run in tj.items()
                },
            }
            rows.append(row)
            best = (
                f"{working_days(grid, valid[best_rule].finish)} ({valid[best_rule].seconds:.1f}, "
                f"{best_rule})"
                if best_rule
                else "fail"
            )
            every = ", ".join(
                f"{r}: {working_days(grid, run.finish) if run.finish else 'fail'}"
                for r, run in tj.items()
            )
            print(
                f"| {label} | {row['default_days']} ({default.seconds:.1f}) | {bound} "
                f"| {row['cpsat_days'] or '–'} | {row['reference_days'] or '–'} | {best} "
                f"| {every} | {links} |",
                flush=True,
            )
            for rule, run in tj.items():
                if run.finish is None:
                    print(f"  tj3 {rule}: {run.detail}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
