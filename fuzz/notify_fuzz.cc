// Fuzz target: provider notifications. Property: a body is accepted only with the right
// signature; decoding never crashes.
#include <cstdint>
#include <string>

#include "pay/pay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static xd::FakeClock clock;
  static xd::pay::SandboxProvider provider("fuzz-secret", clock);
  std::string body(reinterpret_cast<const char*>(data), size);
  std::string forged(64, 'a');
  if (xd::pay::VerifyNotification(provider, clock, body, forged)) __builtin_trap();
  (void)xd::pay::VerifyNotification(provider, clock, body, provider.Sign(body));
  return 0;
}
