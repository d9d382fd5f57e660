"""Answers and failures to tokens and typed errors, by answer shape, failure type and gRPC status, never by text."""

from __future__ import annotations

from typing import Any

from temporalio.client import (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from .codec import is_sealed
from .errors import (
    InvalidInputError,
    NeedsReauthError,
    NoTokenYetError,
    NotEnrolledError,
    RefreshFailedError,
    ReseedRefusedError,
    StaleTokensError,
    TemporalUnavailableError,
    TokenExpiredError,
    TokenKeeperError,
    TokenKeyRingMissingError,
    UserTokenRejectedError,
)


def open_token(company_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` when its token is a token; a sealed one means this client lacks the token ring."""
    if is_sealed(answer.get("accessToken")):
        raise TokenKeyRingMissingError(company_id)
    return answer


def token_or_error(company_id: str, answer: dict[str, Any], now: int) -> dict[str, Any]:
    """The token of an ``accessToken`` answer, or the typed error that says why there is none. A token the clock
    ``now`` sees as expired is refused; ``expiresAt`` 0 is an unknown expiry, never an expired token."""
    if answer.get("ok"):
        token = {k: v for k, v in answer.items() if k != "ok"}
        expires_at = token.get("expiresAt", 0)
        if expires_at != 0 and expires_at <= now:
            raise TokenExpiredError(company_id, expires_at)
        return token
    why = answer.get("why")
    if why == "RETIRED":
        raise NotEnrolledError(company_id)
    if why == "NEEDS_REAUTH":
        raise NeedsReauthError(company_id, answer.get("reason"))
    if why == "EXPIRED":
        raise TokenExpiredError(company_id, answer.get("expiredAt"))
    raise NoTokenYetError(company_id, answer.get("status", "unknown"))


def failure_error(company_id: str, failure_type: str | None, details: Any, message: str) -> Exception | None:
    """The typed error for an update failure of ``failure_type`` whose first detail is ``details``."""
    detail = details if isinstance(details, dict) else {}
    if failure_type == "NeedsReauthError":
        return NeedsReauthError(company_id, detail.get("reason"))
    if failure_type == "RefreshFailedError":
        if detail.get("status") == "NEEDS_REAUTH":
            return NeedsReauthError(company_id, detail.get("reason"))
        return RefreshFailedError(company_id, detail.get("status"), message)
    if failure_type == "RetiredError":
        return NotEnrolledError(company_id)
    if failure_type == "InvalidInputError":
        return InvalidInputError(detail.get("field") or "input", message)
    if failure_type == "StaleTokensError":
        return StaleTokensError(company_id, message)
    if failure_type == "ReseedRefusedError":
        return ReseedRefusedError(company_id, message)
    if failure_type == "UserTokenFailedError":
        return UserTokenRejectedError(company_id, detail.get("reason"), message)
    if failure_type == "NoValidTokenError":
        return TokenExpiredError(company_id, None)
    return None


def translate(error: BaseException, company_id: str) -> BaseException:
    """A Temporal SDK error as this library's typed error (or the error itself when it has no mapping)."""
    if isinstance(error, TokenKeeperError):
        return error
    if isinstance(error, WorkflowUpdateFailedError) and isinstance(error.cause, ApplicationError):
        cause = error.cause
        first = cause.details[0] if cause.details else None
        return failure_error(company_id, cause.type, first, cause.message) or error
    if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError):
        return TemporalUnavailableError(error)
    status = error.status if isinstance(error, RPCError) else None
    if status == RPCStatusCode.NOT_FOUND:
        return NotEnrolledError(company_id)
    if status in (
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.UNAUTHENTICATED,
        RPCStatusCode.PERMISSION_DENIED,
    ):
        return TemporalUnavailableError(error)
    return error
