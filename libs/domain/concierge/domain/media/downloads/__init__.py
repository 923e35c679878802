"""Downloads: what a person added to their seedbox through the media desk (``models``),
and the queries the api uses to record and list them (``repository``)."""

from concierge.domain.media.downloads.models import DownloadStatus, MediaDownload

__all__ = ["DownloadStatus", "MediaDownload"]
