/* Unit tests for broker_plugin/pp_store_file.c: snapshot + journal, crash leftovers, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_store.h"

struct fixture {
    char dir[64];
    char path[128];
    char jpath[160];
    struct pp_index *idx;
    struct pp_store *st;
    char warnings[2048];
};

static void capture(void *ctx, const char *msg)
{
    struct fixture *fx = ctx;
    strncat(fx->warnings, msg, sizeof fx->warnings - strlen(fx->warnings) - 2);
    strcat(fx->warnings, "\n");
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL) {
        return -1;
    }
    strcpy(fx->dir, "/tmp/pp_store_testXXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/state.json", fx->dir);
    snprintf(fx->jpath, sizeof fx->jpath, "%s/state.json.journal", fx->dir);
    *state = fx;
    return 0;
}

static void close_store(struct fixture *fx)
{
    pp_store_close(fx->st);
    pp_index_free(fx->idx);
    fx->st = NULL;
    fx->idx = NULL;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char p[200];
    close_store(fx);
    const char *names[] = {"state.json", "state.json.journal", "state.json.tmp",
                           "state.json.journal.tmp"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", fx->dir, names[i]);
        remove(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Opens fx->path into a fresh index; returns the store (NULL on error, reason in err). */
static struct pp_store *open_store(struct fixture *fx, char *err, size_t errlen)
{
    close_store(fx);
    fx->idx = pp_index_new();
    assert_non_null(fx->idx);
    fx->st = pp_store_open_ex(fx->path, fx->idx, capture, fx, err, errlen);
    return fx->st;
}

static void must_open(struct fixture *fx)
{
    char err[256] = "";
    if (open_store(fx, err, sizeof err) == NULL) {
        fail_msg("open failed: %s", err);
    }
}

static void write_text(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count_lines(const char *path)
{
    size_t n = 0;
    for (const char *p = read_text(path); *p != '\0'; p++) {
        n += *p == '\n';
    }
    return n;
}

static void change(struct fixture *fx, struct pp_change ch)
{
    char err[256] = "";
    int rc = pp_store_change(fx->st, fx->idx, &ch, err, sizeof err);
    if (rc != 0) {
        fail_msg("change failed (%d): %s", rc, err);
    }
}

static void commit(struct fixture *fx)
{
    char err[256] = "";
    if (pp_store_commit(fx->st, fx->idx, err, sizeof err) != 0) {
        fail_msg("commit failed: %s", err);
    }
}

static void some_changes(struct fixture *fx)
{
    change(fx, (struct pp_change){.op = PP_CHANGE_USER_PUT,
                                  .user = "alice",
                                  .password_hash = "$7$101$c2FsdA==$aGFzaA==",
                                  .admin = true});
    change(fx, (struct pp_change){.op = PP_CHANGE_USER_PUT, .user = "bob"});
    change(fx, (struct pp_change){
                   .op = PP_CHANGE_ROOM_PUT, .room = "lobby", .visibility = PP_ROOM_PUBLIC});
    change(fx, (struct pp_change){
                   .op = PP_CHANGE_ROOM_PUT, .room = "den", .visibility = PP_ROOM_PRIVATE});
    change(fx,
           (struct pp_change){
               .op = PP_CHANGE_MEMBER_SET, .room = "den", .user = "alice", .role = PP_ROLE_OWNER});
    change(fx,
           (struct pp_change){
               .op = PP_CHANGE_MEMBER_SET, .room = "den", .user = "bob", .role = PP_ROLE_READER});
    change(fx, (struct pp_change){
                   .op = PP_CHANGE_BAN_SET, .room = "lobby", .user = "mallory", .banned = true});
}

static void check_some_changes(const struct pp_index *idx)
{
    struct pp_access a;
    const struct pp_user *u = pp_index_user_find(idx, "alice", 5);
    assert_non_null(u);
    assert_string_equal(u->password_hash, "$7$101$c2FsdA==$aGFzaA==");
    assert_true(u->admin);
    u = pp_index_user_find(idx, "bob", 3);
    assert_non_null(u);
    assert_null(u->password_hash);
    assert_false(u->admin);
    assert_int_equal(pp_index_user_count(idx), 2);
    assert_int_equal(pp_index_room_count(idx), 2);
    assert_int_equal(pp_index_member_count(idx), 3);
    pp_index_access(idx, "den", 3, "alice", 5, &a);
    assert_int_equal(a.room->visibility, PP_ROOM_PRIVATE);
    assert_int_equal(a.role, PP_ROLE_OWNER);
    pp_index_access(idx, "den", 3, "bob", 3, &a);
    assert_int_equal(a.role, PP_ROLE_READER);
    pp_index_access(idx, "lobby", 5, "mallory", 7, &a);
    assert_int_equal(a.room->visibility, PP_ROOM_PUBLIC);
    assert_true(a.banned);
    assert_int_equal(a.role, PP_ROLE_NONE);
}

static void test_pp_store_open_creates_missing_file(void **state)
{
    struct fixture *fx = *state;
    struct stat sb;
    must_open(fx);
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(pp_index_user_count(fx->idx), 0);
    assert_string_equal(pp_store_path(fx->st), fx->path);
    assert_string_equal(read_text(fx->path),
                        "{\"version\":1,\"seq\":0,\n\"users\":[],\n\"rooms\":[]}\n");
}

static void test_pp_store_open_fails_in_missing_directory(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    strcat(fx->path, ".d/nope/state.json");
    assert_null(open_store(fx, err, sizeof err));
    assert_non_null(strstr(err, "nope/state.json"));
}

static void test_pp_store_journal_replays_after_restart(void **state)
{
    struct fixture *fx = *state;
    must_open(fx);
    some_changes(fx);
    commit(fx);
    assert_int_equal(pp_store_journal_entries(fx->st), 7);
    assert_int_equal(count_lines(fx->jpath), 7);
    /* The snapshot is still the empty one: everything lives in the journal. */
    assert_non_null(strstr(read_text(fx->path), "\"users\":[]"));
    must_open(fx);
    check_some_changes(fx->idx);
    assert_int_equal(pp_store_journal_entries(fx->st), 7);
    assert_string_equal(fx->warnings, "");
}

static void test_pp_store_journal_line_format(void **state)
{
    struct fixture *fx = *state;
    must_open(fx);
    char err[128];
    /* A change the index refuses is still journalled first, and replays as a skipped line. */
    assert_int_equal(pp_store_change(fx->st, fx->idx,
                                     &(struct pp_change){.op = PP_CHANGE_MEMBER_SET,
                                                         .room = "x",
                                                         .user = "y",
                                                         .role = PP_ROLE_MEMBER},
                                     err, sizeof err),
                     PP_INDEX_ENOROOM);
    assert_string_equal(err, "no such room");
    change(fx, (struct pp_change){
                   .op = PP_CHANGE_ROOM_PUT, .room = "x", .visibility = PP_ROOM_PRIVATE});
    change(fx, (struct pp_change){
                   .op = PP_CHANGE_MEMBER_SET, .room = "x", .user = "y", .role = PP_ROLE_MEMBER});
    change(fx,
           (struct pp_change){.op = PP_CHANGE_BAN_SET, .room = "x", .user = "z", .banned = true});
    change(fx, (struct pp_change){.op = PP_CHANGE_USER_PUT, .user = "z"});
    change(fx, (struct pp_change){.op = PP_CHANGE_USER_DEL, .user = "z"});
    change(fx, (struct pp_change){.op = PP_CHANGE_ROOM_DEL, .room = "x"});
    commit(fx);
    assert_string_equal(
        read_text(fx->jpath),
        "{\"seq\":1,\"op\":\"member_set\",\"room\":\"x\",\"user\":\"y\",\"role\":\"member\"}\n"
        "{\"seq\":2,\"op\":\"room_put\",\"room\":\"x\",\"visibility\":\"private\"}\n"
        "{\"seq\":3,\"op\":\"member_set\",\"room\":\"x\",\"user\":\"y\",\"role\":\"member\"}\n"
        "{\"seq\":4,\"op\":\"ban_set\",\"room\":\"x\",\"user\":\"z\",\"banned\":true}\n"
        "{\"seq\":5,\"op\":\"user_put\",\"user\":\"z\",\"password\":null,\"admin\":false}\n"
        "{\"seq\":6,\"op\":\"user_del\",\"user\":\"z\"}\n"
        "{\"seq\":7,\"op\":\"room_del\",\"room\":\"x\"}\n");
    must_open(fx);
    assert_int_equal(pp_index_room_count(fx->idx), 0);
    assert_int_equal(pp_index_member_count(fx->idx), 0);
    assert_non_null(strstr(fx->warnings, "line 1: member_set x: no such room (skipped)"));
}

static void test_pp_store_compaction_folds_journal_into_snapshot(void **state)
{
    struct fixture *fx = *state;
    must_open(fx);
    pp_store_set_compact_threshold(fx->st, 7);
    pp_store_set_background(fx->st, false);
    some_changes(fx);
    commit(fx);
    assert_int_equal(pp_store_journal_entries(fx->st), 0);
    assert_string_equal(read_text(fx->jpath), "");
    assert_string_equal(
        read_text(fx->path),
        "{\"version\":1,\"seq\":7,\n\"users\":[\n"
        "  {\"username\":\"alice\",\"password\":\"$7$101$c2FsdA==$aGFzaA==\",\"admin\":true},\n"
        "  {\"username\":\"bob\",\"password\":null,\"admin\":false}],\n\"rooms\":[\n"
        "  {\"room\":\"den\",\"visibility\":\"private\",\"members\":[{\"username\":\"alice\","
        "\"role\":\"owner\"},{\"username\":\"bob\",\"role\":\"reader\"}],\"bans\":[]},\n"
        "  "
        "{\"room\":\"lobby\",\"visibility\":\"public\",\"members\":[],\"bans\":[\"mallory\"]}]}\n");
    /* Later changes go to the journal with the next seq. */
    change(fx, (struct pp_change){.op = PP_CHANGE_USER_DEL, .user = "bob"});
    commit(fx);
    assert_string_equal(read_text(fx->jpath), "{\"seq\":8,\"op\":\"user_del\",\"user\":\"bob\"}\n");
    must_open(fx);
    assert_null(pp_index_user_find(fx->idx, "bob", 3));
    assert_int_equal(pp_index_member_count(fx->idx), 2);
}

/* In the background: the broker goes on writing while the child snapshots; afterwards the journal
 * holds exactly the lines written since the fork. */
static void test_pp_store_background_compaction_keeps_later_lines(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    must_open(fx);
    pp_store_set_compact_threshold(fx->st, 7);
    some_changes(fx);
    commit(fx); /* forks */
    change(fx, (struct pp_change){.op = PP_CHANGE_USER_DEL, .user = "bob"});
    change(fx, (struct pp_change){.op = PP_CHANGE_ROOM_PUT, .room = "attic"});
    commit(fx);
    assert_int_equal(pp_store_wait(fx->st, err, sizeof err), 0);
    assert_int_equal(pp_store_poll(fx->st, err, sizeof err), 0); /* nothing left to reap */
    assert_int_equal(pp_store_journal_entries(fx->st), 2);
    assert_string_equal(read_text(fx->jpath),
                        "{\"seq\":8,\"op\":\"user_del\",\"user\":\"bob\"}\n"
                        "{\"seq\":9,\"op\":\"room_put\",\"room\":\"attic\",\"visibility\":"
                        "\"public\"}\n");
    assert_non_null(strstr(read_text(fx->path), "{\"version\":1,\"seq\":7,"));
    assert_non_null(strstr(read_text(fx->path), "\"username\":\"bob\""));
    /* Appends go on after the rewrite, and everything loads back. */
    change(fx, (struct pp_change){.op = PP_CHANGE_ROOM_DEL, .room = "lobby"});
    commit(fx);
    assert_int_equal(pp_store_journal_entries(fx->st), 3);
    must_open(fx);
    assert_null(pp_index_user_find(fx->idx, "bob", 3));
    assert_non_null(pp_index_room_find(fx->idx, "attic", 5));
    assert_null(pp_index_room_find(fx->idx, "lobby", 5));
    assert_non_null(pp_index_room_find(fx->idx, "den", 3));
    assert_int_equal(pp_index_member_count(fx->idx), 1); /* den: alice (bob went with his user) */
    assert_string_equal(fx->warnings, "");
}

/* A child that cannot write its snapshot loses nothing: the journal stays whole and the next
 * commit compacts in the broker's thread. */
static void test_pp_store_failed_background_compaction_keeps_journal(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "", tmp[200];
    must_open(fx);
    snprintf(tmp, sizeof tmp, "%s.tmp", fx->path);
    assert_int_equal(mkdir(tmp, 0700), 0); /* the child's open(O_TRUNC) of it fails */
    pp_store_set_compact_threshold(fx->st, 7);
    some_changes(fx);
    commit(fx);
    assert_int_equal(pp_store_wait(fx->st, err, sizeof err), -1);
    assert_non_null(strstr(err, "background snapshot failed"));
    assert_int_equal(count_lines(fx->jpath), 7);
    assert_int_equal(rmdir(tmp), 0);
    commit(fx); /* compacts here */
    assert_int_equal(pp_store_journal_entries(fx->st), 0);
    must_open(fx);
    check_some_changes(fx->idx);
}

static void test_pp_store_compact_then_reopen_round_trips(void **state)
{
    struct fixture *fx = *state;
    char err[256];
    must_open(fx);
    some_changes(fx);
    assert_int_equal(pp_store_compact(fx->st, fx->idx, err, sizeof err), 0);
    must_open(fx);
    check_some_changes(fx->idx);
}

/* A crash after the new snapshot's rename but before the journal was emptied leaves lines the
 * snapshot already holds: they are skipped by seq, not applied twice. */
static void test_pp_store_journal_lines_below_snapshot_seq_are_skipped(void **state)
{
    struct fixture *fx = *state;
    write_text(fx->path,
               "{\"version\":1,\"seq\":2,\"users\":[],\"rooms\":[{\"room\":\"kept\","
               "\"visibility\":\"public\"}]}",
               "w");
    write_text(fx->jpath,
               "{\"seq\":1,\"op\":\"room_put\",\"room\":\"old1\",\"visibility\":\"public\"}\n"
               "{\"seq\":2,\"op\":\"room_put\",\"room\":\"old2\",\"visibility\":\"public\"}\n"
               "{\"seq\":3,\"op\":\"room_put\",\"room\":\"new\",\"visibility\":\"private\"}\n",
               "w");
    must_open(fx);
    assert_int_equal(pp_index_room_count(fx->idx), 2);
    assert_non_null(pp_index_room_find(fx->idx, "kept", 4));
    assert_non_null(pp_index_room_find(fx->idx, "new", 3));
    assert_null(pp_index_room_find(fx->idx, "old1", 4));
    change(fx, (struct pp_change){.op = PP_CHANGE_ROOM_DEL, .room = "new"});
    commit(fx);
    assert_non_null(strstr(read_text(fx->jpath), "{\"seq\":4,"));
}

static void test_pp_store_truncated_last_journal_line_is_ignored(void **state)
{
    struct fixture *fx = *state;
    must_open(fx);
    some_changes(fx);
    commit(fx);
    close_store(fx);
    struct stat before;
    assert_int_equal(stat(fx->jpath, &before), 0);
    write_text(fx->jpath, "{\"seq\":8,\"op\":\"user_put\",\"us", "a");
    must_open(fx);
    check_some_changes(fx->idx);
    assert_non_null(strstr(fx->warnings, "state.json.journal: line 8: ignoring a truncated"));
    struct stat after;
    assert_int_equal(stat(fx->jpath, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    /* New changes append cleanly after the cut. */
    change(fx, (struct pp_change){.op = PP_CHANGE_USER_DEL, .user = "bob"});
    commit(fx);
    fx->warnings[0] = '\0';
    must_open(fx);
    assert_null(pp_index_user_find(fx->idx, "bob", 3));
    assert_string_equal(fx->warnings, "");
}

static void test_pp_store_garbage_last_line_with_newline_is_ignored(void **state)
{
    struct fixture *fx = *state;
    static const char text[] =
        "{\"seq\":1,\"op\":\"room_put\",\"room\":\"a\",\"visibility\":\"public\"}\n"
        "\x00\x00garbage\n";
    FILE *f = fopen(fx->jpath, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
    assert_int_equal(fclose(f), 0);
    must_open(fx);
    assert_int_equal(pp_index_room_count(fx->idx), 1);
    assert_non_null(strstr(fx->warnings, "line 2: ignoring a truncated last entry"));
}

static void test_pp_store_corrupt_journal_line_in_middle_is_an_error(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    write_text(fx->jpath,
               "{\"seq\":1,\"op\":\"room_put\",\"room\":\"a\",\"visibility\":\"public\"}\n"
               "{\"seq\":2,\"op\":\"room_put\",\"room\"\n"
               "{\"seq\":3,\"op\":\"room_put\",\"room\":\"b\",\"visibility\":\"public\"}\n",
               "w");
    assert_null(open_store(fx, err, sizeof err));
    assert_non_null(strstr(err, "state.json.journal: line 2: malformed JSON"));
    write_text(fx->jpath,
               "{\"seq\":1,\"op\":\"explode\",\"room\":\"a\"}\n"
               "{\"seq\":3,\"op\":\"room_put\",\"room\":\"b\",\"visibility\":\"public\"}\n",
               "w");
    assert_null(open_store(fx, err, sizeof err));
    assert_non_null(strstr(err, "line 1: unknown op"));
}

static void test_pp_store_corrupt_state_file_names_file_and_position(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    write_text(fx->path, "{\"version\":1,\n\"users\":[\n  {\"username\": }]}\n", "w");
    assert_null(open_store(fx, err, sizeof err));
    assert_non_null(strstr(err, fx->path));
    assert_non_null(strstr(err, "malformed JSON at line 3, column 16"));
}

static void test_pp_store_bad_values_in_state_file_are_named(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"[]", "the top level must be an object"},
        {"{}\n}", "malformed JSON at line 2, column 1"},
        {"{\"version\":2}", "unsupported \"version\""},
        {"{\"users\":{}}", "\"users\" and \"rooms\" must be arrays"},
        {"{\"users\":[{\"username\":\"a/b\"}]}", "users[0].username: "},
        {"{\"users\":[{\"username\":\"a\",\"admin\":1}]}", "users[0] (a): "},
        {"{\"rooms\":[{\"room\":\"r\",\"visibility\":\"secret\"}]}",
         "rooms[0] (r): \"visibility\""},
        {"{\"rooms\":[{\"room\":\"r\",\"visibility\":\"public\",\"members\":[{\"username\":"
         "\"u\",\"role\":\"boss\"}]}]}",
         "rooms[0] (r): members[0] (u): \"role\""},
        {"{\"rooms\":[{\"room\":\"r\",\"visibility\":\"public\",\"bans\":[\"\"]}]}",
         "rooms[0] (r): bans[0]: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        write_text(fx->path, cases[i].text, "w");
        assert_null(open_store(fx, err, sizeof err));
        if (strstr(err, cases[i].expect) == NULL || strstr(err, "state.json") == NULL) {
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].expect);
        }
    }
}

/* A journal write that fails (here: the file size limit) leaves the index unchanged, cuts the
 * partial line, and makes the next commit write a full snapshot. */
static void test_pp_store_failed_journal_write_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    must_open(fx);
    some_changes(fx);
    commit(fx);
    struct stat sb;
    assert_int_equal(stat(fx->jpath, &sb), 0);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)sb.st_size + 10;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = pp_store_change(fx->st, fx->idx,
                             &(struct pp_change){.op = PP_CHANGE_ROOM_PUT, .room = "attic"}, err,
                             sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, PP_STORE_EIO);
    assert_non_null(strstr(err, "state.json.journal: cannot write: "));
    assert_null(pp_index_room_find(fx->idx, "attic", 5));
    struct stat after;
    assert_int_equal(stat(fx->jpath, &after), 0);
    assert_int_equal(after.st_size, sb.st_size); /* the partial line was cut */
    /* The next commit folds everything into a snapshot. */
    change(fx, (struct pp_change){.op = PP_CHANGE_ROOM_PUT, .room = "cellar"});
    commit(fx);
    assert_int_equal(pp_store_journal_entries(fx->st), 0);
    assert_string_equal(read_text(fx->jpath), "");
    must_open(fx);
    assert_non_null(pp_index_room_find(fx->idx, "cellar", 6));
    assert_null(pp_index_room_find(fx->idx, "attic", 5));
    assert_string_equal(fx->warnings, "");
}

static void test_pp_store_reload_swaps_index(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    must_open(fx);
    some_changes(fx);
    commit(fx);
    struct pp_index *before = fx->idx;
    /* An operator edits the state by hand: a new snapshot, the journal folded in by them. */
    write_text(fx->path,
               "{\"version\":1,\"seq\":7,\"users\":[{\"username\":\"zed\",\"admin\":true}],"
               "\"rooms\":[]}",
               "w");
    write_text(fx->jpath, "", "w");
    assert_int_equal(pp_store_reload(fx->st, &fx->idx, err, sizeof err), 0);
    assert_ptr_not_equal(fx->idx, before);
    assert_int_equal(pp_index_user_count(fx->idx), 1);
    assert_true(pp_index_user_find(fx->idx, "zed", 3)->admin);
    assert_int_equal(pp_index_room_count(fx->idx), 0);
    /* Changes after the reload carry on the sequence. */
    change(fx, (struct pp_change){.op = PP_CHANGE_ROOM_PUT, .room = "r"});
    commit(fx);
    assert_non_null(strstr(read_text(fx->jpath), "{\"seq\":8,"));
}

static void test_pp_store_failed_reload_keeps_old_index(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "";
    must_open(fx);
    some_changes(fx);
    commit(fx);
    struct pp_index *before = fx->idx;
    write_text(fx->path, "{\"users\":[", "w");
    assert_int_equal(pp_store_reload(fx->st, &fx->idx, err, sizeof err), -1);
    assert_non_null(strstr(err, "malformed JSON"));
    assert_ptr_equal(fx->idx, before);
    check_some_changes(fx->idx);
    /* The store still works: a later change is journalled and survives. */
    change(fx, (struct pp_change){.op = PP_CHANGE_USER_DEL, .user = "bob"});
    commit(fx);
    assert_int_equal(pp_store_compact(fx->st, fx->idx, err, sizeof err), 0);
    must_open(fx);
    assert_null(pp_index_user_find(fx->idx, "bob", 3));
    assert_non_null(pp_index_user_find(fx->idx, "alice", 5));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100,000 memberships loaded: a change still costs one short line, and compaction and load
 * give the same state back. The figures are printed, never asserted (make bench measures). */
static void test_pp_store_100k_memberships_round_trip(void **state)
{
    struct fixture *fx = *state;
    char err[256] = "", u[32], r[32];
    must_open(fx);
    pp_store_set_compact_threshold(fx->st, 0);
    for (int i = 0; i < 20000; i++) {
        snprintf(u, sizeof u, "user%05d", i);
        assert_int_equal(pp_index_user_put(fx->idx, u, "$7$101$c2FsdHNhbHRzYWx0$aGFzaA==", false),
                         0);
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(r, sizeof r, "room%05d", i);
        assert_int_equal(pp_index_room_put(fx->idx, r, (enum pp_visibility)(i % 2)), 0);
    }
    for (int i = 0; i < 100000; i++) {
        snprintf(r, sizeof r, "room%05d", i % 10000);
        snprintf(u, sizeof u, "user%05d", (i % 10000 + (i / 10000) * 1999) % 20000);
        assert_int_equal(pp_index_member_set(fx->idx, r, u, (enum pp_role)(1 + i % 3)), 0);
    }
    double t0 = now_s();
    assert_int_equal(pp_store_compact(fx->st, fx->idx, err, sizeof err), 0);
    double t1 = now_s();
    for (int i = 0; i < 100; i++) {
        snprintf(u, sizeof u, "user%05d", i);
        change(fx, (struct pp_change){.op = PP_CHANGE_MEMBER_SET,
                                      .room = "room00001",
                                      .user = u,
                                      .role = PP_ROLE_OWNER});
        commit(fx);
    }
    double t2 = now_s();
    must_open(fx);
    double t3 = now_s();
    assert_int_equal(pp_index_user_count(fx->idx), 20000);
    assert_int_equal(pp_index_room_count(fx->idx), 10000);
    assert_int_equal(pp_index_member_count(fx->idx),
                     100000 + 99); /* user00001 was a member already */
    struct pp_access a;
    pp_index_access(fx->idx, "room00001", 9, "user00042", 9, &a);
    assert_int_equal(a.role, PP_ROLE_OWNER);
    print_message("100k memberships (ASan build): snapshot %.1f ms, change+commit %.3f ms, "
                  "load %.1f ms\n",
                  (t1 - t0) * 1e3, (t2 - t1) * 1e3 / 100, (t3 - t2) * 1e3);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pp_store_open_creates_missing_file),
        T(test_pp_store_open_fails_in_missing_directory),
        T(test_pp_store_journal_replays_after_restart),
        T(test_pp_store_journal_line_format),
        T(test_pp_store_compaction_folds_journal_into_snapshot),
        T(test_pp_store_background_compaction_keeps_later_lines),
        T(test_pp_store_failed_background_compaction_keeps_journal),
        T(test_pp_store_compact_then_reopen_round_trips),
        T(test_pp_store_journal_lines_below_snapshot_seq_are_skipped),
        T(test_pp_store_truncated_last_journal_line_is_ignored),
        T(test_pp_store_garbage_last_line_with_newline_is_ignored),
        T(test_pp_store_corrupt_journal_line_in_middle_is_an_error),
        T(test_pp_store_corrupt_state_file_names_file_and_position),
        T(test_pp_store_bad_values_in_state_file_are_named),
        T(test_pp_store_failed_journal_write_changes_nothing),
        T(test_pp_store_reload_swaps_index),
        T(test_pp_store_failed_reload_keeps_old_index),
        T(test_pp_store_100k_memberships_round_trip),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
