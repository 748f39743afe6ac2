"""Reading an orch file's text: UTF-8 with an optional byte order mark; a file that
cannot be read or decoded is a diagnostic. Apart from `parse.py` so that reading needs
no parser (a program read from the cache is never parsed).
"""

from __future__ import annotations

from pathlib import Path

from .diagnostics import Diagnostic
from .source import Span


def read_source(path: Path, display: str) -> tuple[str | None, list[Diagnostic]]:
    """The text of `path`, decoded as UTF-8 (a leading byte order mark is dropped)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return None, [Diagnostic.error(None, f"cannot read '{display}': {reason}")]
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), []
    except UnicodeDecodeError as error:
        return None, [_not_utf8(display, data, error)]


def _not_utf8(display: str, data: bytes, error: UnicodeDecodeError) -> Diagnostic:
    before = data[: error.start]
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    span = Span(display, before.count(b"\n") + 1, column)
    byte = data[error.start]
    return Diagnostic.error(
        span, f"the file is not valid UTF-8: byte 0x{byte:02x} cannot start here"
    )
