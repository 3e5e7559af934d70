# The two commands of README.md. Each runs scripts/bootstrap.sh first, which installs
# what is missing (MUMPS when root, uv, Kwant and the rest) and is quick once done.
# uv may have just been installed into ~/.local/bin, so that goes on PATH here.
RUN := PATH="$(HOME)/.local/bin:$$PATH" uv run --locked

.PHONY: demo test lint bootstrap

bootstrap:
	@./scripts/bootstrap.sh

demo: bootstrap
	$(RUN) mesoflow demo --output demo-output

# mesoflow's tests, then Kwant's own test suite against the Kwant built here (known
# upstream failures are listed, each with its reason, in scripts/kwant_selftest.py).
test: bootstrap
	$(RUN) pytest
	$(RUN) python scripts/kwant_selftest.py

lint: bootstrap
	$(RUN) ruff check .
