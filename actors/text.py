"""What text people write for others may hold: posts and replies, pseudonyms, subnet and
invitation names.

Text is shown to other people, on other trusts' nodes too, so what is stored must be text as a
reader sees it: nothing hidden that changes how it reads, nothing a database or a terminal
treats specially. The rules, applied by every entry point (web forms, the CLI, `actors/`
operations) through `post_text` and `line_text`:

* **Normalised:** Unicode NFC (one spelling of "é", so search, length and comparison agree), and
  line breaks as ``\\n`` (a browser's ``\\r\\n`` and a lone ``\\r`` alike). Leading and trailing
  white space is trimmed. Nothing else is changed silently.
* **Refused, telling the author which character and why:** NUL and every other C0/C1 control
  except newline and tab (ESC, so terminal escape sequences, included); the bidirectional
  overrides and isolates U+202A–U+202E and U+2066–U+2069 (they make text read differently from
  how it is stored, as in "Trojan Source"); Unicode noncharacters (U+FDD0–U+FDEF and the last
  two code points of every plane); lone surrogates. A single-line text (a name) refuses newlines
  and tabs too.
* **Empty when nothing shows:** text made only of white space and invisible characters
  (zero-width spaces and joiners, word joiners, byte-order marks, Hangul fillers, other format
  characters) counts as empty, and is refused like an empty post. Such characters are kept
  inside visible text, where some are needed (a zero-width joiner in an emoji sequence).
"""

from __future__ import annotations

import unicodedata

from actors.errors import Invalid

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = frozenset(
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u2060\u2061\u2062\u2063\u2064\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"
)
"""Characters that show nothing, beyond those Unicode classes as space or format (Zs, Cf)."""


class TextRefused(Invalid):
    """Text holding a character it may not; the message names it for the author."""


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name.title()}" if name else code


def _refused_reason(char: str, single_line: bool) -> str | None:
    code = ord(char)
    if char in "\n\t":
        return "a line break or tab" if single_line else None
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return "a hidden control character"
    if char in BIDI_CONTROLS:
        return "a hidden character that reverses the direction of the text"
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return "a character that is not allowed in text (a Unicode noncharacter)"
    if 0xD800 <= code <= 0xDFFF:
        return "a broken character (a lone surrogate)"
    return None


def _checked(value: str, what: str, single_line: bool, field: str | None) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for char in value:
        reason = _refused_reason(char, single_line)
        if reason is not None:
            raise TextRefused(
                f"{what} contains {reason} ({_describe(char)}), which cannot be shown to others. "
                "Remove it and try again.",
                field,
            )
    return unicodedata.normalize("NFC", value).strip()


def is_blank(value: str) -> bool:
    """Whether nothing in `value` would show: only white space and invisible characters."""
    return all(
        char.isspace() or char in INVISIBLE or unicodedata.category(char) in ("Cf", "Zs")
        for char in value
    )


def post_text(value: str, what: str = "Your post", field: str | None = "content") -> str:
    """A post's or reply's text, normalised; `TextRefused` (an `Invalid`) saying what to fix.
    Text that shows nothing comes back as "" (the caller refuses it as empty)."""
    text = _checked(value, what, single_line=False, field=field)
    return "" if is_blank(text) else text


def line_text(value: str, what: str, field: str | None = None) -> str:
    """A one-line text (a name), normalised, its runs of white space made single spaces;
    `TextRefused` saying what to fix. Text that shows nothing comes back as ""."""
    text = " ".join(_checked(value, what, single_line=True, field=field).split())
    return "" if is_blank(text) else text
