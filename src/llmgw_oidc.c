/*
 * llmgw: OpenID Connect bearer tokens, with libcrypto and jansson alone.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "llmgw_jwt.h"
#include "llmgw_oidc.h"


#define LLMGW_OIDC_RSA_MIN_BITS  2048
#define LLMGW_OIDC_RSA_MAX_BITS  8192
#define LLMGW_OIDC_E_MAX_BITS    32
#define LLMGW_OIDC_SIG_MAX       (LLMGW_OIDC_RSA_MAX_BITS / 8)
#define LLMGW_OIDC_P256_LEN      32
#define LLMGW_OIDC_PATH_MAX      255
#define LLMGW_OIDC_PARAM_MAX     4096    /* base64url letters */

/* NumericDates beyond are taken as this, in whole seconds */
#define LLMGW_OIDC_TIME_MAX      4611686018427387904.0      /* 2^62 */


typedef enum {
    LLMGW_OIDC_NONE = 0,
    LLMGW_OIDC_RS256,
    LLMGW_OIDC_ES256
} llmgw_oidc_alg_e;


typedef struct {
    EVP_PKEY              *pkey;
    llmgw_oidc_alg_e       alg;
    unsigned               has_kid:1;
    size_t                 kid_len;
    char                   kid[LLMGW_OIDC_KID_MAX];
} llmgw_oidc_key_t;


struct llmgw_jwks_s {
    size_t                 nkeys;
    llmgw_oidc_key_t       keys[LLMGW_JWKS_KEYS_MAX];
};


typedef struct {
    const unsigned char   *input;       /* "header.payload", as signed */
    size_t                 input_len;
    unsigned char         *buf;
    unsigned char         *header;
    size_t                 header_len;
    unsigned char         *payload;
    size_t                 payload_len;
    unsigned char          sig[LLMGW_OIDC_SIG_MAX];
    size_t                 sig_len;
    llmgw_oidc_alg_e       alg;
    unsigned               has_kid:1;
    size_t                 kid_len;
    char                   kid[LLMGW_OIDC_KID_MAX];
} llmgw_oidc_jws_t;


static const char *llmgw_jwks_key(const json_t *jwk, llmgw_oidc_key_t *key);
static const char *llmgw_jwks_member(const json_t *jwk, const char *name,
    const json_t **v);
static const char *llmgw_jwks_rsa(const json_t *jwk, llmgw_oidc_key_t *key);
static int llmgw_jwks_rsa_weak(const BIGNUM *n, const BIGNUM *e);
static const char *llmgw_jwks_ec(const json_t *jwk, llmgw_oidc_key_t *key);
static const char *llmgw_jwks_bytes(const json_t *jwk, const char *name,
    unsigned char **out, size_t *len);
static EVP_PKEY *llmgw_jwks_fromdata(const char *type, OSSL_PARAM *params);
static int llmgw_oidc_streq(const json_t *v, const char *s);

static int llmgw_oidc_check(const llmgw_oidc_check_t *chk, char *err,
    size_t errlen);
static int llmgw_oidc_split(llmgw_oidc_jws_t *jws, const unsigned char *tok,
    size_t len, char *err, size_t errlen);
static int llmgw_oidc_header(llmgw_oidc_jws_t *jws, char *err,
    size_t errlen);
static int llmgw_oidc_signature(const llmgw_jwks_t *keys,
    llmgw_oidc_jws_t *jws, char *err, size_t errlen);
static int llmgw_oidc_key_fits(const llmgw_oidc_key_t *key,
    const llmgw_oidc_jws_t *jws);
static int llmgw_oidc_ecdsa_der(const unsigned char *raw, unsigned char *der,
    size_t *len);
static int llmgw_oidc_digest_verify(EVP_PKEY *pkey,
    const unsigned char *input, size_t len, const unsigned char *sig,
    size_t siglen);
static json_t *llmgw_oidc_claims(const llmgw_oidc_jws_t *jws,
    const llmgw_oidc_check_t *chk, char *err, size_t errlen);
static int llmgw_oidc_audience(const json_t *aud,
    const llmgw_oidc_check_t *chk);
static const char *llmgw_oidc_times(const json_t *claims,
    const llmgw_oidc_check_t *chk);
static int llmgw_oidc_time(const json_t *claims, const char *name,
    long long *t);

static const json_t *llmgw_oidc_claim(const json_t *claims,
    const char *path, const char **name);
static int llmgw_oidc_split_spaces(const char *s, size_t len,
    llmgw_oidc_value_pt handler, void *data);


/* a JSON Web Key Set */

llmgw_jwks_t *
llmgw_jwks_parse(const unsigned char *json, size_t len, char *err,
    size_t errlen)
{
    size_t             i, n;
    json_t            *root, *keys;
    const char        *e;
    llmgw_jwks_t      *set;
    llmgw_oidc_key_t  *key;

    root = json ? json_loadb((const char *) json, len, JSON_REJECT_DUPLICATES,
                             NULL)
                : NULL;

    keys = json_object_get(root, "keys");

    if (!json_is_array(keys)) {
        snprintf(err, errlen, "malformed: not a JSON object with \"keys\"");
        json_decref(root);
        return NULL;
    }

    n = json_array_size(keys);

    if (n > LLMGW_JWKS_KEYS_MAX) {
        snprintf(err, errlen, "malformed: more than %d keys",
                 LLMGW_JWKS_KEYS_MAX);
        json_decref(root);
        return NULL;
    }

    set = calloc(1, sizeof(llmgw_jwks_t));
    if (set == NULL) {
        snprintf(err, errlen, "out of memory");
        json_decref(root);
        return NULL;
    }

    for (i = 0; i < n; i++) {
        key = &set->keys[set->nkeys];

        e = llmgw_jwks_key(json_array_get(keys, i), key);

        if (e != NULL) {
            snprintf(err, errlen, "malformed: keys[%zu]: %s", i, e);
            goto failed;
        }

        if (key->pkey != NULL) {
            set->nkeys++;
        }
    }

    if (set->nkeys == 0) {
        snprintf(err, errlen, "no usable RS256 or ES256 key");
        goto failed;
    }

    json_decref(root);
    ERR_clear_error();

    return set;

failed:

    json_decref(root);
    ERR_clear_error();
    llmgw_jwks_free(set);

    return NULL;
}


void
llmgw_jwks_free(llmgw_jwks_t *keys)
{
    size_t  i;

    if (keys == NULL) {
        return;
    }

    for (i = 0; i < keys->nkeys; i++) {
        EVP_PKEY_free(keys->keys[i].pkey);
    }

    free(keys);
}


size_t
llmgw_jwks_count(const llmgw_jwks_t *keys)
{
    return keys ? keys->nkeys : 0;
}


/* NULL with key->pkey set (kept) or NULL (skipped), or what is wrong */

static const char *
llmgw_jwks_key(const json_t *jwk, llmgw_oidc_key_t *key)
{
    const char    *e;
    const json_t  *kty, *use, *alg, *kid;

    memset(key, 0, sizeof(llmgw_oidc_key_t));

    if (!json_is_object(jwk)) {
        return "not an object";
    }

    if ((e = llmgw_jwks_member(jwk, "kty", &kty)) != NULL
        || (e = llmgw_jwks_member(jwk, "use", &use)) != NULL
        || (e = llmgw_jwks_member(jwk, "alg", &alg)) != NULL
        || (e = llmgw_jwks_member(jwk, "kid", &kid)) != NULL)
    {
        return e;
    }

    if (kty == NULL) {
        return "no \"kty\"";
    }

    if ((use && !llmgw_oidc_streq(use, "sig"))
        || (kid && json_string_length(kid) > LLMGW_OIDC_KID_MAX))
    {
        return NULL;
    }

    if (kid) {
        key->has_kid = 1;
        key->kid_len = json_string_length(kid);
        memcpy(key->kid, json_string_value(kid), key->kid_len);
    }

    if (llmgw_oidc_streq(kty, "RSA")) {
        if (alg && !llmgw_oidc_streq(alg, "RS256")) {
            return NULL;
        }

        return llmgw_jwks_rsa(jwk, key);
    }

    if (llmgw_oidc_streq(kty, "EC")) {
        if (alg && !llmgw_oidc_streq(alg, "ES256")) {
            return NULL;
        }

        return llmgw_jwks_ec(jwk, key);
    }

    return NULL;
}


/* a string member, or absent (*v = NULL) */

static const char *
llmgw_jwks_member(const json_t *jwk, const char *name, const json_t **v)
{
    *v = json_object_get(jwk, name);

    if (*v != NULL && !json_is_string(*v)) {
        return "a member is not a string";
    }

    return NULL;
}


static const char *
llmgw_jwks_rsa(const json_t *jwk, llmgw_oidc_key_t *key)
{
    size_t           nlen, elen;
    BIGNUM          *n, *e;
    OSSL_PARAM      *params;
    const char      *err;
    unsigned char   *nbuf, *ebuf;
    OSSL_PARAM_BLD  *bld;

    nbuf = NULL;
    ebuf = NULL;
    nlen = 0;
    elen = 0;

    err = llmgw_jwks_bytes(jwk, "n", &nbuf, &nlen);

    if (err == NULL) {
        err = llmgw_jwks_bytes(jwk, "e", &ebuf, &elen);
    }

    if (err != NULL) {
        free(nbuf);
        return err;
    }

    n = BN_bin2bn(nbuf, (int) nlen, NULL);
    e = BN_bin2bn(ebuf, (int) elen, NULL);

    free(nbuf);
    free(ebuf);

    params = NULL;
    bld = NULL;

    if (n && e && !llmgw_jwks_rsa_weak(n, e)
        && (bld = OSSL_PARAM_BLD_new()) != NULL
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)
        && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
    {
        key->pkey = llmgw_jwks_fromdata("RSA", params);
        key->alg = LLMGW_OIDC_RS256;
    }

    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);

    return NULL;
}


static int
llmgw_jwks_rsa_weak(const BIGNUM *n, const BIGNUM *e)
{
    int  bits;

    bits = BN_num_bits(n);

    return bits < LLMGW_OIDC_RSA_MIN_BITS || bits > LLMGW_OIDC_RSA_MAX_BITS
           || !BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e)
           || BN_num_bits(e) > LLMGW_OIDC_E_MAX_BITS;
}


static const char *
llmgw_jwks_ec(const json_t *jwk, llmgw_oidc_key_t *key)
{
    size_t          xlen, ylen;
    EVP_PKEY       *pkey;
    OSSL_PARAM      params[3];
    const char     *err;
    const json_t   *crv;
    EVP_PKEY_CTX   *ctx;
    unsigned char  *x, *y, point[1 + 2 * LLMGW_OIDC_P256_LEN];

    static char  group[] = "P-256";

    if ((err = llmgw_jwks_member(jwk, "crv", &crv)) != NULL) {
        return err;
    }

    if (!llmgw_oidc_streq(crv, "P-256")) {
        return NULL;
    }

    x = NULL;
    y = NULL;
    xlen = 0;
    ylen = 0;

    err = llmgw_jwks_bytes(jwk, "x", &x, &xlen);

    if (err == NULL) {
        err = llmgw_jwks_bytes(jwk, "y", &y, &ylen);
    }

    if (err != NULL || xlen != LLMGW_OIDC_P256_LEN
        || ylen != LLMGW_OIDC_P256_LEN)
    {
        free(x);
        free(y);
        return err;
    }

    point[0] = POINT_CONVERSION_UNCOMPRESSED;
    memcpy(point + 1, x, LLMGW_OIDC_P256_LEN);
    memcpy(point + 1 + LLMGW_OIDC_P256_LEN, y, LLMGW_OIDC_P256_LEN);

    free(x);
    free(y);

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();

    pkey = llmgw_jwks_fromdata("EC", params);
    if (pkey == NULL) {
        return NULL;
    }

    /* on the curve, and not the point at infinity */

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

    if (ctx == NULL || EVP_PKEY_public_check(ctx) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(ctx);

    key->pkey = pkey;
    key->alg = LLMGW_OIDC_ES256;

    return NULL;
}


/* a base64url member decoded into a malloc()ed *out */

static const char *
llmgw_jwks_bytes(const json_t *jwk, const char *name, unsigned char **out,
    size_t *len)
{
    size_t          slen;
    const json_t   *v;
    unsigned char  *buf;

    v = json_object_get(jwk, name);

    if (!json_is_string(v) || json_string_length(v) == 0) {
        return "a key parameter is missing or not a string";
    }

    slen = json_string_length(v);

    if (slen > LLMGW_OIDC_PARAM_MAX) {
        return "a key parameter is too long";
    }

    buf = malloc(slen / 4 * 3 + 3);
    if (buf == NULL) {
        return "out of memory";
    }

    *len = llmgw_b64url_decode(buf, (const unsigned char *) json_string_value(v),
                               slen);

    if (*len == (size_t) -1) {
        free(buf);
        return "a key parameter is not base64url";
    }

    *out = buf;

    return NULL;
}


static EVP_PKEY *
llmgw_jwks_fromdata(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY      *pkey;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL) {
        return NULL;
    }

    if (EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(ctx);

    return pkey;
}


/* a JSON string equal to s, byte for byte */

static int
llmgw_oidc_streq(const json_t *v, const char *s)
{
    size_t  n;

    n = strlen(s);

    return json_is_string(v) && json_string_length(v) == n
           && memcmp(json_string_value(v), s, n) == 0;
}


/* a token */

int
llmgw_oidc_verify(const llmgw_jwks_t *keys, const char *token, size_t len,
    const llmgw_oidc_check_t *chk, json_t **claims, char *err, size_t errlen)
{
    json_t            *c;
    llmgw_oidc_jws_t   jws;

    if (claims) {
        *claims = NULL;
    }

    if (llmgw_oidc_check(chk, err, errlen) != 0) {
        return -1;
    }

    if (llmgw_oidc_split(&jws, (const unsigned char *) token, len, err,
                         errlen)
        != 0)
    {
        return -1;
    }

    c = NULL;

    if (llmgw_oidc_header(&jws, err, errlen) == 0
        && llmgw_oidc_signature(keys, &jws, err, errlen) == 0)
    {
        c = llmgw_oidc_claims(&jws, chk, err, errlen);
    }

    free(jws.buf);

    if (c == NULL) {
        return -1;
    }

    if (claims) {
        *claims = c;

    } else {
        json_decref(c);
    }

    return 0;
}


static int
llmgw_oidc_check(const llmgw_oidc_check_t *chk, char *err, size_t errlen)
{
    if (chk == NULL || chk->issuer == NULL || chk->audiences == NULL
        || chk->naudiences == 0)
    {
        snprintf(err, errlen, "check: no issuer or audience");
        return -1;
    }

    if (chk->leeway < 0 || chk->leeway > LLMGW_OIDC_LEEWAY_MAX) {
        snprintf(err, errlen, "check: leeway out of 0..%d",
                 LLMGW_OIDC_LEEWAY_MAX);
        return -1;
    }

    return 0;
}


/* three segments of canonical base64url, all decoded */

static int
llmgw_oidc_split(llmgw_oidc_jws_t *jws, const unsigned char *tok, size_t len,
    char *err, size_t errlen)
{
    size_t                hlen, plen, slen;
    const unsigned char  *d1, *d2, *end;

    jws->buf = NULL;

    if (tok == NULL || len == 0 || len > LLMGW_OIDC_TOKEN_MAX) {
        snprintf(err, errlen, "malformed: empty or longer than %d bytes",
                 LLMGW_OIDC_TOKEN_MAX);
        return -1;
    }

    end = tok + len;

    d1 = memchr(tok, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', end - d1 - 1) : NULL;

    if (d2 == NULL || memchr(d2 + 1, '.', end - d2 - 1) != NULL) {
        snprintf(err, errlen, "malformed: not three segments");
        return -1;
    }

    hlen = d1 - tok;
    plen = d2 - d1 - 1;
    slen = end - d2 - 1;

    if (slen > LLMGW_B64URL_LEN(LLMGW_OIDC_SIG_MAX)) {
        snprintf(err, errlen, "signature: too long");
        return -1;
    }

    jws->buf = malloc(hlen / 4 * 3 + plen / 4 * 3 + 6);
    if (jws->buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    jws->input = tok;
    jws->input_len = d2 - tok;
    jws->header = jws->buf;
    jws->header_len = llmgw_b64url_decode(jws->header, tok, hlen);
    jws->payload = jws->buf + hlen / 4 * 3 + 3;
    jws->payload_len = llmgw_b64url_decode(jws->payload, d1 + 1, plen);
    jws->sig_len = llmgw_b64url_decode(jws->sig, d2 + 1, slen);

    if (jws->header_len == (size_t) -1 || jws->payload_len == (size_t) -1
        || jws->sig_len == (size_t) -1)
    {
        snprintf(err, errlen, "malformed: not canonical base64url");
        free(jws->buf);
        jws->buf = NULL;
        return -1;
    }

    return 0;
}


static int
llmgw_oidc_header(llmgw_oidc_jws_t *jws, char *err, size_t errlen)
{
    json_t  *h, *alg, *kid;

    h = json_loadb((const char *) jws->header, jws->header_len,
                   JSON_REJECT_DUPLICATES, NULL);

    if (!json_is_object(h)) {
        snprintf(err, errlen, "malformed: header is not a JSON object");
        json_decref(h);
        return -1;
    }

    alg = json_object_get(h, "alg");

    if (llmgw_oidc_streq(alg, "RS256")) {
        jws->alg = LLMGW_OIDC_RS256;

    } else if (llmgw_oidc_streq(alg, "ES256")) {
        jws->alg = LLMGW_OIDC_ES256;

    } else {
        snprintf(err, errlen, "alg: not RS256 or ES256");
        json_decref(h);
        return -1;
    }

    if (json_object_get(h, "crit") != NULL) {
        snprintf(err, errlen, "malformed: \"crit\" is not supported");
        json_decref(h);
        return -1;
    }

    kid = json_object_get(h, "kid");
    jws->has_kid = (kid != NULL);

    if (kid && !json_is_string(kid)) {
        snprintf(err, errlen, "malformed: kid is not a string");
        json_decref(h);
        return -1;
    }

    if (kid && json_string_length(kid) > LLMGW_OIDC_KID_MAX) {
        snprintf(err, errlen, "kid: longer than %d bytes", LLMGW_OIDC_KID_MAX);
        json_decref(h);
        return -1;
    }

    if (kid) {
        jws->kid_len = json_string_length(kid);
        memcpy(jws->kid, json_string_value(kid), jws->kid_len);
    }

    json_decref(h);

    return 0;
}


/* the signature checked with the keys of the token's alg (and kid) */

static int
llmgw_oidc_signature(const llmgw_jwks_t *keys, llmgw_oidc_jws_t *jws,
    char *err, size_t errlen)
{
    size_t                  i, tried, siglen;
    unsigned char           der[80];
    const unsigned char    *sig;
    const llmgw_oidc_key_t  *key;

    sig = jws->sig;
    siglen = jws->sig_len;

    if (jws->alg == LLMGW_OIDC_ES256) {
        if (siglen != 2 * LLMGW_OIDC_P256_LEN) {
            snprintf(err, errlen, "signature: ES256 wants 64 bytes");
            return -1;
        }

        if (llmgw_oidc_ecdsa_der(jws->sig, der, &siglen) != 0) {
            snprintf(err, errlen, "signature: out of memory");
            ERR_clear_error();
            return -1;
        }

        sig = der;
    }

    tried = 0;

    for (i = 0; keys && i < keys->nkeys; i++) {
        key = &keys->keys[i];

        if (!llmgw_oidc_key_fits(key, jws)) {
            continue;
        }

        tried++;

        if (llmgw_oidc_digest_verify(key->pkey, jws->input, jws->input_len,
                                     sig, siglen)
            == 0)
        {
            ERR_clear_error();
            return 0;
        }
    }

    ERR_clear_error();

    if (tried) {
        snprintf(err, errlen, "signature: does not verify");

    } else if (jws->has_kid) {
        snprintf(err, errlen, "kid: no key of this kid for this alg");

    } else {
        snprintf(err, errlen, "alg: no key for this alg");
    }

    return -1;
}


/* an RS256 token is never checked with an EC key, nor ES256 with RSA */

static int
llmgw_oidc_key_fits(const llmgw_oidc_key_t *key, const llmgw_oidc_jws_t *jws)
{
    if (key->alg != jws->alg) {
        return 0;
    }

    if (!jws->has_kid) {
        return 1;
    }

    return key->has_kid && key->kid_len == jws->kid_len
           && memcmp(key->kid, jws->kid, jws->kid_len) == 0;
}


/* JWS's r || s (RFC 7518, 3.4) as the DER that libcrypto verifies */

static int
llmgw_oidc_ecdsa_der(const unsigned char *raw, unsigned char *der,
    size_t *len)
{
    int             n;
    BIGNUM         *r, *s;
    ECDSA_SIG      *sig;
    unsigned char  *p;

    sig = ECDSA_SIG_new();
    r = BN_bin2bn(raw, LLMGW_OIDC_P256_LEN, NULL);
    s = BN_bin2bn(raw + LLMGW_OIDC_P256_LEN, LLMGW_OIDC_P256_LEN, NULL);

    if (sig == NULL || r == NULL || s == NULL
        || ECDSA_SIG_set0(sig, r, s) != 1)
    {
        ECDSA_SIG_free(sig);
        BN_free(r);
        BN_free(s);
        return -1;
    }

    n = i2d_ECDSA_SIG(sig, NULL);

    if (n <= 0 || n > 80) {
        ECDSA_SIG_free(sig);
        return -1;
    }

    p = der;
    n = i2d_ECDSA_SIG(sig, &p);

    ECDSA_SIG_free(sig);

    if (n <= 0) {
        return -1;
    }

    *len = (size_t) n;

    return 0;
}


static int
llmgw_oidc_digest_verify(EVP_PKEY *pkey, const unsigned char *input,
    size_t len, const unsigned char *sig, size_t siglen)
{
    int            ok;
    EVP_MD_CTX    *md;
    EVP_PKEY_CTX  *pctx;

    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA
        && siglen != (size_t) EVP_PKEY_get_size(pkey))
    {
        return -1;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return -1;
    }

    ok = EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) == 1
         && (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA
             || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0)
         && EVP_DigestVerify(md, sig, siglen, input, len) == 1;

    EVP_MD_CTX_free(md);

    return ok ? 0 : -1;
}


/* the claims, once the signature holds */

static json_t *
llmgw_oidc_claims(const llmgw_oidc_jws_t *jws, const llmgw_oidc_check_t *chk,
    char *err, size_t errlen)
{
    json_t      *c;
    const char  *e;

    c = json_loadb((const char *) jws->payload, jws->payload_len,
                   JSON_REJECT_DUPLICATES, NULL);

    if (!json_is_object(c)) {
        e = "malformed: claims are not a JSON object";

    } else if (!llmgw_oidc_streq(json_object_get(c, "iss"), chk->issuer)) {
        e = "issuer: not the expected one";

    } else if (!llmgw_oidc_audience(json_object_get(c, "aud"), chk)) {
        e = "audience: not an expected one";

    } else {
        e = llmgw_oidc_times(c, chk);
    }

    if (e != NULL) {
        snprintf(err, errlen, "%s", e);
        json_decref(c);
        return NULL;
    }

    return c;
}


/* a string or an array of strings, one of them expected */

static int
llmgw_oidc_audience(const json_t *aud, const llmgw_oidc_check_t *chk)
{
    int      found;
    size_t   i, j;
    json_t  *v;

    if (json_is_string(aud)) {
        for (j = 0; j < chk->naudiences; j++) {
            if (llmgw_oidc_streq(aud, chk->audiences[j])) {
                return 1;
            }
        }

        return 0;
    }

    if (!json_is_array(aud)) {
        return 0;
    }

    found = 0;

    json_array_foreach(aud, i, v) {
        if (!json_is_string(v)) {
            return 0;
        }

        found = found || llmgw_oidc_audience(v, chk);
    }

    return found;
}


static const char *
llmgw_oidc_times(const json_t *claims, const llmgw_oidc_check_t *chk)
{
    int        rc;
    long long  now, t;

    now = (long long) chk->now;

    rc = llmgw_oidc_time(claims, "exp", &t);

    if (rc != 1) {
        return "malformed: exp is missing or not a number";
    }

    if (now - chk->leeway >= t) {
        return "expired";
    }

    rc = llmgw_oidc_time(claims, "nbf", &t);

    if (rc == -1) {
        return "malformed: nbf is not a number";
    }

    if (rc == 1 && now + chk->leeway < t) {
        return "not yet valid: nbf is in the future";
    }

    rc = llmgw_oidc_time(claims, "iat", &t);

    if (rc == -1) {
        return "malformed: iat is not a number";
    }

    if (rc == 1 && now + chk->leeway < t) {
        return "not yet valid: iat is in the future";
    }

    return NULL;
}


/*
 * A NumericDate rounded up to a whole second: compared with a whole "now",
 * that changes no verdict.  1 when present, 0 absent, -1 not a number.
 */

static int
llmgw_oidc_time(const json_t *claims, const char *name, long long *t)
{
    double         d;
    const json_t  *v;

    v = json_object_get(claims, name);

    if (v == NULL) {
        return 0;
    }

    if (json_is_integer(v)) {
        *t = json_integer_value(v);
        return 1;
    }

    if (!json_is_real(v)) {
        return -1;
    }

    d = json_real_value(v);

    if (!(d >= -LLMGW_OIDC_TIME_MAX)) {
        d = -LLMGW_OIDC_TIME_MAX;

    } else if (d > LLMGW_OIDC_TIME_MAX) {
        d = LLMGW_OIDC_TIME_MAX;
    }

    *t = (long long) d;

    if ((double) *t < d) {
        (*t)++;
    }

    return 1;
}


/* claim values, for roles */

int
llmgw_oidc_claim_values(const json_t *claims, const char *path,
    llmgw_oidc_value_pt handler, void *data)
{
    size_t         i;
    json_t        *s;
    const char    *name;
    const json_t  *v;

    v = llmgw_oidc_claim(claims, path, &name);

    if (v == NULL) {
        return 0;
    }

    if (json_is_string(v)) {
        if (strcmp(name, "scope") == 0 || strcmp(name, "scp") == 0) {
            return llmgw_oidc_split_spaces(json_string_value(v),
                                           json_string_length(v), handler,
                                           data);
        }

        return handler(json_string_value(v), json_string_length(v), data)
               ? -1 : 1;
    }

    if (!json_is_array(v)) {
        return -1;
    }

    json_array_foreach(v, i, s) {
        if (!json_is_string(s)) {
            return -1;
        }
    }

    json_array_foreach(v, i, s) {
        if (handler(json_string_value(s), json_string_length(s), data)) {
            return -1;
        }
    }

    return (int) json_array_size(v);
}


/* the claim at path, and in *name the last name of its path */

static const json_t *
llmgw_oidc_claim(const json_t *claims, const char *path, const char **name)
{
    char           seg[LLMGW_OIDC_PATH_MAX + 1];
    size_t         n;
    const char    *p, *dot;
    const json_t  *v;

    if (path == NULL) {
        return NULL;
    }

    v = json_object_get(claims, path);

    if (v != NULL) {
        *name = path;
        return v;
    }

    v = claims;
    p = path;

    for ( ;; ) {
        dot = strchr(p, '.');
        n = dot ? (size_t) (dot - p) : strlen(p);

        if (n == 0 || n > LLMGW_OIDC_PATH_MAX || !json_is_object(v)) {
            return NULL;
        }

        memcpy(seg, p, n);
        seg[n] = '\0';

        v = json_object_get(v, seg);

        if (v == NULL || dot == NULL) {
            *name = p;
            return v;
        }

        p = dot + 1;
    }
}


static int
llmgw_oidc_split_spaces(const char *s, size_t len,
    llmgw_oidc_value_pt handler, void *data)
{
    int          n;
    const char  *end, *sp;

    n = 0;
    end = s + len;

    while (s < end) {
        sp = memchr(s, ' ', end - s);
        if (sp == NULL) {
            sp = end;
        }

        if (sp > s) {
            if (handler(s, sp - s, data)) {
                return -1;
            }

            n++;
        }

        s = sp + 1;
    }

    return n;
}
