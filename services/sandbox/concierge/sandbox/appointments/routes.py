"""Appointment systems as a slot watcher meets them, and controls for tests and demos.

ZMS citizen API (Munich's shape), under ``/zms/api/backend/``:
- ``GET offices-and-services/``: offices, services and which office offers which;
- ``GET available-days?startDate&endDate&officeId&serviceId&serviceCount``:
  ``{availableDays: [{time, providerIDs}]}`` or ``{errorCode: "noAppointmentForThisScope"}``;
- ``GET available-appointments?date&officeId&serviceId&serviceCount``:
  ``{appointmentTimestamps: [...], lastModified}``.
Errors are ``{errorCode, errorMessage}`` (``rateLimitExceeded``, ``captchaMissing``, …).
There is no captcha or booking route: a watcher never needs one.

Generic JSON: ``GET /json-slots/{office}/{service}`` → ``{data: {slots: [{start}]}}``.

HTML portal: ``GET /portal/{office}/{service}``: a page with ``#appointments`` and one
``li.slot[data-time]`` per free slot.

Controls (``/sandbox/appointments``): ``POST /slots`` opens slots, ``POST /slots/close``
closes them, ``POST /faults`` queues what the next requests get (429, 403, 418, 500,
rateLimitExceeded, captchaMissing/Invalid/Expired, html instead of JSON, changed
markup), ``GET /polls`` says how often each office and service was polled and by
whom, ``POST /reset`` forgets everything.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from concierge.sandbox.appointments.state import (
    OFFICES,
    SERVICES,
    ZONE,
    Appointments,
)

router = APIRouter(tags=["appointments"])
ZMS = "/zms/api/backend"
Id = Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$")]
Day = Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]

FaultKind = Literal[
    "429", "403", "418", "500", "rateLimitExceeded", "captchaMissing", "captchaInvalid",
    "captchaExpired", "html", "markup",
]  # fmt: skip


def _state(request: Request) -> Appointments:
    state: Appointments = request.app.state.appointments
    return state


def _error(code: str, message: str, status: int = 200) -> JSONResponse:
    return JSONResponse({"errorCode": code, "errorMessage": message}, status_code=status)


def _fault(request: Request, office: str, service: str, *, poll: bool) -> Response | None:
    """Record the request; answer with the next queued fault, if any."""
    state = _state(request)
    state.record(office, service, request.url.path, request.headers.get("user-agent", ""), poll)
    kind = state.next_fault()
    if kind is None or kind == "markup":
        if kind == "markup":
            state.faults.appendleft(kind)  # the portal's page answers it
        return None
    if kind in ("429", "403", "418"):
        return Response("Too many requests", status_code=int(kind), headers={"Retry-After": "60"})
    if kind == "500":
        return Response("Internal error", status_code=500)
    if kind == "html":
        page = "<html><body><h1>Wartungsarbeiten</h1></body></html>"
        return HTMLResponse(page)
    if kind == "rateLimitExceeded":
        return _error(kind, "Rate limit exceeded", 400)
    return _error(kind, "Captcha verification required", 400)


@router.get(f"{ZMS}/offices-and-services/")
async def offices_and_services(request: Request) -> Response:
    if (fault := _fault(request, "", "", poll=False)) is not None:
        return fault
    return JSONResponse(
        {
            "offices": [{"id": int(i), "name": n} for i, n in OFFICES.items()],
            "services": [{"id": int(i), "name": n} for i, n in SERVICES.items()],
            "relations": [
                {"officeId": int(o), "serviceId": int(s)} for o in OFFICES for s in SERVICES
            ],
        }
    )


@router.get(f"{ZMS}/available-days")
async def available_days(
    request: Request, startDate: Day, endDate: Day, officeId: Id, serviceId: Id
) -> Response:
    if (fault := _fault(request, officeId, serviceId, poll=True)) is not None:
        return fault
    days = _state(request).days(officeId, serviceId, startDate, endDate)
    if not days:
        return _error("noAppointmentForThisScope", "No appointments available")
    return JSONResponse({"availableDays": [{"time": d, "providerIDs": officeId} for d in days]})


@router.get(f"{ZMS}/available-appointments")
async def available_appointments(
    request: Request, date: Day, officeId: Id, serviceId: Id
) -> Response:
    if (fault := _fault(request, officeId, serviceId, poll=False)) is not None:
        return fault
    stamps = _state(request).on_day(officeId, serviceId, date)
    if not stamps:
        return _error("noAppointmentForThisDay", "No appointments on this day")
    return JSONResponse({"appointmentTimestamps": stamps, "lastModified": max(stamps)})


@router.get("/portal/{office}/{service}", response_class=HTMLResponse)
async def portal(request: Request, office: str, service: str) -> Response:
    if (fault := _fault(request, office, service, poll=True)) is not None:
        return fault
    state = _state(request)
    if state.faults and state.faults[0] == "markup":
        state.faults.popleft()
        return HTMLResponse("<html><body><div class='new-design'>Termine</div></body></html>")
    items = "".join(
        f'<li class="slot" data-time="{datetime.fromtimestamp(s, ZONE).isoformat()}">'
        f"{datetime.fromtimestamp(s, ZONE):%d.%m.%Y %H:%M}</li>"
        for s in state.times(office, service)
    )
    title = html.escape(OFFICES.get(office, office))
    return HTMLResponse(
        f"<html><body><h1>{title}</h1><div id='appointments'><ul>{items}</ul></div></body></html>"
    )


@router.get("/json-slots/{office}/{service}")
async def json_slots(request: Request, office: str, service: str) -> Response:
    """A generic JSON availability endpoint: ``{"data": {"slots": [{"start": ISO}]}}``."""
    if (fault := _fault(request, office, service, poll=True)) is not None:
        return fault
    slots = [
        {"start": datetime.fromtimestamp(s, ZONE).isoformat(), "office": office}
        for s in _state(request).times(office, service)
    ]
    return JSONResponse({"data": {"slots": slots}})


class SlotChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office: str = Field(min_length=1, max_length=32)
    service: str = Field(min_length=1, max_length=32)
    times: list[datetime] | None = Field(None, max_length=10_000)


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    count: int = Field(1, ge=1, le=10_000)


@router.post("/sandbox/appointments/slots")
async def open_slots(request: Request, change: SlotChange) -> dict[str, Any]:
    _state(request).open(change.office, change.service, change.times or [])
    return {"open": len(_state(request).times(change.office, change.service))}


@router.post("/sandbox/appointments/slots/close")
async def close_slots(request: Request, change: SlotChange) -> dict[str, Any]:
    _state(request).close(change.office, change.service, change.times)
    return {"open": len(_state(request).times(change.office, change.service))}


@router.post("/sandbox/appointments/faults")
async def inject_faults(request: Request, faults: Faults) -> dict[str, Any]:
    _state(request).inject(faults.kind, faults.count)
    return {"queued": len(_state(request).faults)}


@router.get("/sandbox/appointments/polls")
async def polls(request: Request) -> dict[str, Any]:
    state = _state(request)
    return {
        "requests": len(state.log),
        "polls": {f"{o}/{s}": n for (o, s), n in state.polls.items()},
        "user_agents": sorted({r.user_agent for r in state.log}),
        "log": [
            {"at": r.wall, "office": r.office, "service": r.service, "path": r.path}
            for r in list(state.log)[-1000:]
        ],
    }


@router.post("/sandbox/appointments/reset")
async def reset(request: Request) -> dict[str, str]:
    _state(request).reset()
    return {"ok": "reset"}
