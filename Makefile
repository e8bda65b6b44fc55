# aslsh — the two commands a new user needs:
#   make demo   set up (idempotent) and run the demo session on built-in data
#   make test   set up (idempotent) and run the whole test suite, optimised
# `.ci/run` runs exactly `make test`.
# make install [PREFIX=/usr/local] [DESTDIR=] puts aslsh in PREFIX/bin and MediaPipe's models in
# PREFIX/share/aslsh/models/mediapipe, where the binary looks for them; make uninstall removes both.

SHELL := /bin/bash
SWIFT ?= swift

.PHONY: setup build demo test test-native bench fuzz clean install uninstall

PREFIX ?= /usr/local
DESTDIR ?=
BIN_DIR = $(DESTDIR)$(PREFIX)/bin
MODEL_DIR = $(DESTDIR)$(PREFIX)/share/aslsh/models/mediapipe
MODELS = palm_detection_full palm_detection_lite hand_landmark_full hand_landmark_lite
# The binary install copies. Empty: build it (an up-to-date build is a quick no-op). Given, e.g.
# BIN=.build/release/aslsh, install copies it without building (e.g. under sudo after make build).
BIN ?=

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product aslsh

demo: build
	$(SWIFT) run -c release aslsh sessions/quickstart.aslsh

# The suite natively, again on the portable kernels + another OpenBLAS kernel, then on emulated
# SSE4.2-only and AVX-only CPUs (scripts/test.sh says why). `make test-native` is pass 1 alone.
test: setup
	SWIFT=$(SWIFT) bash scripts/test.sh

test-native: setup
	SWIFT=$(SWIFT) bash scripts/test.sh native

# make bench (every area, summary table) or make bench AREA=tflite|media|hands|datasets|plot|nn|shell|predict
AREA ?= all
bench: build
	$(SWIFT) run -c release aslsh-bench $(AREA)

# Coverage-guided fuzzing of every reader (libFuzzer + AddressSanitizer; not part of make test):
# make fuzz [FUZZ_TARGETS="npy png"] [FUZZ_RUNS=1000000] [FUZZ_SECONDS=900] [FUZZ_PARALLEL=2]
fuzz: setup
	SWIFT=$(SWIFT) bash scripts/fuzz.sh

install: $(if $(BIN),,build)
	@for m in $(MODELS); do [ -f models/mediapipe/$$m.tflite ] || { \
	  echo "install: models/mediapipe/$$m.tflite is missing: run make setup" >&2; exit 1; }; done
	install -d "$(BIN_DIR)" "$(MODEL_DIR)"
	install -m 755 "$(or $(BIN),.build/release/aslsh)" "$(BIN_DIR)/aslsh"
	install -m 644 $(MODELS:%=models/mediapipe/%.tflite) "$(MODEL_DIR)"
	@echo "installed $(BIN_DIR)/aslsh and its models in $(MODEL_DIR)"

# Removes what install put there, and the share/aslsh folders if nothing else is in them.
uninstall:
	rm -f "$(BIN_DIR)/aslsh" $(MODELS:%="$(MODEL_DIR)/%.tflite")
	-rmdir "$(MODEL_DIR)" "$(DESTDIR)$(PREFIX)/share/aslsh/models" "$(DESTDIR)$(PREFIX)/share/aslsh" 2>/dev/null

clean:
	rm -rf .build
