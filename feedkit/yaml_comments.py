"""Comments in front matter, taken out before quickyaml reads it (pure).

`# imported from …` lines and ` # note` after a value are the commonest YAML that quickyaml
would otherwise leave to PyYAML (one such line in every file made `convert` ~3× slower).  A
comment is taken out only where its end is plain: never inside a quoted value, and never before
a plain value goes on over lines (YAML ends the value at the comment).
"""

from __future__ import annotations

import re


def without_comments(raw: str) -> str | None:
    """`raw` with its comments taken out: a line that holds only a comment becomes blank, and
    a ` #` comment after a value goes with the spaces before it; inside a quoted value, even
    one that goes on over lines, and in a block value (`|`, `>`), `#` is text.  None when a
    wrapped plain value or a block value goes on after a comment (YAML ends it there)."""
    if not (
        " #" in raw
        or "\t" in raw
        or "\n " in raw
        or raw[:1] == " "
        or '"' in raw
        or "'" in raw
        or ": |" in raw
        or ": >" in raw
    ):  # no quote, block, indented or wrapped line: every comment is a line of its own
        return _COMMENT_LINE.sub("\n", "\n" + raw)[1:]
    rows = raw.split("\n")
    quote = ""  # the quote of a value still open at the end of the last row
    ended = False  # a comment came last: a plain value cannot go on
    block = False  # in a block value (`|`, `>`): its indented lines are text
    cut = False  # a comment line ended a block value: an indented line after it is YAML's
    for index, row in enumerate(rows):
        if block and (row[:1] == " " or not row):
            continue
        in_block, block = block, False
        if cut and row[:1] == " " and row.strip(" \t"):
            return None  # (without the comment it would read as the block's)
        if quote:
            start = _closing(row, 0, quote)
            if start < 0:
                continue  # all of the row is inside the value
            quote = ""
        elif not row.strip(" \t"):
            continue
        elif row.lstrip(" ")[:1] == "#":
            rows[index] = ""
            ended = True
            cut = cut or in_block
            continue
        elif wraps(row):
            if ended or _comment_at(row, 0) >= 0:
                return None
            continue
        else:
            cut = False
            start = _VALUE_START.match(row).end()  # type: ignore[union-attr] # (matches "")
            block = row[start : start + 1] in ("|", ">")
            if row[start : start + 1] in ("'", '"'):
                quote = row[start]
                start = _closing(row, start + 1, quote)
                if start < 0:
                    continue
                quote = ""
        at = _comment_at(row, start)
        ended = at >= 0
        if ended:
            rows[index] = row[:at].rstrip(" \t")
    return "\n".join(rows)


# A comment line (a "#" first), with the line break before it: found faster than with "^".
_COMMENT_LINE = re.compile(r"\n#[^\n]*")
# Where a value starts: after "key:" or "- " and the spaces after it.
_VALUE_START = re.compile(r"[ ]*(?:-[ ]+|[A-Za-z_][A-Za-z0-9_-]*:[ ]+)?")


def _closing(row: str, start: int, quote: str) -> int:
    """Where `row` goes on after the quote that closes a value begun before `start`; -1 when
    it does not close in this row ('' in single quotes and \\" in double ones are text)."""
    at = start
    while True:
        at = row.find(quote, at)
        if at < 0:
            return -1
        if quote == "'":
            if row[at + 1 : at + 2] != "'":
                return at + 1
            at += 2
        else:
            backslashes = at - len(row[:at].rstrip("\\"))
            if backslashes % 2 == 0:
                return at + 1
            at += 1


def _comment_at(row: str, start: int) -> int:
    """Where a comment starts in `row` from `start` (a "#" first or after a blank), or -1."""
    at = row.find("#", start)
    while at > 0 and row[at - 1] not in " \t":  # "C#" is text, not a comment
        at = row.find("#", at + 1)
    return at


def wraps(line: str) -> bool:
    """Whether a line goes on the value before it: indented, and neither blank nor a list item
    (YAML would go on a plain value with a list item too; quickyaml leaves that to it)."""
    if line[:1] != " " or not line.strip(" \t"):
        return False
    text = line.lstrip(" ")
    return text != "-" and not text.startswith("- ")
