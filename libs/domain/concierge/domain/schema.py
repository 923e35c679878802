"""Every table, imported in one place so alembic sees the whole schema."""

from concierge.db import Base
from concierge.domain.identity.models import User, UserLog
from concierge.domain.ingest.models import Document, DocumentVector, EmbeddingModel, Source
from concierge.domain.market.models import Listing, ListingAudit, ListingPhoto
from concierge.domain.notify.models import Broadcast, Outbox
from concierge.domain.scheduling.models import Schedule

metadata = Base.metadata

__all__ = [
    "Broadcast",
    "Document",
    "DocumentVector",
    "EmbeddingModel",
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
