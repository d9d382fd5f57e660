"""The conformance vectors of docs/vectors, made by the TypeScript code: this client reads them the same way."""

import base64
import json

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.service import RPCError, RPCStatusCode

from plum_token_keeper import (
    InvalidInputError,
    KeeperCodec,
    PayloadDecryptionError,
    TokenSealer,
    TokenUnsealError,
    UnknownKeyIdError,
)
from plum_token_keeper.codec import aes_seal
from plum_token_keeper.not_ready import NOT_READY_RETRY_DELAYS_MS, is_workflow_not_ready
from plum_token_keeper.translate import failure_error, token_or_error

from .conftest import read_vectors


def to_payload(wire: dict) -> Payload:
    return Payload(
        metadata={k: v.encode("utf-8") for k, v in wire["metadata"].items()},
        data=base64.b64decode(wire["data"]),
    )


async def test_decrypts_every_payload_and_opens_the_tokens_inside(rings):
    payload_ring, token_ring = rings
    for vector in read_vectors("payload-codec.json")["vectors"]:
        [inner] = await KeeperCodec(payload_ring).decode([to_payload(vector["outer"])])
        assert inner.SerializeToString() == base64.b64decode(vector["innerProtobuf"]), vector["name"]
        assert json.loads(inner.data) == json.loads(vector["inner"]["data"]), vector["name"]
        [opened] = await KeeperCodec(payload_ring, token_ring).decode([to_payload(vector["outer"])])
        assert json.loads(opened.data) == vector["afterUnseal"], vector["name"]


def test_encrypts_to_the_same_bytes_with_the_vectors_iv(rings):
    payload_ring, _ = rings
    for vector in read_vectors("payload-codec.json")["vectors"]:
        inner = Payload.FromString(base64.b64decode(vector["innerProtobuf"]))
        key = payload_ring.key(vector["keyId"])
        sealed = aes_seal(key, inner.SerializeToString(), bytes.fromhex(vector["iv"]))
        assert base64.b64encode(sealed).decode() == vector["outer"]["data"], vector["name"]


async def test_refuses_every_payload_that_must_fail(rings):
    payload_ring, _ = rings
    expected = {"authentication": PayloadDecryptionError, "truncated": PayloadDecryptionError, "unknown key id": UnknownKeyIdError}
    for vector in read_vectors("payload-codec.json")["mustFail"]:
        with pytest.raises(expected[vector["error"]]):
            await KeeperCodec(payload_ring).decode([to_payload(vector["outer"])])


def test_seals_and_opens_tokens_as_the_vectors_say(rings):
    _, token_ring = rings
    seals = read_vectors("token-seal.json")
    sealer = TokenSealer(token_ring)
    for vector in seals["vectors"]:
        assert sealer.open_token(vector["sealed"]) == vector["token"]
        assert sealer.seal_token(vector["token"], bytes.fromhex(vector["iv"])) == vector["sealed"]
    for vector in seals["mustFail"]:
        with pytest.raises(TokenUnsealError) as raised:
            sealer.open_token(vector["sealed"])
        assert (raised.value.key_id is not None) == (vector["error"] == "unknown key id")


def outcome(run):
    try:
        return {"token": run()}
    except Exception as error:  # noqa: BLE001 - the vectors name the error
        fields = {
            "reason": getattr(error, "reason", None),
            "status": getattr(error, "status", None),
            "field": getattr(error, "field", None),
            "expiredAt": getattr(error, "expired_at", None),
        }
        return {"error": type(error).__name__, **{k: v for k, v in fields.items() if v is not None}}


def without_undefined(expect: dict) -> dict:
    return {k: v for k, v in expect.items() if v is not None}


def test_maps_every_access_token_answer():
    for vector in read_vectors("access-token-answers.json")["vectors"]:
        got = outcome(lambda: token_or_error("acme", vector["answer"], vector["now"]))
        assert got == without_undefined(vector["expect"])


def test_maps_every_update_failure_to_its_typed_error():
    for vector in read_vectors("failures.json")["vectors"]:
        failure = vector["failure"]
        first = failure["details"][0] if failure["details"] else None

        def raise_it():
            raise failure_error("acme", failure["type"], first, "a failure")

        assert outcome(raise_it) == without_undefined(vector["expect"]), vector["name"]


def test_sends_again_exactly_the_refusals_the_vectors_say():
    retries = read_vectors("retries.json")
    assert list(NOT_READY_RETRY_DELAYS_MS) == retries["delaysMs"]
    for vector in retries["vectors"]:
        error = RPCError(
            vector["message"], RPCStatusCode(vector["grpcCode"]), base64.b64decode(vector["statusDetailsBin"])
        )
        assert is_workflow_not_ready(error) == vector["expect"]["sendAgain"], vector["name"]


def test_email_is_checked_as_the_keeper_checks_it():
    from plum_token_keeper.client import _check_email

    _check_email("a@b.test")
    for bad in ["a@b", "@b.test", "a b@c.test", "ü@b.test", "x" * 320 + "@b.test", 42]:
        with pytest.raises(InvalidInputError):
            _check_email(bad)


def test_caches_are_bounded_oldest_first():
    from plum_token_keeper.client import _bounded_put

    cache: dict[str, int] = {}
    for i in range(10):
        _bounded_put(cache, f"k{i}", i, 3)
    assert list(cache) == ["k7", "k8", "k9"]


def test_follows_the_client_rules_the_vectors_give():
    """docs/vectors/client-rules.json: rule 6, the cachedUserToken miss, cache bounds, checks, fixed hints."""
    import plum_token_keeper.errors as errors
    from plum_token_keeper.client import _check_company, _check_email
    from plum_token_keeper.protocol import CACHE_LIMITS, fields_for, query_refusal_is_miss

    rules = read_vectors("client-rules.json")
    for case in rules["fieldsByProtocol"]:
        assert fields_for(case["message"], case["input"], case["protocol"]) == case["send"], case
    for case in rules["queryRefusals"]:
        assert query_refusal_is_miss(case["query"], case["grpcCode"]) == case["miss"], case
    assert CACHE_LIMITS == rules["cacheLimits"]
    for case in rules["emails"]:
        try:
            _check_email(case["email"])
            accepted = True
        except InvalidInputError:
            accepted = False
        assert accepted == case["valid"], case["email"][:40]
    for case in rules["companyIds"]:
        try:
            _check_company(case["companyId"])
            accepted = True
        except InvalidInputError:
            accepted = False
        assert accepted == case["valid"], case["companyId"][:40]
    for name, hint in rules["hints"].items():
        assert getattr(errors, name).hint == hint, name
