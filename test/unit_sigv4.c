/*
 * Unit tests of src/llmgw_sigv4.c: AWS's Signature Version 4 test suite
 * (fixtures/sigv4, from awslabs/aws-c-auth), a Bedrock request signed by
 * botocore, the canonical forms of paths, queries and headers, buffers too
 * small, and hostile input under ASan.
 *
 * All 38 cases of the suite are checked in their header form: canonical
 * request, string to sign, signature and the Authorization header.  None
 * is skipped; their query-* files (presigned URLs, X-Amz-Expires) are not
 * copied, presigning being out of scope.
 */

#include <stdint.h>

#include <jansson.h>

#include "llmgw_sigv4.h"
#include "unit.h"


#define MAX_HEADERS  16


static const char  *fixtures = "fixtures";


static const char  *cases[] = {
    "get-header-key-duplicate", "get-header-value-multiline",
    "get-header-value-order", "get-header-value-trim",
    "get-relative-normalized", "get-relative-relative-normalized",
    "get-relative-relative-unnormalized", "get-relative-unnormalized",
    "get-slash-dot-slash-normalized", "get-slash-dot-slash-unnormalized",
    "get-slash-normalized", "get-slash-pointless-dot-normalized",
    "get-slash-pointless-dot-unnormalized", "get-slash-unnormalized",
    "get-slashes-normalized", "get-slashes-unnormalized",
    "get-space-normalized", "get-space-unnormalized", "get-unreserved",
    "get-utf8", "get-vanilla", "get-vanilla-empty-query-key",
    "get-vanilla-query", "get-vanilla-query-order-encoded",
    "get-vanilla-query-order-key-case", "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query", "get-vanilla-with-session-token",
    "post-header-key-case", "post-header-key-sort", "post-header-value-case",
    "post-sts-header-after", "post-sts-header-before", "post-vanilla",
    "post-vanilla-empty-query-value", "post-vanilla-query",
    "post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters"
};


/* one case of the suite, as a request to sign */

typedef struct {
    const char            *name;
    char                  *request;
    json_t                *context;
    char                   method[16];
    char                   amz_date[17];
    char                   body_hash[65];
    llmgw_sigv4_header_t   headers[MAX_HEADERS];
    llmgw_sigv4_req_t      req;
} vcase_t;


static char *
read_text(const char *name, const char *file, size_t *len)
{
    char    path[256];
    size_t  n;
    char   *s;

    snprintf(path, sizeof(path), "sigv4/%s/%s", name, file);
    s = (char *) unit_read_file(fixtures, path, &n);

    /* the suite's files end without a newline; in case one is added */
    while (n && s[n - 1] == '\n') {
        s[--n] = '\0';
    }

    if (len) {
        *len = n;
    }

    return s;
}


static void
add_header(vcase_t *c, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
    llmgw_sigv4_header_t  *h;

    if (c->req.nheaders == MAX_HEADERS) {
        fprintf(stderr, "%s: too many headers\n", c->name);
        exit(2);
    }

    h = &c->headers[c->req.nheaders++];
    h->name = name;
    h->name_len = nlen;
    h->value = value;
    h->value_len = vlen;
}


/*
 * "METHOD target HTTP/1.1" (the target may hold spaces), "Name:value"
 * lines, a line starting with a space continuing the value before it,
 * then a blank line and the body, if any.
 */

static int
parse_request(vcase_t *c)
{
    char  *p, *eol, *sp, *target, *colon, *end;

    p = c->request;
    end = p + strlen(p);

    eol = strchr(p, '\n');
    eol = eol ? eol : end;

    sp = memchr(p, ' ', eol - p);
    if (sp == NULL || sp - p >= (int) sizeof(c->method)) {
        return -1;
    }

    snprintf(c->method, sizeof(c->method), "%.*s", (int) (sp - p), p);
    target = sp + 1;

    for (sp = eol; sp > target && sp[-1] != ' '; sp--) {
        /* void */
    }

    if (sp == target) {
        return -1;
    }

    c->req.path = target;
    c->req.path_len = sp - 1 - target;

    p = memchr(target, '?', c->req.path_len);

    if (p) {
        c->req.query = p + 1;
        c->req.query_len = target + c->req.path_len - p - 1;
        c->req.path_len = p - target;
    }

    for (p = eol; p < end && *++p != '\n'; p = eol) {
        eol = strchr(p, '\n');
        eol = eol ? eol : end;

        if (*p == ' ' || *p == '\t') {
            if (c->req.nheaders == 0) {
                return -1;
            }

            c->headers[c->req.nheaders - 1].value_len =
                eol - c->headers[c->req.nheaders - 1].value;
            continue;
        }

        colon = memchr(p, ':', eol - p);
        if (colon == NULL) {
            return -1;
        }

        add_header(c, p, colon - p, colon + 1, eol - colon - 1);
    }

    if (p < end) {
        c->req.body = p + 1;
        c->req.body_len = end - p - 1;
    }

    return 0;
}


static int
load_case(vcase_t *c, const char *name)
{
    char          path[256];
    const char   *ts, *s, *token;
    json_t       *cx, *creds;
    json_error_t  err;
    size_t        i, n;

    memset(c, 0, sizeof(vcase_t));
    c->name = name;
    c->request = read_text(name, "request.txt", NULL);

    snprintf(path, sizeof(path), "%s/sigv4/%s/context.json", fixtures, name);
    c->context = cx = json_load_file(path, 0, &err);

    if (cx == NULL || parse_request(c) != 0) {
        UNIT_FAIL("%s: cannot read the case", name);
        return -1;
    }

    creds = json_object_get(cx, "credentials");

    c->req.method = c->method;
    c->req.access_key = json_string_value(json_object_get(creds,
                                                          "access_key_id"));
    c->req.secret_key = json_string_value(json_object_get(creds,
                                                    "secret_access_key"));
    c->req.region = json_string_value(json_object_get(cx, "region"));
    c->req.service = json_string_value(json_object_get(cx, "service"));
    c->req.normalize = json_is_true(json_object_get(cx, "normalize"));

    if (c->req.access_key == NULL || c->req.secret_key == NULL) {
        UNIT_FAIL("%s: no credentials", name);
        return -1;
    }

    c->req.access_key_len = strlen(c->req.access_key);
    c->req.secret_key_len = strlen(c->req.secret_key);

    /* "2015-08-30T12:36:00Z" is "20150830T123600Z" */

    ts = json_string_value(json_object_get(cx, "timestamp"));

    for (s = ts, n = 0; s && *s && n < 16; s++) {
        if (*s != '-' && *s != ':') {
            c->amz_date[n++] = *s;
        }
    }

    c->req.amz_date = c->amz_date;

    /* what the signer of the suite adds before signing */

    add_header(c, "X-Amz-Date", 10, c->amz_date, strlen(c->amz_date));

    token = json_string_value(json_object_get(creds, "token"));

    if (token && !json_is_true(json_object_get(cx, "omit_session_token"))) {
        add_header(c, "X-Amz-Security-Token", 20, token, strlen(token));
    }

    if (json_is_true(json_object_get(cx, "sign_body"))) {
        llmgw_sigv4_sha256_hex(c->req.body, c->req.body_len, c->body_hash);
        add_header(c, "x-amz-content-sha256", 20, c->body_hash, 64);
    }

    for (i = 0; i < c->req.nheaders; i++) {
        if (c->headers[i].name_len == 0) {
            UNIT_FAIL("%s: empty header name", name);
            return -1;
        }
    }

    c->req.headers = c->headers;

    return 0;
}


static char *
copy_str(const char *s)
{
    char    *c;
    size_t   n;

    n = strlen(s) + 1;
    c = malloc(n);
    memcpy(c, s, n);

    return c;
}


static void
free_case(vcase_t *c)
{
    free(c->request);
    json_decref(c->context);
}


/* the Authorization header of header-signed-request.txt */
static char *
signed_authorization(const char *name)
{
    char  *text, *p, *eol, *value;

    text = read_text(name, "header-signed-request.txt", NULL);
    p = strstr(text, "\nAuthorization:");
    value = NULL;

    if (p) {
        p += sizeof("\nAuthorization:") - 1;
        eol = strchr(p, '\n');

        if (eol) {
            *eol = '\0';
        }

        value = copy_str(p);
    }

    free(text);

    return value;
}


static void
check_case(const char *name)
{
    int             n;
    char            buf[4096], key_date[9], hash[65], *want, *auth;
    const char     *sig;
    size_t          wlen;
    vcase_t         c;
    unsigned char   key[32];

    if (load_case(&c, name) != 0) {
        free_case(&c);
        return;
    }

    want = read_text(name, "header-canonical-request.txt", &wlen);
    n = llmgw_sigv4_canonical_request(&c.req, buf, sizeof(buf));
    CHECK_MEM(buf, n < 0 ? 0 : (size_t) n, want, wlen,
              "%s: canonical request", name);
    free(want);

    want = read_text(name, "header-string-to-sign.txt", &wlen);
    n = llmgw_sigv4_string_to_sign(&c.req, buf, sizeof(buf));
    CHECK_MEM(buf, n < 0 ? 0 : (size_t) n, want, wlen,
              "%s: string to sign", name);
    free(want);

    want = read_text(name, "header-signature.txt", &wlen);
    n = llmgw_sigv4_authorization(&c.req, buf, sizeof(buf));
    sig = (n > 64) ? buf + n - 64 : "";
    CHECK_STR(sig, strlen(sig), want, "%s: signature", name);
    free(want);

    auth = signed_authorization(name);
    CHECK(auth && n > 0 && strcmp(buf, auth) == 0,
          "%s: Authorization \"%s\", want \"%s\"", name, n > 0 ? buf : "",
          auth ? auth : "(none)");
    free(auth);

    /* a cached signing key and a given payload hash sign alike */

    want = copy_str(buf);

    memcpy(key_date, c.amz_date, 8);
    key_date[8] = '\0';

    CHECK(llmgw_sigv4_signing_key(c.req.secret_key, c.req.secret_key_len,
                                  key_date, c.req.region, c.req.service, key)
          == 0, "%s: signing key", name);
    llmgw_sigv4_sha256_hex(c.req.body, c.req.body_len, hash);

    c.req.signing_key = key;
    c.req.payload_hash = hash;
    c.req.secret_key = "wrong";
    c.req.secret_key_len = 5;

    n = llmgw_sigv4_authorization(&c.req, buf, sizeof(buf));
    CHECK(n > 0 && strcmp(buf, want) == 0,
          "%s: with signing_key and payload_hash", name);

    free(want);
    free_case(&c);
}


static const char  bedrock_body[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]}]}";

static const llmgw_sigv4_header_t  bedrock_headers[] = {
    { "Content-Type", 12, "application/json", 16 },
    { "Host", 4, "bedrock-runtime.us-east-1.amazonaws.com", 39 },
    { "X-Amz-Date", 10, "20240115T093000Z", 16 },
    { "X-Amz-Security-Token", 20, "FQoGZXIvYXdzEBYaDExampleSessionToken/+=",
      39 }
};


static void
bedrock_request(llmgw_sigv4_req_t *r)
{
    static const char  path[] = "/model/anthropic.claude-v2%3A1/converse";

    memset(r, 0, sizeof(llmgw_sigv4_req_t));

    r->method = "POST";
    r->path = path;
    r->path_len = sizeof(path) - 1;
    r->headers = bedrock_headers;
    r->nheaders = sizeof(bedrock_headers) / sizeof(bedrock_headers[0]);
    r->body = bedrock_body;
    r->body_len = sizeof(bedrock_body) - 1;
    r->access_key = "AKIDEXAMPLE";
    r->access_key_len = 11;
    r->secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    r->secret_key_len = 40;
    r->region = "us-east-1";
    r->service = "bedrock";
    r->amz_date = "20240115T093000Z";
    r->normalize = 1;
}


/*
 * A Bedrock request with a session token: the path encoded twice, the
 * token signed as a header.  The known answer is botocore 1.43.11's
 * (SigV4Auth(Credentials(...), "bedrock", "us-east-1"), the request's
 * context timestamp set, canonical_request(), string_to_sign(),
 * signature()).
 */

static void
test_bedrock(void)
{
    int                 n;
    char                buf[1024];
    llmgw_sigv4_req_t   r;

    static const char  creq[] =
        "POST\n"
        "/model/anthropic.claude-v2%253A1/converse\n"
        "\n"
        "content-type:application/json\n"
        "host:bedrock-runtime.us-east-1.amazonaws.com\n"
        "x-amz-date:20240115T093000Z\n"
        "x-amz-security-token:FQoGZXIvYXdzEBYaDExampleSessionToken/+=\n"
        "\n"
        "content-type;host;x-amz-date;x-amz-security-token\n"
        "7421da8d1a0949a481724fee62d5886aacde03836bf58248adb73e8b61ac0d54";

    static const char  sts[] =
        "AWS4-HMAC-SHA256\n"
        "20240115T093000Z\n"
        "20240115/us-east-1/bedrock/aws4_request\n"
        "4decec815f9aec4e5d7a5db5854dad1d6a42a0db912d76089e5dbaa96aa6e767";

    static const char  auth[] =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240115/us-east-1/bedrock/"
        "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
        "x-amz-security-token, Signature="
        "cde0bc7e24d05ca95d4613ed2c6874d2b2cfbfa2fe2b0169b197513d452fe2e9";

    bedrock_request(&r);

    n = llmgw_sigv4_canonical_request(&r, buf, sizeof(buf));
    CHECK_STR(buf, n < 0 ? 0 : (size_t) n, creq, "bedrock canonical request");

    n = llmgw_sigv4_string_to_sign(&r, buf, sizeof(buf));
    CHECK_STR(buf, n < 0 ? 0 : (size_t) n, sts, "bedrock string to sign");

    n = llmgw_sigv4_authorization(&r, buf, sizeof(buf));
    CHECK_STR(buf, n < 0 ? 0 : (size_t) n, auth, "bedrock authorization");

    /* the payload hash given, as x-amz-content-sha256 would carry it */
    r.payload_hash =
        "7421da8d1a0949a481724fee62d5886aacde03836bf58248adb73e8b61ac0d54";
    r.body = NULL;
    r.body_len = 0;

    n = llmgw_sigv4_authorization(&r, buf, sizeof(buf));
    CHECK_STR(buf, n < 0 ? 0 : (size_t) n, auth, "bedrock, hash given");

    r.payload_hash = "UNSIGNED-PAYLOAD";
    n = llmgw_sigv4_canonical_request(&r, buf, sizeof(buf));
    CHECK(n > 16 && strcmp(buf + n - 16, "UNSIGNED-PAYLOAD") == 0,
          "UNSIGNED-PAYLOAD as is");
}


static void
key_hex(const unsigned char *key, char *hex)
{
    int  i;

    for (i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    }
}


static void
test_signing_key(void)
{
    int             i;
    char            hex[65], secret[200];
    unsigned char   key[32];

    /* the keys of secrets of 59 to 62 and 200 'k's, dated 20120215 for
     * region "r" and service "s", by Python's hmac and hashlib: the first
     * key is 63 to 66 bytes, the last 204, past HMAC's 64-byte block */

    static const char  *want[] = {
        "ddc491388ea2f3db6fe78e59236b27e87e5cc83d3560ecc81810f46e1884b7bd",
        "98d6bdbc4fe66d6025ca4903f3231a94c88c53beeb3ede29f54095a735dfcd5b",
        "6490db18eddb67735e3a3b7a23f080421f907d97039abd307b15ef832ab9b6a4",
        "a055fc36a13ec544eaa53b90eb2570c5e1b59082765e77af82b76dce80d821ed",
        "03d8e192e62910e5b0bf6775e1ccbc91b706bd372f1caa88a36d3082bbe5ba9d"
    };

    /* AWS's example: "Examples of how to derive a signing key for
     * Signature Version 4", docs.aws.amazon.com */

    CHECK(llmgw_sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                  40, "20120215", "us-east-1", "iam", key)
          == 0, "signing key");
    key_hex(key, hex);
    CHECK_STR(hex, 64, "f4780e2d9f65fa895f9c67b32ce1baf0"
                       "b0d8a43505a000a1a9e090d414db404d",
              "AWS's example signing key");

    CHECK(llmgw_sigv4_signing_key("x", 1, "2012021", "r", "s", key) == -1,
          "seven-digit date");
    CHECK(llmgw_sigv4_signing_key("x", 1, "201202150", "r", "s", key) == -1,
          "nine-digit date");
    CHECK(llmgw_sigv4_signing_key("x", 1, "2012O215", "r", "s", key) == -1,
          "a letter O in the date");
    CHECK(llmgw_sigv4_signing_key(NULL, 0, "20120215", "r", "s", key) == 0,
          "an empty secret");

    memset(secret, 'k', sizeof(secret));

    for (i = 0; i < 5; i++) {
        memset(key, 0, sizeof(key));
        CHECK(llmgw_sigv4_signing_key(secret, i < 4 ? 59 + i : 200,
                                      "20120215", "r", "s", key) == 0,
              "secret %d", i);
        key_hex(key, hex);
        CHECK_STR(hex, 64, want[i], "secret %d", i);
    }
}


/* a request of one header, path and query given */
static void
simple_request(llmgw_sigv4_req_t *r, const char *path, const char *query)
{
    static const llmgw_sigv4_header_t  host = {
        "host", 4, "example.amazonaws.com", 21
    };

    memset(r, 0, sizeof(llmgw_sigv4_req_t));

    r->method = "GET";
    r->path = path;
    r->path_len = strlen(path);
    r->query = query;
    r->query_len = query ? strlen(query) : 0;
    r->headers = &host;
    r->nheaders = 1;
    r->access_key = "AKIDEXAMPLE";
    r->access_key_len = 11;
    r->secret_key = "secret";
    r->secret_key_len = 6;
    r->region = "us-east-1";
    r->service = "service";
    r->amz_date = "20150830T123600Z";
    r->normalize = 1;
}


/* line n (from 0) of the canonical request of r, or "(error)" */
static const char *
creq_line(const llmgw_sigv4_req_t *r, int line, char *buf, size_t size)
{
    char  *p, *eol;

    if (llmgw_sigv4_canonical_request(r, buf, size) < 0) {
        return "(error)";
    }

    for (p = buf; line > 0 && p; line--) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }

    if (p == NULL) {
        return "(no line)";
    }

    eol = strchr(p, '\n');

    if (eol) {
        *eol = '\0';
    }

    return p;
}


static void
test_paths(void)
{
    size_t              i;
    char                buf[512];
    const char         *got;
    llmgw_sigv4_req_t   r;

    static const struct {
        const char  *path;
        unsigned     normalize;
        const char  *uri;
    } v[] = {
        { "", 1, "/" },
        { "", 0, "/" },
        { "/", 1, "/" },
        { "/a/b/..", 1, "/a" },
        { "/a/b/../", 1, "/a/" },
        { "/a/./b/", 1, "/a/b/" },
        { "/..", 1, "/" },
        { "/../../a", 1, "/a" },
        { "/a/..b/.c", 1, "/a/..b/.c" },
        { "/a/%2E%2E", 1, "/a/%252E%252E" },
        { "/a//b", 0, "/a//b" },
        { "/a b+c", 0, "/a%20b%2Bc" },
        { "/model/amazon.nova-micro-v1%3A0/converse-stream", 1,
          "/model/amazon.nova-micro-v1%253A0/converse-stream" },
        { "/%e1%88%b4", 1, "/%25e1%2588%25b4" },
        { "/\xe1\x88\xb4", 1, "/%E1%88%B4" },
        { "/-._~", 1, "/-._~" },
        { "/\x01\x7f\xff", 1, "/%01%7F%FF" },
        { "a", 1, "(error)" },
        { "/%", 1, "(error)" },
        { "/%4", 1, "(error)" },
        { "/%G1", 1, "(error)" },
        { "/a%", 0, "(error)" },
        { "/a%2", 0, "(error)" },
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        simple_request(&r, v[i].path, NULL);
        r.normalize = v[i].normalize;

        got = creq_line(&r, 1, buf, sizeof(buf));
        CHECK(strcmp(got, v[i].uri) == 0, "path \"%s\": \"%s\", want \"%s\"",
              v[i].path, got, v[i].uri);
    }
}


static void
test_queries(void)
{
    size_t              i;
    char                buf[512];
    const char         *got;
    llmgw_sigv4_req_t   r;

    static const struct {
        const char  *query;
        const char  *canonical;
    } v[] = {
        { "", "" },
        { "b=2&a=1&a=0", "a=0&a=1&b=2" },
        { "a&b=", "a=&b=" },
        { "a=1&&b=2&", "a=1&b=2" },
        { "&&&", "" },
        { "=v", "=v" },
        { "a=1&a=1", "a=1&a=1" },
        { "%e1%88%b4=x", "%E1%88%B4=x" },
        { "a=b=c", "a=b%3Dc" },
        { "a=x y+z", "a=x%20y%2Bz" },
        { "~=1&%7E=0", "~=0&~=1" },
        { "b=1&a=1&_=1&%20=1&B=1", "%20=1&B=1&_=1&a=1&b=1" },
        { "a=%2F&a=%2f&a=/", "a=%2F&a=%2F&a=%2F" },
        { "a%00=1&a=2", "a=2&a%00=1" },
        { "a=%", "(error)" },
        { "a=%z1", "(error)" },
        { "%4", "(error)" },
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        simple_request(&r, "/", v[i].query);

        got = creq_line(&r, 2, buf, sizeof(buf));
        CHECK(strcmp(got, v[i].canonical) == 0,
              "query \"%s\": \"%s\", want \"%s\"", v[i].query, got,
              v[i].canonical);
    }
}


static void
test_headers(void)
{
    int                 n;
    char                buf[512];
    llmgw_sigv4_req_t   r;

    static const llmgw_sigv4_header_t  h[] = {
        { "X-B", 3, "  a \t b  \r\n c ", 14 },
        { "x-a", 3, "1", 1 },
        { "Host", 4, "example.amazonaws.com", 21 },
        { "X-A", 3, " 2 ", 3 },
        { "x-c", 3, "", 0 },
        { "x-d", 3, " \t ", 3 },
        { "X-a", 3, "3", 1 },
    };

    static const char  want[] =
        "GET\n/\n\n"
        "host:example.amazonaws.com\n"
        "x-a:1,2,3\n"
        "x-b:a b c\n"
        "x-c:\n"
        "x-d:\n"
        "\n"
        "host;x-a;x-b;x-c;x-d\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    static const llmgw_sigv4_header_t  bad[] = {
        { "", 0, "v", 1 },
        { "a b", 3, "v", 1 },
        { "a:b", 3, "v", 1 },
        { "a\nb", 3, "v", 1 },
        { "a\x7f", 2, "v", 1 },
    };

    size_t  i;

    simple_request(&r, "/", NULL);
    r.headers = h;
    r.nheaders = sizeof(h) / sizeof(h[0]);

    n = llmgw_sigv4_canonical_request(&r, buf, sizeof(buf));
    CHECK_STR(buf, n < 0 ? 0 : (size_t) n, want, "headers");

    r.nheaders = 0;
    n = llmgw_sigv4_canonical_request(&r, buf, sizeof(buf));
    CHECK(n > 0 && strstr(buf, "\n\n\n\ne3b0") != NULL, "no headers: %s",
          buf);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r.headers = &bad[i];
        r.nheaders = 1;
        CHECK_INT(llmgw_sigv4_canonical_request(&r, buf, sizeof(buf)), -1,
                  "header name %zu refused", i);
    }
}


static void
test_dates(void)
{
    size_t              i;
    char                buf[512];
    llmgw_sigv4_req_t   r;

    static const char  *bad[] = {
        "", "20150830", "20150830T123600", "20150830T123600Zx",
        "2015083T123600Z0", "20150830t123600Z", "20150830T12360AZ",
        "20150830 123600Z", "20150830T123600z"
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        simple_request(&r, "/", NULL);
        r.amz_date = bad[i];

        CHECK(llmgw_sigv4_canonical_request(&r, buf, sizeof(buf)) == -1
              && llmgw_sigv4_string_to_sign(&r, buf, sizeof(buf)) == -1
              && llmgw_sigv4_authorization(&r, buf, sizeof(buf)) == -1,
              "amz_date \"%s\" refused", bad[i]);
    }

    simple_request(&r, "/", NULL);
    r.method = "";
    CHECK_INT(llmgw_sigv4_canonical_request(&r, buf, sizeof(buf)), -1,
              "empty method");
}


typedef int (*sign_pt)(const llmgw_sigv4_req_t *req, char *out,
    size_t size);


/* every size short of the string fails without writing past it */
static void
check_sizes(const char *what, sign_pt f, const llmgw_sigv4_req_t *r)
{
    int     n, k;
    char   *want, *buf;
    size_t  size, bad;

    want = malloc(8192);
    n = f(r, want, 8192);

    if (n < 0) {
        UNIT_FAIL("%s: failed", what);
        free(want);
        return;
    }

    bad = 0;

    for (size = 0; size <= (size_t) n + 1; size++) {
        buf = malloc(size ? size : 1);
        k = f(r, buf, size);

        if (size <= (size_t) n ? k != -1
                               : k != n || strcmp(buf, want) != 0)
        {
            UNIT_FAIL("%s: size %zu gives %d", what, size, k);
            bad++;
        }

        free(buf);
    }

    CHECK(bad == 0, "%s: sizes 0 to %d", what, n + 1);
    free(want);
}


static void
test_sizes(void)
{
    vcase_t             c;
    llmgw_sigv4_req_t   r;

    bedrock_request(&r);

    check_sizes("canonical request", llmgw_sigv4_canonical_request, &r);
    check_sizes("string to sign", llmgw_sigv4_string_to_sign, &r);
    check_sizes("authorization", llmgw_sigv4_authorization, &r);

    if (load_case(&c, "get-header-value-multiline") == 0) {
        check_sizes("multiline", llmgw_sigv4_canonical_request, &c.req);
    }

    free_case(&c);

    if (load_case(&c, "get-vanilla-query-order-encoded") == 0) {
        check_sizes("query", llmgw_sigv4_canonical_request, &c.req);
    }

    free_case(&c);
}


static uint32_t
next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;

    return *s;
}


/* random bytes, or bytes from a small alphabet of the ones that matter */
static void
fill(uint32_t *seed, char *p, size_t n, int kind)
{
    size_t  i;

    static const char  alphabet[] = "/.%&=aZ09 \t\r\n+~-_";

    for (i = 0; i < n; i++) {
        p[i] = kind ? alphabet[next(seed) % (sizeof(alphabet) - 1)]
                    : (char) next(seed);
    }
}


/* 1 if r was signed */
static int
check_any(const char *what, const llmgw_sigv4_req_t *r, int must)
{
    int     n, k;
    char   *buf;
    size_t  size;

    size = 256 * 1024;
    buf = malloc(size);

    /* a header value may hold a NUL: the length is what counts */

    n = llmgw_sigv4_canonical_request(r, buf, size);
    CHECK(n == -1 ? !must : (size_t) n < size && buf[n] == '\0',
          "%s: canonical request %d", what, n);

    k = llmgw_sigv4_authorization(r, buf, size);
    CHECK((k == -1) == (n == -1) && (k == -1 || (size_t) k == strlen(buf)),
          "%s: authorization %d", what, k);

    free(buf);

    return n >= 0;
}


/*
 * Hostile input under ASan: every buffer exactly as long as said, the
 * paths, queries and header values random bytes or bytes that matter.
 */

static void
test_hostile(void)
{
    int                    round, signed_;
    char                  *big, *path, *query, *value, *segs;
    size_t                 i, len;
    uint32_t               seed;
    llmgw_sigv4_req_t      r;
    llmgw_sigv4_header_t   h[3];

    seed = 2463534242u;
    len = 10 * 1024;
    signed_ = 0;

    for (round = 0; round < 60; round++) {
        path = malloc(len);
        query = malloc(len);
        value = malloc(len);

        fill(&seed, path, len, round & 1);
        fill(&seed, query, len, round & 1);
        fill(&seed, value, len, round & 1);
        path[0] = '/';

        /* no escapes, bad ones being refused before anything else */

        for (i = 0; round % 3 == 2 && i < len; i++) {
            path[i] = (path[i] == '%') ? '.' : path[i];
            query[i] = (query[i] == '%') ? '&' : query[i];
        }

        simple_request(&r, "/", NULL);
        r.path = path;
        r.path_len = round < 30 ? next(&seed) % 300 : len;
        r.query = query;
        r.query_len = round < 30 ? next(&seed) % 300 : len;
        r.normalize = (round >> 1) & 1;

        h[0].name = "x-big";
        h[0].name_len = 5;
        h[0].value = value;
        h[0].value_len = len;
        h[1].name = "X-BIG";
        h[1].name_len = 5;
        h[1].value = value + len / 2;
        h[1].value_len = len / 2;
        h[2].name = "host";
        h[2].name_len = 4;
        h[2].value = value + len - 1;
        h[2].value_len = 1;

        r.headers = h;
        r.nheaders = 3;

        signed_ += check_any("random", &r, 0);

        free(value);
        free(query);
        free(path);
    }

    CHECK(signed_ >= 15, "%d of the random requests signed", signed_);

    /* a valid 10 KB path, query and header values sign */

    big = malloc(len);
    memset(big, 'a', len);

    for (i = 0; i < len; i += 64) {
        big[i] = '/';
    }

    simple_request(&r, "/", NULL);
    r.path = big;
    r.path_len = len;
    r.query = big + 1;
    r.query_len = len - 1;
    h[0].name = "x-big";
    h[0].name_len = 5;
    h[0].value = big;
    h[0].value_len = len;
    r.headers = h;
    r.nheaders = 1;

    check_any("10 KB", &r, 1);

    /* too many segments to normalize: refused, unless not normalized */

    segs = malloc(2 * (LLMGW_SIGV4_MAX_SEGMENTS + 1));

    for (i = 0; i < 2 * (LLMGW_SIGV4_MAX_SEGMENTS + 1); i += 2) {
        segs[i] = '/';
        segs[i + 1] = 's';
    }

    simple_request(&r, "/", NULL);
    r.path = segs;
    r.path_len = 2 * LLMGW_SIGV4_MAX_SEGMENTS;
    check_any("most segments", &r, 1);

    r.path_len += 2;
    CHECK_INT(llmgw_sigv4_canonical_request(&r, big, len), -1,
              "too many segments");

    r.normalize = 0;
    check_any("many segments, not normalized", &r, 1);

    free(segs);
    free(big);
}


int
main(int argc, char **argv)
{
    size_t  i;

    if (argc > 1) {
        fixtures = argv[1];
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_case(cases[i]);
    }

    test_bedrock();
    test_signing_key();
    test_paths();
    test_queries();
    test_headers();
    test_dates();
    test_sizes();
    test_hostile();

    UNIT_DONE("unit_sigv4");
}
