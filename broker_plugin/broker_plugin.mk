# broker_plugin/: parley_plugin.so (Mosquitto 2.0 plugin API v5), its unit tests under ASan+UBSan.
# The .so is built -fvisibility=hidden: only mosquitto_plugin_{version,init,cleanup} are exported
# (pp-symbols checks it in `make test`).
PP_SRCS := $(wildcard broker_plugin/*.c)
PP_HDRS := $(wildcard broker_plugin/*.h common/*.h)
PP_OBJS := $(patsubst broker_plugin/%.c,$(B)/obj/broker_plugin/%.o,$(PP_SRCS))
PP_LIBS := -lcjson -ljwt -lcrypto -lm
# common/ objects, named here: this fragment is included before common/common.mk.
PP_COMMON_OBJS := $(patsubst common/%.c,$(B)/obj/common/%.o,$(wildcard common/*.c))
PP_COMMON_SAN_OBJS := $(patsubst common/%.c,$(B)/san/common/%.o,$(wildcard common/*.c))
# Everything but the entry points links into the unit tests (sanitized).
PP_SAN_OBJS := $(patsubst broker_plugin/%.c,$(B)/san/broker_plugin/%.o,$(filter-out broker_plugin/pp_plugin.c,$(PP_SRCS)))

$(B)/obj/broker_plugin/%.o: broker_plugin/%.c $(PP_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Icommon -fPIC -fvisibility=hidden -c $< -o $@

$(B)/san/broker_plugin/%.o: broker_plugin/%.c $(PP_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(UNIT_CFLAGS) -Icommon -fPIC -c $< -o $@

$(B)/parley_plugin.so: $(PP_OBJS) $(PP_COMMON_OBJS)
	$(CC) -shared $(CFLAGS) $^ -o $@ $(PP_LIBS)

# Unit tests: one binary per tests/unit/broker_plugin/test_*.c, linked with every plugin module
# except pp_plugin.c (which needs the broker).
$(B)/tests/unit/broker_plugin/%: tests/unit/broker_plugin/%.c $(PP_SAN_OBJS) $(PP_COMMON_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(UNIT_CFLAGS) -Icommon -Ibroker_plugin $^ -o $@ -lcmocka $(PP_LIBS)

.PHONY: pp-symbols
pp-symbols: $(B)/parley_plugin.so
	@exp=$$(nm -D --defined-only $(B)/parley_plugin.so | awk '$$2=="T"{print $$3}' | sort | tr '\n' ' '); \
	if [ "$$exp" != "mosquitto_plugin_cleanup mosquitto_plugin_init mosquitto_plugin_version " ]; then \
	    echo "pp-symbols: parley_plugin.so exports more or less than the plugin entry points: $$exp"; exit 1; fi; \
	und=$$(nm -u $(B)/parley_plugin.so | awk '{print $$2}' | grep -E '^(pp_|pc_)' | tr '\n' ' '); \
	if [ -n "$$und" ]; then echo "pp-symbols: parley_plugin.so leaves its own symbols undefined: $$und"; exit 1; fi; \
	echo "pp-symbols: parley_plugin.so exports only $$exp"

ALL_TARGETS   += $(B)/parley_plugin.so
UNIT_TESTS    += $(patsubst tests/unit/broker_plugin/%.c,$(B)/tests/unit/broker_plugin/%,$(wildcard tests/unit/broker_plugin/test_*.c))
TEST_CHECKS   += pp-symbols
CPPCHECK_SRCS += $(PP_SRCS)
