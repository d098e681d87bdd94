#include <cstdio>
#include <cstdlib>

#include "base/result.h"

namespace xd {

void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "CHECK failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace xd
