"""Tracker links and sources: E208 (unknown source), E209 (an item linked twice), E200 (a source
name twice), E118 (bad `tracker:` and `sources:` values, a pasted token never echoed), and the
Source records a valid `sources:` section builds."""

from __future__ import annotations

import json

import pytest

from ontrack.diagnostics import Diagnostic
from ontrack.model import Plan
from ontrack.model.quantities import Duration
from ontrack.model.tracker import Match, TrackerKind
from tests.conftest import HEADER, expected_marks, found_marks, load_doc

SOURCES = """\
sources:
  - {name: redmine, kind: redmine, url: https://rm.example.com, project: p}
  - {name: gh, kind: github, url: https://api.github.com, project: acme/app}
"""


def check(text: str) -> tuple[Plan | None, list[Diagnostic]]:
    """Load ``text`` and compare its diagnostics with its `# expect:` marks."""
    plan, diagnostics = load_doc(text)
    assert found_marks(diagnostics) == expected_marks(text), "\n".join(
        d.format() for d in diagnostics
    )
    return plan, diagnostics


def everything_said(diagnostic: Diagnostic) -> str:
    return "\n".join(
        [diagnostic.format(), json.dumps(diagnostic.to_json()), repr(diagnostic.subjects)]
    )


def test_links_to_known_sources_are_clean() -> None:
    plan, diagnostics = check(
        HEADER
        + SOURCES
        + """\
tasks:
  - {id: a, title: A, estimate: 1d, tracker: redmine#1}
  - {id: b, title: B, estimate: 1d, tracker: gh#1}
  - {id: c, title: C, estimate: 1d, tracker: "redmine#2"}
  - {id: d, title: D, estimate: 1d}
"""
    )
    assert plan is not None and diagnostics == []
    assert [str(t.tracker) for t in plan.tasks] == ["redmine#1", "gh#1", "redmine#2", "None"]
    link = plan.task_by_id["a"].tracker
    assert link is not None and (link.source, link.key) == ("redmine", "1")


def test_unknown_source_e208_with_a_did_you_mean() -> None:
    plan, diagnostics = check(
        HEADER
        + SOURCES
        + """\
tasks:
  - {id: a, title: A, estimate: 1d, tracker: redmin#1}   # expect: E208
  - id: b
    title: B
    estimate: 1d
    tracker: jira#PLAT-7   # expect: E208
"""
    )
    assert plan is None
    typo, unknown = diagnostics
    assert typo.message == "unknown source 'redmin' in tracker of 'a'"
    assert typo.hint == "did you mean 'redmine'?"
    assert typo.subjects == ("a", "redmin")
    assert (typo.loc.line, typo.loc.col) == (8, 46)  # at the link itself
    assert unknown.hint == "add it under `sources:` (name, kind, url, project, token_env)"
    assert (unknown.loc.line, unknown.loc.col) == (12, 14)


def test_a_plan_without_sources_links_to_nothing() -> None:
    _, diagnostics = check(
        HEADER + "tasks:\n  - {id: a, title: A, estimate: 1d, tracker: rm#1}   # expect: E208\n"
    )
    assert diagnostics[0].hint.startswith("add it under `sources:`")


def test_one_item_linked_twice_e209() -> None:
    plan, diagnostics = check(
        HEADER
        + SOURCES
        + """\
tasks:
  - {id: a, title: A, estimate: 1d, tracker: redmine#1}
  - {id: b, title: B, estimate: 1d, tracker: gh#1}
  - {id: c, title: C, estimate: 1d, tracker: redmine#1}   # expect: E209
  - {id: d, title: D, estimate: 1d, tracker: redmine#1}   # expect: E209
"""
    )
    assert plan is None
    first, second = diagnostics
    assert first.message == "tasks 'a' and 'c' are both linked to redmine#1"
    assert first.subjects == ("a", "c")
    assert second.subjects == ("a", "d")


def test_same_key_in_two_sources_is_not_linked_twice() -> None:
    plan, diagnostics = check(
        HEADER
        + SOURCES
        + """\
tasks:
  - {id: a, title: A, estimate: 1d, tracker: redmine#1}
  - {id: b, title: B, estimate: 1d, tracker: gh#1}
"""
    )
    assert plan is not None and diagnostics == []


def test_duplicate_source_e200() -> None:
    plan, diagnostics = check(
        HEADER
        + """\
sources:
  - {name: rm, kind: redmine, url: https://rm.example.com, project: p}
  - {name: rm, kind: jira, url: https://x.atlassian.net, project: PLAT}   # expect: E200
tasks:
  - {id: a, title: A, estimate: 1d, tracker: rm#1}
"""
    )
    assert plan is None
    (dup,) = diagnostics
    assert dup.message == "duplicate source 'rm'"
    assert dup.subjects == ("rm",)
    assert [(r.line, r.col) for r in dup.related] == [(5, 5)]


@pytest.mark.parametrize(
    "value", ["nohash", "rm#", "'#12'", "'rm #1'", "true", "[rm, 1]", "'-x#1'"]
)
def test_tracker_not_source_hash_key_e118(value: str) -> None:
    plan, diagnostics = check(
        HEADER
        + SOURCES
        + f"tasks:\n  - {{id: a, title: A, estimate: 1d, tracker: {value}}}   # expect: E118\n"
    )
    assert plan is None
    (bad,) = diagnostics
    assert "is not SOURCE#KEY" in bad.message
    assert "rm#123" in bad.hint


@pytest.mark.parametrize(
    "url",
    [
        "ftp://rm.example.com",
        "rm.example.com",
        "https://user:secret@rm.example.com",
        "https://rm.example.com/a b",
        "''",
        "42",
    ],
)
def test_url_not_http_e118(url: str) -> None:
    plan, diagnostics = check(
        HEADER
        + "sources:\n"
        + f"  - {{name: rm, kind: redmine, url: {url}, project: p}}   # expect: E118\n"
        + "tasks:\n  - {id: a, title: A, estimate: 1d}\n"
    )
    assert plan is None
    (bad,) = diagnostics
    assert "url is not an http(s) address" in bad.message
    assert "secret" not in everything_said(bad)


@pytest.mark.parametrize(
    "pasted",
    [
        "glpat-Zx81Secret_Token-9aBc",  # GitLab personal token: a dash is no variable name
        "ATATT3xFfGF0Secret+Token/with=signs",  # Jira Cloud API token
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",  # Redmine API key: starts with a digit
        "Bearer s3cr3tT0ken",
    ],
)
def test_a_pasted_token_is_e118_and_never_echoed(pasted: str) -> None:
    text = (
        HEADER
        + "sources:\n"
        + "  - name: rm\n"
        + "    kind: redmine\n"
        + "    url: https://rm.example.com\n"
        + "    project: p\n"
        + f"    token_env: '{pasted}'   # expect: E118\n"
        + "tasks:\n  - {id: a, title: A, estimate: 1d}\n"
    )
    plan, diagnostics = check(text)
    assert plan is None
    (bad,) = diagnostics
    assert bad.message.endswith("not the name of an environment variable")
    assert "REDMINE_TOKEN" in bad.hint
    said = everything_said(bad)
    assert pasted not in said
    assert pasted[:8] not in said
    assert "Secret" not in said and "s3cr3t" not in said


def test_a_pasted_github_token_is_e118() -> None:
    pasted = "ghp_abcDEF1234567890abcdef1234567890ABCD"
    text = (
        HEADER
        + "sources:\n"
        + "  - {name: gh, kind: github, url: https://api.github.com, project: o/r, "
        + f"token_env: {pasted}}}   # expect: E118\n"
        + "tasks:\n  - {id: a, title: A, estimate: 1d, tracker: gh#1}\n"
    )
    _, diagnostics = load_doc(text)
    assert [d.code for d in diagnostics] == ["E118"]
    assert pasted not in everything_said(diagnostics[0])


def test_a_bad_source_value_is_reported_once() -> None:
    check(
        HEADER
        + """\
sources:
  - {name: rm, kind: redmine, url: ftp://rm.example.com, project: p}   # expect: E118
tasks:
  - {id: a, title: A, estimate: 1d, tracker: rm#1}
"""
    )


def test_other_bad_source_values() -> None:
    plan, _ = check(
        HEADER
        + """\
sources:
  - name: a
    kind: redmine
    url: https://rm.example.com
    project: ""   # expect: E118
  - name: b
    kind: jira
    url: https://x.atlassian.net
    project: PLAT
    user_env: "me@example.com"   # expect: E118
  - name: c
    kind: trello   # expect: E103
    url: https://trello.com
    project: x
tasks:
  - {id: t, title: T, estimate: 1d}
"""
    )
    assert plan is None


# -- valid sources --------------------------------------------------------------------------------

VALID = """\
calendar: {hours_per_day: 6}
sources:
  - name: rm
    kind: Redmine
    url: https://redmine.example.com/
    project: platform
    token_env: REDMINE_TOKEN
    match: {milestone: "2.0"}
    people: {jsmith: alice}
    started: [In Progress]
    done: [Closed, Resolved]
  - {name: gh, kind: github, url: https://api.github.com, project: acme/app, token_env: GH_TOKEN,
     match: {labels: [backend, api]}}
  - {name: gl, kind: gitlab, url: https://gitlab.example.com, project: g/app}
  - {name: jira, kind: jira, url: https://acme.atlassian.net, project: PLAT,
     token_env: JIRA_TOKEN, user_env: JIRA_EMAIL,
     match: {query: "labels = platform", parent: PLAT-1}}
  - {name: sp, kind: jira, url: https://acme.atlassian.net, project: SP,
     estimate: {field: customfield_10016, unit: 4h}}
  - {name: cf, kind: redmine, url: https://rm2.example.com, project: x, estimate: "cf:Effort"}
  - {name: sec, kind: gitlab, url: https://gitlab.example.com, project: g/x,
     estimate: time_estimate}
people:
  - {id: alice, name: Alice}
tasks:
  - {id: a, title: A, estimate: 1d, tracker: rm#1234}
"""


@pytest.fixture(scope="module")
def valid() -> Plan:
    plan, diagnostics = load_doc(HEADER + VALID)
    assert plan is not None, [d.format() for d in diagnostics]
    assert diagnostics == []
    return plan


def test_valid_sources_load_as_records(valid: Plan) -> None:
    by_name = {s.name: s for s in valid.trackers}
    assert list(by_name) == ["rm", "gh", "gl", "jira", "sp", "cf", "sec"]
    rm = by_name["rm"]
    assert rm.kind is TrackerKind.REDMINE
    assert rm.url == "https://redmine.example.com"  # the trailing slash dropped
    assert (rm.project, rm.token_env, rm.user_env) == ("platform", "REDMINE_TOKEN", None)
    assert rm.match == Match(milestone="2.0")
    assert dict(rm.people) == {"jsmith": "alice"}
    assert rm.person("jsmith") == "alice" and rm.person("alice") == "alice"
    assert (rm.started, rm.done) == (("In Progress",), ("Closed", "Resolved"))
    assert (rm.loc.line, rm.loc.col) == (6, 5)
    assert by_name["gh"].match == Match(labels=("backend", "api"))
    jira = by_name["jira"]
    assert (jira.token_env, jira.user_env) == ("JIRA_TOKEN", "JIRA_EMAIL")
    assert jira.match == Match(parent="PLAT-1", query="labels = platform")
    assert by_name["gl"].token_env is None


@pytest.mark.parametrize(
    ("name", "field", "minutes"),
    [
        ("rm", "estimated_hours", 60),  # Redmine's hours: 1h
        ("gh", "label:estimate", 360),  # one day of the plan's calendar (6 hours)
        ("gl", "weight", 360),
        ("jira", "story_points", 360),  # a story point: 1d
        ("sp", "customfield_10016", 240),  # an explicit unit
        ("cf", "cf:Effort", 360),  # a custom field: days unless its unit says otherwise
        ("sec", "time_estimate", 360),  # seconds: the unit is not used
    ],
)
def test_estimate_field_and_unit(valid: Plan, name: str, field: str, minutes: int) -> None:
    source = next(s for s in valid.trackers if s.name == name)
    assert source.estimate_field == field
    assert source.estimate_unit == Duration(minutes)


def test_story_points_follow_the_default_day() -> None:
    plan, diagnostics = load_doc(
        HEADER
        + "sources:\n  - {name: j, kind: jira, url: https://a.atlassian.net, project: P}\n"
        + "tasks:\n  - {id: a, title: A, estimate: 1d, tracker: j#P-1}\n"
    )
    assert plan is not None, diagnostics
    (source,) = plan.trackers
    assert (source.estimate_field, source.estimate_unit) == ("story_points", Duration(480))
