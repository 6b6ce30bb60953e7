"""The compiled inference and its check: the segmenter (fastseg), tok2vec (fasttok2vec) and NER
decoder (fastner) run for inference by our own loops (the Cython modules _segment, _tok2vec,
_ner), each held to the stock path of spacy-pkuseg, thinc and spaCy (canary)."""
