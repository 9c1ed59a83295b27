/*
 * llmgw: RS256 JSON Web Tokens and base64url, with libcrypto alone.
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "llmgw_jwt.h"


#define LLMGW_JWT_SIG_MAX  1024          /* RSA-8192 */


static const unsigned char  llmgw_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


size_t
llmgw_b64url_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    unsigned char  *d;

    d = dst;

    while (len > 2) {
        *d++ = llmgw_b64url[src[0] >> 2];
        *d++ = llmgw_b64url[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = llmgw_b64url[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = llmgw_b64url[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len) {
        *d++ = llmgw_b64url[src[0] >> 2];

        if (len == 1) {
            *d++ = llmgw_b64url[(src[0] & 0x03) << 4];

        } else {
            *d++ = llmgw_b64url[((src[0] & 0x03) << 4) | (src[1] >> 4)];
            *d++ = llmgw_b64url[(src[1] & 0x0f) << 2];
        }
    }

    return d - dst;
}


static int
llmgw_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return -1;
}


size_t
llmgw_b64url_decode(unsigned char *dst, const unsigned char *src, size_t len)
{
    int             v;
    size_t          i, n;
    unsigned int    acc;
    unsigned char  *d;

    if (len % 4 == 1) {
        return (size_t) -1;
    }

    d = dst;
    acc = 0;
    n = 0;

    for (i = 0; i < len; i++) {
        v = llmgw_b64url_value(src[i]);
        if (v < 0) {
            return (size_t) -1;
        }

        acc = (acc << 6) | (unsigned int) v;

        if (++n == 4) {
            *d++ = (unsigned char) (acc >> 16);
            *d++ = (unsigned char) (acc >> 8);
            *d++ = (unsigned char) acc;
            acc = 0;
            n = 0;
        }
    }

    /* the bits past the last whole byte must be zero */

    if (n == 2) {
        if (acc & 0x0f) {
            return (size_t) -1;
        }

        *d++ = (unsigned char) (acc >> 4);

    } else if (n == 3) {
        if (acc & 0x03) {
            return (size_t) -1;
        }

        *d++ = (unsigned char) (acc >> 10);
        *d++ = (unsigned char) (acc >> 2);
    }

    return d - dst;
}


unsigned char *
llmgw_jwt_json_quote(unsigned char *dst, unsigned char *end,
    const unsigned char *s, size_t len)
{
    size_t  i;

    static const unsigned char  hex[] = "0123456789abcdef";

    if (dst >= end) {
        return NULL;
    }

    *dst++ = '"';

    for (i = 0; i < len; i++) {

        if (s[i] == '"' || s[i] == '\\') {
            if (end - dst < 2) {
                return NULL;
            }

            *dst++ = '\\';
            *dst++ = s[i];

        } else if (s[i] < 0x20) {
            if (end - dst < 6) {
                return NULL;
            }

            *dst++ = '\\';
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = hex[s[i] >> 4];
            *dst++ = hex[s[i] & 0x0f];

        } else {
            if (dst == end) {
                return NULL;
            }

            *dst++ = s[i];
        }
    }

    if (dst == end) {
        return NULL;
    }

    *dst++ = '"';

    return dst;
}


size_t
llmgw_jwt_rs256_size(EVP_PKEY *key, size_t hlen, size_t clen)
{
    int  n;

    n = EVP_PKEY_size(key);
    if (n <= 0 || n > LLMGW_JWT_SIG_MAX) {
        return 0;
    }

    return LLMGW_B64URL_LEN(hlen) + 1 + LLMGW_B64URL_LEN(clen) + 1
           + LLMGW_B64URL_LEN((size_t) n);
}


size_t
llmgw_jwt_rs256(EVP_PKEY *key, const unsigned char *header, size_t hlen,
    const unsigned char *claims, size_t clen, unsigned char *dst, size_t size)
{
    int             ok;
    size_t          need, siglen;
    EVP_MD_CTX     *md;
    EVP_PKEY_CTX   *pctx;
    unsigned char  *p, sig[LLMGW_JWT_SIG_MAX];

    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        return 0;
    }

    need = llmgw_jwt_rs256_size(key, hlen, clen);
    if (need == 0 || need > size) {
        return 0;
    }

    p = dst;
    p += llmgw_b64url_encode(p, header, hlen);
    *p++ = '.';
    p += llmgw_b64url_encode(p, claims, clen);

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return 0;
    }

    siglen = sizeof(sig);

    ok = EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) == 1
         && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0
         && EVP_DigestSign(md, sig, &siglen, dst, p - dst) == 1;

    EVP_MD_CTX_free(md);

    if (!ok) {
        return 0;
    }

    *p++ = '.';
    p += llmgw_b64url_encode(p, sig, siglen);

    return p - dst;
}


static const unsigned char  llmgw_jwt_header_start[] =
    "{\"alg\":\"RS256\",\"typ\":\"JWT\"";


/* the longest a quoted string of len bytes can be */
#define LLMGW_JWT_QUOTED_MAX(len)  ((len) * 6 + 2)

#define LLMGW_JWT_HEADER_MAX(g)                                             \
    (sizeof(llmgw_jwt_header_start) + sizeof(",\"kid\":}")                \
     + LLMGW_JWT_QUOTED_MAX((g)->kid.len))

#define LLMGW_JWT_CLAIMS_MAX(g)                                             \
    (sizeof("{\"iss\":,\"scope\":,\"aud\":,\"iat\":,\"exp\":}")             \
     + LLMGW_JWT_QUOTED_MAX((g)->iss.len)                                   \
     + LLMGW_JWT_QUOTED_MAX((g)->scope.len)                                 \
     + LLMGW_JWT_QUOTED_MAX((g)->aud.len) + 2 * 21)


size_t
llmgw_jwt_google_size(EVP_PKEY *key, const llmgw_jwt_google_t *g)
{
    return llmgw_jwt_rs256_size(key, LLMGW_JWT_HEADER_MAX(g),
                                LLMGW_JWT_CLAIMS_MAX(g));
}


static unsigned char *
llmgw_jwt_member(unsigned char *p, unsigned char *end, const char *name,
    const llmgw_jwt_str_t *value)
{
    size_t  n;

    n = strlen(name);

    if (p == NULL || (size_t) (end - p) < n) {
        return NULL;
    }

    memcpy(p, name, n);

    return llmgw_jwt_json_quote(p + n, end, value->data, value->len);
}


size_t
llmgw_jwt_google(EVP_PKEY *key, const llmgw_jwt_google_t *g, time_t iat,
    unsigned char *dst, size_t size)
{
    int             n;
    size_t          hmax, cmax, len;
    unsigned char  *buf, *h, *hend, *c, *cend;

    hmax = LLMGW_JWT_HEADER_MAX(g);
    cmax = LLMGW_JWT_CLAIMS_MAX(g);

    buf = malloc(hmax + cmax);
    if (buf == NULL) {
        return 0;
    }

    hend = buf + hmax;
    cend = hend + cmax;

    h = buf;
    memcpy(h, llmgw_jwt_header_start, sizeof(llmgw_jwt_header_start) - 1);
    h += sizeof(llmgw_jwt_header_start) - 1;

    if (g->kid.len) {
        h = llmgw_jwt_member(h, hend, ",\"kid\":", &g->kid);
    }

    if (h == NULL || h == hend) {
        free(buf);
        return 0;
    }

    *h++ = '}';

    c = llmgw_jwt_member(hend, cend, "{\"iss\":", &g->iss);
    c = llmgw_jwt_member(c, cend, ",\"scope\":", &g->scope);
    c = llmgw_jwt_member(c, cend, ",\"aud\":", &g->aud);

    if (c == NULL) {
        free(buf);
        return 0;
    }

    n = snprintf((char *) c, cend - c, ",\"iat\":%lld,\"exp\":%lld}",
                 (long long) iat, (long long) iat + LLMGW_JWT_LIFETIME);

    if (n < 0 || n >= cend - c) {
        free(buf);
        return 0;
    }

    len = llmgw_jwt_rs256(key, buf, h - buf, hend, c + n - hend, dst, size);

    free(buf);

    return len;
}


static int
llmgw_jwt_no_passphrase(char *buf, int size, int rwflag, void *data)
{
    (void) buf;
    (void) size;
    (void) rwflag;
    (void) data;

    return -1;
}


EVP_PKEY *
llmgw_jwt_load_key(const unsigned char *pem, size_t len, char *err,
    size_t errlen)
{
    BIO            *bio;
    EVP_PKEY       *key;
    const char     *reason;
    unsigned long   e;

    if (len == 0 || len > INT_MAX) {
        snprintf(err, errlen, "is empty or too long");
        return NULL;
    }

    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        snprintf(err, errlen, "could not be read (out of memory)");
        return NULL;
    }

    key = PEM_read_bio_PrivateKey(bio, NULL, llmgw_jwt_no_passphrase, NULL);

    BIO_free(bio);

    if (key == NULL) {
        e = ERR_peek_last_error();
        reason = e ? ERR_reason_error_string(e) : NULL;

        snprintf(err, errlen, "is not an unencrypted PEM private key (%s)",
                 reason ? reason : "no PEM data");

        ERR_clear_error();
        return NULL;
    }

    ERR_clear_error();

    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "is not an RSA key");
        EVP_PKEY_free(key);
        return NULL;
    }

    if (EVP_PKEY_size(key) > LLMGW_JWT_SIG_MAX) {
        snprintf(err, errlen, "is an RSA key longer than %d bits",
                 LLMGW_JWT_SIG_MAX * 8);
        EVP_PKEY_free(key);
        return NULL;
    }

    return key;
}
