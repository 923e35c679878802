"""The watch desk's worker side: one polite poll per target, reported to the api."""
