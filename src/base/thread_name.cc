#include "base/thread_name.h"

#include <pthread.h>

namespace xd {
void SetThreadName(const char* name) { pthread_setname_np(pthread_self(), name); }
}  // namespace xd
