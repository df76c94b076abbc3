/* Unit tests for the control API (pp_control.c, pp_ctl_*.c, pp_pwhash.c): every command's
 * success and errors, the permission matrix, and whole JSON replies compared.
 *
 * Requests and expected replies are written with ' for " to stay readable; q() swaps them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "pp_control.h"
#include "pp_pwhash.h"

struct fixture {
    struct pp_index *idx;
    struct pp_control_env env;
    char kicks[512]; /* "name," per kick */
    char left[512];  /* "room/user," per room_left; user "*" for everyone */
    char reply[65536];
};

static void kick(void *ctx, const char *username)
{
    struct fixture *fx = ctx;
    strncat(fx->kicks, username, sizeof fx->kicks - strlen(fx->kicks) - 2);
    strcat(fx->kicks, ",");
}

static void room_left(void *ctx, const char *room, const char *username)
{
    struct fixture *fx = ctx;
    size_t n = strlen(fx->left);
    snprintf(fx->left + n, sizeof fx->left - n, "%s/%s,", room, username ? username : "*");
}

static bool is_bridge(void *ctx, const char *username)
{
    (void)ctx;
    return strcmp(username, "bridge") == 0;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL || (fx->idx = pp_index_new()) == NULL) {
        free(fx);
        return -1;
    }
    fx->env = (struct pp_control_env){.index = fx->idx,
                                      .allow_room_create = true,
                                      .kick_user = kick,
                                      .kick_ctx = fx,
                                      .is_bridge = is_bridge,
                                      .room_left = room_left};
    const char *users[] = {"admin", "alice", "bob", "carol", "bridge"};
    for (size_t i = 0; i < 5; i++) {
        if (pp_index_user_put(fx->idx, users[i], "$7$101$x$y", i == 0) != 0) {
            return -1;
        }
    }
    /* lobby: public, alice owner. den: private, alice owner, bob member, carol reader. */
    if (pp_index_room_put(fx->idx, "lobby", PP_ROOM_PUBLIC) != 0 ||
        pp_index_room_put(fx->idx, "den", PP_ROOM_PRIVATE) != 0 ||
        pp_index_member_set(fx->idx, "lobby", "alice", PP_ROLE_OWNER) != 0 ||
        pp_index_member_set(fx->idx, "den", "alice", PP_ROLE_OWNER) != 0 ||
        pp_index_member_set(fx->idx, "den", "bob", PP_ROLE_MEMBER) != 0 ||
        pp_index_member_set(fx->idx, "den", "carol", PP_ROLE_READER) != 0) {
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    pp_index_free(fx->env.index);
    free(fx);
    return 0;
}

/* ' -> " in a static copy (two alternating buffers, so q(a), q(b) can be compared). */
static const char *q(const char *s)
{
    static char bufs[2][8192];
    static int which;
    char *b = bufs[which ^= 1];
    size_t n = strlen(s);
    assert_true(n < sizeof bufs[0]);
    for (size_t i = 0; i <= n; i++) {
        b[i] = s[i] == '\'' ? '"' : s[i];
    }
    return b;
}

/* Runs a batch (in ' form) for caller; returns the reply (in " form). */
static const char *run(struct fixture *fx, const char *caller, bool admin, const char *req)
{
    const char *json = q(req);
    char *out = pp_control_handle(&fx->env, caller, admin, json, strlen(json));
    assert_non_null(out);
    assert_true(strlen(out) < sizeof fx->reply);
    strcpy(fx->reply, out);
    free(out);
    return fx->reply;
}

/* One command in ' form, e.g. "'command':'getRoom','room':'den'". */
static const char *run1(struct fixture *fx, const char *caller, bool admin, const char *cmd)
{
    char req[4096];
    snprintf(req, sizeof req, "{'commands':[{%s}]}", cmd);
    return run(fx, caller, admin, req);
}

#define EXPECT(fx, caller, admin, cmd, want)                                                       \
    assert_string_equal(run1(fx, caller, admin, cmd), q("{'responses':[" want "]}"))

static enum pp_role role_of(struct fixture *fx, const char *room, const char *user)
{
    struct pp_access a;
    pp_index_access(fx->env.index, room, strlen(room), user, strlen(user), &a);
    return a.role;
}

static bool banned(struct fixture *fx, const char *room, const char *user)
{
    struct pp_access a;
    pp_index_access(fx->env.index, room, strlen(room), user, strlen(user), &a);
    return a.banned;
}

/* ---- the batch ------------------------------------------------------------------------- */

static void test_pp_control_malformed_json(void **state)
{
    struct fixture *fx = *state;
    assert_string_equal(run(fx, "alice", false, "{'commands':[{'command':"),
                        q("{'responses':[{'command':'unknown','error':'malformed JSON at byte "
                          "23'}]}"));
    /* Trailing bytes after the object are malformed too; trailing white space is not. */
    assert_string_equal(run(fx, "alice", false, "{'commands':[]}x"),
                        q("{'responses':[{'command':'unknown','error':'malformed JSON at byte "
                          "15'}]}"));
    assert_string_equal(run(fx, "alice", false, "{'commands':[]} \n"), q("{'responses':[]}"));
    assert_string_equal(run(fx, "alice", false, ""),
                        q("{'responses':[{'command':'unknown','error':'malformed JSON at byte "
                          "0'}]}"));
}

static void test_pp_control_batch_shape_errors(void **state)
{
    struct fixture *fx = *state;
    char want[200];
    strcpy(want, q("{'responses':[{'command':'unknown','error':'expected "
                   "{\\'commands\\':[...]}'}]}"));
    assert_string_equal(run(fx, "alice", false, "[]"), want);
    assert_string_equal(run(fx, "alice", false, "{'commands':{}}"), want);
    assert_string_equal(run(fx, "alice", false, "{}"), want);
    assert_string_equal(run(fx, "alice", false, "{'commands':[]}"), q("{'responses':[]}"));
}

static void test_pp_control_needs_a_caller(void **state)
{
    struct fixture *fx = *state;
    const char *req = "{\"commands\":[{\"command\":\"listRooms\"}]}";
    char *out = pp_control_handle(&fx->env, NULL, false, req, strlen(req));
    assert_non_null(out);
    assert_string_equal(out, q("{'responses':[{'command':'unknown','error':'the control API needs "
                               "an authenticated user'}]}"));
    free(out);
}

static void test_pp_control_too_many_commands(void **state)
{
    struct fixture *fx = *state;
    char req[8000] = "{'commands':[";
    for (int i = 0; i < PP_CONTROL_MAX_COMMANDS + 1; i++) {
        strcat(req, i ? ",{'command':'listRooms'}" : "{'command':'listRooms'}");
    }
    strcat(req, "]}");
    assert_string_equal(run(fx, "alice", false, req),
                        q("{'responses':[{'command':'unknown','error':'too many commands in one "
                          "batch: 101 (at most 100)'}]}"));
    /* Exactly the limit is fine. */
    req[strlen(req) - 2 - strlen(",{'command':'listRooms'}")] = '\0';
    strcat(req, "]}");
    const char *out = run(fx, "alice", false, req);
    int n = 0;
    for (const char *p = out; (p = strstr(p, "listRooms")) != NULL; p++) {
        n++;
    }
    assert_int_equal(n, PP_CONTROL_MAX_COMMANDS);
}

static void test_pp_control_bad_commands(void **state)
{
    struct fixture *fx = *state;
    assert_string_equal(
        run(fx, "alice", false,
            "{'commands':[{'command':'frob','correlationData':'c1'},7,{'room':'x'},"
            "{'command':5},{'command':'listRooms','correlationData':5}]}"),
        q("{'responses':["
          "{'command':'unknown','correlationData':'c1','error':'unknown command \\'frob\\''},"
          "{'command':'unknown','error':'a command must be an object'},"
          "{'command':'unknown','error':'missing field \\'command\\' (a string)'},"
          "{'command':'unknown','error':'field \\'command\\' must be a string'},"
          "{'command':'listRooms','error':'field \\'correlationData\\' must be a string'}]}"));
}

static void test_pp_control_batch_answers_in_order_with_correlation(void **state)
{
    struct fixture *fx = *state;
    assert_string_equal(
        run(fx, "bob", false,
            "{'commands':[{'command':'joinRoom','room':'lobby','correlationData':'1'},"
            "{'command':'getRoom','room':'lobby','correlationData':'2'},"
            "{'command':'leaveRoom','room':'lobby','correlationData':'3'},"
            "{'command':'leaveRoom','room':'lobby','correlationData':'4'}]}"),
        q("{'responses':[{'command':'joinRoom','correlationData':'1'},"
          "{'command':'getRoom','correlationData':'2','data':{'room':'lobby','visibility':"
          "'public','members':[{'username':'alice','role':'owner'},{'username':'bob','role':"
          "'member'}],'bans':[]}},"
          "{'command':'leaveRoom','correlationData':'3'},"
          "{'command':'leaveRoom','correlationData':'4','error':'you are not a member of room "
          "\\'lobby\\''}]}"));
}

/* ---- users ----------------------------------------------------------------------------- */

static void test_pp_pwhash_matches_mosquitto_passwd(void **state)
{
    (void)state;
    /* mosquitto_passwd -b f alice secret wrote this line: */
    const char *want = "$7$101$sk2It1EL6T4TA4RV$0q8RwjnAaG1k5dRqH48l1LdNDdUO+mWzp5yb/QchJ6YpiUG2"
                       "TUWyb0HD8y+bqb4nZNlz2WJv8S+qCc2lT1Fwcw==";
    unsigned char salt[16];
    char out[PP_PWHASH_MAX];
    assert_int_equal(EVP_DecodeBlock(salt, (const unsigned char *)"sk2It1EL6T4TA4RV", 16), 12);
    assert_int_equal(pp_pwhash_make_salted("secret", salt, 12, 101, out, sizeof out), 0);
    assert_string_equal(out, want);
    assert_int_equal(pp_pwhash_make_salted("secret", salt, 12, 101, out, 50), -1);
    char a[PP_PWHASH_MAX], b[PP_PWHASH_MAX];
    assert_int_equal(pp_pwhash_make("secret", a, sizeof a), 0);
    assert_int_equal(pp_pwhash_make("secret", b, sizeof b), 0);
    assert_string_not_equal(a, b); /* fresh salt each time */
    assert_int_equal(strncmp(a, "$7$101$", 7), 0);
    assert_int_equal(strlen(a), strlen(want));
}

/* True when user's stored hash is the $7$ hash of password. */
static bool password_is(struct fixture *fx, const char *user, const char *password)
{
    const struct pp_user *u = pp_index_user_find(fx->env.index, user, strlen(user));
    assert_non_null(u);
    assert_non_null(u->password_hash);
    char salt64[32], out[PP_PWHASH_MAX];
    unsigned char salt[32];
    assert_int_equal(sscanf(u->password_hash, "$7$101$%16[^$]$", salt64), 1);
    assert_int_equal(EVP_DecodeBlock(salt, (const unsigned char *)salt64, 16), 12);
    assert_int_equal(pp_pwhash_make_salted(password, salt, 12, 101, out, sizeof out), 0);
    return strcmp(out, u->password_hash) == 0;
}

static void test_pp_control_create_user(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "admin", true, "'command':'createUser','username':'dave','password':'pw1'",
           "{'command':'createUser'}");
    const struct pp_user *u = pp_index_user_find(fx->env.index, "dave", 4);
    assert_non_null(u);
    assert_false(u->admin);
    assert_true(password_is(fx, "dave", "pw1"));
    assert_false(password_is(fx, "dave", "pw2"));
    EXPECT(fx, "admin", true,
           "'command':'createUser','username':'erin','password':'x','admin':true",
           "{'command':'createUser'}");
    assert_true(pp_index_user_find(fx->env.index, "erin", 4)->admin);
}

static void test_pp_control_create_user_errors(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "alice", false, "'command':'createUser','username':'dave','password':'pw'",
           "{'command':'createUser','error':'permission denied: createUser is for admins'}");
    EXPECT(fx, "admin", true, "'command':'createUser','password':'pw'",
           "{'command':'createUser','error':'missing field \\'username\\' (a string)'}");
    EXPECT(fx, "admin", true, "'command':'createUser','username':7,'password':'pw'",
           "{'command':'createUser','error':'field \\'username\\' must be a string'}");
    EXPECT(fx, "admin", true, "'command':'createUser','username':'a/b','password':'pw'",
           "{'command':'createUser','error':'bad user name: name may only contain A-Z a-z "
           "0-9 _ . -'}");
    EXPECT(fx, "admin", true, "'command':'createUser','username':'dave'",
           "{'command':'createUser','error':'missing field \\'password\\' (a string)'}");
    EXPECT(fx, "admin", true, "'command':'createUser','username':'dave','password':''",
           "{'command':'createUser','error':'field \\'password\\' must not be empty'}");
    EXPECT(fx, "admin", true,
           "'command':'createUser','username':'dave','password':'p','admin':'yes'",
           "{'command':'createUser','error':'field \\'admin\\' must be true or false'}");
    EXPECT(fx, "admin", true, "'command':'createUser','username':'bob','password':'p'",
           "{'command':'createUser','error':'user \\'bob\\' already exists'}");
    assert_null(pp_index_user_find(fx->env.index, "dave", 4));
    assert_int_equal(pp_index_user_count(fx->env.index), 5);
}

static void test_pp_control_delete_user_kicks_and_drops_memberships(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "bob", false, "'command':'deleteUser','username':'carol'",
           "{'command':'deleteUser','error':'permission denied: deleteUser is for admins'}");
    assert_string_equal(fx->kicks, "");
    EXPECT(fx, "admin", true, "'command':'deleteUser','username':'carol'",
           "{'command':'deleteUser'}");
    assert_string_equal(fx->kicks, "carol,");
    assert_null(pp_index_user_find(fx->env.index, "carol", 5));
    assert_int_equal(role_of(fx, "den", "carol"), PP_ROLE_NONE);
    EXPECT(fx, "admin", true, "'command':'deleteUser','username':'carol'",
           "{'command':'deleteUser','error':'no such user \\'carol\\''}");
    EXPECT(fx, "admin", true, "'command':'deleteUser'",
           "{'command':'deleteUser','error':'missing field \\'username\\' (a string)'}");
    assert_string_equal(fx->kicks, "carol,");
}

static void test_pp_control_set_password(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "bob", false, "'command':'setPassword','username':'bob','password':'new'",
           "{'command':'setPassword'}");
    assert_true(password_is(fx, "bob", "new"));
    EXPECT(fx, "bob", false, "'command':'setPassword','username':'alice','password':'x'",
           "{'command':'setPassword','error':'permission denied: setPassword for another user "
           "is for admins'}");
    EXPECT(fx, "admin", true, "'command':'setPassword','username':'alice','password':'a2'",
           "{'command':'setPassword'}");
    assert_true(password_is(fx, "alice", "a2"));
    EXPECT(fx, "admin", true, "'command':'setPassword','username':'zed','password':'x'",
           "{'command':'setPassword','error':'no such user \\'zed\\''}");
    EXPECT(fx, "bob", false, "'command':'setPassword','username':'bob'",
           "{'command':'setPassword','error':'missing field \\'password\\' (a string)'}");
    /* The admin flag is kept. */
    EXPECT(fx, "admin", true, "'command':'setPassword','username':'admin','password':'z'",
           "{'command':'setPassword'}");
    assert_true(pp_index_user_find(fx->env.index, "admin", 5)->admin);
}

static void test_pp_control_list_users(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "admin", true, "'command':'listUsers'",
           "{'command':'listUsers','data':{'users':[{'username':'admin','admin':true},"
           "{'username':'alice','admin':false},{'username':'bob','admin':false},"
           "{'username':'bridge','admin':false},{'username':'carol','admin':false}]}}");
    EXPECT(fx, "alice", false, "'command':'listUsers'",
           "{'command':'listUsers','error':'permission denied: listUsers is for admins'}");
}

/* ---- rooms ----------------------------------------------------------------------------- */

static void test_pp_control_create_room(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "bob", false, "'command':'createRoom','room':'garden','visibility':'private'",
           "{'command':'createRoom'}");
    EXPECT(fx, "bob", false, "'command':'getRoom','room':'garden'",
           "{'command':'getRoom','data':{'room':'garden','visibility':'private','members':"
           "[{'username':'bob','role':'owner'}],'bans':[]}}");
    EXPECT(fx, "carol", false, "'command':'createRoom','room':'yard'", "{'command':'createRoom'}");
    assert_int_equal(pp_index_room_find(fx->env.index, "yard", 4)->visibility, PP_ROOM_PUBLIC);
    EXPECT(fx, "carol", false, "'command':'createRoom','room':'yard'",
           "{'command':'createRoom','error':'room \\'yard\\' already exists'}");
    EXPECT(fx, "carol", false, "'command':'createRoom','room':'x','visibility':'secret'",
           "{'command':'createRoom','error':'field \\'visibility\\' must be \\'public\\' or "
           "\\'private\\''}");
    EXPECT(fx, "carol", false, "'command':'createRoom','room':'rooms/#'",
           "{'command':'createRoom','error':'bad room name: name may only contain A-Z a-z "
           "0-9 _ . -'}");
    EXPECT(fx, "carol", false, "'command':'createRoom'",
           "{'command':'createRoom','error':'missing field \\'room\\' (a string)'}");
    EXPECT(fx, "bad name", false, "'command':'createRoom','room':'z'",
           "{'command':'createRoom','error':'your username is not a valid member name, so you "
           "cannot own a room'}");
    assert_null(pp_index_room_find(fx->env.index, "z", 1));
}

static void test_pp_control_create_room_when_creation_is_off(void **state)
{
    struct fixture *fx = *state;
    fx->env.allow_room_create = false;
    EXPECT(fx, "bob", false, "'command':'createRoom','room':'garden'",
           "{'command':'createRoom','error':'permission denied: only admins may create rooms "
           "here (allow_room_create is false)'}");
    EXPECT(fx, "admin", true, "'command':'createRoom','room':'garden'", "{'command':'createRoom'}");
    assert_int_equal(role_of(fx, "garden", "admin"), PP_ROLE_OWNER);
}

static void test_pp_control_delete_room(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "bob", false, "'command':'deleteRoom','room':'den'",
           "{'command':'deleteRoom','error':'permission denied: deleteRoom needs an owner of "
           "the room or an admin'}");
    EXPECT(fx, "alice", false, "'command':'deleteRoom','room':'den'", "{'command':'deleteRoom'}");
    assert_null(pp_index_room_find(fx->env.index, "den", 3));
    assert_int_equal(pp_index_member_count(fx->env.index), 1);
    EXPECT(fx, "admin", true, "'command':'deleteRoom','room':'den'",
           "{'command':'deleteRoom','error':'no such room \\'den\\''}");
    EXPECT(fx, "admin", true, "'command':'deleteRoom','room':'lobby'", "{'command':'deleteRoom'}");
    assert_int_equal(pp_index_room_count(fx->env.index), 0);
}

/* getRoom: admin, any role, anyone for public; never banned. */
static void test_pp_control_get_room_permissions(void **state)
{
    struct fixture *fx = *state;
    const char *den = "{'command':'getRoom','data':{'room':'den','visibility':'private',"
                      "'members':[{'username':'alice','role':'owner'},{'username':'bob','role':"
                      "'member'},{'username':'carol','role':'reader'}],'bans':['mallory']}}";
    assert_int_equal(pp_index_ban_set(fx->env.index, "den", "mallory", true), 0);
    const char *may[] = {"alice", "bob", "carol"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(run1(fx, may[i], false, "'command':'getRoom','room':'den'"),
                            q(strcat(strcat(strcpy((char[600]){0}, "{'responses':["), den), "]}")));
    }
    assert_string_equal(run1(fx, "admin", true, "'command':'getRoom','room':'den'"),
                        q(strcat(strcat(strcpy((char[600]){0}, "{'responses':["), den), "]}")));
    EXPECT(fx, "bridge", false, "'command':'getRoom','room':'den'",
           "{'command':'getRoom','error':'permission denied: private room and not a member'}");
    EXPECT(fx, "mallory", false, "'command':'getRoom','room':'den'",
           "{'command':'getRoom','error':'permission denied: you are banned from this room'}");
    EXPECT(fx, "bridge", false, "'command':'getRoom','room':'lobby'",
           "{'command':'getRoom','data':{'room':'lobby','visibility':'public','members':"
           "[{'username':'alice','role':'owner'}],'bans':[]}}");
    assert_int_equal(pp_index_ban_set(fx->env.index, "lobby", "bob", true), 0);
    EXPECT(fx, "bob", false, "'command':'getRoom','room':'lobby'",
           "{'command':'getRoom','error':'permission denied: you are banned from this room'}");
    EXPECT(fx, "bob", false, "'command':'getRoom','room':'nope'",
           "{'command':'getRoom','error':'no such room \\'nope\\''}");
}

static void test_pp_control_list_rooms(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(pp_index_room_put(fx->env.index, "attic", PP_ROOM_PRIVATE), 0);
    EXPECT(fx, "bob", false, "'command':'listRooms'",
           "{'command':'listRooms','data':{'rooms':[{'room':'den','visibility':'private',"
           "'role':'member'},{'room':'lobby','visibility':'public'}]}}");
    EXPECT(fx, "bridge", false, "'command':'listRooms'",
           "{'command':'listRooms','data':{'rooms':[{'room':'lobby','visibility':'public'}]}}");
    EXPECT(fx, "admin", true, "'command':'listRooms'",
           "{'command':'listRooms','data':{'rooms':[{'room':'attic','visibility':'private'},"
           "{'room':'den','visibility':'private'},{'room':'lobby','visibility':'public'}]}}");
    /* A banned member no longer sees the private room. */
    assert_int_equal(pp_index_ban_set(fx->env.index, "den", "bob", true), 0);
    EXPECT(fx, "bob", false, "'command':'listRooms'",
           "{'command':'listRooms','data':{'rooms':[{'room':'lobby','visibility':'public'}]}}");
}

/* ---- members --------------------------------------------------------------------------- */

static void test_pp_control_join_room(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "bob", false, "'command':'joinRoom','room':'lobby'", "{'command':'joinRoom'}");
    assert_int_equal(role_of(fx, "lobby", "bob"), PP_ROLE_MEMBER);
    EXPECT(fx, "alice", false, "'command':'joinRoom','room':'lobby'", "{'command':'joinRoom'}");
    assert_int_equal(role_of(fx, "lobby", "alice"), PP_ROLE_OWNER);
    EXPECT(fx, "bridge", false, "'command':'joinRoom','room':'den'",
           "{'command':'joinRoom','error':'permission denied: room \\'den\\' is private; an "
           "owner must add you'}");
    assert_int_equal(pp_index_ban_set(fx->env.index, "lobby", "carol", true), 0);
    EXPECT(fx, "carol", false, "'command':'joinRoom','room':'lobby'",
           "{'command':'joinRoom','error':'permission denied: you are banned from room "
           "\\'lobby\\''}");
    EXPECT(fx, "carol", false, "'command':'joinRoom','room':'nope'",
           "{'command':'joinRoom','error':'no such room \\'nope\\''}");
    EXPECT(fx, "carol", false, "'command':'joinRoom','room':''",
           "{'command':'joinRoom','error':'bad room name: name is empty'}");
}

static void test_pp_control_leave_room(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "carol", false, "'command':'leaveRoom','room':'den'", "{'command':'leaveRoom'}");
    assert_int_equal(role_of(fx, "den", "carol"), PP_ROLE_NONE);
    EXPECT(fx, "carol", false, "'command':'leaveRoom','room':'den'",
           "{'command':'leaveRoom','error':'you are not a member of room \\'den\\''}");
    EXPECT(fx, "carol", false, "'command':'leaveRoom','room':'nope'",
           "{'command':'leaveRoom','error':'no such room \\'nope\\''}");
}

static void test_pp_control_add_member(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "alice", false, "'command':'addMember','room':'den','username':'bridge'",
           "{'command':'addMember'}");
    assert_int_equal(role_of(fx, "den", "bridge"), PP_ROLE_MEMBER);
    EXPECT(fx, "admin", true,
           "'command':'addMember','room':'lobby','username':'carol','role':'reader'",
           "{'command':'addMember'}");
    assert_int_equal(role_of(fx, "lobby", "carol"), PP_ROLE_READER);
    EXPECT(fx, "alice", false, "'command':'addMember','room':'den','username':'bob','role':'owner'",
           "{'command':'addMember','error':'\\'bob\\' is already a member of room \\'den\\' (as "
           "member; use setRole)'}");
    EXPECT(fx, "alice", false, "'command':'addMember','room':'den','username':'zed'",
           "{'command':'addMember','error':'no such user \\'zed\\''}");
    EXPECT(fx, "alice", false,
           "'command':'addMember','room':'den','username':'admin','role':'king'",
           "{'command':'addMember','error':'field \\'role\\' must be \\'owner\\', \\'member\\' "
           "or \\'reader\\''}");
    EXPECT(fx, "alice", false, "'command':'addMember','room':'den'",
           "{'command':'addMember','error':'missing field \\'username\\' (a string)'}");
    EXPECT(fx, "alice", false, "'command':'addMember','room':'nope','username':'bob'",
           "{'command':'addMember','error':'no such room \\'nope\\''}");
}

static void test_pp_control_remove_member_and_set_role(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "alice", false,
           "'command':'setRole','room':'den','username':'carol','role':"
           "'member'",
           "{'command':'setRole'}");
    assert_int_equal(role_of(fx, "den", "carol"), PP_ROLE_MEMBER);
    EXPECT(fx, "alice", false, "'command':'setRole','room':'den','username':'carol'",
           "{'command':'setRole','error':'missing field \\'role\\' (\\'owner\\', \\'member\\' or "
           "\\'reader\\')'}");
    EXPECT(fx, "alice", false,
           "'command':'setRole','room':'den','username':'bridge','role':'owner'",
           "{'command':'setRole','error':'\\'bridge\\' is not a member of room \\'den\\' (use "
           "addMember)'}");
    EXPECT(fx, "alice", false, "'command':'removeMember','room':'den','username':'carol'",
           "{'command':'removeMember'}");
    assert_int_equal(role_of(fx, "den", "carol"), PP_ROLE_NONE);
    EXPECT(fx, "alice", false, "'command':'removeMember','room':'den','username':'carol'",
           "{'command':'removeMember','error':'\\'carol\\' is not a member of room \\'den\\''}");
}

static void test_pp_control_ban_and_unban(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "alice", false, "'command':'ban','room':'den','username':'bob'",
           "{'command':'ban'}");
    assert_true(banned(fx, "den", "bob"));
    assert_int_equal(role_of(fx, "den", "bob"), PP_ROLE_MEMBER); /* kept for the unban */
    assert_string_equal(fx->kicks, "bob,");
    /* A ban of a name with no account, and a repeated ban, both succeed (and kick). */
    EXPECT(fx, "alice", false, "'command':'ban','room':'lobby','username':'ghost'",
           "{'command':'ban'}");
    EXPECT(fx, "alice", false, "'command':'ban','room':'den','username':'bob'",
           "{'command':'ban'}");
    assert_string_equal(fx->kicks, "bob,ghost,bob,");
    EXPECT(fx, "alice", false, "'command':'unban','room':'den','username':'bob'",
           "{'command':'unban'}");
    assert_false(banned(fx, "den", "bob"));
    assert_int_equal(role_of(fx, "den", "bob"), PP_ROLE_MEMBER);
    EXPECT(fx, "alice", false, "'command':'unban','room':'den','username':'bob'",
           "{'command':'unban','error':'\\'bob\\' is not banned from room \\'den\\''}");
    EXPECT(fx, "alice", false, "'command':'unban','room':'lobby','username':'ghost'",
           "{'command':'unban'}");
    assert_int_equal(pp_index_room_member_count(fx->env.index, "lobby"), 1);
    EXPECT(fx, "alice", false, "'command':'ban','room':'den','username':'+'",
           "{'command':'ban','error':'bad user name: name may only contain A-Z a-z "
           "0-9 _ . -'}");
    assert_string_equal(fx->kicks, "bob,ghost,bob,");
}

/* Who may run each room-management command: admins and owners only. */
static void test_pp_control_management_permission_matrix(void **state)
{
    struct fixture *fx = *state;
    static const char *cmds[] = {
        "'command':'addMember','room':'den','username':'bridge'",
        "'command':'removeMember','room':'den','username':'carol'",
        "'command':'setRole','room':'den','username':'carol','role':'member'",
        "'command':'ban','room':'den','username':'carol'",
        "'command':'unban','room':'den','username':'mallory'",
        "'command':'deleteRoom','room':'den'",
    };
    static const struct {
        const char *caller;
        bool admin, allowed;
    } callers[] = {
        {"admin", true, true},          {"alice", false, true},   {"bob", false, false},
        {"carol", false, false},        {"bridge", false, false}, {"mallory", false, false},
        {"banned_owner", false, false},
    };
    for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++) {
        for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
            /* Fresh den for each attempt. */
            pp_index_room_del(fx->env.index, "den");
            assert_int_equal(pp_index_room_put(fx->env.index, "den", PP_ROOM_PRIVATE), 0);
            assert_int_equal(pp_index_member_set(fx->env.index, "den", "alice", PP_ROLE_OWNER), 0);
            assert_int_equal(pp_index_member_set(fx->env.index, "den", "bob", PP_ROLE_MEMBER), 0);
            assert_int_equal(pp_index_member_set(fx->env.index, "den", "carol", PP_ROLE_READER), 0);
            assert_int_equal(pp_index_ban_set(fx->env.index, "den", "mallory", true), 0);
            assert_int_equal(
                pp_index_member_set(fx->env.index, "den", "banned_owner", PP_ROLE_OWNER), 0);
            assert_int_equal(pp_index_ban_set(fx->env.index, "den", "banned_owner", true), 0);
            const char *out = run1(fx, callers[c].caller, callers[c].admin, cmds[k]);
            bool denied = strstr(out, "permission denied") != NULL;
            if (denied == callers[c].allowed || (!denied && strstr(out, "error") != NULL)) {
                fail_msg("%s running {%s}: %s", callers[c].caller, cmds[k], out);
            }
        }
    }
}

/* ---- checkAccess ----------------------------------------------------------------------- */

static void test_pp_control_check_access_follows_the_room_rule(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *room, *user, *access, *want;
    } cases[] = {
        {"lobby", "bob", "read", "true,'reason':'public room: anyone may read'"},
        {"lobby", "bob", "write", "true,'reason':'public room: anyone may post'"},
        {"lobby", "alice", "write", "true,'reason':'room member may post'"},
        {"den", "bob", "write", "true,'reason':'room member may post'"},
        {"den", "carol", "read", "true,'reason':'room member may read'"},
        {"den", "carol", "write", "false,'reason':'readers may not post'"},
        {"den", "bridge", "read", "false,'reason':'private room and not a member'"},
        {"den", "mallory", "read", "false,'reason':'banned from the room'"},
        {"nope", "bob", "read", "false,'reason':'no such room'"},
    };
    assert_int_equal(pp_index_ban_set(fx->env.index, "den", "mallory", true), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[200], want[300];
        snprintf(cmd, sizeof cmd,
                 "'command':'checkAccess','room':'%s','username':'%s',"
                 "'access':'%s'",
                 cases[i].room, cases[i].user, cases[i].access);
        snprintf(want, sizeof want,
                 "{'responses':[{'command':'checkAccess','data':{'allowed':%s}}]}", cases[i].want);
        /* Admins and bridge accounts may ask about anyone; users about themselves. */
        assert_string_equal(run1(fx, "bridge", false, cmd), q(want));
        assert_string_equal(run1(fx, "admin", true, cmd), q(want));
        assert_string_equal(run1(fx, cases[i].user, false, cmd), q(want));
    }
}

static void test_pp_control_check_access_errors(void **state)
{
    struct fixture *fx = *state;
    EXPECT(fx, "bob", false,
           "'command':'checkAccess','room':'den','username':'carol','access':'read'",
           "{'command':'checkAccess','error':'permission denied: checkAccess for another user "
           "is for admins and bridge accounts'}");
    EXPECT(fx, "admin", true,
           "'command':'checkAccess','room':'den','username':'carol','access':'delete'",
           "{'command':'checkAccess','error':'field \\'access\\' must be \\'read\\' or "
           "\\'write\\''}");
    EXPECT(fx, "admin", true, "'command':'checkAccess','room':'den','username':'carol'",
           "{'command':'checkAccess','error':'missing field \\'access\\' (a string)'}");
    fx->env.is_bridge = NULL;
    EXPECT(fx, "bridge", false,
           "'command':'checkAccess','room':'den','username':'carol','access':'read'",
           "{'command':'checkAccess','error':'permission denied: checkAccess for another user "
           "is for admins and bridge accounts'}");
}

/* ---- durability ------------------------------------------------------------------------ */

static void test_pp_control_changes_are_durable_when_it_returns(void **state)
{
    struct fixture *fx = *state;
    char dir[] = "/tmp/pp_control_testXXXXXX", path[64], jpath[80], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state.json", dir);
    snprintf(jpath, sizeof jpath, "%s/state.json.journal", dir);
    struct pp_index *idx = pp_index_new();
    struct pp_store *st = pp_store_open(path, idx, err, sizeof err);
    assert_non_null(st);
    pp_index_free(fx->env.index);
    fx->env.index = idx;
    fx->env.store = st;
    assert_int_equal(pp_index_user_count(idx), 0);
    assert_string_equal(
        run(fx, "admin", true,
            "{'commands':[{'command':'createUser','username':'alice','password':'pw'},"
            "{'command':'createRoom','room':'den','visibility':'private'},"
            "{'command':'addMember','room':'den','username':'alice','role':'reader'},"
            "{'command':'addMember','room':'den','username':'nobody'},"
            "{'command':'ban','room':'den','username':'eve'}]}"),
        q("{'responses':[{'command':'createUser'},{'command':'createRoom'},"
          "{'command':'addMember'},{'command':'addMember','error':'no such user \\'nobody\\''},"
          "{'command':'ban'}]}"));
    assert_int_equal(pp_store_journal_entries(st), 5);
    /* Nothing else is needed for the state to be on disk: a second store reads it back. */
    struct pp_index *idx2 = pp_index_new();
    struct pp_store *st2 = pp_store_open(path, idx2, err, sizeof err);
    assert_non_null(st2);
    struct pp_access a;
    pp_index_access(idx2, "den", 3, "alice", 5, &a);
    assert_int_equal(a.role, PP_ROLE_READER);
    pp_index_access(idx2, "den", 3, "admin", 5, &a);
    assert_int_equal(a.role, PP_ROLE_OWNER);
    pp_index_access(idx2, "den", 3, "eve", 3, &a);
    assert_true(a.banned);
    assert_non_null(pp_index_user_find(idx2, "alice", 5));
    pp_store_close(st2);
    pp_index_free(idx2);
    pp_store_close(st);
    unlink(path);
    unlink(jpath);
    rmdir(dir);
}

static void test_pp_control_losing_a_private_room_is_reported_for_presence(void **state)
{
    struct fixture *fx = *state;
    /* Public rooms stay readable to non-members: nothing to report. */
    EXPECT(fx, "alice", false, "'command':'leaveRoom','room':'lobby'", "{'command':'leaveRoom'}");
    EXPECT(fx, "alice", false, "'command':'removeMember','room':'den','username':'zed'",
           "{'command':'removeMember','error':'\\'zed\\' is not a member of room \\'den\\''}");
    assert_string_equal(fx->left, "");
    EXPECT(fx, "alice", false, "'command':'removeMember','room':'den','username':'bob'",
           "{'command':'removeMember'}");
    EXPECT(fx, "carol", false, "'command':'leaveRoom','room':'den'", "{'command':'leaveRoom'}");
    EXPECT(fx, "alice", false, "'command':'deleteRoom','room':'den'", "{'command':'deleteRoom'}");
    assert_string_equal(fx->left, "den/bob,den/carol,den/*,");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pp_control_malformed_json),
        T(test_pp_control_losing_a_private_room_is_reported_for_presence),
        T(test_pp_control_batch_shape_errors),
        T(test_pp_control_needs_a_caller),
        T(test_pp_control_too_many_commands),
        T(test_pp_control_bad_commands),
        T(test_pp_control_batch_answers_in_order_with_correlation),
        cmocka_unit_test(test_pp_pwhash_matches_mosquitto_passwd),
        T(test_pp_control_create_user),
        T(test_pp_control_create_user_errors),
        T(test_pp_control_delete_user_kicks_and_drops_memberships),
        T(test_pp_control_set_password),
        T(test_pp_control_list_users),
        T(test_pp_control_create_room),
        T(test_pp_control_create_room_when_creation_is_off),
        T(test_pp_control_delete_room),
        T(test_pp_control_get_room_permissions),
        T(test_pp_control_list_rooms),
        T(test_pp_control_join_room),
        T(test_pp_control_leave_room),
        T(test_pp_control_add_member),
        T(test_pp_control_remove_member_and_set_role),
        T(test_pp_control_ban_and_unban),
        T(test_pp_control_management_permission_matrix),
        T(test_pp_control_check_access_follows_the_room_rule),
        T(test_pp_control_check_access_errors),
        T(test_pp_control_changes_are_durable_when_it_returns),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
