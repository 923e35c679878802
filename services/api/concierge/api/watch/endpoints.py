"""The watch routes: a person's watches (``/api/v1/watches``, the Mini App's sign-in or
the bot acting for the person), providers and their offices to pick from, the admins'
view of targets, and the worker's reports (service token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status

from concierge.api.identity.deps import WebAdmin, WebUser
from concierge.api.watch.deps import TargetDeskDep, WatchDeskDep
from concierge.api.watch.schemas import (
    CatalogSummary,
    CatalogUpdate,
    DeliverySummary,
    OfficeLimit,
    OfficeOffset,
    OfficePath,
    OfficeQuery,
    OfficeRead,
    PollReport,
    PollSummary,
    Preferences,
    ProviderCreate,
    ProviderRead,
    ProviderSlug,
    ServiceRead,
    SlotSeen,
    TargetHealth,
    TargetId,
    WatchCreate,
    WatchId,
    WatchRead,
    WatchUpdate,
)
from concierge.common.auth import require_service_token
from concierge.common.openapi import raises

router = APIRouter(tags=["watch"])
service_router = APIRouter(
    prefix="/watch/service", tags=["watch"], dependencies=[Depends(require_service_token)]
)


@router.get("/watch/providers", response_model=list[ProviderRead])
async def providers(_: WebUser, desk: WatchDeskDep) -> list[ProviderRead]:
    """The appointment systems one may watch."""
    return await desk.providers()


@router.get("/watch/providers/{provider}/offices", response_model=list[OfficeRead])
@raises(404)
async def offices(
    provider: ProviderSlug,
    _: WebUser,
    desk: WatchDeskDep,
    q: OfficeQuery = None,
    limit: OfficeLimit = 20,
    offset: OfficeOffset = 0,
) -> list[OfficeRead]:
    """The provider's offices, by name (a search over long lists), a page at a time."""
    return await desk.offices(provider, q, limit, offset)


@router.get(
    "/watch/providers/{provider}/offices/{office}/services", response_model=list[ServiceRead]
)
@raises(404)
async def services(
    provider: ProviderSlug, office: OfficePath, _: WebUser, desk: WatchDeskDep
) -> list[ServiceRead]:
    """The services the office offers."""
    return await desk.services(provider, office)


@router.get("/watches", response_model=list[WatchRead])
async def my_watches(user: WebUser, desk: WatchDeskDep) -> list[WatchRead]:
    """The caller's watches, with the slots their targets show now."""
    return await desk.of_user(user)


@router.post("/watches", response_model=WatchRead, status_code=status.HTTP_201_CREATED)
@raises(404, 409, 422)
async def create_watch(data: WatchCreate, user: WebUser, desk: WatchDeskDep) -> WatchRead:
    """Watch an office's service for slots in a date range, on some weekdays, within
    some hours (the office's local time). The range may not lie in the past nor end more
    than a year ahead; an office or service the provider lacks is a 422."""
    return await desk.create(user, data)


@router.patch("/watches/{watch_id}", response_model=WatchRead)
@raises(404, 422)
async def update_watch(
    watch_id: WatchId, data: WatchUpdate, user: WebUser, desk: WatchDeskDep
) -> WatchRead:
    """Pause, resume, or change the window of one of the caller's watches."""
    return await desk.update(user, watch_id, data)


@router.delete("/watches/{watch_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def delete_watch(watch_id: WatchId, user: WebUser, desk: WatchDeskDep) -> Response:
    await desk.delete(user, watch_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/watch/preferences", response_model=Preferences)
async def my_preferences(user: WebUser, desk: WatchDeskDep) -> Preferences:
    """How the caller hears of slots (the defaults until they change them)."""
    return await desk.preferences(user)


@router.put("/watch/preferences", response_model=Preferences)
async def save_preferences(data: Preferences, user: WebUser, desk: WatchDeskDep) -> Preferences:
    """Instant or digest, a cooldown per target, quiet hours in the caller's time zone,
    reminders until Seen, captcha notices, the daily digest (all of it at once)."""
    return await desk.save_preferences(user, data)


@router.post("/watch/seen", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def slot_seen(data: SlotSeen, user: WebUser, desk: WatchDeskDep) -> Response:
    """The caller saw a slot's message: no more reminders of it."""
    await desk.seen(user, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/admin/watch/targets", response_model=list[TargetHealth])
@raises(403)
async def target_health(_: WebAdmin, targets: TargetDeskDep) -> list[TargetHealth]:
    """Every target's health: state, polls, last success, failures in a row, last error."""
    return await targets.health()


@router.post("/admin/watch/targets/{target_id}/resume", status_code=status.HTTP_204_NO_CONTENT)
@raises(403, 404)
async def resume_target(target_id: TargetId, _: WebAdmin, targets: TargetDeskDep) -> Response:
    """Poll a target a captcha paused again, now."""
    await targets.resume(target_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/admin/watch/providers", response_model=ProviderRead, status_code=201)
@raises(403, 409)
async def add_provider(data: ProviderCreate, _: WebAdmin, targets: TargetDeskDep) -> ProviderRead:
    """Add an appointment system (the worker reads its offices and services soon after)."""
    return await targets.add_provider(data)


@service_router.put("/providers/{provider}/catalog", response_model=CatalogSummary)
@raises(404)
async def save_catalog(
    provider: ProviderSlug, catalog: CatalogUpdate, targets: TargetDeskDep
) -> CatalogSummary:
    """The worker's reading of what a provider offers."""
    return await targets.save_catalog(provider, catalog)


@service_router.post("/targets/{target_id}/polls", response_model=PollSummary)
@raises(404)
async def record_poll(
    target_id: TargetId, report: PollReport, targets: TargetDeskDep
) -> PollSummary:
    """One poll of a target: health, and the slots that opened are announced."""
    return await targets.record_poll(target_id, report)


@service_router.post("/deliveries", response_model=DeliverySummary)
async def deliver(targets: TargetDeskDep) -> DeliverySummary:
    """Held messages whose time came (quiet hours over, cooldown passed, reminders),
    and the daily digests that are due."""
    return await targets.deliver()
