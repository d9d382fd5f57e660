"""plum-token-keeper for Python services: read Xoxoday Plum tokens from the keeper through Temporal."""

from .client import TokenKeeperClient, workflow_id_for
from .codec import KeeperCodec, PayloadDecryptionError, TokenSealer, TokenUnsealError
from .errors import (
    InvalidInputError,
    NeedsReauthError,
    NoTokenYetError,
    NoWorkerError,
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
from .keyring import KeyRing, KeyRingConfigError, UnknownKeyIdError, parse_key_ring
from .plum_api import PlumApi, retry_after_ms, unauthorized_beyond_token
from .script import run_script

__all__ = [
    "InvalidInputError",
    "KeeperCodec",
    "KeyRing",
    "KeyRingConfigError",
    "NeedsReauthError",
    "NoTokenYetError",
    "NoWorkerError",
    "NotEnrolledError",
    "PayloadDecryptionError",
    "PlumApi",
    "RefreshFailedError",
    "ReseedRefusedError",
    "StaleTokensError",
    "TemporalUnavailableError",
    "TokenExpiredError",
    "TokenKeeperClient",
    "TokenKeeperError",
    "TokenKeyRingMissingError",
    "TokenSealer",
    "TokenUnsealError",
    "UnknownKeyIdError",
    "UserTokenRejectedError",
    "parse_key_ring",
    "retry_after_ms",
    "run_script",
    "unauthorized_beyond_token",
    "workflow_id_for",
]
