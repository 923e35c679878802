"""The market desk: listings sold through the Mini App, photos, admin moderation."""
