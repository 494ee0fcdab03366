"""The REST API and the pages' safety, on SQLite and PostgreSQL: the API prints the CLI's JSON
(the same assessment, figure for figure), edits are revisions by their author and refused when
stale or when they would break the plan, progress moves the assessment, plan text cannot
inject YAML or script, and the login, session, token and header rules hold."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from ontrack.app.accounts import LOCK_AFTER
from tests.web.conftest import (
    ADMIN,
    EDITOR,
    PASSWORD,
    PROGRAM,
    TASK,
    TODAY,
    VIEWER,
    Web,
    api,
    csrf_of,
    pages,
    run_cli,
)

#: Another task of the example, for tests that should not touch TASK.
PROBES = "apps-health-probes"


def edit(web: Web, task: str, fields: dict[str, str], *, base: int | None = None) -> Any:
    """PATCH the task as the editor (with a bearer token)."""
    body = {"base_revision": web.latest() if base is None else base, "fields": fields}
    return web.client.patch(api("tasks", task), json=body, headers=web.bearer(EDITOR))


def schedule_of(web: Web, task: str) -> dict[str, Any]:
    data = web.client.get(api("schedule"), headers=web.bearer(VIEWER)).json()
    found: dict[str, Any] = next(t for t in data["tasks"] if t["id"] == task)
    return found


# -- the same JSON as the CLI --------------------------------------------------------------------


def test_the_api_prints_what_the_cli_prints(
    fresh_web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After progress (a status file uploaded with the program's form, facts posted to the
    API) and a baseline set through the API, each document equals the command's JSON."""
    web = fresh_web
    editor = web.session(EDITOR)
    status = (web.plan / "status" / "2026-02-13.csv").read_bytes()
    uploaded = editor.post(
        pages("progress.csv"),
        data={"csrf": csrf_of(editor)},
        files={"file": ("2026-02-13.csv", status, "text/csv")},
    )
    assert uploaded.status_code == 200, uploaded.text
    baseline = web.client.post(
        api("baselines"), json={"name": "approved"}, headers=web.bearer(ADMIN)
    )
    assert baseline.status_code == 200, baseline.text
    fact = {"task": PROBES, "status_date": "2026-02-20", "percent_complete": 100}
    posted = web.client.post(api("progress"), json={"facts": [fact]}, headers=web.bearer(EDITOR))
    assert posted.json()["added"] == 1

    # The plan folder as `ontrack apply` recorded it: the findings name its files as the store
    # does (relative), so the command runs in it on ".".
    monkeypatch.chdir(web.plan)
    store = ["--db", web.db]
    options = ["--iterations", "2000", "--time-limit", "2", *store, "--format", "json"]
    tracked = ["--progress", "--baseline", "approved"]
    viewer = web.bearer(VIEWER)

    def same(path: str, *command: str, drop: tuple[str, ...] = ()) -> dict[str, Any]:
        served = web.client.get(path, headers=viewer)
        assert served.status_code == 200, served.text
        printed = json.loads(run_cli(*command))
        got = {k: v for k, v in served.json().items() if k not in drop}
        assert got == {k: v for k, v in printed.items() if k not in drop}, path
        return got

    assessed = same(api("assessment"), "assess", ".", *tracked, *options)
    assert assessed["as_of"]["date"] == "2026-02-20"  # the latest progress: the as-of rule
    assert assessed["as_of"]["source"] == "progress"
    assert assessed["evm"] is not None  # measured against the baseline
    # `seconds` is how long the simulation took, the one figure that is not the plan's.
    same(api("forecast"), "forecast", ".", *tracked, *options, drop=("seconds",))
    same(api("risks"), "risks", ".", *tracked, *options)
    log = same(api("revisions"), "log", "--program", PROGRAM, *store, "--format", "json")
    assert [r["baselines"] for r in log["revisions"]] == [["approved"]]
    listed = same(
        api("baselines"), "baseline", "list", "--program", PROGRAM, *store, "--format", "json"
    )
    assert [b["name"] for b in listed["baselines"]] == ["approved"]


# -- edits ---------------------------------------------------------------------------------------


def test_an_edit_is_a_revision_by_its_author(web: Web) -> None:
    before = web.latest()
    done = edit(web, PROBES, {"title": "Health probes for every service"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["revision"], body["author"]) == (before + 1, EDITOR)
    assert re.search(r'^\+\s+title: "Health probes for every service"$', body["diff"], re.M)
    newest = web.client.get(api("revisions"), headers=web.bearer(VIEWER)).json()["revisions"][0]
    assert (newest["revision"], newest["author"]) == (before + 1, EDITOR)
    events = web.client.get(api("activity"), headers=web.bearer(VIEWER)).json()["events"]
    assert any(
        (e["actor"], e["action"], e["target"], e["detail"].get("revision"))
        == (EDITOR, "edit-task", PROBES, before + 1)
        for e in events
    ), events
    # The task page's form records its user too.
    admin = web.session(ADMIN)
    form = {"csrf": csrf_of(admin), "base_revision": str(before + 1), "estimate": "2d/3d/6d"}
    posted = admin.post(pages("tasks", PROBES, "edit"), data=form)
    assert posted.status_code == 303, posted.text
    assert web.state.workspace.revisions(PROGRAM)[-1].author == ADMIN
    page = web.session(VIEWER).get(pages("activity")).text
    assert ADMIN in page and "edit-task" in page


def test_a_stale_edit_is_refused_with_what_changed(web: Web) -> None:
    stale = web.latest()
    assert edit(web, PROBES, {"estimate": "1d/2d/4d"}).status_code == 200
    count = web.revision_count()
    refused = edit(web, PROBES, {"title": "Mine, made on an older revision"}, base=stale)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert (body["base"], body["latest"]) == (stale, stale + 1)
    assert any(PROBES in line for line in body["changes"]), body["changes"]
    assert "estimate" in body["diff"]
    assert web.revision_count() == count, "nothing is written"
    plan = web.state.workspace.latest_plan(PROGRAM)
    assert plan.task_by_id[PROBES].title != "Mine, made on an older revision"
    # The form says the same, with a page.
    editor = web.session(EDITOR)
    form = {"csrf": csrf_of(editor), "base_revision": str(stale), "title": "From the form"}
    page = editor.post(pages("tasks", PROBES, "edit"), data=form)
    assert page.status_code == 409
    assert web.revision_count() == count


def test_an_edit_that_would_break_the_plan_is_refused(web: Web) -> None:
    count = web.revision_count()
    refused = edit(web, PROBES, {"assignee": "nobody-of-this-program"})
    assert refused.status_code == 422, refused.text
    diagnostics = refused.json()["detail"]["diagnostics"]
    assert diagnostics and all(d["severity"] == "error" for d in diagnostics)
    assert any("nobody-of-this-program" in d["message"] for d in diagnostics)
    for fields in ({"depends": "plat-ci-templates"}, {"estimate": "5d; rm -rf /"}):
        assert edit(web, PROBES, fields).status_code == 422, fields
    unknown = edit(web, "no-such-task", {"title": "x"})
    assert unknown.status_code == 422, unknown.text
    assert web.revision_count() == count, "nothing is written"


@pytest.mark.parametrize(
    "title",
    [
        "a: b # c",
        "x: [1, 2] {y: z}",
        "- item",
        "&anchor *alias !!python/object:os.system",
        "'single' \"double\" back\\slash",
        "%YAML 1.1 --- ... ~ null",
        "unicode ✓ é — «quoted» 中文",
    ],
)
def test_a_title_is_stored_as_a_string_that_reads_back(web: Web, title: str) -> None:
    """Whatever a title holds, the file gets one quoted scalar: no new key, no tag, no alias."""
    done = edit(web, TASK, {"title": title})
    assert done.status_code == 200, done.text
    plan = web.state.workspace.latest_plan(PROGRAM)
    assert plan.task_by_id[TASK].title == title.strip()
    first = web.state.workspace.revision_plan(PROGRAM, 1)
    assert [t.id for t in plan.tasks] == [t.id for t in first.tasks], "no task added"
    others = {t.id: t.title for t in plan.tasks if t.id not in (TASK, PROBES)}
    assert others == {t.id: t.title for t in first.tasks if t.id not in (TASK, PROBES)}
    revision = web.client.get(api("revisions", str(web.latest())), headers=web.bearer(VIEWER))
    added = [line for line in revision.json()["diff"].splitlines() if line.startswith("+ ")]
    assert len(added) == 1 and added[0].lstrip("+ ").startswith('title: "'), added


@pytest.mark.parametrize(
    "title",
    ["x\nfoo: bar", "x\r\ny: 1", "a\x00b", "tab\there", "a\u2028b: c", "a\x85b", "a\x7f", "", "  "],
)
def test_a_title_that_could_add_lines_is_refused(web: Web, title: str) -> None:
    count = web.revision_count()
    refused = edit(web, TASK, {"title": title})
    assert refused.status_code == 422, refused.text
    assert web.revision_count() == count


def test_a_title_with_quotes_can_be_edited_again(web: Web) -> None:
    for title in ('say "yes" \\" twice', "it's 'quoted'", "plain again"):
        done = edit(web, PROBES, {"title": title})
        assert done.status_code == 200, (title, done.text)
        assert web.state.workspace.latest_plan(PROGRAM).task_by_id[PROBES].title == title


def test_script_in_a_title_renders_as_text(web: Web) -> None:
    title = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    assert edit(web, PROBES, {"title": title}).status_code == 200
    viewer = web.session(VIEWER)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    for path in (pages("tasks", PROBES), pages()):
        page = viewer.get(path)
        assert page.status_code == 200, path
        assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text, path
        assert escaped in page.text, path


# -- progress ------------------------------------------------------------------------------------


def test_progress_moves_the_assessment(web: Web) -> None:
    viewer = web.bearer(VIEWER)
    before = web.client.get(api("assessment"), headers=viewer).json()
    planned = schedule_of(web, TASK)
    fact = {
        "task": TASK,
        "status_date": "2026-04-10",
        "actual_start": "2026-02-03",
        "actual_finish": "2026-02-04",
        "percent_complete": 100,
    }
    posted = web.client.post(api("progress"), json={"facts": [fact]}, headers=web.bearer(EDITOR))
    assert posted.status_code == 200, posted.text
    after = web.client.get(api("assessment"), headers=viewer).json()
    assert before["as_of"]["date"] != "2026-04-10"
    as_of = after["as_of"]
    assert (as_of["date"], as_of["source"], as_of["last_progress"]) == (
        "2026-04-10",
        "progress",
        "2026-04-10",
    )
    done = schedule_of(web, TASK)  # where it happened, not where it was planned
    assert (done["start"], done["finish"]) == ("2026-02-03", "2026-02-04")
    assert (planned["start"], planned["finish"]) != (done["start"], done["finish"])
    history = web.client.get(api("progress"), headers=viewer).json()["progress"]
    assert any(e["task"] == TASK and e["status_date"] == "2026-04-10" for e in history), history


def test_progress_is_all_or_nothing_and_never_in_the_future(web: Web) -> None:
    count = len(web.state.workspace.progress_history(PROGRAM))
    good = {"task": TASK, "status_date": "2026-04-10", "percent_complete": 50}
    for facts in (
        [good, {"task": "no-such-task", "status_date": "2026-04-10", "percent_complete": 5}],
        [good | {"status_date": (TODAY + dt.timedelta(days=1)).isoformat()}],
        [good | {"percent_complete": 101}],
        [good | {"note": "x", "surprise": 1}],
    ):
        refused = web.client.post(
            api("progress"), json={"facts": facts}, headers=web.bearer(EDITOR)
        )
        assert refused.status_code == 422, (facts, refused.text)
    assert len(web.state.workspace.progress_history(PROGRAM)) == count


def test_as_of_outside_the_horizon_is_refused(web: Web) -> None:
    for day in ("0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"):
        for path in (api("assessment"), api("status"), api("schedule")):
            refused = web.client.get(path, params={"as_of": day}, headers=web.bearer(VIEWER))
            assert refused.status_code == 422, (path, day, refused.text)


# -- headers, cookies, logging in and out, tokens --------------------------------------------------


def test_security_headers_on_pages_and_api(web: Web) -> None:
    viewer = web.session(VIEWER)
    responses = {
        "login page": web.new_client().get("/login"),
        "dashboard": viewer.get(pages()),
        "missing page": viewer.get(pages("tasks", "no-such-task")),
        "api": web.client.get(api("assessment"), headers=web.bearer(VIEWER)),
        "api 401": web.new_client().get(api("assessment")),
        "api 422": web.client.get(api("activity"), params={"limit": 0}, headers=web.bearer(VIEWER)),
        "static": web.new_client().get("/static/app.js"),
    }
    for what, response in responses.items():
        headers = response.headers
        directives = (
            d.strip().partition(" ") for d in headers["content-security-policy"].split(";")
        )
        policy = {name: value for name, _, value in directives}
        assert "'unsafe-inline'" not in policy["script-src"], what
        assert "'unsafe-eval'" not in policy["script-src"], what
        assert policy["frame-ancestors"] == "'none'", what
        assert policy["object-src"] == "'none'", what
        assert headers["x-content-type-options"] == "nosniff", what
        assert headers["x-frame-options"] == "DENY", what
        assert headers["referrer-policy"] == "no-referrer", what
        assert headers["strict-transport-security"].startswith("max-age="), what
    assert responses["dashboard"].headers["cache-control"] == "no-store"
    assert responses["api"].headers["cache-control"] == "no-store"


def _cookie_attributes(header: str) -> tuple[str, set[str]]:
    name_value, *attributes = (part.strip() for part in header.split(";"))
    return name_value, {a.lower() for a in attributes}


def test_the_session_cookie_is_httponly_strict_and_secure(web: Web) -> None:
    client = web.new_client()
    first = client.get("/login").headers["set-cookie"]
    csrf = csrf_of(client)
    logged_in = client.post("/login", data={"name": VIEWER, "password": PASSWORD, "csrf": csrf})
    assert logged_in.status_code == 303
    second = logged_in.headers["set-cookie"]
    for header in (first, second):
        name_value, attributes = _cookie_attributes(header)
        assert name_value.startswith("ontrack_session=")
        assert {"httponly", "secure", "samesite=strict", "path=/"} <= attributes, header
    assert _cookie_attributes(first)[0] != _cookie_attributes(second)[0], "a new session id"
    # The session from before the login was ended: it is nobody's (no session fixation).
    old = web.new_client()
    old.cookies.set("ontrack_session", _cookie_attributes(first)[0].split("=", 1)[1])
    assert old.get(api("assessment")).status_code == 401


def test_logins_are_throttled(web: Web) -> None:
    name = "locked-out"
    web.state.accounts.add_user(name, PASSWORD)
    client = web.new_client()
    for attempt in range(1, LOCK_AFTER + 2):
        form = {"name": name, "password": f"wrong password {attempt}", "csrf": csrf_of(client)}
        response = client.post("/login", data=form)
        expected = 401 if attempt <= LOCK_AFTER else 429
        assert response.status_code == expected, (attempt, response.text)
        assert "ontrack_session" not in response.headers.get("set-cookie", "")
    locked = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf": csrf_of(client)}
    )
    assert locked.status_code == 429, "the right password is refused while locked"
    assert "locked" in locked.text
    assert client.get("/").status_code == 303, "not logged in"


def test_logout_ends_the_session(web: Web) -> None:
    client = web.login(VIEWER)
    cookie = client.cookies["ontrack_session"]
    assert client.get(api("assessment")).status_code == 200
    out = client.post("/logout", data={"csrf": csrf_of(client)})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert "max-age=0" in out.headers["set-cookie"].lower(), "the browser forgets it too"
    replay = web.new_client()
    replay.cookies.set("ontrack_session", cookie)
    assert replay.get(api("assessment")).status_code == 401
    page = replay.get(pages())
    assert (page.status_code, page.headers["location"]) == (303, f"/login?next={pages()}")


def test_a_revoked_token_is_refused(web: Web) -> None:
    accounts = web.state.accounts
    issued = accounts.create_token(EDITOR, "revoked by the test")
    headers = {"authorization": f"Bearer {issued.secret}"}
    assert web.client.get(api("assessment"), headers=headers).status_code == 200
    accounts.revoke_token(issued.id)
    for method, path, body in (
        ("GET", api("assessment"), None),
        ("GET", "/api/v1/programs", None),
        ("POST", api("progress"), {"facts": [{"task": TASK, "status_date": "2026-04-10"}]}),
    ):
        refused = web.client.request(method, path, headers=headers, json=body)
        assert refused.status_code == 401, (method, path, refused.text)


def test_no_secret_reaches_the_activity_log(web: Web) -> None:
    """Passwords (right and wrong), API tokens, session ids and CSRF tokens stay out of the
    audit log, whatever was done."""
    client = web.new_client()
    wrong = "Wrong-but-close-password-77"
    client.post("/login", data={"name": EDITOR, "password": wrong, "csrf": csrf_of(client)})
    editor = web.login(EDITOR)
    csrf = csrf_of(editor)
    form = {"csrf": csrf, "status_date": "2026-03-20", "percent": "40", "note": "on track"}
    assert editor.post(pages("tasks", TASK, "progress"), data=form).status_code == 303
    assert edit(web, PROBES, {"title": "Probes"}).status_code == 200
    issued = web.state.accounts.create_token(EDITOR, "ci")
    secrets = [PASSWORD, wrong, issued.secret, csrf, editor.cookies["ontrack_session"]]
    secrets += list(web.tokens.values())
    logged = [
        json.dumps(web.client.get(api("activity"), headers=web.bearer(ADMIN)).json()),
        web.session(ADMIN).get(pages("activity")).text,
        json.dumps([e.to_json() for e in web.state.accounts.events(None, limit=1000)]),
    ]
    assert "login" in logged[2] and "progress" in logged[0]
    for text in logged:
        for secret in secrets:
            assert secret not in text
            assert secret[4:20] not in text  # nor a piece of one
    assert not re.search(r"otk_[A-Za-z0-9_-]{8,}", "".join(logged))
