"""References: suggestions for typos, subjects for filtering."""

from __future__ import annotations

from tests.conftest import HEADER, load_doc


def test_typo_gets_a_suggestion_and_subjects() -> None:
    _, diags = load_doc(
        HEADER
        + """\
tasks:
  - {id: design, title: Design, estimate: 1d}
  - {id: api, title: API, estimate: 1d, depends: [desing]}
"""
    )
    (diag,) = diags
    assert diag.code == "E201"
    assert diag.hint == "did you mean 'design'?"
    assert diag.subjects == ("api", "desing")


def test_inherited_team_is_reported_once_at_the_summary() -> None:
    _, diags = load_doc(
        HEADER
        + """\
tasks:
  - id: epic
    title: Epic
    team: nobody
    tasks:
      - {id: a, title: A, estimate: 1d}
      - {id: b, title: B, estimate: 1d}
"""
    )
    assert [(d.code, d.loc.line) for d in diags] == [("E203", 7)]
