/* Checking mosquitto_passwd hashes, and reading mosquitto_passwd files (see pp_passwd.h). */
#include "pp_passwd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "pc_name.h"

#define DIGEST_LEN 64 /* SHA-512 */
#define SALT_MAX 64   /* pp_pwhash accepts up to 64; mosquitto_passwd writes 12 */
#define ITER_MAX 1000000L
/* Base64 text of the largest salt and of a digest: 4 * ceil(n / 3) characters. */
#define SALT64_MAX (4 * ((SALT_MAX + 2) / 3))
#define DIGEST64_LEN (4 * ((DIGEST_LEN + 2) / 3))
/* "$7$" + 7 digits + "$" + salt + "$" + digest; a longer hash cannot be valid. */
#define HASH_MAX (3 + 7 + 1 + SALT64_MAX + 1 + DIGEST64_LEN)
#define FILE_MAX ((size_t)16 * 1024 * 1024)

enum scheme { SCHEME_PBKDF2, SCHEME_SHA512 };

/* A hash split into its decoded parts; everything lives in the struct, so checking allocates
 * nothing. */
struct parsed {
    enum scheme scheme;
    int iterations;
    unsigned char salt[SALT_MAX + 2]; /* + 2: EVP_DecodeBlock writes padding bytes too */
    size_t salt_len;
    unsigned char digest[DIGEST_LEN + 2];
    size_t digest_len;
};

static bool b64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Decodes standard, padded base64 s[0..len) into out. Returns the decoded length, or -1.
 * EVP_DecodeBlock skips surrounding whitespace and always returns 3 * len / 4, counting the
 * bytes that '=' padding stands for; so we check the alphabet ourselves and subtract the padding
 * to get the true length. */
static long b64_decode(const char *s, size_t len, unsigned char *out, size_t outcap)
{
    size_t pad = 0;
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > outcap) {
        return -1;
    }
    while (pad < 2 && s[len - 1 - pad] == '=') {
        pad++;
    }
    for (size_t i = 0; i < len - pad; i++) {
        if (!b64_char((unsigned char)s[i])) {
            return -1;
        }
    }
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (n < 0 || (size_t)n != len / 4 * 3) {
        return -1;
    }
    return (long)((size_t)n - pad);
}

/* Parses the decimal iteration count at s, up to the next '$'. Returns the count or -1. */
static long parse_iterations(const char *s, size_t len)
{
    long v = 0;
    if (len == 0 || len > 7 || s[0] == '0') {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= ITER_MAX ? v : -1;
}

/* Splits hash[0..len) ("$7$iter$salt$digest" or "$6$salt$digest") into p. Does not need a
 * terminating NUL, so the file reader can check slices of its buffer. */
static bool parse_hash(const char *hash, size_t len, struct parsed *p)
{
    const char *end = hash + len, *s;
    if (len < 3 || len > HASH_MAX || hash[0] != '$' || hash[2] != '$') {
        return false;
    }
    s = hash + 3;
    if (hash[1] == '7') {
        const char *d = memchr(s, '$', (size_t)(end - s));
        long it = d == NULL ? -1 : parse_iterations(s, (size_t)(d - s));
        if (it < 0) {
            return false;
        }
        p->scheme = SCHEME_PBKDF2;
        p->iterations = (int)it;
        s = d + 1;
    } else if (hash[1] == '6') {
        p->scheme = SCHEME_SHA512;
        p->iterations = 0;
    } else {
        return false;
    }
    const char *d = memchr(s, '$', (size_t)(end - s));
    if (d == NULL) {
        return false;
    }
    long salt_len = b64_decode(s, (size_t)(d - s), p->salt, sizeof p->salt);
    long digest_len = b64_decode(d + 1, (size_t)(end - d - 1), p->digest, sizeof p->digest);
    if (salt_len < 1 || salt_len > SALT_MAX || digest_len != DIGEST_LEN) {
        return false;
    }
    p->salt_len = (size_t)salt_len;
    p->digest_len = (size_t)digest_len;
    return true;
}

/* SHA512(password || salt), through a stack buffer so that the check allocates nothing. */
static bool digest_sha512(const char *password, size_t pwlen, const struct parsed *p,
                          unsigned char *out)
{
    unsigned char buf[PP_PASSWD_MAX_LEN + SALT_MAX];
    memcpy(buf, password, pwlen);
    memcpy(buf + pwlen, p->salt, p->salt_len);
    bool ok = SHA512(buf, pwlen + p->salt_len, out) != NULL;
    OPENSSL_cleanse(buf, sizeof buf);
    return ok;
}

bool pp_passwd_check(const char *hash, const char *password)
{
    struct parsed p;
    unsigned char digest[DIGEST_LEN];
    if (hash == NULL || password == NULL) {
        return false;
    }
    size_t pwlen = strnlen(password, PP_PASSWD_MAX_LEN + 1);
    if (pwlen > PP_PASSWD_MAX_LEN || !parse_hash(hash, strnlen(hash, HASH_MAX + 1), &p)) {
        return false;
    }
    bool ok;
    if (p.scheme == SCHEME_PBKDF2) {
        ok = PKCS5_PBKDF2_HMAC(password, (int)pwlen, p.salt, (int)p.salt_len, p.iterations,
                               EVP_sha512(), DIGEST_LEN, digest) == 1;
    } else {
        ok = digest_sha512(password, pwlen, &p, digest);
    }
    /* CRYPTO_memcmp: the time taken must not tell a guesser how many bytes matched. */
    ok = ok && CRYPTO_memcmp(digest, p.digest, DIGEST_LEN) == 0;
    OPENSSL_cleanse(digest, sizeof digest);
    return ok;
}

bool pp_passwd_hash_valid(const char *hash)
{
    struct parsed p;
    return hash != NULL && parse_hash(hash, strnlen(hash, HASH_MAX + 1), &p);
}

/* --- password files --- */

/* Writes "path: why" (line 0) or "path:line: why" into err. */
static void set_err(char *err, size_t errlen, const char *path, size_t line, const char *why)
{
    if (err == NULL || errlen == 0) {
        return;
    }
    if (line == 0) {
        snprintf(err, errlen, "%s: %s", path, why);
    } else {
        snprintf(err, errlen, "%s:%zu: %s", path, line, why);
    }
}

/* Reads the whole file into a NUL-terminated buffer the caller frees. Returns NULL with a reason
 * in err. The file is read once and both passes work on this copy, so a file being rewritten
 * cannot pass the check and then deliver different lines. */
static char *slurp(const char *path, size_t *lenp, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (f == NULL) {
        set_err(err, errlen, path, 0, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *n = cap > FILE_MAX ? NULL : realloc(buf, cap == 0 ? 8192 : cap * 2);
            if (n == NULL) {
                set_err(err, errlen, path, 0,
                        cap > FILE_MAX ? "file is larger than 16 MiB" : "out of memory");
                goto fail;
            }
            buf = n;
            cap = cap == 0 ? 8192 : cap * 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        if (got == 0) {
            break;
        }
        len += got;
    }
    if (ferror(f) || len > FILE_MAX) {
        set_err(err, errlen, path, 0, ferror(f) ? "read error" : "file is larger than 16 MiB");
        goto fail;
    }
    fclose(f);
    buf[len] = '\0';
    *lenp = len;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

/* One line of the file: [start, start + len), without its "\n" or "\r\n". */
struct line {
    const char *start;
    size_t len;
    size_t number; /* 1-based */
};

/* Advances *pos over the next line of buf[0..len). Returns false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, struct line *l)
{
    if (*pos >= len) {
        return false;
    }
    const char *s = buf + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t n = nl == NULL ? len - *pos : (size_t)(nl - s);
    *pos += n + (nl != NULL);
    if (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    l->start = s;
    l->len = n;
    l->number++;
    return true;
}

/* Checks one user line; returns NULL or a reason. On success user and hash are NUL-terminated
 * copies (user holds PC_NAME_MAX + 1 bytes, hash HASH_MAX + 1). */
static const char *parse_line(const struct line *l, char *user, char *hash)
{
    struct parsed p;
    const char *colon = memchr(l->start, ':', l->len);
    if (colon == NULL) {
        return "no ':' between user name and hash";
    }
    size_t ulen = (size_t)(colon - l->start), hlen = l->len - ulen - 1;
    if (!pc_name_valid(l->start, ulen)) {
        if (ulen == 0 || ulen > PC_NAME_MAX) {
            return ulen == 0 ? "name is empty" : "name is longer than 64 characters";
        }
        return "name may only contain A-Z a-z 0-9 _ . -";
    }
    if (!parse_hash(colon + 1, hlen, &p)) {
        return "hash is not a valid $7$ or $6$ hash";
    }
    memcpy(user, l->start, ulen);
    user[ulen] = '\0';
    memcpy(hash, colon + 1, hlen);
    hash[hlen] = '\0';
    return NULL;
}

static bool skipped(const struct line *l) { return l->len == 0 || l->start[0] == '#'; }

/* Pass 1 (fn == NULL) checks every line; pass 2 reports each entry to fn. */
static int walk(const char *path, const char *buf, size_t len, pp_passwd_entry_fn fn, void *ctx,
                char *err, size_t errlen)
{
    struct line l = {NULL, 0, 0};
    size_t pos = 0;
    char user[PC_NAME_MAX + 1], hash[HASH_MAX + 1];
    while (next_line(buf, len, &pos, &l)) {
        if (skipped(&l)) {
            continue;
        }
        const char *why = parse_line(&l, user, hash);
        if (why != NULL) {
            set_err(err, errlen, path, l.number, why);
            return -1;
        }
        int rc = fn == NULL ? 0 : fn(ctx, user, hash);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int pp_passwd_file_read(const char *path, pp_passwd_entry_fn fn, void *ctx, char *err,
                        size_t errlen)
{
    size_t len = 0;
    if (path == NULL || fn == NULL) {
        set_err(err, errlen, path == NULL ? "(null)" : path, 0, "no path or callback");
        return -1;
    }
    char *buf = slurp(path, &len, err, errlen);
    if (buf == NULL) {
        return -1;
    }
    int rc = walk(path, buf, len, NULL, NULL, err, errlen);
    if (rc == 0) {
        rc = walk(path, buf, len, fn, ctx, err, errlen);
    }
    free(buf);
    return rc;
}
