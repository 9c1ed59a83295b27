/*
 * llmgw: AWS Signature Version 4, header form (AWS4-HMAC-SHA256).
 *
 * Plain C and OpenSSL's libcrypto, no nginx headers: the unit tests build
 * it alone.  Nothing here keeps state; the caller gives every buffer.
 *
 * The canonical request:
 *
 *   method
 *   canonical URI: the path exactly as given, every byte but the
 *       unreserved ones (A-Z a-z 0-9 - _ . ~) and '/' percent-encoded with
 *       uppercase hex, '%' included.  A path the caller encoded for the
 *       wire is thus encoded twice, as every service but S3 wants: Bedrock's
 *       /model/anthropic.claude-v2%3A1/converse signs as
 *       /model/anthropic.claude-v2%253A1/converse; a raw path (the test
 *       suite's "/example space/", UTF-8) comes out encoded once.  With
 *       normalize, empty, "." and ".." segments go first (as botocore does:
 *       "//a//" is "/a/", "/a/b/.." is "/a").  An empty path is "/".
 *   canonical query: the parameters split at '&' (empty ones dropped) and
 *       at the first '=', each name and value decoded and encoded again (so
 *       %e1, %E1 and a raw 0xE1 sign alike; '+' is a plus, not a space),
 *       sorted by encoded name, then encoded value; "name=value" joined by
 *       '&', the '=' there even when the value is empty.
 *   canonical headers: every header given, names lowercased and sorted,
 *       values trimmed and runs of whitespace (SP, HT, CR, LF: a folded
 *       line too) collapsed to one space, the values of a repeated name
 *       joined by ',' in the order given; "name:value\n" each
 *   (blank line)
 *   signed headers: the lowercased names joined by ';'
 *   payload hash
 *
 * Bad input makes every function below return -1: a path not starting
 * with '/', a '%' in the path or query not followed by two hex digits, a
 * header name empty or holding a space, control byte or ':', an amz_date
 * not "YYYYMMDDTHHMMSSZ", a normalized path of more than
 * LLMGW_SIGV4_MAX_SEGMENTS segments.
 */

#ifndef _LLMGW_SIGV4_H_INCLUDED_
#define _LLMGW_SIGV4_H_INCLUDED_

#include <stddef.h>


#define LLMGW_SIGV4_MAX_SEGMENTS  256


typedef struct {
    const char                  *name;
    size_t                       name_len;
    const char                  *value;
    size_t                       value_len;
} llmgw_sigv4_header_t;


typedef struct {
    const char                  *method;
    const char                  *path;        /* as on the wire */
    size_t                       path_len;
    const char                  *query;       /* after '?'; may be empty */
    size_t                       query_len;

    /* every header to sign: host, x-amz-date, x-amz-security-token,
     * content-type...; names in any case, repeats allowed */
    const llmgw_sigv4_header_t  *headers;
    size_t                       nheaders;

    /* the payload hash line as is (64 lowercase hex digits, or
     * "UNSIGNED-PAYLOAD"), or NULL: the SHA-256 of body */
    const char                  *payload_hash;
    const void                  *body;
    size_t                       body_len;

    const char                  *access_key;
    size_t                       access_key_len;
    const char                  *secret_key;
    size_t                       secret_key_len;
    const char                  *region;
    const char                  *service;
    const char                  *amz_date;    /* "YYYYMMDDTHHMMSSZ" */

    /* 32 bytes from llmgw_sigv4_signing_key() for amz_date's day, region
     * and service, or NULL: derived from secret_key on each call */
    const unsigned char         *signing_key;

    /* remove empty, "." and ".." segments: every service but S3 */
    unsigned                     normalize:1;
} llmgw_sigv4_req_t;


/* HMAC chain of "AWS4" secret, date8 ("YYYYMMDD"), region, service,
 * "aws4_request": valid for a day.  Returns 0, or -1 when date8 is not
 * eight digits or libcrypto failed. */
int llmgw_sigv4_signing_key(const char *secret, size_t secret_len,
    const char *date8, const char *region, const char *service,
    unsigned char key[32]);

/* Each writes into out (size bytes, NUL-terminated) and returns the
 * length, or -1 when out is too small, the input is bad or libcrypto
 * failed; out holds nothing of use then. */
int llmgw_sigv4_canonical_request(const llmgw_sigv4_req_t *req, char *out,
    size_t size);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<date8>/<region>/<service>/aws4_request\n"
 * and the hex SHA-256 of the canonical request, which is never held whole:
 * out needs room for this string only */
int llmgw_sigv4_string_to_sign(const llmgw_sigv4_req_t *req, char *out,
    size_t size);

/* the Authorization header's value: "AWS4-HMAC-SHA256 Credential=<access
 * key>/<date8>/<region>/<service>/aws4_request, SignedHeaders=<signed
 * headers>, Signature=<64 hex digits>" */
int llmgw_sigv4_authorization(const llmgw_sigv4_req_t *req, char *out,
    size_t size);

/* lowercase hex SHA-256 of p, NUL-terminated; 0, or -1 when libcrypto
 * failed */
int llmgw_sigv4_sha256_hex(const void *p, size_t len, char out[65]);


#endif /* _LLMGW_SIGV4_H_INCLUDED_ */
