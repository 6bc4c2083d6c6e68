"""The id rule of the Python <-> Go seam (docs/interactions.md, "Ids").

Every user and item id, wherever it enters (training files, the interactions table) or
leaves (users.json/items.json of a checkpoint), passes :func:`check_id`; the Go side's
``interactions.CheckID`` applies the same rule with the same messages, and both test suites
run testdata/contract/interactions.json.
"""

from __future__ import annotations

import unicodedata

MAX_ID_BYTES = 256  # user and item ids, UTF-8


def check_id(s: str) -> str:
    """What is wrong with a user or item id, or "" when it is acceptable.

    An id is used exactly as given (never trimmed or normalised), so anything that would
    make two spellings look alike is refused: leading or trailing white space, control and
    invisible format characters, and text that is not valid Unicode. The messages are the
    Go side's (shared/interactions.CheckID) word for word.
    """
    if s == "":
        return "must not be empty"
    if len(s.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        return f"must be at most {MAX_ID_BYTES} bytes"
    cats = [unicodedata.category(c) for c in s]
    if "Cs" in cats or "\ufffd" in s:  # a lone surrogate, or what a decoder left of bad text
        return "must be valid Unicode text"
    if "Cc" in cats:
        return "must not contain control characters"
    if "Cf" in cats:
        return "must not contain invisible format characters"
    if cats[0].startswith("Z") or cats[-1].startswith("Z"):
        return "must not start or end with white space"
    return ""
