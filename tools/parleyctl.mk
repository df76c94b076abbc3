# tools/parleyctl: the admin CLI over the plugin's control API (docs/parleyctl.md).
PTCTL_SRCS := $(wildcard tools/parleyctl/pt_ctl*.c)
PTCTL_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(PTCTL_SRCS))
# The name grammar from common/, named here; common/common.mk has the rule that builds it.
PTCTL_COMMON_OBJS := $(B)/obj/common/pc_name.o
PTCTL_LIBS := -lmosquitto -lcjson -ljwt -lm

$(B)/obj/tools/parleyctl/%.o: tools/parleyctl/%.c tools/parleyctl/*.h common/pc_name.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Icommon -c $< -o $@

$(B)/parleyctl: $(PTCTL_OBJS) $(PTCTL_COMMON_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(PTCTL_LIBS)

ALL_TARGETS += $(B)/parleyctl
CPPCHECK_SRCS += $(PTCTL_SRCS)
