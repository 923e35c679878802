"""The conversations API's models (shared contract models) and parameters."""

from __future__ import annotations

from typing import Annotated

from concierge.api.params import id_path
from concierge.contracts.market import InquiryRead, RelayMessage, RelayOutcome

InquiryId = Annotated[int, id_path("The conversation's id")]

__all__ = ["InquiryId", "InquiryRead", "RelayMessage", "RelayOutcome"]
