"""The application's icons (web/static/iconos/sigg-192.png and sigg-512.png), drawn with Pillow:
"SIGG" over the navy of the page's header, above a strip of the map's YlGnBu classes. Everything
sits inside the central circle of 80 % that a "maskable" icon must keep (the launcher may crop
the rest), so one file serves both purposes. Committed; run again after changing the design:

    .venv/bin/python scripts/iconos.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DESTINO = Path(__file__).resolve().parents[1] / "web" / "static" / "iconos"
FONDO = "#12355b"  # the manifest's theme colour
CLASES = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]  # ColorBrewer YlGnBu, 5
FUENTE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def fuente(tam: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Debian's DejaVu when present; otherwise Pillow's own scalable font.
    if FUENTE.exists():
        return ImageFont.truetype(str(FUENTE), tam)
    return ImageFont.load_default(size=tam)


def icono(lado: int) -> Image.Image:
    img = Image.new("RGB", (lado, lado), FONDO)
    d = ImageDraw.Draw(img)
    letra = fuente(round(lado * 0.25))
    d.text((lado / 2, lado * 0.43), "SIGG", font=letra, fill="white", anchor="mm")
    # The legend strip: five classes, within the maskable safe zone.
    ancho, alto = lado * 0.52, lado * 0.09
    x0, y0 = (lado - ancho) / 2, lado * 0.60
    paso = ancho / len(CLASES)
    for i, color in enumerate(CLASES):
        caja = (x0 + i * paso, y0, x0 + (i + 1) * paso, y0 + alto)
        d.rectangle(caja, fill=color, outline=FONDO, width=max(1, lado // 96))
    return img


def main() -> None:
    DESTINO.mkdir(parents=True, exist_ok=True)
    for lado in (192, 512):
        icono(lado).save(DESTINO / f"sigg-{lado}.png", optimize=True)
        print(DESTINO / f"sigg-{lado}.png")


if __name__ == "__main__":
    main()
