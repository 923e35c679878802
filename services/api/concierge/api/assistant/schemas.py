"""The assistant's API models live in the shared contracts lib; this module names them."""

from concierge.contracts.search import Answer, AnswerRequest, Citation

__all__ = ["Answer", "AnswerRequest", "Citation"]
