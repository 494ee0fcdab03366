"""The plan language: reading YAML plan files into the model, with diagnostics."""

from ontrack.planfile.loader import (
    load_plan,
    load_plan_text,
    load_plan_texts,
    plan_files,
    plan_sources,
)

__all__ = ["load_plan", "load_plan_text", "load_plan_texts", "plan_files", "plan_sources"]
