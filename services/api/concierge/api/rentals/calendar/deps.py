"""The calendar API's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.identity.repository import UserRepository
from concierge.api.notify.deps import NotifyServiceDep
from concierge.api.rentals.accounts.deps import AccountDeskDep
from concierge.api.rentals.calendar.repository import CalendarRepository
from concierge.api.rentals.calendar.service import CalendarDesk
from concierge.db import SessionDep


def get_calendar_desk(
    request: Request, session: SessionDep, accounts: AccountDeskDep, notify: NotifyServiceDep
) -> CalendarDesk:
    key = b"rentals.calendar:" + request.app.state.service_token.encode()
    return CalendarDesk(CalendarRepository(session), accounts, UserRepository(session), notify, key)


CalendarDeskDep = Annotated[CalendarDesk, Depends(get_calendar_desk)]
