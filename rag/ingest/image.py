"""Images (.png, .jpg, .jpeg, .tif, .tiff): a scan or photo of a page, its text read by OCR (`rag.ingest.ocr`).

Owns opening the file with Pillow and the reasons it is refused (not an image Pillow can read, a truncated or
corrupt one, one over `MAX_PIXELS`, which also keeps a decompression bomb from being unpacked), turning a phone photo
upright by its EXIF orientation, and reading each frame of a multi-page TIFF as a page (the page cap applies to them
as to a PDF's pages). An image in which OCR reads no text at all is refused ("OCR read no text"); the pages of a TIFF
that hold none are listed in `skipped`.
Leaves out the OCR itself and the layout of what it reads (`ocr`), and the choice of loader by suffix (`loaders`).
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import IngestError
from rag.ingest.blocks import TextBuilder
from rag.ingest.loaders import Extracted, Limits
from rag.ingest.ocr import NO_TEXT, read_page_image

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

MAX_PIXELS = 50_000_000  # a 600-dpi A4 scan is 35 million, a 48-megapixel phone photo 48 million
FORMATS = ("PNG", "JPEG", "TIFF", "WEBP", "BMP", "GIF")  # what the file's bytes may be, whatever its suffix
_BROKEN = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)  # Pillow's decode errors


def load_image(data: bytes, path: Path, limits: Limits) -> Extracted:
    """The text OCR reads in an image file, each frame a page; IngestError when it cannot be read or holds no text."""
    image = _open(data, path)
    frames = getattr(image, "n_frames", 1)
    if limits.pages is not None and frames > limits.pages:
        msg = f"the image has {frames} pages, over the {limits.pages}-page cap (RAG_MAX_PDF_PAGES)"
        raise IngestError(f"{msg}; split it into smaller files")
    builder, skipped = TextBuilder(limits.check_text), []
    for number in range(1, frames + 1):
        builder.page(number)
        reason = read_page_image(builder, _frame(image, number), number)
        if reason:
            skipped.append(f"page {number}: {reason}" if frames > 1 else reason)
    if not builder.blocks:
        reason = skipped[0] if frames == 1 else f"{NO_TEXT} on any of its {frames} pages"
        msg = f"{reason}; is the image blank, too faint or too blurred to read?"
        raise IngestError(msg)
    log.debug("%s: OCR read %d blocks from %d pages", path.name, len(builder.blocks), frames)
    return Extracted.built(builder, skipped=skipped)


def _open(data: bytes, path: Path) -> Image.Image:
    """The image in `data`, its header read (nothing decoded yet); IngestError for what Pillow cannot read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise IngestError(_too_large()) from None
    except UnidentifiedImageError:
        msg = f"not an image Pillow can read ({path.suffix.lower() or 'no suffix'}; corrupt, or another format)"
        raise IngestError(f"{msg}; re-save it as PNG or JPEG") from None
    except _BROKEN as exc:
        raise IngestError(_broken(exc)) from None
    _check_size(image)
    return image


def _frame(image: Image.Image, number: int) -> Image.Image:
    """Frame `number` (from 1) decoded and turned upright; IngestError when it is too large or broken."""
    from PIL import ImageOps

    try:
        image.seek(number - 1)
        _check_size(image)
        image.load()
        return ImageOps.exif_transpose(image)
    except IngestError:
        raise
    except _BROKEN as exc:
        raise IngestError(_broken(exc)) from None


def _check_size(image: Image.Image) -> None:
    if image.width * image.height > MAX_PIXELS:
        raise IngestError(_too_large(image.size))


def _too_large(size: tuple[int, int] | None = None) -> str:
    pixels = f"{size[0]} × {size[1]} pixels, " if size else ""
    limit = f"{MAX_PIXELS / 1e6:.0f} million pixels"
    return f"image is too large to OCR ({pixels}over {limit}); scale it down to 300 dpi and ingest it again"


def _broken(exc: Exception) -> str:
    detail = f"{type(exc).__name__}: {str(exc)[:80]}" if str(exc) else type(exc).__name__
    return f"corrupt or truncated image ({detail}); re-save it as PNG or JPEG and ingest it again"
