"""Identity tables: users and what they did."""
