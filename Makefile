# The product's front door: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out
SAMPLE ?= data/samples
# the sample is a 重庆日报 page on gas exploration: the rule packs such a paper enables
SAMPLE_PACKS ?= oil_gas,chongqing
# ... and was printed on 11 July 2023: relative dates (今年, 6月底) are read against it
SAMPLE_PUBLISHED ?= 2023-07-11

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: setup run test lint test-slow fuzz bench models rules package clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py constraints.txt $(wildcard pipeline/nlp/inference/*.pyx)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## run the main flow on the bundled sample page, writing Parquet to out/
run: setup
	PIPELINE_RULE_PACKS=$(SAMPLE_PACKS) $(BIN)/python -m pipeline run $(SAMPLE) --out $(OUT) --published $(SAMPLE_PUBLISHED)

## the linter, then the default test suite (no slow tests)
test: setup lint
	$(BIN)/python -m pytest -m "not slow" -q

## ruff over the code and the tests (lint rules and formatting), mypy over the package
## (configured in pyproject.toml)
lint: setup
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/mypy

## long tests: large fuzzing profiles, training on real corpora
test-slow: setup
	$(BIN)/python -m pytest -m slow -q

## the fuzz tests with the long Hypothesis profile: 10,000 generated examples per stage
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -m fuzz -q -p no:cacheprovider --hypothesis-show-statistics

## NER speed against jieba and jiagu, scaling and memory, and the whole flow as users run it
## (pytest-benchmark; about 11 min on 2 cores); prints the table even when a target is missed
bench: setup
	mkdir -p .benchmarks
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest benchmarks -q -p no:cacheprovider --benchmark-json=.benchmarks/ner.json --benchmark-columns=median,mean,stddev,rounds; \
	status=$$?; $(BIN)/python -m benchmarks.report .benchmarks/ner.json; exit $$status

## train the segmenter and NER from the public corpora, assemble models/zh_news (long: about 75 min on 2 cores)
models: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[train]'
	$(BIN)/python -m pipeline train

## regenerate rules/gazetteers/admin_divisions.jsonl (from cpca), countries.jsonl (from pycountry) and
## rules/units_cldr.jsonl (from CLDR through Babel, factors by pint)
rules: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[train]'
	$(BIN)/python -m pipeline.training.gazetteers
	$(BIN)/python -m pipeline.training.countries
	$(BIN)/python -m pipeline.training.units

## installable wheels in dist/: the project (code, compiled extension, rules) and the spaCy
## pipeline zh_news with its rules inside (`pip install dist/*.whl`, then spacy.load("zh_news"))
package: setup
	$(BIN)/python -m pipeline package --dist dist

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis .benchmarks
