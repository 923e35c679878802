"""Market tables: listings, photos, the audit log, views, conversations, blocks, reports."""
