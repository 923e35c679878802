"""Market tables: listings, their photos and the moderation audit log."""
