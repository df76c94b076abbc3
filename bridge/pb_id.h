/* Redis stream ids ("<ms>-<seq>"): the message id and the resume cursor. */
#ifndef PB_ID_H
#define PB_ID_H

#include <stdbool.h>
#include <stdint.h>

#define PB_ID_MAX 42 /* two 20-digit numbers, the dash, the NUL */

struct pb_id {
    uint64_t ms;
    uint64_t seq;
};

/* Parses "ms-seq" or "ms" (seq 0). False on anything else. */
bool pb_id_parse(const char *s, struct pb_id *out);
/* <0, 0, >0 as a is before, equal to or after b. */
int pb_id_cmp(struct pb_id a, struct pb_id b);

#endif
