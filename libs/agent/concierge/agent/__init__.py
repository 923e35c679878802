"""The agent layer: the one way the product talks to an LLM."""
