"""A stand-in for LLM servers: OpenAI-compatible chat completions and Anthropic Messages."""
