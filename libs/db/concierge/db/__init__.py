"""Database layer: SQLAlchemy 2 async engine and sessions, the declarative base and migrations."""

from concierge.db.base import Base, TimestampMixin
from concierge.db.session import Database, SessionDep, get_session

__all__ = ["Base", "Database", "SessionDep", "TimestampMixin", "get_session"]
