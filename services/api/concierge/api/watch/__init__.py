"""The watch desk: people watch appointment-slot targets; polls reported by the worker."""
