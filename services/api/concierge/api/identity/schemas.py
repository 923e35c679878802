"""Identity's API models live in the shared contracts lib; this module names them for api."""

from concierge.contracts.identity import (
    UserPage,
    UserRead,
    UserRegister,
    UserStatusChange,
    UserUpdate,
)

__all__ = ["UserPage", "UserRead", "UserRegister", "UserStatusChange", "UserUpdate"]
