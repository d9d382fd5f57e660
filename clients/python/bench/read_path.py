"""The bench's read path through the Python client: cached reads, and cold reads (invalidate, then a query through the
client), as sample lists in milliseconds on stdout (JSON). Run by bench/lib/other-clients.ts."""

import json
import os
import time

from plum_token_keeper import TokenKeeperClient, parse_key_ring, run_script


async def main() -> None:
    keeper = await TokenKeeperClient.connect(
        os.environ["TEMPORAL_ADDRESS"],
        parse_key_ring(os.environ["PLUM_CODEC_KEYS"]),
        token_key_ring=parse_key_ring(os.environ["PLUM_TOKEN_KEYS"], variable="PLUM_TOKEN_KEYS"),
    )
    company = os.environ["BENCH_COMPANY"]

    async def samples(count: int, cold: bool) -> list[float]:
        out = []
        for _ in range(count):
            if cold:
                keeper.invalidate(company)
            start = time.perf_counter()
            await keeper.get_access_token(company)
            out.append((time.perf_counter() - start) * 1000)
        return out

    await samples(min(int(os.environ["BENCH_COLD_READS"]), 50), True)
    cold = await samples(int(os.environ["BENCH_COLD_READS"]), True)
    await samples(1000, False)
    cached = await samples(int(os.environ["BENCH_READS"]), False)
    print(json.dumps({"cachedMs": cached, "coldMs": cold}))


run_script(main())
