# jixiao — `make demo` and `make test` do all set-up on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
APT_PKGS := fonts-noto-cjk fonts-arphic-uming fonts-arphic-ukai fonts-wqy-zenhei fonts-wqy-microhei tesseract-ocr tesseract-ocr-chi-sim
DEMO    ?= samples/s01/scan.pdf
EVALSET := data/evalset
SEED    := 20261130
DEVSEED := 20261123

.PHONY: install install-paddle system-deps demo test bench evalset devset model schema clean

install: $(STAMP)

# Fonts for the form generator and Tesseract for the benchmark baseline (Debian packages).
system-deps: $(VENV)/.system-deps
$(VENV)/.system-deps:
	@mkdir -p $(VENV)
	@if dpkg -s $(APT_PKGS) >/dev/null 2>&1; then echo "system packages present"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS) >/dev/null; fi
	@touch $@

$(STAMP): pyproject.toml | system-deps
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU wheel; an unpinned torch would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	@touch $@

# The second OCR backend (PaddleOCR 3 on paddlepaddle, an optional extra): tested in CI and
# compared in the benchmark; `make demo` does without it.
install-paddle: $(VENV)/.paddle
$(VENV)/.paddle: $(STAMP)
	$(BIN)/pip install -q -e ".[dev,paddle]"
	@touch $@

demo: install
	$(BIN)/jixiao extract $(DEMO)

test: install-paddle
	$(BIN)/python -m pytest

bench: install-paddle
	$(BIN)/python -m training.bench --out docs/benchmarks.md

# The evaluation set: never trained on, not used for tuning (models/README.md names the two
# documents looked at once, for rules then checked on data/devset and fresh sets).
evalset: install
	$(BIN)/python -m training.synth.build --split eval --n 150 --seed $(SEED) --out $(EVALSET) --no-png --workers 2

# The development set: same generator, another seed; failures were studied and fixed on it.
devset: install
	$(BIN)/python -m training.synth.build --split eval --n 150 --seed $(DEVSEED) --out data/devset --no-png --workers 2

model: install
	$(BIN)/python -m training.train --out models

schema: install
	$(BIN)/jixiao schema

clean:
	rm -rf $(VENV) .pytest_cache build
