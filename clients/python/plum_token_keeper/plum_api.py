"""Calling Plum through the keeper (docs/wire-protocol.md, client rule 5)."""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

import httpx

from .client import TokenKeeperClient
from .errors import InvalidInputError


def retry_after_ms(response: httpx.Response, now_ms: int | None = None) -> int | None:
    """How long a response's ``Retry-After`` asks to wait (seconds or an HTTP date), or None without one."""
    header = response.headers.get("retry-after")
    if header is None:
        return None
    header = header.strip()
    if header.isdigit():
        return int(header) * 1000
    try:
        at = email.utils.parsedate_to_datetime(header).timestamp() * 1000
    except (TypeError, ValueError):
        return None
    return max(0, int(at - (now_ms if now_ms is not None else time.time() * 1000)))


_NOT_ABOUT_THE_TOKEN_OAUTH = frozenset({"invalid_client", "unauthorized_client"})


def unauthorized_beyond_token(response: httpx.Response) -> bool:
    """Whether a 401's body names a cause other than the token: one of Plum's application errors (``errorId``, e.g.
    ``PIPE10017`` IP not whitelisted) or an OAuth client error. Rotating would not help and would spend the token."""
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    error = body.get("error")
    return isinstance(body.get("errorId"), str) or (isinstance(error, str) and error in _NOT_ABOUT_THE_TOKEN_OAUTH)


class PlumApi:
    """Sends requests to Plum as a company: its token as the bearer, under the base URL only; on a 401 about the
    token the cached token dropped, one ``refresh_now`` (with the expiry of the token that request carried) and one
    retry, returned as it is; a 401 whose body names another cause returned at once; a 429 returned with its
    ``Retry-After``, slept out and retried once only within ``max_retry_after_ms`` (docs/wire-protocol.md, rule 5)."""

    def __init__(
        self,
        keeper: TokenKeeperClient,
        base_url: str,
        *,
        max_retry_after_ms: int = 0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.keeper = keeper
        self.base_url = base_url.rstrip("/") + "/"
        self.max_retry_after_ms = max_retry_after_ms
        self.http = http or httpx.AsyncClient(timeout=30)

    async def request(self, company_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Sends ``method path`` (relative to the base URL) as ``company_id``; ``kwargs`` go to ``httpx``."""
        url = self._resolve(path)
        sent = await self.keeper.get_access_token(company_id)
        response = await self._send(method, url, sent["accessToken"], kwargs)
        if response.status_code == 401 and not unauthorized_beyond_token(response):
            self.keeper.invalidate(company_id)
            path_only = httpx.URL(url).path
            fresh = await self.keeper.refresh_now(
                company_id, f"Plum answered 401 to {path_only}", seen_expires_at=sent["expiresAt"]
            )
            response = await self._send(method, url, fresh["accessToken"], kwargs)
        wait = retry_after_ms(response) if response.status_code == 429 else None
        if wait is not None and wait <= self.max_retry_after_ms:
            await asyncio.sleep(wait / 1000)
            token = (await self.keeper.get_access_token(company_id))["accessToken"]
            response = await self._send(method, url, token, kwargs)
        return response

    def _resolve(self, path: str) -> str:
        """``path`` under the base URL; one that would reach another origin or leave the base's prefix is refused."""
        base = httpx.URL(self.base_url)
        url = base.join(path.lstrip("/"))
        if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port) or not url.path.startswith(
            base.path
        ):
            raise InvalidInputError("path", "leaves the Plum base URL: PlumApi sends the company token only under it")
        return str(url)

    async def _send(self, method: str, url: str, token: str, kwargs: dict[str, Any]) -> httpx.Response:
        headers = dict(kwargs.get("headers") or {})
        headers["authorization"] = f"Bearer {token}"
        return await self.http.request(method, url, **{**kwargs, "headers": headers})

    async def aclose(self) -> None:
        await self.http.aclose()
