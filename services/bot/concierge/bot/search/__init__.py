"""Search and answers in the bot: /search, /ask, plain text routed by intent, /sources."""
