"""The photo API's models and parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from concierge.api.params import id_path
from concierge.contracts.market import MAX_PHOTO_BYTES, PhotoRead, UploadTicket

PhotoId = Annotated[int, id_path("The photo's id")]
Expires = Annotated[int, Query(ge=0, le=2**62, description="When the link expires (Unix time)")]
Signature = Annotated[str, Query(max_length=128, description="The link's signature")]

# Room for the multipart framing and the ticket's fields around a MAX_PHOTO_BYTES file;
# the api's body guard allows this much on UPLOAD_PATH only.
UPLOAD_PATH = "/api/v1/uploads/"
UPLOAD_BODY_BYTES = MAX_PHOTO_BYTES + 64 * 1024

__all__ = [
    "UPLOAD_BODY_BYTES",
    "UPLOAD_PATH",
    "Expires",
    "PhotoId",
    "PhotoRead",
    "Signature",
    "UploadTicket",
]
