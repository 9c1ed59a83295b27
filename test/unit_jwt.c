/*
 * Unit tests of src/llmgw_jwt.c: base64url both ways, JSON quoting, key
 * loading, a known answer computed with `openssl dgst -sha256 -sign`, and
 * a Google assertion taken apart, read with jansson and verified with the
 * public key.
 */

#include <stdint.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "llmgw_jwt.h"
#include "unit.h"


#define S(s)  (const unsigned char *) (s), sizeof(s) - 1

#define STR(s)  { (const unsigned char *) (s), sizeof(s) - 1 }


static const char  *fixtures = "fixtures";


/*
 * The known answer: header and claims below signed with
 * fixtures/jwt-test-key.pem by
 *
 *   b64u() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
 *   IN="$(printf %s "$H" | b64u).$(printf %s "$C" | b64u)"
 *   printf %s "$IN" | openssl dgst -sha256 -sign jwt-test-key.pem -binary \
 *       | b64u
 */

static const char  kat_header[] =
    "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"test-key-1\"}";

static const char  kat_claims[] =
    "{\"iss\":\"llmgw-test@example.iam.gserviceaccount.com\","
    "\"scope\":\"https://www.googleapis.com/auth/cloud-platform\","
    "\"aud\":\"https://oauth2.googleapis.com/token\","
    "\"iat\":1700000000,\"exp\":1700003600}";

static const char  kat_jwt[] =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InRlc3Qta2V5LTEifQ."
    "eyJpc3MiOiJsbG1ndy10ZXN0QGV4YW1wbGUuaWFtLmdzZXJ2aWNlYWNjb3VudC5jb20i"
    "LCJzY29wZSI6Imh0dHBzOi8vd3d3Lmdvb2dsZWFwaXMuY29tL2F1dGgvY2xvdWQtcGxh"
    "dGZvcm0iLCJhdWQiOiJodHRwczovL29hdXRoMi5nb29nbGVhcGlzLmNvbS90b2tlbiIs"
    "ImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ."
    "TSaRc3T0RA_qG_WUvhaArLvH41VHQy8P3e_TIh0RRrc3toF3xxz8d7Rjx6_x7Ne5gqV-"
    "ihrc5iCwYrWZs2Jjj2bKV9fJTQ3LYoZxJGWkXtQUdVInDgWEb8_MbvagQdEzp6twUjVG"
    "hS0Tx5VfLx9G0rsGEKMva8d7ac0A9DLHO-TKWYIF4-RtsUPB0MqgTUNG3p1aECdzqgBr"
    "KkyWVxDjTSodu4wxtMA1k1t-BeHLWMySu1JFthkaNpkGxpFjNgFP0gkOZHimooVLuOKa"
    "23q2WOAZe3RiqDUbkAeiAEgFgKbBpK5H3Voak9ASeNVpWOcIkTFhM62j0jvV_PWDhBgA"
    "5g";

static const llmgw_jwt_google_t  kat_google = {
    STR("test-key-1"),
    STR("llmgw-test@example.iam.gserviceaccount.com"),
    STR("https://www.googleapis.com/auth/cloud-platform"),
    STR("https://oauth2.googleapis.com/token")
};


static int
b64url_alphabet(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')
              || (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


static void
test_b64url_vectors(void)
{
    size_t          i, n;
    unsigned char   out[64], back[64];

    /* RFC 4648, section 10, without the padding */
    static const struct {
        const char  *in;
        const char  *out;
    } v[] = {
        { "", "" },
        { "f", "Zg" },
        { "fo", "Zm8" },
        { "foo", "Zm9v" },
        { "foob", "Zm9vYg" },
        { "fooba", "Zm9vYmE" },
        { "foobar", "Zm9vYmFy" },
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        n = llmgw_b64url_encode(out, (const unsigned char *) v[i].in,
                                strlen(v[i].in));
        CHECK_STR(out, n, v[i].out, "encode \"%s\"", v[i].in);
        CHECK_INT(n, LLMGW_B64URL_LEN(strlen(v[i].in)), "length");

        n = llmgw_b64url_decode(back, out, n);
        CHECK_MEM(back, n, v[i].in, strlen(v[i].in), "decode \"%s\"",
                  v[i].out);
    }

    /* the two letters where base64url differs from base64: "+/8=" */
    n = llmgw_b64url_encode(out, S("\xfb\xff"));
    CHECK_STR(out, n, "-_8", "url alphabet");

    n = llmgw_b64url_encode(out, S("\xfb\xef\xbe"));
    CHECK_STR(out, n, "----", "62");

    n = llmgw_b64url_encode(out, S("\xff\xff\xff"));
    CHECK_STR(out, n, "____", "63");
}


static void
test_b64url_round_trip(void)
{
    size_t          len, n, i;
    unsigned char   in[300], enc[400], dec[300];

    for (i = 0; i < sizeof(in); i++) {
        in[i] = (unsigned char) (i * 37 + 11);
    }

    for (len = 0; len <= sizeof(in); len++) {
        n = llmgw_b64url_encode(enc, in, len);

        if (n != LLMGW_B64URL_LEN(len) || !b64url_alphabet(enc, n)
            || memchr(enc, '=', n))
        {
            UNIT_FAIL("encode of %zu bytes: %zu chars", len, n);
            continue;
        }

        n = llmgw_b64url_decode(dec, enc, n);

        if (n != len || memcmp(dec, in, len) != 0) {
            UNIT_FAIL("round trip of %zu bytes", len);
            continue;
        }

        unit_passed++;
    }
}


static void
test_b64url_rejects(void)
{
    unsigned char  out[16];

    CHECK_INT(llmgw_b64url_decode(out, S("Zg==")), (size_t) -1, "padding");
    CHECK_INT(llmgw_b64url_decode(out, S("+/8")), (size_t) -1, "base64");
    CHECK_INT(llmgw_b64url_decode(out, S("Zm9vY")), (size_t) -1, "5 chars");
    CHECK_INT(llmgw_b64url_decode(out, S("Zh")), (size_t) -1, "stray bits");
    CHECK_INT(llmgw_b64url_decode(out, S("Zm9")), (size_t) -1, "stray bits");
    CHECK_INT(llmgw_b64url_decode(out, S("Zm 9")), (size_t) -1, "space");
    CHECK_INT(llmgw_b64url_decode(out, S("Zm8")), 2, "canonical");
}


static void
test_json_quote(void)
{
    unsigned char   buf[64], *p;

    static const char  want[] = "\"a\\\"b\\\\c\\u000a\\u001f\xc3\xa9/\"";

    p = llmgw_jwt_json_quote(buf, buf + sizeof(buf),
                             S("a\"b\\c\n\x1f\xc3\xa9/"));
    CHECK(p != NULL, "quoted");

    if (p) {
        CHECK_STR(buf, p - buf, want, "escapes");
    }

    p = llmgw_jwt_json_quote(buf, buf + sizeof(want) - 1,
                             S("a\"b\\c\n\x1f\xc3\xa9/"));
    CHECK(p == buf + sizeof(want) - 1, "fits exactly");

    p = llmgw_jwt_json_quote(buf, buf + sizeof(want) - 2,
                             S("a\"b\\c\n\x1f\xc3\xa9/"));
    CHECK(p == NULL, "one byte short");

    p = llmgw_jwt_json_quote(buf, buf + 4, S("a\n"));
    CHECK(p == NULL, "an escape past the end");

    p = llmgw_jwt_json_quote(buf, buf + 2, S(""));
    CHECK(p == buf + 2 && buf[0] == '"' && buf[1] == '"', "empty");
}


static EVP_PKEY *
load_fixture_key(void)
{
    char            err[256];
    size_t          len;
    EVP_PKEY       *key;
    unsigned char  *pem;

    pem = unit_read_file(fixtures, "jwt-test-key.pem", &len);

    key = llmgw_jwt_load_key(pem, len, err, sizeof(err));
    if (key == NULL) {
        fprintf(stderr, "jwt-test-key.pem: %s\n", err);
        exit(2);
    }

    free(pem);

    return key;
}


static EVP_PKEY *
reload_key_pem(EVP_PKEY *key, const EVP_CIPHER *cipher, char *err,
    size_t errlen)
{
    long            len;
    BIO            *bio;
    char           *pem;
    EVP_PKEY       *k;

    bio = BIO_new(BIO_s_mem());

    if (cipher) {
        PEM_write_bio_PKCS8PrivateKey(bio, key, cipher, (char *) "secret", 6,
                                      NULL, NULL);
    } else {
        PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    }

    len = BIO_get_mem_data(bio, &pem);

    k = llmgw_jwt_load_key((unsigned char *) pem, (size_t) len, err, errlen);

    BIO_free(bio);

    return k;
}


static void
test_load_key(EVP_PKEY *rsa)
{
    char       err[256];
    size_t     len;
    EVP_PKEY  *ec, *k;
    unsigned char  *pem;

    k = reload_key_pem(rsa, NULL, err, sizeof(err));
    CHECK(k != NULL && EVP_PKEY_eq(k, rsa) == 1, "PKCS#8 RSA key");
    EVP_PKEY_free(k);

    err[0] = '\0';
    k = reload_key_pem(rsa, EVP_aes_128_cbc(), err, sizeof(err));
    CHECK(k == NULL && strstr(err, "unencrypted") != NULL,
          "an encrypted key is refused, without a prompt: \"%s\"", err);
    EVP_PKEY_free(k);

    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(ec != NULL, "EC key made");

    if (ec) {
        err[0] = '\0';
        k = reload_key_pem(ec, NULL, err, sizeof(err));
        CHECK(k == NULL && strcmp(err, "is not an RSA key") == 0,
              "EC key refused: \"%s\"", err);
        EVP_PKEY_free(k);
        EVP_PKEY_free(ec);
    }

    err[0] = '\0';
    k = llmgw_jwt_load_key(S("-----BEGIN PRIVATE KEY-----\nnot base64!\n"
                             "-----END PRIVATE KEY-----\n"), err, sizeof(err));
    CHECK(k == NULL && err[0] != '\0', "garbage refused: \"%s\"", err);

    k = llmgw_jwt_load_key(S(""), err, sizeof(err));
    CHECK(k == NULL, "empty refused");

    /* the PEM as a service-account file holds it: the same key */
    pem = unit_read_file(fixtures, "jwt-test-key.pem", &len);
    k = llmgw_jwt_load_key(pem, len, err, sizeof(err));
    CHECK(k != NULL && EVP_PKEY_bits(k) == 2048, "fixture key");
    EVP_PKEY_free(k);
    free(pem);

    CHECK(ERR_peek_error() == 0, "OpenSSL's error queue left empty");
}


static void
test_known_answer(EVP_PKEY *key)
{
    size_t          n, size;
    unsigned char   buf[2048];

    size = llmgw_jwt_rs256_size(key, sizeof(kat_header) - 1,
                                sizeof(kat_claims) - 1);
    CHECK_INT(size, sizeof(kat_jwt) - 1, "exact size for RS256-2048");

    n = llmgw_jwt_rs256(key, S(kat_header), S(kat_claims), buf, sizeof(buf));
    CHECK_STR(buf, n, kat_jwt, "openssl dgst's signature");

    n = llmgw_jwt_rs256(key, S(kat_header), S(kat_claims), buf, size - 1);
    CHECK_INT(n, 0, "a buffer one byte short");

    n = llmgw_jwt_google(key, &kat_google, 1700000000, buf, sizeof(buf));
    CHECK_STR(buf, n, kat_jwt, "the Google assertion, byte for byte");
    CHECK(llmgw_jwt_google_size(key, &kat_google) >= n, "size bound");

    n = llmgw_jwt_google(key, &kat_google, 1700000000, buf, n - 1);
    CHECK_INT(n, 0, "google: a buffer too short");
}


/* part i of a JWT, decoded */
static size_t
jwt_part(const unsigned char *jwt, size_t len, int i, unsigned char *out)
{
    const unsigned char  *p, *end, *dot;

    p = jwt;
    end = jwt + len;

    for ( ;; ) {
        dot = memchr(p, '.', end - p);

        if (i-- == 0) {
            return llmgw_b64url_decode(out, p, (dot ? dot : end) - p);
        }

        if (dot == NULL) {
            return (size_t) -1;
        }

        p = dot + 1;
    }
}


static int
verify(EVP_PKEY *pub, const unsigned char *jwt, size_t len)
{
    int                   ok;
    size_t                siglen;
    EVP_MD_CTX           *md;
    unsigned char         sig[1024];
    const unsigned char  *dot;

    dot = memchr(jwt, '.', len);
    dot = dot ? memchr(dot + 1, '.', jwt + len - dot - 1) : NULL;

    if (dot == NULL) {
        return 0;
    }

    siglen = llmgw_b64url_decode(sig, dot + 1, jwt + len - dot - 1);
    if (siglen == (size_t) -1) {
        return 0;
    }

    md = EVP_MD_CTX_new();

    ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1
         && EVP_DigestVerify(md, sig, siglen, jwt, dot - jwt) == 1;

    EVP_MD_CTX_free(md);
    ERR_clear_error();

    return ok;
}


static EVP_PKEY *
public_key(EVP_PKEY *key)
{
    BIO       *bio;
    EVP_PKEY  *pub;

    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);

    return pub;
}


static void
check_string(json_t *obj, const char *name, const char *want)
{
    json_t  *v;

    v = json_object_get(obj, name);

    CHECK(json_is_string(v) && strcmp(json_string_value(v), want) == 0,
          "\"%s\" is \"%s\"", name, want);
}


static void
test_google_assertion(void)
{
    size_t          n, len, dots, i;
    json_t         *h, *c;
    EVP_PKEY       *key, *pub, *other;
    unsigned char   jwt[2048], part[1024];

    static const llmgw_jwt_google_t  g = {
        STR("0123456789abcdef0123456789abcdef01234567"),
        STR("odd\"name\\@proj.iam.gserviceaccount.com"),
        STR("https://www.googleapis.com/auth/cloud-platform"),
        STR("https://oauth2.googleapis.com/token")
    };

    static const llmgw_jwt_google_t  nokid = {
        { NULL, 0 },
        STR("a@b"),
        STR("s"),
        STR("https://example.com/token")
    };

    key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    pub = public_key(key);
    other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);

    if (key == NULL || pub == NULL || other == NULL) {
        UNIT_FAIL("RSA keys not made");
        return;
    }

    len = llmgw_jwt_google(key, &g, 1754000000, jwt, sizeof(jwt));
    CHECK(len > 0 && len <= llmgw_jwt_google_size(key, &g), "signed: %zu",
          len);

    for (i = 0, dots = 0; i < len; i++) {
        dots += (jwt[i] == '.');
    }

    CHECK_INT(dots, 2, "three parts");
    CHECK(memchr(jwt, '=', len) == NULL, "no padding");

    for (i = 0; i < len; i++) {
        if (jwt[i] != '.' && !b64url_alphabet(&jwt[i], 1)) {
            break;
        }
    }

    CHECK_INT(i, len, "base64url letters only");

    n = jwt_part(jwt, len, 0, part);
    h = (n == (size_t) -1) ? NULL : json_loadb((char *) part, n, 0, NULL);
    CHECK(json_is_object(h), "header is JSON");

    if (h) {
        CHECK_INT(json_object_size(h), 3, "alg, typ, kid");
        check_string(h, "alg", "RS256");
        check_string(h, "typ", "JWT");
        check_string(h, "kid", "0123456789abcdef0123456789abcdef01234567");
        json_decref(h);
    }

    n = jwt_part(jwt, len, 1, part);
    c = (n == (size_t) -1) ? NULL : json_loadb((char *) part, n, 0, NULL);
    CHECK(json_is_object(c), "claims are JSON");

    if (c) {
        CHECK_INT(json_object_size(c), 5, "iss, scope, aud, iat, exp");
        check_string(c, "iss", "odd\"name\\@proj.iam.gserviceaccount.com");
        check_string(c, "scope",
                     "https://www.googleapis.com/auth/cloud-platform");
        check_string(c, "aud", "https://oauth2.googleapis.com/token");
        CHECK(json_is_integer(json_object_get(c, "iat"))
              && json_integer_value(json_object_get(c, "iat")) == 1754000000,
              "iat");
        CHECK(json_is_integer(json_object_get(c, "exp"))
              && json_integer_value(json_object_get(c, "exp"))
                 == 1754000000 + 3600, "exp an hour later");
        json_decref(c);
    }

    n = jwt_part(jwt, len, 2, part);
    CHECK_INT(n, 256, "a 2048-bit signature");

    CHECK(verify(pub, jwt, len), "signature verifies with the public key");
    CHECK(!verify(other, jwt, len), "and not with another key");

    /* a changed letter of the claims breaks it */
    jwt[(unsigned char *) memchr(jwt, '.', len) - jwt + 5] ^= 0x01;
    CHECK(!verify(pub, jwt, len), "tampered claims fail");

    len = llmgw_jwt_google(key, &nokid, 1, jwt, sizeof(jwt));
    n = jwt_part(jwt, len, 0, part);
    CHECK_STR(part, n, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "no kid");
    CHECK(verify(pub, jwt, len), "verifies");

    EVP_PKEY_free(key);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(other);
}


static void
test_not_rsa(void)
{
    EVP_PKEY       *ec;
    unsigned char   buf[2048];

    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (ec == NULL) {
        UNIT_FAIL("EC key not made");
        return;
    }

    CHECK_INT(llmgw_jwt_rs256(ec, S("{}"), S("{}"), buf, sizeof(buf)), 0,
              "RS256 wants RSA");

    EVP_PKEY_free(ec);
}


int
main(int argc, char **argv)
{
    EVP_PKEY  *key;

    if (argc > 1) {
        fixtures = argv[1];
    }

    key = load_fixture_key();

    test_b64url_vectors();
    test_b64url_round_trip();
    test_b64url_rejects();
    test_json_quote();
    test_load_key(key);
    test_known_answer(key);
    test_google_assertion();
    test_not_rsa();

    EVP_PKEY_free(key);

    UNIT_DONE("unit_jwt");
}
