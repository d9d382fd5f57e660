"""Calling Plum through the keeper (docs/wire-protocol.md, client rule 5)."""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

import httpx

from .client import TokenKeeperClient


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


class PlumApi:
    """Sends requests to Plum as a company: its token as the bearer; on a 401 the cached token dropped, one
    ``refresh_now`` (with the expiry this process saw) and one retry; a 429 returned with its ``Retry-After``, slept
    out and retried once only within ``max_retry_after_ms``."""

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
        url = self.base_url + path.lstrip("/")
        token = (await self.keeper.get_access_token(company_id))["accessToken"]
        response = await self._send(method, url, token, kwargs)
        if response.status_code == 401:
            self.keeper.invalidate(company_id)
            path_only = httpx.URL(url).path
            fresh = await self.keeper.refresh_now(company_id, f"Plum answered 401 to {path_only}")
            response = await self._send(method, url, fresh["accessToken"], kwargs)
        wait = retry_after_ms(response) if response.status_code == 429 else None
        if wait is not None and wait <= self.max_retry_after_ms:
            await asyncio.sleep(wait / 1000)
            token = (await self.keeper.get_access_token(company_id))["accessToken"]
            response = await self._send(method, url, token, kwargs)
        return response

    async def _send(self, method: str, url: str, token: str, kwargs: dict[str, Any]) -> httpx.Response:
        headers = dict(kwargs.get("headers") or {})
        headers["authorization"] = f"Bearer {token}"
        return await self.http.request(method, url, **{**kwargs, "headers": headers})

    async def aclose(self) -> None:
        await self.http.aclose()
