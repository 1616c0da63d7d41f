"""Names from outside (uploaded and attached file names, recorded paths) as they are kept.

A client chooses a file name freely: an escape sequence, a newline or a bidirectional override in
it would reach the registry, the logs, the audit log and the web UI. `clean_name` drops every
control and format character (Unicode category C) and normalises to NFC before a name is stored.
"""

from __future__ import annotations

import unicodedata


def clean_name(raw: str) -> str:
    """`raw` in NFC without control or format characters (ESC, CR, LF, NUL, U+202E, ...)."""
    text = unicodedata.normalize("NFC", raw)
    return "".join(char for char in text if not unicodedata.category(char).startswith("C"))
