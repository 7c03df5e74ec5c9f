"""Ingest: file bytes in, a Document of upright pages out.

The parser is chosen by magic bytes, never by extension. A PDF page with a real text
layer gives exact character tokens (no OCR) plus a low-resolution image for the ruling
stage; any other page becomes an image for OCR. Every limit is stated in IngestOptions
and enforced before the expensive step it protects (page count before rendering, pixel
count before decoding). Orientation (0/90/180/270) and small skew are removed here, so
every later stage sees an upright page.
"""

from __future__ import annotations

import io
import math
import threading
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from ..contract import Box
from ..document import Document, Page, Token
from ..errors import BadInput, LimitExceeded, NoContent
from ..registry import register

# pdfium is not thread-safe: every call into it goes through this lock.
PDFIUM_LOCK = threading.Lock()

MAGIC = [
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
]
EXTENSIONS = {"pdf": {".pdf"}, "png": {".png"}, "jpeg": {".jpg", ".jpeg"}, "tiff": {".tif", ".tiff"}, "bmp": {".bmp"}}


class IngestOptions(BaseModel):
    """jixiao's input limits and rendering settings (JIXIAO_* settings can override them)."""

    max_bytes: int = Field(default=50 * 1024 * 1024, description="largest accepted file")
    max_pages: int = Field(default=300, description="most pages in one document")
    max_image_pixels: int = Field(default=60_000_000, description="largest image page, in pixels")
    max_page_side_pt: float = Field(default=5000.0, description="largest PDF page side, in points (A0 is 3370)")
    min_image_side_px: int = Field(default=200, description="smallest image side worth reading")
    ocr_dpi: int = Field(default=200, description="render dpi for pages without a text layer")
    text_layer_dpi: int = Field(default=100, description="render dpi for text-layer pages (ruling lines only)")
    max_render_side_px: int = Field(default=5000, description="cap on a rendered page's longer side")
    low_dpi_warning: int = Field(default=100, description="warn below this scan resolution")
    min_text_chars: int = Field(default=20, description="a PDF page with fewer real characters is treated as an image")
    min_text_coverage: float = Field(
        default=0.5, description="share of a page's printed text its text layer must cover to be used"
    )
    assumed_long_side_in: float = Field(
        default=11.69, description="long side of an image page without a usable dpi tag (A4: 11.69 in)"
    )
    fix_orientation: bool = True
    max_skew: float = Field(default=5.0, description="largest skew (degrees) searched for and removed")


def sniff(data: bytes) -> str | None:
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"  # leading junk before the header is common and harmless
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def open_document(source: str | Path | bytes, name: str | None, options: IngestOptions | None = None) -> Document:
    """Read a file (path or bytes) into a Document; raise BadInput/LimitExceeded/NoContent."""
    options = options or IngestOptions()
    label = name or (str(source) if not isinstance(source, bytes) else "upload")
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise BadInput(label, f"cannot read the file ({exc.strerror or exc})") from None
        if size > options.max_bytes:
            raise LimitExceeded(label, f"file is {size} bytes, over the {options.max_bytes}-byte limit")
        data = path.read_bytes()
    if not data:
        raise BadInput(label, "the file is empty (0 bytes)")
    if len(data) > options.max_bytes:
        raise LimitExceeded(label, f"file is {len(data)} bytes, over the {options.max_bytes}-byte limit")
    kind = sniff(data)
    if kind is None:
        raise BadInput(label, "not a PDF or an image (PNG, JPEG, TIFF, BMP, WebP): unrecognised content")
    doc = Document(source=label)
    suffix = Path(label).suffix.lower()
    if suffix and suffix not in EXTENSIONS.get(kind, {f".{kind}"}):
        doc.warnings.append(f"file_type: named {suffix} but its content is {kind.upper()}; read as {kind.upper()}")
    if kind == "pdf":
        doc.pages = _pdf_pages(data, label, options)
    else:
        doc.pages = _image_pages(data, label, options)
    for page in doc.pages:
        ink = _ink(page.gray) if page.text_source == "ocr" and page.image is not None else None
        if is_blank(page, ink):
            page.warnings.append("blank: the page has no content")
        elif page.text_source == "ocr" and options.fix_orientation:
            upright(page, options, ink)
    if all("blank: the page has no content" in p.warnings for p in doc.pages):
        raise NoContent(label, "every page is blank")
    return doc


@register("stages", "ingest")
def make_ingest(**options) -> "IngestStage":
    return IngestStage(IngestOptions(**options))


class IngestStage:
    """The ingest step as an object, for callers that hold stages rather than functions."""

    def __init__(self, options: IngestOptions):
        self.options = options

    def open(self, source: str | Path | bytes, name: str | None = None) -> Document:
        return open_document(source, name, self.options)

    def __call__(self, doc: Document) -> Document:
        """Read the file ``doc.source`` names into a Document (one that already has pages passes)."""
        if doc.pages:
            return doc
        opened = open_document(doc.source, doc.source, self.options)
        opened.warnings = doc.warnings + opened.warnings
        return opened


# -- PDF ---------------------------------------------------------------------------


def _pdf_pages(data: bytes, label: str, options: IngestOptions) -> list[Page]:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            reason = str(exc)
            if "password" in reason.lower():
                raise BadInput(label, "the PDF is encrypted with a password; send it unlocked") from None
            raise BadInput(label, f"not a readable PDF (damaged or truncated: {reason})") from None
        try:
            n = len(pdf)
            if n == 0:
                raise BadInput(label, "the PDF has no pages")
            if n > options.max_pages:
                raise LimitExceeded(label, f"the PDF has {n} pages, over the {options.max_pages}-page limit")
            pages = [_pdf_page(pdf, k, label, options) for k in range(n)]
        finally:
            pdf.close()
    return pages


def _pdf_page(pdf, k: int, label: str, options: IngestOptions) -> Page:
    pdf_page = pdf[k]
    try:
        width, height = pdf_page.get_size()  # as displayed, /Rotate applied
        if max(width, height) > options.max_page_side_pt:
            raise LimitExceeded(
                label, f"page {k + 1} is {width:.0f}×{height:.0f} pt, over the {options.max_page_side_pt:.0f} pt limit"
            )
        tokens = _text_layer(pdf_page)
        real = sum(1 for t in tokens if _is_real_char(t.text))
        # A real layer: enough characters, mostly ones that map to text (not a font's private codes).
        text_layer = real >= options.min_text_chars and real >= 0.7 * len(tokens)
        ignored = False
        if text_layer:
            scale, gray = _render(pdf_page, width, height, options.text_layer_dpi, options)
            if text_coverage(gray, tokens, scale) < options.min_text_coverage:
                # Printed content the layer lacks (a scan with a partial or stray text layer): OCR it all.
                text_layer, ignored = False, True
        if not text_layer:
            scan = _embedded_scan(pdf_page, width, height, label, k, options)
            scale, gray = scan if scan is not None else _render(pdf_page, width, height, options.ocr_dpi, options)
        page = Page(
            number=k + 1,
            width=float(width),
            height=float(height),
            text_source="text_layer" if text_layer else "ocr",
            scale=scale,
            image=gray,
            tokens=tokens if text_layer else [],
        )
        if ignored:
            page.warnings.append("text_layer_ignored: the page shows text its text layer lacks; read by OCR")
        if not text_layer and scale * 72 < options.low_dpi_warning:
            page.warnings.append(f"low_resolution: rendered at {scale * 72:.0f} dpi")
        return page
    finally:
        pdf_page.close()


def _render(pdf_page, width: float, height: float, dpi: int, options: IngestOptions) -> tuple[float, np.ndarray]:
    scale = min(dpi / 72.0, options.max_render_side_px / max(width, height))
    bitmap = pdf_page.render(scale=scale).to_numpy()  # BGR(x); channel order does not matter to to_gray
    return scale, to_gray(bitmap[:, :, :3])


def _embedded_scan(
    pdf_page, width: float, height: float, label: str, k: int, options: IngestOptions
) -> tuple[float, np.ndarray] | None:
    """A scanner's page: one upright image filling the page, decoded directly (no render).

    Decoding the embedded JPEG at its own resolution is faster than rendering it and keeps
    the scan's pixels; it is reduced to the OCR dpi when finer. Anything else (several
    images, rotation, a page /Rotate, 1-bit images whose decode arrays pdfium must apply)
    returns None and is rendered.
    """
    import pypdfium2.raw as raw

    if pdf_page.get_rotation() % 360:
        return None
    images = []
    for obj in pdf_page.get_objects(max_depth=1):
        if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
            images.append(obj)
        elif obj.type in (raw.FPDF_PAGEOBJ_FORM, raw.FPDF_PAGEOBJ_SHADING):
            return None
    if len(images) != 1:
        return None
    image = images[0]
    left, bottom, right, top = image.get_bounds()
    page_left, page_bottom, page_right, page_top = pdf_page.get_bbox()
    if (right - left) < 0.97 * (page_right - page_left) or (top - bottom) < 0.97 * (page_top - page_bottom):
        return None
    m = image.get_matrix()
    if abs(m.b) > 1e-6 or abs(m.c) > 1e-6 or m.a <= 0 or m.d <= 0:
        return None
    meta = image.get_metadata()
    if meta.bits_per_pixel < 8:
        return None
    if meta.width * meta.height > options.max_image_pixels:
        raise LimitExceeded(
            label, f"page {k + 1} holds a {meta.width}×{meta.height}-pixel image, over the {options.max_image_pixels}-pixel limit"
        )
    import cv2

    bitmap = image.get_bitmap(render=False).to_numpy()
    if bitmap.ndim == 3 and bitmap.shape[2] == 1:
        bitmap = bitmap[:, :, 0]
    elif bitmap.ndim == 3:
        bitmap = np.ascontiguousarray(bitmap[:, :, :3])
    scale = bitmap.shape[1] / width
    target = min(options.ocr_dpi / 72.0, options.max_render_side_px / max(width, height))
    if scale > 1.1 * target:  # reduce first: fewer pixels for everything after
        bitmap = cv2.resize(bitmap, (round(width * target), round(height * target)), interpolation=cv2.INTER_AREA)
        scale = target
    return scale, to_gray(bitmap)


def text_coverage(gray: np.ndarray, tokens: list[Token], scale: float) -> float:
    """Share of the page's text ink (rulings aside) that lies inside some token's box."""
    ink = _text_ink(_ink(gray))
    total = int(np.count_nonzero(ink))
    if total < 50:
        return 1.0
    f = scale * ink.shape[0] / gray.shape[0]  # ink pixels per point
    mask = np.zeros_like(ink)
    h, w = ink.shape
    for t in tokens:
        x0, y0, x1, y1 = t.box
        mask[max(0, int(y0 * f) - 2) : min(h, int(y1 * f) + 3), max(0, int(x0 * f) - 2) : min(w, int(x1 * f) + 3)] = 255
    return int(np.count_nonzero(ink & mask)) / total


def _is_real_char(ch: str) -> bool:
    return ch.isalnum() or "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def _text_layer(pdf_page) -> list[Token]:
    """One token per printed character, boxes in top-left points of the page as displayed."""
    left, bottom, right, top = pdf_page.get_bbox()  # the crop box: what is shown and rendered
    w, h = right - left, top - bottom  # before /Rotate
    rotation = pdf_page.get_rotation() % 360

    def upright_box(x0: float, y0: float, x1: float, y1: float) -> Box:
        # pdfium gives bottom-left-origin user space; flip to top-down, then apply /Rotate (clockwise).
        xa, xb = x0 - left, x1 - left
        ya, yb = top - y1, top - y0
        if rotation == 90:
            xa, ya, xb, yb = h - yb, xa, h - ya, xb
        elif rotation == 180:
            xa, ya, xb, yb = w - xb, h - yb, w - xa, h - ya
        elif rotation == 270:
            xa, ya, xb, yb = ya, w - xb, yb, w - xa
        return (round(xa, 2), round(ya, 2), round(xb, 2), round(yb, 2))

    textpage = pdf_page.get_textpage()
    try:
        n = textpage.count_chars()
        if n <= 0:
            return []
        text = textpage.get_text_range(0, n)
        tokens: list[Token] = []
        # get_text_range may expand ligatures or add line breaks; fall back to per-char reads then.
        per_char = len(text) != n
        for i in range(n):
            ch = textpage.get_text_range(i, 1) if per_char else text[i]
            if not ch or ch.isspace() or ch in "\ufffe\uffff\x00":
                continue
            x0, y0, x1, y1 = textpage.get_charbox(i, loose=False)
            if x1 <= x0 or y1 <= y0:
                continue
            tokens.append(Token(text=ch, box=upright_box(x0, y0, x1, y1), confidence=1.0))
        return tokens
    finally:
        textpage.close()


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """Grey page with coloured ink (red seals, blue stamps, tinted fills) faded towards white.

    Printed forms are black on white; a seal stamped over cells would otherwise read as
    ruling arcs and dark blots. Where a pixel is strongly coloured its brightest channel
    is kept, so black text under a red seal stays black while the seal itself fades.
    """
    import cv2

    if rgb.ndim == 2:
        return np.ascontiguousarray(rgb)
    rgb = np.ascontiguousarray(rgb)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)  # one pass; V is the brightest channel, S·V/255 its spread
    hi = cv2.extractChannel(hsv, 2)
    spread = cv2.multiply(cv2.extractChannel(hsv, 1), hi, scale=1 / 255)
    _, colourful = cv2.threshold(spread, 40, 255, cv2.THRESH_BINARY)
    # JPEG keeps colour at half resolution, so a seal's rim comes out grey and dark: widen the
    # colourful zone. Black text inside it is unharmed, its brightest channel is dark too.
    colourful = cv2.dilate(colourful, np.ones((5, 5), np.uint8))
    # hi ≥ grey everywhere, so the max takes hi exactly where the pixel is colourful.
    gray = cv2.max(gray, cv2.bitwise_and(hi, colourful))
    return np.ascontiguousarray(gray)


# -- images ------------------------------------------------------------------------


def _image_pages(data: bytes, label: str, options: IngestOptions) -> list[Page]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # our own cap below, checked before decoding
    try:
        img = Image.open(io.BytesIO(data))
        n_frames = getattr(img, "n_frames", 1)
    except UnidentifiedImageError:
        raise BadInput(label, "not a readable image (damaged, truncated or an unsupported variant)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadInput(label, f"not a readable image ({exc})") from None
    if n_frames > options.max_pages:
        raise LimitExceeded(label, f"the image has {n_frames} pages, over the {options.max_pages}-page limit")
    pages: list[Page] = []
    for k in range(n_frames):
        try:
            img.seek(k)
        except (EOFError, OSError, ValueError) as exc:
            if k == 0:
                raise BadInput(label, f"not a readable image ({exc})") from None
            raise BadInput(label, f"page {k + 1} of the image is damaged or truncated ({exc})") from None
        w, h = img.size
        if w * h > options.max_image_pixels:
            raise LimitExceeded(
                label, f"page {k + 1} is {w}×{h} pixels, over the {options.max_image_pixels}-pixel limit"
            )
        if min(w, h) < options.min_image_side_px:
            raise BadInput(label, f"page {k + 1} is {w}×{h} pixels, too small to read")
        try:
            frame = ImageOps.exif_transpose(img.copy()) if k == 0 else img.copy()
            frame.load()
            gray = _frame_gray(frame)
        except (OSError, ValueError, SyntaxError) as exc:
            raise BadInput(label, f"the image is damaged or truncated ({exc})") from None
        dpi, stated = _dpi(img, gray.shape, options)
        page = Page(
            number=k + 1,
            width=gray.shape[1] * 72.0 / dpi,
            height=gray.shape[0] * 72.0 / dpi,
            text_source="ocr",
            scale=dpi / 72.0,
            image=gray,
        )
        if dpi < options.low_dpi_warning:
            how = "" if stated else " (judged from its pixel size as an A4 page)"
            page.warnings.append(f"low_resolution: the scan is {dpi:.0f} dpi{how}; expect OCR errors")
        pages.append(page)
    return pages


def _frame_gray(frame) -> np.ndarray:
    if frame.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(frame, dtype=np.float64)
        top = arr.max() or 1.0
        return np.ascontiguousarray((arr * (255.0 / top)).astype(np.uint8))
    if frame.mode in ("1", "L", "LA"):
        return np.ascontiguousarray(np.asarray(frame.convert("L")))
    return to_gray(np.asarray(frame.convert("RGB")))


def _dpi(img, shape: tuple[int, ...], options: IngestOptions) -> tuple[float, bool]:
    """The scan resolution and whether the file stated it.

    Stated dpi is trusted when the page it implies is paper-sized (4–24 inches on its long
    side); phone photos tagged 72 dpi and files without a tag are taken as A4 pages.
    """
    long_px = max(shape[:2])
    dpi = img.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    if abs(value - round(value)) < 0.05:
        value = float(round(value))  # PNG stores pixels per metre: 150 dpi comes back as 150.0126
    if value > 0 and 4.0 <= long_px / value <= 24.0:
        return value, True
    return min(max(long_px / options.assumed_long_side_in, 50.0), 1200.0), False


# -- blank pages, orientation and skew ----------------------------------------------


def _ink(gray: np.ndarray) -> np.ndarray:
    """Ink mask of a page (longer side ≤ 1200 px): darker than the paper by more than its noise."""
    import cv2

    small = gray
    if max(gray.shape) > 1200:
        f = 1200 / max(gray.shape)
        small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    small = cv2.blur(small, (3, 3))
    sample = small[::4, ::4]
    paper = float(np.median(sample))
    noise = 1.4826 * float(np.median(np.abs(sample.astype(np.float32) - paper)))
    # Ink is well below the paper; scan grain and faint show-through are not.
    limit = paper - max(50.0, 5.0 * noise)
    return np.where(small < limit, 255, 0).astype(np.uint8)


def is_blank(page: Page, ink: np.ndarray | None = None, min_ink: float = 0.0005) -> bool:
    """No text layer characters, or (image pages) almost no ink / a fully dark frame."""
    if page.text_source == "text_layer":
        return not page.tokens
    if page.image is None:
        return True
    gray = page.gray
    if float(gray.mean()) < 40:  # an all-black frame (lid open, inverted scan)
        return True
    ink = _ink(gray) if ink is None else ink
    return float(np.count_nonzero(ink)) / ink.size < min_ink


def estimate_skew(ink: np.ndarray, max_angle: float = 5.0) -> float:
    """Skew in degrees (counter-clockwise positive, cv2's sense) that makes the page level.

    Measured with the page as it lies and turned by 90°, and taken where the lines are
    crisper: on a page fed in sideways its text lines are the columns. A rotation keeps
    angles, so either measurement is the skew of the page as it lies.
    """
    across, crisp = _skew_and_crispness(ink, max_angle)
    along, crisp_turned = _skew_and_crispness(np.ascontiguousarray(np.rot90(ink)), max_angle)
    return across if crisp >= crisp_turned else along


def _skew_and_crispness(ink: np.ndarray, max_angle: float, strips: int = 40) -> tuple[float, float]:
    """The skew that makes rows of ink level, and how sharp the row profile is then.

    The page is cut into vertical strips; for a trial slope each strip's row profile is
    shifted by slope × its x and the profiles summed. Level text lines then stack into
    sharp peaks (high variance of the profile's differences). Shifting profiles instead of
    rotating the image makes a trial cheap.
    """
    h, w = ink.shape
    width = max(1, w // strips)
    n = w // width
    profiles = (ink[:, : n * width] > 0).reshape(h, n, width).sum(axis=2, dtype=np.float32).T  # n × h
    xs = (np.arange(n) + 0.5) * width - w / 2
    pad = int(math.ceil(w / 2 * math.tan(math.radians(max_angle + 1)))) + 1
    rows = np.arange(h)
    flat = profiles.ravel()

    def sharpness(angle: float) -> float:
        shifts = np.round(xs * math.tan(math.radians(angle))).astype(np.int64)
        idx = (pad - shifts)[:, None] + rows[None, :]  # where each strip's rows land in the summed profile
        total = np.bincount(idx.ravel(), weights=flat, minlength=h + 2 * pad)
        return float(np.var(np.diff(total)))

    coarse = max(np.arange(-max_angle, max_angle + 1e-6, 0.5), key=sharpness)
    fine = max(np.arange(coarse - 0.3, coarse + 0.3 + 1e-6, 0.05), key=sharpness)
    # A line y = y0 + m·x is levelled by turning the page by atan(m) counter-clockwise.
    return round(float(fine), 2), sharpness(fine) / (w * w)  # rows w long: scale-free across the two frames


def _text_ink(ink: np.ndarray) -> np.ndarray:
    """The ink with long straight strokes (table rulings) taken out, so text stands alone."""
    import cv2

    h, w = ink.shape
    rect = cv2.getStructuringElement
    rulings = cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (max(15, w // 35), 1)))
    rulings |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, max(15, h // 35))))
    return cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(rulings, np.ones((3, 3), np.uint8))))


def _components(mask: np.ndarray):
    """connectedComponentsWithStats, with 16-bit labels (several times faster) when they surely
    suffice: never more components than ink pixels."""
    import cv2

    ltype = cv2.CV_16U if np.count_nonzero(mask) < 65535 else cv2.CV_32S
    return cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)


def _strokes(gray: np.ndarray) -> np.ndarray:
    """Whole pen strokes (longer side ≤ 1200 px), locally thresholded: the strict ink mask
    breaks the thin grey strokes of a blurred scan into dust, which no longer reads as lines."""
    import cv2

    small = gray
    if max(gray.shape) > 1200:
        f = 1200 / max(gray.shape)
        small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 20)


def _line_lengths(text: np.ndarray) -> tuple[float, float]:
    """Total length of text-line blobs read along x and along y (text ink, rulings removed).

    Characters 5 px apart (about 3.5 pt on an A4 page at this size) are joined along each
    axis in turn; a horizontal line of text then makes one long flat blob, while across
    the lines the gaps stay open.
    """
    import cv2

    rect = cv2.getStructuringElement
    lengths = []
    for kernel, axis in (((5, 1), 0), ((1, 5), 1)):
        joined = cv2.morphologyEx(text, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, kernel))
        _, _, stats, _ = _components(joined)
        long_side, short_side = (stats[1:, 2], stats[1:, 3]) if axis == 0 else (stats[1:, 3], stats[1:, 2])
        lines = (long_side >= 3 * short_side) & (short_side >= 4)
        lengths.append(float(long_side[lines].sum()))
    return lengths[0], lengths[1]


def upright(page: Page, options: IngestOptions | None = None, ink: np.ndarray | None = None) -> None:
    """Turn an image page upright (multiples of 90°, clockwise in Page.rotation) and remove small skew.

    Skew first: tilted rulings would survive the ruling removal below and read as text
    lines. A rotation keeps angles, so the skew measured on a page fed in sideways is
    the one to remove from it too.
    """
    import cv2

    gray = page.gray
    ink = _ink(gray) if ink is None else ink
    if not ink.any():
        return
    best = estimate_skew(ink, options.max_skew if options else 5.0)
    strokes = _strokes(gray)
    if abs(best) >= 0.15:
        h, w = gray.shape
        gray = cv2.warpAffine(gray, cv2.getRotationMatrix2D((w / 2, h / 2), best, 1.0), (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
        sh, sw = strokes.shape
        strokes = cv2.warpAffine(strokes, cv2.getRotationMatrix2D((sw / 2, sh / 2), best, 1.0), (sw, sh), flags=cv2.INTER_NEAREST)
        page.skew = best
    text = _text_ink(strokes)
    # 0° vs 90°: text lines read along x make long flat blobs once characters are joined. On the
    # generated scans the right reading is ≥ 6 times longer but on near-empty pages; below
    # 2 times the page is left as it came.
    wide, tall = _line_lengths(text)
    if tall > 2 * wide:
        gray, text = (np.ascontiguousarray(np.rot90(a, k=-1)) for a in (gray, text))  # 90° clockwise
        page.rotation = 90
    if _upside_down(gray, text):
        gray = np.ascontiguousarray(np.rot90(gray, k=2))
        page.rotation = (page.rotation + 180) % 360
    page.image = gray
    h, w = gray.shape
    page.width, page.height = w / page.scale, h / page.scale


_CLS_SESSION = None
_CLS_LOCK = threading.Lock()


def _cls_session():
    """PP-OCR's text-direction classifier (0° vs 180°), shipped in rapidocr's wheel."""
    global _CLS_SESSION
    with _CLS_LOCK:
        if _CLS_SESSION is None:
            import onnxruntime as ort
            import rapidocr

            path = Path(rapidocr.__file__).parent / "models" / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 2
            opts.log_severity_level = 3
            _CLS_SESSION = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return _CLS_SESSION


def _upside_down(gray: np.ndarray, ink: np.ndarray, samples: int = 12) -> bool:
    """Vote of the direction classifier over text-line crops; ``ink`` is the page's text ink (reduced)."""
    import cv2

    f = gray.shape[0] / ink.shape[0]
    # Text blobs: close horizontally so characters of a line join (rulings are already out).
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
    n, _, stats, _ = _components(closed)
    boxes = [s for s in stats[1:] if 8 <= s[3] <= 40 and s[2] >= 2.5 * s[3] and s[2] < ink.shape[1] * 0.5]
    if not boxes:
        return False
    boxes = sorted(boxes, key=lambda s: -s[2])[:samples]
    crops = []
    for x, y, w, h, _ in boxes:
        x0, y0 = int(x * f), int(y * f)
        crop = gray[max(0, y0 - 2) : int((y + h) * f) + 2, max(0, x0 - 2) : int((x + w) * f) + 2]
        if crop.size == 0:
            continue
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
        ch, cw = crop.shape[:2]
        nw = min(192, max(1, int(math.ceil(48 * cw / ch))))
        resized = cv2.resize(crop, (nw, 48)).astype(np.float32) / 255.0
        resized = (resized - 0.5) / 0.5
        pad = np.zeros((48, 192, 3), dtype=np.float32)
        pad[:, :nw] = resized
        crops.append(pad.transpose(2, 0, 1))
    if not crops:
        return False
    session = _cls_session()
    out = session.run(None, {session.get_inputs()[0].name: np.stack(crops)})[0]
    votes = out.argmax(axis=1)
    return float((votes == 1).mean()) > 0.6
