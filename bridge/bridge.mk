# bridge/: parley-bridge (docs/bridge.md), its unit tests under ASan+UBSan.
# It verifies tokens with the plugin's own verifier (broker_plugin/pp_jwt.c), so the two never
# disagree on a token.
PB_SRCS := $(wildcard bridge/*.c)
PB_HDRS := $(wildcard bridge/*.h common/*.h) broker_plugin/pp_jwt.h
PB_PKGS := libwebsockets libuv hiredis libmosquitto libcjson
PB_PKG_CFLAGS := $(shell pkg-config --cflags $(PB_PKGS) 2>/dev/null)
PB_LIBS := $(or $(shell pkg-config --libs $(PB_PKGS) 2>/dev/null),-lwebsockets -luv -lhiredis -lmosquitto -lcjson) -ljwt -lcrypto -lm
PB_INC := -Ibridge -Icommon -Ibroker_plugin $(PB_PKG_CFLAGS)
PB_OBJS := $(patsubst bridge/%.c,$(B)/obj/bridge/%.o,$(PB_SRCS))
PB_SHARED_OBJS := $(B)/obj/broker_plugin/pp_jwt.o $(patsubst common/%.c,$(B)/obj/common/%.o,$(wildcard common/*.c))
PB_SAN_OBJS := $(patsubst bridge/%.c,$(B)/san/bridge/%.o,$(filter-out bridge/pb_main.c,$(PB_SRCS)))
PB_SAN_SHARED := $(B)/san/broker_plugin/pp_jwt.o $(patsubst common/%.c,$(B)/san/common/%.o,$(wildcard common/*.c))

$(B)/obj/bridge/%.o: bridge/%.c $(PB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PB_INC) -c $< -o $@

$(B)/san/bridge/%.o: bridge/%.c $(PB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(UNIT_CFLAGS) $(PB_INC) -c $< -o $@

$(B)/parley-bridge: $(PB_OBJS) $(PB_SHARED_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(PB_LIBS)

PB_UNIT_SRCS := $(wildcard tests/unit/bridge/test_pb_*.c)
PB_UNIT_TESTS := $(patsubst tests/unit/bridge/%.c,$(B)/tests/unit/bridge/%,$(PB_UNIT_SRCS))

$(B)/tests/unit/bridge/%: tests/unit/bridge/%.c $(PB_SAN_OBJS) $(PB_SAN_SHARED)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(UNIT_CFLAGS) $(PB_INC) $^ -o $@ -lcmocka $(PB_LIBS)

ALL_TARGETS   += $(B)/parley-bridge
UNIT_TESTS    += $(PB_UNIT_TESTS)
CPPCHECK_SRCS += $(PB_SRCS)
