# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing Debian packages first, then configure and build a
# Release build with CMake.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test test-sanitize bench clean

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

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan
