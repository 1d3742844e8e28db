"""Draw the two sample brand logos (templates/brand/*.png).

Run with `uv run --with pillow python tools/make_logos.py`. The real logos replace these
in production; these stand in so previews and the demo need nothing from the network.

Two things keep a logo legible in every client:
- an opaque white plate (rounded) behind the artwork: Gmail, classic Outlook and Yahoo
  darken emails themselves and ignore the template's dark-mode CSS, and dark artwork on
  a transparent background would vanish into their dark background;
- a canvas cropped tight to the plate, drawn at twice the display width (200 and 160 px
  in the header), so the small print stays sharp and the logo sits where it is aligned.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "templates" / "brand"
PAD = 12  # plate margin around the artwork, in image pixels (6 CSS px at 2x)
PLATE_RADIUS = 16
SECOND_LINE = "#333333"


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ):
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def logo(path: Path, mark: str, line: str, colour: str) -> None:
    """The mark in a coloured square, two lines of wordmark beside it, on a white plate
    exactly as large as the artwork plus ``PAD``. Both logos share one scale (the same
    height), so the header shows them at half their pixel width."""
    first, second = line.split("|")
    big, small = font(36), font(25)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_width = max(probe.textlength(first, font=big), probe.textlength(second, font=small))
    square = 104
    art_width = square + 16 + int(text_width) + 2
    canvas = (art_width + 2 * PAD, square + 2 * PAD)
    image = Image.new("RGBA", canvas, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, canvas[0] - 1, canvas[1] - 1), radius=PLATE_RADIUS, fill="white")
    draw.rounded_rectangle((PAD, PAD, PAD + square, PAD + square), radius=14, fill=colour)
    draw.text((PAD + square / 2, PAD + square / 2), mark, font=font(38), fill="white", anchor="mm")
    left = PAD + square + 16
    draw.text((left, PAD + 32), first, font=big, fill=colour, anchor="lm")
    draw.text((left, PAD + 76), second, font=small, fill=SECOND_LINE, anchor="lm")
    image.save(path, optimize=True)
    print(f"{path.name}: {canvas[0]}x{canvas[1]} px, show at {canvas[0] // 2} px wide")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    logo(OUT / "var-logo.png", "VAR", "Veiligheids|Alliantie Rotterdam", "#004b87")
    logo(OUT / "riec-logo.png", "RIEC", "RIEC|Rotterdam", "#8a1538")
