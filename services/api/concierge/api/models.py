"""Every table api owns, imported in one place so alembic sees the whole schema."""

from concierge.api.identity.models import User, UserLog
from concierge.api.ingest.models import Document, Source
from concierge.api.market.models import Listing, ListingAudit, ListingPhoto
from concierge.api.notify.models import Broadcast, Outbox
from concierge.api.scheduling.models import Schedule
from concierge.db import Base

metadata = Base.metadata

__all__ = [
    "Broadcast",
    "Document",
    "Listing",
    "ListingAudit",
    "ListingPhoto",
    "Outbox",
    "Schedule",
    "Source",
    "User",
    "UserLog",
    "metadata",
]
