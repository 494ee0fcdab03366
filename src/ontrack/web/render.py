"""The pages' templates: Jinja2 with autoescaping on (plan text is user input: a `<script>` in
a task title renders as text), and the report's formatters."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ontrack import __version__
from ontrack.reports.html import chance_class, fdate, fdays, fmoney, fpct


@cache
def env() -> Environment:
    environment = Environment(
        loader=PackageLoader("ontrack.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(date=fdate, pct=fpct, money=fmoney, days=fdays, chance=chance_class)
    environment.globals["version"] = __version__
    return environment


def page(template: str, **context: Any) -> str:
    return env().get_template(template).render(**context)


def fragment(template: str, **context: Any) -> Markup:
    return Markup(env().get_template(template).render(**context))
