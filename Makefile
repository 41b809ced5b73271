# The two commands a newcomer needs: `make run` and `make test`. Each
# installs the Debian packages it needs first (scripts/install-deps.sh),
# then configures and builds a Release build with CMake in build/.
#
# make run    installs what building and running needs, builds the tenantd
#             target only and starts it on 8001 with tenants.jsonl.
# make test   adds what the tests need, builds everything and runs ctest.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CTEST_JOBS ?= 2
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all run build-all test test-sanitize bench bench-nginx bench-upstream bench-streams versus-seed soak abuse \
        attack flood fuzz clean

all: build-all

run:
	@./scripts/install-deps.sh --run
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DTENANTD_BUILD_TESTS=OFF -DTENANTD_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target tenantd
	./$(BUILD_DIR)/tenantd --tenants-file tenants.jsonl

# Everything: the service, the tests and the benchmarks (the same build dir
# as `make run`: only what changed is rebuilt).
build-all:
	@./scripts/install-deps.sh
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DTENANTD_BUILD_TESTS=ON -DTENANTD_BUILD_BENCH=ON >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build-all
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(CTEST_JOBS)

# The suite again under ASan + UBSan (build-asan/) and TSan (build-tsan/);
# see scripts/test-sanitize.sh.
test-sanitize:
	@./scripts/install-deps.sh
	JOBS=$(JOBS) ./scripts/test-sanitize.sh

# HTTP throughput and latency of the binary (bench/run.sh).
bench: build-all
	@./scripts/install-deps.sh --bench
	./bench/run.sh $(BUILD_DIR)

# Beside Debian's nginx serving bodies of the same size (docs/benchmarks.md).
bench-upstream: build-all
	./bench/upstream.sh $(BUILD_DIR)

# Memory per open stream (bench/streams.sh).
bench-streams: build-all
	./bench/streams.sh $(BUILD_DIR)

bench-nginx: build-all
	./bench/versus-nginx.sh $(BUILD_DIR)

# Beside the seed's own FastAPI app (installs python3-fastapi and uvicorn).
versus-seed: build-all
	./bench/versus-seed.sh $(BUILD_DIR)

# 10 minutes of mixed traffic with RSS plotted; slow and oversized clients
# beside normal load (docs/benchmarks.md, "Soak and abuse").
soak: build-all
	@./scripts/install-deps.sh --bench
	./bench/soak.sh $(BUILD_DIR)

abuse: build-all
	@./scripts/install-deps.sh --bench
	./bench/abuse.sh $(BUILD_DIR)

# The attacks found against the service, one at a time beside a calm
# tenant: calm p99 and errors, RSS, readiness per vector (docs/benchmarks.md,
# "Attack run").
attack: build-all
	@./scripts/install-deps.sh --bench
	./bench/attack.sh $(BUILD_DIR)

# One tenant flooded past its in-flight cap, another measured beside it.
flood: build-all
	@./scripts/install-deps.sh --bench
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

# Removes every build output: the build dirs of make run/test, the
# sanitizer and fuzz builds.
clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan $(FUZZ_DIR)
