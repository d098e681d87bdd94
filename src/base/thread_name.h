// Names the calling thread (Linux: at most 15 characters), so `top -H`, perf and gdb show
// which of the server's threads is busy: xd-writer, xd-ckpt, xd-http, xd-paynotify, …
#pragma once

namespace xd {
void SetThreadName(const char* name);
}  // namespace xd
