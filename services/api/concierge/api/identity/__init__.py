"""Identity: users, their roles and lifecycle status, and what they did."""
