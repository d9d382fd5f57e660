"""Typed errors, mirroring the TypeScript client's (docs/wire-protocol.md, "Failures"). Each has a ``hint``."""

from __future__ import annotations

from typing import Any


class TokenKeeperError(Exception):
    """Base of every error this client raises; ``hint`` says what to do next."""

    hint = ""


class NotEnrolledError(TokenKeeperError):
    hint = "enrol the company first (plum-keeper enrol <companyId> --tokens-file …)"

    def __init__(self, company_id: str) -> None:
        super().__init__(f"company {company_id} is not enrolled (no running keeper workflow)")
        self.company_id = company_id


class NeedsReauthError(TokenKeeperError):
    hint = "plum-keeper status <companyId> prints the cure for the reason (README: Reasons and cures)"

    def __init__(self, company_id: str, reason: str | None) -> None:
        super().__init__(f"company {company_id} needs re-authorisation ({reason or 'unknown reason'})")
        self.company_id = company_id
        self.reason = reason


class TokenExpiredError(TokenKeeperError):
    hint = "check the keeper status (lastError) and Plum’s availability; it retries on its own"

    def __init__(self, company_id: str, expired_at: int | None) -> None:
        super().__init__(f"the access token of company {company_id} has expired")
        self.company_id = company_id
        self.expired_at = expired_at


class NoTokenYetError(TokenKeeperError):
    hint = "wait for the first refresh (plum-keeper status <companyId> shows its progress)"

    def __init__(self, company_id: str, status: str) -> None:
        super().__init__(f"company {company_id} has no access token yet (status {status})")
        self.company_id = company_id
        self.status = status


class UserTokenRejectedError(TokenKeeperError):
    hint = "check the e-mail is a Super Admin of this company in the Plum dashboard, and that the user is enabled"

    def __init__(self, company_id: str, reason: str | None, message: str) -> None:
        super().__init__(f"company {company_id}: {message}")
        self.company_id = company_id
        self.reason = reason


class StaleTokensError(TokenKeeperError):
    hint = "use the newest token set, or generate new tokens in the Plum dashboard (Settings → API)"

    def __init__(self, company_id: str, message: str) -> None:
        super().__init__(f"company {company_id}: {message}")
        self.company_id = company_id


class ReseedRefusedError(TokenKeeperError):
    hint = (
        "check that the file holds the newest set for this company (Plum dashboard), then plum-keeper reseed"
        " <companyId> --tokens-file FILE again"
    )

    def __init__(self, company_id: str, message: str) -> None:
        super().__init__(message)
        self.company_id = company_id


class RefreshFailedError(TokenKeeperError):
    hint = "plum-keeper status <companyId> shows the last error and when the keeper retries"

    def __init__(self, company_id: str, status: str | None, message: str) -> None:
        super().__init__(f"company {company_id}: {message}")
        self.company_id = company_id
        self.status = status


class InvalidInputError(TokenKeeperError):
    hint = "fix the named field and try again"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class TemporalUnavailableError(TokenKeeperError):
    hint = "check TEMPORAL_ADDRESS and that the Temporal server is running"

    def __init__(self, cause: Any) -> None:
        super().__init__(f"Temporal is unavailable: {str(cause).splitlines()[0] if str(cause) else type(cause).__name__}")


class NoWorkerError(TokenKeeperError):
    """Temporal answered, but no worker took the keeper's query or update: none polls its task queue, or none of the
    build it is pinned to. The token set is safe; nothing reads or rotates it until such a worker runs."""

    def __init__(self, company_id: str, build: str | None) -> None:
        pinned = f": its keeper is pinned to build {build}" if build else ""
        super().__init__(f"no worker answered for company {company_id}{pinned}; Temporal itself answers")
        self.company_id = company_id
        self.build = build
        self.hint = (
            f"start workers of build {build}, or make a polled build current and run plum-keeper upgrade"
            if build
            else "start the keeper workers (npm start, or the worker deployment); plum-keeper doctor shows who polls"
        )


class TokenKeyRingMissingError(TokenKeeperError):
    hint = "connect with token_key_ring (PLUM_TOKEN_KEYS, the workers’ token ring)"

    def __init__(self, company_id: str) -> None:
        super().__init__(
            f"the token of company {company_id} arrived sealed and this client has no token key ring to open it"
        )
        self.company_id = company_id
