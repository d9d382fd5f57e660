"""How the client connects, against a loopback listener that records what reaches it (no keeper needed)."""

import asyncio

from plum_token_keeper import TemporalUnavailableError, TokenKeeperClient, parse_key_ring

RING = parse_key_ring("k:" + "A" * 43 + "=")
API_KEY = "plum-test-api-key-not-for-cleartext"


async def first_bytes(**options) -> bytes:
    """The first bytes a connect sends to a listener that never answers like a Temporal server."""
    received = bytearray()
    got = asyncio.Event()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while len(received) < 4096:
                chunk = await asyncio.wait_for(reader.read(4096), timeout=2)
                if not chunk:
                    break
                received.extend(chunk)
                got.set()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            got.set()
            writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        connecting = asyncio.ensure_future(TokenKeeperClient.connect(f"127.0.0.1:{port}", RING, **options))
        await asyncio.wait_for(got.wait(), timeout=10)
        await asyncio.sleep(0.3)
        connecting.cancel()
        try:
            await connecting
        except (asyncio.CancelledError, TemporalUnavailableError):
            pass
    finally:
        server.close()
        await server.wait_closed()
    return bytes(received)


async def test_an_api_key_turns_tls_on_unless_the_caller_turns_it_off():
    sent = await first_bytes(api_key=API_KEY)
    assert sent[:1] == b"\x16", "a TLS handshake, not plain HTTP/2"
    assert API_KEY.encode() not in sent and b"Bearer" not in sent
    plain = await first_bytes(api_key=API_KEY, tls=False)
    assert plain.startswith(b"PRI * HTTP/2.0"), "tls=False keeps plain HTTP/2, as the caller asked"
