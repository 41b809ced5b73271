# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing Debian packages first, then configure and build a
# Release build with CMake.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test bench soak abuse flood clean

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

clean:
	rm -rf $(BUILD_DIR)
