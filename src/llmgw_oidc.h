/*
 * llmgw: bearer tokens of an OpenID Connect identity provider (Okta,
 * Entra ID, Google, Keycloak): a compact JWS signed RS256 or ES256 with a
 * key of the provider's JWKS, then its registered claims (RFC 7515, 7517,
 * 7518, 7519).
 *
 * Plain C on libcrypto and jansson, no nginx headers: the unit tests and
 * a fuzz target build it alone.  A key set never changes once parsed, so
 * threads may share it.
 *
 * Every error message starts with its reason: "malformed", "alg", "kid",
 * "signature", "issuer", "audience", "expired", "not yet valid" (or
 * "check" for a bad llmgw_oidc_check_t), then perhaps ": detail".  None
 * ever holds a byte of the token.
 */

#ifndef _LLMGW_OIDC_H_INCLUDED_
#define _LLMGW_OIDC_H_INCLUDED_

#include <stddef.h>
#include <time.h>

#include <jansson.h>


#define LLMGW_JWKS_KEYS_MAX     64      /* entries of "keys", usable or not */
#define LLMGW_OIDC_TOKEN_MAX    16384
#define LLMGW_OIDC_LEEWAY_MAX   300
#define LLMGW_OIDC_KID_MAX      255


typedef struct llmgw_jwks_s  llmgw_jwks_t;


typedef struct {
    const char           *issuer;        /* "iss" is exactly this */
    const char          **audiences;     /* "aud" holds one of these */
    size_t                naudiences;    /* at least 1 */
    long                  leeway;        /* seconds, 0..LEEWAY_MAX */
    time_t                now;
} llmgw_oidc_check_t;


/* 0 to go on, -1 to stop the walk (which then returns -1) */
typedef int (*llmgw_oidc_value_pt)(const char *value, size_t len,
    void *data);


/*
 * A JWKS document, {"keys":[...]}, the size of which the caller bounds.
 * Kept: RSA keys of 2048 to 8192 bits (odd e of at most 32 bits) and EC
 * P-256 keys on the curve, whose "use" is absent or "sig", "alg" absent
 * or RS256, ES256 to match, and "kid" absent or at most
 * LLMGW_OIDC_KID_MAX bytes.  Other keys are skipped; "x5c" is ignored.
 * NULL with a message when the document is not JSON, has no "keys" array
 * or more than LLMGW_JWKS_KEYS_MAX entries, an entry is not an object, has
 * no "kty", a member of the wrong JSON type, bad or overlong base64url, or
 * when no key is kept.
 */
llmgw_jwks_t *llmgw_jwks_parse(const unsigned char *json, size_t len,
    char *err, size_t errlen);
void llmgw_jwks_free(llmgw_jwks_t *keys);
size_t llmgw_jwks_count(const llmgw_jwks_t *keys);

/*
 * Verifies token (compact JWS, canonical unpadded base64url, at most
 * LLMGW_OIDC_TOKEN_MAX bytes; header "alg" RS256 or ES256, no "crit")
 * with the keys of its "kid" and alg, or with every key of its alg when
 * it has no "kid"; then "iss", "aud", "exp" (required), "nbf" and "iat"
 * against chk.  Returns 0 and, if claims is not NULL, the claims object
 * (a new reference) in *claims; or -1 and the reason in err.
 */
int llmgw_oidc_verify(const llmgw_jwks_t *keys, const char *token,
    size_t len, const llmgw_oidc_check_t *chk, json_t **claims, char *err,
    size_t errlen);

/*
 * Calls handler with each string of the claim at path: a name, or names
 * joined by dots into nested objects ("realm_access.roles"); a top-level
 * name holding dots, such as a URL, is found first.  The claim is a string
 * or an array of strings; a string named "scope" or "scp" is split on
 * spaces.  Returns the number of strings handed over (0 when the claim is
 * absent), or -1 when it is of another type, or holds one, or handler
 * returned -1.
 */
int llmgw_oidc_claim_values(const json_t *claims, const char *path,
    llmgw_oidc_value_pt handler, void *data);


#endif /* _LLMGW_OIDC_H_INCLUDED_ */
