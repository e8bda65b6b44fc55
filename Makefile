# aslsh — the two commands a new user needs:
#   make demo   set up (idempotent) and run the demo session on built-in data
#   make test   set up (idempotent) and run the whole test suite, optimised
# `.ci/run` runs exactly `make test`.

SHELL := /bin/bash
SWIFT ?= swift
# Numeric code (model goldens, training parity) is ~50x slower unoptimised: tests run in release
# with -enable-testing so @testable imports still work.
RELEASE_FLAGS = -c release -Xswiftc -enable-testing

.PHONY: setup build demo test test-native bench clean

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
	$(SWIFT) build $(RELEASE_FLAGS) --build-tests
	@mkdir -p .build
	set -o pipefail; $(SWIFT) test $(RELEASE_FLAGS) --skip-build --disable-swift-testing 2>&1 | tee .build/test.log
	@bash scripts/test-summary.sh .build/test.log

# make bench (every area, summary table) or make bench AREA=tflite|media|hands|datasets|plot|nn|shell|predict
AREA ?= all
bench: build
	$(SWIFT) run -c release aslsh-bench $(AREA)

clean:
	rm -rf .build
