/* HS256 JWT minting; see pt_bench_jwt.h. */
#include "pt_bench_jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

/* base64url without padding of in[0..n) appended at out[*pos..cap). false if it does not fit. */
static int b64url(char *out, size_t cap, size_t *pos, const unsigned char *in, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t need = (n * 4 + 2) / 3;
    if (*pos + need + 1 > cap) {
        return 0;
    }
    char *p = out + *pos;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8) | in[i + 2];
        *p++ = tab[(v >> 18) & 63];
        *p++ = tab[(v >> 12) & 63];
        *p++ = tab[(v >> 6) & 63];
        *p++ = tab[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        *p++ = tab[(v >> 18) & 63];
        *p++ = tab[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8);
        *p++ = tab[(v >> 18) & 63];
        *p++ = tab[(v >> 12) & 63];
        *p++ = tab[(v >> 6) & 63];
    }
    *p = '\0';
    *pos = (size_t)(p - out);
    return 1;
}

size_t pt_jwt_mint(char *out, size_t cap, const unsigned char *secret, size_t secret_len,
                   const char *user, long now, long ttl)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char claims[256];
    int n = snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}", user, now,
                     now + ttl);
    if (n < 0 || (size_t)n >= sizeof(claims)) {
        return 0;
    }
    size_t pos = 0;
    if (!b64url(out, cap, &pos, (const unsigned char *)header, sizeof(header) - 1) ||
        pos + 1 >= cap) {
        return 0;
    }
    out[pos++] = '.';
    if (!b64url(out, cap, &pos, (const unsigned char *)claims, (size_t)n) || pos + 1 >= cap) {
        return 0;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)out, pos, mac,
             &mac_len) == NULL) {
        return 0;
    }
    out[pos++] = '.';
    if (!b64url(out, cap, &pos, mac, mac_len)) {
        return 0;
    }
    return pos;
}
