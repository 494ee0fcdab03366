"""Release notes: Conventional Commits parsing, grouping, and the Markdown that shows them."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ontrack.engines.releasenotes import (
    SECTIONS,
    ChangeCommit,
    change_of,
    delivered_tasks,
    parse_message,
    release_notes,
)
from ontrack.reports.releasenotes import escape_inline, render_markdown

_shas = itertools.count(1)
T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def commit(message: str, *, parents: int = 1, author: str = "Ann", hours: int = 0) -> ChangeCommit:
    n = next(_shas)
    sha = hashlib.sha1(f"{n}".encode()).hexdigest()
    when = T0 + dt.timedelta(hours=hours)
    return ChangeCommit(
        sha,
        tuple(f"{n * 100 + i:040x}" for i in range(parents)),
        author,
        f"{author.lower()}@example.com",
        when,
        when,
        message,
    )


# ---------------------------------------------------------------------------- parsing


def test_a_plain_conventional_header() -> None:
    p = parse_message("feat(api): add pagination to /orders\n")
    assert (p.conventional, p.type, p.scope, p.description) == (
        True,
        "feat",
        "api",
        "add pagination to /orders",
    )
    assert not p.breaking and not p.revert and p.references == ()


def test_type_is_case_insensitive_and_scope_optional() -> None:
    p = parse_message("FIX: crash on empty cart")
    assert (p.type, p.scope, p.description) == ("fix", "", "crash on empty cart")
    assert change_of(commit("Fix: crash")).section == "fix"


def test_bang_makes_a_change_breaking() -> None:
    p = parse_message("feat(api)!: drop the v1 endpoints")
    assert p.breaking and p.type == "feat" and p.scope == "api"
    assert p.breaking_notes == ()
    assert change_of(commit("refactor!: rename the config keys")).section == "breaking"


@pytest.mark.parametrize("token", ["BREAKING CHANGE", "BREAKING-CHANGE"])
def test_breaking_change_footer(token: str) -> None:
    message = (
        "feat(auth): tokens expire after an hour\n\n"
        "Long-lived tokens were a risk.\n\n"
        f"{token}: clients must refresh\ntheir tokens\n"
        "Refs: #42, PLAT-7\n"
    )
    p = parse_message(message)
    assert p.breaking
    assert p.breaking_notes == ("clients must refresh their tokens",)
    assert p.references == ("#42", "PLAT-7")
    change = change_of(commit(message))
    assert change.section == "breaking" and change.type == "feat"


def test_breaking_change_must_be_upper_case_and_in_a_footer() -> None:
    assert not parse_message("fix: x\n\nbreaking change: not a token").breaking
    # mentioned inside a paragraph, not at a footer's start: not breaking
    assert not parse_message("fix: x\n\nThis is no BREAKING CHANGE: at all.").breaking
    # a breaking-change paragraph followed by more text still counts (the spec's footer rule)
    p = parse_message("fix: x\n\nBREAKING CHANGE: the flag is gone\n\nMore text.\n")
    assert p.breaking and p.breaking_notes == ("the flag is gone More text.",)


def test_footer_hash_separator_and_references() -> None:
    p = parse_message("fix(ui): button overlap\n\nFixes #12\nCloses #13\nSigned-off-by: A <a@b>")
    assert p.references == ("#12", "#13")
    tokens = [f.token for f in p.footers]
    assert tokens == ["Fixes", "Closes", "Signed-off-by"]


def test_references_in_the_description_are_kept() -> None:
    change = change_of(commit("fix: handle null totals (#88)\n\nRefs: #88, #90"))
    assert change.description == "handle null totals (#88)"
    assert change.references == ("#88", "#90")
    line = render_markdown(
        release_notes([commit("fix: handle null totals (#88)\n\nRefs: #88, #90")], to_ref="v1")
    )
    assert "- handle null totals (#88) (#90) (" in line  # #88 not repeated


def test_conventional_revert() -> None:
    message = "revert: feat(api): add pagination\n\nThis reverts commit 1a2b3c4d5e6f.\n"
    p = parse_message(message)
    assert p.revert and p.type == "revert" and p.reverts == "1a2b3c4d5e6f"
    assert p.description == "feat(api): add pagination"
    assert change_of(commit(message)).section == "revert"


def test_git_default_revert_message() -> None:
    message = (
        'Revert "feat(api): add pagination"\n\n'
        "This reverts commit 0123456789abcdef0123456789abcdef01234567.\n"
    )
    p = parse_message(message)
    assert p.revert and p.conventional
    assert p.description == "feat(api): add pagination"
    assert p.reverts == "0123456789abcdef0123456789abcdef01234567"
    change = change_of(commit(message))
    assert change.section == "revert"
    assert "(reverts 0123456, " in render_markdown(release_notes([commit(message)], to_ref="v"))


@pytest.mark.parametrize(
    "subject",
    [
        "Update README",
        "feat add things",  # no colon
        "feat:no space",  # the spec wants ': '
        "(api): no type",
        "feat(api: unclosed scope",
        "",
        "wip",
    ],
)
def test_non_conventional_messages_are_other(subject: str) -> None:
    p = parse_message(subject)
    assert not p.conventional and p.type == "" and p.description == subject
    assert change_of(commit(subject)).section == "other"


def test_an_unknown_type_is_other_with_its_subject_kept() -> None:
    change = change_of(commit("Security(auth): rotate keys"))
    assert change.section == "other"
    assert change.description == "Security(auth): rotate keys"


@pytest.mark.parametrize(
    ("kind", "section"),
    [
        ("feat", "feat"),
        ("fix", "fix"),
        ("perf", "perf"),
        ("docs", "docs"),
        ("refactor", "refactor"),
        ("test", "test"),
        ("build", "build"),
        ("ci", "build"),
        ("chore", "chore"),
        ("style", "chore"),
    ],
)
def test_types_map_to_sections(kind: str, section: str) -> None:
    assert change_of(commit(f"{kind}: something")).section == section


def test_crlf_messages() -> None:
    p = parse_message("feat(x): y\r\n\r\nBREAKING CHANGE: z\r\n")
    assert p.breaking and p.breaking_notes == ("z",) and p.description == "y"


# ---------------------------------------------------------------------------- grouping


def test_sections_in_order_and_merges_skipped() -> None:
    commits = [
        commit("chore: bump deps", hours=9),
        commit("Merge branch 'feature/x'", parents=2, hours=8),
        commit("docs: explain retries", hours=7),
        commit("fix(cart)!: totals are in cents\n\nBREAKING CHANGE: amounts are integers", hours=6),
        commit("random tidy-up", hours=5),
        commit("feat(cart): coupons", hours=4),
        commit("perf: cache prices", hours=3),
        commit("fix: rounding", hours=2),
        commit('Revert "feat: gift cards"\n\nThis reverts commit abcdef1.', hours=1),
        commit("test: cover coupons", hours=0),
    ]
    notes = release_notes(commits, to_ref="v1.1", from_ref="v1.0")
    keys = [s.key for s in notes.sections]
    assert keys == ["breaking", "feat", "fix", "perf", "revert", "docs", "test", "chore", "other"]
    assert [k for k, _ in SECTIONS if k in keys] == keys
    assert notes.merges_skipped == 1 and len(notes.changes) == 9
    assert notes.counts["fix"] == 1  # the breaking fix is listed once, under breaking
    assert notes.since == T0 and notes.until == T0 + dt.timedelta(hours=9)
    with_merges = release_notes(commits, to_ref="v1.1", include_merges=True)
    assert with_merges.merges_skipped == 0
    assert [c.description for c in with_merges.sections[-1].changes] == [
        "Merge branch 'feature/x'",
        "random tidy-up",
    ]


def test_empty_range() -> None:
    notes = release_notes([], to_ref="v2", from_ref="v2")
    assert notes.sections == () and notes.changes == () and notes.since is None
    text = render_markdown(notes)
    assert text == ("# v2 — release notes\n\nv2 → v2\n\n0 commits\n\nNo changes in this range.\n")
    assert json.loads(json.dumps(notes.to_json()))["commits"] == 0


def test_delivered_tasks_sorted_by_finish_and_unique() -> None:
    tasks = delivered_tasks(
        [
            ("b", "Second", dt.date(2026, 3, 5)),
            ("x", "Undated", None),
            ("a", "First", dt.date(2026, 3, 1)),
            ("b", "Second again", dt.date(2026, 3, 9)),
        ]
    )
    assert [(t.id, t.title) for t in tasks] == [("a", "First"), ("b", "Second"), ("x", "Undated")]


# ---------------------------------------------------------------------------- Markdown


def test_markdown_document() -> None:
    commits = [
        commit("feat(api)!: drop v1\n\nBREAKING CHANGE: use /v2", author="Bo", hours=3),
        commit("feat(cart): coupons\n\nRefs: #12", hours=2),
        commit("fix: rounding", hours=1),
        commit("Tidy up", hours=0),
    ]
    notes = release_notes(
        commits,
        to_ref="v1.1",
        from_ref="v1.0",
        title="Checkout 2.0",
        delivered=[("coupons", "Coupon engine", dt.date(2026, 3, 2))],
    )
    shas = [c.sha[:7] for c in commits]
    assert render_markdown(notes) == (
        "# Checkout 2.0 — release notes\n"
        "\n"
        "v1.0 → v1.1 · 2026-03-01 to 2026-03-01\n"
        "\n"
        "4 commits by 2 authors: 1 breaking change, 1 feature, 1 fix, 1 other change"
        " · 1 task delivered\n"
        "\n"
        "## Breaking changes\n"
        "\n"
        f"- **api:** drop v1 — use /v2 (feat, {shas[0]})\n"
        "\n"
        "## Features\n"
        "\n"
        f"- **cart:** coupons (#12) ({shas[1]})\n"
        "\n"
        "## Fixes\n"
        "\n"
        f"- rounding ({shas[2]})\n"
        "\n"
        "## Other\n"
        "\n"
        f"- Tidy up ({shas[3]})\n"
        "\n"
        "## Delivered work\n"
        "\n"
        "- Coupon engine (coupons, finished 2026-03-02)\n"
    )


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("use *bold* and _it_", r"use \*bold\* and \_it\_"),
        ("[link](http://x)", r"\[link\](http://x)"),
        ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
        ("`code` & &amp;", r"\`code\` \& \&amp;"),
        ("# heading", r"\# heading"),
        ("1. ordered", r"1\. ordered"),
        ("> quote", r"\> quote"),
        ("- item", r"\- item"),
        ("two\nlines\r\tand\x1bcontrols", "two lines and controls"),
        ("back\\slash", "back\\\\slash"),
        ("a | b ~~c~~", r"a \| b \~\~c\~\~"),
        ("issue #12 stays", "issue #12 stays"),
    ],
)
def test_escape_inline(text: str, escaped: str) -> None:
    assert escape_inline(text) == escaped


def test_commit_text_cannot_inject_markdown() -> None:
    nasty = commit("feat(**x**): [click](javascript:alert(1)) <img src=x>\n\nRefs: <b>")
    text = render_markdown(release_notes([nasty], to_ref="v1 # x"))
    assert text.startswith("# v1 \\# x — release notes\n")
    assert "- **\\*\\*x\\*\\*:** \\[click\\](javascript:alert(1)) \\<img src=x\\> (\\<b\\>)" in text


def test_json_round_trip() -> None:
    notes = release_notes(
        [commit("feat(api)!: drop v1\n\nBREAKING CHANGE: use /v2\nRefs: #1")],
        to_ref="v2",
        delivered=[("t", "Task", None)],
    )
    data = json.loads(json.dumps(notes.to_json()))
    assert data["counts"] == {"breaking": 1}
    (change,) = data["sections"][0]["changes"]
    assert change["type"] == "feat" and change["scope"] == "api" and change["breaking"]
    assert change["breaking_notes"] == ["use /v2"] and change["references"] == ["#1"]
    assert data["delivered"] == [{"id": "t", "title": "Task", "finished": None}]
    assert data["from"] is None and data["to"] == "v2"


@given(st.lists(st.text(max_size=120), max_size=8))
def test_any_messages_give_one_list_item_each(messages: list[str]) -> None:
    """Whatever the messages say, each change is one list item of one line, and no line of
    commit text opens a heading or a block of its own."""
    commits = [commit(m, hours=i) for i, m in enumerate(messages)]
    notes = release_notes(commits, to_ref="v1")
    text = render_markdown(notes)
    items = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(items) == len(messages) == len(notes.changes)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert len(headings) == 1 + len(notes.sections)
    json.dumps(notes.to_json())
