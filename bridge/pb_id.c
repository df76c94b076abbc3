/* Stream ids: strict parse, numeric compare (a text compare would put "9-0" after "10-0"). */
#include "pb_id.h"

#include <stddef.h>

static const char *parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9') {
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return NULL;
        }
        v = v * 10 + d;
        p++;
    }
    if (p == s || p - s > 20) {
        return NULL;
    }
    *out = v;
    return p;
}

bool pb_id_parse(const char *s, struct pb_id *out)
{
    struct pb_id id = {0, 0};
    const char *p = parse_u64(s, &id.ms);
    if (p == NULL) {
        return false;
    }
    if (*p == '-') {
        p = parse_u64(p + 1, &id.seq);
        if (p == NULL) {
            return false;
        }
    }
    if (*p != '\0') {
        return false;
    }
    *out = id;
    return true;
}

int pb_id_cmp(struct pb_id a, struct pb_id b)
{
    if (a.ms != b.ms) {
        return a.ms < b.ms ? -1 : 1;
    }
    if (a.seq != b.seq) {
        return a.seq < b.seq ? -1 : 1;
    }
    return 0;
}
