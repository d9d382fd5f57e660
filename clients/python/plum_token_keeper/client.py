"""TokenKeeperClient for Python services: the same operations and rules as the TypeScript client."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import uuid
from datetime import timedelta
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import temporalio.converter
from temporalio.client import (
    Client,
    Interceptor,
    TLSConfig,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from .codec import KeeperCodec
from .errors import InvalidInputError, NoWorkerError, TemporalUnavailableError, TokenKeyRingMissingError
from .keyring import KeyRing
from .not_ready import is_workflow_not_ready, retry_while_not_ready
from .protocol import CACHE_LIMITS, fields_for, query_refusal_is_miss
from .translate import open_token, token_or_error, translate

T = TypeVar("T")
_COMPANY_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
WORKFLOW_ID_PREFIX = "plum-company:"


def workflow_id_for(company_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{company_id}"


def _check_company(company_id: Any) -> str:
    if not isinstance(company_id, str) or not _COMPANY_ID.match(company_id):
        raise InvalidInputError("companyId", 'must be 1–128 characters of A–Z, a–z, 0–9, ".", "_" or "-"')
    return company_id


def _now_ms() -> int:
    return int(time.time() * 1000)


def cached_until(token: dict[str, Any], now: int, margin_ms: int) -> int:
    """Until when a cached access token is handed out (docs/wire-protocol.md, client rule 1)."""
    if token.get("status") != "ACTIVE":
        return now + 1000
    expires = token["expiresAt"]
    until = min(token.get("nextRefreshAt") or expires, expires) - margin_ms
    return max(now + 1000, min(until, expires - margin_ms))


class _SingleFlight:
    """One call in flight per key; concurrent callers share its result."""

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[Any]] = {}

    async def run(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(fn())
            self._flights[key] = flight
            flight.add_done_callback(lambda _: self._flights.pop(key, None))
        return await asyncio.shield(flight)


V = TypeVar("V")
_EMAIL_ASCII = re.compile(r"^[\x21-\x7e]+$")
_EMAIL_SHAPE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


def _bounded_put(cache: dict[str, V], key: str, value: V, bound: int) -> None:
    """Stores ``value``, dropping the oldest entries first while the cache is at its bound."""
    cache.pop(key, None)
    while len(cache) >= bound:
        cache.pop(next(iter(cache)))
    cache[key] = value


def _check_email(email: Any) -> None:
    """The keeper's e-mail rule (userToken input): at most 320 printable ASCII characters, something@something.tld."""
    if not isinstance(email, str) or not _EMAIL_SHAPE.match(email):
        raise InvalidInputError("email", "must be an e-mail address")
    if len(email) > 320:
        raise InvalidInputError("email", "must be at most 320 characters")
    if not _EMAIL_ASCII.match(email):
        raise InvalidInputError("email", "must be ASCII (Plum refuses internationalised addresses)")


class TokenKeeperClient:
    """Reads a company's Plum tokens from its keeper workflow. Build it with :meth:`connect`."""

    def __init__(
        self,
        client: Client,
        *,
        opens_tokens: bool,
        refresh_margin_ms: int = 5000,
        user_token_ttl_ms: int = 300_000,
        now: Callable[[], int] = _now_ms,
        max_cached_access_tokens: int = CACHE_LIMITS["accessTokens"],
        max_cached_user_tokens: int = CACHE_LIMITS["userTokens"],
    ) -> None:
        self.client = client
        self._max_tokens = max_cached_access_tokens
        self._max_user_tokens = max_cached_user_tokens
        self._opens_tokens = opens_tokens
        self._margin_ms = refresh_margin_ms
        self._user_ttl_ms = user_token_ttl_ms
        self._now = now
        self._tokens: dict[str, tuple[dict[str, Any], int]] = {}
        self._user_tokens: dict[str, tuple[dict[str, Any], int]] = {}
        self._handed_expiries: dict[str, int] = {}
        self._token_flights = _SingleFlight()
        self._user_flights = _SingleFlight()

    @classmethod
    async def connect(
        cls,
        address: str,
        key_ring: KeyRing,
        *,
        token_key_ring: KeyRing | None = None,
        namespace: str = "default",
        tls: bool | TLSConfig | None = None,
        api_key: str | None = None,
        interceptors: Sequence[Interceptor] = (),
        **options: Any,
    ) -> TokenKeeperClient:
        """Connects to Temporal with the keeper's codec: ``key_ring`` (``PLUM_CODEC_KEYS``) for every payload,
        ``token_key_ring`` (``PLUM_TOKEN_KEYS``) to read tokens; TLS and API keys as ``temporalio`` takes them. TLS is
        on whenever ``api_key`` is given (the key is a bearer credential) unless the caller passes ``tls=False``."""
        converter = dataclasses.replace(
            temporalio.converter.DataConverter.default, payload_codec=KeeperCodec(key_ring, token_key_ring)
        )
        try:
            client = await Client.connect(
                address,
                namespace=namespace,
                data_converter=converter,
                tls=(api_key is not None) if tls is None else tls,
                api_key=api_key,
                interceptors=interceptors,
            )
        except Exception as error:  # the SDK raises RuntimeError for a failed connection
            raise TemporalUnavailableError(error) from error
        return cls(client, opens_tokens=token_key_ring is not None, **options)

    def _handle(self, company_id: str) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(workflow_id_for(company_id))

    async def _call(self, company_id: str, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            return await retry_while_not_ready(fn)
        except Exception as error:
            translated = await self._no_worker(error, company_id) or translate(error, company_id)
            if translated is error:
                raise
            raise translated from error

    async def _no_worker(self, error: BaseException, company_id: str) -> NoWorkerError | None:
        """For a call no one answered (timed out, or refused for want of a poller) on a keeper that runs while
        Temporal answers: the error that says no worker took it (docs/wire-protocol.md, client rule 8)."""
        timed_out = isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError) or (
            isinstance(error, RPCError)
            and (
                error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
                or (error.status == RPCStatusCode.FAILED_PRECONDITION and not is_workflow_not_ready(error))
                or "Timeout expired" in str(error)
            )
        )
        if not timed_out:
            return None
        try:
            description = await self._handle(company_id).describe(rpc_timeout=timedelta(seconds=5))
        except Exception:
            return None
        if description.status != WorkflowExecutionStatus.RUNNING:
            return None
        versioning = description.raw_description.workflow_execution_info.versioning_info
        build = versioning.deployment_version.build_id if versioning.HasField("deployment_version") else ""
        return NoWorkerError(company_id, build or None)

    async def get_access_token(self, company_id: str) -> dict[str, Any]:
        """The company's access token ``{accessToken, expiresAt, status, nextRefreshAt?}``: from this process's cache
        until shortly before the keeper's next refresh; concurrent callers on a cold cache share one query."""
        cached = self._tokens.get(company_id)
        if cached and cached[1] > self._now():
            return cached[0]
        company_id = _check_company(company_id)

        async def query() -> dict[str, Any]:
            answer = await self._call(company_id, lambda: self._handle(company_id).query("accessToken"))
            token = open_token(company_id, token_or_error(company_id, answer, self._now()))
            until = cached_until(token, self._now(), self._margin_ms)
            _bounded_put(self._tokens, company_id, (token, until), self._max_tokens)
            _bounded_put(self._handed_expiries, company_id, token["expiresAt"], self._max_tokens)
            return token

        return await self._token_flights.run(company_id, query)

    def invalidate(self, company_id: str) -> None:
        """Drops the company's cached tokens, its user tokens too (call it after Plum answered 401)."""
        self._tokens.pop(company_id, None)
        for key in [k for k in self._user_tokens if k.startswith(f"{company_id}|")]:
            del self._user_tokens[key]

    async def get_user_token(self, company_id: str, email: str, scope: str | None = None) -> dict[str, Any]:
        """A user-scoped token ``{email, scope, accessToken, expiresAt}``: this process's cache, the keeper's cache,
        one exchange on a miss; single flight per user."""
        company_id = _check_company(company_id)
        _check_email(email)
        request: dict[str, Any] = {"email": email} if scope is None else {"email": email, "scope": scope}
        key = f"{company_id}|{email.lower()}|{scope or ''}"
        cached = self._user_tokens.get(key)
        if cached and cached[1] > self._now():
            return cached[0]

        async def fetch() -> dict[str, Any]:
            handle = self._handle(company_id)
            found = await self._call(company_id, lambda: self._cached_user_token(handle, request))
            if found is None:
                found = await self._call(
                    company_id,
                    lambda: handle.execute_update("userToken", request, id=f"user-token-{uuid.uuid4()}"),
                )
            result = open_token(company_id, found)
            fresh = min(self._now() + self._user_ttl_ms, result["expiresAt"] - self._margin_ms)
            _bounded_put(self._user_tokens, key, (result, fresh), self._max_user_tokens)
            return result

        return await self._user_flights.run(key, fetch)

    async def refresh_now(
        self, company_id: str, reason: str | None = None, *, seen_expires_at: int | None = None
    ) -> dict[str, Any]:
        """Rotates now and returns ``{accessToken, expiresAt}``; a rotation another caller already made (the keeper
        holds a token newer than the one this process handed out, or than ``seen_expires_at``: the expiry of the token
        a caller found wanting) is returned, not repeated."""
        company_id = _check_company(company_id)
        if seen_expires_at is not None and (
            isinstance(seen_expires_at, bool) or not isinstance(seen_expires_at, int) or seen_expires_at < 0
        ):
            raise InvalidInputError("seenExpiresAt", "must be an epoch in milliseconds")
        if not self._opens_tokens:
            raise TokenKeyRingMissingError(company_id)
        wanted: dict[str, Any] = {} if reason is None else {"reason": reason}
        seen = seen_expires_at if seen_expires_at is not None else self._handed_expiries.get(company_id)
        if seen is not None:
            wanted["seenExpiresAt"] = seen
        self._tokens.pop(company_id, None)
        handle = self._handle(company_id)
        try:
            result = await self._call(company_id, lambda: handle.execute_update("refreshNow", wanted))
        except InvalidInputError:
            # A keeper older than protocol 1 refuses seenExpiresAt: ask it, and send what it accepts.
            accepted = fields_for("refreshNow", wanted, await self._protocol(handle))
            if accepted == wanted:
                raise
            wanted = accepted
            result = await self._call(company_id, lambda: handle.execute_update("refreshNow", wanted))
        self._tokens.pop(company_id, None)
        _bounded_put(self._handed_expiries, company_id, result["expiresAt"], self._max_tokens)
        return open_token(company_id, result)

    async def _cached_user_token(self, handle: WorkflowHandle[Any, Any], request: dict[str, Any]) -> Any:
        """The keeper's cached user token, or None: a miss, or a keeper without the query (client-rules vectors)."""
        try:
            return await handle.query("cachedUserToken", request)
        except WorkflowQueryFailedError as error:
            # The SDK raises this while handling the RPCError of an INVALID_ARGUMENT answer: the keeper refused.
            cause = error.__context__
            code = cause.status if isinstance(cause, RPCError) else RPCStatusCode.INVALID_ARGUMENT
            if query_refusal_is_miss("cachedUserToken", code):
                return None
            raise

    async def _protocol(self, handle: WorkflowHandle[Any, Any]) -> int:
        try:
            return int((await handle.query("keeperVersion"))["protocol"])
        except Exception:
            return 0

    async def status(self, company_id: str) -> dict[str, Any]:
        """The keeper's status; never a secret."""
        company_id = _check_company(company_id)
        return await self._call(company_id, lambda: self._handle(company_id).query("status"))
