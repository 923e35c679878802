"""Database layer: SQLAlchemy 2 async engine and sessions, the declarative base and migrations."""

from concierge.db.base import Base, TimestampMixin
from concierge.db.session import Database, SessionDep, SideSessionDep, get_session, get_side_session

__all__ = [
    "Base",
    "Database",
    "SessionDep",
    "SideSessionDep",
    "TimestampMixin",
    "get_session",
    "get_side_session",
]
