"""Discovering input files and decoding them into :class:`Document` records.

Supported inputs: ``.txt`` and ``.md`` pages (one document per file) and
``.jsonl`` files (one JSON object per line with ``id`` and ``text``, and
optional ``source``, ``date``, ``url``). Encodings: UTF-8 with or without
BOM, UTF-16/32 with BOM, GBK/GB18030, and whatever charset-normalizer can
identify with confidence. Empty, binary and undecodable inputs raise
:class:`InputError` with the reason; the caller records it as a failure.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline import settings
from pipeline.records import Document

PAGE_SUFFIXES = {".txt", ".md"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = PAGE_SUFFIXES | JSONL_SUFFIXES

# Share of control characters above which decoded text is taken for binary.
_MAX_CONTROL_SHARE = 0.01
_ALLOWED_CONTROLS = {"\n", "\r", "\t", "\f", "\v", "\x85"}  # U+0085: NEXT LINE, a line break

_MAX_PRIVATE_USE_SHARE = 0.005
# Encodings accepted from charset-normalizer's guess (the rest is not Chinese news).
_OTHER_CHINESE_ENCODINGS = {"big5", "big5hkscs", "cp950", "gb2312", "hz", "utf_16", "utf_32", "utf_8"}

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


class InputError(Exception):
    """An input that cannot be turned into a document (empty, binary, undecodable...)."""

    def __init__(
        self,
        path: str,
        reason: str,
        stage: str = "read",
        *,
        input: str | None = None,
        line: int | None = None,
        source_id: str | None = None,
    ):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.stage = stage
        #: the input file (``path`` may name a line of it: ``FILE:LINE``)
        self.input = input or path
        self.line = line
        self.source_id = source_id


@dataclass
class Discovery:
    files: list[Path]
    missing: list[str]
    ignored: list[Path]


def display_path(path: str | os.PathLike) -> str:
    """``path`` as text that any UTF-8 writer accepts: bytes of a file name that are not
    UTF-8 (decoded by Python as lone surrogates) are written as ``\\xNN`` escapes."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def absolute(path: str | os.PathLike) -> Path:
    """``path`` made absolute and normalised, symlinks kept: the name the user knows
    the file by (a ``.txt`` link to a device is reported under its own name)."""
    return Path(os.path.abspath(path))


def _same_file_key(path: Path):
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return path


def discover(inputs: Iterable[str | os.PathLike]) -> Discovery:
    """Expand files, directories (recursively) and glob patterns into input files.

    Every path is made absolute first, so that one file reached by a relative
    and by an absolute path is one source, and a run whose tasks execute in
    other working directories (Dask workers) reads the same files.
    Files inside directories are taken when their suffix is supported
    (``.txt``, ``.md``, ``.jsonl``); other files there are listed in
    ``ignored``; hidden files and folders are skipped; symlinked folders are
    not followed. A file named explicitly is always taken. What is not a
    regular file (a FIFO, a device, a symlink loop) is taken too: reading it
    gives a failure with the reason, instead of a hang. Inputs that match
    nothing end in ``missing``. The result is sorted and free of duplicates,
    so runs are reproducible.
    """
    seen: set[Path] = set()
    files: list[Path] = []
    missing: list[str] = []
    ignored: list[Path] = []

    def add(path: Path) -> None:
        key = _same_file_key(path)  # one file reached through two links is read once
        if key not in seen:
            seen.add(key)
            files.append(absolute(path))

    def walk(directory: Path) -> None:
        for root, dirs, names in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if name.startswith("."):
                    continue
                path = Path(root) / name
                if path.suffix.lower() in SUPPORTED_SUFFIXES:
                    add(path)
                else:
                    ignored.append(path)

    for item in inputs:
        text = os.path.abspath(os.fspath(item))
        path = Path(text)
        if path.is_dir():
            walk(path)
        elif os.path.lexists(text) and not glob.has_magic(os.fspath(item)):
            add(path)
        elif glob.has_magic(os.fspath(item)):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                missing.append(os.fspath(item))
            for match in matches:
                p = Path(match)
                if p.is_dir():
                    walk(p)
                elif p.suffix.lower() in SUPPORTED_SUFFIXES:
                    add(p)
        else:
            missing.append(os.fspath(item))
    files.sort(key=lambda p: str(p))
    return Discovery(files=files, missing=missing, ignored=ignored)


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS)
    return controls > max(2, _MAX_CONTROL_SHARE * len(text))


def decode_bytes(data: bytes, path: str = "<bytes>", scripts: bool = True) -> tuple[str, str]:
    """Decode ``data``; return ``(text, encoding)`` or raise :class:`InputError`.

    ``scripts=False`` leaves the Japanese/Korean test to the caller (a JSONL file is
    judged record by record); mojibake is judged on the whole file either way."""
    if not data:
        raise InputError(path, "empty file (0 bytes)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    path, f"undecodable: has a {encoding} byte-order mark but {exc.reason} at byte {exc.start}"
                ) from exc
            text = text.lstrip("\ufeff")
            break
    else:
        if b"\x00" in data:
            raise InputError(path, "binary file (contains NUL bytes and no UTF-16/32 byte-order mark)")
        text, encoding = _decode_without_bom(data, path)
    if not text.strip():
        raise InputError(path, "empty file (only whitespace)")
    if _looks_binary(text):
        raise InputError(path, f"binary file (too many control characters after decoding as {encoding})")
    reason = language_problem(text, data if encoding in ("gbk", "gb18030") else None, scripts=scripts)
    if reason:
        raise InputError(path, reason)
    return text, encoding


# Text is refused as "not Chinese" on evidence only: at least this many letters...
_MIN_LETTERS = 40
# ... of which more than this share are kana (Japanese) or Hangul (Korean); Chinese
# news writes a katakana middle dot (・) and the odd Japanese name, not whole sentences.
_MAX_FOREIGN_SCRIPT_SHARE = 0.10
# Share of Han characters among the 100 most frequent of Chinese (charset-normalizer's
# table) below which bytes read as GBK are mojibake: 0.20-0.36 on the dev pages, 0.18 in
# traditional script, 0.00 for Shift_JIS or EUC-KR bytes read as GBK. Judged only on
# what was decoded as GBK (UTF-8 is never mojibake of this kind), on a whole file.
_MIN_COMMON_HAN_SHARE = 0.04
_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa]")
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def language_problem(text: str, gbk_bytes: bytes | None = None, scripts: bool = True) -> str | None:
    """Why ``text`` is not Chinese text, or ``None``.

    Japanese (kana) and Korean (Hangul) text is refused, in any encoding; so is
    text decoded from GBK (``gbk_bytes``) that does not read as Chinese, which is
    what Shift_JIS or EUC-KR bytes give: the reason names the likely encoding.
    """
    sample = text[:200_000]
    han = len(_HAN.findall(sample))
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    letters = han + kana + hangul
    if scripts and letters >= _MIN_LETTERS:
        if kana > _MAX_FOREIGN_SCRIPT_SHARE * letters:
            return f"not Chinese text: Japanese ({kana / letters:.0%} of its letters are kana)"
        if hangul > _MAX_FOREIGN_SCRIPT_SHARE * letters:
            return f"not Chinese text: Korean ({hangul / letters:.0%} of its letters are Hangul)"
    if gbk_bytes is not None and han >= _MIN_LETTERS:
        common = _common_han()
        share = sum(1 for ch in _HAN.findall(sample) if ch in common) / han
        if share < _MIN_COMMON_HAN_SHARE:
            guess = _other_east_asian(gbk_bytes)
            tail = f"; it reads as {guess}" if guess else ""
            return (
                f"not Chinese text: decodes as GBK but reads as mojibake ({share:.1%} of its Han characters "
                f"are common Chinese ones, against 20-36% in news){tail}"
            )
    return None


def _common_han() -> frozenset[str]:
    from charset_normalizer.constant import FREQUENCIES

    return frozenset(FREQUENCIES["Chinese"])


def _other_east_asian(data: bytes) -> str | None:
    """The Japanese or Korean encoding that ``data`` reads cleanly in, for the message."""
    for encoding, script, language in (
        ("shift_jis", _KANA, "Japanese"),
        ("euc_jp", _KANA, "Japanese"),
        ("euc_kr", _HANGUL, "Korean"),
    ):
        try:
            text = data[:400_000].decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(script.findall(text)) >= _MIN_LETTERS // 4:
            return f"{language} in {encoding.replace('_', '-').upper()}"
    return None


def _decode_without_bom(data: bytes, path: str) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in ("gbk", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # GB18030 maps nearly any byte string to something; mojibake shows up
        # as private-use characters, which real Chinese text hardly has.
        if _private_use_share(text) <= _MAX_PRIVATE_USE_SHARE:
            return text, encoding
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise InputError(path, "undecodable: not UTF-8, not GBK/GB18030, and no other encoding fits")
    if best.encoding not in _OTHER_CHINESE_ENCODINGS:
        raise InputError(
            path,
            f"undecodable: not UTF-8, not GBK/GB18030; the closest guess, {best.encoding}, is not a Chinese encoding",
        )
    return str(best), best.encoding


def _private_use_share(text: str) -> float:
    if not text:
        return 0.0
    return sum(1 for ch in text if "\ue000" <= ch <= "\uf8ff") / len(text)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def make_document(text: str, path: str, encoding: str, **meta) -> Document:
    digest = content_hash(text)
    return Document(doc_id=digest[:16], path=path, encoding=encoding, text=text, sha256=digest, **meta)


def read_bytes_limited(path: str | os.PathLike, limit: int, what: str = "page") -> bytes:
    """The bytes of the regular file ``path``, or :class:`InputError`.

    Only regular files are read: a FIFO (opened without blocking, so it cannot
    hang the run), a device (``/dev/zero`` behind a ``.txt`` link), a socket or a
    directory is refused with its kind; a symlink loop fails on open. At most
    ``limit`` bytes are read, whatever the file claims its size to be.
    """
    name = display_path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(name, "file disappeared before it could be read") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(name, f"not a regular file ({_file_kind(mode)}): only regular files are read")
        chunks, total = [], 0
        while True:
            block = os.read(fd, min(1 << 20, limit + 1 - total))
            if not block:
                break
            chunks.append(block)
            total += len(block)
            if total > limit:
                if what == "page":  # at most 4 bytes a character
                    raise InputError(name, _too_large(f"more than {limit:,} bytes", limit // 4))
                raise InputError(
                    name, f"{what} too large: more than {limit:,} bytes (split it, or raise PIPELINE_MAX_FILE_BYTES)"
                )
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a plain file"


def read_path(path: str | os.PathLike) -> Iterator[Document | InputError]:
    """Yield the documents of one input file, or an :class:`InputError` per bad one.

    A page file yields one item. A JSONL file yields one item per non-blank
    line: bad lines become errors naming the line, the other lines go on.
    Paths in the records are absolute (see :func:`discover`) and in
    :func:`display_path` form.
    """
    path = Path(path)
    name = display_path(absolute(path))
    limit = settings.max_doc_chars()
    jsonl = path.suffix.lower() in JSONL_SUFFIXES
    try:
        # a page is one document: at 4 bytes a character at most, a larger file is too long
        data = read_bytes_limited(path, settings.max_file_bytes() if jsonl else 4 * limit, what="JSONL file" if jsonl else "page")
        text, encoding = decode_bytes(data, name, scripts=not jsonl)
    except InputError as exc:
        exc.path = name
        yield exc
        return
    if jsonl:
        for item in _read_jsonl(text, name, encoding):
            if isinstance(item, Document) and item.n_chars > limit:
                item = InputError(
                    f"{name}:{item.line}",
                    _too_large(f"{item.n_chars:,} characters", limit),
                    input=name,
                    line=item.line,
                    source_id=item.source_id,
                )
            yield item
    elif len(text) > limit:
        yield InputError(name, _too_large(f"{len(text):,} characters", limit))
    else:
        yield make_document(text, name, encoding)


def _too_large(size: str, limit: int) -> str:
    return (
        f"document too large: {size}, above the limit of {limit:,} characters (split the file, or raise PIPELINE_MAX_DOC_CHARS)"
    )


def _read_jsonl(text: str, name: str, encoding: str) -> Iterator[Document | InputError]:
    """One document per line. Lines end at ``\\n`` only (``\\r\\n`` too): U+2028, U+2029,
    U+0085 and other characters that :meth:`str.splitlines` breaks at are valid inside a
    JSON string. A document's identity in its file is its ``id``: an id seen before in
    the file gives a failure for the later line (same text: a harmless repeat, said so)."""
    first_line: dict[str, tuple[int, str]] = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip():
            continue
        where = f"{name}:{lineno}"

        def error(reason: str, source_id: str | None = None, where: str = where, lineno: int = lineno) -> InputError:
            return InputError(where, reason, input=name, line=lineno, source_id=source_id)

        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield error(f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(obj, dict):
            yield error(f"expected a JSON object, got {type(obj).__name__}")
            continue
        doc_text = obj.get("text")
        if not isinstance(doc_text, str):
            yield error("missing or non-string 'text'")
            continue
        if not doc_text.strip():
            yield error("empty 'text'")
            continue
        if "id" not in obj or obj["id"] in (None, ""):
            yield error("missing 'id'")
            continue
        source_id = _LONE_SURROGATE.sub("\ufffd", str(obj["id"]))
        if _looks_binary(doc_text):
            yield error("'text' holds binary data (control characters)", source_id)
            continue
        # JSON can carry lone surrogates ("\ud800") that no UTF-8 writer accepts;
        # replace each by U+FFFD, one character for one, so offsets stay valid.
        doc_text = _LONE_SURROGATE.sub("\ufffd", doc_text)
        digest = content_hash(doc_text)
        if source_id in first_line:
            earlier, earlier_digest = first_line[source_id]
            same = "the same text (a repeated line)" if earlier_digest == digest else "a different text"
            yield error(
                f"duplicate id {source_id!r} (first at line {earlier}) with {same}: only the first line of an id is taken",
                source_id,
            )
            continue
        first_line[source_id] = (lineno, digest)
        reason = language_problem(doc_text)
        if reason:
            yield error(reason, source_id)
            continue
        meta = {
            k: (None if obj.get(k) is None else _LONE_SURROGATE.sub("\ufffd", str(obj[k]))) for k in ("source", "date", "url")
        }
        yield make_document(doc_text, name, encoding, source_id=source_id, line=lineno, **meta)
