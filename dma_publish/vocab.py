"""One vocabulary for text rules every stage shares: what text a spreadsheet would run as a
formula, which characters may not appear in published text, which codes no file system takes,
and how a value is quoted in a message. Defined once here; loaders, writers and the validation
report all use it."""

from __future__ import annotations

import re
import unicodedata

# A cell a spreadsheet runs as a formula starts with one of these (OWASP's CSV injection list,
# and the full-width forms some spreadsheets also accept). Leading spaces do not make it safe.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# What a cell's first character must be for it to need a closer look (cheap test on hot paths).
FORMULA_FIRST_CHARS = frozenset(FORMULA_TRIGGERS) | {" ", "\u00a0"}
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

# Characters that change how text is shown without being seen: bidirectional overrides,
# embeddings and isolates (they can make a name read as another), and control characters.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

# Names Windows refuses for a file, whatever the extension: codes become file names.
RESERVED_FILE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(10)} | {f"LPT{i}" for i in range(10)}
)

# A return is one organisation, care setting and year: the key of every per-return table.
RETURN_KEY = ["year", "org_code", "care_setting"]
# ICBs answer their own survey; every trust care setting answers the secondary-care survey.
ICB_SETTING = "icb"


def survey_of(care_setting: str) -> str:
    """The survey a care setting answers: ``icb`` for ICBs, ``secondary_care`` for trusts."""
    return "icb" if care_setting == ICB_SETTING else "secondary_care"


MESSAGE_VALUE_CHARS = 80  # the most of a value any message quotes
MESSAGE_CHARS = 1_000  # the most any one error message says


def is_formula_like(text: str) -> bool:
    """True for text a spreadsheet would run as a formula (a plain number such as -1.5 is not)."""
    stripped = text.lstrip(" \u00a0")
    if not stripped or not stripped.startswith(FORMULA_TRIGGERS):
        return False
    return not _PLAIN_NUMBER.match(stripped)


def quote_formula(text: str) -> str:
    """Text made safe for a spreadsheet cell: formula-like text gets a leading apostrophe."""
    return "'" + text if is_formula_like(text) else text


def hidden_character(text: str) -> str | None:
    """The first bidirectional control or other control character in text, or None."""
    for char in text:
        if char in BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and char not in "\n\t"):
            return char
    return None


def text_fault(text: str) -> tuple[str, str] | None:
    """Why a text value may not be published as it is, as (rule, message), or None if it may."""
    if is_formula_like(text):
        first = text.lstrip(" \u00a0")[0]
        return "formula_like_text", (
            f"{excerpt(text)} starts with {first!r}: a spreadsheet would run it as a formula"
        )
    char = hidden_character(text)
    if char is not None:
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        return "hidden_character", (
            f"{excerpt(text)} holds the invisible character U+{ord(char):04X} ({name}), which can "
            "change how the text reads"
        )
    return None


def is_reserved_file_name(code: str) -> bool:
    """True for a code that Windows cannot use as a file name (CON, NUL, COM1, ...)."""
    return code.split(".")[0].upper() in RESERVED_FILE_NAMES


def excerpt(value: object, limit: int = MESSAGE_VALUE_CHARS) -> str:
    """A value as a message quotes it: its repr, cut to `limit` characters with the full length."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f"... ({len(text):,} characters)"


def cap_message(message: str, limit: int = MESSAGE_CHARS) -> str:
    """A message no longer than `limit` characters (defence in depth against huge values)."""
    if len(message) <= limit:
        return message
    return message[:limit] + f"... (message cut: {len(message):,} characters)"
