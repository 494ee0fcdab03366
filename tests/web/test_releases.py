"""Releases in the web app, on SQLite and PostgreSQL: the API's readiness documents are the
`releases` of `ontrack assess --progress --format json` (one truth), a sign-off made through
the API or the page's form shows in the release's JSON and page, a role the release does not
list is refused with nothing written, a viewer cannot sign, plan text is escaped, and the
go/no-go document downloads as Markdown and HTML."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.web.conftest import (
    EDITOR,
    PROGRAM,
    RELEASE,
    VIEWER,
    Web,
    api,
    csrf_of,
    pages,
    run_cli,
)


def sign(web: Web, body: dict[str, Any], *, who: str = EDITOR) -> Any:
    return web.client.post(api("releases", RELEASE, "signoffs"), json=body, headers=web.bearer(who))


def stored(web: Web) -> list[Any]:
    found: list[Any] = web.state.workspace.signoffs(PROGRAM, RELEASE)
    return found


def release_json(web: Web) -> dict[str, Any]:
    got = web.client.get(api("releases", RELEASE), headers=web.bearer(VIEWER))
    assert got.status_code == 200, got.text
    data: dict[str, Any] = got.json()
    return data


def test_a_sign_off_through_the_api_shows_in_the_json_and_the_page(web: Web) -> None:
    before = len(stored(web))
    signed = sign(web, {"role": "QA", "decision": "go", "note": "regression suite green"})
    assert signed.status_code == 201, signed.text
    body = signed.json()
    display = web.state.accounts.user(EDITOR).display
    assert (body["release"], body["role"], body["name"], body["decision"]) == (
        RELEASE,
        "qa",
        display,
        "go",
    )
    assert body["revision"] == web.latest()
    assert len(stored(web)) == before + 1
    data = release_json(web)
    assert body in data["signoffs"], (body, data["signoffs"])
    gate = next(g for g in data["gates"] if g["kind"] == "signoffs")
    assert any("qa" in e["text"] for e in gate["evidence"]), gate
    page = web.session(VIEWER).get(pages("releases", RELEASE))
    assert page.status_code == 200
    assert "regression suite green" in page.text
    assert re.search(r"<td>qa</td>\s*<td><span class=\"chip good\">go</span></td>", page.text)
    # A viewer sees no sign-off form; an editor does, with the CSRF token.
    assert 'id="signoff-form"' not in page.text
    editor = web.session(EDITOR).get(pages("releases", RELEASE)).text
    assert 'id="signoff-form"' in editor and 'name="csrf"' in editor


def test_the_api_prints_what_assess_prints(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a sign-off (read from the store by both), the list and each release equal the
    `releases` of `ontrack assess --progress --format json` on the same store."""
    assert sign(web, {"role": "security", "decision": "no-go", "note": "pen test"}).status_code
    monkeypatch.chdir(web.plan)
    printed = json.loads(
        run_cli(
            "assess",
            ".",
            "--progress",
            "--iterations",
            "2000",
            "--time-limit",
            "2",
            "--db",
            web.db,
            "--format",
            "json",
        )
    )
    listed = web.client.get(api("releases"), headers=web.bearer(VIEWER))
    assert listed.status_code == 200, listed.text
    assert listed.json()["releases"] == printed["releases"]
    assert printed["releases"], "the example has releases"
    for one in printed["releases"]:
        got = web.client.get(api("releases", one["id"]), headers=web.bearer(VIEWER))
        assert got.json() == one
    assert release_json(web)["recommendation"] == "no-go"  # security signed no-go


def test_a_role_the_release_does_not_list_is_refused(web: Web) -> None:
    fingerprint = web.state.workspace.fingerprint(PROGRAM)
    count = len(stored(web))
    refused = sign(web, {"role": "marketing", "decision": "go"})
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "marketing" in detail["message"] and "qa" in detail["message"]
    assert [d["code"] for d in detail["diagnostics"]] == ["E486"]
    bad_note = sign(web, {"role": "qa", "note": "bell\x07"})
    assert bad_note.status_code == 422, bad_note.text
    # The page's form says why, and nothing is written either.
    editor = web.session(EDITOR)
    form = {"csrf": csrf_of(editor), "role": "marketing", "decision": "go"}
    page = editor.post(pages("releases", RELEASE, "signoffs"), data=form)
    assert page.status_code == 422
    assert "has no sign-off role" in page.text and "E486" in page.text
    assert len(stored(web)) == count
    assert web.state.workspace.fingerprint(PROGRAM) == fingerprint


def test_an_unknown_release_is_404(web: Web) -> None:
    for path in (api("releases", "rel-nope"), api("releases", "rel-nope", "signoffs")):
        method = "POST" if path.endswith("signoffs") else "GET"
        got = web.client.request(
            method,
            path,
            json={"role": "qa"} if method == "POST" else None,
            headers=web.bearer(EDITOR),
        )
        assert got.status_code == 404, got.text
        assert "rel-nope" in got.json()["detail"]
    viewer = web.session(VIEWER)
    for part in ("", "/go-no-go.md", "/go-no-go.html"):
        assert viewer.get(pages("releases", "rel-nope") + part).status_code == 404


def test_a_viewer_cannot_sign(web: Web) -> None:
    count = len(stored(web))
    assert sign(web, {"role": "qa"}, who=VIEWER).status_code == 403
    viewer = web.session(VIEWER)
    form = {"csrf": csrf_of(viewer), "role": "qa", "decision": "go"}
    assert viewer.post(pages("releases", RELEASE, "signoffs"), data=form).status_code == 403
    assert len(stored(web)) == count


def test_the_page_form_signs_as_the_user(web: Web) -> None:
    editor = web.session(EDITOR)
    form = {"csrf": csrf_of(editor), "role": "support", "decision": "no-go", "note": "<b>x</b>"}
    done = editor.post(pages("releases", RELEASE, "signoffs"), data=form)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(pages("releases", RELEASE) + "?signed=support")
    last = stored(web)[-1]
    assert (last.role, last.name, last.decision) == (
        "support",
        web.state.accounts.user(EDITOR).display,
        "no-go",
    )
    page = editor.get(done.headers["location"]).text
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_the_go_no_go_documents_download(web: Web) -> None:
    viewer = web.session(VIEWER)
    page = viewer.get(pages("releases", RELEASE)).text
    assert f"{pages('releases', RELEASE)}/go-no-go.md" in page
    assert f"{pages('releases', RELEASE)}/go-no-go.html" in page
    md = viewer.get(pages("releases", RELEASE, "go-no-go.md"))
    assert md.status_code == 200
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert "attachment" in md.headers["content-disposition"]
    assert md.text.startswith("# Go/no-go: ") and "## Sign-offs" in md.text
    html = viewer.get(pages("releases", RELEASE, "go-no-go.html"))
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "<html" in html.text.lower() and RELEASE in html.text


def test_the_dashboard_links_the_release_page(web: Web) -> None:
    page = web.session(VIEWER).get(pages()).text
    assert f'href="{pages("releases", RELEASE)}"' in page


def test_script_in_a_release_title_renders_as_text(web: Web) -> None:
    """The plan recorded again with a release titled with markup (last: a new revision)."""
    title = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    releases = web.plan / "releases.yaml"
    text = releases.read_text(encoding="utf-8")
    releases.write_text(
        text.replace(
            "title: Customer-facing storefront on Kubernetes", f"title: {json.dumps(title)}", 1
        ),
        encoding="utf-8",
    )
    run_cli("apply", str(web.plan), "--db", web.db, "--author", "planner", "-m", "markup")
    page = web.session(VIEWER).get(pages("releases", RELEASE))
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert release_json(web)["title"] == title
