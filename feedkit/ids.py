"""Stable ids and hashes (pure): `urn:uuid:` version-5 UUIDs in the URL namespace, and the
hash of what a reader sees of an entry.

`urn_uuid5` is exactly `uuid.uuid5(uuid.NAMESPACE_URL, name)`, written out without building
UUID objects: every article needs three of them, so this is on the hot path of reading a folder.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedkit.model import Entry

_NAMESPACE = bytes.fromhex("6ba7b8119dad11d180b400c04fd430c8")  # uuid.NAMESPACE_URL (RFC 4122)


def urn_uuid5(name: str) -> str:
    """`urn:uuid:` + uuid5(NAMESPACE_URL, name).  A file name that is not valid UTF-8 reaches
    here with surrogate escapes: it is hashed as the bytes it was (where uuid5 would raise)."""
    h = hashlib.sha1(_NAMESPACE + name.encode("utf-8", "surrogateescape")).hexdigest()
    # version 5 in the 13th hex digit; the RFC 4122 variant (binary 10xx) in the 17th
    return f"urn:uuid:{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def content_hash(entry: Entry) -> str:
    """sha256 of what a reader sees of `entry`; dates, priority, source and origin left out.

    A remote feed that bumps `updated` without changing the text does not make a new version.
    """
    fields = [
        entry.title,
        entry.link,
        entry.summary,
        entry.body,
        entry.body_format.value,
        list(entry.authors),
        list(entry.tags),
        entry.image,
        entry.lang,
    ]
    encoded = json.dumps(fields, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return hashlib.sha256(encoded).hexdigest()
