"""Contracts between services: the request/response models and the typed api client."""
