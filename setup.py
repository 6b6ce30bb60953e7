"""Build step for the compiled modules of pipeline/nlp/inference/: _segment.pyx (the
segmenter's scores and Viterbi, dictionary matching, the tokenizer's columns), _tok2vec.pyx
and _ner.pyx (the tok2vec's and the NER's inference loops).

And the rules: a wheel carries ``rules/`` as the package data ``pipeline._rules``, where an
installed copy reads them (``pipeline.settings.default_rules_dir``); a checkout reads
``rules/`` itself.

Everything else is in pyproject.toml. The extension is optional: without a C
compiler (or without Cython, in a build that is not isolated) the install still
succeeds and the modules that use it fall back to their plain-Python loops
(same results, slower), saying so in a warning.
"""

from setuptools import Extension, find_packages, setup

try:
    from Cython.Build import cythonize
except ImportError:  # only without build isolation: pyproject.toml asks for Cython
    ext_modules = []
else:
    ext_modules = cythonize(
        [
            Extension(f"pipeline.nlp.inference.{name}", [f"pipeline/nlp/inference/{name}.pyx"], optional=True)
            for name in ("_segment", "_tok2vec", "_ner")
        ],
        language_level=3,
    )

setup(
    ext_modules=ext_modules,
    packages=[*find_packages(include=["pipeline", "pipeline.*"]), "pipeline._rules"],
    package_dir={"pipeline._rules": "rules"},
    package_data={"pipeline._rules": ["*.yaml", "*.jsonl", "gazetteers/*.yaml", "gazetteers/*.jsonl", "packs/*.yaml"]},
)
