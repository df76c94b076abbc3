/* Unit tests of the settings: defaults, file, flags, errors that name the setting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pb_conf.h"
#include "pb_http.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_pb_conf_bad_values_name_the_setting(void **state)
{
    (void)state;
    struct pb_conf c;
    char err[256];
    pb_conf_defaults(&c);
    assert_int_equal(pb_conf_set(&c, "http_port", "80x", err, sizeof err), -1);
    assert_non_null(strstr(err, "http_port"));
    assert_non_null(strstr(err, "80x"));
    assert_int_equal(pb_conf_set(&c, "http_port", "70000", err, sizeof err), -1);
    assert_int_equal(pb_conf_set(&c, "no_such", "1", err, sizeof err), -1);
    assert_string_equal(err, "no_such: unknown setting");
    assert_int_equal(pb_conf_set(&c, "node_id", "a/b", err, sizeof err), -1);
    assert_non_null(strstr(err, "node_id"));
    assert_int_equal(pb_conf_set(&c, "log_level", "loud", err, sizeof err), -1);
    assert_int_equal(pb_conf_set(&c, "log_level", "debug", err, sizeof err), 0);
    assert_int_equal(c.log_level, 3);
    assert_int_equal(pb_conf_set(&c, "http_port", "8081", err, sizeof err), 0);
    assert_int_equal(c.http_port, 8081);
}

static void test_pb_conf_file_then_finish_fills_derived_defaults(void **state)
{
    (void)state;
    char dir[] = "/tmp/pbconfXXXXXX";
    assert_non_null(mkdtemp(dir));
    char conf[64], secret[64], shortsecret[64];
    snprintf(conf, sizeof conf, "%s/b.conf", dir);
    snprintf(secret, sizeof secret, "%s/s", dir);
    snprintf(shortsecret, sizeof shortsecret, "%s/short", dir);
    write_file(secret, "0123456789abcdef0123456789abcdef\n");
    write_file(shortsecret, "tooshort\n");
    char text[256];
    snprintf(text, sizeof text, "# comment\nnode_id n2\n  http_port 9090\njwt_secret_file %s\n",
             secret);
    write_file(conf, text);
    struct pb_conf c;
    char err[256];
    pb_conf_defaults(&c);
    assert_int_equal(pb_conf_load(&c, conf, err, sizeof err), 0);
    assert_int_equal(pb_conf_finish(&c, err, sizeof err), 0);
    assert_string_equal(c.mqtt_client_id, "parley-bridge-n2");
    assert_string_equal(c.origins, "http://127.0.0.1:9090,http://localhost:9090");
    assert_int_equal(c.jwt_secret_len, 32);
    assert_true(pb_conf_origin_allowed(&c, "http://localhost:9090", 21));
    assert_false(pb_conf_origin_allowed(&c, "http://evil.example", 19));
    assert_false(pb_conf_origin_allowed(&c, "http://localhost:909", 20));

    write_file(conf, "http_port\n");
    pb_conf_defaults(&c);
    assert_int_equal(pb_conf_load(&c, conf, err, sizeof err), -1);
    assert_non_null(strstr(err, ":1: http_port: missing value"));
    pb_conf_defaults(&c);
    assert_int_equal(pb_conf_finish(&c, err, sizeof err), -1); /* no secret */
    assert_non_null(strstr(err, "jwt_secret_file"));
    assert_int_equal(pb_conf_set(&c, "jwt_secret_file", shortsecret, err, sizeof err), 0);
    assert_int_equal(pb_conf_finish(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "shorter than 32"));
    unlink(conf);
    unlink(secret);
    unlink(shortsecret);
    rmdir(dir);
}

static void test_pb_form_get_decodes_and_bounds(void **state)
{
    (void)state;
    const char *body = "username=al%69ce&password=a+b%26c%3D&x=";
    char out[16];
    assert_true(pb_form_get(body, strlen(body), "username", out, sizeof out));
    assert_string_equal(out, "alice");
    assert_true(pb_form_get(body, strlen(body), "password", out, sizeof out));
    assert_string_equal(out, "a b&c=");
    assert_true(pb_form_get(body, strlen(body), "x", out, sizeof out));
    assert_string_equal(out, "");
    assert_false(pb_form_get(body, strlen(body), "user", out, sizeof out));
    char tiny[4];
    assert_false(pb_form_get(body, strlen(body), "username", tiny, sizeof tiny)); /* no cut */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_conf_bad_values_name_the_setting),
        cmocka_unit_test(test_pb_conf_file_then_finish_fills_derived_defaults),
        cmocka_unit_test(test_pb_form_get_decodes_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
