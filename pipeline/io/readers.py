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
_ALLOWED_CONTROLS = {"\n", "\r", "\t", "\f", "\v"}

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

    def __init__(self, path: str, reason: str, stage: str = "read"):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.stage = stage


@dataclass
class Discovery:
    files: list[Path]
    missing: list[str]
    ignored: list[Path]


def discover(inputs: Iterable[str | os.PathLike]) -> Discovery:
    """Expand files, directories (recursively) and glob patterns into input files.

    Files inside directories are taken when their suffix is supported
    (``.txt``, ``.md``, ``.jsonl``); other files there are listed in
    ``ignored``; hidden files and folders are skipped. A file named
    explicitly is always taken. Inputs that match nothing end in ``missing``.
    The result is sorted and free of duplicates, so runs are reproducible.
    """
    seen: set[Path] = set()
    files: list[Path] = []
    missing: list[str] = []
    ignored: list[Path] = []

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            files.append(path)

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
        text = os.fspath(item)
        path = Path(text)
        if path.is_dir():
            walk(path)
        elif path.is_file():
            add(path)
        elif glob.has_magic(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                missing.append(text)
            for match in matches:
                p = Path(match)
                if p.is_dir():
                    walk(p)
                elif p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES:
                    add(p)
        else:
            missing.append(text)
    files.sort(key=lambda p: str(p))
    return Discovery(files=files, missing=missing, ignored=ignored)


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(
        1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS
    )
    return controls > max(2, _MAX_CONTROL_SHARE * len(text))


def decode_bytes(data: bytes, path: str = "<bytes>") -> tuple[str, str]:
    """Decode ``data``; return ``(text, encoding)`` or raise :class:`InputError`."""
    if not data:
        raise InputError(path, "empty file (0 bytes)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(path, f"undecodable: has a {encoding} byte-order mark but {exc.reason} at byte {exc.start}") from exc
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
    return text, encoding


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


def make_document(text: str, path: str, encoding: str, **meta: str | None) -> Document:
    digest = content_hash(text)
    return Document(doc_id=digest[:16], path=path, encoding=encoding, text=text, sha256=digest, **meta)


def read_path(path: str | os.PathLike) -> Iterator[Document | InputError]:
    """Yield the documents of one input file, or an :class:`InputError` per bad one.

    A page file yields one item. A JSONL file yields one item per non-blank
    line: bad lines become errors naming the line, the other lines go on.
    """
    path = Path(path)
    name = str(path)
    limit = settings.max_doc_chars()
    try:
        size = path.stat().st_size
        # a page file is one document: at 4 bytes a character at most, a larger file is too long
        if path.suffix.lower() not in JSONL_SUFFIXES and size > 4 * limit:
            yield InputError(name, _too_large(f"{size:,} bytes", limit))
            return
        data = path.read_bytes()
    except FileNotFoundError:
        yield InputError(name, "file disappeared before it could be read")
        return
    except IsADirectoryError:
        yield InputError(name, "is a directory")
        return
    except OSError as exc:
        yield InputError(name, f"cannot read: {exc.strerror or exc}")
        return
    try:
        text, encoding = decode_bytes(data, name)
    except InputError as exc:
        yield exc
        return
    if path.suffix.lower() in JSONL_SUFFIXES:
        for item in _read_jsonl(text, name, encoding):
            if isinstance(item, Document) and item.n_chars > limit:
                item = InputError(f"{name} id={item.source_id}", _too_large(f"{item.n_chars:,} characters", limit))
            yield item
    elif len(text) > limit:
        yield InputError(name, _too_large(f"{len(text):,} characters", limit))
    else:
        yield make_document(text, name, encoding)


def _too_large(size: str, limit: int) -> str:
    return (f"document too large: {size}, above the limit of {limit:,} characters "
            "(split the file, or raise PIPELINE_MAX_DOC_CHARS)")


def _read_jsonl(text: str, name: str, encoding: str) -> Iterator[Document | InputError]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(where, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(obj, dict):
            yield InputError(where, f"expected a JSON object, got {type(obj).__name__}")
            continue
        doc_text = obj.get("text")
        if not isinstance(doc_text, str):
            yield InputError(where, "missing or non-string 'text'")
            continue
        if not doc_text.strip():
            yield InputError(where, "empty 'text'")
            continue
        if "id" not in obj or obj["id"] in (None, ""):
            yield InputError(where, "missing 'id'")
            continue
        if _looks_binary(doc_text):
            yield InputError(where, "'text' holds binary data (control characters)")
            continue
        # JSON can carry lone surrogates ("\ud800") that no UTF-8 writer accepts;
        # replace each by U+FFFD, one character for one, so offsets stay valid.
        doc_text = _LONE_SURROGATE.sub("\ufffd", doc_text)
        meta = {k: (None if obj.get(k) is None else _LONE_SURROGATE.sub("\ufffd", str(obj[k]))) for k in ("source", "date", "url")}
        yield make_document(doc_text, name, encoding, source_id=_LONE_SURROGATE.sub("\ufffd", str(obj["id"])), **meta)
