/*
 * libFuzzer target of llmgw_jwks_parse(), llmgw_oidc_verify() and
 * llmgw_oidc_claim_values().
 *
 * The first byte (mod 3) says what the rest is:
 *
 *   0  a JWKS document, a newline, a token verified with that key set
 *      (the seeds hold keys and tokens they signed, so all of it is run);
 *   1  a token, verified with a key set made at start (RSA 2048, P-256);
 *   2  a header, a newline, claims: signed here with the P-256 key as
 *      ES256, whatever the header says, then verified, so that the header
 *      and claims checks are reached from any bytes.
 *
 * Whatever the verdict, an error message starts with a known reason and
 * is printable ASCII; accepted claims are an object with the expected
 * "iss", and every path of claim_values() hands over what it counts.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "llmgw_jwt.h"
#include "llmgw_oidc.h"


#define CHECK(c)  do { if (!(c)) { abort(); } } while (0)

#define ISS  "https://idp.example.com"


typedef struct {
    size_t  n;
    int     split;
} values_t;


static const char  *audiences[] = { "llmgw", "api://llmgw" };

static const llmgw_oidc_check_t  chk = {
    ISS, audiences, 2, 60, (time_t) 1750000000
};

static const char  *reasons[] = {
    "malformed", "alg", "kid", "signature", "issuer", "audience", "expired",
    "not yet valid", "check"
};

static const char  *paths[] = {
    "groups", "roles", "scp", "scope", "realm_access.roles",
    "resource_access.llmgw.roles", "https://example.com/roles", "a.b.c.d",
    "sub", ".", ""
};

static EVP_PKEY      *ec;
static llmgw_jwks_t  *fixed;


static char *
b64s(const void *p, size_t n)
{
    char  *s;

    s = malloc(LLMGW_B64URL_LEN(n) + 1);
    CHECK(s != NULL);
    s[llmgw_b64url_encode((unsigned char *) s, p, n)] = '\0';

    return s;
}


static char *
bn_b64(EVP_PKEY *key, const char *name)
{
    int             n;
    BIGNUM         *bn;
    unsigned char   buf[512];

    bn = NULL;
    CHECK(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
    n = BN_bn2bin(bn, buf);
    BN_free(bn);

    return b64s(buf, (size_t) n);
}


static void
init(void)
{
    int             n;
    char            doc[2048], *rn, *re, *x, *y;
    size_t          len;
    EVP_PKEY       *rsa;
    unsigned char   pt[65];

    rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(rsa != NULL && ec != NULL);

    CHECK(EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                          sizeof(pt), &len) == 1
          && len == 65);

    rn = bn_b64(rsa, OSSL_PKEY_PARAM_RSA_N);
    re = bn_b64(rsa, OSSL_PKEY_PARAM_RSA_E);
    x = b64s(pt + 1, 32);
    y = b64s(pt + 33, 32);

    n = snprintf(doc, sizeof(doc),
                 "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r1\",\"use\":\"sig\","
                 "\"n\":\"%s\",\"e\":\"%s\"},{\"kty\":\"EC\",\"kid\":\"e1\","
                 "\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}",
                 rn, re, x, y);
    CHECK(n > 0 && (size_t) n < sizeof(doc));

    fixed = llmgw_jwks_parse((unsigned char *) doc, (size_t) n, NULL, 0);
    CHECK(llmgw_jwks_count(fixed) == 2);

    free(rn);
    free(re);
    free(x);
    free(y);
    EVP_PKEY_free(rsa);
}


static int
value(const char *v, size_t len, void *data)
{
    values_t  *vs;

    vs = data;
    vs->n++;

    CHECK(v != NULL);

    if (vs->split) {
        CHECK(len > 0 && memchr(v, ' ', len) == NULL);
    }

    return 0;
}


static int
stop(const char *v, size_t len, void *data)
{
    (void) v;
    (void) len;
    (void) data;

    return -1;
}


static void
check_claims(json_t *claims)
{
    int          rc;
    size_t       i;
    values_t     vs;
    const char  *last;

    CHECK(json_is_object(claims));
    CHECK(strcmp(json_string_value(json_object_get(claims, "iss")), ISS)
          == 0);
    CHECK(json_is_number(json_object_get(claims, "exp")));

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        last = strrchr(paths[i], '.');
        last = last ? last + 1 : paths[i];

        vs.n = 0;
        vs.split = json_is_string(json_object_get(claims, paths[i]))
                   && (strcmp(last, "scp") == 0 || strcmp(last, "scope") == 0);

        rc = llmgw_oidc_claim_values(claims, paths[i], value, &vs);
        CHECK(rc >= -1);

        if (rc >= 0) {
            CHECK((size_t) rc == vs.n);
        }

        rc = llmgw_oidc_claim_values(claims, paths[i], stop, NULL);
        CHECK(rc == -1 || rc == 0);
    }
}


static void
run(const llmgw_jwks_t *keys, const char *token, size_t len)
{
    int      rc;
    char     err[128], *copy;
    size_t   i, n;
    json_t  *claims;

    /* an exact-size copy: libFuzzer's buffer may have slack after it */
    copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    memcpy(copy, token, len);

    claims = NULL;
    err[0] = '\0';

    rc = llmgw_oidc_verify(keys, copy, len, &chk, &claims, err, sizeof(err));

    free(copy);

    if (rc == 0) {
        check_claims(claims);
        json_decref(claims);
        return;
    }

    CHECK(rc == -1 && claims == NULL);

    n = strlen(err);
    CHECK(n > 0 && n < 64);

    for (i = 0; i < n; i++) {
        CHECK(err[i] >= 0x20 && err[i] < 0x7f);
    }

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        n = strlen(reasons[i]);

        if (strncmp(err, reasons[i], n) == 0
            && (err[n] == '\0' || err[n] == ':'))
        {
            break;
        }
    }

    CHECK(i < sizeof(reasons) / sizeof(reasons[0]));
}


static void
with_jwks(const uint8_t *data, size_t size)
{
    char            err[128];
    size_t          n;
    uint8_t        *doc;
    llmgw_jwks_t   *keys;
    const uint8_t  *nl;

    nl = memchr(data, '\n', size);
    n = nl ? (size_t) (nl - data) : size;

    doc = malloc(n ? n : 1);
    CHECK(doc != NULL);
    memcpy(doc, data, n);

    err[0] = '\0';
    keys = llmgw_jwks_parse(doc, n, err, sizeof(err));

    free(doc);

    if (keys == NULL) {
        CHECK(err[0] != '\0');
        return;
    }

    CHECK(llmgw_jwks_count(keys) >= 1
          && llmgw_jwks_count(keys) <= LLMGW_JWKS_KEYS_MAX);

    if (nl) {
        run(keys, (const char *) nl + 1, size - n - 1);
    }

    llmgw_jwks_free(keys);
}


/* header "\n" claims, signed ES256 */

static void
signed_here(const uint8_t *data, size_t size)
{
    size_t           n, derlen, len;
    char            *h, *c, *t, *s;
    ECDSA_SIG       *es;
    EVP_MD_CTX      *md;
    const BIGNUM    *r, *sv;
    unsigned char    der[80], raw[64];
    const uint8_t   *nl;
    const unsigned char  *p;

    nl = memchr(data, '\n', size);
    if (nl == NULL) {
        return;
    }

    n = nl - data;

    h = b64s(data, n);
    c = b64s(nl + 1, size - n - 1);

    len = strlen(h) + strlen(c) + 3 + LLMGW_B64URL_LEN(64);
    t = malloc(len);
    CHECK(t != NULL);
    snprintf(t, len, "%s.%s", h, c);

    md = EVP_MD_CTX_new();
    derlen = sizeof(der);
    CHECK(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ec) == 1
          && EVP_DigestSign(md, der, &derlen, (unsigned char *) t, strlen(t))
             == 1);
    EVP_MD_CTX_free(md);

    p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long) derlen);
    CHECK(es != NULL);
    ECDSA_SIG_get0(es, &r, &sv);
    BN_bn2binpad(r, raw, 32);
    BN_bn2binpad(sv, raw + 32, 32);
    ECDSA_SIG_free(es);

    s = b64s(raw, 64);
    strcat(t, ".");
    strcat(t, s);

    run(fixed, t, strlen(t));

    free(s);
    free(t);
    free(h);
    free(c);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fixed == NULL) {
        init();
    }

    if (size == 0) {
        return 0;
    }

    switch (data[0] % 3) {

    case 0:
        with_jwks(data + 1, size - 1);
        break;

    case 1:
        run(fixed, (const char *) data + 1, size - 1);
        break;

    default:
        signed_here(data + 1, size - 1);
        break;
    }

    CHECK(ERR_peek_error() == 0);

    return 0;
}
