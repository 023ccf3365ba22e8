"""Turn anyone's digit image into an MNIST digit, the way MNIST itself was made.

Post 003 ends with "put your own images in": grayscale, 28x28, flatten, scale. A bare resize of a
phone photo gives the network something it never saw: dark ink on grey paper, a digit filling a
corner. MNIST's digits were made otherwise (LeCun et al.): the ink is high on a zero background;
each digit was size-normalised to fit a 20x20 box keeping its aspect ratio, anti-aliased, and
placed in a 28x28 field so that its centre of mass is at the centre.  ``to_mnist`` does the same:

1. read any image Pillow reads (first frame, EXIF rotation applied; regular files only; one
   larger than ``MAX_SIDE`` decoded downscaled), composite transparency on white, convert to
   grayscale in [0, 1] (16-bit images keep their range);
2. ink polarity from the border: a light border (paper) means dark ink, so invert;
3. remove the background: a plane fitted to the border (uneven lighting) plus a noise margin from
   the border's spread; on photos also a median filter and a morphological opening, so paper
   texture and specks are not ink; stretch so the ink's peak is 1;
4. crop to the ink's bounding box, scale its longer side to 20 pixels (Lanczos, anti-aliased);
5. paste into 28x28 with the centre of mass at pixel (14, 14), as in MNIST;
6. quantise to 1/255 steps, like the dataset's ``uint8 / 255``.

An MNIST digit goes through unchanged (within 1/255): its border is 0, its box is already 20
pixels and its centre of mass already rounds to (14, 14).
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from tf1_mnist.support.errors import Error

SIZE = 28  # MNIST field
BOX = 20  # MNIST's size-normalisation box
CENTRE = 14.0  # where MNIST's centres of mass lie (pixel index; measured: 13.5..14.5)
# Longest side an image is processed at.  Larger ones are decoded downscaled: a 20-pixel digit
# needs no more, and a pen stroke of a 4000-pixel photo stays a few pixels wide, which the
# photo path's 3x3 median filter and opening keep.
MAX_SIDE = 2048


class ImageError(Error, ValueError):
    """An input that cannot become a digit; the message names the file and the fault."""


def read_gray(path: str | os.PathLike) -> np.ndarray:
    """Grayscale float64 [H, W] in [0, 1] of any image Pillow reads; ImageError otherwise.

    Only a regular file is read (a FIFO would block forever); an image larger than
    ``MAX_SIDE`` is decoded downscaled (``_bounded``).
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # Past Pillow's MAX_IMAGE_PIXELS it only warns (error at twice): refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open_regular(path) as file, Image.open(file) as img:
                img.seek(0)  # first frame of a GIF/TIFF
                if max(img.size) > MAX_SIDE:
                    img.draft(None, _fit(img.size))  # JPEG: decoded at 1/2, 1/4 or 1/8 scale
                img.load()
                return _gray(_bounded(ImageOps.exif_transpose(img) or img))
    except ImageError:
        raise
    except FileNotFoundError as e:
        raise ImageError(f"{path}: no such file") from e
    except IsADirectoryError as e:
        raise ImageError(f"{path}: is a folder") from e
    except PermissionError as e:
        raise ImageError(f"{path}: permission denied") from e
    except UnidentifiedImageError as e:
        raise ImageError(f"{path}: not an image Pillow can read") from e
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError(f"{path}: too large to decode safely ({e}); downscale it first") from e
    except (OSError, SyntaxError, ValueError) as e:  # truncated or corrupt payload
        raise ImageError(f"{path}: unreadable image ({e})") from e


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (or a link to one); ImageError for
    a FIFO, socket or device, without blocking on it (a FIFO's open waits for a writer)."""
    _check_regular(path, os.stat(path).st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # replaced by a FIFO since: still no wait
    try:
        _check_regular(path, os.fstat(fd).st_mode)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_regular(path: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    if not stat.S_ISREG(mode):
        kind = _SPECIAL_FILES.get(stat.S_IFMT(mode), "special file")
        raise ImageError(f"{path}: not a regular file (a {kind}); skipped")


_SPECIAL_FILES = {
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
}


def _fit(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled (aspect kept) so that its longer side is ``MAX_SIDE``."""
    scale = MAX_SIDE / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _bounded(img: Image.Image) -> Image.Image:
    """``img`` itself, or downscaled (Lanczos, after an exact integer ``reduce``) so that its
    longer side is ``MAX_SIDE``: preprocessing works in float64 on every pixel, and a digit
    ends as 20 pixels anyway."""
    if max(img.size) <= MAX_SIDE:
        return img
    if img.mode in ("1", "P", "PA") or "transparency" in img.info:
        # Resizing these would be nearest-neighbour (or lose the transparent colour's meaning).
        alpha = img.mode == "PA" or "transparency" in img.info
        img = img.convert("RGBA" if alpha else "L" if img.mode == "1" else "RGB")
    gap = None if img.mode.startswith("I;16") else 3.0  # ``reduce`` has no 16-bit modes
    return img.resize(_fit(img.size), Image.LANCZOS, reducing_gap=gap)


def _gray(img: Image.Image) -> np.ndarray:
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return np.asarray(img, dtype=np.float64) / 65535.0
    if img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        top = 1.0 if values.max() <= 1.0 else 255.0 if values.max() <= 255 else 65535.0
        return np.clip(values / top, 0.0, 1.0)
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.asarray(img.convert("L"), dtype=np.float64) / 255.0


def _border(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The outer frame's values and their coordinates (about 5% of each side, at least 1 px)."""
    h, w = a.shape
    t = max(1, min(h, w) // 20)
    mask = np.zeros(a.shape, bool)
    mask[:t], mask[-t:], mask[:, :t], mask[:, -t:] = True, True, True, True
    ys, xs = np.nonzero(mask)
    return a[mask], ys, xs


def ink_image(gray: np.ndarray, name: str = "image") -> np.ndarray:
    """Ink high on a zero background, peak 1 (steps 2-3); ImageError if there is no ink."""
    values, ys, xs = _border(gray)
    ink = 1.0 - gray if np.median(values) > 0.5 else gray.copy()
    background, raw_noise = _fit_background(ink, ys, xs)
    noise = raw_noise
    photo = min(ink.shape) >= 2 * SIZE  # a photo or scan, not a digit-sized image
    if photo:
        ink = _filter(ink, ImageFilter.MedianFilter(3))  # salt-and-pepper noise
        background, noise = _fit_background(ink, ys, xs)
    # Noise margin: 4 sigma of the (filtered) frame, at least 3 of the raw pixel noise.
    ink = ink - background - max(4.0 * noise, 3.0 * raw_noise)
    ink[ink < 0] = 0.0
    if photo:
        # Opening (erode, dilate) finds the strokes; specks of paper texture left over from the
        # threshold are dropped, the strokes' anti-aliased edges kept.
        strokes = _filter(ink > 0, ImageFilter.MinFilter(3), ImageFilter.MaxFilter(5)) > 0
        if strokes.any():
            ink[~strokes] = 0.0
    peak = ink.max()  # photos were median-filtered above, so a lone noisy pixel is gone
    if peak < 0.1:
        raise ImageError(f"{name}: no ink found (a blank or nearly uniform image)")
    return np.minimum(ink / peak, 1.0)


def _fit_background(ink: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, float]:
    """A plane fitted to the frame (uneven lighting), and the frame's noise around it.

    Ink touching the frame is left out of the fit: refit without the outliers.
    """
    values = ink[ys, xs]
    design = np.column_stack([np.ones_like(ys), ys, xs]).astype(np.float64)
    keep = np.ones(len(values), bool)
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        residual = values - design @ coef
        noise = _robust_sigma(residual[keep])
        keep = residual <= 3.0 * noise
    yy, xx = np.mgrid[: ink.shape[0], : ink.shape[1]]
    return coef[0] + coef[1] * yy + coef[2] * xx, noise


def _robust_sigma(values: np.ndarray) -> float:
    """Standard deviation from the median absolute deviation (ink in the frame is ignored)."""
    if values.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def _filter(a: np.ndarray, *filters: ImageFilter.Filter) -> np.ndarray:
    """Apply Pillow rank filters to a [0, 1] (or boolean) image, at 8-bit precision."""
    img = Image.fromarray(np.round(np.asarray(a, dtype=np.float64) * 255).astype(np.uint8))
    for f in filters:
        img = img.filter(f)
    return np.asarray(img, dtype=np.float64) / 255.0


def fit_to_field(ink: np.ndarray) -> np.ndarray:
    """Steps 4-5: the ink's box scaled to fit 20x20, centred by mass in 28x28."""
    ys, xs = np.nonzero(ink > 0)
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    if max(h, w) != BOX:
        scale = BOX / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        # Lanczos on the float image: anti-aliased like MNIST's normalisation.
        crop = np.asarray(
            Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.LANCZOS),
            dtype=np.float64,
        )
        # MNIST's strokes peak at 254-255 after its anti-aliasing: stretch back to 1.
        crop = np.clip(crop / crop.max(), 0.0, 1.0)
        h, w = crop.shape
    field = np.zeros((SIZE, SIZE))
    top, left = (SIZE - h) // 2, (SIZE - w) // 2
    field[top : top + h, left : left + w] = crop
    total = field.sum()
    com_y = (field.sum(axis=1) * np.arange(SIZE)).sum() / total
    com_x = (field.sum(axis=0) * np.arange(SIZE)).sum() / total
    dy = int(np.floor(CENTRE - com_y + 0.5))
    dx = int(np.floor(CENTRE - com_x + 0.5))
    dy = min(max(dy, -top), SIZE - h - top)  # never push ink out of the field
    dx = min(max(dx, -left), SIZE - w - left)
    out = np.zeros((SIZE, SIZE))
    out[top + dy : top + dy + h, left + dx : left + dx + w] = crop
    return out


def to_mnist(gray: np.ndarray, name: str = "image") -> np.ndarray:
    """A grayscale [H, W] image in [0, 1] as an MNIST digit: float32 [784] in [0, 1]."""
    digit = fit_to_field(ink_image(gray, name))
    return (np.round(digit * 255.0) / 255.0).astype(np.float32).reshape(SIZE * SIZE)


def load(path: str | os.PathLike) -> np.ndarray:
    """Read and preprocess one image file: float32 [784], or ImageError naming the file."""
    return to_mnist(read_gray(path), str(path))
