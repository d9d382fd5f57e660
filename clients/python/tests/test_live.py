"""Against a real keeper: run by test/client/python-client.test.ts in npm test, which starts the Temporal server, a
keeper worker and the Plum sandbox, enrols a company and passes them here through the environment."""

import asyncio
import hashlib
import os

import httpx
import pytest
from temporalio.client import Interceptor, OutboundInterceptor, QueryWorkflowInput

from plum_token_keeper import (
    InvalidInputError,
    NeedsReauthError,
    NoWorkerError,
    NotEnrolledError,
    PlumApi,
    TokenKeeperClient,
    TokenExpiredError,
    TokenKeyRingMissingError,
    UnknownKeyIdError,
    parse_key_ring,
    retry_after_ms,
)

ENV = os.environ
pytestmark = pytest.mark.skipif(
    "PLUM_TEST_TEMPORAL_ADDRESS" not in ENV,
    reason="needs a running keeper: npm test runs this through test/client/python-client.test.ts",
)
COMPANY = ENV.get("PLUM_TEST_COMPANY", "")


class CountingQueries(Interceptor):
    def __init__(self) -> None:
        self.queries: list[str] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        counter = self

        class Outbound(OutboundInterceptor):
            async def query_workflow(self, input: QueryWorkflowInput):  # type: ignore[override]
                counter.queries.append(input.query)
                return await super().query_workflow(input)

        return Outbound(next)


async def connect(with_token_ring: bool = True, **options) -> TokenKeeperClient:
    return await TokenKeeperClient.connect(
        ENV["PLUM_TEST_TEMPORAL_ADDRESS"],
        parse_key_ring(ENV["PLUM_CODEC_KEYS"]),
        token_key_ring=parse_key_ring(ENV["PLUM_TOKEN_KEYS"], variable="PLUM_TOKEN_KEYS") if with_token_ring else None,
        namespace=ENV["PLUM_TEST_NAMESPACE"],
        **options,
    )


async def sandbox_fault(fault: dict) -> None:
    origin = httpx.URL(ENV["PLUM_TEST_SANDBOX_URL"]).copy_with(path="/__sandbox/faults")
    async with httpx.AsyncClient() as http:
        (await http.post(str(origin), json={"endpoint": "api", "fault": fault})).raise_for_status()


async def test_reads_the_token_the_typescript_client_reads_once_for_fifty_callers():
    counting = CountingQueries()
    keeper = await connect(interceptors=[counting])
    tokens = await asyncio.gather(*(keeper.get_access_token(COMPANY) for _ in range(50)))
    assert counting.queries == ["accessToken"], "single flight: one query for fifty callers"
    digest = hashlib.sha256(tokens[0]["accessToken"].encode()).hexdigest()
    assert digest == ENV["PLUM_TEST_TOKEN_DIGEST"]
    assert tokens[0]["status"] == "ACTIVE"
    await keeper.get_access_token(COMPANY)
    assert counting.queries == ["accessToken"], "served from the cache until the keeper's next refresh"
    keeper.invalidate(COMPANY)
    await keeper.get_access_token(COMPANY)
    assert counting.queries == ["accessToken", "accessToken"]


async def test_typed_errors():
    keeper = await connect()
    with pytest.raises(NotEnrolledError):
        await keeper.get_access_token("never-enrolled-company")
    with pytest.raises(InvalidInputError) as raised:
        await keeper.get_access_token("not a company id")
    assert raised.value.field == "companyId"
    without_ring = await connect(with_token_ring=False)
    with pytest.raises(TokenKeyRingMissingError):
        await without_ring.get_access_token(COMPANY)


async def test_typed_errors_of_company_states_and_an_unknown_payload_key():
    keeper = await connect()
    with pytest.raises(NeedsReauthError) as reauth:
        await keeper.get_access_token(ENV["PLUM_TEST_REAUTH_COMPANY"])
    assert reauth.value.reason == ENV["PLUM_TEST_REAUTH_REASON"]
    with pytest.raises(TokenExpiredError):
        await keeper.get_access_token(ENV["PLUM_TEST_EXPIRED_COMPANY"])
    stranger = await TokenKeeperClient.connect(
        ENV["PLUM_TEST_TEMPORAL_ADDRESS"], parse_key_ring(ENV["PLUM_TEST_OTHER_CODEC_KEYS"]), namespace=ENV["PLUM_TEST_NAMESPACE"]
    )
    with pytest.raises(Exception) as raised:
        await stranger.get_access_token(COMPANY)
    chain = [raised.value]
    while chain[-1].__cause__ is not None:
        chain.append(chain[-1].__cause__)
    assert any(isinstance(error, UnknownKeyIdError) and error.key_id == "test-a" for error in chain), chain


async def test_user_token_miss_then_hit_and_status():
    keeper = await connect()
    user = await keeper.get_user_token(COMPANY, ENV["PLUM_TEST_ADMIN_EMAIL"])
    assert user["email"] == ENV["PLUM_TEST_ADMIN_EMAIL"] and not user["accessToken"].startswith("sealed:")
    assert await keeper.get_user_token(COMPANY, ENV["PLUM_TEST_ADMIN_EMAIL"]) is user, "cached in the process"
    fresh_process = await connect()
    again = await fresh_process.get_user_token(COMPANY, ENV["PLUM_TEST_ADMIN_EMAIL"])
    assert again["accessToken"] == user["accessToken"], "a hit in the keeper's cache: no second exchange"
    status = await keeper.status(COMPANY)
    assert status["companyId"] == COMPANY and status["status"] == "ACTIVE"


async def test_refresh_now_by_two_callers_at_once_makes_one_rotation_and_the_next_read_has_it():
    keeper, other = await connect(), await connect()
    before = await keeper.get_access_token(COMPANY)
    await other.get_access_token(COMPANY)
    generation = (await keeper.status(COMPANY))["generation"]
    first, second = await asyncio.gather(
        keeper.refresh_now(COMPANY, "python client test"), other.refresh_now(COMPANY, "python client test, at once")
    )
    assert first["accessToken"] == second["accessToken"] != before["accessToken"]
    assert (await keeper.status(COMPANY))["generation"] == generation + 1, "one rotation for both"
    assert (await keeper.get_access_token(COMPANY))["accessToken"] == first["accessToken"], "read after the rotation"


async def test_plum_api_retries_once_after_a_401_and_hands_back_a_429():
    keeper = await connect()
    api = PlumApi(keeper, ENV["PLUM_TEST_SANDBOX_URL"])
    body = {"query": "plumProAPI.mutation.getBalance", "variables": {"data": {}}}
    ok = await api.request(COMPANY, "POST", "/v1/oauth/api", json=body)
    assert ok.status_code == 200 and ok.json()["data"]["getBalance"]["status"] == 1
    generation = (await keeper.status(COMPANY))["generation"]
    await sandbox_fault({"kind": "oauth", "error": "invalid_token", "status": 401})
    retried = await api.request(COMPANY, "POST", "/v1/oauth/api", json=body)
    assert retried.status_code == 200
    assert (await keeper.status(COMPANY))["generation"] == generation + 1, "one rotation for the 401"
    await sandbox_fault({"kind": "rateLimit", "retryAfterSeconds": 7})
    limited = await api.request(COMPANY, "POST", "/v1/oauth/api", json=body)
    assert limited.status_code == 429 and retry_after_ms(limited) == 7000
    await api.aclose()


async def test_plum_api_never_rotates_for_a_401_about_something_else():
    keeper = await connect()
    api = PlumApi(keeper, ENV["PLUM_TEST_SANDBOX_URL"])
    body = {"query": "plumProAPI.mutation.getBalance", "variables": {"data": {}}}
    generation = (await keeper.status(COMPANY))["generation"]
    await sandbox_fault({"kind": "application", "errorId": "PIPE10017", "status": 401, "times": 5})
    for _ in range(5):
        refused = await api.request(COMPANY, "POST", "/v1/oauth/api", json=body)
        assert refused.status_code == 401 and refused.json()["errorId"] == "PIPE10017"
    assert (await keeper.status(COMPANY))["generation"] == generation, "no rotation for an IP whitelist"
    await api.aclose()


async def test_plum_api_two_requests_with_one_token_cost_one_rotation():
    keeper = await connect()
    body = {"query": "plumProAPI.mutation.getBalance", "variables": {"data": {}}}
    carried = await keeper.get_access_token(COMPANY)

    class Stale:
        """The second request read its token before the first one's rotation; its 401 comes after it."""

        async def get_access_token(self, company_id: str) -> dict:
            return carried

        def invalidate(self, company_id: str) -> None:
            keeper.invalidate(company_id)

        async def refresh_now(self, company_id: str, reason: str | None = None, **options) -> dict:
            return await keeper.refresh_now(company_id, reason, **options)

    first, second = PlumApi(keeper, ENV["PLUM_TEST_SANDBOX_URL"]), PlumApi(Stale(), ENV["PLUM_TEST_SANDBOX_URL"])
    generation = (await keeper.status(COMPANY))["generation"]
    await sandbox_fault({"kind": "oauth", "error": "invalid_token", "status": 401})
    assert (await first.request(COMPANY, "POST", "/v1/oauth/api", json=body)).status_code == 200
    await sandbox_fault({"kind": "oauth", "error": "invalid_token", "status": 401})
    assert (await second.request(COMPANY, "POST", "/v1/oauth/api", json=body)).status_code == 200
    assert (await keeper.status(COMPANY))["generation"] == generation + 1, "one rotation for the one token"
    await first.aclose()
    await second.aclose()


async def test_plum_api_keeps_the_token_under_the_base_url():
    keeper = await connect()
    api = PlumApi(keeper, ENV["PLUM_TEST_SANDBOX_URL"])
    for path in ["https://evil.example/x", "../../outside"]:
        with pytest.raises(InvalidInputError, match="leaves the Plum base URL"):
            await api.request(COMPANY, "GET", path)
    await api.aclose()


async def test_a_keeper_no_worker_answers_for_is_named_as_such():
    keeper = await connect()
    with pytest.raises(NoWorkerError, match="no worker answered") as raised:
        await keeper.status(ENV["PLUM_TEST_ORPHAN_COMPANY"])
    assert "start the keeper workers" in raised.value.hint
