"""Listings: a seller's own (create, edit, submit, archive) and everybody's approved ones
(browse, search)."""
