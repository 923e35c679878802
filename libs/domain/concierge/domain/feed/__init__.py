"""Feed tables: readers, their channels, ratings, posts seen, models, nudges."""
