"""Web app benchmark: ``ontrack serve`` under load (wrk) and in a real browser (Chromium).

Run: ``.venv/bin/python bench/web.py [--tasks 1000] [--big-tasks 5000] [--duration 20]
[--connections 50]``. Needs Debian's ``wrk`` (``sudo apt-get install -y wrk``) for the load
part, and Debian's ``chromium`` (``scripts/ensure-chromium``) with Playwright for Python
(``pip install playwright``, no browser download) for the browser part; ``--no-load`` and
``--no-browser`` leave a part out. Nothing is installed by this script.

What it does, in order:

1. ``ontrack generate --tasks N --people N/25 --seed 1 -o PLAN`` in a temporary folder, then
   ``ontrack serve PLAN --port P`` as its own process: the command a user runs (it records
   the plan in the store beside it and starts the assessment while the server starts).
2. A user is added and given the viewer role on the program through
   ``Workspace.accounts()`` on that store (the server then leaves single-user mode), and the
   benchmark logs in as a browser does: ``GET /login`` for the form's CSRF token, ``POST
   /login``. Every request after that carries the session cookie of a logged-in viewer.
3. The cache is warmed: the dashboard ``GET /p/{program}`` is fetched until it is the full
   page (not the "assessing..." page), and the API's assessment once.
4. ``wrk -t2 -c50 -d20s --latency`` with the cookie header, one run per route, one after
   another against the same server: ``/static/app.css`` (the baseline: the same server's
   floor, a small file through the same middleware, session lookup included), the dashboard,
   and ``/api/v1/programs/{program}/assessment`` (JSON). A Lua ``done`` hook prints the
   latency percentiles (p95 included), requests, bytes and errors. wrk counts only statuses
   of 400 and above as errors, so the bytes per response are checked against the page's
   size too (a redirect to the login page would be small); the server's CPU time per request
   and wrk's own CPU are read from the kernel.
5. Chromium (Playwright) logs in through the form and opens the dashboard of the ``--tasks``
   program, then of a ``--big-tasks`` one (its own ``ontrack serve``), each already assessed:
   navigation start to DOMContentLoaded and to the load event, the last long task (the main
   thread busy, at least 50 ms at a time), the page's bytes and its DOM nodes, then the time
   for a click to take effect (the Gantt's "Collapse all" / "Expand all", opening the task
   list), and for a scroll to half the page and to its end to be painted. Each interaction
   is timed in the page: the click or scroll, then the next two animation frames (style,
   layout and paint done).

Machine: the figures in bench/RESULTS.md come from a 2-core VM where wrk, the server and the
browser share both cores.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

GOAL_P95_MS = 100.0
USER = "bench-viewer"
PASSWORD = "wrk measures the dashboard"  # a passphrase the password policy takes
ONTRACK = Path(sys.executable).with_name("ontrack")
WRK_HINT = "wrk is not installed: sudo apt-get install -y wrk (Debian's package), or --no-load"
CHROMIUM_HINT = (
    "chromium or Playwright is missing: scripts/ensure-chromium (Debian's chromium) and "
    ".venv/bin/pip install playwright (no browser download needed), or --no-browser"
)

# wrk's done hook: every figure in microseconds (latency) or counts, on one line.
WRK_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "ONTRACK requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d "
    .. "timeout=%d mean_us=%.0f max_us=%d p50_us=%d p75_us=%d p90_us=%d p95_us=%d p99_us=%d\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.max, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(95), latency:percentile(99)))
end
"""


# -- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Served:
    """One ``ontrack serve`` process and what the benchmark needs to talk to it."""

    plan: Path
    program: str
    base: str
    process: subprocess.Popen[bytes]
    log: Path
    cookie: str = ""

    @property
    def dashboard(self) -> str:
        return f"/p/{urllib.parse.quote(self.program, safe='')}"

    @property
    def api(self) -> str:
        return f"/api/v1/programs/{urllib.parse.quote(self.program, safe='')}/assessment"

    def cpu_seconds(self) -> float:
        """User + system CPU of the server so far: its process and (``--workers N``) the
        worker processes it started."""
        return sum(_cpu(pid) for pid in [self.process.pid, *_children(self.process.pid)])


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def ontrack(*args: str, cwd: Path) -> None:
    subprocess.run([str(ONTRACK), *args], cwd=cwd, check=True, env=_env())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ONTRACK_DB", None)  # the store beside the plan, as without the variable
    return env


@contextlib.contextmanager
def serve(folder: Path, tasks: int, people: int, workers: int = 1) -> Iterator[Served]:
    """Generate a plan in ``folder`` and serve it; the server is stopped on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "plan.yaml"
    ontrack("generate", "--tasks", str(tasks), "--people", str(people), "--seed", "1",
            "-o", str(plan), cwd=folder)  # fmt: skip
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ONTRACK), "serve", str(plan), "--port", str(port), "--workers", str(workers)],
            cwd=folder,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ontrack serve exited: {log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/static/app.css", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("ontrack serve did not answer within 300 s")
            time.sleep(0.2)
        from ontrack.app.workspace import Workspace  # noqa: PLC0415

        with Workspace.open(None, plan) as workspace:
            (program,) = workspace.programs()
            accounts = workspace.accounts()
            accounts.add_user(USER, PASSWORD)
            accounts.grant(USER, program, "viewer")
        served = Served(plan, program, base, process, log)
        time.sleep(2.5)  # the server re-reads "has users" every 2 s: single-user mode ends
        served.cookie = log_in(served)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_in(served: Served) -> str:
    """The session cookie of a logged-in viewer, obtained as a browser does. The cookie is
    Secure (browsers keep those on plain HTTP for loopback only; httpx does not), so it is
    carried by hand."""

    def session_of(response: httpx.Response) -> str:
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            if name.strip() == "ontrack_session":
                return "ontrack_session=" + rest.split(";", 1)[0]
        raise AssertionError(f"no session cookie in {response.status_code} {response.url}")

    with httpx.Client(base_url=served.base, timeout=60) as client:
        form = client.get("/login")
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert form.status_code == 200 and found, form.text[:500]
        done = client.post(
            "/login",
            data={"name": USER, "password": PASSWORD, "next": served.dashboard,
                  "csrf": found.group(1)},
            headers={"cookie": session_of(form)},
        )  # fmt: skip
        assert done.status_code == 303, (done.status_code, done.text[:500])
        return session_of(done)


def warm(served: Served) -> dict[str, float]:
    """Fetch the dashboard until it is the full page, then the API's assessment: the time of
    the first full page (the assessment, computed while the server started), and of a
    cached one."""
    out: dict[str, float] = {}
    headers = {"cookie": served.cookie}
    with httpx.Client(base_url=served.base, timeout=600, headers=headers) as client:
        began = time.perf_counter()
        while True:
            page = client.get(served.dashboard)
            assert page.status_code == 200, (page.status_code, page.text[:500])
            if "/job/" not in page.text:  # the "assessing..." page polls its job
                break
            time.sleep(0.5)
        out["first full dashboard s"] = time.perf_counter() - began
        began = time.perf_counter()
        page = client.get(served.dashboard)
        out["cached dashboard, one request, ms"] = (time.perf_counter() - began) * 1000
        assert page.status_code == 200 and "/job/" not in page.text
        out["dashboard bytes"] = len(page.content)
        api = client.get(served.api)
        assert api.status_code == 200, (api.status_code, api.text[:500])
        began = time.perf_counter()
        api = client.get(served.api)
        out["cached API, one request, ms"] = (time.perf_counter() - began) * 1000
        out["API bytes"] = len(api.content)
    # With --workers N every process assesses and renders for itself: new connections until
    # twenty in a row get the full page fast, so no worker is still warming up under load.
    fast = 0
    deadline = time.monotonic() + 600
    while fast < 20 and time.monotonic() < deadline:
        with httpx.Client(base_url=served.base, timeout=600, headers=headers) as fresh:
            began = time.perf_counter()
            page = fresh.get(served.dashboard)
            whole = page.status_code == 200 and len(page.content) == out["dashboard bytes"]
            fast = fast + 1 if whole and time.perf_counter() - began < 0.05 else 0
            if not whole:
                time.sleep(0.3)
            fresh.get(served.api)
    return out


# -- wrk -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    route: str
    requests: int
    seconds: float
    bytes: int
    errors: dict[str, int]
    latency_ms: dict[str, float]
    server_cpu_ms: float  # per request
    wrk_cpu_s: float
    expected_bytes: int  # one response, headers included, fetched alone
    load_before: float  # the machine's 1-minute load average when the run started

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def bytes_each(self) -> float:
        return self.bytes / max(self.requests, 1)

    @property
    def intact(self) -> bool:
        """Every response the size of the one fetched alone (within 1 %): no redirects to the
        login page or short error pages hiding among wrk's "successes"."""
        return abs(self.bytes_each - self.expected_bytes) <= 0.01 * self.expected_bytes


def response_bytes(served: Served, route: str) -> int:
    """One response's bytes on the wire as wrk counts them: status line, headers and body."""
    with socket.create_connection(("127.0.0.1", int(served.base.rsplit(":", 1)[1]))) as s:
        s.sendall(
            f"GET {route} HTTP/1.1\r\nHost: {served.base[7:]}\r\nCookie: {served.cookie}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        total = 0
        while chunk := s.recv(1 << 20):
            total += len(chunk)
    return total


def wrk(
    served: Served, route: str, *, duration: int, connections: int, threads: int, lua: Path
) -> Load:
    expected = response_bytes(served, route)
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = served.cpu_seconds()
    done = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
         "-H", f"Cookie: {served.cookie}", "-s", str(lua), served.base + route],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    cpu = served.cpu_seconds() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in done.stdout.splitlines() if x.startswith("ONTRACK "))
    values = {k: float(v) for k, v in (p.split("=") for p in line.split()[1:])}
    requests = int(values["requests"])
    return Load(
        route=route,
        requests=requests,
        seconds=values["duration_us"] / 1e6,
        bytes=int(values["bytes"]),
        errors={k: int(values[k]) for k in ("connect", "read", "write", "status", "timeout")},
        latency_ms={k: values[f"{k}_us"] / 1000 for k in ("p50", "p90", "p95", "p99", "max")},
        server_cpu_ms=cpu * 1000 / max(requests, 1),
        wrk_cpu_s=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        expected_bytes=expected,
        load_before=load_before,
    )


def load_table(loads: list[Load], baseline: Load, *, duration: int) -> list[str]:
    lines = [
        "| route | requests/s | p50 ms | p90 ms | p95 ms | p99 ms | max ms | p95 / baseline "
        "| server CPU ms/request | bytes/response | non-2xx | socket errors | wrk CPU "
        "| load before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for load in loads:
        sockets = sum(v for k, v in load.errors.items() if k != "status")
        lat = load.latency_ms
        size = f"{load.bytes_each:,.0f}" + ("" if load.intact else " (!)")
        lines.append(
            f"| `{load.route}` | {load.rps:,.0f} | {lat['p50']:.1f} | {lat['p90']:.1f} | "
            f"{lat['p95']:.1f} | {lat['p99']:.1f} | {lat['max']:.0f} | "
            f"{lat['p95'] / baseline.latency_ms['p95']:.1f}× | {load.server_cpu_ms:.2f} | "
            f"{size} | {load.errors['status']} | {sockets} | "
            f"{100 * load.wrk_cpu_s / duration:.0f} % | {load.load_before:.1f} |"
        )
    return lines


# -- the browser -----------------------------------------------------------------------------

# Long tasks from the start of the navigation (the observer is installed before any script).
LONG_TASKS = """
window.__long = [];
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { window.__long.push([e.startTime, e.duration]); });
  }).observe({type: "longtask", buffered: true});
} catch (e) {}
"""

NAVIGATION = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  const long = window.__long || [];
  const ends = long.map(e => e[0] + e[1]);
  const last = ends.length ? Math.max(...ends) : n.domContentLoadedEventEnd;
  return {
    response_end: n.responseEnd, dom_content_loaded: n.domContentLoadedEventEnd,
    load: n.loadEventEnd, busy_until: Math.max(last, n.loadEventEnd),
    long_tasks: long.length, long_ms: long.reduce((s, e) => s + e[1], 0),
    transfer: n.transferSize, body: n.decodedBodySize,
    nodes: document.getElementsByTagName("*").length,
    gantt_rows: document.querySelectorAll(".gantt [data-i]").length,
    height: document.documentElement.scrollHeight,
  };
}"""

# The time for an action to show: do it, then wait for two animation frames (the first runs
# before the frame's style, layout and paint; the second after them).
TIMED = """async (what) => {
  const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frames();
  const t0 = performance.now();
  if (what === "collapse" || what === "expand") {
    const fold = what === "collapse" ? "close" : "open";
    const b = document.querySelector('.g-buttons [data-fold="' + fold + '"]');
    if (!b || b.closest("[hidden]")) { return null; }
    b.click();
  } else if (what === "task list") {
    const s = [...document.querySelectorAll("#browse details > summary")]
      .find(x => x.textContent.startsWith("Tasks"));
    if (!s) { return null; }
    s.click();
  } else if (what === "scroll half") {
    window.scrollTo(0, document.documentElement.scrollHeight / 2);
  } else if (what === "scroll end") {
    window.scrollTo(0, document.documentElement.scrollHeight);
  }
  await frames();
  return performance.now() - t0;
}"""

ACTIONS = ("collapse", "expand", "task list", "scroll half", "scroll end")


def browse(served: Served, tasks: int, repeat: int) -> dict[str, Any]:
    """Open the dashboard ``repeat`` times in Chromium (logged in through the form) and time
    it; the best (least loaded) navigation's figures, each interaction's median."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    chromium = shutil.which("chromium")
    assert chromium, CHROMIUM_HINT
    runs: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(LONG_TASKS)
        page = context.new_page()
        page.goto(served.base + "/login?next=" + urllib.parse.quote(served.dashboard))
        page.fill('input[name="name"]', USER)
        page.fill('input[name="password"]', PASSWORD)
        with page.expect_navigation(wait_until="load", timeout=120_000):
            page.click('button[type="submit"]')
        assert urllib.parse.unquote(page.url).endswith(served.program), page.url
        for _ in range(repeat):
            page.goto(served.base + served.dashboard, wait_until="load", timeout=120_000)
            page.wait_for_timeout(1000)  # let late long tasks (arrows) land
            run = dict(page.evaluate(NAVIGATION))
            for action in ACTIONS:
                run[action] = page.evaluate(TIMED, action)
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            run["heap_mb"] = metrics.get("JSHeapUsedSize", 0) / 2**20
            cdp.detach()
            runs.append(run)
        browser.close()
    best = min(runs, key=lambda r: r["load"])
    for action in ACTIONS:
        values = sorted(r[action] for r in runs if r[action] is not None)
        best[action] = values[len(values) // 2] if values else None
    best["tasks"] = tasks
    return best


def browser_table(results: list[dict[str, Any]]) -> list[str]:
    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:,.0f}"

    lines = [
        "| tasks | HTML bytes | DOM nodes | Gantt rows | DOMContentLoaded ms | load ms | "
        "main thread busy until ms | long tasks (total ms) | collapse all ms | expand all ms | "
        "open task list ms | scroll to half ms | scroll to end ms | JS heap MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['tasks']:,} | {r['body']:,} | {r['nodes']:,} | {r['gantt_rows']:,} | "
            f"{ms(r['dom_content_loaded'])} | {ms(r['load'])} | {ms(r['busy_until'])} | "
            f"{r['long_tasks']} ({ms(r['long_ms'])}) | {ms(r['collapse'])} | "
            f"{ms(r['expand'])} | {ms(r['task list'])} | {ms(r['scroll half'])} | "
            f"{ms(r['scroll end'])} | {r['heap_mb']:.0f} |"
        )
    return lines


# -- main ------------------------------------------------------------------------------------


def load(served: Served, args: argparse.Namespace, workers: int) -> None:
    """The wrk runs against one server, printed as a table with the goal's verdict."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA)
    lua = Path(f.name)
    try:
        loads = [
            wrk(served, route, duration=args.duration,
                connections=args.connections, threads=args.threads, lua=lua)
            for route in ("/static/app.css", served.dashboard, served.api)
        ]  # fmt: skip
    finally:
        lua.unlink()
    print()
    print("\n".join(load_table(loads, loads[0], duration=args.duration)))
    dash = loads[1]
    p95 = dash.latency_ms["p95"]
    clean = dash.errors["status"] == 0 and not any(dash.errors.values()) and dash.intact
    met = p95 < GOAL_P95_MS and clean
    print(f"\ngoal (--workers {workers}): dashboard p95 under {GOAL_P95_MS:g} ms at "
          f"{args.connections} connections, no errors: {'met' if met else 'MISSED'} "
          f"(p95 {p95:.1f} ms, {'no errors' if clean else 'ERRORS'})", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1000, help="the load test's program")
    parser.add_argument("--big-tasks", type=int, default=5000, help="the big program (browser)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--repeat", type=int, default=3, help="browser navigations per page")
    parser.add_argument(
        "--workers", default="1,2", help="server processes to measure, comma-separated"
    )
    parser.add_argument("--no-load", action="store_true", help="skip the wrk part")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser part")
    args = parser.parse_args()

    if not args.no_load and shutil.which("wrk") is None:
        print(WRK_HINT, file=sys.stderr)
        return 2
    browser_missing = importlib.util.find_spec("playwright") is None or not shutil.which("chromium")
    if not args.no_browser and browser_missing:
        print(CHROMIUM_HINT, file=sys.stderr)
        return 2

    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
          f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency")  # fmt: skip
    browsed: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ontrack-web-bench-") as tmp:
        folder = Path(tmp)
        counts = [int(n) for n in args.workers.split(",") if n.strip()]
        for index, workers in enumerate(counts):
            folder_n = folder / f"small-{workers}"
            with serve(folder_n, args.tasks, max(5, args.tasks // 25), workers) as served:
                warmed = warm(served)
                print(f"\n{args.tasks:,}-task program '{served.program}', ontrack serve "
                      f"--workers {workers}: first full dashboard after "
                      f"{warmed['first full dashboard s']:.1f} s (assessed while the server "
                      f"started); one cached request alone: dashboard "
                      f"{warmed['cached dashboard, one request, ms']:.0f} ms "
                      f"({warmed['dashboard bytes']:,.0f} bytes), API assessment "
                      f"{warmed['cached API, one request, ms']:.0f} ms "
                      f"({warmed['API bytes']:,.0f} bytes)", flush=True)  # fmt: skip
                if not args.no_load:
                    load(served, args, workers)
                if not args.no_browser and index == 0:
                    browsed.append(browse(served, args.tasks, args.repeat))
        if not args.no_browser:
            big_people = max(5, args.big_tasks // 50)
            with serve(folder / "big", args.big_tasks, big_people) as served:
                warmed = warm(served)
                print(f"\n{args.big_tasks:,}-task program: first full dashboard after "
                      f"{warmed['first full dashboard s']:.1f} s; one cached request alone "
                      f"{warmed['cached dashboard, one request, ms']:.0f} ms "
                      f"({warmed['dashboard bytes']:,.0f} bytes)", flush=True)  # fmt: skip
                browsed.append(browse(served, args.big_tasks, args.repeat))
            print("\nChromium (headless, 1400×900), logged in, dashboard already assessed:")
            print("\n".join(browser_table(browsed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
