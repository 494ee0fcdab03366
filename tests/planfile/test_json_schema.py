"""Plans that ontrack accepts also pass the JSON Schema that editors use, and vice versa for
obvious mistakes: the schema printed by `ontrack schema` is the one the loader enforces."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ontrack.planfile import plan_files
from ontrack.planfile.schema import json_schema
from tests.conftest import EXAMPLES, FIXTURES

VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def as_json(value: Any) -> Any:
    """What an editor's YAML extension hands the schema: dates become strings."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


FILES = [*plan_files(EXAMPLES), FIXTURES / "plans" / "clean.yaml"]


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_accepted_plans_pass_the_json_schema(path: Path) -> None:
    data = as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
    errors = [e.message for e in VALIDATOR.iter_errors(data)]
    assert errors == []


@pytest.mark.parametrize(
    "task",
    [
        {"id": "a", "title": "A", "estimte": "3d"},
        {"id": "a", "title": "A", "estimate": "3 parsecs"},
        {"id": "a"},
        {"id": "a", "title": "A", "depends": [{"task": "b", "type": "XX"}]},
    ],
)
def test_obvious_mistakes_fail_the_json_schema(task: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors({"tasks": [task]}))
