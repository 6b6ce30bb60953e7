"""Build step for the one compiled module: pkuseg's node scores (pipeline/nlp/_fastseg.pyx).

Everything else is in pyproject.toml. The extension is optional: without a C
compiler the install still succeeds and ``pipeline.nlp.fastseg`` uses its
plain-Python scorer (same words, about 3x slower), saying so in a warning.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("pipeline.nlp._fastseg", ["pipeline/nlp/_fastseg.pyx"], optional=True)],
        language_level=3,
    ),
)
