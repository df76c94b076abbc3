# tools/bench: parley-bench (the load generator every benchmark uses), the plugin benchmark
# driver (make bench -> build/bench/plugin.md) and its callgrind harness.
BENCH_SRCS := $(wildcard tools/bench/pt_bench*.c)
BENCH_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(BENCH_SRCS))

$(B)/obj/tools/bench/%.o: tools/bench/%.c tools/bench/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/parley-bench: $(BENCH_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ -lcrypto

ALL_TARGETS += $(B)/parley-bench
CPPCHECK_SRCS += $(BENCH_SRCS)

# make bench: Mosquitto without auth, with password_file + acl_file, with dynamic security and
# with Parley, interleaved; BENCH_QUICK=1 for a short trial run.
.PHONY: bench-plugin
bench-plugin: $(B)/parley_plugin.so $(B)/parley-bench
	@mkdir -p $(B)/bench
	$(PY) tools/bench/bench_plugin.py --out $(B)/bench/plugin.md

BENCH_TARGETS += bench-plugin
