/* parley-bridge logging: one line per event on stderr, "parley-bridge: <level>: ...". */
#ifndef PB_LOG_H
#define PB_LOG_H

enum pb_log_level { PB_LOG_ERROR = 0, PB_LOG_WARNING, PB_LOG_INFO, PB_LOG_DEBUG };

void pb_log_set_level(int level);
void pb_log(enum pb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
