"""Checks on a published report, dependency-free: the PDF's pages as PNG (pdftoppm, from
poppler-utils) and how much of each page is ink; the figures an HTML report states with
the mart rows they name.

    page_ink(Path("report.pdf"))          -> [0.08, 0.21, ...] share of non-white pixels per page
    pdf_to_pngs(pdf, folder); png_ink(png) -> the same for a page as PNG (screenshots)
    pdf_text(pdf)                         -> the PDF's text, as a reader would copy it (pdftotext)
    figures(html_text)                    -> [{"mart": ..., "key": {...}, "field": ..., "value": ..., "text": ...}]
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser
from pathlib import Path


class ToolMissing(RuntimeError):
    """pdftoppm or pdftotext is not installed (Debian: apt-get install poppler-utils)."""


def pdf_to_pngs(
    pdf: Path, folder: Path, *, resolution: int = 50, first: int | None = None, last: int | None = None
) -> list[Path]:
    """Every page (or first..last) of the PDF as <folder>/page-N.png."""
    tool = shutil.which("pdftoppm")
    if not tool:
        raise ToolMissing("pdftoppm not found: install poppler-utils")
    folder.mkdir(parents=True, exist_ok=True)
    args = [tool, "-r", str(resolution), "-png"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    subprocess.run(args + [str(pdf), str(folder / "page")], check=True, capture_output=True)
    return sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def pdf_text(pdf: Path) -> str:
    """The PDF's text in reading order (pdftotext, from poppler-utils); pages end with a form feed."""
    tool = shutil.which("pdftotext")
    if not tool:
        raise ToolMissing("pdftotext not found: install poppler-utils")
    return subprocess.run([tool, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def read_png(path: Path) -> tuple[int, int, int, bytes]:
    """(width, height, channels, raw pixel bytes) of an 8-bit, non-interlaced PNG (what
    pdftoppm writes): chunks, zlib, and the five scanline filters."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, width = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace:
                raise ValueError(f"{path}: only 8-bit non-interlaced PNGs are supported")
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if f == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif f == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        out[y * stride : (y + 1) * stride] = line
        prev = line
    return width, height, channels, bytes(out)


def png_ink(path: Path, threshold: int = 245) -> float:
    """Share of pixels of a PNG (a screenshot of a page) that are not (near) white: a
    pixel is dark when any colour channel is below the threshold."""
    width, height, channels, pixels = read_png(path)
    table = _dark_table(threshold)
    colour = min(channels, 3)
    marks = pixels.translate(table)
    dark = 0
    for c in range(colour):
        channel = marks[c::channels]
        dark = channel if c == 0 else bytes(a | b for a, b in zip(dark, channel, strict=True))
    return bytes(dark).count(1) / (width * height)


def _dark_table(threshold: int) -> bytes:
    return bytes(1 if i < threshold else 0 for i in range(256))


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    """(width, height, pixels) of a binary greyscale PGM (P5, what `pdftoppm -gray` writes)."""
    data = Path(path).read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; comments start with #
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P5" or int(fields[3]) > 255:
        raise ValueError(f"{path} is not an 8-bit binary PGM")
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1 : pos + 1 + width * height]


def page_ink(pdf: Path, *, resolution: int = 50, threshold: int = 245) -> list[float]:
    """Share of non-white pixels on each page of the PDF (0.0 = a blank page), from
    `pdftoppm -gray` pages counted with a byte table (fast enough for 80 pages)."""
    tool = shutil.which("pdftoppm")
    if not tool:
        raise ToolMissing("pdftoppm not found: install poppler-utils")
    table = _dark_table(threshold)
    with tempfile.TemporaryDirectory(prefix="councilbench-pages-") as tmp:
        subprocess.run(
            [tool, "-r", str(resolution), "-gray", str(pdf), str(Path(tmp) / "page")], check=True, capture_output=True
        )
        pages = sorted(Path(tmp).glob("page-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        out = []
        for page in pages:
            width, height, pixels = read_pgm(page)
            out.append(pixels.translate(table).count(1) / (width * height))
        return out


class _FigureParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures: list[dict] = []
        self._open: list[tuple[str, dict | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        fig = None
        if a.get("data-mart") and a.get("data-key") and a.get("data-field") is not None and "data-value" in a:
            key = dict(part.split("=", 1) for part in a["data-key"].split("; ") if "=" in part)
            fig = {
                "tag": tag,
                "mart": a["data-mart"],
                "key": key,
                "field": a["data-field"],
                "value": a["data-value"],
                "text": "",
            }
            self.figures.append(fig)
        if tag not in ("br", "img", "meta", "link", "input", "hr", "col", "path", "circle", "rect", "line"):
            self._open.append((tag, fig))

    def handle_endtag(self, tag):
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, text):
        for _, fig in self._open:
            if fig is not None:
                fig["text"] += text


def figures(html: str) -> list[dict]:
    """Every element that states a figure with its source (data-mart, data-key,
    data-field, data-value), with the text it shows."""
    parser = _FigureParser()
    parser.feed(html)
    for f in parser.figures:
        f["text"] = " ".join(f["text"].split())
    return parser.figures
