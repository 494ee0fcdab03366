"""DORA metrics benchmark: `ontrack dora` over a 100,000-commit history with 10,000 deployments.

Run: ``.venv/bin/python bench/dora.py [--commits 100000 --deployments 10000 --seed 1]``.
Prints a Markdown table. The goal (issue 15): under 10 s, measured whole (the command as a user
runs it, process start included), beside the baseline of plain ``git log`` parsing (one
``git log --all`` pass read into commits, what any tool must do first) in the same run.

The history is written with ``git fast-import``: a main line, with every tenth commit a merge of
a one-commit side branch, one commit every ten minutes. Deployments go to five services, each
naming a main-line commit a few hours to days old (half by a 12-digit sha prefix; every twentieth
fails); 300 incidents each
name one or two deployments (one in ten also an unknown id, for the warnings path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ontrack.interop.gitlog import read_repository

START = int(dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp())
STEP = 600
ENV = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")


def build_repo(repo: Path, commits: int) -> tuple[list[str], list[int]]:
    """The repository, and the main line's shas and commit times, oldest first."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    parts: list[bytes] = []
    main_marks: list[int] = []
    main_times: list[int] = []
    mark = 0
    stamp = START
    while mark < commits:
        side = None
        if main_marks and len(main_marks) % 10 == 0 and mark + 2 <= commits:
            mark += 1
            side = mark
            msg = f"feat: side {mark}".encode()
            parts.append(
                b"commit refs/heads/side\nmark :%d\ncommitter B <b@x> %d +0000\ndata %d\n%s\n"
                b"from :%d\n\n" % (mark, stamp, len(msg), msg, main_marks[-1])
            )
            stamp += STEP
        mark += 1
        msg = f"change {mark}".encode()
        head = b"commit refs/heads/main\nmark :%d\ncommitter B <b@x> %d +0000\ndata %d\n%s\n" % (
            mark,
            stamp,
            len(msg),
            msg,
        )
        if main_marks:
            head += b"from :%d\n" % main_marks[-1]
        if side is not None:
            head += b"merge :%d\n" % side
        parts.append(head + b"\n")
        main_marks.append(mark)
        main_times.append(stamp)
        stamp += STEP
    marks_file = repo / "marks"
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet", f"--export-marks={marks_file}"],
        input=b"".join(parts),
        check=True,
        env=ENV,
    )
    shas = dict(line.split() for line in marks_file.read_text().splitlines())
    return [shas[f":{m}"] for m in main_marks], main_times


def write_logs(
    folder: Path, shas: list[str], times: list[int], deployments: int, seed: int
) -> tuple[Path, Path]:
    rng = random.Random(seed)
    services = [f"svc{n}" for n in range(5)]
    rows = ["id,service,version,environment,time,result"]
    ids = []
    for n in range(deployments):
        index = int((n + rng.random()) * len(shas) / deployments)
        index = min(index, len(shas) - 1)
        when = times[index] + rng.randint(3600, 3 * 86400)
        result = "failure" if n % 20 == 19 else "success"
        stamp = dt.datetime.fromtimestamp(when, dt.UTC).isoformat()
        service = services[n % len(services)]
        version = shas[index] if n % 2 else shas[index][:12]  # short shas too
        rows.append(f"d{n},{service},{version},production,{stamp},{result}")
        ids.append((f"d{n}", service, when))
    deploys = folder / "deploys.csv"
    deploys.write_text("\n".join(rows) + "\n")
    lines = ["id,service,started,resolved,caused_by"]
    for n in range(300):
        ident, service, when = rng.choice(ids)
        causes = [ident]
        if n % 3 == 0:
            causes.append(rng.choice(ids)[0])
        if n % 10 == 0:
            causes.append("nope")
        started = when + rng.randint(60, 86400)
        resolved = "" if n % 25 == 0 else str(started + rng.randint(600, 2 * 86400))
        iso = dt.datetime.fromtimestamp(started, dt.UTC).isoformat()
        res = dt.datetime.fromtimestamp(int(resolved), dt.UTC).isoformat() if resolved else ""
        lines.append(f"i{n},{service},{iso},{res},{';'.join(causes)}")
    incidents = folder / "incidents.csv"
    incidents.write_text("\n".join(lines) + "\n")
    return deploys, incidents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        repo = folder / "repo"
        began = time.perf_counter()
        shas, times = build_repo(repo, args.commits)
        built = time.perf_counter() - began
        deploys, incidents = write_logs(folder, shas, times, args.deployments, args.seed)
        began = time.perf_counter()
        repository, problems = read_repository(repo)
        baseline = time.perf_counter() - began
        assert repository is not None, problems
        began = time.perf_counter()
        command = [sys.executable, "-m", "ontrack.cli.main", "dora", "--repo", str(repo)]
        done = subprocess.run(
            [*command, "--deployments", str(deploys), "--incidents", str(incidents), "-f", "json"],
            capture_output=True,
            check=False,
        )
        whole = time.perf_counter() - began
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        total = json.loads(done.stdout)["overall"]["total"]
    print(f"history written with git fast-import in {built:.1f} s")
    print()
    print("| commits | deployments | plain git log parsing s | `ontrack dora` whole s |")
    print("|---:|---:|---:|---:|")
    print(f"| {len(repository.commits):,} | {args.deployments:,} | {baseline:.2f} | {whole:.2f} |")
    print()
    print(
        f"lead times measured: {total['lead_time_commits']:,}, "
        f"change fail rate {total['change_fail_rate']:.3f}, rework {total['rework_rate']:.3f}"
    )


if __name__ == "__main__":
    main()
