"""Key rings: ``id:base64key[,id:base64key…]`` (docs/wire-protocol.md, "Key rings")."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")


class KeyRingConfigError(ValueError):
    """A key ring that cannot be used; names the variable and key id, never key material."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class UnknownKeyIdError(LookupError):
    """A value was encrypted under a key id this ring does not hold."""

    def __init__(self, key_id: str, known: list[str]) -> None:
        super().__init__(
            f'encrypted with key id "{key_id[:64]}", which is not in the key ring (known: {", ".join(known) or "none"})'
        )
        self.key_id = key_id


@dataclass(frozen=True)
class KeyRing:
    """AES-256 keys by id; ``active_key_id`` encrypts, every key decrypts."""

    keys: dict[str, bytes]
    active_key_id: str

    def key(self, key_id: str) -> bytes:
        found = self.keys.get(key_id)
        if found is None:
            raise UnknownKeyIdError(key_id, list(self.keys))
        return found

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_key_id]


def _decode_key(material: str) -> bytes:
    material = material.replace("-", "+").replace("_", "/")
    return base64.b64decode(material + "=" * (-len(material) % 4))


def parse_key_ring(spec: str, active_key_id: str | None = None, variable: str = "PLUM_CODEC_KEYS") -> KeyRing:
    """Parses ``PLUM_CODEC_KEYS``/``PLUM_TOKEN_KEYS``: comma- (or whitespace-) separated ``id:base64key`` entries; the
    active key is ``active_key_id``, else the last entry."""
    entries = [e.strip() for e in re.split(r"[,\s]+", spec) if e.strip()]
    if not entries:
        raise KeyRingConfigError(variable, "holds no keys; expected id:base64key[,id:base64key…]")
    keys: dict[str, bytes] = {}
    for index, entry in enumerate(entries, start=1):
        key_id, colon, material = entry.partition(":")
        if not colon or not key_id:
            raise KeyRingConfigError(variable, f"entry {index} is not id:base64key")
        if not _KEY_ID.match(key_id):
            raise KeyRingConfigError(
                variable, f"entry {index}: the key id is not 1–64 of [A-Za-z0-9._-] (the format is id:base64key)"
            )
        if not _BASE64.match(material):
            raise KeyRingConfigError(variable, f'key "{key_id}" is not base64')
        if key_id in keys:
            raise KeyRingConfigError(variable, f'key id "{key_id}" appears twice')
        key = _decode_key(material)
        if len(key) != 32:
            raise KeyRingConfigError(variable, f'key "{key_id}" is {len(key)} bytes; AES-256 needs 32')
        keys[key_id] = key
    active = active_key_id if active_key_id is not None else entries[-1].partition(":")[0]
    if active not in keys:
        raise KeyRingConfigError(
            re.sub(r"_KEYS(_FILE)?$", "_ACTIVE_KEY_ID", variable),
            f'"{active[:64]}" is not one of the keys ({", ".join(keys)})',
        )
    return KeyRing(keys, active)
