"""Checking and re-encoding uploaded photos (pure functions; run them in a thread).

The declared type means nothing: the first bytes must be JPEG, PNG, WebP or GIF, the
size in the header is checked before any pixel is decoded, and the image is decoded
and encoded afresh, turned upright by its EXIF orientation, with no metadata kept
(EXIF with GPS, XMP, ICC, comments). Only the first frame of an animation is kept.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from concierge.contracts.errors import ErrorCode
from concierge.contracts.market import MAX_PHOTO_PIXELS, PhotoFormat

# The stored image's longest side: plenty for a phone screen, and bounds storage.
MAX_STORED_SIDE = 2560
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80

# Pillow's format names for what the magic bytes say.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)


FORMAT_NAMES = ", ".join(member.value for member in PhotoFormat)  # "JPEG, PNG, WebP, GIF"
_SHOWN_NAMES = {"WEBP": PhotoFormat.WEBP.value}  # Pillow's names as people write them


class ImageRejected(Exception):
    """The file is not an acceptable image; the message says why (in English), the code
    and params what a client needs to say it in its user's language."""

    def __init__(self, message: str, code: ErrorCode, **params: str | int) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    width: int
    height: int
    content_type: str
    extension: str  # ".jpg", ".png" or ".webp"


def sniff(head: bytes) -> str | None:
    """The image format the first bytes show (Pillow's name), or None."""
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ImageRejected:
    size = f" ({width}×{height})" if width and height else ""
    return ImageRejected(
        f"The image has too many pixels{size}: at most {MAX_PHOTO_PIXELS:,} are allowed",
        ErrorCode.PHOTO_TOO_MANY_PIXELS,
        max=MAX_PHOTO_PIXELS,
    )


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    kind = sniff(data[:16])
    if kind is None:
        raise ImageRejected(
            f"The file is not an image: upload a photo ({FORMAT_NAMES})",
            ErrorCode.PHOTO_NOT_IMAGE,
            formats=FORMAT_NAMES,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size  # from the header; nothing decoded yet
            if width * height > max_pixels:
                raise _too_many_pixels(width, height)
            image.seek(0)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        shown = _SHOWN_NAMES.get(kind, kind)
        raise ImageRejected(
            f"The {shown} image is damaged or incomplete", ErrorCode.PHOTO_DAMAGED, format=shown
        ) from exc
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _encode(image: Image.Image, quality: int) -> EncodedImage:
    """JPEG for opaque images, WebP for ones with transparency; no metadata at all."""
    if _has_alpha(image):
        clean = image.convert("RGBA")
        fmt, content_type, extension = "WEBP", "image/webp", ".webp"
    else:
        clean = image.convert("RGB")
        fmt, content_type, extension = "JPEG", "image/jpeg", ".jpg"
    clean.info = {}  # nothing of the original's metadata may ride along
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, fmt, quality=quality, optimize=True)
    else:
        clean.save(out, fmt, quality=quality, method=4)
    return EncodedImage(out.getvalue(), clean.width, clean.height, content_type, extension)


def reencode(data: bytes, max_pixels: int = MAX_PHOTO_PIXELS) -> EncodedImage:
    """The upload checked and re-encoded, at most MAX_STORED_SIDE on its longest side."""
    with _decode(data, max_pixels) as image:
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE), Image.Resampling.LANCZOS)
        return _encode(upright, JPEG_QUALITY)


def thumbnail(data: bytes, side: int = THUMBNAIL_SIDE) -> EncodedImage:
    """A copy at most ``side`` pixels on its longest side (of an already re-encoded image)."""
    with _decode(data, MAX_PHOTO_PIXELS) as image:
        small = ImageOps.exif_transpose(image)
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
        return _encode(small, THUMBNAIL_QUALITY)
