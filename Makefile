# Kubewarden policy targets. `make test` is the one command CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

POLICY_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
HOST_SOURCES := $(shell find host/src -name '*.rs') host/Cargo.toml Cargo.lock
KWHOST := target/host/kwhost
# The real kwctl when it is installed; otherwise the project's own test host.
KWCTL ?= $(shell command -v kwctl 2>/dev/null || echo $(CURDIR)/$(KWHOST))
export KWCTL

.PHONY: setup fmt fmt-check lint fixtures-check unit-tests host-tests e2e-tests runtime-tests test demo bench bench-instructions bench-profile fuzz clean

# Installs what the build and tests need and is not there yet.
setup:
	@command -v rustup >/dev/null || { echo "rustup is needed: see https://rustup.rs"; exit 1; }
	@rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@missing=""; for tool in bats jq; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	/usr/bin/python3 -m pip --version >/dev/null 2>&1 || missing="$$missing python3-pip"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	/usr/bin/python3 -c 'import yaml' 2>/dev/null || missing="$$missing python3-yaml"; \
	command -v wasm-opt >/dev/null || missing="$$missing binaryen"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "please install:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

# wasm-opt (binaryen) shrinks the module by about 15 % with identical answers (host tests
# compare every fixture's answer with the native build); the features are those rustc emits.
WASM_FEATURES := --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue
# The module's size limit (issue 10), checked at every build.
MAX_WASM_BYTES := 400000
policy.wasm: $(POLICY_SOURCES) .cargo/config.toml
	cargo build --target=wasm32-wasip1 --release
	wasm-opt -Oz $(WASM_FEATURES) target/wasm32-wasip1/release/agent_hardening_policy.wasm -o policy.wasm
	@size=$$(stat -c %s policy.wasm); if [ "$$size" -gt $(MAX_WASM_BYTES) ]; then \
	  echo "policy.wasm is $$size bytes, over $(MAX_WASM_BYTES) (a RUSTFLAGS in the environment drops .cargo/config.toml's)"; \
	  rm -f policy.wasm; exit 1; fi

$(KWHOST): $(HOST_SOURCES)
	cargo build -p kwhost --profile host
	touch $(KWHOST)

annotated-policy.wasm: policy.wasm metadata.yml README.md
	@if command -v kwctl >/dev/null; then \
	  kwctl annotate -m metadata.yml -u README.md -o annotated-policy.wasm policy.wasm; \
	else \
	  $(MAKE) --no-print-directory $(KWHOST) && $(KWHOST) annotate -m metadata.yml -u README.md -o annotated-policy.wasm policy.wasm; \
	fi

fmt:
	cargo fmt --all

fmt-check:
	cargo fmt --all -- --check

lint:
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p kwhost --profile host --all-targets -- -D warnings
	# The fuzz targets build on their own (`make fuzz`); they must still compile.
	cd fuzz && cargo check --quiet --bins

unit-tests:
	cargo test

host-tests: policy.wasm
	POLICY_WASM=$(CURDIR)/policy.wasm cargo test -p kwhost --profile host

e2e-tests: annotated-policy.wasm $(if $(shell command -v kwctl 2>/dev/null),,$(KWHOST))
	bats e2e.bats

# Will the agent still run? Admitted python and node pods run as the kubelet would (bubblewrap).
runtime-tests: annotated-policy.wasm $(if $(shell command -v kwctl 2>/dev/null),,$(KWHOST))
	bats runtime.bats

# The committed fixtures are exactly what test_data/make_fixtures.py writes.
fixtures-check:
	@out=$$(mktemp -d); python3 test_data/make_fixtures.py "$$out"; \
	for f in $$(cd "$$out" && find . -name '*.json'); do \
	  cmp -s "$$out/$$f" "test_data/$$f" || { echo "test_data/$$f differs from what make_fixtures.py writes"; exit 1; }; \
	done; echo "fixtures: $$(cd "$$out" && find . -name '*.json' | wc -l) files match make_fixtures.py"; rm -rf "$$out"

test: setup fmt-check lint fixtures-check unit-tests host-tests e2e-tests runtime-tests

# Builds the policy and evaluates a sample agent pod with the default settings.
demo: setup annotated-policy.wasm $(if $(shell command -v kwctl 2>/dev/null),,$(KWHOST))
	@echo "== $$(basename "$(KWCTL)") run --request-path test_data/pod_framework_python.json annotated-policy.wasm"
	@out=$$("$(KWCTL)" run --request-path test_data/pod_framework_python.json annotated-policy.wasm 2>/dev/null); \
	echo "allowed: $$(jq -r .allowed <<<"$$out")"; \
	echo "warnings:"; jq -r '.warnings[]? | "  - " + .' <<<"$$out"; \
	echo "patch:"; jq -r '.patch // empty' <<<"$$out" | base64 -d | jq .

# Evaluation times through the waPC host (BENCHMARKS.md): the policy, then three do-nothing
# baselines: parse and accept; return the object; return the policy's own answer (read once),
# so that policy minus answer baseline is the policy's own work. BENCH_BEFORE=old.wasm adds a
# column for an earlier build of the policy (same fixtures, same run).
BENCH_BEFORE ?=
BENCH_FIXTURES := pod_compliant pod_minimal pod_framework_python pod_init_and_sidecars pod_60_containers pod_every_violation deployment_create bench/pod_1_containers bench/pod_10_containers bench/pod_30_containers bench/pod_100_containers
BASELINE := target/wasm32-wasip1/release/baseline_policy.wasm
bench: policy.wasm $(KWHOST)
	cargo build -p baseline-policy --target=wasm32-wasip1 --release
	@mkdir -p target/bench
	@ls -l policy.wasm | awk '{print "policy.wasm size: " $$5 " bytes"}'
	@for f in $(BENCH_FIXTURES); do \
	  name=$$(basename $$f); \
	  $(KWHOST) answer --request-path test_data/$$f.json policy.wasm | jq -c '{answer: .}' > target/bench/$$name.answer.json; \
	  median() { grep -o 'median [0-9.]*' | awk '{print $$2}'; }; \
	  p=$$($(KWHOST) bench --request-path test_data/$$f.json policy.wasm | median); \
	  b=$$([ -z "$(BENCH_BEFORE)" ] || echo "before $$($(KWHOST) bench --request-path test_data/$$f.json $(BENCH_BEFORE) | median) µs | "); \
	  a=$$($(KWHOST) bench --request-path test_data/$$f.json $(BASELINE) | median); \
	  e=$$($(KWHOST) bench --request-path test_data/$$f.json --settings-json '{"echo":true}' $(BASELINE) | median); \
	  w=$$($(KWHOST) bench --request-path test_data/$$f.json --settings-path target/bench/$$name.answer.json $(BASELINE) | median); \
	  echo "$$name: $$b""policy $$p µs | parse+accept $$a | echo object $$e | answer only $$w | policy/answer $$(awk "BEGIN{printf \"%.2f\", $$p/$$w}") | own work $$(awk "BEGIN{printf \"%.1f\", $$p-$$w}") µs"; \
	done

# Instructions per evaluation on a fresh instance (valgrind callgrind; deterministic, unlike
# wall-clock time here): `make bench-instructions [BENCH_BEFORE=old.wasm] [INSTR_FIXTURES=...]`.
# Not part of `make test`; about 30 s per policy and fixture.
INSTR_FIXTURES ?=
bench-instructions: policy.wasm $(KWHOST)
	cargo build -p baseline-policy --target=wasm32-wasip1 --release
	@command -v valgrind >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; } || \
	  { echo "please install valgrind"; exit 1; }
	@BEFORE=$(BENCH_BEFORE) bench/instructions.sh $(INSTR_FIXTURES)

# Instructions per wasm function for one fixture (`make bench-profile PROFILE_FIXTURE=...`):
# kwhost with KWHOST_PERFMAP=1 under callgrind, JIT code named through wasmtime's perf map.
PROFILE_FIXTURE ?= bench/pod_30_containers
bench-profile: $(KWHOST)
	@command -v valgrind >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; } || \
	  { echo "please install valgrind"; exit 1; }
	@bench/profile.sh $(PROFILE_FIXTURE)

# Fuzzing (not part of `make test`): each target for FUZZ_SECONDS, from the committed seeds in
# fuzz/corpus/ (new inputs go to fuzz/target/corpus/, crashes to fuzz/artifacts/). cargo-fuzz
# needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain take them.
FUZZ_SECONDS ?= 120
FUZZ_TARGETS := validate_bytes structured_request settings quantity_and_paths
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/target/corpus/$$t fuzz/corpus/$$t; \
	  echo "== fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $$t target/corpus/$$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 >target/$$t.log 2>&1) \
	    || { tail -40 fuzz/target/$$t.log; exit 1; }; \
	  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^Done" fuzz/target/$$t.log; \
	done

clean:
	cargo clean
	rm -f policy.wasm annotated-policy.wasm
