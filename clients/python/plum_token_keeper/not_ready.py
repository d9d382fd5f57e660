"""Calls the keeper could not take yet (``WorkflowNotReady``): they had no effect, so they are sent again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

T = TypeVar("T")

NOT_READY_FAILURE = "temporal.api.errordetails.v1.WorkflowNotReadyFailure"
#: Pauses before each further attempt: four attempts within about 1.5 s (docs/vectors/retries.json).
NOT_READY_RETRY_DELAYS_MS: Sequence[int] = (100, 300, 900)


def _query_on_closed_run(message: str) -> bool:
    return "[TMPRL1100]" in message and "ContinuedAsNew" in message


def is_workflow_not_ready(error: BaseException) -> bool:
    """Whether a call had no effect and goes again unchanged (client rule 7): Temporal refused it with
    ``WorkflowNotReady`` (FAILED_PRECONDITION naming that failure), or a query was answered by the run that had just
    continued as new (INVALID_ARGUMENT naming ``[TMPRL1100]`` and ``ContinuedAsNew``: the new run answers it)."""
    if isinstance(error, WorkflowQueryFailedError):
        return _query_on_closed_run(str(error))
    if not isinstance(error, RPCError):
        return False
    if error.status == RPCStatusCode.INVALID_ARGUMENT:
        return _query_on_closed_run(error.message)
    if error.status != RPCStatusCode.FAILED_PRECONDITION:
        return False
    return any(detail.type_url.endswith(NOT_READY_FAILURE) for detail in error.grpc_status.details)


async def retry_while_not_ready(
    send: Callable[[], Awaitable[T]], delays_ms: Sequence[int] = NOT_READY_RETRY_DELAYS_MS
) -> T:
    """Runs ``send``, and again after a pause each time Temporal answers ``WorkflowNotReady``."""
    for delay in delays_ms:
        try:
            return await send()
        except (RPCError, WorkflowQueryFailedError) as error:
            if not is_workflow_not_ready(error):
                raise
        await asyncio.sleep(delay / 1000)
    return await send()
