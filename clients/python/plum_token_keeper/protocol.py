"""What a keeper of each protocol is sent, and which query refusal is a miss (docs/wire-protocol.md, client rule 6;
docs/vectors/client-rules.json)."""

from __future__ import annotations

from typing import Any

#: Optional input fields and the keeper protocol that first accepts each (``FIELDS_SINCE_PROTOCOL`` of the keeper).
FIELDS_SINCE_PROTOCOL: dict[str, dict[str, int]] = {"refreshNow": {"seenExpiresAt": 1}}

#: Default bounds of the client's caches: companies, and (company, e-mail, scope) triples.
CACHE_LIMITS: dict[str, int] = {"accessTokens": 100_000, "userTokens": 10_000}

#: gRPC's INVALID_ARGUMENT: how Temporal answers a query the workflow failed, as one it has no handler for.
_QUERY_FAILED = 3


def fields_for(message: str, value: dict[str, Any], protocol: int) -> dict[str, Any]:
    """``value`` without the optional fields a keeper of ``protocol`` does not accept."""
    since = FIELDS_SINCE_PROTOCOL.get(message, {})
    return {k: v for k, v in value.items() if since.get(k, 0) <= protocol}


def query_refusal_is_miss(query: str, grpc_code: int) -> bool:
    """Only ``cachedUserToken`` refused by the keeper itself (a keeper older than the query) is a miss."""
    return query == "cachedUserToken" and grpc_code == _QUERY_FAILED
