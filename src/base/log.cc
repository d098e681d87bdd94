#include "base/log.h"

namespace xd {
void SetLogLevel(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }
}  // namespace xd
