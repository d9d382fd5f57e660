import json
from pathlib import Path

import pytest

from plum_token_keeper import parse_key_ring

VECTORS = Path(__file__).resolve().parents[3] / "docs" / "vectors"


def read_vectors(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.fixture
def rings():
    spec = read_vectors("payload-codec.json")["rings"]
    return parse_key_ring(spec["payload"]), parse_key_ring(spec["token"], variable="PLUM_TOKEN_KEYS")
