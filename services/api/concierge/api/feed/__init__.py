"""The feed desk: channels, the training round, ratings, the personal feed, nudges."""
