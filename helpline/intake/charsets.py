"""Text from mail's bytes: charsets (declared, wrong or unknown) and RFC 2047 words.

Decoding never fails: the declared charset, then UTF-8, then the declared charset
with replacement characters, then Windows-1252 with replacement (a superset of
Latin-1 that matches what unlabelled Western mail really is). Every string comes
out free of NUL characters and lone surrogates, which PostgreSQL and SQLite refuse.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# Charset labels seen in real mail that Python does not know by that name, or knows
# as a smaller cousin of what senders really use.
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "x-user-defined": "cp1252",
    "ansi_x3.4-1968": "ascii",
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
    "default": "",
}


def _codec(charset: str | None) -> str | None:
    """A Python text codec for a charset label, or None if there is none."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    # codecs.lookup also finds bytes-to-bytes codecs (base64, zlib, ...).
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text from bytes in a declared (possibly wrong or unknown) charset."""
    codec = _codec(charset)
    # Mail labelled UTF-8 or ASCII that is neither is, in practice, Windows-1252: a
    # replacement character for every accented letter would help nobody.
    lenient = None if codec in ("utf-8", "ascii") else codec
    for name, errors in ((codec, "strict"), ("utf-8", "strict"), (lenient, "replace")):
        if name is None:
            continue
        try:
            return clean_text(data.decode(name, errors))
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
    return clean_text(data.decode("cp1252", "replace"))


def clean_text(value: str) -> str:
    """No NUL characters, no lone surrogates (raw 8-bit header bytes come in as
    surrogate escapes: they are decoded as UTF-8, else Windows-1252)."""
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape") if _only_escapes(value) else None
        if raw is not None:
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                value = raw.decode("cp1252", "replace")
        else:
            value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _only_escapes(value: str) -> bool:
    return all(not ("\ud800" <= c <= "\udfff") or "\udc80" <= c <= "\udcff" for c in value)


# --- headers ------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def _word_bytes(encoding: str, data: str) -> bytes:
    # Raw 8-bit bytes inside a word (invalid, but sent) were decoded already; get
    # them back as bytes so the word's own charset decides.
    try:
        raw = data.encode("latin-1")
    except UnicodeEncodeError:
        raw = data.encode("utf-8")
    if encoding in "bB":
        raw = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
        raw = raw[: len(raw) - len(raw) % 4] if len(raw) % 4 == 1 else raw
        try:
            return base64.b64decode(raw + b"=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            return raw
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw.replace(b"_", b" "))


def decode_words(value: str) -> str:
    """A header's text with its RFC 2047 encoded words decoded.

    Adjacent words in the same charset are joined before decoding, since mailers
    split multi-byte characters across words; the space between two words is
    dropped, as RFC 2047 says.
    """
    value = clean_text(re.sub(r"\r?\n[ \t]+", " ", value))
    out: list[str] = []
    pending: tuple[str, bytearray] | None = None
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        charset = match.group(1).split("*")[0]  # RFC 2231 language suffix
        data = _word_bytes(match.group(2), match.group(3))
        adjacent = pending is not None and not between.strip()
        if pending is not None and adjacent and pending[0] == charset.lower():
            pending[1].extend(data)
        else:
            if pending is not None:
                out.append(decode_bytes(bytes(pending[1]), pending[0]))
            if not adjacent:
                out.append(between)
            pending = (charset.lower(), bytearray(data))
        position = match.end()
    if pending is not None:
        out.append(decode_bytes(bytes(pending[1]), pending[0]))
    out.append(value[position:])
    return "".join(out)
