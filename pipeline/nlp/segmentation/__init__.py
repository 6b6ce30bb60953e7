"""Segmentation and lexicons: the pkuseg segmenter and its word lexicon (segmenter, seglexicon),
the name lexicon of the tokenizer's MORPH features (lexicon), prefix scans of name lists (prefixes)."""
