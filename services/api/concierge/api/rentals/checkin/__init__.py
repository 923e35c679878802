"""Check-in time and date from a guest's message: rules, and the LLM when configured."""
