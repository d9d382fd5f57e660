"""The keeper's payload codec: token values sealed with the token ring, whole payloads encrypted with the payload ring
(docs/wire-protocol.md, "The payload codec" and "The token seal")."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from .keyring import KeyRing, UnknownKeyIdError

ENCRYPTED_ENCODING = b"binary/encrypted"
JSON_ENCODING = b"json/plain"
KEY_ID_METADATA = "encryption-key-id"
SEALED_PREFIX = "sealed:v1:"
TOKEN_FIELDS = frozenset({"accessToken", "refreshToken", "companyAccessToken", "access_token", "refresh_token"})
MAX_WALK_DEPTH = 64
IV_BYTES = 12
TAG_BYTES = 16


class PayloadDecryptionError(ValueError):
    """A payload that claims to be encrypted but cannot be opened: tampered, truncated or without a key id."""


class TokenUnsealError(ValueError):
    """A sealed token under a key id the token ring lacks (``key_id`` set), or one that fails authentication."""

    def __init__(self, message: str, key_id: str | None = None) -> None:
        super().__init__(message)
        self.key_id = key_id


def aes_seal(key: bytes, plain: bytes, iv: bytes | None = None) -> bytes:
    """``IV ‖ AES-256-GCM ciphertext ‖ tag``. ``iv`` is for the conformance vectors only: never reuse an IV."""
    nonce = iv if iv is not None else os.urandom(IV_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plain, None)


def aes_open(key: bytes, sealed: bytes) -> bytes:
    if len(sealed) < IV_BYTES + TAG_BYTES:
        raise PayloadDecryptionError("truncated")
    return AESGCM(key).decrypt(sealed[:IV_BYTES], sealed[IV_BYTES:], None)


def _map_tokens(value: Any, transform: Callable[[str], str], depth: int = 0) -> Any:
    if not isinstance(value, (dict, list)):
        return value
    if depth >= MAX_WALK_DEPTH:
        raise ValueError(f"the value is nested deeper than {MAX_WALK_DEPTH} levels, which no keeper message is")
    if isinstance(value, list):
        return [_map_tokens(item, transform, depth + 1) for item in value]
    return {
        key: transform(field) if key in TOKEN_FIELDS and isinstance(field, str) else _map_tokens(field, transform, depth + 1)
        for key, field in value.items()
    }


class TokenSealer:
    """Seals and opens token values inside JSON values with the token ring."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def seal_token(self, token: str, iv: bytes | None = None) -> str:
        if token.startswith(SEALED_PREFIX):
            return token
        sealed = aes_seal(self.ring.active_key, token.encode("utf-8"), iv)
        return f"{SEALED_PREFIX}{self.ring.active_key_id}:{base64.b64encode(sealed).decode('ascii')}"

    def open_token(self, value: str) -> str:
        if not value.startswith(SEALED_PREFIX):
            return value
        key_id, _, body = value[len(SEALED_PREFIX) :].partition(":")
        if key_id not in self.ring.keys:
            raise TokenUnsealError(
                f'a token is sealed with key id "{key_id[:64]}", which is not in the token key ring '
                f"(known: {', '.join(self.ring.keys)}); add it to PLUM_TOKEN_KEYS (add new keys everywhere first, "
                "activate them second)",
                key_id[:64],
            )
        try:
            return aes_open(self.ring.key(key_id), base64.b64decode(body)).decode("utf-8")
        except (InvalidTag, PayloadDecryptionError, ValueError) as error:
            raise TokenUnsealError(f'a token sealed with key id "{key_id}" failed authentication') from error

    def seal(self, value: Any) -> Any:
        return _map_tokens(value, self.seal_token)

    def unseal(self, value: Any) -> Any:
        return _map_tokens(value, self.open_token)


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def _map_json(payload: Payload, transform: Callable[[Any], Any]) -> Payload:
    if payload.metadata.get("encoding") != JSON_ENCODING or not payload.data:
        return payload
    mapped = transform(json.loads(payload.data))
    out = Payload()
    out.CopyFrom(payload)
    out.data = json.dumps(mapped, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return out


class KeeperCodec(PayloadCodec):
    """Encrypts every payload under the payload ring; with the token ring, seals token fields before and opens them
    after. Without the token ring, tokens read back sealed (``sealed:v1:…``)."""

    def __init__(self, payload_ring: KeyRing, token_ring: KeyRing | None = None) -> None:
        self.payload_ring = payload_ring
        self.sealer = TokenSealer(token_ring) if token_ring is not None else None

    def encrypt(self, payload: Payload, iv: bytes | None = None) -> Payload:
        ring = self.payload_ring
        return Payload(
            metadata={"encoding": ENCRYPTED_ENCODING, KEY_ID_METADATA: ring.active_key_id.encode("utf-8")},
            data=aes_seal(ring.active_key, payload.SerializeToString(), iv),
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCRYPTED_ENCODING:
            return payload
        key_id_bytes = payload.metadata.get(KEY_ID_METADATA)
        if not key_id_bytes:
            raise PayloadDecryptionError("encrypted payload without an encryption-key-id")
        key_id = key_id_bytes.decode("utf-8")
        key = self.payload_ring.key(key_id)
        if len(payload.data) < IV_BYTES + TAG_BYTES:
            raise PayloadDecryptionError(f'encrypted payload (key "{key_id}") is truncated')
        try:
            return Payload.FromString(aes_open(key, payload.data))
        except InvalidTag as error:
            raise PayloadDecryptionError(
                f'payload under key "{key_id}" failed authentication: tampered, or a different key with that id'
            ) from error

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sealer = self.sealer
        return [self.encrypt(_map_json(p, sealer.seal) if sealer else p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sealer = self.sealer
        opened = [self.decrypt(p) for p in payloads]
        return [_map_json(p, sealer.unseal) if sealer else p for p in opened]


__all__ = [
    "KeeperCodec",
    "PayloadDecryptionError",
    "TokenSealer",
    "TokenUnsealError",
    "UnknownKeyIdError",
    "aes_open",
    "aes_seal",
    "is_sealed",
]
