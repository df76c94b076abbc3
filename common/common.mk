# common/: name and topic grammar shared by the plugin, the bridge and the tools.
COMMON_SRCS := $(wildcard common/*.c)
# Position-independent objects, so they link into the plugin .so and into programs alike.
COMMON_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(COMMON_SRCS))
# Sanitized objects for unit tests.
COMMON_SAN_OBJS := $(patsubst %.c,$(B)/san/%.o,$(COMMON_SRCS))

$(B)/obj/common/%.o: common/%.c common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/san/common/%.o: common/%.c common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(UNIT_CFLAGS) -fPIC -c $< -o $@

$(B)/tests/unit/common/%: tests/unit/common/%.c $(COMMON_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(UNIT_CFLAGS) -Icommon $^ -o $@ -lcmocka

UNIT_TESTS += $(patsubst tests/unit/common/%.c,$(B)/tests/unit/common/%,$(wildcard tests/unit/common/test_*.c))
CPPCHECK_SRCS += $(COMMON_SRCS)
