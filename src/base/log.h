// Logging: one line per event, key=value, through spdlog. Only at boundaries (startup,
// access log, background failures).
#pragma once

#include <spdlog/spdlog.h>

namespace xd {
// Sets the process-wide level from "debug" / "info" / "warn" / "error" / "off".
void SetLogLevel(const std::string& level);
}  // namespace xd
