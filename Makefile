# Parley: one non-recursive Makefile. Each part adds itself through a *.mk fragment in its
# folder, appending to the lists below; nothing here knows a part's files.
#
#   make          build everything under build/
#   make run      start the local stack (tools/run-stack.sh) and print how to use it
#   make test     install what is missing, build, run every test; non-zero on any failure
#   make bench    run the benchmarks, write docs/benchmarks.md
#   make fuzz     longer fuzzing runs
#   make firmware Cortex-M cross-builds and their size report

.DEFAULT_GOAL := all
.SECONDARY:
.DELETE_ON_ERROR:
SHELL := /bin/bash

B        := build
CC       := cc
CLANG    := clang
PY       := /usr/bin/python3
CPPFLAGS := -D_POSIX_C_SOURCE=200809L
CWARN    := -Wall -Wextra -Werror
CFLAGS   := -std=c99 $(CWARN) -O2 -g
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Unit tests: cmocka, ASan + UBSan.
UNIT_CFLAGS := -std=c99 $(CWARN) -O1 -g $(SAN)

# Lists the fragments append to.
ALL_TARGETS   :=   # artifacts `make` builds
UNIT_TESTS    :=   # unit test binaries; `make test` runs each
TEST_CHECKS   :=   # further phony checks in `make test` (size budget, fuzz smoke, symbol checks)
BENCH_TARGETS :=   # phony targets of `make bench`; each writes $(B)/bench/<name>.md
FUZZ_TARGETS  :=   # phony targets of `make fuzz`
FIRMWARE_TARGETS := # phony targets of `make firmware`
CPPCHECK_SRCS :=   # C sources cppcheck must pass
CLEAN_EXTRA   :=

include $(sort $(wildcard common/*.mk broker_plugin/*.mk bridge/*.mk firmware_client/*.mk tools/*.mk tests/*/*.mk))
TEST_CHECKS += format

.PHONY: all deps run test test-unit test-checks test-integration test-browser cppcheck format bench fuzz firmware clean

all: $(ALL_TARGETS)

deps:
	@tools/deps.sh

run: deps all
	@tools/run-stack.sh

# Every stage runs even when an earlier one failed (-k), and the exit status is non-zero if any did.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory -k test-unit test-checks cppcheck test-integration test-browser

test-unit: $(UNIT_TESTS)
	@fail=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

test-checks: $(TEST_CHECKS)

cppcheck:
	@cppcheck --quiet --std=c99 --enable=warning,style,performance,portability --inline-suppr \
	    --error-exitcode=1 --suppress=missingIncludeSystem -Icommon -Ibroker_plugin -Ibridge \
	    -Ifirmware_client/include -Ifirmware_client/src $(CPPCHECK_SRCS)
	@echo "cppcheck: clean ($(words $(CPPCHECK_SRCS)) files)"

# clang-format check (.clang-format holds STYLE.md's settings); `make format FIX=1` rewrites.
FORMAT_SRCS := $(sort $(wildcard common/*.[ch] broker_plugin/*.[ch] bridge/*.[ch] tests/unit/*/*.[ch] \
    firmware_client/*/*.[ch] firmware_client/ports/*/*.[ch] tools/*/*.[ch] tests/fuzz/*.c))
format:
	@$(if $(FIX),clang-format -i $(FORMAT_SRCS),clang-format --dry-run --Werror $(FORMAT_SRCS))
	@echo "format: $(words $(FORMAT_SRCS)) files $(if $(FIX),formatted,as .clang-format wants)"

test-integration: all
	@cd tests/integration && $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Browser tests: playwright-core (npm, installed by tools/deps.sh) driving Debian's chromium.
test-browser: all
	@node --test tests/browser/

bench: deps all
	@mkdir -p $(B)/bench
	@$(MAKE) --no-print-directory $(BENCH_TARGETS)
	@tools/bench-report.sh $(B)/bench docs/benchmarks.md

fuzz: $(FUZZ_TARGETS)

firmware: $(FIRMWARE_TARGETS)

clean:
	rm -rf $(B) $(CLEAN_EXTRA)
