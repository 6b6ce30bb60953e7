"""Character tokens that carry word features from our pkuseg segmenter.

Word tokens lose entities whose boundary falls inside a word (邓小平 in
邓小平理论, 港 in 港澳: 10.3 % of the MSRA test entities), characters lose
none but give the model weaker features. This tokenizer keeps both: every
non-space character is a token, and each token carries

* ``LEMMA`` -- the pkuseg word that contains it (the "soft lexicon"), and
* ``TAG``   -- its position in that word with the word length (``S``, ``B2``,
  ``E2``, ``B3``, ``M3``, ``E3``, ``B4`` ... lengths above 4 count as 4),

which the NER model's embedding reads next to the character itself
(``MultiHashEmbed`` over NORM, LEMMA, TAG, SHAPE). With a name lexicon
(:mod:`pipeline.nlp.segmentation.lexicon`), ``MORPH`` also says which lexicon names
cover the character and where (``Lex=nrB,nsE``). With ``bigrams``, ``NORM``
is the character bigram that starts at the token (the character and the next
one, width-normalised; the last token's next is ``</s>``), and the model reads
the character itself from ``ORTH``. Whitespace becomes the
``whitespace_`` of the token before it, so ``doc.text`` is the input text.
The segmenter model and user dictionary are saved with the pipeline.

The keys of LEMMA, TAG and MORPH are filled by compiled loops
(``inference._segment.word_columns`` and ``lexicon_column``) where the module is
built; ``_word_keys`` and ``Lexicon.features`` are their Python twins
(``compiled = False`` runs them).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import srsly
from spacy.attrs import LEMMA, MORPH, NORM, TAG
from spacy.tokens import Doc
from spacy.util import ensure_path
from spacy.vocab import Vocab

from pipeline.nlp.segmentation import seglexicon
from pipeline.nlp.segmentation.lexicon import FeatureKeys, Lexicon
from pipeline.nlp.segmentation.segmenter import Segmenter, default_model_dir, normalize
from pipeline.nlp.serialize import pack_files, unpack_files

if TYPE_CHECKING:
    from thinc.types import Ints2d

try:
    from pipeline.nlp.inference._segment import word_columns
except ImportError:  # not built (no C compiler at install): _word_keys, the twin
    word_columns = None

_MAX_LEN = 4
#: ``doc.user_data`` key of the pkuseg word boundaries, (starts, ends) as ascending
#: lists of character offsets, which the entity rules read (saves them a pass over the
#: tokens); lists, not sets, so that ``Doc.to_bytes`` (and ``nlp.pipe(n_process=...)``,
#: which ships docs between processes that way) can serialise them
WORD_BOUNDARIES = "zhnews.word_boundaries"
#: ``doc.user_data`` key of the input text (equal to ``doc.text``, which spaCy
#: rebuilds from every token on each access)
TEXT = "zhnews.text"


_HAS_SPACE = re.compile(r"\s").search


def _chars_and_spaces(text: str) -> tuple[list[str], list[bool]]:
    """Every non-space character a token; a single " " after one becomes its
    ``whitespace_``, other whitespace a token of its own."""
    chars: list[str] = []
    spaces: list[bool] = []
    for ch in text:
        if ch.isspace():
            if chars and not spaces[-1] and ch == " ":
                spaces[-1] = True
            else:
                chars.append(ch)
                spaces.append(False)
        else:
            chars.append(ch)
            spaces.append(False)
    return chars, spaces


def cached_text(doc: Doc) -> str | None:
    """The text the tokenizer stored in ``doc.user_data``, if it is still this
    doc's (a Doc merged from several keeps the first one's user data)."""
    text = doc.user_data.get(TEXT)
    if text is None or not len(doc):
        return None
    last = doc[-1]
    return text if last.idx + len(last.text_with_ws) == len(text) else None


def doc_text(doc: Doc) -> str:
    """``doc.text``, read from where the tokenizer left it when it can."""
    text = cached_text(doc)
    return text if text is not None else doc.text


def boundaries_from_tags(tokens: Iterable[tuple[int, int, str]]) -> tuple[set[int], set[int]]:
    """Character offsets where words start and end, from (start, end, position tag)
    of each token: a word starts at a ``B``/``S`` token and ends after an ``E``/``S`` one."""
    starts: set[int] = set()
    ends: set[int] = set()
    for start, end, tag in tokens:
        if tag[0] in "BS":
            starts.add(start)
        if tag[0] in "ES":
            ends.add(end)
    return starts, ends


def position_tags(words: Iterable[str]) -> list[str]:
    tags: list[str] = []
    for w in words:
        n = len(w)
        if n == 1:
            tags.append("S")
            continue
        k = str(min(n, _MAX_LEN))
        tags.append("B" + k)
        tags.extend(["M" + k] * (n - 2))
        tags.append("E" + k)
    return tags


class _Keys(dict):
    """String -> string-store key, adding the string on a miss (one C-level lookup on a hit)."""

    def __init__(self, add: Callable[[str], int]):
        super().__init__()
        self._add = add

    def __missing__(self, text: str) -> int:
        key = self[text] = self._add(text)
        return key


class CharWordTokenizer:
    def __init__(
        self,
        vocab: Vocab,
        segmenter_dir: str | Path | None = None,
        user_dict: str | Path | None = None,
        use_words: bool = True,
        bigrams: bool = False,
        lexicon: str | Path | None = None,
    ):
        self.vocab = vocab
        self.segmenter_dir = Path(segmenter_dir) if segmenter_dir else None
        self.user_dict = Path(user_dict) if user_dict else None
        self.use_words = use_words
        self.bigrams = bigrams
        self.lexicon_path = Path(lexicon) if lexicon else None
        self._segmenter: Segmenter | None = None
        self._lexicon: Lexicon | None = None
        self._morph_keys = FeatureKeys(lambda m: self.vocab.morphology.add(m))  # MORPH string -> its key
        self._tag_keys: dict[int, list[int]] = {}  # word length -> TAG keys of its characters
        self._tag_table: np.ndarray | None = None  # the same for word_columns, by length class
        self._bigram_keys = _Keys(self.vocab.strings.add)  # bigram -> its string key
        self.compiled = True  # False: the plain-Python twins (the reference the tests compare with)

    @property
    def lexicon(self) -> Lexicon | None:
        if self._lexicon is None and self.lexicon_path is not None:
            self._lexicon = Lexicon.from_file(self.lexicon_path)
        return self._lexicon

    # -- segmentation -------------------------------------------------
    @property
    def segmenter(self) -> Segmenter:
        if self._segmenter is None:
            self._segmenter = Segmenter(self.segmenter_dir or default_model_dir(), self.user_dict)
        return self._segmenter

    def __call__(self, text: str) -> Doc:
        plain = bool(text) and not _HAS_SPACE(text)  # most sentences: one token per character, no spaces
        if plain:
            chars = list(text)
            spaces = [False] * len(chars)
        else:
            chars, spaces = _chars_and_spaces(text)
        doc = Doc(self.vocab, words=chars, spaces=spaces)
        if chars:
            attrs, columns, bounds = self._columns(text, chars, spaces, plain)
            if attrs:
                # casts for spaCy's stub, which takes list[int | str] (invariant) and thinc's Ints2d
                doc.from_array(cast("list[int | str]", attrs), cast("Ints2d", columns))
            if bounds is not None and bounds[0]:
                doc.user_data[WORD_BOUNDARIES] = bounds
        doc.user_data[TEXT] = text
        return doc

    def _columns(
        self, text: str, chars: list[str], spaces: list[bool], plain: bool
    ) -> tuple[list[int], np.ndarray, tuple[list[int], list[int]] | None]:
        """The attributes set on the tokens (MORPH with a lexicon or bigrams; LEMMA and TAG
        with word features), their keys (a row per token) and the word boundaries."""
        attrs = (
            ([MORPH] if self.lexicon is not None else [])
            + ([NORM] if self.bigrams else [])
            + ([LEMMA, TAG] if self.use_words else [])
        )
        columns = np.empty((len(chars), len(attrs)), dtype=np.uint64)
        bounds = None
        if self.use_words:
            lemma_col, tag_col = len(attrs) - 2, len(attrs) - 1
            if plain and word_columns is not None and self.compiled:
                bounds = word_columns(
                    self.segmenter.cut(text), self.vocab.strings.add, self._tag_key_table(), columns, lemma_col, tag_col
                )
            if bounds is None:
                lemmas, tags, bounds = self._word_keys(text, chars, spaces, plain)
                columns[:, lemma_col] = lemmas
                columns[:, tag_col] = tags
        if self.lexicon is not None or self.bigrams:
            # tokens are single characters and normalize maps one character to one
            norm = normalize("".join(chars))
            if self.lexicon is not None:
                self.lexicon.fill_column(norm, columns, 0, self._morph_keys, self.compiled)
            if self.bigrams:
                columns[:, attrs.index(NORM)] = self._bigram_column(norm)
        return attrs, columns, bounds

    def _bigram_column(self, norm: str) -> list[int]:
        """String keys of the character bigrams that start at each token of ``norm``
        (one character per token), the last one's with ``</s>``."""
        pairs = list(map(str.__add__, norm[:-1], norm[1:]))
        pairs.append(norm[-1:] + "</s>")
        return list(map(self._bigram_keys.__getitem__, pairs))  # a miss adds the string (_Keys)

    def _tag_key_table(self) -> np.ndarray:
        """TAG keys by word length class for ``word_columns``: row 1 the single character's,
        row k the first, middle and last character's of a word of k characters (``_MAX_LEN``: or more)."""
        if self._tag_table is None:
            table = np.zeros((_MAX_LEN + 1, 3), dtype=np.uint64)
            add = self.vocab.strings.add
            table[1] = add("S")
            for k in range(2, _MAX_LEN + 1):
                tags = position_tags(["x" * k])
                table[k] = [add(tags[0]), add(tags[1] if k > 2 else tags[0]), add(tags[-1])]
            self._tag_table = table
        return self._tag_table

    def _word_keys(
        self, text: str, chars: list[str], spaces: list[bool], plain: bool
    ) -> tuple[list[int], list[int], tuple[list[int], list[int]]]:
        """LEMMA and TAG string keys of each token, and the word boundaries (ascending);
        ``plain``: ``text`` has no whitespace, so its tokens are its characters."""
        add = self.vocab.strings.add
        if plain:  # the words cover the tokens one for one
            lemmas: list[int] = []
            tags: list[int] = []
            starts: list[int] = []
            ends: list[int] = []
            pos = 0
            tag_keys = self._tag_keys
            for w in self.segmenter.cut(text):
                n = len(w)
                lemmas += [add(w)] * n
                keys = tag_keys.get(n)
                if keys is None:
                    keys = tag_keys[n] = [add(t) for t in position_tags([w])]
                tags += keys
                starts.append(pos)
                pos += n
                ends.append(pos)
            if pos == len(chars):
                return lemmas, tags, (starts, ends)
        lemma_strs, tag_strs, (starts_set, ends_set) = self._word_features(text, chars, spaces)
        return [add(x) for x in lemma_strs], [add(x) for x in tag_strs], (sorted(starts_set), sorted(ends_set))

    def _word_features(
        self, text: str, chars: list[str], spaces: list[bool]
    ) -> tuple[list[str], list[str], tuple[set[int], set[int]]]:
        words = self.segmenter.cut(text) if text.strip() else []
        # words cover the non-space characters in order (normalised one for one)
        per_char_word: list[str] = []
        for w in words:
            per_char_word.extend([w] * len(w))
        per_char_tag = position_tags(words)
        lemmas: list[str] = []
        tags: list[str] = []
        placed: list[tuple[int, int, str]] = []  # (start, end, tag) of the word characters
        k = 0
        idx = 0  # character offset of the token in the text
        for ch, space in zip(chars, spaces):
            if ch.isspace():
                lemmas.append(ch)
                tags.append("_SP")
            else:
                if k < len(per_char_word):
                    tag = per_char_tag[k]
                    lemmas.append(per_char_word[k])
                else:  # should not happen: keep the token usable
                    tag = "S"
                    lemmas.append(normalize(ch))
                tags.append(tag)
                placed.append((idx, idx + 1, tag))
                k += 1
            idx += 1 + space
        return lemmas, tags, boundaries_from_tags(placed)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000):
        for text in texts:
            yield self(text)

    # -- serialisation ------------------------------------------------
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = tuple()) -> None:
        path = cast(Path, ensure_path(path))  # a str becomes a Path
        path.mkdir(parents=True, exist_ok=True)
        cfg = {
            "use_words": self.use_words,
            "user_dict": bool(self.user_dict),
            "bigrams": self.bigrams,
            "lexicon": bool(self.lexicon_path),
        }
        srsly.write_json(path / "cfg.json", cfg)
        if self.lexicon_path and self.lexicon_path.resolve() != (path / "lexicon.txt").resolve():
            shutil.copy(self.lexicon_path, path / "lexicon.txt")
        if self.use_words:
            seg_dir = self.segmenter_dir or default_model_dir()
            dst = path / "pkuseg"
            if seg_dir.resolve() != dst.resolve():
                dst.mkdir(exist_ok=True)
                for name in ("features.msgpack", "weights.npz"):
                    shutil.copy(seg_dir / name, dst / name)
                lexicon = seglexicon.LEXICON_FILE  # a segmenter trained with lexicon features needs it
                if (seg_dir / lexicon).is_file():
                    shutil.copy(seg_dir / lexicon, dst / lexicon)
                elif (dst / lexicon).is_file():  # no stale lexicon beside a model without one
                    (dst / lexicon).unlink()
            if self.user_dict and self.user_dict.resolve() != (path / "user_dict.txt").resolve():
                shutil.copy(self.user_dict, path / "user_dict.txt")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = tuple()) -> CharWordTokenizer:
        path = cast(Path, ensure_path(path))  # a str becomes a Path
        cfg = srsly.read_json(path / "cfg.json")
        self.use_words = cfg["use_words"]
        self.bigrams = cfg.get("bigrams", False)
        self.lexicon_path = path / "lexicon.txt" if cfg.get("lexicon") else None
        self._lexicon = None
        if self.use_words:
            self.segmenter_dir = path / "pkuseg"
            self.user_dict = path / "user_dict.txt" if cfg.get("user_dict") else None
            self._segmenter = None
        return self

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        """The files of :meth:`to_disk` (segmenter model, user dictionary, lexicon) as one message."""
        with tempfile.TemporaryDirectory(prefix="zhnews-tokenizer-") as tmp:
            self.to_disk(tmp, exclude=exclude)
            return pack_files(Path(tmp), ["**/*"])

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = tuple()) -> CharWordTokenizer:
        """Read what :meth:`to_bytes` wrote; the files go to a folder of the user's cache named
        by their content (:mod:`pipeline.nlp.serialize`), from where they load lazily."""
        return self.from_disk(unpack_files(data, "tokenizer"), exclude=exclude)

    def __reduce__(self):
        # pickling (nlp.pipe(n_process=N) under the spawn start method, Dask): through the
        # bytes, since the loaded segmenter holds compiled tables that do not pickle
        return (_tokenizer_from_bytes, (self.vocab, self.to_bytes()))


def _tokenizer_from_bytes(vocab: Vocab, data: bytes) -> CharWordTokenizer:
    return CharWordTokenizer(vocab).from_bytes(data)


def create_tokenizer(
    segmenter_dir: str | None = None,
    user_dict: str | None = None,
    use_words: bool = True,
    bigrams: bool = False,
    lexicon: str | None = None,
) -> Callable[..., CharWordTokenizer]:
    def make(nlp) -> CharWordTokenizer:
        return CharWordTokenizer(nlp.vocab, segmenter_dir, user_dict, use_words, bigrams, lexicon)

    return make
