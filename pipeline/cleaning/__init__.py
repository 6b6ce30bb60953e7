"""Cleaning newspaper pages: raw page text -> articles with an offset map.

The public entry point is :func:`clean_document`. It is built from small
composable pieces: :mod:`~pipeline.cleaning.otext` (text with an offset map),
:mod:`~pipeline.cleaning.normalize` (character steps),
:mod:`~pipeline.bylines` (bylines, datelines, credits),
:mod:`~pipeline.cleaning.page` (layout: lines -> article drafts) and
:mod:`~pipeline.cleaning.article` (drafts -> clean articles).
"""

from __future__ import annotations

from pipeline.bylines import BylineParser, default_parser
from pipeline.cleaning.article import build_article
from pipeline.cleaning.otext import OText
from pipeline.cleaning.page import parse_page
from pipeline.records import Article, Document

__all__ = ["OText", "clean_document", "clean_text"]


def clean_text(raw: str, doc_id: str, parser: BylineParser | None = None) -> list[Article]:
    parser = parser or default_parser()
    drafts = parse_page(raw, parser)
    articles = [build_article(d, raw, doc_id, i, parser) for i, d in enumerate(drafts)]
    return [a for a in articles if a.clean_text or a.captions]


def clean_document(doc: Document, parser: BylineParser | None = None) -> list[Article]:
    """Split ``doc`` into clean articles (headline, metadata, captions, clean text)."""
    return clean_text(doc.text, doc.doc_id, parser)
