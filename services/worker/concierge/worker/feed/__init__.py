"""The feed desk in the worker: each reader's relevance model, trained as a job."""
