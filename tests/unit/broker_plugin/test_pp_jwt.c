/* Unit tests for broker_plugin/pp_jwt.c: tokens minted here with libjwt (and by hand, for the
 * malformed ones) against HS256, RS256 and ES256 verifiers whose keys the group setup makes with
 * the openssl CLI in a scratch directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pp_jwt.h"

#define NOW ((time_t)1700000000)
#define SECRET "0123456789abcdef0123456789abcdef" /* 32 bytes */

/* Files the group setup writes (names inside the scratch directory). */
static const char *const FILES[] = {
    "secret",    "rsa.pem",   "rsa.pub",     "ec.pem",      "ec.pub", "rsa2.pem", "rsa2.pub",
    "ec384.pem", "ec384.pub", "rsa1024.pem", "rsa1024.pub", "short",  "tmp",
};

struct keys {
    char dir[64];
    struct pp_jwt *hs, *rs, *es;
    unsigned char *rsa_priv, *ec_priv, *rsa2_priv, *rsa_pub;
    int rsa_priv_len, ec_priv_len, rsa2_priv_len, rsa_pub_len;
};

static struct keys K;

static void path_of(char *out, size_t outlen, const char *name)
{
    snprintf(out, outlen, "%s/%s", K.dir, name);
}

static unsigned char *slurp(const char *name, int *len)
{
    char p[128];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "rb");
    if (f == NULL) {
        return NULL;
    }
    unsigned char *buf = malloc(16384);
    size_t n = buf == NULL ? 0 : fread(buf, 1, 16383, f);
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = (int)n;
    }
    return buf;
}

static void spit(const char *name, const void *data, size_t len)
{
    char p[128];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int run(const char *script)
{
    char cmd[2048];
    int n = snprintf(cmd, sizeof cmd, "cd %s && (%s) >/dev/null 2>&1", K.dir, script);
    return n > 0 && (size_t)n < sizeof cmd ? system(cmd) : -1;
}

static struct pp_jwt *verifier(enum pp_jwt_kind kind, const char *name, char *err, size_t errlen)
{
    char p[128];
    path_of(p, sizeof p, name);
    return pp_jwt_new(kind, p, err, errlen);
}

static int group_setup(void **state)
{
    (void)state;
    char err[256];
    strcpy(K.dir, "/tmp/test_pp_jwt.XXXXXX");
    if (mkdtemp(K.dir) == NULL) {
        return -1;
    }
    if (run("openssl genrsa -out rsa.pem 2048 && openssl rsa -in rsa.pem -pubout -out rsa.pub && "
            "openssl genrsa -out rsa2.pem 2048 && openssl rsa -in rsa2.pem -pubout -out rsa2.pub &&"
            " openssl ecparam -name prime256v1 -genkey -noout -out ec.pem && "
            "openssl ec -in ec.pem -pubout -out ec.pub && "
            "openssl ecparam -name secp384r1 -genkey -noout -out ec384.pem && "
            "openssl ec -in ec384.pem -pubout -out ec384.pub && "
            "openssl genrsa -out rsa1024.pem 1024 && "
            "openssl rsa -in rsa1024.pem -pubout -out rsa1024.pub && "
            "printf '%s\\n' " SECRET " > secret") != 0) {
        return -1;
    }
    K.hs = verifier(PP_JWT_HS256, "secret", err, sizeof err);
    K.rs = verifier(PP_JWT_PUBKEY, "rsa.pub", err, sizeof err);
    K.es = verifier(PP_JWT_PUBKEY, "ec.pub", err, sizeof err);
    K.rsa_priv = slurp("rsa.pem", &K.rsa_priv_len);
    K.ec_priv = slurp("ec.pem", &K.ec_priv_len);
    K.rsa2_priv = slurp("rsa2.pem", &K.rsa2_priv_len);
    K.rsa_pub = slurp("rsa.pub", &K.rsa_pub_len);
    return K.hs && K.rs && K.es && K.rsa_priv && K.ec_priv && K.rsa2_priv && K.rsa_pub ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char p[128];
    pp_jwt_free(K.hs);
    pp_jwt_free(K.rs);
    pp_jwt_free(K.es);
    free(K.rsa_priv);
    free(K.ec_priv);
    free(K.rsa2_priv);
    free(K.rsa_pub);
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        path_of(p, sizeof p, FILES[i]);
        unlink(p);
    }
    return rmdir(K.dir); /* fails when a test left a file behind */
}

/* A token signed by libjwt: grants is a JSON object; the caller frees the result. */
static char *mint(jwt_alg_t alg, const void *key, int key_len, const char *grants)
{
    jwt_t *j = NULL;
    char *tok = NULL;
    if (jwt_new(&j) == 0 && jwt_add_grants_json(j, grants) == 0 &&
        jwt_set_alg(j, alg, key, key_len) == 0) {
        tok = jwt_encode_str(j);
    }
    jwt_free(j);
    assert_non_null(tok);
    return tok;
}

static char *mint_hs(const char *grants) { return mint(JWT_ALG_HS256, SECRET, 32, grants); }

static void b64url(char *out, const void *data, size_t len)
{
    unsigned char tmp[4096];
    int n = EVP_EncodeBlock(tmp, data, (int)len);
    int o = 0;
    for (int i = 0; i < n && tmp[i] != '='; i++) {
        out[o++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : (char)tmp[i];
    }
    out[o] = '\0';
}

/* A hand-made HS256-signed token, for headers and payloads libjwt would not write. */
static void raw_token(char *out, const char *header, size_t hlen, const char *payload, size_t plen)
{
    unsigned char mac[32];
    unsigned int maclen = sizeof mac;
    b64url(out, header, hlen);
    strcat(out, ".");
    b64url(out + strlen(out), payload, plen);
    HMAC(EVP_sha256(), SECRET, 32, (const unsigned char *)out, strlen(out), mac, &maclen);
    strcat(out, ".");
    b64url(out + strlen(out), mac, maclen);
}

static void raw(char *out, const char *header, const char *payload)
{
    raw_token(out, header, strlen(header), payload, strlen(payload));
}

#define GOOD "{\"sub\":\"alice\",\"exp\":1700000600}"

static void test_pp_jwt_hs256_accepts_valid_token(void **state)
{
    (void)state;
    char *t = mint_hs(GOOD);
    assert_true(pp_jwt_looks_like_token(t));
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_OK);
    free(t);
    /* Hand-made, without a "typ": also fine. */
    char r[1024];
    raw(r, "{\"alg\":\"HS256\"}", GOOD);
    assert_int_equal(pp_jwt_verify(K.hs, r, "alice", NOW), PP_JWT_OK);
}

static void test_pp_jwt_rs256_accepts_valid_token(void **state)
{
    (void)state;
    char *t = mint(JWT_ALG_RS256, K.rsa_priv, K.rsa_priv_len, GOOD);
    assert_int_equal(pp_jwt_verify(K.rs, t, "alice", NOW), PP_JWT_OK);
    free(t);
}

static void test_pp_jwt_es256_accepts_valid_token(void **state)
{
    (void)state;
    char *t = mint(JWT_ALG_ES256, K.ec_priv, K.ec_priv_len, GOOD);
    assert_int_equal(pp_jwt_verify(K.es, t, "alice", NOW), PP_JWT_OK);
    free(t);
}

/* ES256 signatures are JOSE's raw r||s: a token from another implementation (PyJWT) verifies. */
static void test_pp_jwt_es256_accepts_pyjwt_token(void **state)
{
    (void)state;
    char cmd[512], tok[1024] = "";
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import jwt,sys; sys.stdout.write(jwt.encode("
             "{\"sub\":\"alice\",\"exp\":1700000600}, open(\"%s/ec.pem\").read(), "
             "algorithm=\"ES256\"))' 2>/dev/null",
             K.dir);
    FILE *p = popen(cmd, "r");
    size_t n = p == NULL ? 0 : fread(tok, 1, sizeof tok - 1, p);
    int rc = p == NULL ? -1 : pclose(p);
    if (rc != 0 || n == 0) {
        /* python3-jwt is a test dependency (tools/deps.sh): its absence is a failure. */
        fail_msg("PyJWT could not mint an ES256 token (is python3-jwt installed? tools/deps.sh)");
    }
    tok[n] = '\0';
    assert_int_equal(pp_jwt_verify(K.es, tok, "alice", NOW), PP_JWT_OK);
    assert_int_equal(pp_jwt_verify(K.rs, tok, "alice", NOW), PP_JWT_BAD_ALG);
}

/* libjwt accepts alg "none" when given no key; we never do, whatever the verifier. */
static void test_pp_jwt_refuses_alg_none(void **state)
{
    (void)state;
    char *t = mint(JWT_ALG_NONE, NULL, 0, GOOD);
    assert_int_equal(t[strlen(t) - 1], '.'); /* "header.payload." */
    assert_true(pp_jwt_looks_like_token(t));
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_BAD_ALG);
    assert_int_equal(pp_jwt_verify(K.rs, t, "alice", NOW), PP_JWT_BAD_ALG);
    assert_int_equal(pp_jwt_verify(K.es, t, "alice", NOW), PP_JWT_BAD_ALG);
    free(t);
    /* With a signature attached, and spelled otherwise. */
    const char *headers[] = {"{\"alg\":\"none\"}", "{\"alg\":\"None\"}", "{\"alg\":\"NONE\"}",
                             "{\"alg\":\"\"}", "{\"alg\":\"hs256\"}"};
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char r[1024];
        raw(r, headers[i], GOOD);
        assert_int_equal(pp_jwt_verify(K.hs, r, "alice", NOW), PP_JWT_BAD_ALG);
        assert_int_equal(pp_jwt_verify(K.rs, r, "alice", NOW), PP_JWT_BAD_ALG);
    }
}

/* The classic confusion: an HS256 token whose HMAC key is the verifier's (public) PEM text.
 * libjwt alone would verify it; the header check refuses it first. */
static void test_pp_jwt_refuses_hs_token_against_public_key(void **state)
{
    (void)state;
    char *t = mint(JWT_ALG_HS256, K.rsa_pub, K.rsa_pub_len, GOOD);
    jwt_t *j = NULL;
    assert_int_equal(jwt_decode(&j, t, K.rsa_pub, K.rsa_pub_len), 0); /* libjwt is fooled */
    jwt_free(j);
    assert_int_equal(pp_jwt_verify(K.rs, t, "alice", NOW), PP_JWT_BAD_ALG);
    free(t);
    t = mint_hs(GOOD);
    assert_int_equal(pp_jwt_verify(K.rs, t, "alice", NOW), PP_JWT_BAD_ALG);
    assert_int_equal(pp_jwt_verify(K.es, t, "alice", NOW), PP_JWT_BAD_ALG);
    free(t);
}

static void test_pp_jwt_refuses_pubkey_token_against_secret(void **state)
{
    (void)state;
    char *rs = mint(JWT_ALG_RS256, K.rsa_priv, K.rsa_priv_len, GOOD);
    char *es = mint(JWT_ALG_ES256, K.ec_priv, K.ec_priv_len, GOOD);
    char *hs512 = mint(JWT_ALG_HS512, SECRET, 32, GOOD);
    char *rs512 = mint(JWT_ALG_RS512, K.rsa_priv, K.rsa_priv_len, GOOD);
    assert_int_equal(pp_jwt_verify(K.hs, rs, "alice", NOW), PP_JWT_BAD_ALG);
    assert_int_equal(pp_jwt_verify(K.hs, es, "alice", NOW), PP_JWT_BAD_ALG);
    assert_int_equal(pp_jwt_verify(K.hs, hs512, "alice", NOW), PP_JWT_BAD_ALG);
    /* The public-key verifier takes the one alg its key decides. */
    assert_int_equal(pp_jwt_verify(K.es, rs, "alice", NOW), PP_JWT_BAD_ALG);
    assert_int_equal(pp_jwt_verify(K.rs, es, "alice", NOW), PP_JWT_BAD_ALG);
    assert_int_equal(pp_jwt_verify(K.rs, rs512, "alice", NOW), PP_JWT_BAD_ALG);
    free(rs);
    free(es);
    free(hs512);
    free(rs512);
}

static void test_pp_jwt_refuses_bad_signature(void **state)
{
    (void)state;
    char *hs_other = mint(JWT_ALG_HS256, "another-secret-another-secret-xx!", 32, GOOD);
    char *rs_other = mint(JWT_ALG_RS256, K.rsa2_priv, K.rsa2_priv_len, GOOD);
    char *es = mint(JWT_ALG_ES256, K.ec_priv, K.ec_priv_len, GOOD);
    assert_int_equal(pp_jwt_verify(K.hs, hs_other, "alice", NOW), PP_JWT_BAD_SIG);
    assert_int_equal(pp_jwt_verify(K.rs, rs_other, "alice", NOW), PP_JWT_BAD_SIG);
    /* One signature character changed; the signature cut short; no signature. */
    char *sig = strrchr(es, '.') + 1;
    sig[3] = sig[3] == 'A' ? 'B' : 'A';
    assert_int_equal(pp_jwt_verify(K.es, es, "alice", NOW), PP_JWT_BAD_SIG);
    sig[8] = '\0';
    assert_int_equal(pp_jwt_verify(K.es, es, "alice", NOW), PP_JWT_BAD_SIG);
    sig[0] = '\0';
    assert_int_equal(pp_jwt_verify(K.es, es, "alice", NOW), PP_JWT_BAD_SIG);
    free(hs_other);
    free(rs_other);
    free(es);
}

/* A payload edited after signing (sub changed to bob) keeps alice's signature: refused. */
static void test_pp_jwt_refuses_tampered_payload(void **state)
{
    (void)state;
    char *t = mint_hs(GOOD);
    char *bob = mint_hs("{\"sub\":\"bob\",\"exp\":1700000600}");
    char forged[2048];
    const char *bob_dot2 = strrchr(bob, '.');
    const char *t_dot2 = strrchr(t, '.');
    snprintf(forged, sizeof forged, "%.*s%s", (int)(bob_dot2 - bob), bob, t_dot2);
    assert_int_equal(pp_jwt_verify(K.hs, forged, "bob", NOW), PP_JWT_BAD_SIG);
    assert_int_equal(pp_jwt_verify(K.hs, bob, "bob", NOW), PP_JWT_OK);
    free(t);
    free(bob);
}

static void test_pp_jwt_refuses_wrong_sub(void **state)
{
    (void)state;
    char *t = mint_hs(GOOD);
    assert_int_equal(pp_jwt_verify(K.hs, t, "bob", NOW), PP_JWT_WRONG_SUB);
    assert_int_equal(pp_jwt_verify(K.hs, t, "Alice", NOW), PP_JWT_WRONG_SUB);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice2", NOW), PP_JWT_WRONG_SUB);
    assert_int_equal(pp_jwt_verify(K.hs, t, "", NOW), PP_JWT_WRONG_SUB);
    assert_int_equal(pp_jwt_verify(K.hs, t, NULL, NOW), PP_JWT_WRONG_SUB);
    free(t);
    const char *payloads[] = {"{\"exp\":1700000600}", "{\"sub\":7,\"exp\":1700000600}",
                              "{\"sub\":null,\"exp\":1700000600}",
                              "{\"sub\":[\"alice\"],\"exp\":1700000600}"};
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        t = mint_hs(payloads[i]);
        assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_WRONG_SUB);
        free(t);
    }
}

static void test_pp_jwt_refuses_missing_exp(void **state)
{
    (void)state;
    char *t = mint_hs("{\"sub\":\"alice\"}");
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_NO_EXP);
    free(t);
    t = mint_hs("{\"sub\":\"alice\",\"nbf\":1600000000}");
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_NO_EXP);
    free(t);
}

/* exp has PP_JWT_LEEWAY_S of grace, and not a second more. */
static void test_pp_jwt_expiry_leeway(void **state)
{
    (void)state;
    char g[128];
    snprintf(g, sizeof g, "{\"sub\":\"alice\",\"exp\":%ld}", (long)NOW);
    char *t = mint_hs(g);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_OK);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW + PP_JWT_LEEWAY_S - 1), PP_JWT_OK);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW + PP_JWT_LEEWAY_S), PP_JWT_EXPIRED);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW + 86400), PP_JWT_EXPIRED);
    free(t);
    t = mint_hs("{\"sub\":\"alice\",\"exp\":0}");
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_EXPIRED);
    free(t);
    /* A fractional NumericDate is allowed (RFC 7519 2). */
    snprintf(g, sizeof g, "{\"sub\":\"alice\",\"exp\":%ld.5}", (long)NOW - PP_JWT_LEEWAY_S);
    t = mint_hs(g);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_OK);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW + 1), PP_JWT_EXPIRED);
    free(t);
}

static void test_pp_jwt_nbf_leeway(void **state)
{
    (void)state;
    char g[128];
    snprintf(g, sizeof g, "{\"sub\":\"alice\",\"exp\":%ld,\"nbf\":%ld}", (long)NOW + 3600,
             (long)NOW + PP_JWT_LEEWAY_S);
    char *t = mint_hs(g);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_OK);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW - 1), PP_JWT_NOT_YET);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW - 3000), PP_JWT_NOT_YET);
    free(t);
    snprintf(g, sizeof g, "{\"sub\":\"alice\",\"exp\":%ld,\"nbf\":%ld}", (long)NOW + 3600,
             (long)NOW - 100);
    t = mint_hs(g);
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_OK);
    free(t);
}

/* Well signed, but not a token we can read: every case is malformed, none a crash. */
static void test_pp_jwt_refuses_malformed(void **state)
{
    (void)state;
    struct {
        const char *header, *payload;
    } cases[] = {
        {"{\"alg\":\"HS256\"", GOOD},                                    /* header not JSON */
        {"[\"HS256\"]", GOOD},                                           /* header not an object */
        {"{\"typ\":\"JWT\"}", GOOD},                                     /* no alg */
        {"{\"alg\":256}", GOOD},                                         /* alg not a string */
        {"{\"alg\":\"HS256\",\"typ\":\"JOSE\"}", GOOD},                  /* libjwt refuses it */
        {"{\"alg\":\"HS256\",\"typ\":1}", GOOD},                         /* typ not a string */
        {"{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", GOOD},                /* crit we cannot honour */
        {"{\"alg\":\"HS256\"} x", GOOD},                                 /* trailing garbage */
        {"{\"alg\":\"HS256\"}", "[1,2]"},                                /* payload not an object */
        {"{\"alg\":\"HS256\"}", "\"alice\""},                            /* payload a string */
        {"{\"alg\":\"HS256\"}", "{\"sub\":\"alice\",\"exp\":\"soon\"}"}, /* exp a string */
        {"{\"alg\":\"HS256\"}", "{\"sub\":\"alice\",\"exp\":1e300}"},    /* exp absurd */
        {"{\"alg\":\"HS256\"}", "{\"sub\":\"alice\",\"exp\":-1}"},       /* exp negative */
        {"{\"alg\":\"HS256\"}", "{\"sub\":\"alice\",\"exp\":1700000600,\"nbf\":true}"},
    };
    char r[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        raw(r, cases[i].header, cases[i].payload);
        enum pp_jwt_result got = pp_jwt_verify(K.hs, r, "alice", NOW);
        if (got != PP_JWT_MALFORMED) {
            fail_msg("case %zu: %s", i, pp_jwt_result_str(got));
        }
    }
    /* cJSON reads 1e999 as infinity ("never expires"); jansson, inside libjwt, refuses to parse it,
     * so it comes back as a bad signature. Either way: refused. */
    raw(r, "{\"alg\":\"HS256\"}", "{\"sub\":\"alice\",\"exp\":1e999}");
    assert_int_not_equal(pp_jwt_verify(K.hs, r, "alice", NOW), PP_JWT_OK);
    /* A NUL inside the header would end cJSON's parse early. */
    raw_token(r, "{\"alg\":\"HS256\"}\0{", 17, GOOD, strlen(GOOD));
    assert_int_equal(pp_jwt_verify(K.hs, r, "alice", NOW), PP_JWT_MALFORMED);
    /* Shapes: part counts, characters, a part length no base64url encoder makes. */
    const char *shapes[] = {
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        ".eyJzdWIiOiJhbGljZSJ9.sig",
        "eyJhbGciOiJIUzI1NiJ9..sig",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.si+g",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9=.sig",
        "eyJhbGciOiJIUzI1NiJ9 .eyJzdWIiOiJhbGljZSJ9.sig",
        "eyJhbGciOiJIUzI1NiJ9x.eyJzdWIiOiJhbGljZSJ9.sig",
        "not a token at all",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        assert_int_equal(pp_jwt_verify(K.hs, shapes[i], "alice", NOW), PP_JWT_MALFORMED);
    }
    assert_int_equal(pp_jwt_verify(K.hs, NULL, "alice", NOW), PP_JWT_MALFORMED);
    assert_int_equal(pp_jwt_verify(NULL, "a.b.c", "alice", NOW), PP_JWT_MALFORMED);
}

static void test_pp_jwt_refuses_over_long_token(void **state)
{
    (void)state;
    /* A valid token padded with a long claim: at the limit it verifies, one byte over it does not
     * (and it is not even taken for a token). */
    char *t = NULL;
    char g[PP_JWT_MAX_TOKEN];
    size_t pad = 2900;
    for (;; pad++) {
        snprintf(g, sizeof g, "{\"sub\":\"alice\",\"exp\":1700000600,\"x\":\"%0*d\"}", (int)pad, 0);
        free(t);
        t = mint_hs(g);
        if (strlen(t) >= PP_JWT_MAX_TOKEN) {
            break;
        }
    }
    if (strlen(t) == PP_JWT_MAX_TOKEN) {
        assert_true(pp_jwt_looks_like_token(t));
        assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_OK);
        free(t);
        snprintf(g, sizeof g, "{\"sub\":\"alice\",\"exp\":1700000600,\"x\":\"%0*d\"}", (int)pad + 3,
                 0);
        t = mint_hs(g);
    }
    assert_true(strlen(t) > PP_JWT_MAX_TOKEN);
    assert_false(pp_jwt_looks_like_token(t));
    assert_int_equal(pp_jwt_verify(K.hs, t, "alice", NOW), PP_JWT_MALFORMED);
    free(t);
}

static void test_pp_jwt_looks_like_token_shapes(void **state)
{
    (void)state;
    assert_true(pp_jwt_looks_like_token("a.b.c"));
    assert_true(pp_jwt_looks_like_token("aZ09-_.b.")); /* empty signature: alg none, refused */
    assert_false(pp_jwt_looks_like_token(NULL));
    assert_false(pp_jwt_looks_like_token(""));
    assert_false(pp_jwt_looks_like_token("hunter2"));
    assert_false(pp_jwt_looks_like_token("a.b"));
    assert_false(pp_jwt_looks_like_token("a.b.c.d"));
    assert_false(pp_jwt_looks_like_token(".b.c"));
    assert_false(pp_jwt_looks_like_token("a..c"));
    assert_false(pp_jwt_looks_like_token("a.b.c="));
    assert_false(pp_jwt_looks_like_token("a.b.c d"));
    assert_false(pp_jwt_looks_like_token("my.pass.word!"));
}

static void test_pp_jwt_new_secret_rules(void **state)
{
    (void)state;
    char err[256] = "";
    struct pp_jwt *v;
    /* Exactly 32 bytes plus "\r\n": accepted, and the newline is not part of the secret. */
    spit("tmp", SECRET "\r\n", 34);
    v = verifier(PP_JWT_HS256, "tmp", err, sizeof err);
    assert_non_null(v);
    char *t = mint_hs(GOOD);
    assert_int_equal(pp_jwt_verify(v, t, "alice", NOW), PP_JWT_OK);
    free(t);
    pp_jwt_free(v);
    /* 31 bytes and a newline: refused, naming the file. */
    spit("short", SECRET "\n" + 1, 32);
    assert_null(verifier(PP_JWT_HS256, "short", err, sizeof err));
    assert_non_null(strstr(err, "/short: "));
    assert_non_null(strstr(err, "32 bytes"));
    spit("short", "", 0);
    assert_null(verifier(PP_JWT_HS256, "short", err, sizeof err));
    /* Only one newline is stripped: a secret may end in whitespace on purpose. */
    spit("tmp", SECRET "\n\n", 34);
    v = verifier(PP_JWT_HS256, "tmp", err, sizeof err);
    assert_non_null(v);
    t = mint_hs(GOOD);
    assert_int_equal(pp_jwt_verify(v, t, "alice", NOW), PP_JWT_BAD_SIG);
    free(t);
    pp_jwt_free(v);
    err[0] = '\0';
    assert_null(verifier(PP_JWT_HS256, "missing", err, sizeof err));
    assert_non_null(strstr(err, "/missing: No such file"));
    pp_jwt_free(NULL);
}

static void test_pp_jwt_new_pubkey_rules(void **state)
{
    (void)state;
    char err[256];
    struct {
        const char *file, *why;
    } cases[] = {
        {"rsa.pem", "not a PEM public key"}, /* a private key is not what we asked for */
        {"secret", "not a PEM public key"},  {"rsa1024.pub", "2048 bits"}, {"ec384.pub", "P-256"},
        {"missing", "No such file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        assert_null(verifier(PP_JWT_PUBKEY, cases[i].file, err, sizeof err));
        if (strstr(err, cases[i].file) == NULL || strstr(err, cases[i].why) == NULL) {
            fail_msg("%s: err \"%s\"", cases[i].file, err);
        }
    }
    /* A file larger than any key. */
    static char big[70000];
    memset(big, 'A', sizeof big);
    spit("tmp", big, sizeof big);
    assert_null(verifier(PP_JWT_PUBKEY, "tmp", err, sizeof err));
    assert_non_null(strstr(err, "64 KiB"));
    assert_null(verifier((enum pp_jwt_kind)7, "rsa.pub", err, sizeof err));
}

static void test_pp_jwt_result_str_names_every_result(void **state)
{
    (void)state;
    const char *seen[PP_JWT_NOT_YET + 1];
    for (int r = PP_JWT_OK; r <= PP_JWT_NOT_YET; r++) {
        seen[r] = pp_jwt_result_str((enum pp_jwt_result)r);
        assert_non_null(seen[r]);
        for (int q = 0; q < r; q++) {
            assert_string_not_equal(seen[q], seen[r]);
        }
    }
    assert_string_equal(pp_jwt_result_str(PP_JWT_EXPIRED), "token expired");
    assert_non_null(pp_jwt_result_str((enum pp_jwt_result)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pp_jwt_hs256_accepts_valid_token),
        cmocka_unit_test(test_pp_jwt_rs256_accepts_valid_token),
        cmocka_unit_test(test_pp_jwt_es256_accepts_valid_token),
        cmocka_unit_test(test_pp_jwt_es256_accepts_pyjwt_token),
        cmocka_unit_test(test_pp_jwt_refuses_alg_none),
        cmocka_unit_test(test_pp_jwt_refuses_hs_token_against_public_key),
        cmocka_unit_test(test_pp_jwt_refuses_pubkey_token_against_secret),
        cmocka_unit_test(test_pp_jwt_refuses_bad_signature),
        cmocka_unit_test(test_pp_jwt_refuses_tampered_payload),
        cmocka_unit_test(test_pp_jwt_refuses_wrong_sub),
        cmocka_unit_test(test_pp_jwt_refuses_missing_exp),
        cmocka_unit_test(test_pp_jwt_expiry_leeway),
        cmocka_unit_test(test_pp_jwt_nbf_leeway),
        cmocka_unit_test(test_pp_jwt_refuses_malformed),
        cmocka_unit_test(test_pp_jwt_refuses_over_long_token),
        cmocka_unit_test(test_pp_jwt_looks_like_token_shapes),
        cmocka_unit_test(test_pp_jwt_new_secret_rules),
        cmocka_unit_test(test_pp_jwt_new_pubkey_rules),
        cmocka_unit_test(test_pp_jwt_result_str_names_every_result),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
