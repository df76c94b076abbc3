/* Unit tests for broker_plugin/pp_passwd.c: $7$ and $6$ checks against pp_pwhash and real
 * mosquitto_passwd output, malformed hashes, and password files. */
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
#include <openssl/sha.h>

#include "pp_passwd.h"
#include "pp_pwhash.h"

/* Written by `mosquitto_passwd -b -c f alice 'secret pw'` (2.0.11). */
static const char MOSQ_7[] =
    "$7$101$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzq"
    "KgYf4Wm8J9OWsok9+S5pJN1N3CyHT1ezQcflUs9g==";
/* Written by `mosquitto_passwd -H sha512 -b -c f bob hunter2`. */
static const char MOSQ_6[] = "$6$/rLSk4kw2xg5ycLe$+Gkq5ily/fguI7ul5NgC7afRr9jypZvSJMCDCU5WikmOZeUcE"
                             "WDl4deT6oCKzI5UbeLbUD9vKdRUtmPQ6Spzkg==";
/* Made with python3: salt b"parley-salt!", base64 of hashlib.sha512(b"correct horse" + salt). */
static const char PY_6[] = "$6$cGFybGV5LXNhbHQh$GZ1Sg8mW+SVLzLpUCLl0/ISTbDADtWrUIb6LUoUIzIpBriPWrR8"
                           "C1iuTTJPGw1hjPB7bYiUHeaEyb2ZG46N4Zw==";

/* A scratch directory per test, removed with whatever the test wrote into it. */
struct fixture {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return -1;
    }
    strcpy(f->dir, "/tmp/test_pp_passwd.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/passwd", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    int rc = rmdir(f->dir);
    free(f);
    return rc; /* fails the test when something else was left in the directory */
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
}

/* Collects what pp_passwd_file_read reports. */
struct seen {
    int calls;
    int stop_at; /* return 7 on this call (1-based); 0: never */
    char users[8][65];
    char hashes[8][256];
};

static int collect(void *ctx, const char *user, const char *hash)
{
    struct seen *s = ctx;
    if (s->calls < 8) {
        snprintf(s->users[s->calls], sizeof s->users[0], "%s", user);
        snprintf(s->hashes[s->calls], sizeof s->hashes[0], "%s", hash);
    }
    s->calls++;
    return s->calls == s->stop_at ? 7 : 0;
}

static void test_pp_passwd_pwhash_round_trip(void **state)
{
    (void)state;
    char hash[PP_PWHASH_MAX];
    assert_int_equal(pp_pwhash_make("s3cret", hash, sizeof hash), 0);
    assert_true(pp_passwd_hash_valid(hash));
    assert_true(pp_passwd_check(hash, "s3cret"));
    assert_false(pp_passwd_check(hash, "s3cre"));
    assert_false(pp_passwd_check(hash, "s3cret "));
    assert_false(pp_passwd_check(hash, ""));
    assert_int_equal(pp_pwhash_make("", hash, sizeof hash), 0);
    assert_true(pp_passwd_check(hash, ""));
    assert_false(pp_passwd_check(hash, "x"));
}

/* The iteration count is read from the hash, not assumed to be 101. */
static void test_pp_passwd_iterations_from_hash(void **state)
{
    (void)state;
    const unsigned char salt[PP_PWHASH_SALT_LEN] = "0123456789a";
    char hash[PP_PWHASH_MAX];
    const int counts[] = {1, 2, 100, 101, 1000};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        assert_int_equal(
            pp_pwhash_make_salted("pw", salt, sizeof salt, counts[i], hash, sizeof hash), 0);
        assert_true(pp_passwd_check(hash, "pw"));
        /* Same salt and digest under another count: must not match. */
        char other[PP_PWHASH_MAX + 8];
        const char *rest = strchr(hash + 3, '$');
        snprintf(other, sizeof other, "$7$%d%s", counts[i] + 1, rest);
        assert_true(pp_passwd_hash_valid(other));
        assert_false(pp_passwd_check(other, "pw"));
    }
}

/* Salts of 10 and 11 bytes encode with "==" and "=": the PBKDF2 input must be the true decoded
 * length, not EVP_DecodeBlock's 12. */
static void test_pp_passwd_padded_salt_uses_true_length(void **state)
{
    (void)state;
    const unsigned char salt[16] = "abcdefghijklmnop";
    char hash[PP_PWHASH_MAX];
    for (size_t len = 1; len <= sizeof salt; len++) {
        assert_int_equal(pp_pwhash_make_salted("pw", salt, len, 3, hash, sizeof hash), 0);
        assert_true(pp_passwd_check(hash, "pw"));
    }
    assert_int_equal(pp_pwhash_make_salted("pw", salt, 11, 3, hash, sizeof hash), 0);
    assert_non_null(strstr(hash, "=$")); /* the case this test is for */
}

static void test_pp_passwd_mosquitto_passwd_7(void **state)
{
    (void)state;
    assert_true(pp_passwd_hash_valid(MOSQ_7));
    assert_true(pp_passwd_check(MOSQ_7, "secret pw"));
    assert_false(pp_passwd_check(MOSQ_7, "secret"));
}

static void test_pp_passwd_mosquitto_passwd_6(void **state)
{
    (void)state;
    assert_true(pp_passwd_hash_valid(MOSQ_6));
    assert_true(pp_passwd_check(MOSQ_6, "hunter2"));
    assert_false(pp_passwd_check(MOSQ_6, "hunter3"));
    assert_true(pp_passwd_check(PY_6, "correct horse"));
    assert_false(pp_passwd_check(PY_6, "correct horse "));
    assert_false(pp_passwd_check(PY_6, "Correct horse"));
}

/* Runs the installed mosquitto_passwd, then reads and checks what it wrote. */
static void test_pp_passwd_mosquitto_passwd_live_file(void **state)
{
    struct fixture *f = *state;
    char cmd[1024];
    if (system("command -v mosquitto_passwd >/dev/null 2>&1") != 0) {
        /* the mosquitto package is a test dependency (tools/deps.sh): its absence is a failure. */
        fail_msg("mosquitto_passwd is not installed (mosquitto package; tools/deps.sh)");
    }
    snprintf(cmd, sizeof cmd,
             "mosquitto_passwd -b -c %s carol 'p w:1' && "
             "mosquitto_passwd -H sha512 -b %s dave 'Zz9!' && "
             "mosquitto_passwd -H sha512-pbkdf2 -b %s erin ''",
             f->path, f->path, f->path);
    assert_int_equal(system(cmd), 0);
    struct seen s = {0};
    char err[256] = "";
    assert_int_equal(pp_passwd_file_read(f->path, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.calls, 3);
    assert_string_equal(s.users[0], "carol");
    assert_true(strncmp(s.hashes[0], "$7$", 3) == 0);
    assert_true(pp_passwd_check(s.hashes[0], "p w:1"));
    assert_false(pp_passwd_check(s.hashes[0], "p w:2"));
    assert_string_equal(s.users[1], "dave");
    assert_true(strncmp(s.hashes[1], "$6$", 3) == 0);
    assert_true(pp_passwd_check(s.hashes[1], "Zz9!"));
    assert_false(pp_passwd_check(s.hashes[1], "Zz9"));
    assert_string_equal(s.users[2], "erin");
    assert_true(pp_passwd_check(s.hashes[2], ""));
    assert_false(pp_passwd_check(s.hashes[2], " "));
}

static void test_pp_passwd_rejects_malformed(void **state)
{
    (void)state;
    char digest66[256], salt65[256], short_digest[256], nopad[256];
    unsigned char raw[66] = {0};
    unsigned char b64[128];
    EVP_EncodeBlock(b64, raw, 66); /* 88 characters, no padding: EVP_DecodeBlock says 66 */
    snprintf(digest66, sizeof digest66, "$6$cGFybGV5LXNhbHQh$%s", b64);
    EVP_EncodeBlock(b64, raw, 63);
    snprintf(short_digest, sizeof short_digest, "$6$cGFybGV5LXNhbHQh$%s", b64);
    unsigned char big[65] = {0};
    unsigned char salt64[128];
    EVP_EncodeBlock(salt64, big, 65);
    snprintf(salt65, sizeof salt65, "$7$101$%s%s", salt64, strrchr(MOSQ_7, '$'));
    /* The mosquitto hash with its "==" padding stripped. */
    snprintf(nopad, sizeof nopad, "%.*s", (int)strlen(MOSQ_7) - 2, MOSQ_7);

    const char *bad[] = {
        NULL,
        "",
        "$",
        "$7$",
        "$7$101$",
        "$7$101$/euBHm2PfC++kW1v",
        "$7$101$/euBHm2PfC++kW1v$",
        "$5$/rLSk4kw2xg5ycLe$+Gkq5ily/fguI7ul5NgC7afRr9jypZvSJMCDCU5WikmOZeUcEWDl4deT6oCKzI5Ub"
        "eLbUD9vKdRUtmPQ6Spzkg==",
        "$7$0$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OWsok9+S"
        "5pJN1N3CyHT1ezQcflUs9g==",
        "$7$0101$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OWsok"
        "9+S5pJN1N3CyHT1ezQcflUs9g==",
        "$7$1000001$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OW"
        "sok9+S5pJN1N3CyHT1ezQcflUs9g==",
        "$7$-101$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OWsok"
        "9+S5pJN1N3CyHT1ezQcflUs9g==",
        "$7$1x1$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OWsok9"
        "+S5pJN1N3CyHT1ezQcflUs9g==",
        /* a '*' in the salt; a space in the digest; a trailing newline; a leading space */
        "$7$101$/euBHm2PfC++kW1*$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OWsok9+"
        "S5pJN1N3CyHT1ezQcflUs9g==",
        "$7$101$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OWsok9+"
        "S5pJN1N3CyHT1ezQcflUs9 ==",
        "$7$101$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OWsok9+"
        "S5pJN1N3CyHT1ezQcflUs9g==\n",
        " $7$101$/euBHm2PfC++kW1v$yLY8V1Dv016ZUJCEx2K3zp5Rrk60OH/i9BSaGo8LzBYKzqKgYf4Wm8J9OWsok9"
        "+S5pJN1N3CyHT1ezQcflUs9g==",
        /* '=' inside the text, and three '=' */
        "$6$/rLSk4kw2x=5ycLe$+Gkq5ily/fguI7ul5NgC7afRr9jypZvSJMCDCU5WikmOZeUcEWDl4deT6oCKzI5Ub"
        "eLbUD9vKdRUtmPQ6Spzkg==",
        "$6$/rLSk4kw2xg5y===$+Gkq5ily/fguI7ul5NgC7afRr9jypZvSJMCDCU5WikmOZeUcEWDl4deT6oCKzI5Ub"
        "eLbUD9vKdRUtmPQ6Spzkg==",
        /* an extra field */
        "$6$/rLSk4kw2xg5ycLe$+Gkq5ily/fguI7ul5NgC7afRr9jypZvSJMCDCU5WikmOZeUcEWDl4deT6oCKzI5Ub"
        "eLbUD9vKdRUtmPQ6Spzkg==$AAAA",
        digest66,
        short_digest,
        salt65,
        nopad,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (pp_passwd_hash_valid(bad[i]) || pp_passwd_check(bad[i], "secret pw") ||
            pp_passwd_check(bad[i], "hunter2")) {
            fail_msg("accepted bad hash %zu: %s", i, bad[i] == NULL ? "(null)" : bad[i]);
        }
    }
    assert_false(pp_passwd_check(MOSQ_7, NULL));
}

static void test_pp_passwd_iteration_bounds(void **state)
{
    (void)state;
    const char *rest = strchr(MOSQ_7 + 3, '$');
    char h[256];
    snprintf(h, sizeof h, "$7$1000000%s", rest);
    assert_true(pp_passwd_hash_valid(h)); /* not checked: a million rounds is slow under ASan */
    snprintf(h, sizeof h, "$7$1%s", rest);
    assert_true(pp_passwd_hash_valid(h));
    assert_false(pp_passwd_check(h, "secret pw"));
}

/* $6$ hashes through a stack buffer of PP_PASSWD_MAX_LEN: the longest password still works. */
static void test_pp_passwd_longest_password(void **state)
{
    (void)state;
    static char pw[PP_PASSWD_MAX_LEN + 2];
    const unsigned char salt[12] = "0123456789ab";
    unsigned char buf[PP_PASSWD_MAX_LEN + sizeof salt], md[SHA512_DIGEST_LENGTH];
    unsigned char salt64[32], md64[96];
    char hash[256];
    memset(pw, 'x', PP_PASSWD_MAX_LEN);
    pw[PP_PASSWD_MAX_LEN] = '\0';
    memcpy(buf, pw, PP_PASSWD_MAX_LEN);
    memcpy(buf + PP_PASSWD_MAX_LEN, salt, sizeof salt);
    SHA512(buf, sizeof buf, md);
    EVP_EncodeBlock(salt64, salt, sizeof salt);
    EVP_EncodeBlock(md64, md, sizeof md);
    snprintf(hash, sizeof hash, "$6$%s$%s", (char *)salt64, (char *)md64);
    assert_true(pp_passwd_check(hash, pw));

    char hash7[PP_PWHASH_MAX];
    assert_int_equal(pp_pwhash_make_salted(pw, salt, sizeof salt, 2, hash7, sizeof hash7), 0);
    assert_true(pp_passwd_check(hash7, pw));
    pw[PP_PASSWD_MAX_LEN] = 'x'; /* one byte too long: refused, whatever the hash */
    pw[PP_PASSWD_MAX_LEN + 1] = '\0';
    assert_int_equal(pp_pwhash_make_salted(pw, salt, sizeof salt, 2, hash7, sizeof hash7), 0);
    assert_false(pp_passwd_check(hash7, pw));
}

static void test_pp_passwd_file_reads_entries_in_order(void **state)
{
    struct fixture *f = *state;
    char text[1024];
    snprintf(text, sizeof text,
             "# made by mosquitto_passwd\n"
             "\n"
             "alice:%s\r\n"
             "bob:%s\n"
             "\r\n"
             "py.user-1:%s", /* no newline at the end */
             MOSQ_7, MOSQ_6, PY_6);
    write_file(f->path, text);
    struct seen s = {0};
    char err[256] = "";
    assert_int_equal(pp_passwd_file_read(f->path, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.calls, 3);
    assert_string_equal(s.users[0], "alice");
    assert_string_equal(s.hashes[0], MOSQ_7); /* "\r" stripped */
    assert_string_equal(s.users[1], "bob");
    assert_string_equal(s.hashes[1], MOSQ_6);
    assert_string_equal(s.users[2], "py.user-1");
    assert_true(pp_passwd_check(s.hashes[2], "correct horse"));
    assert_string_equal(err, "");
}

static void test_pp_passwd_file_empty(void **state)
{
    struct fixture *f = *state;
    write_file(f->path, "");
    struct seen s = {0};
    assert_int_equal(pp_passwd_file_read(f->path, collect, &s, NULL, 0), 0);
    assert_int_equal(s.calls, 0);
}

/* A bad line anywhere fails the read before fn hears of any line, and err names file and line. */
static void test_pp_passwd_file_bad_line_reports_nothing(void **state)
{
    struct fixture *f = *state;
    struct {
        const char *line3;
        const char *why;
    } cases[] = {
        {"carol", "no ':'"},
        {":$6$cGFybGV5LXNhbHQh$AAAA", "name is empty"},
        {"car ol:%s", "name may only"},
        {"c/arol:%s", "name may only"},
        {"carol:$6$nope", "hash is not"},
        {"carol:%s ", "hash is not"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:%s", "longer than 64"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line3[256], text[1024], err[256] = "", want[160];
        snprintf(line3, sizeof line3, cases[i].line3, MOSQ_6);
        snprintf(text, sizeof text, "alice:%s\n#\n%s\nbob:%s\n", MOSQ_7, line3, MOSQ_6);
        write_file(f->path, text);
        struct seen s = {0};
        assert_int_equal(pp_passwd_file_read(f->path, collect, &s, err, sizeof err), -1);
        assert_int_equal(s.calls, 0);
        snprintf(want, sizeof want, "%s:3: ", f->path);
        if (strncmp(err, want, strlen(want)) != 0 || strstr(err, cases[i].why) == NULL) {
            fail_msg("case %zu: err \"%s\", want \"%s...%s\"", i, err, want, cases[i].why);
        }
    }
}

static void test_pp_passwd_file_missing_names_path(void **state)
{
    struct fixture *f = *state;
    struct seen s = {0};
    char err[256] = "";
    assert_int_equal(pp_passwd_file_read(f->path, collect, &s, err, sizeof err), -1);
    assert_int_equal(s.calls, 0);
    assert_non_null(strstr(err, f->path));
    assert_non_null(strstr(err, "No such file"));
    /* A short err buffer is truncated, not overrun. */
    char tiny[8];
    memset(tiny, 'z', sizeof tiny);
    assert_int_equal(pp_passwd_file_read(f->path, collect, &s, tiny, 4), -1);
    assert_int_equal(tiny[3], '\0');
    assert_int_equal(tiny[4], 'z');
}

static void test_pp_passwd_file_callback_stops_read(void **state)
{
    struct fixture *f = *state;
    char text[1024];
    snprintf(text, sizeof text, "a:%s\nb:%s\nc:%s\n", MOSQ_7, MOSQ_6, PY_6);
    write_file(f->path, text);
    struct seen s = {.stop_at = 2};
    assert_int_equal(pp_passwd_file_read(f->path, collect, &s, NULL, 0), 7);
    assert_int_equal(s.calls, 2);
    assert_string_equal(s.users[1], "b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pp_passwd_pwhash_round_trip),
        cmocka_unit_test(test_pp_passwd_iterations_from_hash),
        cmocka_unit_test(test_pp_passwd_padded_salt_uses_true_length),
        cmocka_unit_test(test_pp_passwd_mosquitto_passwd_7),
        cmocka_unit_test(test_pp_passwd_mosquitto_passwd_6),
        cmocka_unit_test_setup_teardown(test_pp_passwd_mosquitto_passwd_live_file, setup, teardown),
        cmocka_unit_test(test_pp_passwd_rejects_malformed),
        cmocka_unit_test(test_pp_passwd_iteration_bounds),
        cmocka_unit_test(test_pp_passwd_longest_password),
        cmocka_unit_test_setup_teardown(test_pp_passwd_file_reads_entries_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_passwd_file_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_passwd_file_bad_line_reports_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_passwd_file_missing_names_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_passwd_file_callback_stops_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
