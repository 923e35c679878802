"""Moderation: the admins' queue, approval and rejection, and the audit log."""
