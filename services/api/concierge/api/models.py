"""Every table api owns, imported in one place so alembic sees the whole schema."""

from concierge.api.identity.models import User, UserLog
from concierge.db import Base

metadata = Base.metadata

__all__ = ["User", "UserLog", "metadata"]
