"""Listing photos: upload tickets, checks after an upload, deletion, and the local storage
backend's signed links."""
