"""Training flows for the project's own models (pkuseg segmenter, spaCy NER).

Run with ``make models``; corpora are located by :mod:`pipeline.training.corpora`.
"""
