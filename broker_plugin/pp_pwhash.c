/* "$7$" password hashes as mosquitto_passwd writes them (see pp_pwhash.h). */
#include "pp_pwhash.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#define HASH_LEN 64 /* SHA-512 */

int pp_pwhash_make_salted(const char *password, const unsigned char *salt, size_t salt_len,
                          int iterations, char *out, size_t outlen)
{
    unsigned char hash[HASH_LEN];
    /* Base64 of n bytes is 4 * ceil(n / 3) characters, plus EVP_EncodeBlock's NUL. */
    unsigned char salt64[4 * ((64 + 2) / 3) + 1], hash64[4 * ((HASH_LEN + 2) / 3) + 1];
    if (password == NULL || salt_len == 0 || salt_len > 64 || iterations < 1) {
        return -1;
    }
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations,
                          EVP_sha512(), HASH_LEN, hash) != 1) {
        return -1;
    }
    EVP_EncodeBlock(salt64, salt, (int)salt_len);
    EVP_EncodeBlock(hash64, hash, HASH_LEN);
    int n = snprintf(out, outlen, "$7$%d$%s$%s", iterations, (const char *)salt64,
                     (const char *)hash64);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int pp_pwhash_make(const char *password, char *out, size_t outlen)
{
    unsigned char salt[PP_PWHASH_SALT_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        return -1;
    }
    return pp_pwhash_make_salted(password, salt, sizeof salt, PP_PWHASH_ITERATIONS, out, outlen);
}
