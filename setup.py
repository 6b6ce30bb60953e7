"""Build step for the one compiled module, pipeline/nlp/_compiled.pyx (the
segmenter's scores and Viterbi, dictionary matching, the tok2vec's and the NER's
inference loops).

Everything else is in pyproject.toml. The extension is optional: without a C
compiler (or without Cython, in a build that is not isolated) the install still
succeeds and the modules that use it fall back to their plain-Python loops
(same results, slower), saying so in a warning.
"""

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # only without build isolation: pyproject.toml asks for Cython
    ext_modules = []
else:
    ext_modules = cythonize(
        [Extension("pipeline.nlp._compiled", ["pipeline/nlp/_compiled.pyx"], optional=True)],
        language_level=3,
    )

setup(ext_modules=ext_modules)
