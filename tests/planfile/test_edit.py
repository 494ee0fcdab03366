"""Exact plan-file edits (``sync --accept FIELD=tracker``): only the characters of one value
change, everything else stays byte for byte; what is not written on one line is refused with
what to write by hand; files are written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ontrack.planfile.edit as edit_module
from ontrack.engines.trackersync import Edit
from ontrack.fileio import write_text_atomic
from ontrack.model import Plan
from ontrack.planfile import load_plan
from ontrack.planfile.edit import apply_edits

HEAD = """\
# The plan (a comment that stays)
program:
  name: Test program   # trailing comment
  start: 2026-01-05
people:
  - {id: alice, name: Alice}
  - {id: bob, name: Bob}
  - {id: carol, name: Carol}
sources:
  - {name: rm, kind: redmine, url: https://rm.example.com, project: p}
tasks:
"""

FLOW = (
    HEAD
    + """\
  - {id: a, title: A, estimate: 2d, tracker: rm#1}   # flow, commented
  - {id: b, title: B, estimate: 3d, depends: [a], assignee: [alice, bob], tracker: rm#2}
  - {id: c, title: "C, quoted", estimate: '1d', assignee: "carol", depends: a}
"""
)

BLOCK = (
    HEAD
    + """\
  - id: a
    title: A
    estimate: 2d    # block, commented
    assignee: alice
    tracker: rm#1
  - id: b
    title: B
    estimate: "3d"
    depends: [a]   # one line
    assignee: [alice, bob]
  - id: c
    title: C
    estimate: 1d
    depends:
      - a
      - b
    assignee:
      - carol
  - id: d
    title: D
    estimate: 1d
    depends: [{task: a, type: SS, lag: 1d}]
  - id: e
    title: E
    depends: {task: a, type: FF}
"""
)


def write(tmp_path: Path, text: str) -> tuple[Path, Plan]:
    path = tmp_path / "plan.yaml"
    path.write_bytes(text.encode("utf-8"))
    plan, diagnostics = load_plan(path)
    assert plan is not None, diagnostics
    return path, plan


def reload(path: Path) -> Plan:
    plan, diagnostics = load_plan(path)
    assert plan is not None, diagnostics
    assert not [d for d in diagnostics if d.code.startswith("E")]
    return plan


def changed_lines(before: str, after: str) -> dict[int, tuple[str, str]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return {i + 1: (o, n) for i, (o, n) in enumerate(zip(old, new, strict=True)) if o != n}


# -- flow-style tasks ------------------------------------------------------------------------------


def test_flow_estimate_replaced_and_nothing_else(tmp_path: Path) -> None:
    path, plan = write(tmp_path, FLOW)
    done, refused = apply_edits(plan, [Edit("a", "estimate", "2.5d")])
    assert refused == []
    assert done == [f"{path}:12:33: task 'a' estimate 2d -> 2.5d"]
    after = path.read_text(encoding="utf-8")
    assert changed_lines(FLOW, after) == {
        12: (
            "  - {id: a, title: A, estimate: 2d, tracker: rm#1}   # flow, commented\n",
            "  - {id: a, title: A, estimate: 2.5d, tracker: rm#1}   # flow, commented\n",
        )
    }
    work = reload(path).task_by_id["a"].work
    assert work is not None
    assert work.likely.minutes == 1200


def test_flow_lists_replaced(tmp_path: Path) -> None:
    path, plan = write(tmp_path, FLOW)
    done, refused = apply_edits(
        plan,
        [
            Edit("b", "depends", "a, c", ("a", "c")),
            Edit("c", "assignee", "alice, bob", ("alice", "bob")),
        ],
    )
    assert refused == []
    assert len(done) == 2
    after = path.read_text(encoding="utf-8")
    assert set(changed_lines(FLOW, after)) == {13, 14}
    assert "depends: [a, c], assignee: [alice, bob], tracker: rm#2}" in after
    assert "estimate: '1d', assignee: [alice, bob], depends: a}" in after
    loaded = reload(path)
    assert [d.task for d in loaded.task_by_id["b"].depends] == ["a", "c"]
    assert loaded.task_by_id["c"].assignees == ("alice", "bob")


def test_flow_quoted_scalars_replaced(tmp_path: Path) -> None:
    path, plan = write(tmp_path, FLOW)
    done, refused = apply_edits(
        plan,
        [Edit("c", "estimate", "4h"), Edit("b", "assignee", "carol", ("carol",))],
    )
    assert refused == []
    assert f"{path}:14:43: task 'c' estimate '1d' -> 4h" in done
    after = path.read_text(encoding="utf-8")
    # A single assignee is written as a scalar; the quoted title with a comma is untouched.
    assert '  - {id: c, title: "C, quoted", estimate: 4h, assignee: "carol", depends: a}\n' in (
        after
    )
    assert "depends: [a], assignee: carol, tracker: rm#2}" in after
    loaded = reload(path)
    assert loaded.task_by_id["c"].work is not None
    assert loaded.task_by_id["c"].work.likely.minutes == 240
    assert loaded.task_by_id["b"].assignees == ("carol",)


def test_flow_scalar_depends_becomes_a_list(tmp_path: Path) -> None:
    path, plan = write(tmp_path, FLOW)
    done, refused = apply_edits(plan, [Edit("c", "depends", "a, b", ("a", "b"))])
    assert refused == [] and len(done) == 1
    assert 'assignee: "carol", depends: [a, b]}\n' in path.read_text(encoding="utf-8")
    assert [d.task for d in reload(path).task_by_id["c"].depends] == ["a", "b"]


def test_two_edits_on_one_flow_line(tmp_path: Path) -> None:
    text = HEAD + "  - {id: a, title: A, estimate: 8d, tracker: rm#1, assignee: alice}\n"
    path, plan = write(tmp_path, text)
    done, refused = apply_edits(
        plan, [Edit("a", "estimate", "10d"), Edit("a", "assignee", "bob", ("bob",))]
    )
    assert refused == [] and len(done) == 2
    assert path.read_text(encoding="utf-8").endswith(
        "  - {id: a, title: A, estimate: 10d, tracker: rm#1, assignee: bob}\n"
    )


# -- block-style tasks -----------------------------------------------------------------------------


def test_block_estimate_replaced_comment_kept(tmp_path: Path) -> None:
    path, plan = write(tmp_path, BLOCK)
    done, refused = apply_edits(plan, [Edit("a", "estimate", "1.5d"), Edit("b", "estimate", "5d")])
    assert refused == []
    assert done == [
        f"{path}:14:15: task 'a' estimate 2d -> 1.5d",
        f"{path}:19:15: task 'b' estimate \"3d\" -> 5d",
    ]
    after = path.read_text(encoding="utf-8")
    assert changed_lines(BLOCK, after) == {
        14: (
            "    estimate: 2d    # block, commented\n",
            "    estimate: 1.5d    # block, commented\n",
        ),
        19: ('    estimate: "3d"\n', "    estimate: 5d\n"),
    }
    loaded = reload(path)
    assert loaded.task_by_id["a"].work is not None
    assert loaded.task_by_id["a"].work.likely.minutes == 720
    assert loaded.task_by_id["b"].work is not None
    assert loaded.task_by_id["b"].work.likely.minutes == 2400


def test_block_one_line_lists(tmp_path: Path) -> None:
    path, plan = write(tmp_path, BLOCK)
    done, refused = apply_edits(
        plan,
        [Edit("b", "depends", "", ()), Edit("b", "assignee", "carol", ("carol",))],
    )
    assert refused == [] and len(done) == 2
    after = path.read_text(encoding="utf-8")
    assert changed_lines(BLOCK, after) == {
        20: ("    depends: [a]   # one line\n", "    depends: []   # one line\n"),
        21: ("    assignee: [alice, bob]\n", "    assignee: carol\n"),
    }
    loaded = reload(path)
    assert loaded.task_by_id["b"].depends == ()
    assert loaded.task_by_id["b"].assignees == ("carol",)


def test_block_plain_scalar_at_the_end_of_its_line(tmp_path: Path) -> None:
    path, plan = write(tmp_path, BLOCK)
    done, refused = apply_edits(
        plan,
        [Edit("c", "estimate", "3d"), Edit("a", "assignee", "alice, carol", ("alice", "carol"))],
    )
    assert refused == [] and len(done) == 2
    after = path.read_text(encoding="utf-8")
    assert changed_lines(BLOCK, after) == {
        15: ("    assignee: alice\n", "    assignee: [alice, carol]\n"),
        24: ("    estimate: 1d\n", "    estimate: 3d\n"),
    }
    loaded = reload(path)
    assert loaded.task_by_id["a"].assignees == ("alice", "carol")


def test_a_value_on_the_last_line_without_a_newline(tmp_path: Path) -> None:
    text = HEAD + "  - id: a\n    title: A\n    estimate: 2d"
    path, plan = write(tmp_path, text)
    done, refused = apply_edits(plan, [Edit("a", "estimate", "4d")])
    assert refused == [] and len(done) == 1
    assert path.read_text(encoding="utf-8") == text[: -len("2d")] + "4d"


# -- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            Edit("c", "depends", "a", ("a",)),
            "plan.yaml:26:7: the depends is not written on one line: "
            "set `depends: [a]` on task 'c' by hand",
        ),
        (
            Edit("c", "assignee", "bob", ("bob",)),
            "plan.yaml:29:7: the assignee is not written on one line: "
            "set `assignee: bob` on task 'c' by hand",
        ),
        (
            Edit("d", "depends", "b", ("b",)),
            "plan.yaml:33:14: the depends is not written on one line: "
            "set `depends: [b]` on task 'd' by hand",
        ),
        (
            Edit("e", "depends", "b, c", ("b", "c")),
            "the depends is not written on one line: set `depends: [b, c]` on task 'e' by hand",
        ),
        (
            Edit("d", "assignee", "bob", ("bob",)),
            "'d' has no assignee written in the plan: set `assignee: bob` on task 'd' by hand",
        ),
        (
            Edit("e", "estimate", "2d"),
            "'e' has no estimate written in the plan: set `estimate: 2d` on task 'e' by hand",
        ),
        (
            Edit("nope", "estimate", "2d"),
            "'nope' has no estimate written in the plan: set `estimate: 2d` on task 'nope' by hand",
        ),
        (
            Edit("a", "title", "New", ("New",)),
            "'a' has no title written in the plan: set `title: [New]` on task 'a' by hand",
        ),
    ],
    ids=[
        "block-list",
        "block-list-assignee",
        "mapping-in-list",
        "mapping",
        "assignee-not-written",
        "estimate-not-written",
        "unknown-task",
        "field-not-editable",
    ],
)
def test_refused_with_what_to_write_by_hand(tmp_path: Path, edit: Edit, message: str) -> None:
    path, plan = write(tmp_path, BLOCK)
    before = os.stat(path)
    done, refused = apply_edits(plan, [edit])
    assert done == []
    (said,) = refused
    assert said.endswith(message), said
    # Nothing applied: the file is not even rewritten.
    assert path.read_bytes() == BLOCK.encode("utf-8")
    assert os.stat(path).st_ino == before.st_ino


def test_refusals_do_not_stop_the_other_edits(tmp_path: Path) -> None:
    path, plan = write(tmp_path, BLOCK)
    done, refused = apply_edits(
        plan, [Edit("c", "depends", "a", ("a",)), Edit("b", "estimate", "1d")]
    )
    assert len(done) == 1 and len(refused) == 1
    loaded = reload(path)
    assert loaded.task_by_id["b"].work is not None
    assert loaded.task_by_id["b"].work.likely.minutes == 480
    assert [d.task for d in loaded.task_by_id["c"].depends] == ["a", "b"]


def test_a_file_shortened_since_it_was_read_is_refused(tmp_path: Path) -> None:
    path, plan = write(tmp_path, BLOCK)
    path.write_text(HEAD, encoding="utf-8")
    done, refused = apply_edits(plan, [Edit("d", "estimate", "2d")])
    assert done == []
    assert refused == [f"{path} changed since it was read: set `estimate: 2d` on task 'd' by hand"]
    assert path.read_text(encoding="utf-8") == HEAD


def test_a_file_gone_is_refused(tmp_path: Path) -> None:
    path, plan = write(tmp_path, BLOCK)
    path.unlink()
    done, refused = apply_edits(plan, [Edit("a", "estimate", "2d")])
    assert done == []
    (said,) = refused
    assert said.startswith(f"{path}: cannot read (")
    assert said.endswith("set `estimate: 2d` on task 'a' by hand")
    assert not path.exists()


# -- atomic writing --------------------------------------------------------------------------------


def test_written_atomically_once_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, plan = write(tmp_path, BLOCK)
    before = os.stat(path)
    calls: list[str] = []
    real = write_text_atomic

    def spy(target: str | os.PathLike[str], text: str) -> None:
        calls.append(str(target))
        real(target, text)

    monkeypatch.setattr(edit_module, "write_text_atomic", spy)
    done, refused = apply_edits(
        plan,
        [Edit("a", "estimate", "3d"), Edit("b", "estimate", "4d"), Edit("d", "estimate", "1h")],
    )
    assert refused == [] and len(done) == 3
    assert calls == [str(path)]
    # Replaced, not rewritten in place; and no temporary file left beside it.
    assert os.stat(path).st_ino != before.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yaml"]


def test_a_failed_write_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, plan = write(tmp_path, BLOCK)

    def broken(target: str | os.PathLike[str], data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ontrack.fileio.os.replace", broken)
    with pytest.raises(OSError):
        apply_edits(plan, [Edit("a", "estimate", "3d")])
    assert path.read_bytes() == BLOCK.encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yaml"]


def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    text = FLOW.replace("\n", "\r\n")
    path = tmp_path / "plan.yaml"
    path.write_bytes(text.encode("utf-8"))
    plan, diagnostics = load_plan(path)
    assert plan is not None, diagnostics
    done, refused = apply_edits(plan, [Edit("a", "estimate", "4d")])
    assert refused == [] and len(done) == 1
    assert path.read_bytes() == text.replace("estimate: 2d,", "estimate: 4d,").encode("utf-8")


# -- edits of stored texts (the web app) ---------------------------------------------------------

STORED = """\
program: {name: Test program, start: 2026-01-05}\r
people:\r
  - {id: alice, name: Alice}\r
tasks:\r
  - id: a   # first\r
    title: First\r
    estimate: 2d\r
  - {id: b, title: Flow, estimate: 3d}\r
  - id: c\r
    title: |\r
      Block\r
risks:\r
  - id: r\r
    title: R\r
    probability: 30%\r
    impact: 2d\r
"""


def _stored() -> tuple[Plan, list[tuple[str, str]]]:
    from ontrack.planfile import load_plan_texts

    files = [("plan.yaml", STORED)]
    plan, diagnostics = load_plan_texts(files)
    assert plan is not None, diagnostics
    return plan, files


def test_stored_texts_change_only_the_values_and_keep_crlf() -> None:
    from ontrack.planfile.edit import FieldEdit, edit_texts

    plan, files = _stored()
    result = edit_texts(
        plan,
        files,
        [
            FieldEdit("task", "a", "estimate", "5d"),
            FieldEdit("task", "b", "estimate", "4d"),
            FieldEdit("task", "a", "assignee", "[alice]"),  # not written yet: added
            FieldEdit("risk", "r", "probability", "50%"),
            FieldEdit("risk", "r", "status", "closed"),  # not written yet: added
        ],
    )
    assert not result.refused
    text = dict(result.files)["plan.yaml"]
    assert "  - id: a   # first\r\n    assignee: [alice]\r\n    title: First\r\n" in text
    assert "    estimate: 5d\r\n" in text and "{id: b, title: Flow, estimate: 4d}" in text
    assert "  - id: r\r\n    status: closed\r\n" in text and "probability: 50%\r\n" in text
    assert "\n" not in text.replace("\r\n", "")  # every line ending is still CRLF
    from ontrack.planfile import load_plan_texts

    changed, _ = load_plan_texts(list(result.files))
    assert changed is not None
    assert changed.task_by_id["a"].assignees == ("alice",)
    assert changed.risks[0].status.value == "closed"


def test_stored_texts_refuse_what_is_not_one_line_or_not_there() -> None:
    from ontrack.planfile.edit import FieldEdit, edit_texts

    plan, files = _stored()
    result = edit_texts(
        plan,
        files,
        [
            FieldEdit("task", "c", "title", '"x"'),  # a block scalar
            FieldEdit("task", "b", "assignee", "[alice]"),  # a flow mapping: no new line
            FieldEdit("task", "zzz", "title", '"x"'),
        ],
    )
    assert len(result.refused) == 3 and not result.done
    assert result.files == tuple(files)


def test_written_text_is_the_value_as_written() -> None:
    from ontrack.planfile.edit import written_text

    plan, files = _stored()
    assert written_text(files, plan.task_by_id["a"].locs["estimate"]) == "2d"
    assert written_text(files, plan.task_by_id["b"].locs["estimate"]) == "3d"
    assert written_text(files, None) is None


@pytest.mark.parametrize(
    ("written", "value"),
    [('"say \\"hi\\" now"', 'say "hi" now'), ("'it''s done'", "it's done")],
)
def test_a_quoted_value_with_escaped_quotes_is_replaced_whole(written: str, value: str) -> None:
    from ontrack.planfile import load_plan_texts
    from ontrack.planfile.edit import FieldEdit, edit_texts, written_text

    head = "program: {name: P, start: 2026-01-05}\ntasks:\n  - id: a\n"
    text = f"{head}    title: {written}  # c\n"
    files = [("p.yaml", text)]
    plan, _ = load_plan_texts(files)
    assert plan is not None and plan.tasks[0].title == value
    assert written_text(files, plan.tasks[0].locs["title"]) == written
    result = edit_texts(plan, files, [FieldEdit("task", "a", "title", '"new"')])
    assert dict(result.files)["p.yaml"].endswith('    title: "new"  # c\n')


# -- list edits (ontrack release slip) ----------------------------------------------------------

LISTS = """\
program: {name: P, start: 2026-01-05}
tasks:
  - {id: a, title: A, estimate: 1d}
  - {id: b, title: B, estimate: 1d}
  - id: c
    title: C
    estimate: 1d
    depends: a   # one scalar
  - id: m
    title: M
    milestone: true
    depends: [a, 'b']
releases:
  - id: r1
    title: R1\r
    includes:\r
      - a\r
      - b   # kept comment\r
      - c\r
  - {id: r2, title: R2, includes: [m]}
  - id: r3
    title: R3
"""


def test_list_edits_keep_everything_else() -> None:
    from ontrack.planfile.edit import ListEdit, edit_lists
    from ontrack.planfile.loader import load_plan_texts

    plan, diagnostics = load_plan_texts([("p.yaml", LISTS)])
    assert plan is not None, diagnostics
    edits = [
        ListEdit("release", "r1", "includes", remove=("a", "c")),
        ListEdit("release", "r2", "includes", add=("a", "c")),
        ListEdit("release", "r3", "includes", add=("b",)),
        ListEdit("task", "m", "depends", remove=("b",)),
        ListEdit("task", "c", "depends", remove=("a",), add=("b",)),
    ]
    result = edit_lists(plan, [("p.yaml", LISTS)], edits)
    assert result.refused == ()
    text = dict(result.files)["p.yaml"]
    assert "    includes:\r\n      - b   # kept comment\r\n  - {id: r2" in text
    assert "{id: r2, title: R2, includes: [m, a, c]}" in text
    assert "  - id: r3\n    includes: [b]\n    title: R3\n" in text
    assert "    depends: [a]\n" in text and "    depends: [b]   # one scalar\n" in text
    after, diagnostics = load_plan_texts(result.files)
    assert after is not None, diagnostics
    assert {r.id: r.includes for r in after.releases} == {
        "r1": ("b",),
        "r2": ("m", "a", "c"),
        "r3": ("b",),
    }


def test_list_edits_refuse_what_they_cannot_do_exactly() -> None:
    from ontrack.planfile.edit import ListEdit, edit_lists
    from ontrack.planfile.loader import load_plan_texts

    plan, _ = load_plan_texts([("p.yaml", LISTS)])
    assert plan is not None
    edits = [
        ListEdit("release", "r1", "includes", remove=("a", "b", "c")),  # would be empty
        ListEdit("release", "r2", "includes", remove=("x",)),  # not there
        ListEdit("release", "r3", "includes", remove=("a",)),  # no list written
        ListEdit("release", "nope", "includes", add=("a",)),
    ]
    result = edit_lists(plan, [("p.yaml", LISTS)], edits)
    assert len(result.refused) == 4 and result.done == ()
    assert dict(result.files)["p.yaml"] == LISTS
