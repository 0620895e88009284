# kprof — the two commands: `make run` and `make test`. Both install what they need.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= 2
FUZZ_SECONDS ?= 30

.PHONY: all deps configure build test unit-test fuzz-smoke run bench fuzz format clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

# Every test: unit, integration (against real Go profiles and go tool pprof), and a
# short run of each fuzz target.
test: unit-test fuzz-smoke

unit-test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# Seeds come from the real profiles the test fixture captured.
fuzz-smoke: deps
	@KPROF_TESTDATA_DIR=$(abspath $(BUILD_DIR))/testdata KPROF_FUZZ_JOBS=$(JOBS) bash fuzz/run.sh $(FUZZ_SECONDS)

# Until the server exists: capture real profiles from the Go workload and show the
# engine on them (top table, flame graph, diff).
run: build
	@bash scripts/demo.sh $(BUILD_DIR)

bench: build
	@bash bench/run.sh $(BUILD_DIR)

fuzz: deps
	@KPROF_TESTDATA_DIR=$(abspath $(BUILD_DIR))/testdata KPROF_FUZZ_JOBS=$(JOBS) bash fuzz/run.sh $(FUZZ_SECONDS)

format:
	@find src apps tests bench fuzz -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-fuzz
