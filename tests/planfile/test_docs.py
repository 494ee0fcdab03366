"""The schema is the documentation: the reference page and the JSON Schema come from it."""

from __future__ import annotations

from pydantic import BaseModel

from ontrack.planfile import schema as s
from ontrack.planfile.docs import markdown_reference
from tests.conftest import ROOT


def test_reference_page_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "plan-format.md").read_text(encoding="utf-8")
    assert committed == markdown_reference(), "run `make docs` and commit docs/plan-format.md"


def test_every_field_has_a_description() -> None:
    specs: list[type[BaseModel]] = [
        s.PlanFileSpec,
        *s.SINGLETONS.values(),
        *s.SECTIONS.values(),
        s.DependSpec,
    ]
    for cls in specs:
        for name, info in cls.model_fields.items():
            assert info.description, f"{cls.__name__}.{name} needs a description"


def test_json_schema_names_every_section_and_accepts_shorthands() -> None:
    schema = s.json_schema()
    assert set(schema["properties"]) == {*s.SINGLETONS, *s.SECTIONS}
    depends = schema["$defs"]["TaskSpec"]["properties"]["depends"]
    kinds = depends["anyOf"]
    assert {"type": "string"}.items() <= kinds[0].items()
    assert kinds[1]["$ref"].endswith("DependSpec")
    assert kinds[2]["type"] == "array"
    assert schema["$defs"]["TaskSpec"]["additionalProperties"] is False
