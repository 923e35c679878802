"""Every table api owns, imported in one place so alembic sees the whole schema."""

from concierge.api.identity.models import User, UserLog
from concierge.api.ingest.models import Document, Source
from concierge.api.notify.models import Broadcast, Outbox
from concierge.api.scheduling.models import Schedule
from concierge.db import Base

metadata = Base.metadata

__all__ = [
    "Broadcast",
    "Document",
    "Outbox",
    "Schedule",
    "Source",
    "User",
    "UserLog",
    "metadata",
]
