# tests/fuzz: libFuzzer target over the plugin's untrusted inputs (control batches, topics and
# filters). A short run in `make test`, a longer one in `make fuzz`.
PP_FUZZ := $(B)/fuzz/fuzz_pp_control
PP_FUZZ_SEEDS := tests/fuzz/corpus/pp_control
# Everything the control API and the ACL need, without the broker glue or the file store's
# I/O paths being exercised (the store pointer is NULL).
PP_FUZZ_SRCS := $(filter-out broker_plugin/pp_plugin.c,$(wildcard broker_plugin/*.c)) $(wildcard common/*.c)

$(PP_FUZZ): tests/fuzz/fuzz_pp_control.c $(PP_FUZZ_SRCS) $(wildcard broker_plugin/*.h common/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c99 -D_POSIX_C_SOURCE=200809L -g -O1 -Wall -Wextra -Werror \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Icommon -Ibroker_plugin \
	    tests/fuzz/fuzz_pp_control.c $(PP_FUZZ_SRCS) -o $@ -lcjson -ljwt -lcrypto -lm

.PHONY: fuzz-pp-control-smoke fuzz-pp-control
fuzz-pp-control-smoke: $(PP_FUZZ)
	@mkdir -p $(B)/fuzz/corpus-pp_control $(B)/fuzz/artifacts/
	@$(PP_FUZZ) -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 -max_total_time=20 \
	    -artifact_prefix=$(B)/fuzz/artifacts/ $(B)/fuzz/corpus-pp_control $(PP_FUZZ_SEEDS) \
	    > $(B)/fuzz/pp_control-smoke.log 2>&1 || { tail -40 $(B)/fuzz/pp_control-smoke.log; exit 1; }
	@echo "fuzz-pp-control-smoke: $$(grep -E '^stat::number_of_executed_units' $(B)/fuzz/pp_control-smoke.log | awk '{print $$2}') runs in 20 s, no crash"

fuzz-pp-control: $(PP_FUZZ)
	@mkdir -p $(B)/fuzz/corpus-pp_control $(B)/fuzz/artifacts/
	$(PP_FUZZ) -rss_limit_mb=1024 -timeout=10 -max_total_time=600 \
	    -artifact_prefix=$(B)/fuzz/artifacts/ $(B)/fuzz/corpus-pp_control $(PP_FUZZ_SEEDS)

TEST_CHECKS += fuzz-pp-control-smoke
FUZZ_TARGETS += fuzz-pp-control
CPPCHECK_SRCS += tests/fuzz/fuzz_pp_control.c
