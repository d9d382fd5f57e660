import os
from plum_token_keeper import TokenKeeperClient, parse_key_ring, run_script

async def main():
    keeper = await TokenKeeperClient.connect(
        os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
        parse_key_ring(os.environ["PLUM_CODEC_KEYS"]),
        token_key_ring=parse_key_ring(os.environ["PLUM_TOKEN_KEYS"], variable="PLUM_TOKEN_KEYS"),
    )
    token = await keeper.get_access_token(os.environ.get("PLUM_COMPANY", "demo-company"))
    print(f"{token['status']} token of {len(token['accessToken'])} characters, expires at {token['expiresAt']}")

run_script(main())  # asyncio.run, then an exit that temporalio's threads cannot crash (see run_script)
