"""The media desk's conversation: an LLM with tools that proposes, never adds."""
