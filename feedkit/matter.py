"""Article text: decoding, cleaning, and splitting off the front matter (pure).

Front matter is YAML between `---` lines, or TOML between `+++` lines (as Hugo and Zola write
it).  The YAML is read with PyYAML's libyaml-backed CSafeLoader (what python-frontmatter uses
underneath), the TOML with the standard library's tomllib; feedkit splits the front matter
itself so it can report file line numbers and bound what a hostile document may cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from feedkit.errors import toml_problem
from feedkit.markup import XML_FORBIDDEN
from feedkit.quickyaml import YAML_TIMESTAMP, quick_front_matter

if TYPE_CHECKING:
    import yaml


@lru_cache(maxsize=1)
def _loader() -> type[yaml.SafeLoader] | type[yaml.CSafeLoader]:
    """libyaml's safe loader; PyYAML is imported on first use (30 ms that most folders, whose
    front matter `quick_front_matter` reads, never need)."""
    import yaml  # noqa: PLC0415

    try:
        return yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - PyYAML built without libyaml
        return yaml.SafeLoader


# The line that closes front matter: YAML's `---` (or `...`), TOML's `+++`
_FENCE_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_TOML_FENCE_END = re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE)
# Fields that are text, which YAML reads as a date when they are written as one
_TEXT_FIELDS = frozenset({"title", "description", "summary", "id"})
_COMMENT = re.compile(r"[ \t]#")  # where a YAML comment starts after a plain value
_MAX_NODES = 5_000  # YAML values walked before a front matter counts as an alias bomb
_TOO_DEEP = "front matter is too large or nests too deeply"
_BINARY_SHARE = 0.05  # share of forbidden control characters that makes a file binary
# What PyYAML's value constructors raise, unmarked, on a bad scalar ("!!timestamp x": an
# AttributeError from a failed regex match).
_CONSTRUCTOR_ERRORS = (ValueError, TypeError, OverflowError, RecursionError, AttributeError)


class MatterError(ValueError):
    """Unusable article text; `line` is 1-based in the file when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True, kw_only=True)
class Matter:
    """Front matter fields and the body that follows them."""

    fields: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1  # file line on which the body starts


def decode(data: bytes, encoding: str = "utf-8") -> str:
    """Bytes of an article to clean text: BOM dropped, LF line ends, forbidden controls removed."""
    codec, wide = _codec(encoding)
    if codec == "utf-8-sig":
        text = decode_clean_utf8(data)
        if text is not None:
            return text  # the common case, settled in C
    head = data[:8192]
    if not wide and head.count(0) > max(8, len(head) * _BINARY_SHARE):
        raise MatterError("binary file, not text")  # (UTF-16/32 text is full of NUL bytes)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise MatterError(
            f"not valid {encoding} (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "set the source's encoding (--encoding) if the file uses another one",
            line=line,
        ) from exc
    text = _lf(text.removeprefix("\ufeff"))
    sample = text[:8192]
    forbidden = len(XML_FORBIDDEN.findall(sample))
    if forbidden > max(8, len(sample) * _BINARY_SHARE):
        raise MatterError("binary file, not text")
    if forbidden or XML_FORBIDDEN.search(text, 8192):
        text = XML_FORBIDDEN.sub("", text)
    return text


def decode_clean_utf8(data: bytes) -> str | None:
    """`decode` of UTF-8 holding nothing XML forbids (most files): a BOM dropped (or two), CR LF
    and CR made LF; None for any other bytes."""
    if data.translate(None, _ALLOWED_BYTES):  # a C0 control XML forbids
        return None
    try:
        text = data.decode()  # (the C decoder; "utf-8-sig" would go through Python code)
    except UnicodeDecodeError:
        return None
    if "\ufffe" in text or "\uffff" in text:  # (on the text: 0xEF 0xBF starts much CJK)
        return None
    if text[:1] == "\ufeff":
        text = text[1:].removeprefix("\ufeff")
    return _lf(text) if b"\r" in data else text


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def is_utf8(encoding: str) -> bool:
    """Whether an `encoding` setting names UTF-8 (what `decode_clean_utf8` reads)."""
    return _codec(encoding)[0] == "utf-8-sig"


@lru_cache(maxsize=8)
def _codec(encoding: str) -> tuple[str, bool]:
    """The codec to decode with (UTF-8 drops a BOM), and whether it is UTF-16/32."""
    name = encoding.replace("_", "-").lower()
    codec = "utf-8-sig" if name in ("utf-8", "utf8") else encoding
    return codec, name.startswith(("utf-16", "utf-32", "utf16", "utf32"))


# Every byte but the C0 controls XML forbids (tab, LF and CR are allowed).
_ALLOWED_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in (0x09, 0x0A, 0x0D))


def split_matter(text: str) -> Matter:
    """Split the front matter (YAML between `---` lines at the top, or TOML between `+++`
    lines) from the body and load it."""
    fence = text[:3]
    if fence not in ("---", "+++"):
        return Matter(body=text)
    first_nl = text.find("\n")
    if first_nl < 0 or text[3:first_nl].strip():
        return Matter(body=text)  # "---something" on line 1 is body text, not a fence
    end = (_FENCE_END if fence == "---" else _TOML_FENCE_END).search(text, first_nl + 1)
    if end is None:
        raise MatterError(
            f"front matter is not closed (no '{fence}' line after the opening one)", line=1
        )
    raw = text[first_nl + 1 : end.start()]
    body_start = end.end() + 1
    body_line = text.count("\n", 0, body_start) + 1
    fields = load_yaml(raw) if fence == "---" else load_toml(raw)
    return Matter(fields=fields, body=text[body_start:], body_line=body_line)


def load_toml(raw: str) -> dict[str, Any]:
    """Load TOML front matter (the text between the `+++` lines) into a mapping."""
    from feedkit.quicktoml import quick_toml  # noqa: PLC0415 - only where there is TOML

    quick = quick_toml(raw)
    if quick is not None:
        return quick  # (no escapes: nothing XML forbids, if `decode` left none)
    import tomllib  # noqa: PLC0415 - only for the files that have TOML front matter

    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        reason, line, _ = toml_problem(exc)
        where = None if line is None else min(line, raw.count("\n") + 1) + 1
        raise MatterError(f"invalid TOML in front matter: {reason}", line=where) from exc
    except RecursionError as exc:  # (tomllib reads nested lists and tables recursively)
        raise MatterError(_TOO_DEEP, line=2) from exc
    except ValueError as exc:  # (int() refuses over 4,300 digits)
        raise MatterError(
            "invalid TOML in front matter: a number too long to read", line=2
        ) from exc
    _check_size(data, "")
    _clean_strings(data)
    return data


def load_yaml(raw: str) -> dict[str, Any]:
    """Load front matter YAML into a mapping with string keys, bounded in size."""
    quick = quick_front_matter(raw)
    if quick is not None:
        if XML_FORBIDDEN.search(raw):  # (never, for text that came through `decode`)
            _clean_strings(quick)
        return quick
    loader = _loader()
    import yaml  # noqa: PLC0415 - loaded by _loader()

    try:
        data = yaml.load(raw, Loader=loader)  # CSafeLoader: the safe loader
    except yaml.MarkedYAMLError as exc:
        reason, line = _yaml_problem(exc, raw)
        raise MatterError(f"invalid YAML in front matter: {reason}", line=line) from exc
    except yaml.YAMLError as exc:
        raise MatterError(f"invalid YAML in front matter: {exc}", line=2) from exc
    except _CONSTRUCTOR_ERRORS as exc:
        # Raised without a mark: find the scalar whose value cannot be built, and its line.
        node = _bad_scalar(raw)
        if node is None:
            raise MatterError(f"invalid value in front matter: {exc}", line=2) from exc
        kind = node.tag.rpartition(":")[2]
        reason = f"not a valid {kind}" if isinstance(exc, AttributeError) else str(exc)
        line = node.start_mark.line + 2
        raise MatterError(
            f"invalid value {node.value!r} in front matter: {reason}", line=line
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MatterError(
            f"front matter must be a mapping of keys to values, got {_kind(data)}", line=2
        )
    _check_size(data, "; a YAML alias bomb?")
    _clean_strings(data)
    fields = {str(key): value for key, value in data.items()}
    for name in _TEXT_FIELDS.intersection(fields):
        if isinstance(fields[name], date):
            fields[name] = _as_written(raw, name, fields[name])
    return fields


def _as_written(raw: str, name: str, value: date) -> object:
    """A text field that YAML read as a timestamp (`title: 2024-06-11`), as it is written: what
    `quick_front_matter` keeps, so that the field reads the same whichever reader read it."""
    line = re.search(rf"^{name}:([ \t].*)$", raw, re.MULTILINE)
    if line is None:
        return value
    written = line.group(1)
    comment = _COMMENT.search(written)
    written = written[: comment.start()] if comment else written
    written = written.strip(" \t")
    if not YAML_TIMESTAMP.fullmatch(written):
        return value  # (written some other way: an explicit tag, an anchor, a flow mapping)
    return written


def _clean_strings(data: dict[Any, Any]) -> None:
    """Remove XML-forbidden characters from every text in the loaded YAML, in place: YAML
    escapes ("\\0", "\\x01", "\\uFFFE") bring back what `decode` removed from the raw text."""
    stack: list[object] = [data]
    while stack:  # bounded: _check_size has counted the nodes
        node = stack.pop()
        if isinstance(node, dict):
            items = list(node.items())
            node.clear()
            for key, value in items:
                node[_clean(key)] = _clean(value)
            stack.extend(value for _, value in items)
        elif isinstance(node, list):
            node[:] = [_clean(item) for item in node]
            stack.extend(node)


def _clean(value: object) -> object:
    return XML_FORBIDDEN.sub("", value) if isinstance(value, str) else value


def _yaml_problem(exc: yaml.MarkedYAMLError, raw: str) -> tuple[str, int | None]:
    """What PyYAML found wrong, and the file line to show (the front matter starts on line 2).

    A construct left open ("[a, b", an unterminated quote) is found wrong only at the end of
    the front matter, which would point at the closing '---': show where it was opened instead.
    """
    problem, context = exc.problem_mark, exc.context_mark
    if not exc.problem:
        mark = context or problem
        return exc.context or "invalid YAML", mark.line + 2 if mark is not None else None
    reason = exc.problem
    if problem is None or (problem.index >= len(raw.rstrip()) and context is not None):
        if exc.context:
            reason += f" ({exc.context})"
        mark = context
    else:
        mark = problem
        if exc.context and context is not None and context.line != problem.line:
            reason += f" ({exc.context} that starts on line {context.line + 2})"
    if mark is None:
        return reason, None
    return reason, min(mark.line + 2, raw.count("\n") + 1)


def _bad_scalar(raw: str) -> yaml.ScalarNode | None:
    """The first scalar of `raw` whose value cannot be constructed."""
    import yaml  # noqa: PLC0415 - only after load_yaml failed

    try:
        root = yaml.compose(raw, Loader=_loader())
    except (yaml.YAMLError, RecursionError):
        return None
    loader = _loader()("")
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: already checked
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except (*_CONSTRUCTOR_ERRORS, yaml.YAMLError):
                return node
        elif isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in reversed(node.value) for item in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def _check_size(data: object, why: str) -> None:
    """Refuse front matter of over _MAX_NODES values (YAML whose aliases expand into a huge
    structure, or simply a huge one): walks at most that many; `why` ends the message."""
    budget = _MAX_NODES
    stack: list[object] = [data]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise MatterError(f"{_TOO_DEEP} (over {_MAX_NODES} values{why})", line=2)
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple | set):
            stack.extend(node)


def _kind(value: object) -> str:
    names = {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}
    return names.get(type(value), type(value).__name__)
