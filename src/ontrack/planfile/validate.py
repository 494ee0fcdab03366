"""Validate raw YAML items against the schema, one item at a time.

Validating item by item (rather than the whole file at once) lets one bad task cost only that
task: the rest of the plan is still built and cross-checked, so one run reports every problem.
Pydantic's errors are mapped back to the YAML position of the offending key or value, and to our
stable codes.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.planfile.schema import TaskSpec
from ontrack.planfile.values import kind_of
from ontrack.planfile.yamlread import PosDict, PosList

_KINDS = {
    "people": "person",
    "calendars": "calendar",
    "teams": "team",
    "risks": "risk",
    "releases": "release",
    "stakeholders": "stakeholder",
    "assumptions": "assumption",
    "issues": "issue",
    "decisions": "decision",
}
_TYPE_ERRORS = ("_type", "_parsing", "model_attributes_type", "is_instance_of")


S = TypeVar("S", bound=BaseModel)


@dataclass
class Item(Generic[S]):
    """One validated item and the raw mapping it came from (for positions)."""

    spec: S
    raw: PosDict
    parent: str | None = None
    children: list[str] = field(default_factory=list)


def label_of(kind: str, raw: Any, index: int) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(ident, str | int) and not isinstance(ident, bool):
        return f"{kind} '{ident}'"
    return f"{kind} #{index + 1}"


def validate_item(
    cls: type[S], raw: Any, where: SourceLoc, label: str, diagnostics: list[Diagnostic]
) -> S | None:
    """Validate one mapping; on failure append diagnostics and return None."""
    if not isinstance(raw, PosDict):
        diagnostics.append(
            error(
                "E102",
                where,
                f"{label} should be a mapping of keys, not {kind_of(raw)}",
                hint=f"write it as `key: value` lines; see {cls.__name__}",
            )
        )
        return None
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        diagnostics.extend(to_diagnostic(err, cls, raw, label) for err in exc.errors())
        return None


def validate_tasks(
    raws: Any,
    where: SourceLoc,
    diagnostics: list[Diagnostic],
    invalid_ids: set[str],
    parent: str | None = None,
) -> list[Item[TaskSpec]]:
    """Validate a `tasks` list and its nested children, depth first (parents before children)."""
    if not isinstance(raws, PosList):
        diagnostics.append(
            error(
                "E102",
                where,
                f"`tasks` should be a list, not {kind_of(raws)}",
                "start each task with `- id: …`",
            )
        )
        return []
    items: list[Item[TaskSpec]] = []
    for index, raw in enumerate(raws):
        label = label_of("task", raw, index)
        flat = raw
        children_raw = None
        if isinstance(raw, PosDict) and "tasks" in raw:
            # Children are validated on their own so a bad child does not drop its parent.
            children_raw = raw["tasks"]
            flat = PosDict(raw.loc)
            flat.update((k, val) for k, val in raw.items() if k != "tasks")
            flat.key_locs, flat.value_locs = raw.key_locs, raw.value_locs
        spec = validate_item(TaskSpec, flat, raws.item_locs[index], label, diagnostics)
        item = Item(spec, raw, parent) if spec is not None else None
        if item is None:
            _remember_invalid(raw, invalid_ids)
        else:
            items.append(item)
        if children_raw is not None:
            own_id = spec.id if spec is not None else _raw_id(raw)
            children = validate_tasks(
                children_raw, raw.value_locs["tasks"], diagnostics, invalid_ids, own_id
            )
            if item is not None:
                item.children = [c.spec.id for c in children if c.parent == own_id]
            items.extend(children)
    return items


def validate_list(
    cls: type[S],
    section: str,
    raws: Any,
    where: SourceLoc,
    diagnostics: list[Diagnostic],
    invalid_ids: set[str],
) -> list[Item[S]]:
    if not isinstance(raws, PosList):
        diagnostics.append(
            error(
                "E102",
                where,
                f"`{section}` should be a list, not {kind_of(raws)}",
                "start each entry with `- id: …`",
            )
        )
        return []
    kind = _KINDS.get(section, section)
    items: list[Item[S]] = []
    for index, raw in enumerate(raws):
        spec = validate_item(
            cls, raw, raws.item_locs[index], label_of(kind, raw, index), diagnostics
        )
        if spec is None:
            _remember_invalid(raw, invalid_ids, "name" if section == "sources" else "id")
        else:
            items.append(Item(spec, raw))
    return items


def _raw_id(raw: Any, key: str = "id") -> str | None:
    ident = raw.get(key) if isinstance(raw, dict) else None
    return str(ident) if isinstance(ident, str | int) and not isinstance(ident, bool) else None


def _remember_invalid(raw: Any, invalid_ids: set[str], key: str = "id") -> None:
    # References to an item that failed validation are not reported again as unknown.
    ident = _raw_id(raw, key)
    if ident is not None:
        invalid_ids.add(ident)


def to_diagnostic(err: ErrorDetails, cls: type[BaseModel], raw: PosDict, label: str) -> Diagnostic:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    path = _path_text(raw, loc)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = fields_at(cls, loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(allowed)
        where = path.rpartition(".")[0] or "it"
        return error(
            "E100",
            locate(raw, loc, key=True),
            f"unknown key '{key}' in {label}" + ("" if where == "it" else f" ({where})"),
            hint,
        )
    description = description_at(cls, loc)
    if kind == "missing":
        return error(
            "E101",
            locate(raw, loc),
            f"{label} is missing '{path}'",
            f"add `{loc[-1]}:` — {description}" if description else "",
        )
    if kind.startswith("E"):  # our own codes, raised by the value parsers
        return error(
            kind,
            locate(raw, loc),
            f"{label}: {path}: {ctx.get('message', err['msg'])}",
            str(ctx.get("hint", "")),
        )
    code = "E102" if kind.endswith(_TYPE_ERRORS) else "E103"
    got = kind_of(err.get("input"))
    message = f"{label}: {path}: {err['msg'][0].lower()}{err['msg'][1:]}"
    if code == "E102":
        message += f" (got {got})"
    return error(code, locate(raw, loc), message, description)


def locate(raw: PosDict, loc: tuple[Any, ...], key: bool = False) -> SourceLoc:
    """Position of the value (or key) at a pydantic error location in a raw YAML item."""
    current: Any = raw
    place = raw.loc
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(current, PosDict) and isinstance(part, str) and part in current:
            place = current.key_locs[part] if last and key else current.value_locs[part]
            current = current[part]
        elif isinstance(current, PosList) and isinstance(part, int) and 0 <= part < len(current):
            place = current.item_locs[part]
            current = current[part]
        # Anything else is a pydantic-internal step (a validator's name): skip it.
    return place


def _path_text(raw: PosDict, loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "list[", "tuple[")):
            text += f".{part}" if text else part
    return text or "value"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _walk(cls: type[BaseModel], loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, str]:
    """The model owning the last field named in ``loc``, and that field's name."""
    owner: type[BaseModel] | None = cls
    current: type[BaseModel] | None = cls
    name = ""
    for part in loc:
        if current is None:
            break
        if isinstance(part, str) and part in current.model_fields:
            owner, name = current, part
            current = _model_in(current.model_fields[part].annotation)
    return owner, name


def fields_at(cls: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys allowed in the mapping at ``loc`` (for "did you mean")."""
    owner, name = _walk(cls, loc)
    if owner is None:
        return []
    if not name:
        return list(owner.model_fields)
    nested = _model_in(owner.model_fields[name].annotation)
    return list(nested.model_fields) if nested is not None else []


def description_at(cls: type[BaseModel], loc: tuple[Any, ...]) -> str:
    owner, name = _walk(cls, loc)
    if owner is None or not name:
        return ""
    return owner.model_fields[name].description or ""
