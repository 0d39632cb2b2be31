# chatvault — the two set-up commands are `make demo` and `make test`; both install what is
# missing first (scripts/install-deps.sh), so they work on a fresh Debian 12 machine.

PRESET := $(if $(filter true,$(CI)),ci,dev)
JOBS   ?= $(shell nproc)
DEMO_EXPORT := examples/demo-export.zip

.PHONY: all deps build test test-fast test-asan fuzz fuzz-smoke demo bench format format-check clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build build -j $(JOBS)

# Every test: the optimised build, then the whole suite again under ASan+UBSan, then a short
# libFuzzer run of each target.
test: format-check test-fast test-asan fuzz-smoke

test-fast: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake --preset asan-ubsan >/dev/null
	@cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS) -LE slow

fuzz-smoke: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@./tests/fuzz/run_fuzzers.sh build-fuzz 20

# A longer fuzzing session for people (not CI): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 300
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@./tests/fuzz/run_fuzzers.sh build-fuzz $(FUZZ_SECONDS)

demo: build
	@./examples/run-demo.sh build/chatvault

bench: build
	python3 bench/parse_throughput.py --chatvault build/chatvault
	python3 bench/render_throughput.py --chatvault build/chatvault
	python3 bench/import_throughput.py --chatvault build/chatvault
	python3 bench/delivery_throughput.py --chatvault build/chatvault

format:
	clang-format-14 -i $$(git ls-files '*.cpp' '*.hpp')

format-check: deps
	clang-format-14 --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build build-asan build-tsan build-fuzz
