# firmware_client/: libparley_device (host archive, unit tests, fuzz target, Cortex-M size budget).
# The POSIX port and parley-device have their own fragment; the top Makefile includes only
# firmware_client/*.mk, so it lives beside this one (e.g. firmware_client/posix.mk).

# Cortex-M0+ budget for the full client's linked flash (library code + rodata only; newlib
# and libgcc counted apart): the issue's goal, half of coreMQTT. `make test` fails above it.
# See docs/firmware.md for the figures.
PD_FLASH_BUDGET_M0PLUS := 2800

PD_SRCS   := $(wildcard firmware_client/src/*.c)
PD_HDRS   := $(wildcard firmware_client/include/*.h firmware_client/src/*.h)
PD_WFLAGS := -Wconversion -Wshadow -Wvla
PD_INC    := -Ifirmware_client/include -Ifirmware_client/src
PD_OBJS   := $(patsubst firmware_client/src/%.c,$(B)/obj/firmware_client/%.o,$(PD_SRCS))
PD_SAN_OBJS := $(patsubst firmware_client/src/%.c,$(B)/san/firmware_client/%.o,$(PD_SRCS))
PD_LIB    := $(B)/libparley_device.a

# Host library: no -D_POSIX_C_SOURCE needed, plain C99 with -fPIC so it links anywhere.
$(B)/obj/firmware_client/%.o: firmware_client/src/%.c $(PD_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PD_WFLAGS) $(PD_INC) -fPIC -c $< -o $@

$(PD_LIB): $(PD_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/san/firmware_client/%.o: firmware_client/src/%.c $(PD_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(PD_WFLAGS) $(PD_INC) -c $< -o $@

PD_TEST_HELPERS := tests/unit/firmware_client/pd_script.c
$(B)/tests/unit/firmware_client/%: tests/unit/firmware_client/%.c $(PD_TEST_HELPERS) tests/unit/firmware_client/pd_script.h $(PD_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(PD_INC) -Itests/unit/firmware_client $< $(PD_TEST_HELPERS) $(PD_SAN_OBJS) -o $@ -lcmocka

ALL_TARGETS += $(PD_LIB)
UNIT_TESTS += $(patsubst tests/unit/firmware_client/%.c,$(B)/tests/unit/firmware_client/%,$(wildcard tests/unit/firmware_client/test_*.c))
CPPCHECK_SRCS += $(PD_SRCS) $(wildcard firmware_client/ports/cortex-m/*.c) tests/fuzz/fuzz_pd_parse.c

# Symbol hygiene of the host archive: nothing from the heap or stdio, libc limited to
# mem*/str*, and every defined symbol in the pd_ namespace.
.PHONY: pd-symbols
pd-symbols: $(PD_LIB)
	@und=$$(nm -u $(PD_LIB) | awk 'NF==2{print $$2}' | grep -v '^pd_' | sort -u); \
	bad=$$(echo "$$und" | grep -Ev '^(mem(cpy|move|set|cmp)|strlen)$$' | grep -v '^$$'); \
	if [ -n "$$bad" ]; then echo "pd-symbols: unexpected undefined symbols: $$bad"; exit 1; fi; \
	def=$$(nm --defined-only -g $(PD_LIB) | awk 'NF==3{print $$3}' | grep -v '^pd_'); \
	if [ -n "$$def" ]; then echo "pd-symbols: symbols outside pd_: $$def"; exit 1; fi; \
	echo "pd-symbols: libparley_device uses only $$(echo $$und | tr '\n' ' '); all symbols pd_*"
TEST_CHECKS += pd-symbols

# ---- Cortex-M cross-builds and the size budget ----
PD_ARM_CC := arm-none-eabi-gcc
PD_ARM_FLAGS := -std=c99 $(CWARN) $(PD_WFLAGS) -mthumb -Os -ffunction-sections -fdata-sections -DNDEBUG -g
PD_CM_DIR := firmware_client/ports/cortex-m

define PD_ARM_CPU
$(B)/arm/$(1)/obj/%.o: firmware_client/src/%.c $(PD_HDRS)
	@mkdir -p $$(dir $$@)
	$(PD_ARM_CC) -mcpu=$(1) $(PD_ARM_FLAGS) $(PD_INC) -c $$< -o $$@

$(B)/arm/$(1)/libparley_device.a: $(patsubst firmware_client/src/%.c,$(B)/arm/$(1)/obj/%.o,$(PD_SRCS))
	@rm -f $$@
	arm-none-eabi-ar rcs $$@ $$^

$(B)/arm/$(1)/example-%.elf: $(PD_CM_DIR)/example.c $(PD_CM_DIR)/startup.c $(PD_CM_DIR)/cortexm.ld $(B)/arm/$(1)/libparley_device.a
	$(PD_ARM_CC) -mcpu=$(1) $(PD_ARM_FLAGS) $(PD_INC) $$(if $$(filter full,$$*),-DPD_EXAMPLE_FULL) \
	    --specs=nano.specs --specs=nosys.specs -nostartfiles -T $(PD_CM_DIR)/cortexm.ld \
	    -Wl,--gc-sections -Wl,-Map=$$(@:.elf=.map) \
	    $(PD_CM_DIR)/example.c $(PD_CM_DIR)/startup.c $(B)/arm/$(1)/libparley_device.a -o $$@

$(B)/arm/$(1)/size.txt: $(B)/arm/$(1)/example-min.elf $(B)/arm/$(1)/example-full.elf $(PD_CM_DIR)/pd_size.py
	@{ $(PY) $(PD_CM_DIR)/pd_size.py $(B)/arm/$(1)/example-min.map $(B)/arm/$(1)/example-min.elf arm-none-eabi-nm "$(1) minimal" && \
	   $(PY) $(PD_CM_DIR)/pd_size.py $(B)/arm/$(1)/example-full.map $(B)/arm/$(1)/example-full.elf arm-none-eabi-nm "$(1) full" $(if $(filter cortex-m0plus,$(1)),$(PD_FLASH_BUDGET_M0PLUS)); } > $$@.tmp || { cat $$@.tmp; rm -f $$@.tmp; exit 1; }
	@{ echo "$(1) library objects (size of each, before --gc-sections):"; arm-none-eabi-size -t $(B)/arm/$(1)/libparley_device.a | sed 's/^/  /'; } >> $$@.tmp
	@mv $$@.tmp $$@
endef
$(eval $(call PD_ARM_CPU,cortex-m0plus))
$(eval $(call PD_ARM_CPU,cortex-m4))

# The ARM archive may call nothing from libc but mem*/str* (libgcc helpers are fine).
.PHONY: pd-firmware pd-flash-budget
pd-firmware: $(B)/arm/cortex-m0plus/size.txt $(B)/arm/cortex-m4/size.txt
	@cat $^
	@und=$$(arm-none-eabi-nm -u $(B)/arm/cortex-m0plus/libparley_device.a $(B)/arm/cortex-m4/libparley_device.a | awk 'NF==2{print $$2}' | grep -v '^pd_' | sort -u | grep -Ev '^(mem(cpy|move|set|cmp)|strlen|__aeabi_ui(div|divmod)|__gnu_thumb1_case_[a-z]+)$$' || true); \
	if [ -n "$$und" ]; then echo "pd-firmware: library needs more than mem*/str*: $$und"; exit 1; fi

# In `make test`: the M0+ budget (size.txt is only written when the budget holds).
pd-flash-budget: pd-firmware

FIRMWARE_TARGETS += pd-firmware
TEST_CHECKS += pd-flash-budget

# Uninitialised reads are invisible to ASan: the device unit tests run once more, built without
# sanitizers, under valgrind's memcheck (builders fill only the fields they read; this proves it).
PD_MEMCHECK_TESTS := $(patsubst tests/unit/firmware_client/%.c,$(B)/memcheck/firmware_client/%,$(wildcard tests/unit/firmware_client/test_*.c))
$(B)/memcheck/firmware_client/%: tests/unit/firmware_client/%.c $(PD_TEST_HELPERS) tests/unit/firmware_client/pd_script.h $(PD_SRCS) $(PD_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(CWARN) -O1 -g $(PD_INC) -Itests/unit/firmware_client $< $(PD_TEST_HELPERS) $(PD_SRCS) -o $@ -lcmocka

.PHONY: pd-memcheck
pd-memcheck: $(PD_MEMCHECK_TESTS)
	@for t in $^; do valgrind -q --error-exitcode=9 --track-origins=yes $$t > $$t.log 2>&1 || { cat $$t.log; exit 1; }; done
	@echo "pd-memcheck: $(words $^) device test programs clean under valgrind memcheck"
TEST_CHECKS += pd-memcheck
