# firmware_client POSIX port (TCP IPv4/IPv6, TLS via mbedTLS), the device CLI build/parley-device
# and the host throughput bench (build/bench/firmware.md). Links $(B)/libparley_device.a
# (firmware.mk) through its public headers only.

PDP_INC   := -Ifirmware_client/include -Ifirmware_client/ports/posix -Ifirmware_client/cli
PDP_WFLAGS := -Wshadow -Wvla -Wconversion
PDP_TLS_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto
PDP_PORT_SRCS := firmware_client/ports/posix/pd_posix.c firmware_client/ports/posix/pd_posix_tls.c
PDP_CLI_SRCS  := firmware_client/cli/parley_device.c firmware_client/cli/pd_cli_opts.c
PDP_HDRS  := $(wildcard firmware_client/include/*.h firmware_client/ports/posix/*.h firmware_client/cli/*.h)

$(B)/obj/pd_posix/%.o: firmware_client/ports/posix/%.c $(PDP_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PDP_WFLAGS) $(PDP_INC) -c $< -o $@

$(B)/obj/pd_cli/%.o: firmware_client/cli/%.c $(PDP_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PDP_WFLAGS) $(PDP_INC) -c $< -o $@

PDP_PORT_OBJS := $(patsubst firmware_client/ports/posix/%.c,$(B)/obj/pd_posix/%.o,$(PDP_PORT_SRCS))
PDP_CLI_OBJS  := $(patsubst firmware_client/cli/%.c,$(B)/obj/pd_cli/%.o,$(PDP_CLI_SRCS))

$(B)/parley-device: $(PDP_CLI_OBJS) $(PDP_PORT_OBJS) $(B)/libparley_device.a
	$(CC) $(CFLAGS) $^ -o $@ $(PDP_TLS_LIBS)

ALL_TARGETS   += $(B)/parley-device
CPPCHECK_SRCS += $(PDP_PORT_SRCS) $(PDP_CLI_SRCS)

# ---- host throughput bench: libparley_device vs libmosquitto (build/bench/firmware.md) ----
$(B)/pd-bench: $(B)/obj/pd_cli/pd_bench.o $(B)/obj/pd_posix/pd_posix.o $(B)/obj/pd_posix/pd_posix_tls.o $(B)/libparley_device.a
	$(CC) $(CFLAGS) $^ -o $@ $(PDP_TLS_LIBS)

$(B)/mosq-bench: firmware_client/cli/mosq_bench.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PDP_WFLAGS) $< -o $@ -lmosquitto

.PHONY: bench-firmware
bench-firmware: $(B)/pd-bench $(B)/mosq-bench
	@mkdir -p $(B)/bench
	$(PY) firmware_client/cli/bench_firmware.py --out $(B)/bench/firmware.md

ALL_TARGETS   += $(B)/pd-bench $(B)/mosq-bench
BENCH_TARGETS += bench-firmware
CPPCHECK_SRCS += firmware_client/cli/pd_bench.c firmware_client/cli/mosq_bench.c
