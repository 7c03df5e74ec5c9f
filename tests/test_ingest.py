"""Ingest: sniffing, limits and bad input, PDF text layers, images, orientation and skew."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from service.document import Document
from service.errors import BadInput, LimitExceeded, NoContent
from service.registry import create
from service.stages.ingest import IngestOptions, open_document, sniff, to_gray

from drawn_forms import FONT, draw_form, turned


def _png(img: Image.Image, dpi: float | None = 200, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    if dpi:
        kw["dpi"] = (dpi, dpi)
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _text_pdf(text_lines: list[str], encrypt_user: str | None = None, encrypt_owner: str | None = None) -> bytes:
    """A one-page PDF with a text layer (CJK lines need the embedded font; ASCII uses a core font)."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(595, 842))
    pdf.add_page()
    if all(line.isascii() for line in text_lines):
        pdf.set_font("helvetica", size=12)
    else:
        pdf.add_font("zh", fname=FONT)
        pdf.set_font("zh", size=12)
    for k, line in enumerate(text_lines):
        pdf.text(72, 100 + 20 * k, line)
    pdf.rect(60, 80, 400, 20 * len(text_lines) + 20)
    if encrypt_owner is not None:
        from fpdf.enums import EncryptionMethod

        pdf.set_encryption(owner_password=encrypt_owner, user_password=encrypt_user or "", encryption_method=EncryptionMethod.RC4)
    return bytes(pdf.output())


FORM_LINES = ["项目支出绩效自评表", "项目名称 信息化支撑", "年度指标值 100台 实际完成值 98台"]


@pytest.fixture(scope="module")
def clean_form() -> Image.Image:
    return draw_form(dpi=150)[0]


# -- sniffing and bad input ----------------------------------------------------------


def test_sniff_by_magic_bytes():
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    assert sniff(b"\n\n  %PDF-1.4") == "pdf"
    assert sniff(b"\x89PNG\r\n\x1a\nxxxx") == "png"
    assert sniff(b"\xff\xd8\xff\xe0") == "jpeg"
    assert sniff(b"II*\x00") == sniff(b"MM\x00*") == "tiff"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff("这不是PDF".encode()) is None


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        ("这不是PDF，只是改了扩展名的文本。\n".encode(), "not a PDF or an image"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pa", "damaged or truncated"),
    ],
    ids=["zero-byte", "text-as-pdf", "truncated-pdf"],
)
def test_bad_files_raise_one_line_reasons(data, words):
    with pytest.raises(BadInput) as info:
        open_document(data, "report.pdf")
    assert words in info.value.reason
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("report.pdf: ")


def test_zero_byte_path(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(BadInput, match="empty"):
        open_document(path, None)


def test_truncated_png_is_bad_input(clean_form):
    data = _png(clean_form)
    with pytest.raises(BadInput, match="damaged or truncated"):
        open_document(data[: len(data) // 2], "scan.png")


def test_user_password_pdf_is_refused_owner_password_pdf_is_read():
    lines = ["Performance self-evaluation 2020", "Budget 576.09 Executed 508.75"]
    locked = _text_pdf(lines, encrypt_user="secret", encrypt_owner="owner")
    with pytest.raises(BadInput, match="encrypted with a password"):
        open_document(locked, "locked.pdf")
    owner_only = _text_pdf(lines, encrypt_owner="owner")  # printing/copying limits only
    doc = open_document(owner_only, "owner.pdf")
    assert doc.pages[0].text_source == "text_layer"
    assert "".join(t.text for t in doc.pages[0].tokens).startswith("Performance")


def test_png_named_pdf_is_read_as_png_with_a_warning(clean_form):
    doc = open_document(_png(clean_form, dpi=150), "report.pdf")
    assert doc.pages[0].text_source == "ocr"
    assert any("named .pdf but its content is PNG" in w for w in doc.warnings)


# -- limits ------------------------------------------------------------------------------


def test_page_count_limit_refuses_fast_without_rendering():
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(1000):
        pdf.new_page(595, 842)
    buf = io.BytesIO()
    pdf.save(buf)
    start = time.perf_counter()
    with pytest.raises(LimitExceeded, match="1000 pages, over the 300-page limit"):
        open_document(buf.getvalue(), "big.pdf")
    assert time.perf_counter() - start < 2.0


def test_giant_page_size_is_refused():
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(14400, 14400)
    buf = io.BytesIO()
    pdf.save(buf)
    with pytest.raises(LimitExceeded, match="pt limit"):
        open_document(buf.getvalue(), "poster.pdf")


def test_byte_limit(tmp_path):
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 5000)
    with pytest.raises(LimitExceeded, match="over the 1000-byte limit"):
        open_document(path, None, IngestOptions(max_bytes=1000))


def test_pixel_limit_is_checked_before_decoding():
    # A PNG header that claims 20,000 × 20,000 pixels with no pixel data: the limit must fire
    # from the header alone (decoding would fail as truncated, or take 400 MP of memory).
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100))
    with pytest.raises(LimitExceeded, match="pixel limit"):
        open_document(data, "bomb.png")


def test_tiny_image_is_bad_input():
    with pytest.raises(BadInput, match="too small"):
        open_document(_png(Image.new("L", (30, 30), 255)), "icon.png")


# -- blank pages ---------------------------------------------------------------------------


def test_only_blank_pages_is_no_content():
    rng = np.random.default_rng(0)
    grain = np.clip(235 + rng.normal(0, 10, (2339, 1654)), 0, 255).astype(np.uint8)  # scanned empty sheet
    with pytest.raises(NoContent, match="every page is blank"):
        open_document(_png(Image.fromarray(grain)), "blank.png")
    with pytest.raises(NoContent):
        open_document(_png(Image.new("L", (1654, 2339), 0)), "black.png")


def test_blank_page_among_others_gets_a_warning(clean_form):
    frames = [clean_form.convert("L"), Image.new("L", clean_form.size, 255)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], dpi=(150, 150))
    doc = open_document(buf.getvalue(), "scan.tif")
    assert [p.number for p in doc.pages] == [1, 2]
    assert doc.pages[0].warnings == []
    assert "blank: the page has no content" in doc.pages[1].warnings


# -- PDFs --------------------------------------------------------------------------------


def test_text_layer_pdf_gives_char_tokens_in_top_left_points():
    doc = open_document(_text_pdf(FORM_LINES), "form.pdf")
    page = doc.pages[0]
    assert (page.width, page.height, page.text_source) == (595, 842, "text_layer")
    assert page.scale == pytest.approx(100 / 72)  # rendered for the ruling stage only
    assert page.image.shape[0] == pytest.approx(842 * 100 / 72, abs=1)
    assert page.image.shape[1] == pytest.approx(595 * 100 / 72, abs=1)
    assert "".join(t.text for t in page.tokens) == "".join(FORM_LINES).replace(" ", "")
    first = page.tokens[0]
    assert first.text == "项" and first.confidence == 1.0
    # The baseline was at y=100 from the top: the glyph box sits just above it.
    x0, y0, x1, y1 = first.box
    assert 71 <= x0 < 74 and 86 <= y0 < 92 and 98 <= y1 <= 103
    # And the image has ink where the token is.
    px = page.image[int(y0 * page.scale) : int(y1 * page.scale), int(x0 * page.scale) : int(x1 * page.scale)]
    assert px.min() < 100


def test_rotated_pdf_page_tokens_follow_the_displayed_page():
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(_text_pdf(FORM_LINES))
    pdf[0].set_rotation(90)
    buf = io.BytesIO()
    pdf.save(buf)
    page = open_document(buf.getvalue(), "landscape.pdf").pages[0]
    assert (page.width, page.height) == (842, 595)
    for token in page.tokens[:5]:
        x0, y0, x1, y1 = (int(v * page.scale) for v in token.box)
        assert page.image[y0 : y1 + 1, x0 : x1 + 1].min() < 100, token


def test_scanner_pdf_page_is_its_image(clean_form):
    """A page that is one scanned image is decoded at the scan's resolution, reduced to the OCR dpi if finer."""
    buf = io.BytesIO()
    clean_form.save(buf, format="PDF", resolution=150)
    page = open_document(buf.getvalue(), "scan.pdf").pages[0]
    assert page.text_source == "ocr" and page.tokens == []
    assert page.scale == pytest.approx(150 / 72, rel=0.01)
    assert page.image.dtype == np.uint8 and page.image.shape == (clean_form.height, clean_form.width)
    fine = clean_form.resize((clean_form.width * 2, clean_form.height * 2))
    buf = io.BytesIO()
    fine.save(buf, format="PDF", resolution=300)
    page = open_document(buf.getvalue(), "scan300.pdf").pages[0]
    assert page.scale == pytest.approx(200 / 72, rel=0.01)
    assert page.width == pytest.approx(595, abs=1)


def test_pdf_page_with_a_drawing_over_the_scan_is_rendered(clean_form):
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(595, 842))
    pdf.add_page()
    pdf.image(clean_form, x=0, y=0, w=595, h=842)
    pdf.image(Image.new("RGB", (200, 100), (200, 30, 30)), x=400, y=700, w=100, h=50)  # a pasted seal
    page = open_document(bytes(pdf.output()), "scan.pdf").pages[0]
    assert page.scale == pytest.approx(200 / 72)  # rendered at the OCR dpi, both images composed


def test_scan_with_a_stray_text_layer_is_read_by_ocr(clean_form):
    """A scanned page whose text layer holds one typed note must not pass for a digital page."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(595, 842))
    pdf.add_page()
    pdf.image(clean_form, x=0, y=0, w=595, h=842)
    pdf.set_font("helvetica", size=10)
    pdf.text(40, 830, "Scanned by DeptScanner 2020 serial 0042 batch 17")
    page = open_document(bytes(pdf.output()), "scan.pdf").pages[0]
    assert page.text_source == "ocr" and page.tokens == []
    assert any(w.startswith("text_layer_ignored") for w in page.warnings)


def test_ingest_stage_fills_a_document_from_its_source(tmp_path):
    path = tmp_path / "form.pdf"
    path.write_bytes(_text_pdf(FORM_LINES))
    stage = create("stages", "ingest", max_pages=10)
    doc = stage(Document(source=str(path)))
    assert len(doc.pages) == 1 and doc.pages[0].tokens


# -- images --------------------------------------------------------------------------------


def test_image_dpi_scale_and_low_resolution_warning(clean_form):
    page = open_document(_png(clean_form, dpi=150), "scan.png").pages[0]
    assert page.scale == pytest.approx(150 / 72)
    assert page.width == pytest.approx(595, abs=1) and page.warnings == []
    small = clean_form.resize((595, 842))
    page = open_document(_png(small, dpi=72), "fax.png").pages[0]
    assert page.scale == pytest.approx(1.0)
    assert any(w.startswith("low_resolution") for w in page.warnings)


def test_image_without_dpi_is_taken_as_a4(clean_form):
    page = open_document(_png(clean_form, dpi=None), "scan.png").pages[0]
    assert page.width == pytest.approx(595, abs=2) and page.height == pytest.approx(842, abs=2)


def test_exif_orientation_is_applied(clean_form):
    sideways = clean_form.rotate(90, expand=True)  # stored on its side ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... with the tag saying "turn 90° clockwise to view"
    page = open_document(_png(sideways, fmt="JPEG", exif=exif.tobytes(), quality=90), "photo.jpg").pages[0]
    assert page.image.shape[0] > page.image.shape[1]  # portrait again, before any detection
    assert page.rotation == 0


def test_multi_page_tiff(clean_form):
    frames = [clean_form.convert("L"), clean_form.convert("L").transpose(Image.FLIP_LEFT_RIGHT)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], dpi=(150, 150))
    doc = open_document(buf.getvalue(), "scan.tiff")
    assert len(doc.pages) == 2 and all(p.text_source == "ocr" for p in doc.pages)


def test_red_seal_fades_black_text_under_it_stays():
    rgb = np.full((10, 30, 3), 255, np.uint8)
    rgb[:, 10:20] = (215, 40, 40)  # seal ink
    rgb[:, 20:30] = (20, 20, 20)  # printed text
    gray = to_gray(rgb)
    assert gray[0, 0] == 255 and gray[0, 15] >= 200 and gray[0, 25] <= 30


# -- orientation and skew ----------------------------------------------------------------


@pytest.mark.parametrize("clockwise", [90, 180, 270])
def test_turned_pages_are_turned_back(clean_form, clockwise):
    upright_gray = np.asarray(clean_form.convert("L"))
    page = open_document(_png(turned(clean_form, clockwise), dpi=150), "scan.png").pages[0]
    assert (page.rotation + clockwise) % 360 == 0
    assert page.image.shape == upright_gray.shape
    assert np.abs(page.image.astype(int) - upright_gray).mean() < 3
    assert page.width == pytest.approx(595, abs=1)


@pytest.mark.parametrize("skew", [-2.0, 4.0])
def test_skew_is_measured_and_removed(skew):
    img, _ = draw_form(dpi=150, skew=skew, noise=8, seed=1)
    page = open_document(_png(img, dpi=150), "scan.png").pages[0]
    assert page.rotation == 0
    assert page.skew == pytest.approx(-skew, abs=0.25)


def test_upright_page_is_left_alone(clean_form):
    page = open_document(_png(clean_form, dpi=150), "scan.png").pages[0]
    assert (page.rotation, page.skew) == (0, 0.0)
