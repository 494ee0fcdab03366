"""Every operation of the REST API called with data generated from its OpenAPI description
(schemathesis 4, on hypothesis), as a superuser with an API token, on SQLite and PostgreSQL: no
call may end in a server error (``not_a_server_error``), and every response must match the
schema declared for its status (``response_schema_conformance``). The description itself must
be a valid OpenAPI 3.1 document.

Each operation gets valid and invalid data (schemathesis' positive and negative modes), with
the program's path parameter generated or set to the example's program, so that calls reach
the real data as well as the 404s. Bounded to stay quick: a few examples per operation,
derandomized (the same cases every run), and the as-of dates mapped onto a handful of days of
the program (or, one in two, left outside the horizon the app refuses), so the app computes a
few assessments rather than one per random date.

The description is loaded with ``from_dict`` from the app's own answer and every case is sent
through starlette's TestClient, not ``from_asgi`` and ``case.call()``: schemathesis' pytest
plugin ends the lifespan of an app it reached over ASGI after each test, and this app closes its
store at the end of its lifespan, while one app serves the whole module. For the same reason
the operations are driven with ``operation.as_strategy()`` under hypothesis' ``@given``
(``schemathesis.pytest.from_fixture`` also fails under pytest 9: it sets ``node._nodeid``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from ontrack.checks.limits import in_horizon
from tests.web.conftest import BASE_URL, PROGRAM, RELEASE, SUPERUSER, Web, bare_app

#: The as-of days the generated cases use (the program runs from February to August 2026).
AS_OF_DAYS = ("2026-02-13", "2026-05-01", "2026-12-06")
EXAMPLES = 10  # per operation and mode

with bare_app() as _app:  # the operations, at collection time
    DESCRIPTION: dict[str, Any] = _app.openapi()
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, item in DESCRIPTION["paths"].items()
    for method in item
    if method in ("get", "put", "post", "patch", "delete")
]
#: Invalid data needs something to be invalid: operations with parameters or a body.
TAKES_INPUT = {
    f"{method.upper()} {path}"
    for path, item in DESCRIPTION["paths"].items()
    for method, operation in item.items()
    if operation.get("parameters") or operation.get("requestBody")
}
#: Operations that take an as-of date, and the first and last day a date can be, which each
#: of them is also called with (explicitly: random dates seldom land on them).
AS_OF = {
    f"{method.upper()} {path}"
    for path, item in DESCRIPTION["paths"].items()
    for method, operation in item.items()
    if any(p["name"] == "as_of" for p in operation.get("parameters", []))
}
EDGE_DAYS = ("0001-01-01", "9999-12-31")
CASES = [
    pytest.param(mode, label, id=f"{mode.value}-{label}")
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    for label in OPERATIONS
    if mode is GenerationMode.POSITIVE or label in TAKES_INPUT
]


@pytest.fixture(scope="module")
def api_schema(web: Web) -> Any:
    served = web.client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    return schemathesis.openapi.from_dict(served.json())


def test_the_description_is_valid_openapi_31(api_schema: Any) -> None:
    import jsonschema
    from schemathesis.specs.openapi.definitions import OPENAPI_31

    raw = api_schema.raw_schema
    assert raw["openapi"].startswith("3.1")
    assert raw == DESCRIPTION
    api_schema.validate()  # schemathesis' own check, on the same meta-schema
    jsonschema.Draft202012Validator(OPENAPI_31).validate(raw)
    # ... which leaves the JSON Schemas inside alone: each must be a valid 2020-12 schema.
    schemas = list(raw["components"]["schemas"].values())
    for item in raw["paths"].values():
        for operation in item.values():
            schemas += [p["schema"] for p in operation.get("parameters", [])]
    for schema in schemas:
        jsonschema.Draft202012Validator.check_schema(schema)
    assert len(OPERATIONS) >= 15
    assert all(label.split()[1].startswith("/api/v1/") for label in OPERATIONS)


def _at_known_days(case: Any) -> Any:
    """The case with its as-of date on one of AS_OF_DAYS, or (one in two) left outside the
    horizon that the app refuses."""
    query = case.query
    if isinstance(query, dict) and isinstance(query.get("as_of"), str):
        try:
            day = dt.date.fromisoformat(query["as_of"])
        except ValueError:
            return case  # not a date: the app must refuse it with 422
        if not in_horizon(day) and day.toordinal() % 2:
            return case
        query["as_of"] = AS_OF_DAYS[day.toordinal() % len(AS_OF_DAYS)]
    return case


@pytest.mark.parametrize(("mode", "label"), CASES)
def test_no_operation_fails_or_breaks_its_schema(
    api_schema: Any, web: Web, label: str, mode: GenerationMode
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    strategies = [operation.as_strategy(generation_mode=mode)]
    if "{program}" in label:  # the example's program too, not only names that are none
        strategies.append(
            operation.as_strategy(generation_mode=mode, path_parameters={"program": PROGRAM})
        )
    headers = web.bearer(SUPERUSER)
    client = web.new_client()

    def call(case: Any) -> None:
        sent = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
        if "data" in sent:  # requests' name for a raw body is httpx's `content`
            sent["content"] = sent.pop("data")
        assert not sent.pop("cookies", None), "the API declares no cookie parameters"
        response = client.request(**sent)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    if label in AS_OF and mode is GenerationMode.POSITIVE:
        for day in EDGE_DAYS:
            path = {"program": PROGRAM} | ({"release": RELEASE} if "{release}" in label else {})
            edge = operation.Case(path_parameters=path, query={"as_of": day})
            call = example(case=edge)(call)
    settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(given(case=st.one_of(strategies).map(_at_known_days))(call))()
