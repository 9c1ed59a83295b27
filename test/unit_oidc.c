/*
 * Unit tests of src/llmgw_oidc.c: keys made here (RSA 2048, EC P-256),
 * published as a JWKS, tokens signed here (RS256, ES256, and the forgeries
 * of the usual attacks), each verdict checked for its reason; then JWKS
 * parsing and the claim paths that roles are read from.
 */

#include <stdarg.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "llmgw_jwt.h"
#include "llmgw_oidc.h"
#include "unit.h"


#define NOW  1750000000LL
#define ISS  "https://idp.example.com/realms/corp"

#define H_RS1  "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}"
#define H_RS2  "{\"alg\":\"RS256\",\"kid\":\"rsa2\"}"
#define H_EC1  "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec1\"}"
#define H_RS   "{\"alg\":\"RS256\"}"
#define H_ES   "{\"alg\":\"ES256\"}"


static const char  *audiences[] = { "llmgw-admin", "api://llmgw" };

static EVP_PKEY      *rsa1, *rsa2, *ec1, *other_rsa, *other_ec;
static llmgw_jwks_t  *jwks;
static llmgw_oidc_check_t  chk;

static const char  *reasons[] = {
    "malformed", "alg", "kid", "signature", "issuer", "audience", "expired",
    "not yet valid", "check"
};


/* formatting, into a few rotating buffers */

static const char *
fmt(const char *f, ...)
{
    char     *b;
    va_list   ap;

    static char      bufs[8][4096];
    static unsigned  next;

    b = bufs[next++ % 8];

    va_start(ap, f);
    vsnprintf(b, sizeof(bufs[0]), f, ap);
    va_end(ap);

    return b;
}


/* claims with "iss", "aud" and "exp" as given, and more after */

static const char *
claims(const char *iss, const char *aud, long long exp, const char *more)
{
    return fmt("{\"iss\":%s,\"aud\":%s,\"exp\":%lld%s}", iss, aud, exp, more);
}

#define GOOD_CLAIMS                                                         \
    claims("\"" ISS "\"", "\"llmgw-admin\"", NOW + 600,                     \
           ",\"sub\":\"alice\",\"iat\":1749999990,\"nbf\":1749999990")


static char *
b64s(const void *p, size_t n)
{
    char  *s;

    s = malloc(LLMGW_B64URL_LEN(n) + 1);
    if (s == NULL) {
        abort();
    }

    s[llmgw_b64url_encode((unsigned char *) s, p, n)] = '\0';

    return s;
}


/* "b64(header).b64(claims)" with room for a signature after it */

static char *
signing_input(const char *header, const char *claims, size_t room)
{
    char    *h, *c, *t;
    size_t   n;

    h = b64s(header, strlen(header));
    c = b64s(claims, strlen(claims));

    n = strlen(h) + strlen(c) + 2 + room;
    t = malloc(n);
    if (t == NULL) {
        abort();
    }

    snprintf(t, n, "%s.%s", h, c);

    free(h);
    free(c);

    return t;
}


/* token = input "." b64(sig) */

static char *
with_sig(char *input, const unsigned char *sig, size_t siglen)
{
    char  *s;

    s = b64s(sig, siglen);
    strcat(input, ".");
    strcat(input, s);
    free(s);

    return input;
}


static size_t
sign_raw(EVP_PKEY *key, const char *input, unsigned char *sig, size_t size)
{
    int                   ok;
    size_t                len, derlen;
    EVP_MD_CTX           *md;
    ECDSA_SIG            *es;
    const BIGNUM         *r, *s;
    unsigned char         der[128];
    const unsigned char  *p;

    md = EVP_MD_CTX_new();

    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        len = size;
        ok = EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1
             && EVP_DigestSign(md, sig, &len, (const unsigned char *) input,
                               strlen(input)) == 1;
        EVP_MD_CTX_free(md);
        return ok ? len : 0;
    }

    derlen = sizeof(der);
    ok = EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1
         && EVP_DigestSign(md, der, &derlen, (const unsigned char *) input,
                           strlen(input)) == 1;
    EVP_MD_CTX_free(md);

    if (!ok || size < 64) {
        return 0;
    }

    /* DER to JWS's r || s */
    p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long) derlen);
    if (es == NULL) {
        return 0;
    }

    ECDSA_SIG_get0(es, &r, &s);
    BN_bn2binpad(r, sig, 32);
    BN_bn2binpad(s, sig + 32, 32);
    ECDSA_SIG_free(es);

    return 64;
}


/* a token signed with key: RS256 for RSA, ES256 for EC, whatever the
 * header says */

static char *
token(EVP_PKEY *key, const char *header, const char *claims)
{
    char           *t;
    size_t          n;
    unsigned char   sig[1024];

    t = signing_input(header, claims, 2048);
    n = sign_raw(key, t, sig, sizeof(sig));

    if (n == 0) {
        UNIT_FAIL("signing failed");
        abort();
    }

    return with_sig(t, sig, n);
}


static int
reason_is(const char *err, const char *reason)
{
    size_t  n;

    n = strlen(reason);

    return strncmp(err, reason, n) == 0 && (err[n] == '\0' || err[n] == ':');
}


static int
known_reason(const char *err)
{
    size_t  i;

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (reason_is(err, reasons[i])) {
            return 1;
        }
    }

    return 0;
}


/*
 * Verifies an exact-size copy of t (so ASan sees any read past it) with
 * the global key set and check: reason NULL wants it accepted.
 */

static json_t *
verify_len(const char *t, size_t len, const char *reason, const char *what)
{
    int             rc;
    char            err[128];
    json_t         *c;
    unsigned char  *copy;

    copy = dup_mem(t, len);
    err[0] = '\0';
    c = (json_t *) &c;

    rc = llmgw_oidc_verify(jwks, (char *) copy, len, &chk, &c, err,
                           sizeof(err));
    free(copy);

    if (reason == NULL) {
        CHECK(rc == 0 && json_is_object(c), "%s: accepted, got \"%s\"", what,
              err);
        return rc == 0 ? c : NULL;
    }

    CHECK(rc == -1 && c == NULL && reason_is(err, reason),
          "%s: want \"%s\", got %d \"%s\"", what, reason, rc, err);

    if (rc == 0) {
        json_decref(c);
    }

    CHECK(known_reason(err) && strlen(err) < 64 && strstr(err, "eyJ") == NULL,
          "%s: a short message of a known reason: \"%s\"", what, err);

    return NULL;
}


static json_t *
verify(const char *t, const char *reason, const char *what)
{
    return verify_len(t, strlen(t), reason, what);
}


static void
expect(EVP_PKEY *key, const char *header, const char *claims,
    const char *reason, const char *what)
{
    char    *t;
    json_t  *c;

    t = token(key, header, claims);
    c = verify(t, reason, what);
    json_decref(c);
    free(t);
}


/* JWKs of our keys */

static char *
bn_b64(EVP_PKEY *key, const char *name)
{
    int             n;
    char           *s;
    BIGNUM         *bn;
    unsigned char   buf[1024];

    bn = NULL;

    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
        abort();
    }

    n = BN_bn2bin(bn, buf);
    BN_free(bn);
    s = b64s(buf, (size_t) n);

    return s;
}


static json_t *
jwk(EVP_PKEY *key, const char *kid)
{
    char           *a, *b;
    size_t          len;
    json_t         *j;
    unsigned char   pt[65];

    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        a = bn_b64(key, OSSL_PKEY_PARAM_RSA_N);
        b = bn_b64(key, OSSL_PKEY_PARAM_RSA_E);
        j = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", a, "e", b);

    } else {
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                            sizeof(pt), &len) != 1
            || len != 65 || pt[0] != 0x04)
        {
            abort();
        }

        a = b64s(pt + 1, 32);
        b = b64s(pt + 33, 32);
        j = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256",
                      "x", a, "y", b);
    }

    free(a);
    free(b);

    if (kid) {
        json_object_set_new(j, "kid", json_string(kid));
    }

    return j;
}


static json_t *
jwk_with(json_t *j, const char *name, const char *value)
{
    json_object_set_new(j, name, json_string(value));
    return j;
}


/* parses {"keys": keys}, stealing keys */

static llmgw_jwks_t *
jwks_of(json_t *keys, char *err, size_t errlen)
{
    char           *s;
    json_t         *doc;
    llmgw_jwks_t   *set;
    unsigned char  *copy;

    doc = json_pack("{s:o}", "keys", keys);
    s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);

    copy = dup_mem(s, strlen(s));
    err[0] = '\0';
    set = llmgw_jwks_parse(copy, strlen(s), err, errlen);

    free(copy);
    free(s);

    return set;
}


static llmgw_jwks_t *
jwks_text(const char *text, char *err, size_t errlen)
{
    llmgw_jwks_t   *set;
    unsigned char  *copy;

    copy = dup_mem(text, strlen(text));
    err[0] = '\0';
    set = llmgw_jwks_parse(copy, strlen(text), err, errlen);
    free(copy);

    return set;
}


static void
setup(void)
{
    char     err[128];
    json_t  *keys;

    rsa1 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    other_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    ec1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    other_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    if (!rsa1 || !rsa2 || !other_rsa || !ec1 || !other_ec) {
        fprintf(stderr, "keys not made\n");
        exit(2);
    }

    keys = json_pack("[o, o, o, o, {s:s, s:s}]",
                     jwk_with(jwk_with(jwk(rsa1, "rsa1"), "use", "sig"),
                              "alg", "RS256"),
                     jwk_with(jwk_with(jwk(ec1, "ec1"), "use", "sig"),
                              "alg", "ES256"),
                     jwk(rsa2, "rsa2"),
                     jwk_with(jwk(other_rsa, "enc1"), "use", "enc"),
                     "kty", "oct", "k", "c2VjcmV0");

    jwks = jwks_of(keys, err, sizeof(err));

    if (jwks == NULL) {
        fprintf(stderr, "JWKS: %s\n", err);
        exit(2);
    }

    chk.issuer = ISS;
    chk.audiences = audiences;
    chk.naudiences = 2;
    chk.leeway = 60;
    chk.now = (time_t) NOW;
}


static void
test_valid(void)
{
    char    *t;
    json_t  *c;
    char     err[128];

    CHECK_INT(llmgw_jwks_count(jwks), 3, "rsa1, ec1, rsa2; enc, oct skipped");

    t = token(rsa1, H_RS1, GOOD_CLAIMS);
    c = verify(t, NULL, "RS256");

    if (c) {
        CHECK(json_is_string(json_object_get(c, "sub"))
              && strcmp(json_string_value(json_object_get(c, "sub")), "alice")
                 == 0, "claims returned");
        CHECK_INT(c->refcount, 1, "a new reference");
        json_decref(c);
    }

    CHECK_INT(llmgw_oidc_verify(jwks, t, strlen(t), &chk, NULL, err,
                                sizeof(err)), 0, "claims not wanted");
    free(t);

    t = token(ec1, H_EC1, GOOD_CLAIMS);
    c = verify(t, NULL, "ES256");

    if (c) {
        CHECK(json_integer_value(json_object_get(c, "exp")) == NOW + 600,
              "ES256 claims");
        json_decref(c);
    }

    free(t);

    expect(rsa2, H_RS2, GOOD_CLAIMS, NULL, "RS256, the second RSA key");
    expect(rsa2, H_RS, GOOD_CLAIMS, NULL, "RS256 without kid: every key");
    expect(rsa1, H_RS, GOOD_CLAIMS, NULL, "RS256 without kid, first key");
    expect(ec1, H_ES, GOOD_CLAIMS, NULL, "ES256 without kid");
    expect(rsa1, "{\"kid\":\"rsa1\",\"typ\":\"at+jwt\",\"alg\":\"RS256\"}",
           GOOD_CLAIMS, NULL, "members in any order, typ not checked");
    expect(rsa1, " {\"alg\" : \"RS256\"} ", GOOD_CLAIMS, NULL,
           "white space in the header");
}


/* the token t with segment i replaced by s (a base64url text) */

static char *
replace_segment(const char *t, int i, const char *s)
{
    char        *out;
    size_t       n;
    const char  *p, *end;
    int          k;

    n = strlen(t) + strlen(s) + 1;
    out = malloc(n);
    if (out == NULL) {
        abort();
    }

    out[0] = '\0';
    p = t;

    for (k = 0; k < 3; k++) {
        end = strchr(p, '.');
        if (end == NULL) {
            end = p + strlen(p);
        }

        if (k) {
            strcat(out, ".");
        }

        if (k == i) {
            strcat(out, s);
        } else {
            strncat(out, p, end - p);
        }

        p = *end ? end + 1 : end;
    }

    return out;
}


static char *
replace_claims(const char *t, const char *claims)
{
    char  *c, *r;

    c = b64s(claims, strlen(claims));
    r = replace_segment(t, 1, c);
    free(c);

    return r;
}


/* the token t with its signature short of drop bytes, still canonical */

static char *
shorter_sig(const char *t, size_t drop)
{
    char           *s, *r;
    size_t          n;
    const char     *sig;
    unsigned char   raw[1024];

    sig = strrchr(t, '.') + 1;
    n = llmgw_b64url_decode(raw, (const unsigned char *) sig, strlen(sig));

    if (n == (size_t) -1 || n < drop) {
        abort();
    }

    s = b64s(raw, n - drop);
    r = replace_segment(t, 2, s);
    free(s);

    return r;
}


static const char  b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


static void
test_tampered(void)
{
    char           *t, *t2, *sig;
    size_t          n;
    unsigned char   raw[64], raw64[65];

    t = token(rsa1, H_RS1, GOOD_CLAIMS);

    t2 = replace_claims(t, claims("\"" ISS "\"", "\"llmgw-admin\"",
                                  NOW + 86400, ",\"sub\":\"alice\""));
    verify(t2, "signature", "RS256 claims changed");
    free(t2);

    t2 = (char *) dup_mem(t, strlen(t) + 1);
    n = strlen(t2);
    t2[n - 100] = (t2[n - 100] == 'A') ? 'B' : 'A';
    verify(t2, "signature", "RS256 signature changed");
    free(t2);

    t2 = shorter_sig(t, 1);
    verify(t2, "signature", "RS256 signature short by a byte");
    free(t2);

    t2 = shorter_sig(t, 256);
    verify(t2, "signature", "RS256 signature empty");
    free(t2);

    sig = b64s(H_RS2, strlen(H_RS2));
    t2 = replace_segment(t, 0, sig);
    verify(t2, "signature", "RS256 header's kid changed to rsa2");
    free(t2);
    free(sig);

    free(t);

    expect(other_rsa, H_RS1, GOOD_CLAIMS, "signature", "another RSA key");
    expect(other_rsa, H_RS, GOOD_CLAIMS, "signature",
           "another RSA key, no kid");
    expect(other_ec, H_EC1, GOOD_CLAIMS, "signature", "another EC key");
    expect(other_ec, H_ES, GOOD_CLAIMS, "signature", "another EC key, no kid");
    expect(rsa2, H_RS1, GOOD_CLAIMS, "signature", "rsa2 signs as rsa1");

    t = token(ec1, H_EC1, GOOD_CLAIMS);

    t2 = replace_claims(t, claims("\"" ISS "\"", "\"llmgw-admin\"",
                                  NOW + 86400, ""));
    verify(t2, "signature", "ES256 claims changed");
    free(t2);

    t2 = (char *) dup_mem(t, strlen(t) + 1);
    n = strlen(t2);
    t2[n - 40] = (t2[n - 40] == 'A') ? 'B' : 'A';
    verify(t2, "signature", "ES256 signature changed");
    free(t2);

    t2 = shorter_sig(t, 1);
    verify(t2, "signature", "ES256 signature of 63 bytes");
    free(t2);

    t2 = shorter_sig(t, 32);
    verify(t2, "signature", "ES256 signature of r alone");
    free(t2);

    /* r = 0 */
    sig = strrchr(t, '.') + 1;
    n = llmgw_b64url_decode(raw, (unsigned char *) sig, strlen(sig));
    CHECK_INT(n, 64, "an ES256 signature is r || s");

    raw64[64] = 0;
    memcpy(raw64, raw, 64);
    sig = b64s(raw64, 65);
    t2 = replace_segment(t, 2, sig);
    verify(t2, "signature", "ES256, a byte after r || s");
    free(t2);
    free(sig);

    memset(raw, 0, 32);
    sig = b64s(raw, 64);
    t2 = replace_segment(t, 2, sig);
    verify(t2, "signature", "ES256 with r = 0");
    free(t2);
    free(sig);

    memset(raw, 0, 64);
    sig = b64s(raw, 64);
    t2 = replace_segment(t, 2, sig);
    verify(t2, "signature", "ES256 of zeros");
    free(t2);
    free(sig);

    free(t);
}


/* ES256 with the DER signature libcrypto makes, not r || s */

static void
test_es256_der(void)
{
    char           *t;
    size_t          len;
    EVP_MD_CTX     *md;
    unsigned char   der[128];

    t = signing_input(H_EC1, GOOD_CLAIMS, 256);

    md = EVP_MD_CTX_new();
    len = sizeof(der);
    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ec1);
    EVP_DigestSign(md, der, &len, (unsigned char *) t, strlen(t));
    EVP_MD_CTX_free(md);

    with_sig(t, der, len);
    verify(t, "signature", "ES256 signature in DER");
    free(t);

    /* an RSA signature under ES256 with an EC kid: wrong length */
    t = token(rsa1, H_EC1, GOOD_CLAIMS);
    verify(t, "signature", "ES256 header, RS256 signature");
    free(t);
}


static void
test_kid(void)
{
    char           err[128];
    char           long_kid[300];
    llmgw_jwks_t  *saved;

    expect(rsa1, "{\"alg\":\"RS256\",\"kid\":\"nope\"}", GOOD_CLAIMS, "kid",
           "unknown kid");
    expect(rsa1, "{\"alg\":\"RS256\",\"kid\":\"\"}", GOOD_CLAIMS, "kid",
           "empty kid");
    expect(rsa1, "{\"alg\":\"RS256\",\"kid\":\"RSA1\"}", GOOD_CLAIMS, "kid",
           "kid is case-sensitive");
    expect(other_rsa, "{\"alg\":\"RS256\",\"kid\":\"enc1\"}", GOOD_CLAIMS,
           "kid", "kid of a key for encryption (skipped)");

    /* key confusion: the kid of a key of the other type */
    expect(rsa1, "{\"alg\":\"RS256\",\"kid\":\"ec1\"}", GOOD_CLAIMS, "kid",
           "RS256 with the kid of the EC key");
    expect(ec1, "{\"alg\":\"ES256\",\"kid\":\"rsa1\"}", GOOD_CLAIMS, "kid",
           "ES256 with the kid of an RSA key");

    expect(rsa1, "{\"alg\":\"RS256\",\"kid\":1}", GOOD_CLAIMS, "malformed",
           "kid a number");
    expect(rsa1, "{\"alg\":\"RS256\",\"kid\":null}", GOOD_CLAIMS, "malformed",
           "kid null");

    memset(long_kid, 'k', sizeof(long_kid) - 1);
    long_kid[sizeof(long_kid) - 1] = '\0';
    expect(rsa1, fmt("{\"alg\":\"RS256\",\"kid\":\"%s\"}", long_kid),
           GOOD_CLAIMS, "kid", "kid of 299 bytes");

    /* a key set of RSA keys only: ES256 has no key at all */
    saved = jwks;
    jwks = jwks_of(json_pack("[o]", jwk(rsa1, "rsa1")), err, sizeof(err));
    CHECK_INT(llmgw_jwks_count(jwks), 1, "rsa1 alone");
    expect(ec1, H_ES, GOOD_CLAIMS, "alg", "ES256, no EC key");
    expect(ec1, H_EC1, GOOD_CLAIMS, "kid", "ES256 with kid, no EC key");
    expect(rsa1, H_RS, GOOD_CLAIMS, NULL, "RS256 with rsa1 alone");
    llmgw_jwks_free(jwks);

    /* a key without kid serves tokens without kid only */
    jwks = jwks_of(json_pack("[o]", jwk(rsa1, NULL)), err, sizeof(err));
    expect(rsa1, H_RS, GOOD_CLAIMS, NULL, "no kid either side");
    expect(rsa1, H_RS1, GOOD_CLAIMS, "kid", "a kid, the key has none");
    expect(rsa1, "{\"alg\":\"RS256\",\"kid\":\"\"}", GOOD_CLAIMS, "kid",
           "an empty kid, the key has none");
    llmgw_jwks_free(jwks);

    jwks = NULL;
    expect(rsa1, H_RS1, GOOD_CLAIMS, "kid", "no key set");
    jwks = saved;
}


static void
test_alg(void)
{
    int             i;
    BIO            *bio;
    char           *t, *pem;
    long            pemlen;
    unsigned int    maclen;
    unsigned char   mac[EVP_MAX_MD_SIZE];

    static const char  *bad[] = {
        "none", "None", "NONE", "HS256", "HS384", "HS512", "PS256", "RS384",
        "RS512", "ES384", "ES512", "EdDSA", "rs256", "RS256 ", "ES256K", ""
    };

    for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++) {
        expect(rsa1, fmt("{\"alg\":\"%s\",\"kid\":\"rsa1\"}", bad[i]),
               GOOD_CLAIMS, "alg", fmt("alg \"%s\"", bad[i]));
    }

    expect(rsa1, "{\"kid\":\"rsa1\"}", GOOD_CLAIMS, "alg", "alg missing");
    expect(rsa1, "{\"alg\":null}", GOOD_CLAIMS, "alg", "alg null");
    expect(rsa1, "{\"alg\":256}", GOOD_CLAIMS, "alg", "alg a number");
    expect(rsa1, "{\"alg\":[\"RS256\"]}", GOOD_CLAIMS, "alg", "alg an array");

    /* unsigned: an empty signature, and a real one beside "none" */
    t = signing_input("{\"alg\":\"none\"}", GOOD_CLAIMS, 8);
    strcat(t, ".");
    verify(t, "alg", "alg none, empty signature");
    free(t);

    expect(rsa1, "{\"alg\":\"none\"}", GOOD_CLAIMS, "alg",
           "alg none, signed anyway");

    t = signing_input("{\"alg\":\"none\"}", GOOD_CLAIMS, 8);
    verify(t, "malformed", "alg none, two segments");
    free(t);

    /* HS256 keyed with the RSA public key as published, kid and all */
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, rsa1);
    pemlen = BIO_get_mem_data(bio, &pem);

    t = signing_input("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"rsa1\"}",
                      GOOD_CLAIMS, 128);
    HMAC(EVP_sha256(), pem, (int) pemlen, (unsigned char *) t, strlen(t), mac,
         &maclen);
    with_sig(t, mac, maclen);
    verify(t, "alg", "HS256 with the RSA public key as secret");
    free(t);

    t = signing_input("{\"alg\":\"HS256\"}", GOOD_CLAIMS, 128);
    HMAC(EVP_sha256(), pem, (int) pemlen, (unsigned char *) t, strlen(t), mac,
         &maclen);
    with_sig(t, mac, maclen);
    verify(t, "alg", "HS256 with the RSA public key as secret, no kid");
    free(t);

    BIO_free(bio);

    expect(rsa1, "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"crit\":[\"exp\"]}",
           GOOD_CLAIMS, "malformed", "crit");
    expect(rsa1, "{\"alg\":\"RS256\",\"crit\":[]}", GOOD_CLAIMS, "malformed",
           "crit empty");
    expect(rsa1, "{\"alg\":\"RS256\",\"b64\":false,\"crit\":[\"b64\"]}",
           GOOD_CLAIMS, "malformed", "unencoded payload (RFC 7797)");
    expect(rsa1, "{\"alg\":\"none\",\"alg\":\"RS256\"}", GOOD_CLAIMS,
           "malformed", "alg twice");
    expect(rsa1, "{\"alg\":\"RS256\",\"alg\":\"none\"}", GOOD_CLAIMS,
           "malformed", "alg twice, none last");
    expect(rsa1, "{\"alg\":\"RS256\\u0000\"}", GOOD_CLAIMS, "malformed",
           "alg with a NUL");
}


static void
test_format(void)
{
    int     v;
    char   *t, *t2, *p;
    char    big[LLMGW_OIDC_TOKEN_MAX + 2];
    size_t  n;

    t = token(rsa1, H_RS1, GOOD_CLAIMS);
    n = strlen(t);

    t2 = malloc(n + 8);

    snprintf(t2, n + 8, "%s.", t);
    verify(t2, "malformed", "a fourth, empty segment");

    snprintf(t2, n + 8, "%s.AAAA", t);
    verify(t2, "malformed", "four segments");

    snprintf(t2, n + 8, "%s==", t);
    verify(t2, "malformed", "signature padded");

    snprintf(t2, n + 8, "%s\n", t);
    verify(t2, "malformed", "a newline after");

    snprintf(t2, n + 8, " %s", t);
    verify(t2, "malformed", "a space before");

    verify_len(t, n - 1, "malformed", "signature one letter short");
    verify_len(t, 0, "malformed", "empty");
    verify_len(t, strchr(t, '.') - t, "malformed", "header alone");

    /* the last letter's unused bits set: 256 bytes end in 4 spare bits */
    CHECK_INT((strlen(strrchr(t, '.') + 1)) % 4, 2, "342 letters");
    strcpy(t2, t);
    v = (int) (strchr(b64url, t2[n - 1]) - b64url);
    t2[n - 1] = b64url[v | 1];
    verify(t2, "malformed", "non-canonical last letter");
    free(t2);

    /* base64, not base64url */
    t2 = replace_segment(t, 0, "eyJhbGciOiJSUzI1NiJ9+/");
    verify(t2, "malformed", "+ and / in the header");
    free(t2);

    t2 = replace_segment(t, 0, "eyJhbGciOiJSUzI1NiJ9==");
    verify(t2, "malformed", "header padded");
    free(t2);

    t2 = (char *) dup_mem(t, strlen(t) + 1);
    p = strchr(t2, '.');
    p[2] = '=';
    verify(t2, "malformed", "an = in the claims");
    free(t2);

    t2 = replace_segment(t, 0, "");
    verify(t2, "malformed", "empty header");
    free(t2);

    free(t);

    expect(rsa1, "[\"RS256\"]", GOOD_CLAIMS, "malformed", "header an array");
    expect(rsa1, "\"RS256\"", GOOD_CLAIMS, "malformed", "header a string");
    expect(rsa1, "{\"alg\":\"RS256\"", GOOD_CLAIMS, "malformed",
           "header not JSON");
    expect(rsa1, "{\"alg\":\"RS256\"} x", GOOD_CLAIMS, "malformed",
           "header with junk after");
    expect(rsa1, "\xef\xbb\xbf{\"alg\":\"RS256\"}", GOOD_CLAIMS, "malformed",
           "header with a byte order mark");

    expect(rsa1, H_RS1, "not json", "malformed", "claims not JSON");
    expect(rsa1, H_RS1, "[1,2]", "malformed", "claims an array");
    expect(rsa1, H_RS1, "", "malformed", "claims empty");
    expect(rsa1, H_RS1, "null", "malformed", "claims null");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"iss\":\"x\",\"aud\":\"llmgw-admin\","
               "\"exp\":%lld}", NOW + 60), "malformed", "iss twice");

    memset(big, 'A', sizeof(big));
    memcpy(big, "eyJ.eyJ.", 8);
    verify_len(big, LLMGW_OIDC_TOKEN_MAX + 1, "malformed",
               "one byte longer than the limit");
    verify_len("..", 2, "malformed", "dots alone");

    /* a signature longer than any RSA key: refused before decoding */
    t = signing_input(H_RS1, GOOD_CLAIMS, 1500);
    strcat(t, ".");
    n = strlen(t);
    memset(t + n, 'A', 1400);
    t[n + 1400] = '\0';
    verify(t, "signature", "a signature of 1050 bytes");
    free(t);
}


static void
test_issuer_audience(void)
{
    const char  *one[1];

    expect(rsa1, H_RS1, claims("\"https://evil.example.com\"",
                               "\"llmgw-admin\"", NOW + 600, ""),
           "issuer", "another issuer");
    expect(rsa1, H_RS1, claims("\"" ISS "/\"", "\"llmgw-admin\"", NOW + 600,
                               ""),
           "issuer", "issuer with a slash after");
    expect(rsa1, H_RS1, claims("\"https://idp.example.com/realms/cor\"",
                               "\"llmgw-admin\"", NOW + 600, ""),
           "issuer", "issuer cut short");
    expect(rsa1, H_RS1, claims("[\"" ISS "\"]", "\"llmgw-admin\"", NOW + 600,
                               ""),
           "issuer", "issuer in an array");
    expect(rsa1, H_RS1,
           fmt("{\"aud\":\"llmgw-admin\",\"exp\":%lld}", NOW + 600),
           "issuer", "no issuer");

    expect(rsa1, H_RS1, fmt("{\"iss\":\"" ISS "\",\"exp\":%lld}", NOW + 600),
           "audience", "no audience");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "\"account\"", NOW + 600, ""),
           "audience", "another audience");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "\"llmgw-admin2\"", NOW + 600,
                               ""),
           "audience", "an audience longer");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "\"llmgw\"", NOW + 600, ""),
           "audience", "an audience shorter");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "[\"account\",\"api://llmgw\"]",
                               NOW + 600, ""),
           NULL, "audience in an array");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "\"api://llmgw\"", NOW + 600,
                               ""),
           NULL, "the second expected audience");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "[\"account\",\"broker\"]",
                               NOW + 600, ""),
           "audience", "array without ours");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "[]", NOW + 600, ""),
           "audience", "empty array");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "[\"llmgw-admin\",1]",
                               NOW + 600, ""),
           "audience", "array holding a number");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "null", NOW + 600, ""),
           "audience", "audience null");
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "{\"llmgw-admin\":1}",
                               NOW + 600, ""),
           "audience", "audience an object");

    one[0] = "account";
    chk.audiences = one;
    chk.naudiences = 1;
    expect(rsa1, H_RS1, claims("\"" ISS "\"", "[\"account\",\"broker\"]",
                               NOW + 600, ""),
           NULL, "one audience expected");
    expect(rsa1, H_RS1, GOOD_CLAIMS, "audience", "not that one");
    chk.audiences = audiences;
    chk.naudiences = 2;
}


static void
test_times(void)
{
#define AT(more)  claims("\"" ISS "\"", "\"llmgw-admin\"", NOW + 600, more)
#define EXP(exp)  claims("\"" ISS "\"", "\"llmgw-admin\"", exp, "")

    expect(rsa1, H_RS1, EXP(NOW - 61), "expired", "a minute and a second ago");
    expect(rsa1, H_RS1, EXP(NOW - 60), "expired", "a minute ago");
    expect(rsa1, H_RS1, EXP(NOW - 59), NULL, "within the leeway");
    expect(rsa1, H_RS1, EXP(NOW - 30), NULL, "30 s ago, leeway 60");
    expect(ec1, H_EC1, EXP(NOW - 86400), "expired", "a day ago");

    chk.leeway = 0;
    expect(rsa1, H_RS1, EXP(NOW), "expired", "now, no leeway");
    expect(rsa1, H_RS1, EXP(NOW - 1), "expired", "a second ago, no leeway");
    expect(rsa1, H_RS1, EXP(NOW + 1), NULL, "in a second, no leeway");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\",\"exp\":%lld.5}",
               NOW), NULL, "half a second after now");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\",\"exp\":%lld.5}",
               NOW - 1), "expired", "half a second before now");
    chk.leeway = 60;

    expect(rsa1, H_RS1, fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\"}"),
           "malformed", "no exp");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\","
               "\"exp\":\"%lld\"}", NOW + 600), "malformed", "exp a string");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\",\"exp\":null}"),
           "malformed", "exp null");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\",\"exp\":1e300}"),
           NULL, "exp 1e300");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\",\"exp\":-1e300}"),
           "expired", "exp -1e300");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\","
               "\"exp\":9223372036854775807}"), NULL, "exp LLONG_MAX");
    expect(rsa1, H_RS1,
           fmt("{\"iss\":\"" ISS "\",\"aud\":\"llmgw-admin\","
               "\"exp\":-9223372036854775808}"), "expired", "exp LLONG_MIN");

    expect(rsa1, H_RS1, AT(fmt(",\"nbf\":%lld", NOW + 61)), "not yet valid",
           "nbf past the leeway");
    expect(rsa1, H_RS1, AT(fmt(",\"nbf\":%lld", NOW + 60)), NULL,
           "nbf at the leeway");
    expect(rsa1, H_RS1, AT(fmt(",\"nbf\":%lld", NOW + 3600)), "not yet valid",
           "nbf in an hour");
    expect(rsa1, H_RS1, AT(",\"nbf\":\"soon\""), "malformed", "nbf a string");
    expect(rsa1, H_RS1, AT(",\"nbf\":9223372036854775807"), "not yet valid",
           "nbf LLONG_MAX");

    expect(rsa1, H_RS1, AT(fmt(",\"iat\":%lld", NOW + 61)), "not yet valid",
           "iat past the leeway");
    expect(rsa1, H_RS1, AT(fmt(",\"iat\":%lld", NOW + 60)), NULL,
           "iat at the leeway");
    expect(rsa1, H_RS1, AT(fmt(",\"iat\":%lld", NOW - 86400)), NULL,
           "iat a day ago");
    expect(rsa1, H_RS1, AT(fmt(",\"iat\":%lld.25", NOW + 60)),
           "not yet valid", "iat a quarter second past the leeway");
    expect(rsa1, H_RS1, AT(",\"iat\":true"), "malformed", "iat true");

    chk.leeway = LLMGW_OIDC_LEEWAY_MAX + 1;
    expect(rsa1, H_RS1, GOOD_CLAIMS, "check", "leeway too large");
    chk.leeway = -1;
    expect(rsa1, H_RS1, GOOD_CLAIMS, "check", "leeway negative");
    chk.leeway = LLMGW_OIDC_LEEWAY_MAX;
    expect(rsa1, H_RS1, GOOD_CLAIMS, NULL, "leeway at its limit");
    chk.leeway = 60;

    chk.issuer = NULL;
    expect(rsa1, H_RS1, GOOD_CLAIMS, "check", "no issuer");
    chk.issuer = ISS;

    chk.naudiences = 0;
    expect(rsa1, H_RS1, GOOD_CLAIMS, "check", "no audience");
    chk.naudiences = 2;

#undef AT
#undef EXP
}


/* JWKS documents */

static void
expect_jwks_error(json_t *keys, const char *what)
{
    char           err[128];
    llmgw_jwks_t  *set;

    set = jwks_of(keys, err, sizeof(err));
    CHECK(set == NULL && err[0] != '\0', "%s: refused, \"%s\"", what, err);
    llmgw_jwks_free(set);
}


static void
expect_jwks_text_error(const char *text, const char *what)
{
    char           err[128];
    llmgw_jwks_t  *set;

    set = jwks_text(text, err, sizeof(err));
    CHECK(set == NULL && err[0] != '\0', "%s: refused, \"%s\"", what, err);
    llmgw_jwks_free(set);
}


/* keys: rsa1 ("rsa1") and one more, which must be skipped; a token with
 * the other's kid signed by signer then finds no key */

static void
expect_skipped(json_t *extra, EVP_PKEY *signer, const char *header,
    const char *what)
{
    char           err[128];
    llmgw_jwks_t  *saved;

    saved = jwks;
    jwks = jwks_of(json_pack("[o, o]", jwk(rsa1, "rsa1"), extra), err,
                   sizeof(err));

    CHECK(jwks != NULL && llmgw_jwks_count(jwks) == 1, "%s: skipped (%s)",
          what, jwks ? "" : err);

    if (jwks && signer) {
        expect(signer, header, GOOD_CLAIMS, "kid", what);
    }

    llmgw_jwks_free(jwks);
    jwks = saved;
}


static json_t *
jwk_set(json_t *j, const char *name, const void *p, size_t n)
{
    char  *s;

    s = b64s(p, n);
    json_object_set_new(j, name, json_string(s));
    free(s);

    return j;
}


static void
test_jwks_skipped(void)
{
    char            kid[LLMGW_OIDC_KID_MAX + 2];
    size_t          len;
    json_t         *j;
    EVP_PKEY       *small;
    unsigned char   pt[65], e[4];

    small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);
    expect_skipped(jwk(small, "small"), small,
                   "{\"alg\":\"RS256\",\"kid\":\"small\"}", "RSA 1024");
    EVP_PKEY_free(small);

    EVP_PKEY_get_octet_string_param(ec1, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                    sizeof(pt), &len);
    j = jwk(ec1, "bad-point");
    pt[64] ^= 0x01;
    jwk_set(j, "y", pt + 33, 32);
    expect_skipped(j, ec1, "{\"alg\":\"ES256\",\"kid\":\"bad-point\"}",
                   "EC point not on the curve");

    memset(pt, 0, sizeof(pt));
    j = jwk(ec1, "zero");
    jwk_set(jwk_set(j, "x", pt, 32), "y", pt, 32);
    expect_skipped(j, NULL, NULL, "EC point (0, 0)");

    j = jwk(ec1, "short-x");
    jwk_set(j, "x", pt, 31);
    expect_skipped(j, NULL, NULL, "EC x of 31 bytes");

    expect_skipped(jwk_with(jwk(ec1, "ec-enc"), "use", "enc"), ec1,
                   "{\"alg\":\"ES256\",\"kid\":\"ec-enc\"}", "use enc");
    expect_skipped(jwk_with(jwk(rsa2, "rs384"), "alg", "RS384"), rsa2,
                   "{\"alg\":\"RS256\",\"kid\":\"rs384\"}", "alg RS384");
    expect_skipped(jwk_with(jwk(rsa2, "ps256"), "alg", "PS256"), rsa2,
                   "{\"alg\":\"RS256\",\"kid\":\"ps256\"}", "alg PS256");
    expect_skipped(jwk_with(jwk(rsa2, "rsa-es"), "alg", "ES256"), rsa2,
                   "{\"alg\":\"RS256\",\"kid\":\"rsa-es\"}",
                   "an RSA key claiming ES256");
    expect_skipped(jwk_with(jwk(ec1, "ec-rs"), "alg", "RS256"), ec1,
                   "{\"alg\":\"ES256\",\"kid\":\"ec-rs\"}",
                   "an EC key claiming RS256");
    expect_skipped(jwk_with(jwk(ec1, "p384"), "crv", "P-384"), ec1,
                   "{\"alg\":\"ES256\",\"kid\":\"p384\"}", "crv P-384");
    expect_skipped(json_pack("{s:s, s:s, s:s}", "kty", "oct", "kid", "hmac",
                             "k", "c2VjcmV0"),
                   NULL, NULL, "kty oct");
    expect_skipped(json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv",
                             "Ed25519", "x", "AAAA"),
                   NULL, NULL, "kty OKP");

    memset(kid, 'k', sizeof(kid) - 1);
    kid[sizeof(kid) - 1] = '\0';
    expect_skipped(jwk(rsa2, kid), NULL, NULL, "kid of 256 bytes");

    e[0] = 1;
    expect_skipped(jwk_set(jwk(rsa2, "e1"), "e", e, 1), NULL, NULL, "e = 1");
    e[0] = 0x01; e[1] = 0x00; e[2] = 0x00;
    expect_skipped(jwk_set(jwk(rsa2, "e-even"), "e", e, 3), NULL, NULL,
                   "e even");
    j = jwk(rsa2, "e-long");
    json_object_set_new(j, "e", json_string("AQAAAAAB"));
    expect_skipped(j, NULL, NULL, "e of 41 bits");
}


static void
test_jwks_kept(void)
{
    int             i;
    char            err[128], *n;
    json_t         *j, *keys;
    size_t          len;
    llmgw_jwks_t   *saved;
    unsigned char   buf[300];

    /* x5c ignored; a leading zero in n tolerated */
    j = jwk(rsa1, "rsa1");
    json_object_set_new(j, "x5c", json_pack("[s]", "bm90IGEgY2VydA=="));
    n = (char *) json_string_value(json_object_get(j, "n"));
    buf[0] = 0;
    len = llmgw_b64url_decode(buf + 1, (unsigned char *) n, strlen(n));
    CHECK_INT(len, 256, "n of 256 bytes");
    jwk_set(j, "n", buf, len + 1);

    saved = jwks;
    jwks = jwks_of(json_pack("[o]", j), err, sizeof(err));
    CHECK_INT(llmgw_jwks_count(jwks), 1, "x5c, leading zero: %s", err);
    expect(rsa1, H_RS1, GOOD_CLAIMS, NULL, "with that key");
    llmgw_jwks_free(jwks);

    keys = json_array();
    for (i = 0; i < LLMGW_JWKS_KEYS_MAX; i++) {
        json_array_append_new(keys, jwk(rsa2, fmt("k%d", i)));
    }

    jwks = jwks_of(json_deep_copy(keys), err, sizeof(err));
    CHECK_INT(llmgw_jwks_count(jwks), LLMGW_JWKS_KEYS_MAX, "64 keys: %s",
              err);
    expect(rsa2, "{\"alg\":\"RS256\",\"kid\":\"k63\"}", GOOD_CLAIMS, NULL,
           "the 64th key");
    expect(rsa2, H_RS, GOOD_CLAIMS, NULL, "no kid, 64 keys");
    expect(rsa1, H_RS, GOOD_CLAIMS, "signature", "no kid, none of 64 keys");
    llmgw_jwks_free(jwks);
    jwks = saved;

    json_array_append_new(keys, jwk(rsa2, "k64"));
    expect_jwks_error(keys, "65 keys");
}


static void
test_jwks_errors(void)
{
    char           err[128], big[4101];
    json_t        *j;
    llmgw_jwks_t  *set;

    j = jwk(rsa1, "bad-n");
    json_object_set_new(j, "n", json_string("not+base64/url"));
    expect_jwks_error(json_pack("[o, o]", jwk(rsa2, "rsa2"), j),
                      "bad base64 in n");

    j = jwk(rsa1, "pad-e");
    json_object_set_new(j, "e", json_string("AQAB===="));
    expect_jwks_error(json_pack("[o]", j), "padded e");

    j = jwk(ec1, "bad-x");
    json_object_set_new(j, "x", json_string("x*"));
    expect_jwks_error(json_pack("[o]", j), "bad base64 in x");

    j = jwk(rsa1, "no-e");
    json_object_del(j, "e");
    expect_jwks_error(json_pack("[o]", j), "no e");

    j = jwk(ec1, "num-y");
    json_object_set_new(j, "y", json_integer(5));
    expect_jwks_error(json_pack("[o]", j), "y a number");

    j = jwk(rsa1, "long-n");
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    json_object_set_new(j, "n", json_string(big));
    expect_jwks_error(json_pack("[o]", j), "n of 4100 letters");

    j = jwk(ec1, "crv-num");
    json_object_set_new(j, "crv", json_integer(256));
    expect_jwks_error(json_pack("[o]", j), "crv a number");

    j = jwk(rsa1, NULL);
    json_object_set_new(j, "kid", json_integer(1));
    expect_jwks_error(json_pack("[o]", j), "kid a number");

    j = jwk(rsa1, "no-kty");
    json_object_del(j, "kty");
    expect_jwks_error(json_pack("[o]", j), "no kty");

    expect_jwks_error(json_array(), "empty keys");
    expect_jwks_error(json_pack("[o]", jwk_with(jwk(rsa1, "e"), "use", "enc")),
                      "no usable key");
    expect_jwks_error(json_pack("[o, s]", jwk(rsa1, "rsa1"), "rsa2"),
                      "a key a string");

    expect_jwks_text_error("", "empty document");
    expect_jwks_text_error("{}", "no keys");
    expect_jwks_text_error("{\"keys\":{}}", "keys an object");
    expect_jwks_text_error("[]", "an array");
    expect_jwks_text_error("{\"keys\":[]", "not JSON");
    expect_jwks_text_error("{\"keys\":[],\"keys\":[]}", "keys twice");

    set = llmgw_jwks_parse(NULL, 0, err, sizeof(err));
    CHECK(set == NULL, "NULL refused");

    /* a key whose own kid repeats: both tried */
    set = jwks_of(json_pack("[o, o]", jwk(rsa2, "same"), jwk(rsa1, "same")),
                  err, sizeof(err));
    CHECK_INT(llmgw_jwks_count(set), 2, "the same kid twice");
    llmgw_jwks_free(set);

    CHECK_INT(llmgw_jwks_count(NULL), 0, "count of NULL");
    llmgw_jwks_free(NULL);
}


/* claim values */

typedef struct {
    char      buf[256];
    int       calls;
    int       stop_at;
} collect_t;


static int
collect(const char *value, size_t len, void *data)
{
    collect_t  *c;

    c = data;

    if (++c->calls == c->stop_at) {
        return -1;
    }

    if (c->buf[0]) {
        strcat(c->buf, "|");
    }

    strncat(c->buf, value, len);

    return 0;
}


static void
check_values(json_t *claims, const char *path, int want_rc, const char *want)
{
    int        rc;
    collect_t  c;

    memset(&c, 0, sizeof(c));

    rc = llmgw_oidc_claim_values(claims, path, collect, &c);

    CHECK_INT(rc, want_rc, "\"%s\"", path);
    CHECK_STR(c.buf, strlen(c.buf), want, "\"%s\" values", path);
}


static void
test_claim_values(void)
{
    char       *t;
    int         rc;
    json_t     *c;
    collect_t   col;

    t = token(ec1, H_EC1,
              claims("\"" ISS "\"", "\"llmgw-admin\"", NOW + 600,
                     ",\"realm_access\":{\"roles\":[\"admin\",\"viewer\"]},"
                     "\"resource_access\":{\"llmgw\":{\"roles\":[\"ops\"]}},"
                     "\"groups\":[\"g1\",\"Domain Admins\"],"
                     "\"scp\":\" read  write admin \","
                     "\"scope\":\"openid profile\","
                     "\"roles\":\"single role\","
                     "\"https://example.com/roles\":[\"x\"],"
                     "\"https://example.com\":{\"roles\":[\"nested\"]},"
                     "\"mixed\":[\"a\",1],"
                     "\"empty\":[],"
                     "\"flag\":true,"
                     "\"nothing\":null,"
                     "\"nested\":{\"scope\":\"a b\",\"deep\":{\"x\":{"
                     "\"y\":\"z\"}}}"));
    c = verify(t, NULL, "claims for roles");
    free(t);

    if (c == NULL) {
        return;
    }

    check_values(c, "realm_access.roles", 2, "admin|viewer");
    check_values(c, "resource_access.llmgw.roles", 1, "ops");
    check_values(c, "groups", 2, "g1|Domain Admins");
    check_values(c, "scp", 3, "read|write|admin");
    check_values(c, "scope", 2, "openid|profile");
    check_values(c, "nested.scope", 2, "a|b");
    check_values(c, "roles", 1, "single role");
    check_values(c, "https://example.com/roles", 1, "x");
    check_values(c, "nested.deep.x.y", 1, "z");
    check_values(c, "sub", 0, "");
    check_values(c, "empty", 0, "");
    check_values(c, "missing", 0, "");
    check_values(c, "realm_access.missing", 0, "");
    check_values(c, "groups.x", 0, "");
    check_values(c, "", 0, "");
    check_values(c, ".groups", 0, "");
    check_values(c, "groups.", 0, "");
    check_values(c, "realm_access..roles", 0, "");
    check_values(c, "mixed", -1, "");
    check_values(c, "realm_access", -1, "");
    check_values(c, "flag", -1, "");
    check_values(c, "nothing", -1, "");
    check_values(c, "exp", -1, "");

    memset(&col, 0, sizeof(col));
    col.stop_at = 2;
    rc = llmgw_oidc_claim_values(c, "scp", collect, &col);
    CHECK(rc == -1 && col.calls == 2 && strcmp(col.buf, "read") == 0,
          "stopped by the handler");

    memset(&col, 0, sizeof(col));
    col.stop_at = 2;
    rc = llmgw_oidc_claim_values(c, "realm_access.roles", collect, &col);
    CHECK(rc == -1 && col.calls == 2 && strcmp(col.buf, "admin") == 0,
          "stopped by the handler in an array");

    memset(&col, 0, sizeof(col));
    col.stop_at = 1;
    rc = llmgw_oidc_claim_values(c, "roles", collect, &col);
    CHECK(rc == -1 && col.calls == 1, "stopped on a single string");

    CHECK_INT(llmgw_oidc_claim_values(NULL, "groups", collect, &col), 0,
              "no claims");
    CHECK_INT(llmgw_oidc_claim_values(c, NULL, collect, &col), 0, "no path");

    json_decref(c);
}


int
main(void)
{
    (void) unit_read_file;      /* no fixtures: every key is made here */

    setup();

    test_valid();
    test_tampered();
    test_es256_der();
    test_kid();
    test_alg();
    test_format();
    test_issuer_audience();
    test_times();
    test_jwks_skipped();
    test_jwks_kept();
    test_jwks_errors();
    test_claim_values();

    CHECK(ERR_peek_error() == 0, "OpenSSL's error queue left empty");

    llmgw_jwks_free(jwks);
    EVP_PKEY_free(rsa1);
    EVP_PKEY_free(rsa2);
    EVP_PKEY_free(ec1);
    EVP_PKEY_free(other_rsa);
    EVP_PKEY_free(other_ec);

    UNIT_DONE("unit_oidc");
}
