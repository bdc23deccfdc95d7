"""``/healthz``: whether the service can answer queries now, for monitors and load balancers.

The home page and cached answers stay up when the query workers cannot run anything, so they say nothing
about health; this asks the engine. A dead worker factory is replaced on the way (the answer says so).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from klynge.web import statuses
from klynge.web.dependencies import EngineDep

router = APIRouter(tags=["Service"])


@router.get(
    "/healthz",
    summary="Whether queries can be answered now, and the query pool's state",
    responses=statuses.responses((503, "queries cannot be answered now; the body says why")),
)
async def healthz(engine: EngineDep) -> JSONResponse:
    report = await run_in_threadpool(engine.health)
    return JSONResponse(
        {"status": "ok" if report["ok"] else "failing", **report},
        status_code=200 if report["ok"] else 503,
        headers={"Cache-Control": "no-store"},
    )
