"""Short-lived programs (scripts, cron jobs, CLI commands) that read a token and end."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Coroutine
from typing import Any, NoReturn


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_script(main: Coroutine[Any, Any, object]) -> NoReturn:
    """Runs ``main`` with :func:`asyncio.run` and ends the process: status 0, the code of a ``SystemExit``, 130 on
    Ctrl-C, or 1 after printing the traceback of what ``main`` raised.

    Why not ``asyncio.run`` alone: a process that used a ``temporalio`` client can abort (SIGABRT, "Fatal Python
    error: PyGILState_Release") while the interpreter finalizes, because the SDK's Rust threads may still be handing
    the last reply back (temporalio/sdk-python#300; measured here in 25 of 150 runs on a loaded machine). This
    flushes standard output, standard error and logging, then ends with :func:`os._exit`, which skips finalization.
    ``atexit`` handlers other than logging's do not run. A long-running service does not need it.
    """
    try:
        asyncio.run(main)
        status = 0
    except SystemExit as stop:
        status = _exit_status(stop.code)
    except KeyboardInterrupt:
        status = 130
    except BaseException:  # noqa: BLE001 - every failure of the program ends the process with its traceback
        traceback.print_exc()
        status = 1
    exit_without_finalizing(status)


def exit_without_finalizing(status: int) -> NoReturn:
    """Flushes logging, standard output and standard error, then ends the process with ``status`` through
    :func:`os._exit`, skipping the interpreter finalization that temporalio/sdk-python#300 can crash."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing left to save
            pass
    os._exit(status)
