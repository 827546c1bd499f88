"""Pictures for the demo data, drawn with Pillow (nothing is downloaded).

`avatar_png()` draws a flat-illustration portrait (gradient backdrop, shoulders, face, hair) whose
colours and hair style are chosen from a seed, so every demo pro looks different but the same run
after run.
"""

import hashlib
import io

from PIL import Image, ImageChops, ImageDraw, ImageFilter

BACKDROPS = [
    ("#6366f1", "#a855f7"),
    ("#0ea5e9", "#6366f1"),
    ("#10b981", "#0ea5e9"),
    ("#f59e0b", "#ef4444"),
    ("#ec4899", "#8b5cf6"),
    ("#14b8a6", "#22c55e"),
    ("#f97316", "#ec4899"),
    ("#3b82f6", "#06b6d4"),
]
SKIN = ["#f6d5c0", "#eab89b", "#d59a76", "#b97a56", "#8d5a3b", "#6b4129"]
HAIR = ["#2b1d16", "#4a3024", "#7a4a2a", "#b7793e", "#d9b36c", "#1f1f2e", "#8c8c99"]
SHIRTS = ["#1e293b", "#f8fafc", "#0f766e", "#be123c", "#1d4ed8", "#854d0e", "#4c1d95"]


def _pick(options, digest: bytes, index: int):
    return options[digest[index] % len(options)]


def _gradient(size: int, top: str, bottom: str) -> Image.Image:
    """A diagonal two-colour gradient."""
    a = Image.new("RGB", (size, size), top)
    b = Image.new("RGB", (size, size), bottom)
    vertical = Image.linear_gradient("L").resize((size, size))
    mask = ImageChops.add(vertical, vertical.transpose(Image.Transpose.ROTATE_90), scale=2)
    return Image.composite(b, a, mask)


def avatar_png(seed: str, *, size: int = 512, long_hair: bool | None = None) -> bytes:
    """A square portrait PNG, deterministic for a given seed (e.g. the pro's slug)."""
    digest = hashlib.sha256(seed.encode()).digest()
    top, bottom = _pick(BACKDROPS, digest, 0)
    skin = _pick(SKIN, digest, 1)
    hair = _pick(HAIR, digest, 2)
    shirt = _pick(SHIRTS, digest, 3)
    if long_hair is None:
        long_hair = digest[4] % 2 == 0
    big = size * 2  # draw at twice the size, then downsample for smooth edges
    s = big / 512

    # The soft backdrop is drawn small and scaled up: blurring at full size is slow.
    small = 128
    backdrop = _gradient(small, top, bottom).convert("RGBA")
    glow = Image.new("RGBA", (small, small), (0, 0, 0, 0))
    ImageDraw.Draw(glow).ellipse([65, -30, 160, 65], fill=(255, 255, 255, 60))
    backdrop = Image.alpha_composite(backdrop, glow.filter(ImageFilter.GaussianBlur(10)))
    image = backdrop.resize((big, big), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)

    def box(x0, y0, x1, y1):
        return [int(x0 * s), int(y0 * s), int(x1 * s), int(y1 * s)]

    if long_hair:  # hair falling behind the shoulders
        draw.rounded_rectangle(box(150, 150, 362, 420), radius=int(100 * s), fill=hair)
    draw.ellipse(box(86, 360, 426, 700), fill=shirt)  # shoulders
    draw.rectangle(box(226, 300, 286, 390), fill=skin)  # neck
    draw.ellipse(box(206, 350, 306, 400), fill=skin)  # neckline
    draw.ellipse(box(166, 130, 346, 330), fill=skin)  # face
    # Hair on top of the head: a cap cut by the forehead line.
    draw.chord(box(156, 108, 356, 300), start=180, end=360, fill=hair)
    draw.ellipse(box(160, 150, 200, 250), fill=hair)
    draw.ellipse(box(312, 150, 352, 250), fill=hair)
    # Ears and a hint of a smile.
    draw.ellipse(box(156, 215, 180, 255), fill=skin)
    draw.ellipse(box(332, 215, 356, 255), fill=skin)
    draw.arc(box(226, 250, 286, 290), start=20, end=160, fill="#7c2d12", width=int(5 * s))
    draw.ellipse(box(213, 225, 229, 241), fill="#1f2937")
    draw.ellipse(box(283, 225, 299, 241), fill="#1f2937")

    out = io.BytesIO()
    image.convert("RGB").resize((size, size), Image.Resampling.LANCZOS).save(
        out, "PNG", compress_level=1
    )
    return out.getvalue()
