"""MNIST test digits dressed up as users' photos and scans, written in every format the
predictor must read (made in the test's temp folder, never committed)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

KINDS = ("pencil", "blue_jpeg", "transparent", "chalkboard", "shadow16", "palette_gif", "bmp")


def _upscale(digit: np.ndarray, factor: int) -> np.ndarray:
    """A 28x28 uint8 digit (ink high) as a smooth [0, 1] image ``factor`` times larger."""
    big = Image.fromarray(digit).resize((28 * factor, 28 * factor), Image.BICUBIC)
    return np.clip(np.asarray(big, dtype=np.float64) / 255.0, 0.0, 1.0)


def _on_canvas(ink: np.ndarray, shape: tuple[int, int], at: tuple[int, int]) -> np.ndarray:
    canvas = np.zeros(shape)
    h, w = ink.shape
    canvas[at[0] : at[0] + h, at[1] : at[1] + w] = ink
    return canvas


def photo(digit: np.ndarray, kind: str, folder: Path, stem: str, seed: int = 0) -> Path:
    """Write ``digit`` (28x28 uint8, MNIST polarity) as a photo-like image of ``kind``."""
    rng = np.random.RandomState(seed)
    if kind == "pencil":  # grey pencil on white paper, large and off-centre, PNG
        ink = _on_canvas(_upscale(digit, 10), (480, 640), (20, 340))
        grey = 0.93 - 0.7 * ink + rng.normal(0, 0.02, ink.shape)
        path = folder / f"{stem}.png"
        Image.fromarray(_u8(grey)).save(path)
    elif kind == "blue_jpeg":  # blue ballpoint on cream paper, noisy phone JPEG
        ink = _on_canvas(_upscale(digit, 8), (400, 300), (160, 20))
        paper = np.array([0.95, 0.92, 0.82])
        colour = np.array([0.15, 0.2, 0.6])
        rgb = paper + ink[..., None] * (colour - paper) + rng.normal(0, 0.03, ink.shape + (3,))
        path = folder / f"{stem}.jpg"
        Image.fromarray(_u8(rgb)).save(path, quality=80)
    elif kind == "transparent":  # black strokes on a transparent background, RGBA PNG
        ink = _on_canvas(_upscale(digit, 6), (200, 260), (10, 90))
        rgba = np.zeros(ink.shape + (4,))
        rgba[..., 3] = ink
        path = folder / f"{stem}.png"
        Image.fromarray(_u8(rgba), mode="RGBA").save(path)
    elif kind == "chalkboard":  # white chalk on a dark green board, JPEG
        ink = _on_canvas(_upscale(digit, 5), (220, 180), (70, 10))
        board = np.array([0.1, 0.25, 0.15])
        rgb = board + ink[..., None] * (np.array([0.9, 0.9, 0.9]) - board)
        rgb += rng.normal(0, 0.03, rgb.shape)
        path = folder / f"{stem}.jpg"
        Image.fromarray(_u8(rgb)).save(path, quality=85)
    elif kind == "shadow16":  # paper lit from one side (a gradient), 16-bit greyscale PNG
        ink = _on_canvas(_upscale(digit, 12), (360, 480), (12, 20))
        light = np.linspace(0.95, 0.55, ink.shape[1])[None, :]
        grey = light * (1.0 - 0.8 * ink)
        path = folder / f"{stem}.png"
        Image.fromarray(np.round(grey * 65535).astype(np.uint16)).save(path)
    elif kind == "palette_gif":  # two frames: the digit first, then an unrelated frame
        ink = _on_canvas(_upscale(digit, 4), (150, 150), (30, 10))
        first = Image.fromarray(_u8(1.0 - ink)).convert("P")
        other = Image.fromarray(_u8(np.full(ink.shape, 0.5))).convert("P")
        path = folder / f"{stem}.gif"
        first.save(path, save_all=True, append_images=[other])
    elif kind == "bmp":  # a plain 28x28 MNIST digit, as a user might export it
        path = folder / f"{stem}.bmp"
        Image.fromarray(digit).save(path)
    else:
        raise ValueError(kind)
    return path


def _u8(a: np.ndarray) -> np.ndarray:
    return np.round(np.clip(a, 0.0, 1.0) * 255).astype(np.uint8)


def bomb_png(path: Path, side: int = 20000) -> Path:
    """A tiny PNG whose header claims ``side`` x ``side`` pixels: past Pillow's bomb limit."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    return path
