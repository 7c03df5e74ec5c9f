"""Errors a user can act on: a stable code and a one-line message naming the file."""

from __future__ import annotations


class JixiaoError(Exception):
    code = "error"
    http_status = 422

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class BadInput(JixiaoError):
    """The file cannot be read as a PDF or an image (empty, truncated, encrypted, not a document)."""

    code = "bad_input"


class LimitExceeded(JixiaoError):
    """The file is over one of jixiao's stated limits (size, pages, pixels)."""

    code = "limit_exceeded"
    http_status = 413


class NoContent(JixiaoError):
    """The document has nothing to read (blank pages only)."""

    code = "no_content"
