/* Parley names: room and user names share one grammar, [A-Za-z0-9_.-]{1,64}. */
#ifndef PC_NAME_H
#define PC_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define PC_NAME_MAX 64

/* True when s[0..len) is a valid room or user name. s need not be NUL-terminated. */
bool pc_name_valid(const char *s, size_t len);

/* Same, for a NUL-terminated string; NULL is invalid. */
bool pc_name_valid_str(const char *s);

/* A human-readable reason why s is not a valid name, or NULL when it is. Static string. */
const char *pc_name_error(const char *s);

#endif
