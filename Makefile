# The two commands: `make run` and `make test`. Both install what is missing first.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
PORT ?= 8080
DB ?= $(BUILD)/xiaodian.db

.PHONY: deps build build-asan web run test bench soak fuzz clean

deps:
	@./scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@./scripts/compile.sh $(BUILD) $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DXIAODIAN_SANITIZE=ON >/dev/null
	@./scripts/compile.sh $(ASAN_BUILD) $(JOBS)

web: deps
	@./scripts/build-web.sh

# Fresh demo store on every `make run`; the server prints its URL.
run: build web
	@rm -f $(DB) $(DB)-wal $(DB)-shm
	@$(BUILD)/xiaodian serve --db $(DB) --listen 127.0.0.1:$(PORT) --demo --web-root web --ip-rate 2000 --user-rate 50

test: build web
	@./scripts/test.sh $(BUILD) $(ASAN_BUILD)

bench: build
	@./bench/run.sh $(BUILD)

# Longer fault runs: 5,000 slow idle connections beside normal traffic, then kill -9 x20 under load.
soak: build
	@./bench/slowloris.sh $(BUILD)
	@$(BUILD)/tests/kill9_test

# Coverage-guided fuzzing: FUZZ_SECONDS per target (default 600), libFuzzer (FUZZ_ENGINE=afl: AFL++).
fuzz: deps
	@./scripts/fuzz.sh $(or $(FUZZ_SECONDS),600)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-libfuzzer
