"""The check-in API's models live in the shared contracts lib; this module names them."""

from concierge.contracts.rentals import CheckInExtraction, CheckInExtractRequest

__all__ = ["CheckInExtractRequest", "CheckInExtraction"]
