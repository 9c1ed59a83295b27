/*
 * llmgw: RS256 JSON Web Tokens, for the assertion a Google service account
 * trades for an OAuth2 access token (RFC 7515, 7519, 7523).
 *
 * Plain C and OpenSSL's libcrypto, no nginx headers: the unit tests build
 * it alone.  Nothing here keeps state; the caller gives every buffer.
 */

#ifndef _LLMGW_JWT_H_INCLUDED_
#define _LLMGW_JWT_H_INCLUDED_

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>


/* base64url without padding: the length of n bytes encoded */
#define LLMGW_B64URL_LEN(n)  (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

#define LLMGW_JWT_LIFETIME   3600


typedef struct {
    const unsigned char  *data;
    size_t                len;
} llmgw_jwt_str_t;


/* what a Google service account's assertion says */
typedef struct {
    llmgw_jwt_str_t       kid;      /* private_key_id; may be empty */
    llmgw_jwt_str_t       iss;      /* client_email */
    llmgw_jwt_str_t       scope;
    llmgw_jwt_str_t       aud;      /* token_uri */
} llmgw_jwt_google_t;


size_t llmgw_b64url_encode(unsigned char *dst, const unsigned char *src,
    size_t len);

/* returns the decoded length, or (size_t) -1 when src is not canonical
 * unpadded base64url; dst holds len * 3 / 4 bytes */
size_t llmgw_b64url_decode(unsigned char *dst, const unsigned char *src,
    size_t len);

/* a JSON string, quotes included; returns its end, or NULL when it does
 * not fit before end */
unsigned char *llmgw_jwt_json_quote(unsigned char *dst, unsigned char *end,
    const unsigned char *s, size_t len);

/* Writes "b64(header).b64(claims).b64(signature)" to dst; returns its
 * length, or 0 when it does not fit in size or OpenSSL failed. */
size_t llmgw_jwt_rs256(EVP_PKEY *key, const unsigned char *header,
    size_t hlen, const unsigned char *claims, size_t clen,
    unsigned char *dst, size_t size);
size_t llmgw_jwt_rs256_size(EVP_PKEY *key, size_t hlen, size_t clen);

/* The assertion of a service account, issued at iat for an hour:
 * header {"alg":"RS256","typ":"JWT","kid"}, claims {"iss","scope","aud",
 * "iat","exp"}.  Returns its length, or 0. */
size_t llmgw_jwt_google(EVP_PKEY *key, const llmgw_jwt_google_t *g,
    time_t iat, unsigned char *dst, size_t size);
size_t llmgw_jwt_google_size(EVP_PKEY *key, const llmgw_jwt_google_t *g);

/* An RSA private key from PEM (PKCS#8 or PKCS#1), never prompting for a
 * passphrase.  On failure returns NULL and err names what is wrong, never
 * with key material. */
EVP_PKEY *llmgw_jwt_load_key(const unsigned char *pem, size_t len,
    char *err, size_t errlen);


#endif /* _LLMGW_JWT_H_INCLUDED_ */
