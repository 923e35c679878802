"""Listing photos: where they are stored (S3 or a local folder) and how an uploaded
image is checked and re-encoded. Shared by api (uploads, links) and worker (thumbnails)."""
