# tenantd — multi-tenant chat service (C++17, CAF actors, Boost.JSON, ICU).
#
# Two stages on Debian 12 so that the build and runtime libraries are the very
# same Debian packages the project is developed and tested against:
#   build   — compiler, CMake and the -dev packages; builds a Release `tenantd`
#             without tests or benchmarks (neither tests/ nor bench/ is in the
#             build context, see .dockerignore).
#   runtime — only the shared libraries `tenantd` links, a non-root user, the
#             binary and the default tenant registry.
#
#   docker build -t tenantd .
#   docker run --rm -p 8001:8000 tenantd          # or: docker-compose up --build
#
# Configuration is by environment (all but ADMIN_TOKEN also flags, which win;
# `tenantd --help` lists each with its values and default): PORT, HOST,
# ADMIN_LISTEN, TENANTS_FILE, DATA_DIR, ADMIN_TOKEN, SESSION_TTL, TENANT_IDLE,
# IO_THREADS, ACTOR_THREADS, ASK_TIMEOUT_MS, INTERNAL_TIMEOUT_MS, BODY_LIMIT,
# HEADER_LIMIT, IDLE_TIMEOUT_S, HEADER_TIMEOUT_S, BODY_TIMEOUT_S,
# WRITE_TIMEOUT_S, LINGER_TIMEOUT_S, LINGER_BYTES, MAX_CONNECTIONS,
# MAX_CONNECTIONS_PER_ADDRESS, MAX_UNSENT_BYTES_PER_CONNECTION,
# MAX_UNSENT_BYTES, JSON_MAX_DEPTH, JSON_MAX_FIELDS, MAX_MESSAGE_CHARS,
# MAX_REPLY_BYTES, MAX_SESSIONS_PER_TENANT, TENANT_REPLY_BYTES_PER_S,
# TENANT_HISTORY_LIMIT, CLIENT_RATE_LIMIT, PASSWORD_THREADS, PASSWORD_QUEUE,
# PASSWORD_QUEUE_PER_TENANT, PASSWORD_MEMORY_KIB, PASSWORD_ITERATIONS,
# LOGIN_FREE_FAILURES, LOGIN_MAX_DELAY, AUDIT_RETENTION_DAYS,
# ACCESS_TOKEN_TTL, TOKEN_ISSUER, TOKEN_AUDIENCE, TOKEN_CACHE_ENTRIES,
# TENANT_MAX_IN_FLIGHT, LOG_REQUESTS, LOG_FORMAT, LOG_LEVEL.
# State (the SQLite database, a generated admin token, the key secret API
# keys are hashed under, the config key upstream API keys are sealed under
# and the token signing keys) lives in the volume /data, locked by the
# running service (one container per volume); without ADMIN_TOKEN, read the
# token from /data/admin-token. Back up the whole volume: without
# /data/key-secret no API key opens anything, without /data/config-key no
# stored upstream key does.

ARG DEBIAN_IMAGE=debian:bookworm-slim

# --------------------------------------------------------------------------
# Build stage
# --------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        cmake g++ make \
        libcaf-dev \
        libboost1.81-dev libboost-json1.81-dev \
        libicu-dev \
        libmimalloc-dev \
        libsqlite3-dev \
        libssl-dev libsodium-dev pkg-config \
        prometheus-cpp-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# The whole context: CMakeLists.txt, app/, http/, actors/, storage/, core/,
# metrics/, util/, docs/ (openapi.json
# is compiled into the binary), tenants.jsonl and whatever else CMake needs.
# .dockerignore keeps out .git, build trees, tests/, bench/ and CI files.
COPY . .

# Release build without tests/benchmarks; then pick the `tenantd` executable
# wherever the CMake project places it under build/, and strip it.
RUN set -eu; \
    cmake -S . -B build \
        -DCMAKE_BUILD_TYPE=Release \
        -DTENANTD_BUILD_TESTS=OFF \
        -DTENANTD_BUILD_BENCH=OFF; \
    cmake --build build --parallel "$(nproc)"; \
    bin="$(find build -type f -name tenantd -perm -u+x -print -quit)"; \
    if [ -z "$bin" ]; then echo "tenantd executable not found under build/" >&2; exit 1; fi; \
    install -D -m 0755 "$bin" /out/tenantd; \
    strip /out/tenantd

# --------------------------------------------------------------------------
# Runtime stage
# --------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS runtime

LABEL org.opencontainers.image.title="tenantd" \
      org.opencontainers.image.description="Multi-tenant chat service (C++17 / CAF)" \
      org.opencontainers.image.version="0.2.0"

# Runtime libraries only (their dependencies libstdc++6/libgcc-s1/libc6 are
# already in the base image), and ca-certificates: the certificates of
# https:// AI upstreams are verified against the system's trust store.
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libcaf-core0.17 \
        libboost-json1.81.0 \
        libicu72 \
        libmimalloc2.0 \
        libprometheus-cpp-core1.0 \
        libsqlite3-0 \
        libssl3 libsodium23 \
        ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Unprivileged system user; /app stays owned by root so the service cannot
# modify its own files.
RUN groupadd --system --gid 10001 tenantd \
 && useradd --system --uid 10001 --gid tenantd \
        --home-dir /app --no-create-home --shell /usr/sbin/nologin tenantd

WORKDIR /app

# The data directory, owned by the service user (the only writable path).
RUN install -d -o 10001 -g 10001 -m 0700 /data
VOLUME ["/data"]

COPY --from=build /out/tenantd /usr/local/bin/tenantd
COPY tenants.jsonl /app/tenants.jsonl

# Fail the image build (rather than the first container start) if the binary
# links a shared library that the packages above do not provide.
RUN if ldd /usr/local/bin/tenantd | grep 'not found'; then \
        echo "tenantd: missing runtime libraries (add their packages above)" >&2; exit 1; \
    fi

ENV PORT=8000 \
    HOST=0.0.0.0 \
    TENANTS_FILE=/app/tenants.jsonl \
    DATA_DIR=/data

EXPOSE 8000

# Health check without curl/wget: bash's /dev/tcp sends a plain HTTP/1.1
# `GET /healthz` (alive; cheap, no actor asked) to the service inside the
# container and wants a 200 status line.
# (Assumes HOST lets 127.0.0.1 reach the listener, as the default 0.0.0.0 does.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${PORT:-8000}\" && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q '^HTTP/1\\.[01] 200 '"]

USER 10001:10001

# tenantd runs as PID 1 (exec form) and exits 0 on SIGTERM/SIGINT itself.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tenantd"]
