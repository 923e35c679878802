"""Concierge sandbox: stand-ins for the outside services (dev and test only)."""
