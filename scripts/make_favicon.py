"""Draws the platform favicon (src/getpower/web/static/web/favicon.ico): a yellow lightning bolt on the
site's blue, 16 and 32 px, 32-bit BMP images in an ICO file. Run: python3 scripts/make_favicon.py [OUT]"""
import struct
import sys

BLUE = (0x1f, 0x4e, 0x8c, 255)
BOLT = (0xf5, 0xc5, 0x18, 255)
# the bolt as a polygon in a 0..1 square
POLY = [(0.58, 0.06), (0.22, 0.56), (0.46, 0.56), (0.38, 0.94), (0.78, 0.40), (0.54, 0.40), (0.66, 0.06)]


def inside(x, y):
    n, hit = len(POLY), False
    for i in range(n):
        (x1, y1), (x2, y2) = POLY[i], POLY[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def image(size):
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            # 4x4 supersampling for smooth edges
            cover = sum(inside((px + (i + .5) / 4) / size, (py + (j + .5) / 4) / size) for i in range(4) for j in range(4)) / 16
            corner = min(px, py, size - 1 - px, size - 1 - py)
            rgba = tuple(round(b * (1 - cover) + c * cover) for b, c in zip(BLUE, BOLT))
            if corner == 0 and (px in (0, size - 1)) and (py in (0, size - 1)):
                rgba = (0, 0, 0, 0)  # rounded-ish corners
            row.append(rgba)
        rows.append(row)
    pixels = b"".join(bytes((b, g, r, a)) for row in reversed(rows) for (r, g, b, a) in row)  # bottom-up BGRA
    mask = b"\0" * (((size + 31) // 32) * 4 * size)
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, len(pixels) + len(mask), 0, 0, 0, 0)
    return header + pixels + mask


images = [image(16), image(32)]
out = struct.pack("<HHH", 0, 1, len(images))
offset = 6 + 16 * len(images)
for size, data in zip((16, 32), images):
    out += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(data), offset)
    offset += len(data)
out += b"".join(images)
open(sys.argv[1] if len(sys.argv) > 1 else "src/getpower/web/static/web/favicon.ico", "wb").write(out)
print(len(out))
