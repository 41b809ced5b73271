# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing Debian packages first, then configure and build a
# Release build with CMake.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build run test test-sanitize bench soak abuse flood fuzz clean

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/tenantd --tenants-file tenants.jsonl

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2

# The suite again under ASan + UBSan (build-asan/) and TSan (build-tsan/);
# see scripts/test-sanitize.sh.
test-sanitize: deps
	JOBS=$(JOBS) ./scripts/test-sanitize.sh

bench: build
	./bench/run.sh $(BUILD_DIR)

# 10 minutes of mixed traffic with RSS plotted; slow and oversized clients
# beside normal load (docs/benchmarks.md, "Soak and abuse").
soak: build
	./bench/soak.sh $(BUILD_DIR)

abuse: build
	./bench/abuse.sh $(BUILD_DIR)

# One tenant flooded past its in-flight cap, another measured beside it.
flood: build
	./bench/flood.sh $(BUILD_DIR)

# libFuzzer targets (fuzz/README.md): clang with ASan and UBSan in a build
# dir of their own, each target run FUZZ_SECONDS. -O1 -g without NDEBUG:
# fast enough, readable stacks, and Boost's own assertions stay on.
fuzz:
	@./scripts/install-deps.sh --fuzz
	@cmake -S . -B $(FUZZ_DIR) -DTENANTD_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g"
	@cmake --build $(FUZZ_DIR) -j $(JOBS)
	./fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

clean:
.PHONY: all deps configure build run test test-sanitize bench soak abuse flood fuzz clean
