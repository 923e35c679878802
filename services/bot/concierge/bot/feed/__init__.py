"""The feed in the chat: onboarding, the training round, the personal feed."""
