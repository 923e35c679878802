"""The market desk in the worker: listing indexing (search) and photo thumbnails."""
