# The two commands of README.md. Each runs scripts/bootstrap.sh first, which installs
# what is missing (MUMPS when root, uv, Kwant and the rest) and is quick once done.
# uv may have just been installed into ~/.local/bin, so that goes on PATH here.
RUN := PATH="$(HOME)/.local/bin:$$PATH" uv run --locked

.PHONY: demo test lint docs bootstrap

bootstrap:
	@./scripts/bootstrap.sh

demo: bootstrap
	$(RUN) mesoflow demo --output demo-output

# Kwant's own test suite against the Kwant built here (known upstream failures are
# listed, each with its reason, in scripts/kwant_selftest.py), then mesoflow's tests
# (last, so that the run closes on mesoflow's own count), on both cores (pytest-xdist; one test
# file per worker, so that module fixtures are built once).
# Before them: the layers' import contract (docs/architecture.md) and the API reference
# built from the docstrings with warnings as errors.
test: bootstrap
	$(RUN) lint-imports
	$(RUN) sphinx-build -W --keep-going -q -b html docs docs/_build/html
	$(RUN) python scripts/kwant_selftest.py
	$(RUN) pytest -n 2 --dist loadfile

lint: bootstrap
	$(RUN) ruff check .
	$(RUN) lint-imports

# The API reference (numpydoc docstrings) and the architecture notes: docs/_build/html/index.html
docs: bootstrap
	$(RUN) sphinx-build -W --keep-going -q -b html docs docs/_build/html
