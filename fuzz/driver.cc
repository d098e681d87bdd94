// A small driver for the LLVMFuzzerTestOneInput targets when they are not built for a
// coverage-guided fuzzer: replays every file given on the command line (the regression
// corpus, including every crash ever found) and then, for --seconds=N, feeds random
// mutations of those inputs (seeded, so a failure reproduces with the printed seed).
// `make fuzz` builds the same targets with AFL++ for coverage-guided fuzzing.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  double seconds = 0;
  uint64_t seed = 1;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--seconds=", 0) == 0) seconds = std::atof(a.c_str() + 10);
    else if (a.rfind("--seed=", 0) == 0) seed = std::strtoull(a.c_str() + 7, nullptr, 10);
    else {
      std::ifstream in(a, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      corpus.push_back(ss.str());
    }
  }
  for (auto& c : corpus) LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  if (corpus.empty()) corpus.push_back("{}");
  std::mt19937_64 rng(seed);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint64_t execs = 0;
  const char* tokens[] = {"{", "}", "[", "]", "\"", ":", ",", "null", "true", "-1", "9223372036854775807", "%", "%e5", "/", "{id}",
                          "\xff", "\xe5\x92\x96", "\\u0000", "1e308", "\"sku_id\"", "\"quantity\"", "\"price_fen\""};
  while (std::chrono::steady_clock::now() < deadline) {
    std::string s = corpus[rng() % corpus.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
      switch (rng() % 5) {
        case 0: if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(rng()); break;
        case 1: if (!s.empty() && pos < s.size()) s.erase(pos, 1 + rng() % 4); break;
        case 2: s.insert(pos, tokens[rng() % (sizeof tokens / sizeof *tokens)]); break;
        case 3: s.insert(pos, 1, static_cast<char>(rng())); break;
        case 4: if (!corpus.empty()) { auto& o = corpus[rng() % corpus.size()]; if (!o.empty()) s.insert(pos, o.substr(rng() % o.size(), 1 + rng() % 16)); } break;
      }
    }
    if (s.size() > 4096) s.resize(4096);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    ++execs;
  }
  std::printf("{\"target\":\"%s\",\"corpus\":%zu,\"random_execs\":%llu,\"seed\":%llu}\n", argv[0], corpus.size(),
              static_cast<unsigned long long>(execs), static_cast<unsigned long long>(seed));
  return 0;
}
