"""``ontrack sync`` against a real Redmine: a first, an incremental and an unchanged sync.

Run: ``.venv/bin/python bench/sync.py [--items 5000] [--changed 50] [--keep]`` (or, against a
Redmine already running, ``--url URL --key KEY --db-file DIR/redmine.sqlite3``).

What it does, in order:

1. Starts a throwaway Redmine 5 (``scripts/ensure-redmine``) and seeds one project through
   ``rails runner`` in one transaction: ``--items`` issues spread over about a year, a third
   left New, a third moved to In Progress and a third moved to In Progress then Closed, each
   move a real status change with its journal (``init_journal`` then save), plus
   ``--relations`` "precedes"/"blocks" relations. Issues are assigned to a few users. The seed
   is timed apart and is not part of the figures.
2. Writes a plan in a temporary folder: one Redmine source for that project (its key in an
   environment variable) and ``--tasks`` tasks linked to a mix of New, In Progress and Closed
   issues.
3. Runs ``ontrack sync PLAN --db sqlite:///... -f json`` as a subprocess, as a user types it:
   a first sync; then, after ``--changed`` issues are changed through the REST API (status
   changes and estimate edits), an incremental sync; then an unchanged sync.
4. The baseline, in the same run: paging through ``/issues.json?project_id=..&status_id=*
   &limit=100`` with httpx (every issue, no journals), before the first sync and after the last.

Each sync reports its wall time, the items, pages and requests its JSON gives, and a breakdown
of every HTTP request Redmine saw during it (from the server's access log): issue-list pages,
per-issue journal reads, user look-ups, and the rest (the connection check, statuses,
trackers). The JSON's ``requests`` leaves out the connection check made before reading.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(ROOT))

from tests.trackers.redmine_api import RedmineApi  # noqa: E402

SCRIPT = ROOT / "scripts" / "ensure-redmine"
ONTRACK = ROOT / ".venv" / "bin" / "ontrack"
TOKEN_ENV = "BENCH_REDMINE_TOKEN"
USERS = ("alice", "bob", "carol", "dave", "erin")

#: One transaction: the issues (created over ~a year), their status changes with journals,
#: the relations; then every date is set back to when it "happened". Prints one JSON line:
#: [[id, kind, estimated_hours, assignee login or null], ...], kind 0 New, 1 In Progress,
#: 2 Closed.
SEED = """
project = Project.find(ARGV[0])
n, relations, seed = ARGV[1].to_i, ARGV[2].to_i, ARGV[3].to_i
users = ARGV[4].split(",").map { |login| User.find_by_login(login) }
admin = User.find_by_login("admin")
User.current = admin
tracker = project.trackers.first
statuses = IssueStatus.all.index_by(&:name)
fresh, doing, closed = statuses["New"], statuses["In Progress"], statuses["Closed"]
rng = Random.new(seed)
day = 86400
now = Time.now.utc
rows = []
moments = {}   # issue id => [created, updated, closed or nil]
stamps = []    # [journal id, created_on]
Mailer.with_deliveries(false) do
  Issue.transaction do
    n.times do |i|
      created = now - (400 - 360.0 * i / n) * day + rng.rand(day)
      hours = 4 * (1 + rng.rand(10))
      who = i % 6 == 5 ? nil : users[i % users.size]
      issue = Issue.new(project: project, tracker: tracker, author: admin, status: fresh,
                        subject: "Bench issue #{i + 1}", estimated_hours: hours,
                        assigned_to: who, start_date: created.to_date)
      issue.save!(validate: false)
      kind = i % 3
      last = created
      closed_on = nil
      if kind >= 1
        issue.reload # creating it set its root (nested set) behind its back
        last = created + (1 + rng.rand(20)) * day + rng.rand(day)
        issue.init_journal(admin)
        issue.status = doing
        issue.done_ratio = 10 * (1 + rng.rand(8))
        issue.save!(validate: false)
        stamps << [issue.current_journal.id, last]
        if kind == 2
          last = last + (1 + rng.rand(14)) * day + rng.rand(day)
          issue.init_journal(admin)
          issue.status = closed
          issue.done_ratio = 100
          issue.save!(validate: false)
          stamps << [issue.current_journal.id, last]
          closed_on = last
        end
      end
      moments[issue.id] = [created, last, closed_on]
      rows << [issue.id, kind, hours, who && who.login]
    end
    ids = moments.keys
    made = 0
    tries = 0
    while made < relations && tries < relations * 10
      tries += 1
      a, b = ids.sample(2, random: rng).sort
      kind = made.even? ? "precedes" : "blocks"
      relation = IssueRelation.new(issue_from: Issue.find(a), issue_to: Issue.find(b),
                                   relation_type: kind)
      made += 1 if relation.save
    end
    stamps.each { |id, at| Journal.where(id: id).update_all(created_on: at) }
    moments.each do |id, (created, updated, closed_on)|
      Issue.where(id: id).update_all(created_on: created, updated_on: updated,
                                     closed_on: closed_on)
    end
  end
end
puts rows.to_json
"""

LIST = re.compile(r'"(GET|POST|PUT|DELETE|PATCH) (\S+) HTTP/')


@dataclass
class Server:
    url: str
    key: str
    db: Path
    log: Path | None
    dir: Path | None = None  # set when this script started it (and must stop it)


@dataclass
class Sync:
    label: str
    wall: float
    items: int
    requests: int
    pages: int
    stored: int
    progress: int
    drift: int
    first: bool
    resumed: bool
    http: Counter[str] = field(default_factory=Counter)


@dataclass
class Baseline:
    wall: float
    requests: int
    items: int


def start(where: Path) -> Server:
    done = subprocess.run(
        [str(SCRIPT), "start", str(where)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"Redmine could not start: {done.stderr.strip()[-1500:]}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    return Server(
        info["url"], info["key"], where / "redmine.sqlite3", where / "redmine.log", dir=where
    )


def stop(where: Path) -> None:
    subprocess.run([str(SCRIPT), "stop", str(where)], check=False, timeout=120)


# -- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    id: int
    kind: int  # 0 New, 1 In Progress, 2 Closed
    hours: int
    login: str | None


def seed(api: RedmineApi, project: str, items: int, relations: int) -> list[Issue]:
    api.create_project(project, "Sync benchmark")
    known = {u["login"] for u in api.get("/users.json", limit=100)["users"]}
    for login in USERS:
        if login not in known:
            api.create_user(login)
    ids = {u["login"]: int(u["id"]) for u in api.get("/users.json", limit=100)["users"]}
    for login in USERS:
        api.add_member(project, ids[login])
    rows = json.loads(api._runner(SEED, project, str(items), str(relations), "1", ",".join(USERS)))
    return [Issue(int(r[0]), int(r[1]), int(r[2]), r[3]) for r in rows]


def write_plan(
    folder: Path, server: Server, project: str, issues: list[Issue], tasks: int
) -> tuple[Path, list[Issue]]:
    """A plan whose tasks link to ``tasks`` issues, a third of each kind, with the issues'
    estimates and assignees (so the first sync's drift is about progress)."""
    rng = random.Random(2)
    by_kind = [[i for i in issues if i.kind == k] for k in range(3)]
    linked: list[Issue] = []
    for k in range(tasks):
        pool = by_kind[k % 3]
        linked.append(pool.pop(rng.randrange(len(pool))))
    people = "\n".join(f"  - {{id: {login}, rate: 800/day}}" for login in USERS)
    lines = []
    for n, issue in enumerate(sorted(linked, key=lambda i: i.id), start=1):
        who = f", assignee: {issue.login}" if issue.login else ""
        days = issue.hours / 8
        estimate = f"{days:g}d"
        lines.append(
            f"  - {{id: t{n}, title: Task {n}, estimate: {estimate}{who}, "
            f"tracker: rm#{issue.id}}}"
        )
    text = f"""program: {{name: Sync benchmark, start: 2025-11-03, budget: 500000}}
people:
{people}
sources:
  - {{name: rm, kind: redmine, url: "{server.url}", project: {project}, token_env: {TOKEN_ENV},
     estimate: {{field: estimated_hours, unit: 1h}}}}
tasks:
{chr(10).join(lines)}
"""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.yaml").write_text(text, encoding="utf-8")
    return folder / "plan.yaml", linked


def change(
    api: RedmineApi, issues: list[Issue], linked: list[Issue], count: int
) -> Counter[str]:
    """``count`` issues changed through the REST API, a fifth of them linked to tasks: every
    other one a status change (New to In Progress, In Progress to Resolved, Closed reopened to
    In Progress), the rest an estimate edit. Returns what was done."""
    rng = random.Random(3)
    picked = rng.sample(linked, min(len(linked), count // 5))
    chosen = {i.id for i in picked}
    picked += rng.sample([i for i in issues if i.id not in chosen], count - len(picked))
    rng.shuffle(picked)
    done: Counter[str] = Counter()
    moves = {0: "In Progress", 1: "Resolved", 2: "In Progress"}
    for n, issue in enumerate(picked):
        if n % 2 == 0:
            api.set_status(issue.id, moves[issue.kind], "moved by the benchmark")
            done[f"status ({('New', 'In Progress', 'Closed')[issue.kind]} -> "
                 f"{moves[issue.kind]})"] += 1  # fmt: skip
        else:
            api.update_issue(issue.id, estimated_hours=issue.hours + 4)
            done[f"estimate ({('New', 'In Progress', 'Closed')[issue.kind]} issue)"] += 1
    return done


# -- measuring -------------------------------------------------------------------------------


def log_size(server: Server) -> int:
    return server.log.stat().st_size if server.log and server.log.exists() else 0


def http_since(server: Server, offset: int) -> Counter[str]:
    """The requests Redmine logged after ``offset``, by kind."""
    out: Counter[str] = Counter()
    if not server.log or not server.log.exists():
        return out
    with server.log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    for method, path in LIST.findall(text):
        bare = path.split("?", 1)[0]
        if method != "GET":
            out["other"] += 1
        elif bare == "/issues.json":
            out["list"] += 1
        elif re.fullmatch(r"/issues/\d+\.json", bare):
            out["journals"] += 1
        elif re.fullmatch(r"/users/\d+\.json", bare):
            out["users"] += 1
        else:
            out["other"] += 1
    return out


def run_sync(label: str, plan: Path, db: Path, server: Server) -> Sync:
    env = {**os.environ, TOKEN_ENV: server.key}
    time.sleep(0.5)  # WEBrick logs a request after answering it: let the last one land
    offset = log_size(server)
    began = time.perf_counter()
    done = subprocess.run(
        [str(ONTRACK), "sync", str(plan), "--db", f"sqlite:///{db}", "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
        check=False,
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{label}: ontrack sync failed ({done.returncode}):\n{done.stderr}")
    time.sleep(0.5)  # the same, for the sync's last request
    data = json.loads(done.stdout)
    source = data["sources"][0]
    return Sync(
        label=label,
        wall=wall,
        items=int(source["items_read"]),
        requests=int(source["requests"]),
        pages=int(source["pages"]),
        stored=int(source["items_stored"]),
        progress=len(source.get("progress_updates") or []),
        drift=len(source.get("drift") or []),
        first=bool(source.get("first")),
        resumed=bool(source.get("resumed")),
        http=http_since(server, offset),
    )


def startup() -> float:
    """The fixed cost of the command: ``ontrack sync --help`` (Python, imports), best of 3."""
    times = []
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run(
            [str(ONTRACK), "sync", "--help"], capture_output=True, check=True, timeout=120
        )
        times.append(time.perf_counter() - began)
    return min(times)


def baseline(server: Server, project: str) -> Baseline:
    """Every issue of the project, 100 a request, no journals: the floor of a first sync."""
    began = time.perf_counter()
    requests = items = 0
    with httpx.Client(
        base_url=server.url, headers={"X-Redmine-API-Key": server.key}, timeout=120
    ) as client:
        offset = 0
        while True:
            params: dict[str, Any] = {
                "project_id": project,
                "status_id": "*",
                "limit": 100,
                "offset": offset,
            }
            reply = client.get("/issues.json", params=params)
            reply.raise_for_status()
            requests += 1
            data = reply.json()
            batch = data["issues"]
            items += len(batch)
            offset += len(batch)
            if not batch or offset >= int(data["total_count"]):
                break
    return Baseline(time.perf_counter() - began, requests, items)


# -- report ----------------------------------------------------------------------------------


def table(syncs: list[Sync], bases: list[Baseline]) -> str:
    head = (
        "| run | wall s | items read | requests (JSON) | pages | HTTP seen by Redmine: "
        "list pages / journal reads / user look-ups / other | stored | progress updates | "
        "drift |\n|---|---:|---:|---:|---:|---|---:|---:|---:|"
    )
    rows = [head]
    for s in syncs:
        http = s.http
        seen = (
            f"{sum(http.values())}: {http['list']} / {http['journals']} / {http['users']} / "
            f"{http['other']}"
            if http
            else "n/a"
        )
        rows.append(
            f"| {s.label} | {s.wall:.2f} | {s.items:,} | {s.requests:,} | {s.pages} | {seen} | "
            f"{s.stored:,} | {s.progress} | {s.drift} |"
        )
    for n, b in enumerate(bases, start=1):
        rows.append(
            f"| baseline {n}: httpx paging, no journals | {b.wall:.2f} | {b.items:,} | "
            f"{b.requests} | {b.requests} | {b.requests}: {b.requests} / 0 / 0 / 0 | - | - | - |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=5000, help="issues in the project")
    parser.add_argument("--changed", type=int, default=50, help="issues changed before sync 2")
    parser.add_argument("--tasks", type=int, default=50, help="plan tasks linked to issues")
    parser.add_argument("--relations", type=int, default=300, help="precedes/blocks relations")
    parser.add_argument(
        "--keep", action="store_true", help="leave the Redmine running (and keep plan and store)"
    )
    parser.add_argument("--url", help="a running Redmine (with --key and --db-file)")
    parser.add_argument("--key", help="its admin API key")
    parser.add_argument("--db-file", type=Path, help="its SQLite file (for rails runner)")
    args = parser.parse_args(argv)
    if args.url and not (args.key and args.db_file):
        parser.error("--url needs --key and --db-file")

    scratch = Path(tempfile.mkdtemp(prefix="ontrack-bench-sync-"))
    if args.url:
        log = args.db_file.resolve().parent / "redmine.log"
        server = Server(args.url.rstrip("/"), args.key, args.db_file.resolve(), log)
    else:
        began = time.perf_counter()
        server = start(scratch / "redmine")
        print(f"Redmine started at {server.url} in {time.perf_counter() - began:.1f} s")
    api = RedmineApi(server.url, server.key, db=server.db)
    project = f"bench-sync-{os.urandom(3).hex()}"
    try:
        began = time.perf_counter()
        issues = seed(api, project, args.items, args.relations)
        seeded = time.perf_counter() - began
        kinds = Counter(i.kind for i in issues)
        print(
            f"seeded {len(issues):,} issues ({kinds[0]:,} New, {kinds[1]:,} In Progress, "
            f"{kinds[2]:,} Closed; {kinds[1] + 2 * kinds[2]:,} status changes with journals) "
            f"and {args.relations} relations in {seeded:.1f} s (not part of the figures)",
            flush=True,
        )
        plan, linked = write_plan(scratch / "plan", server, project, issues, args.tasks)
        store = scratch / "store.db"
        bases = [baseline(server, project)]
        print(f"baseline 1: {bases[0].wall:.2f} s, {bases[0].requests} requests", flush=True)
        syncs = [run_sync("1. first sync", plan, store, server)]
        print(f"first sync: {syncs[0].wall:.2f} s", flush=True)
        began = time.perf_counter()
        changes = change(api, issues, linked, args.changed)
        print(
            f"changed {args.changed} issues through the REST API in "
            f"{time.perf_counter() - began:.1f} s: "
            + ", ".join(f"{n} {what}" for what, n in sorted(changes.items())),
            flush=True,
        )
        syncs.append(run_sync(f"2. incremental ({args.changed} changed)", plan, store, server))
        syncs.append(run_sync("3. unchanged", plan, store, server))
        bases.append(baseline(server, project))
        print()
        print(f"Redmine 5 at {server.url}, project {project}: {len(issues):,} issues, ")
        print(f"plan: {args.tasks} linked tasks; `ontrack sync PLAN --db sqlite:///... -f json`")
        print()
        print(table(syncs, bases))
        best = min(b.wall for b in bases)
        first = syncs[0]
        print()
        print(
            f"first sync / baseline (the faster of the two): {first.wall:.2f} / {best:.2f} s = "
            f"{first.wall / best:.1f}x; requests {sum(first.http.values()) or first.requests:,}"
            f" / {bases[0].requests} = "
            f"{(sum(first.http.values()) or first.requests) / bases[0].requests:.1f}x"
        )
        print(
            f"first sync: {first.http['journals']:,} journal reads for "
            f"{kinds[1] + kinds[2]:,} issues not New (of {len(issues):,})"
        )
        inc = syncs[1]
        print(
            f"incremental: {inc.items} items read for {args.changed} changed; "
            f"{inc.http['list']} list pages, {inc.http['journals']} journal reads, "
            f"{inc.http['users']} user look-ups, {inc.http['other']} other"
        )
        print(f"process start-up (`ontrack sync --help`, best of 3): {startup():.2f} s")
    finally:
        api.close()
        if server.dir is not None:
            if args.keep:
                print(
                    f"Redmine left running: --url {server.url} --key {server.key} "
                    f"--db-file {server.db} (stop: scripts/ensure-redmine stop {server.dir})"
                )
            else:
                stop(server.dir)
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"plan and store kept in {scratch}")


if __name__ == "__main__":
    main()
