"""Stable ids: `urn:uuid:` version-5 UUIDs in the URL namespace (pure).

Exactly `uuid.uuid5(uuid.NAMESPACE_URL, name)`, written out without building UUID objects:
every article needs three of them, so this is on the hot path of reading a folder.
"""

from __future__ import annotations

import hashlib
import uuid

_NAMESPACE = uuid.NAMESPACE_URL.bytes


def urn_uuid5(name: str) -> str:
    """`urn:uuid:` + uuid5(NAMESPACE_URL, name).  A file name that is not valid UTF-8 reaches
    here with surrogate escapes: it is hashed as the bytes it was (where uuid5 would raise)."""
    data = name.encode("utf-8", "surrogateescape")
    digest = bytearray(hashlib.sha1(_NAMESPACE + data).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
