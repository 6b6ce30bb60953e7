"""Building the name lexicon of the tokenizer (:mod:`pipeline.nlp.segmentation.lexicon`).

Source: jieba's dictionary (MIT, from the jieba source distribution on the
package index, sha256-checked): 349 K words with frequency and POS tag, of
which person names (nr, and nrt for transliterated names), place names (ns)
and organisation names (nt) are kept. The tags are noisy (jieba lists
idioms as nr), so only names seen at least ``min_freq`` times and of 2-10
characters are kept; the NER model learns how far to trust them.

    python -m pipeline.training.lexicon OUT_FILE
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from pipeline.training import corpora

TAG_MAP = {"nr": "nr", "nrt": "nr", "ns": "ns", "nt": "nt"}


def build(out: str | Path, source: str | Path | None = None, min_freq: int = 5) -> dict:
    source = Path(source) if source else corpora.jieba_dictionary()
    kept: dict[str, str] = {}
    with open(source, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 3:
                continue
            word, freq, tag = parts
            typ = TAG_MAP.get(tag)
            if typ is None or not (2 <= len(word) <= 10) or int(freq) < min_freq:
                continue
            kept.setdefault(word, typ)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(f"# name lexicon from jieba 0.42.1 dict.txt (MIT): nr/nrt -> nr, ns, nt; freq >= {min_freq}\n")
        for word in sorted(kept):
            fh.write(f"{word}\t{kept[word]}\n")
    tmp.replace(out)
    return {"entries": len(kept), **Counter(kept.values())}


if __name__ == "__main__":  # pragma: no cover
    print(build(sys.argv[1]))
