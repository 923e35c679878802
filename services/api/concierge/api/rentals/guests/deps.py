"""The guest messages API's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from concierge.api.after_commit import AfterCommitDep
from concierge.api.rentals.guests.repository import GuestRepository
from concierge.api.rentals.guests.service import GuestDesk
from concierge.db import SessionDep


def get_guest_desk(session: SessionDep, after_commit: AfterCommitDep) -> GuestDesk:
    return GuestDesk(GuestRepository(session), after_commit)


GuestDeskDep = Annotated[GuestDesk, Depends(get_guest_desk)]
