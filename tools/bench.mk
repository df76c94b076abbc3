# tools/bench: parley-bench (the load generator every benchmark uses), the plugin benchmark
# driver (make bench -> build/bench/plugin.md) and its callgrind harness.
# pt_bench_acl.c is its own program (the callgrind harness), not part of parley-bench.
BENCH_ACL_SRC := tools/bench/pt_bench_acl.c
BENCH_SRCS := $(filter-out $(BENCH_ACL_SRC),$(wildcard tools/bench/pt_bench*.c))
BENCH_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(BENCH_SRCS))

$(B)/obj/tools/bench/%.o: tools/bench/%.c tools/bench/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/parley-bench: $(BENCH_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ -lcrypto

ALL_TARGETS += $(B)/parley-bench
CPPCHECK_SRCS += $(BENCH_SRCS) $(BENCH_ACL_SRC)

# pt-bench-acl: N ACL checks against the large index, for callgrind (bench_plugin.py runs it).
# Links the plugin's pure decision modules (the same -O2 objects as the .so), no broker.
BENCH_ACL_OBJS := $(addprefix $(B)/obj/broker_plugin/,pp_acl.o pp_index.o pp_opts.o pp_rate.o) \
                  $(PP_COMMON_OBJS)

$(B)/obj/tools/bench/pt_bench_acl.o: $(BENCH_ACL_SRC) $(PP_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Icommon -Ibroker_plugin -c $< -o $@

$(B)/pt-bench-acl: $(B)/obj/tools/bench/pt_bench_acl.o $(BENCH_ACL_OBJS)
	$(CC) $(CFLAGS) $^ -o $@

# make bench: Mosquitto without auth, with password_file + acl_file, with dynamic security and
# with Parley, interleaved; BENCH_QUICK=1 for a short trial run.
.PHONY: bench-plugin
bench-plugin: $(B)/parley_plugin.so $(B)/parley-bench $(B)/pt-bench-acl
	@mkdir -p $(B)/bench
	$(PY) tools/bench/bench_plugin.py --out $(B)/bench/plugin.md

BENCH_TARGETS += bench-plugin
