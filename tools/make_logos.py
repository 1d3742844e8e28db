"""Draw the two sample brand logos (templates/brand/*.png).

Run with `uv run --with pillow python tools/make_logos.py`. The real logos replace these
in production; these stand in so previews and the demo need nothing from the network.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "templates" / "brand"


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ):
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def logo(path: Path, mark: str, line: str, colour: str) -> None:
    # Twice the display size (2x for sharp rendering on retina screens).
    image = Image.new("RGBA", (400, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 120, 120), radius=18, fill=colour)
    draw.text((60, 60), mark, font=font(44), fill="white", anchor="mm")
    draw.text((140, 40), line.split("|")[0], font=font(30), fill=colour, anchor="lm")
    draw.text((140, 82), line.split("|")[1], font=font(19), fill="#333333", anchor="lm")
    image.save(path, optimize=True)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    logo(OUT / "var-logo.png", "VAR", "Veiligheids|Alliantie Rotterdam", "#004b87")
    logo(OUT / "riec-logo.png", "RIEC", "RIEC|Rotterdam", "#8a1538")
