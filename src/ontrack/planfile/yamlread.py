"""Read one YAML plan file safely, keeping the position of every key and value.

We compose with libyaml (fast, and composing never constructs objects), then turn nodes into
plain dicts, lists and scalars ourselves. That is where hostile input is refused: tags that would
construct objects, alias bombs and self-referencing aliases, absurd nesting, duplicate keys (which
YAML would otherwise silently resolve to the last one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ontrack.diagnostics import Diagnostic, SourceLoc, error
from ontrack.fileio import FileTooLargeError, NotAFileError, read_bytes_limited
from ontrack.gcpause import gc_paused

try:  # libyaml is in PyYAML's wheels; the pure-Python loader is the slow fallback
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader

_TAG = "tag:yaml.org,2002:"
_IMPLICIT: dict[Any, list[tuple[str, Any]]] = yaml.resolver.Resolver.yaml_implicit_resolvers


class _Loader(_Base):  # type: ignore[misc]
    """libyaml's composer with PyYAML's implicit typing rules, resolved without its per-call
    overhead (which was half the time of reading a 10,000-task plan). Path resolvers, which
    plans never use, are left out."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _TAG + "str"
        return _TAG + ("seq" if kind is yaml.SequenceNode else "map")


MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 48
#: Aliases may add at most this many values beyond those written out (an alias bomb adds billions).
MAX_ALIAS_EXPANSION = 100_000

_STR, _MAP, _SEQ, _MERGE = _TAG + "str", _TAG + "map", _TAG + "seq", _TAG + "merge"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_CTOR = yaml.SafeLoader("")  # only its scalar helpers are used, on standard tags


class PosDict(dict[str, Any]):
    """A YAML mapping with the position of the mapping, each key and each value."""

    __slots__ = ("key_locs", "loc", "value_locs")

    def __init__(self, loc: SourceLoc) -> None:
        super().__init__()
        self.loc = loc
        self.key_locs: dict[str, SourceLoc] = {}
        self.value_locs: dict[str, SourceLoc] = {}


class PosList(list[Any]):
    """A YAML sequence with the position of the sequence and of each item."""

    __slots__ = ("item_locs", "loc")

    def __init__(self, loc: SourceLoc) -> None:
        super().__init__()
        self.loc = loc
        self.item_locs: list[SourceLoc] = []


@dataclass
class YamlDoc:
    path: str
    data: Any = None
    diagnostics: list[Diagnostic] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def read_yaml_file(path: Path, display: str | None = None) -> YamlDoc:
    """Read and compose one file; every failure becomes a diagnostic on the returned doc.

    Only a regular file is read (a FIFO or a device is refused without blocking or reading it),
    and no more than ``MAX_FILE_BYTES`` of it, counted as read.
    """
    name = display or str(path)
    try:
        raw = read_bytes_limited(path, MAX_FILE_BYTES)
    except NotAFileError as exc:
        return YamlDoc(name, None, [_not_regular(name, exc.kind)])
    except FileTooLargeError as exc:
        return YamlDoc(name, None, [_too_large(name, exc.size)])
    except OSError as exc:
        return YamlDoc(
            name,
            None,
            [
                error(
                    "E001",
                    SourceLoc(name),
                    f"cannot read file: {exc.strerror or type(exc).__name__}",
                    "check the path and its permissions",
                )
            ],
        )
    return read_yaml_bytes(raw, name)


def _not_regular(name: str, kind: str) -> Diagnostic:
    """E009: a plan path that is a device, FIFO, socket or folder where a file belongs."""
    return error(
        "E009",
        SourceLoc(name),
        f"not a regular file: this is a {kind}",
        "plan files are ordinary .yaml files; remove it or point at the real file",
    )


def _too_large(name: str, size: int | None) -> Diagnostic:
    said = f"{size:,} bytes" if size is not None else f"more than {MAX_FILE_BYTES:,} bytes"
    return error(
        "E004",
        SourceLoc(name),
        f"file is {said}; plan files are limited to {MAX_FILE_BYTES:,}",
        "split the plan into a folder of smaller files",
    )


def read_yaml_bytes(raw: bytes, name: str) -> YamlDoc:
    if len(raw) > MAX_FILE_BYTES:
        return YamlDoc(name, None, [_too_large(name, len(raw))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return YamlDoc(
            name,
            None,
            [
                error(
                    "E002",
                    SourceLoc(name, line, col),
                    f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                    "save the file as UTF-8",
                )
            ],
        )
    return read_yaml_text(text, name)


def read_yaml_text(text: str, name: str) -> YamlDoc:
    with gc_paused():
        return _read_yaml_text(text, name)


def _read_yaml_text(text: str, name: str) -> YamlDoc:
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        return YamlDoc(
            name,
            None,
            [
                error(
                    "E003",
                    SourceLoc(name, 1, 1),
                    "file is empty",
                    "write at least a `program:` or `tasks:` section",
                )
            ],
        )
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = SourceLoc(name, mark.line + 1, mark.column + 1) if mark else SourceLoc(name)
        problem = exc.problem or exc.context or "invalid YAML"
        return YamlDoc(
            name,
            None,
            [
                error(
                    "E005",
                    loc,
                    f"YAML syntax error: {problem}",
                    _yaml_hint(problem, _char_at(text, mark)),
                )
            ],
        )
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        return YamlDoc(
            name,
            None,
            [
                error(
                    "E005",
                    SourceLoc(name),
                    f"YAML syntax error: {exc}",
                    "check the file's indentation and quoting",
                )
            ],
        )
    if node is None:
        return YamlDoc(name, None, [error("E003", SourceLoc(name, 1, 1), "file has no content")])
    converter = _Converter(name)
    try:
        if "&" in text:  # without anchors there are no aliases to expand
            _check_expansion(name, node)
        data = converter.convert(node, 0, frozenset())
    except _Refused as refused:
        return YamlDoc(name, None, [*converter.diagnostics, refused.diagnostic])
    return YamlDoc(name, data, converter.diagnostics)


def _check_expansion(name: str, root: yaml.Node) -> None:
    """Refuse documents whose aliases expand far beyond what is written, before expanding."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise _Refused(
                error(
                    "E007", _loc(name, node), "alias refers to itself", "remove the recursive alias"
                )
            )
        if depth > MAX_DEPTH:
            raise _Refused(_too_deep(name, node))
        total = 1
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            in_progress.add(key)
            children = (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else [n for pair in node.value for n in pair]
            )
            total += sum(size(child, depth + 1) for child in children)
            in_progress.discard(key)
        sizes[key] = total
        return total

    expanded = size(root, 0)
    if expanded > len(sizes) + MAX_ALIAS_EXPANSION:
        raise _Refused(
            error(
                "E007",
                _loc(name, root),
                f"aliases expand this document to {expanded:,} values from {len(sizes):,} written "
                "(an alias bomb?)",
                "write values out instead of nesting aliases",
            )
        )


def _too_deep(name: str, node: yaml.Node) -> Diagnostic:
    return error(
        "E007",
        _loc(name, node),
        f"document nests deeper than {MAX_DEPTH} levels",
        "flatten the structure; a WBS rarely needs more than 6 levels",
    )


def _char_at(text: str, mark: yaml.Mark | None) -> str:
    if mark is None or not 0 <= mark.index < len(text):
        return ""
    return text[mark.index]


def _yaml_hint(problem: str, char: str) -> str:
    if char == "\t" or "\\t" in problem:
        return "indent with spaces, not tabs"
    if "another document" in problem:
        return "a plan file holds one YAML document; remove the extra `---`"
    if "mapping values are not allowed" in problem:
        return "quote values that contain ': ', e.g. title: \"Phase 2: rollout\""
    return "check the indentation and quoting around this position"


def _loc(name: str, node: yaml.Node) -> SourceLoc:
    return SourceLoc(name, node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    def __init__(self, name: str) -> None:
        self.name = name
        self.diagnostics: list[Diagnostic] = []

    def convert(self, node: yaml.Node, depth: int, path: frozenset[int]) -> Any:
        if depth > MAX_DEPTH:
            raise _Refused(_too_deep(self.name, node))
        if id(node) in path:
            raise _Refused(
                error(
                    "E007",
                    _loc(self.name, node),
                    "alias refers to itself",
                    "remove the recursive alias",
                )
            )
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        inner = path | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, _SEQ)
            seq = PosList(_loc(self.name, node))
            for item in node.value:
                seq.append(self.convert(item, depth + 1, inner))
                seq.item_locs.append(_loc(self.name, item))
            return seq
        if isinstance(node, yaml.MappingNode):
            self._check_tag(node, _MAP)
            return self._mapping(node, depth, inner)
        raise _Refused(error("E005", _loc(self.name, node), "unsupported YAML node"))

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise _Refused(self._tag_error(node))

    def _tag_error(self, node: yaml.Node) -> Diagnostic:
        return error(
            "E006",
            _loc(self.name, node),
            f"YAML tag '{node.tag}' is not allowed",
            "plan files hold plain text, numbers, dates, lists and mappings; remove the tag",
        )

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag not in _SCALAR_TAGS:
            raise _Refused(self._tag_error(node))
        if tag.endswith("null"):
            return None
        if tag.endswith("bool"):
            return _CTOR.construct_yaml_bool(node)
        if tag.endswith("timestamp"):
            try:
                value = _CTOR.construct_yaml_timestamp(node)
            except ValueError:
                return node.value  # e.g. 2026-02-30: the schema reports it as a bad date
            if isinstance(value, dt.datetime):
                return node.value  # dates are days in plans; the schema explains
            return value
        try:
            if tag.endswith("int"):
                return _CTOR.construct_yaml_int(node)
            return _CTOR.construct_yaml_float(node)
        except ValueError:
            return node.value

    def _mapping(self, node: yaml.MappingNode, depth: int, path: frozenset[int]) -> PosDict:
        out = PosDict(_loc(self.name, node))
        merged: list[PosDict] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, depth, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(
                    error(
                        "E102",
                        _loc(self.name, key_node),
                        "mapping keys must be plain names",
                        "use a name such as `id` or `title` as the key",
                    )
                )
            key = str(key_node.value)
            key_loc = _loc(self.name, key_node)
            if key in out.key_locs:
                self.diagnostics.append(
                    error(
                        "E008",
                        key_loc,
                        f"key '{key}' appears twice in the same mapping",
                        "remove one of them; YAML would silently keep only the last",
                        related=(out.key_locs[key],),
                    )
                )
                continue
            out[key] = self.convert(value_node, depth + 1, path)
            out.key_locs[key] = key_loc
            out.value_locs[key] = _loc(self.name, value_node)
        # `<<: *defaults` fills in keys the mapping does not set itself (YAML merge keys).
        for source in merged:
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    out.key_locs[key] = source.key_locs[key]
                    out.value_locs[key] = source.value_locs[key]
        return out

    def _merge_sources(self, node: yaml.Node, depth: int, path: frozenset[int]) -> list[PosDict]:
        value = self.convert(node, depth + 1, path)
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(s, PosDict) for s in sources):
            raise _Refused(
                error(
                    "E102",
                    _loc(self.name, node),
                    "a merge key `<<` needs a mapping or a list of mappings",
                )
            )
        return sources
