/* Logging to stderr; the level is set once at start from the log_level setting. */
#include "pb_log.h"

#include <stdarg.h>
#include <stdio.h>

static int log_level = PB_LOG_INFO; /* the process's one setting, written before the loop runs */

void pb_log_set_level(int level) { log_level = level; }

void pb_log(enum pb_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    if ((int)level > log_level) {
        return;
    }
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "parley-bridge: %s: %s\n", names[level], line);
}
