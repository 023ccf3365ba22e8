"""A script's source read as ``python SCRIPT.py`` reads it (PEP 263).

Chinese tutorials of 2016-2018 were often saved in GBK with ``# -*- coding: gbk -*-``, European
ones in latin-1, Windows editors added a UTF-8 byte-order mark: Python decodes each by its
declaration, and so does the runner.  A file that is not UTF-8 and declares nothing gets the
line and byte that do not decode, and the fix.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from pathlib import Path


class SourceEncodingError(ValueError):
    """The script's bytes are not in the encoding it declares (or UTF-8, declaring none)."""


def read_source(path: Path) -> str:
    """The script's text, decoded as Python decodes a source file (PEP 263): the encoding its
    ``# -*- coding: NAME -*-`` line declares (a GBK or latin-1 tutorial), UTF-8 with or without
    a byte-order mark otherwise; newlines universal.  ``SourceEncodingError`` names the line
    and byte that do not decode, and the fix."""
    raw = path.read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as e:
        if raw.startswith(codecs.BOM_UTF8) and "encoding problem" in str(e):
            raise SourceEncodingError(
                f"{path}: it starts with a UTF-8 byte-order mark but its coding line declares "
                "another encoding: remove the coding line (or the mark)"
            ) from e
        if "missing encoding declaration" not in str(e):  # an unknown encoding
            raise SourceEncodingError(
                f"{path}: {e.msg}: declare an encoding Python knows (e.g. "
                "`# -*- coding: gbk -*-`, `latin-1`, `utf-8`)"
            ) from e
        encoding = "utf-8"  # none declared, and the first lines are not UTF-8: say where
    try:
        return io.TextIOWrapper(io.BytesIO(raw), encoding, newline=None).read()
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        byte = raw[e.start : e.start + 1].hex()
        if encoding not in ("utf-8", "utf-8-sig") or _declares(raw):
            problem = f"byte 0x{byte} is not {encoding}, the encoding its coding line declares"
            fix = "declare the one it was saved in (PEP 263)"
        else:
            problem = f"not UTF-8 (byte 0x{byte}) and no coding line"
            fix = "save it as UTF-8, or declare the encoding it was saved in (PEP 263)"
        examples = "`# -*- coding: gbk -*-` (Chinese Windows) or `# -*- coding: latin-1 -*-`"
        raise SourceEncodingError(
            f"{path}:{line}: {problem}: {fix} as its first line, e.g. {examples}"
        ) from e


def _declares(raw: bytes) -> bool:
    """A PEP 263 coding line in the first two lines."""
    head = b"\n".join(raw.splitlines()[:2])
    return re.search(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+", head, re.M) is not None
