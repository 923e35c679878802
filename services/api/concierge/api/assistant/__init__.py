"""Answers to questions from retrieved passages, written by an LLM or extracted."""
