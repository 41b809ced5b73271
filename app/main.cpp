// tenantd: the multi-tenant chat service. Reads its configuration, opens
// its data directory (adding tenants from the tenants file it lacks), serves
// HTTP until SIGINT/SIGTERM, then exits 0 after finishing the requests in
// flight.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#ifndef TENANTD_NO_MIMALLOC
#include <mimalloc.h>
#endif

#include "app/config.hpp"
#include "app/service.hpp"
#include "util/log.hpp"

namespace {

// The allocator the process runs on, for the start-up log line.
// mi_version() is 209 for 2.0.9. Sanitizer builds leave mimalloc out
// (CMakeLists.txt): the sanitizer's allocator serves malloc and new.
std::string allocator_name() {
#ifdef TENANTD_NO_MIMALLOC
  return "the sanitizer's";
#else
  auto v = mi_version();
  return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10)
         + "." + std::to_string(v % 10);
#endif
}

} // namespace

int main(int argc, char** argv) {
  using namespace tenantd;
  auto parsed = parse_config(argc, argv, [](const char* name) {
    return std::getenv(name);
  });
  if (auto* help = std::get_if<config_help>(&parsed)) {
    std::fputs(help->text.c_str(), stdout);
    return EXIT_SUCCESS;
  }
  if (auto* err = std::get_if<config_error_message>(&parsed)) {
    std::fprintf(stderr, "tenantd: %s\n", err->text.c_str());
    return 2;
  }
  auto& config = std::get<app_config>(parsed);
  log::configure(config.log_format == "json" ? log::format::json
                                             : log::format::text,
                 log::level_from_string(config.log_level)
                   .value_or(log::level::info));
  try {
    service svc{config, load_tenants_file(config.tenants_file)};
    auto& token = svc.token();
    log::info("service", token.generated
                           ? "admin token generated into " + token.origin
                               + " (owner-only; read it there)"
                           : "admin token from " + token.origin);
    log::info("service", "listening on http://" + config.host + ":"
                           + std::to_string(svc.port())
                           + " (tenants file " + config.tenants_file
                           + ", data in " + config.data_dir
                           + ", allocator: " + allocator_name()
                           + ")");
    if (config.admin_listen)
      log::info("service", "admin API and /metrics on http://"
                             + config.admin_host + ":"
                             + std::to_string(svc.admin_port())
                             + ", not on the public port");
    svc.run(true);
    log::info("service", "stopped");
  } catch (const std::exception& e) {
    log::flush();
    std::fprintf(stderr, "tenantd: error: %s\n", e.what());
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
