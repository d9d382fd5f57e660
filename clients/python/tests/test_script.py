"""run_script: the exit a short-lived program takes (status, output flushed through a pipe, the traceback)."""

import subprocess
import sys

import pytest

PROGRAM = """
import asyncio, sys
from plum_token_keeper import run_script

async def main():
    await asyncio.sleep(0)
    print("printed before the exit")
    {ending}

run_script(main())
print("never reached")
"""


def _run(ending: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM.format(ending=ending)], capture_output=True, text=True, timeout=60
    )


def test_a_program_that_returns_exits_0_with_its_output_flushed_into_the_pipe():
    done = _run("return None")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "printed before the exit\n"


def test_a_program_that_raises_exits_1_with_the_traceback():
    done = _run('raise ValueError("what went wrong")')
    assert done.returncode == 1
    assert "ValueError: what went wrong" in done.stderr
    assert done.stdout == "printed before the exit\n"


@pytest.mark.parametrize(("ending", "status", "said"), [("sys.exit(3)", 3, ""), ('sys.exit("bad config")', 1, "bad config\n")])
def test_sys_exit_keeps_its_status(ending: str, status: int, said: str):
    done = _run(ending)
    assert done.returncode == status
    assert done.stderr == said
