"""Every table, imported in one place so alembic sees the whole schema."""

from concierge.db import Base
from concierge.domain.feed.models import (
    FeedChannel,
    FeedModel,
    FeedNudge,
    FeedRating,
    FeedReader,
    FeedSeen,
)
from concierge.domain.identity.models import User, UserLog
from concierge.domain.ingest.models import Document, DocumentVector, EmbeddingModel, Source
from concierge.domain.market.models import (
    ConversationFocus,
    Inquiry,
    InquiryMessage,
    Listing,
    ListingAudit,
    ListingPhoto,
    ListingReport,
    ListingView,
    SellerBlock,
)
from concierge.domain.mcp.models import McpCall, McpToken
from concierge.domain.media.downloads.models import MediaDownload
from concierge.domain.media.people.models import (
    MediaIndexer,
    MediaPreferences,
    MediaSeedbox,
    MediaWatched,
)
from concierge.domain.notify.models import Broadcast, Outbox
from concierge.domain.rentals.models import (
    RentalsAccount,
    RentalsBooking,
    RentalsChat,
    RentalsCohost,
    RentalsItem,
    RentalsMessage,
)
from concierge.domain.scheduling.models import Schedule
from concierge.domain.watch.models import (
    Watch,
    WatchOffice,
    WatchProvider,
    WatchService,
    WatchSlot,
    WatchTarget,
)

metadata = Base.metadata

__all__ = [
    "Broadcast",
    "ConversationFocus",
    "Document",
    "DocumentVector",
    "EmbeddingModel",
    "FeedChannel",
    "FeedModel",
    "FeedNudge",
    "FeedRating",
    "FeedReader",
    "FeedSeen",
    "Inquiry",
    "InquiryMessage",
    "Listing",
    "ListingAudit",
    "ListingPhoto",
    "ListingReport",
    "ListingView",
    "McpCall",
    "McpToken",
    "MediaDownload",
    "MediaIndexer",
    "MediaPreferences",
    "MediaSeedbox",
    "MediaWatched",
    "Outbox",
    "RentalsAccount",
    "RentalsBooking",
    "RentalsChat",
    "RentalsCohost",
    "RentalsItem",
    "RentalsMessage",
    "Schedule",
    "SellerBlock",
    "Source",
    "User",
    "UserLog",
    "Watch",
    "WatchOffice",
    "WatchProvider",
    "WatchService",
    "WatchSlot",
    "WatchTarget",
    "metadata",
]
