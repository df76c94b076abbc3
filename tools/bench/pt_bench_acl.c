/* pt-bench-acl: a fixed workload of the plugin's ACL decision (pp_acl_check) for
 * `valgrind --tool=callgrind`, so one check's instruction count can be compared between
 * versions without the machine's noise.
 *
 *   pt-bench-acl read|fanout|write N
 *
 * Builds the large index in memory (10,000 rooms, half of them private, 20,000 users,
 * 100,000 memberships), then runs N checks of one kind, all allowed:
 *   read:  a delivery of rooms/{room}/msg/{sender} to a member of {room} (MOSQ_ACL_READ),
 *          a different message each time (the first subscriber of each message: a miss of
 *          the plugin's delivery cache);
 *   fanout: the same, each message to the 10 members of its room in turn (how Mosquitto
 *          checks one message's deliveries: the cache answers all but the first);
 *   write: a 100-byte publish by {sender} to rooms/{room}/msg/{sender}, with the rate limit on
 *          (rate and burst 1,000,000: the bucket is looked up and charged, never empty).
 * The checks cycle through PAIRS (room, member) pairs spread over the index. Run it with N and
 * with 2N under callgrind: (Ir(2N) - Ir(N)) / N is one check, setup cancelled.
 * tools/bench/bench_plugin.py does exactly that. Run natively it also prints the loop's wall
 * time per check (a hot loop with warm caches: a lower bound for the check inside the broker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pp_acl.h"

#define N_ROOMS 10000u
#define N_USERS 20000u
#define N_MEMBERS 100000u
#define PAIRS 1024u
#define TOPIC_MAX 160

static char topics[PAIRS][TOPIC_MAX];
static char users[PAIRS][PC_NAME_MAX + 1];
static char readers[PAIRS][PC_NAME_MAX + 1];
#define FANOUT 10u /* members per room in the built index */
static char fan_readers[PAIRS][FANOUT][PC_NAME_MAX + 1];

static void room_name(char *buf, size_t cap, unsigned r) { snprintf(buf, cap, "room%05u", r); }

static void user_name(char *buf, size_t cap, unsigned u) { snprintf(buf, cap, "user%05u", u); }

/* Membership m: room m % R, user (m / R * 1999 + m % R) % U; distinct pairs while
 * 1999 * (members per room) < U (10 per room here). */
static unsigned member_room(unsigned m) { return m % N_ROOMS; }

static unsigned member_user(unsigned m) { return (m / N_ROOMS * 1999u + m % N_ROOMS) % N_USERS; }

static int build(struct pp_index *idx)
{
    char name[PC_NAME_MAX + 1];
    char room[PC_NAME_MAX + 1];
    /* A realistic hash string: the index stores one per user. */
    static const char hash[] = "$7$101$c2FsdHNhbHRzYWx0$"
                               "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo"
                               "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA==";
    for (unsigned u = 0; u < N_USERS; u++) {
        user_name(name, sizeof name, u);
        if (pp_index_user_put(idx, name, hash, false) != PP_INDEX_OK) {
            return -1;
        }
    }
    for (unsigned r = 0; r < N_ROOMS; r++) {
        room_name(room, sizeof room, r);
        if (pp_index_room_put(idx, room, r % 2 ? PP_ROOM_PUBLIC : PP_ROOM_PRIVATE) != PP_INDEX_OK) {
            return -1;
        }
    }
    for (unsigned m = 0; m < N_MEMBERS; m++) {
        room_name(room, sizeof room, member_room(m));
        user_name(name, sizeof name, member_user(m));
        if (pp_index_member_set(idx, room, name, m < N_ROOMS ? PP_ROLE_OWNER : PP_ROLE_MEMBER) !=
            PP_INDEX_OK) {
            return -1;
        }
    }
    /* Pair i: a room (private ones included), a member posting in it and another member
     * reading it. Memberships m and m + N_ROOMS are in the same room. */
    for (unsigned i = 0; i < PAIRS; i++) {
        unsigned m = (i * 97u) % (N_MEMBERS - N_ROOMS);
        room_name(room, sizeof room, member_room(m));
        user_name(users[i], sizeof users[i], member_user(m));
        user_name(readers[i], sizeof readers[i], member_user(m + N_ROOMS));
        for (unsigned j = 0; j < FANOUT; j++) {
            user_name(fan_readers[i][j], sizeof fan_readers[i][j],
                      member_user(m % N_ROOMS + j * N_ROOMS));
        }
        snprintf(topics[i], sizeof topics[i], "rooms/%.64s/msg/%.64s", room, users[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "write") != 0 &&
                      strcmp(argv[1], "fanout") != 0)) {
        fprintf(stderr, "usage: pt-bench-acl read|fanout|write N\n");
        return 2;
    }
    const int write = strcmp(argv[1], "write") == 0;
    const int fanout = strcmp(argv[1], "fanout") == 0;
    char *end = NULL;
    unsigned long n = strtoul(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0') {
        fprintf(stderr, "pt-bench-acl: N must be a number\n");
        return 2;
    }

    static const struct pp_opt_kv kv[] = {{"state_file", "/nonexistent/pt-bench-acl.json"},
                                          {"rate", "1000000"},
                                          {"burst", "1000000"}};
    struct pp_opts opts;
    char err[256];
    if (pp_opts_parse(&opts, kv, sizeof kv / sizeof kv[0], err, sizeof err) != 0) {
        fprintf(stderr, "pt-bench-acl: %s\n", err);
        return 1;
    }
    struct pp_index *idx = pp_index_new();
    struct pp_rate *rate = pp_rate_new(opts.rate, opts.burst);
    if (idx == NULL || rate == NULL || build(idx) != 0) {
        fprintf(stderr, "pt-bench-acl: could not build the index\n");
        pp_rate_free(rate);
        pp_index_free(idx);
        pp_opts_free(&opts);
        return 1;
    }
    static struct pp_acl_cache cache;
    struct pp_acl acl = {
        .index = idx, .opts = &opts, .rate = rate, .cache = &cache}; /* as in the plugin */

    unsigned long allowed = 0;
    uint64_t now = 1000000000ull;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned long k = 0; k < n; k++) {
        unsigned i = (unsigned)((fanout ? k / FANOUT : k) % PAIRS);
        const char *who = write ? users[i] : fanout ? fan_readers[i][k % FANOUT] : readers[i];
        struct pp_acl_req req = {.access = write ? PP_ACL_WRITE : PP_ACL_READ,
                                 .username = who,
                                 .topic = topics[i],
                                 .payloadlen = 100,
                                 .retain = false,
                                 .now_ns = now};
        struct pc_topic t;
        const char *reason;
        now += 1000; /* 1 us apart */
        allowed += pp_acl_check(&acl, &req, &t, &reason) == PP_ACL_ALLOW;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    printf("pt-bench-acl: %s x %lu: %lu allowed, %.1f ns per check; index %zu users, %zu rooms, "
           "%zu memberships, %zu bytes\n",
           argv[1], n, allowed, n ? ns / (double)n : 0.0, pp_index_user_count(idx),
           pp_index_room_count(idx), pp_index_member_count(idx), pp_index_memory(idx));
    pp_rate_free(rate);
    pp_index_free(idx);
    pp_opts_free(&opts);
    return allowed == n ? 0 : 1;
}
