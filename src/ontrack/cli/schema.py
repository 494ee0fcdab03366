"""``ontrack schema``: the plan format as JSON Schema or as a Markdown reference."""

from __future__ import annotations

from enum import StrEnum

import typer

from ontrack.cli.output import print_json
from ontrack.planfile.docs import markdown_reference
from ontrack.planfile.schema import json_schema


class SchemaFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"


def schema(
    fmt: SchemaFormat = typer.Option(
        SchemaFormat.JSON, "--format", "-f", help="json (JSON Schema) or markdown (reference page)."
    ),
) -> None:
    """Print the plan file format.

    The JSON Schema lets editors complete and check plan files; in VS Code with the YAML
    extension, add `# yaml-language-server: $schema=ontrack-plan.schema.json` on the first line.

    Example: ontrack schema > ontrack-plan.schema.json
    """
    if fmt is SchemaFormat.JSON:
        print_json(json_schema())
    else:
        typer.echo(markdown_reference(), nl=False)
