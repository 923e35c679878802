"""The Avito gateway: the only service that calls Avito (tokens, REST calls, webhooks)."""
