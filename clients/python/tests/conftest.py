import json
from pathlib import Path

import pytest

from plum_token_keeper import parse_key_ring
from plum_token_keeper.script import exit_without_finalizing

VECTORS = Path(__file__).resolve().parents[3] / "docs" / "vectors"


def read_vectors(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.fixture
def rings():
    spec = read_vectors("payload-codec.json")["rings"]
    return parse_key_ring(spec["payload"]), parse_key_ring(spec["token"], variable="PLUM_TOKEN_KEYS")


_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Ends the run once pytest has said everything, without interpreter finalization: the live tests' temporalio
    client can crash a finalizing interpreter (temporalio/sdk-python#300; what ``run_script`` does for programs)."""
    status = config.stash.get(_EXIT_STATUS, None)
    if status is not None:
        exit_without_finalizing(status)
