"""The codes of expected errors: what an error body's ``code`` may say.

``detail`` stays an English sentence for developers and logs; a client shows its user
the message it keeps for the ``code``, filled with ``params`` (the Mini App has one in
Russian and one in English for every code here, and a test holds it to that). The api
names this enum in its OpenAPI document (``ErrorBody.code``).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """What went wrong, for a client to say in its user's language (see ``params``)."""

    # listings
    LISTING_NOT_FOUND = "listing_not_found"
    TOO_MANY_LISTINGS = "too_many_listings"  # max
    LISTING_ARCHIVED = "listing_archived"
    LISTING_NOT_SUBMITTABLE = "listing_not_submittable"  # status
    LISTING_NOT_PUBLISHED = "listing_not_published"  # status
    LISTING_NOT_RENEWABLE = "listing_not_renewable"  # status
    # photos
    PHOTO_NOT_FOUND = "photo_not_found"
    TOO_MANY_PHOTOS = "too_many_photos"  # max
    PHOTO_TOO_LARGE = "photo_too_large"  # mb
    PHOTO_NOT_IMAGE = "photo_not_image"  # formats
    PHOTO_DAMAGED = "photo_damaged"  # format
    PHOTO_TOO_MANY_PIXELS = "photo_too_many_pixels"  # max
    PHOTO_NOT_UPLOADED = "photo_not_uploaded"
    UPLOAD_LINK_INVALID = "upload_link_invalid"
    UPLOAD_NOT_IMAGE_TYPE = "upload_not_image_type"
    UPLOAD_NO_FILE = "upload_no_file"
    UPLOAD_EMPTY = "upload_empty"
    FILES_NOT_HERE = "files_not_here"
    # moderation
    LISTING_NOT_PENDING = "listing_not_pending"  # status
    LISTING_CHANGED = "listing_changed"  # revision, current
    # conversations between buyers and sellers
    OWN_LISTING = "own_listing"
    LISTING_SOLD = "listing_sold"
    SELLER_BLOCKED_YOU = "seller_blocked_you"
    TOO_MANY_INQUIRIES = "too_many_inquiries"  # max
    INQUIRY_NOT_FOUND = "inquiry_not_found"
    INQUIRY_CLOSED = "inquiry_closed"
    ONLY_THE_SELLER = "only_the_seller"
    TOO_MANY_MESSAGES = "too_many_messages"  # max, minutes
    # reports
    ALREADY_REPORTED = "already_reported"
    # the rentals calendar
    BOOKING_OVERLAP = "booking_overlap"  # booking, check_in, check_out (dates may be "")
    CALENDAR_CHANGED = "calendar_changed"
    AVITO_KEYS_REFUSED = "avito_keys_refused"
    DRAFT_EXPIRED = "draft_expired"  # hours: a guest's reply left too long is not sent
    # media
    MEDIA_NO_LLM = "media_no_llm"  # the conversation needs a model: use the buttons
    MEDIA_SOURCE_FAILED = "media_source_failed"  # the person's seedbox/indexer/TMDB failed
