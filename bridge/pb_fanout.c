/* The fan-out record between bridge nodes on the Redis channel:
 *   kind '\n' node '\n' room '\n' user '\n' ts '\n' id '\n' online '\n' body
 * Names never hold '\n' (the name grammar forbids it); the body is the rest, raw bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_store.h"

size_t pb_fanout_encode(const struct pb_fanout *f, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%c\n%.*s\n%.*s\n%.*s\n%" PRId64 "\n%.*s\n%d\n", f->kind,
                     (int)f->node_len, f->node, (int)f->room_len, f->room, (int)f->user_len,
                     f->user, f->ts, (int)f->id_len, f->id ? f->id : "", f->online ? 1 : 0);
    if (n < 0 || (size_t)n + f->body_len >= cap) {
        return 0;
    }
    if (f->body_len > 0) {
        memcpy(buf + n, f->body, f->body_len);
    }
    return (size_t)n + f->body_len;
}

/* The next '\n'-terminated field from *p; false when there is none. */
static bool field(const char **p, const char *end, const char **start, size_t *len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (nl == NULL) {
        return false;
    }
    *start = *p;
    *len = (size_t)(nl - *p);
    *p = nl + 1;
    return true;
}

bool pb_fanout_decode(const char *buf, size_t len, struct pb_fanout *f)
{
    const char *p = buf, *end = buf + len, *s;
    size_t n;
    memset(f, 0, sizeof *f);
    if (!field(&p, end, &s, &n) || n != 1 || (s[0] != 'm' && s[0] != 't' && s[0] != 'p')) {
        return false;
    }
    f->kind = s[0];
    if (!field(&p, end, &f->node, &f->node_len) || !field(&p, end, &f->room, &f->room_len) ||
        !field(&p, end, &f->user, &f->user_len) || !field(&p, end, &s, &n) || n == 0 || n > 20) {
        return false;
    }
    char num[24];
    memcpy(num, s, n);
    num[n] = '\0';
    char *stop;
    f->ts = strtoll(num, &stop, 10);
    if (*stop != '\0' || !field(&p, end, &f->id, &f->id_len) || !field(&p, end, &s, &n) || n != 1 ||
        (s[0] != '0' && s[0] != '1')) {
        return false;
    }
    f->online = s[0] == '1';
    f->body = p;
    f->body_len = (size_t)(end - p);
    return f->node_len > 0 && f->room_len > 0 && f->room_len <= 64 && f->user_len <= 64 &&
           f->node_len <= 64 && f->id_len < PB_ID_MAX;
}
