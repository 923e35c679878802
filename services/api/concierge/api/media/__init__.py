"""The media desk: people's settings and sources, the conversation, their history."""
