# tests/fuzz: libFuzzer targets (clang, ASan + UBSan). A short run in `make test`, a longer one
# in `make fuzz`. New inputs go to build/, the seed corpus in the tree stays as committed.
PD_FUZZ := $(B)/fuzz/fuzz_pd_parse
PD_FUZZ_SEEDS := tests/fuzz/corpus/pd_parse
PD_FUZZ_FLAGS := -rss_limit_mb=1024 -timeout=10 -print_final_stats=1

$(PD_FUZZ): tests/fuzz/fuzz_pd_parse.c $(PD_SRCS) $(PD_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c99 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all $(PD_INC) tests/fuzz/fuzz_pd_parse.c $(PD_SRCS) -o $@

.PHONY: fuzz-pd-parse-smoke fuzz-pd-parse
fuzz-pd-parse-smoke: $(PD_FUZZ)
	@mkdir -p $(B)/fuzz/corpus-pd_parse $(B)/fuzz/artifacts/
	@$(PD_FUZZ) $(PD_FUZZ_FLAGS) -max_total_time=20 -artifact_prefix=$(B)/fuzz/artifacts/ \
	    $(B)/fuzz/corpus-pd_parse $(PD_FUZZ_SEEDS) > $(B)/fuzz/pd_parse-smoke.log 2>&1 \
	    || { tail -40 $(B)/fuzz/pd_parse-smoke.log; exit 1; }
	@echo "fuzz-pd-parse-smoke: $$(grep -E '^stat::number_of_executed_units' $(B)/fuzz/pd_parse-smoke.log | awk '{print $$2}') runs in 20 s, no crash"

fuzz-pd-parse: $(PD_FUZZ)
	@mkdir -p $(B)/fuzz/corpus-pd_parse $(B)/fuzz/artifacts/
	$(PD_FUZZ) $(PD_FUZZ_FLAGS) -max_total_time=600 -artifact_prefix=$(B)/fuzz/artifacts/ \
	    $(B)/fuzz/corpus-pd_parse $(PD_FUZZ_SEEDS)

TEST_CHECKS += fuzz-pd-parse-smoke
FUZZ_TARGETS += fuzz-pd-parse
