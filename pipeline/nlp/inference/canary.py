"""The fence around the compiled inference: each fast path checks itself against the stock one.

``fastseg``, ``fasttok2vec`` and ``fastner`` re-implement parts of spacy-pkuseg, thinc and
spaCy and read their weights in those libraries' layouts. A new release of one of them (or a
damaged build) could change a layout without any error: the fast path would then quietly
give other words, vectors or entities. So each one, the first time it is about to run, runs
a built-in text through itself and through the library's own code:

* the segmenter (:class:`pipeline.nlp.inference.fastseg.FastPkuseg`): its words against
  spacy-pkuseg's on :data:`CANARY_TEXT`;
* the tok2vec (:class:`pipeline.nlp.inference.fasttok2vec.FastTok2Vec`): its vectors against thinc's
  forward pass on the characters of :data:`CANARY_TEXT` (within :data:`VECTOR_TOLERANCE`);
* the NER (:class:`pipeline.nlp.inference.fastner.FastEntityRecognizer`): its entities against
  spaCy's decoder on the first document of its first batch (its input is the tok2vec's
  vectors, which only the pipeline computes; ``load_nlp`` runs :data:`CANARY_TEXT` through
  the pipeline when it loads it).

On any difference it logs a warning naming the component and the difference, and that
component runs the stock path from then on (slower, right). ``PIPELINE_COMPILED=0`` runs the
stock paths throughout (a test compares the two on the sample page).
"""

from __future__ import annotations

import logging

log = logging.getLogger("pipeline.nlp.inference.canary")

#: names, places, a number, a date, Latin letters, full-width punctuation and a quote: what
#: the fast paths treat apart
CANARY_TEXT = (
    "新华社重庆1月1日电 2022年，重庆市科技局表示，全市研发投入增长12.5%，"
    "中国石油西南油气田公司在川东钻获高产气井，日产天然气64.2万立方米。"
    "张亦筑说：“这是ABC项目零的突破。”"
)
#: the vectors run to about 10; the fused sums differ from thinc's in the last bits
VECTOR_TOLERANCE = 1e-3


def mismatch(component: str, detail: str) -> None:
    """Say that ``component``'s compiled path disagrees with the stock one, which it now uses."""
    log.warning(
        "%s: the compiled inference disagrees with the stock one on the built-in check (%s); "
        "using the stock path (slower). A dependency's version may have changed the layout it reads: "
        "see constraints.txt for the versions tested",
        component,
        detail,
    )
