"""The rentals desk's api tests: the sandbox serving the LLM protocols (the assistant's)."""

from tests.services.api.assistant.conftest import llm_sandbox  # noqa: F401 (a fixture)
