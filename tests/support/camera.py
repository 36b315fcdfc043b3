"""A film of a label for Chromium's fake camera: a Y4M video written from Python.

Chromium plays ``--use-file-for-fake-video-capture=<file>.y4m`` as the camera, in a
loop, at the frame rate the file states. The label is a barcode drawn by zxing-cpp,
held up to the camera for a moment and taken away again, as a clerk scanning piece
after piece does.
"""

from pathlib import Path

import zxingcpp
from PIL import Image, ImageFilter

WIDTH, HEIGHT, FPS = 640, 480, 10
TABLE, PAPER = 96, 250  # grey levels: the packing table and the label
MODULE_PX = {"EAN13": 3, "Code128": 3, "QRCode": 6}  # a label about a third of the picture


def label_video(
    path: Path, code: str, symbology: str = "EAN13", *, in_view: int = 10, away: int = 20
) -> Path:
    """Write a video of ``code`` on a label, as a ``symbology`` (a zxing-cpp BarcodeFormat
    name: EAN13, Code128, QRCode): ``in_view`` frames of the label in the middle of the
    picture, then ``away`` frames of the empty table (at 10 frames a second, by default
    1 s of label and 2 s without, 3 s a loop)."""
    drawn = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat[symbology])
    drawn = drawn.to_image(scale=MODULE_PX[symbology], add_quiet_zones=True)
    height, width = drawn.shape
    bars = Image.frombuffer("L", (width, height), bytes(memoryview(drawn)), "raw", "L", 0, 1)
    table = Image.new("L", (WIDTH, HEIGHT), TABLE)
    label = table.copy()
    left, top = (WIDTH - width) // 2, (HEIGHT - height) // 2
    label.paste(PAPER, (left - 20, top - 20, left + width + 20, top + height + 20))
    label.paste(bars, (left, top))
    # A camera, not a scanner: a little out of focus.
    label = label.filter(ImageFilter.GaussianBlur(0.8))
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in [label] * in_view + [table] * away:
            video.write(b"FRAME\n" + _yuv420(frame))
    return path


def _yuv420(grey: Image.Image) -> bytes:
    """A grey picture as the Y, U and V planes of 4:2:0 (no colour: U and V at 128)."""
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    return grey.tobytes() + chroma + chroma
