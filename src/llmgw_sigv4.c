/*
 * llmgw: AWS Signature Version 4, with libcrypto alone.
 */

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "llmgw_sigv4.h"


#define LLMGW_SIGV4_ALGORITHM   "AWS4-HMAC-SHA256"
#define LLMGW_SIGV4_TERMINATOR  "aws4_request"


/*
 * Where the canonical request and the other strings go: the caller's
 * buffer, or, when md is set, a small one flushed into the digest, so
 * that a canonical request is hashed without being held whole.
 */

typedef struct {
    char         *pos;
    char         *end;
    EVP_MD_CTX   *md;
    int           error;
    char          buf[512];
} llmgw_sigv4_out_t;


static void
llmgw_sigv4_flush(llmgw_sigv4_out_t *o)
{
    if (EVP_DigestUpdate(o->md, o->buf, (size_t) (o->pos - o->buf)) != 1) {
        o->error = 1;
    }

    o->pos = o->buf;
}


static void
llmgw_sigv4_put(llmgw_sigv4_out_t *o, const char *p, size_t n)
{
    while (n) {
        size_t  k;

        if (o->pos == o->end) {
            if (o->md == NULL) {
                o->error = 1;
                return;
            }

            llmgw_sigv4_flush(o);
        }

        k = (size_t) (o->end - o->pos);
        k = (n < k) ? n : k;

        memcpy(o->pos, p, k);
        o->pos += k;
        p += k;
        n -= k;
    }
}


static void
llmgw_sigv4_puts(llmgw_sigv4_out_t *o, const char *s)
{
    llmgw_sigv4_put(o, s, strlen(s));
}


static void
llmgw_sigv4_putc(llmgw_sigv4_out_t *o, char c)
{
    llmgw_sigv4_put(o, &c, 1);
}


static int
llmgw_sigv4_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
           || c == '~';
}


static void
llmgw_sigv4_put_encoded(llmgw_sigv4_out_t *o, unsigned char c)
{
    char  esc[3];

    static const char  hex[] = "0123456789ABCDEF";

    if (llmgw_sigv4_unreserved(c)) {
        llmgw_sigv4_putc(o, (char) c);
        return;
    }

    esc[0] = '%';
    esc[1] = hex[c >> 4];
    esc[2] = hex[c & 0x0f];

    llmgw_sigv4_put(o, esc, 3);
}


static int
llmgw_sigv4_hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = (char) (c | 0x20);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


static int
llmgw_sigv4_check_escapes(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] != '%') {
            continue;
        }

        if (len - i < 3 || llmgw_sigv4_hex_value(p[i + 1]) < 0
            || llmgw_sigv4_hex_value(p[i + 2]) < 0)
        {
            return -1;
        }

        i += 2;
    }

    return 0;
}


/* the next byte of a string whose escapes were checked */
static unsigned char
llmgw_sigv4_unescape(const char **pos)
{
    const char  *p;

    p = *pos;

    if (*p != '%') {
        *pos = p + 1;
        return (unsigned char) *p;
    }

    *pos = p + 3;

    return (unsigned char) (llmgw_sigv4_hex_value(p[1]) << 4
                            | llmgw_sigv4_hex_value(p[2]));
}


static int
llmgw_sigv4_digits(const char *p, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
    }

    return 1;
}


static int
llmgw_sigv4_check_date(const char *d)
{
    /* checked in order: the NUL of a short string fails a digit test */

    if (!llmgw_sigv4_digits(d, 8) || d[8] != 'T'
        || !llmgw_sigv4_digits(d + 9, 6) || d[15] != 'Z' || d[16] != '\0')
    {
        return -1;
    }

    return 0;
}


static int
llmgw_sigv4_check_name(const char *p, size_t len)
{
    size_t  i;

    if (len == 0) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) p[i] <= ' ' || p[i] == ':' || p[i] == 0x7f) {
            return -1;
        }
    }

    return 0;
}


static int
llmgw_sigv4_check(const llmgw_sigv4_req_t *req)
{
    size_t  i;

    if (req->method == NULL || req->method[0] == '\0' || req->region == NULL
        || req->service == NULL || req->amz_date == NULL
        || llmgw_sigv4_check_date(req->amz_date) != 0)
    {
        return -1;
    }

    if (req->path_len
        && (req->path[0] != '/'
            || llmgw_sigv4_check_escapes(req->path, req->path_len) != 0))
    {
        return -1;
    }

    if (req->query_len
        && llmgw_sigv4_check_escapes(req->query, req->query_len) != 0)
    {
        return -1;
    }

    for (i = 0; i < req->nheaders; i++) {
        if (llmgw_sigv4_check_name(req->headers[i].name,
                                   req->headers[i].name_len) != 0)
        {
            return -1;
        }
    }

    return 0;
}


static void
llmgw_sigv4_put_segment(llmgw_sigv4_out_t *o, const char *p, const char *end)
{
    while (p < end) {
        llmgw_sigv4_put_encoded(o, (unsigned char) *p++);
    }
}


static void
llmgw_sigv4_uri(llmgw_sigv4_out_t *o, const char *path, size_t len)
{
    const char  *end;

    if (len == 0) {
        llmgw_sigv4_putc(o, '/');
        return;
    }

    for (end = path + len; path < end; path++) {
        if (*path == '/') {
            llmgw_sigv4_putc(o, '/');

        } else {
            llmgw_sigv4_put_encoded(o, (unsigned char) *path);
        }
    }
}


static void
llmgw_sigv4_normalized_uri(llmgw_sigv4_out_t *o, const char *path,
    size_t len)
{
    size_t       i, n, seg, next;
    const char  *s, *stack[LLMGW_SIGV4_MAX_SEGMENTS];

    n = 0;

    for (seg = 0; seg < len; seg = next + 1) {
        s = memchr(path + seg, '/', len - seg);
        next = s ? (size_t) (s - path) : len;

        s = path + seg;

        if (next - seg == 0 || (next - seg == 1 && s[0] == '.')) {
            continue;
        }

        if (next - seg == 2 && s[0] == '.' && s[1] == '.') {
            n -= (n > 0);
            continue;
        }

        if (n == LLMGW_SIGV4_MAX_SEGMENTS) {
            o->error = 1;
            return;
        }

        stack[n++] = s;
    }

    llmgw_sigv4_putc(o, '/');

    for (i = 0; i < n; i++) {
        if (i) {
            llmgw_sigv4_putc(o, '/');
        }

        s = memchr(stack[i], '/', (size_t) (path + len - stack[i]));
        llmgw_sigv4_put_segment(o, stack[i], s ? s : path + len);
    }

    if (n && path[len - 1] == '/') {
        llmgw_sigv4_putc(o, '/');
    }
}


/*
 * Canonical query parameters are sorted by their encoded bytes.  Compared
 * decoded, an encoded byte ("%XX", and '%' sorts below every unreserved
 * character) is below any unreserved one, and two encoded ones compare as
 * their values do, uppercase hex being in ASCII order.
 */

static int
llmgw_sigv4_cmp_encoded(const char *a, const char *ae, const char *b,
    const char *be)
{
    while (a < ae && b < be) {
        unsigned  ca, cb;

        ca = llmgw_sigv4_unescape(&a);
        cb = llmgw_sigv4_unescape(&b);

        ca |= llmgw_sigv4_unreserved((unsigned char) ca) ? 0x100 : 0;
        cb |= llmgw_sigv4_unreserved((unsigned char) cb) ? 0x100 : 0;

        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }

    return (a < ae) - (b < be);
}


typedef struct {
    const char  *name;
    const char  *eq;          /* the '=', or end */
    const char  *end;
} llmgw_sigv4_param_t;


static void
llmgw_sigv4_param(llmgw_sigv4_param_t *p, const char *start,
    const char *last)
{
    p->name = start;
    p->end = memchr(start, '&', (size_t) (last - start));
    p->end = p->end ? p->end : last;
    p->eq = memchr(start, '=', (size_t) (p->end - start));
    p->eq = p->eq ? p->eq : p->end;
}


/* by name, value, then place in the query, so that repeats keep apart */
static int
llmgw_sigv4_cmp_param(const llmgw_sigv4_param_t *a,
    const llmgw_sigv4_param_t *b)
{
    int  rc;

    rc = llmgw_sigv4_cmp_encoded(a->name, a->eq, b->name, b->eq);

    if (rc == 0) {
        rc = llmgw_sigv4_cmp_encoded(a->eq + (a->eq < a->end), a->end,
                                     b->eq + (b->eq < b->end), b->end);
    }

    if (rc == 0) {
        rc = (a->name > b->name) - (a->name < b->name);
    }

    return rc;
}


/* the least parameter above prev (or any, if prev->name is NULL); 0 if
 * none is left */
static int
llmgw_sigv4_next_param(const char *q, const char *last,
    const llmgw_sigv4_param_t *prev, llmgw_sigv4_param_t *best)
{
    int                  found;
    const char          *p;
    llmgw_sigv4_param_t  cur;

    found = 0;
    p = q;

    for ( ;; ) {
        llmgw_sigv4_param(&cur, p, last);

        if (cur.end > cur.name
            && (prev->name == NULL || llmgw_sigv4_cmp_param(&cur, prev) > 0)
            && (!found || llmgw_sigv4_cmp_param(&cur, best) < 0))
        {
            *best = cur;
            found = 1;
        }

        if (cur.end == last) {
            return found;
        }

        p = cur.end + 1;
    }
}


static void
llmgw_sigv4_put_decoded(llmgw_sigv4_out_t *o, const char *p, const char *end)
{
    while (p < end) {
        llmgw_sigv4_put_encoded(o, llmgw_sigv4_unescape(&p));
    }
}


static void
llmgw_sigv4_query(llmgw_sigv4_out_t *o, const char *q, size_t len)
{
    llmgw_sigv4_param_t  prev, cur;

    if (len == 0) {
        return;
    }

    prev.name = NULL;

    while (llmgw_sigv4_next_param(q, q + len, &prev, &cur)) {
        if (prev.name) {
            llmgw_sigv4_putc(o, '&');
        }

        llmgw_sigv4_put_decoded(o, cur.name, cur.eq);
        llmgw_sigv4_putc(o, '=');

        if (cur.eq < cur.end) {
            llmgw_sigv4_put_decoded(o, cur.eq + 1, cur.end);
        }

        prev = cur;
    }
}


static unsigned char
llmgw_sigv4_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char) (c | 0x20)
                                  : (unsigned char) c;
}


static int
llmgw_sigv4_cmp_name(const llmgw_sigv4_header_t *a,
    const llmgw_sigv4_header_t *b)
{
    size_t  i, n;

    n = (a->name_len < b->name_len) ? a->name_len : b->name_len;

    for (i = 0; i < n; i++) {
        unsigned char  ca, cb;

        ca = llmgw_sigv4_lower(a->name[i]);
        cb = llmgw_sigv4_lower(b->name[i]);

        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }

    return (a->name_len > n) - (b->name_len > n);
}


/* the first header of the least name above that of prev (or of any, if
 * prev is nheaders); nheaders if none is left */
static size_t
llmgw_sigv4_next_header(const llmgw_sigv4_req_t *req, size_t prev)
{
    size_t                       i, best;
    const llmgw_sigv4_header_t  *h;

    h = req->headers;
    best = req->nheaders;

    for (i = 0; i < req->nheaders; i++) {
        if (prev < req->nheaders && llmgw_sigv4_cmp_name(&h[i], &h[prev]) <= 0)
        {
            continue;
        }

        if (best < req->nheaders && llmgw_sigv4_cmp_name(&h[i], &h[best]) >= 0)
        {
            continue;
        }

        best = i;
    }

    return best;
}


static void
llmgw_sigv4_put_name(llmgw_sigv4_out_t *o, const llmgw_sigv4_header_t *h)
{
    size_t  i;

    for (i = 0; i < h->name_len; i++) {
        llmgw_sigv4_putc(o, (char) llmgw_sigv4_lower(h->name[i]));
    }
}


static int
llmgw_sigv4_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


static void
llmgw_sigv4_put_value(llmgw_sigv4_out_t *o, const char *v, size_t len)
{
    int     text, space;
    size_t  i;

    text = 0;
    space = 0;

    for (i = 0; i < len; i++) {
        if (llmgw_sigv4_space(v[i])) {
            space = text;
            continue;
        }

        if (space) {
            llmgw_sigv4_putc(o, ' ');
            space = 0;
        }

        llmgw_sigv4_putc(o, v[i]);
        text = 1;
    }
}


static void
llmgw_sigv4_headers(llmgw_sigv4_out_t *o, const llmgw_sigv4_req_t *req)
{
    size_t                       i, j;
    const llmgw_sigv4_header_t  *h;

    h = req->headers;

    for (i = llmgw_sigv4_next_header(req, req->nheaders);
         i < req->nheaders;
         i = llmgw_sigv4_next_header(req, i))
    {
        llmgw_sigv4_put_name(o, &h[i]);
        llmgw_sigv4_putc(o, ':');
        llmgw_sigv4_put_value(o, h[i].value, h[i].value_len);

        for (j = i + 1; j < req->nheaders; j++) {
            if (llmgw_sigv4_cmp_name(&h[j], &h[i]) == 0) {
                llmgw_sigv4_putc(o, ',');
                llmgw_sigv4_put_value(o, h[j].value, h[j].value_len);
            }
        }

        llmgw_sigv4_putc(o, '\n');
    }
}


static void
llmgw_sigv4_signed_headers(llmgw_sigv4_out_t *o,
    const llmgw_sigv4_req_t *req)
{
    size_t  i, first;

    first = llmgw_sigv4_next_header(req, req->nheaders);

    for (i = first; i < req->nheaders; i = llmgw_sigv4_next_header(req, i)) {
        if (i != first) {
            llmgw_sigv4_putc(o, ';');
        }

        llmgw_sigv4_put_name(o, &req->headers[i]);
    }
}


static void
llmgw_sigv4_hex(const unsigned char *p, size_t n, char *out)
{
    size_t  i;

    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < n; i++) {
        *out++ = hex[p[i] >> 4];
        *out++ = hex[p[i] & 0x0f];
    }

    *out = '\0';
}


int
llmgw_sigv4_sha256_hex(const void *p, size_t len, char out[65])
{
    unsigned char  md[32];

    if (EVP_Digest(len ? p : "", len, md, NULL, EVP_sha256(), NULL) != 1) {
        out[0] = '\0';
        return -1;
    }

    llmgw_sigv4_hex(md, sizeof(md), out);

    return 0;
}


static void
llmgw_sigv4_creq(llmgw_sigv4_out_t *o, const llmgw_sigv4_req_t *req)
{
    char  hash[65];

    llmgw_sigv4_puts(o, req->method);
    llmgw_sigv4_putc(o, '\n');

    if (req->normalize) {
        llmgw_sigv4_normalized_uri(o, req->path, req->path_len);

    } else {
        llmgw_sigv4_uri(o, req->path, req->path_len);
    }

    llmgw_sigv4_putc(o, '\n');
    llmgw_sigv4_query(o, req->query, req->query_len);
    llmgw_sigv4_putc(o, '\n');
    llmgw_sigv4_headers(o, req);
    llmgw_sigv4_putc(o, '\n');
    llmgw_sigv4_signed_headers(o, req);
    llmgw_sigv4_putc(o, '\n');

    if (req->payload_hash) {
        llmgw_sigv4_puts(o, req->payload_hash);
        return;
    }

    if (llmgw_sigv4_sha256_hex(req->body, req->body_len, hash) != 0) {
        o->error = 1;
        return;
    }

    llmgw_sigv4_put(o, hash, 64);
}


static void
llmgw_sigv4_out_init(llmgw_sigv4_out_t *o, char *out, size_t size)
{
    o->pos = out;
    o->end = out + size - 1;
    o->md = NULL;
    o->error = 0;
}


/* NUL-terminates what was written and returns its length, or -1 */
static int
llmgw_sigv4_out_done(llmgw_sigv4_out_t *o, const char *out)
{
    if (o->error || o->pos - out > INT_MAX) {
        return -1;
    }

    *o->pos = '\0';

    return (int) (o->pos - out);
}


int
llmgw_sigv4_canonical_request(const llmgw_sigv4_req_t *req, char *out,
    size_t size)
{
    llmgw_sigv4_out_t  o;

    if (size == 0 || llmgw_sigv4_check(req) != 0) {
        return -1;
    }

    llmgw_sigv4_out_init(&o, out, size);
    llmgw_sigv4_creq(&o, req);

    return llmgw_sigv4_out_done(&o, out);
}


static int
llmgw_sigv4_creq_hash(const llmgw_sigv4_req_t *req, char hex[65])
{
    unsigned char      md[32];
    llmgw_sigv4_out_t  o;

    o.md = EVP_MD_CTX_new();
    if (o.md == NULL) {
        return -1;
    }

    o.pos = o.buf;
    o.end = o.buf + sizeof(o.buf);
    o.error = EVP_DigestInit_ex(o.md, EVP_sha256(), NULL) != 1;

    llmgw_sigv4_creq(&o, req);
    llmgw_sigv4_flush(&o);

    if (EVP_DigestFinal_ex(o.md, md, NULL) != 1) {
        o.error = 1;
    }

    EVP_MD_CTX_free(o.md);

    if (o.error) {
        return -1;
    }

    llmgw_sigv4_hex(md, sizeof(md), hex);

    return 0;
}


/* "<date8>/<region>/<service>/aws4_request" */
static void
llmgw_sigv4_scope(llmgw_sigv4_out_t *o, const llmgw_sigv4_req_t *req)
{
    llmgw_sigv4_put(o, req->amz_date, 8);
    llmgw_sigv4_putc(o, '/');
    llmgw_sigv4_puts(o, req->region);
    llmgw_sigv4_putc(o, '/');
    llmgw_sigv4_puts(o, req->service);
    llmgw_sigv4_putc(o, '/');
    llmgw_sigv4_puts(o, LLMGW_SIGV4_TERMINATOR);
}


int
llmgw_sigv4_string_to_sign(const llmgw_sigv4_req_t *req, char *out,
    size_t size)
{
    char               hash[65];
    llmgw_sigv4_out_t  o;

    if (size == 0 || llmgw_sigv4_check(req) != 0
        || llmgw_sigv4_creq_hash(req, hash) != 0)
    {
        return -1;
    }

    llmgw_sigv4_out_init(&o, out, size);

    llmgw_sigv4_puts(&o, LLMGW_SIGV4_ALGORITHM "\n");
    llmgw_sigv4_puts(&o, req->amz_date);
    llmgw_sigv4_putc(&o, '\n');
    llmgw_sigv4_scope(&o, req);
    llmgw_sigv4_putc(&o, '\n');
    llmgw_sigv4_put(&o, hash, 64);

    return llmgw_sigv4_out_done(&o, out);
}


static int
llmgw_sigv4_hmac(const unsigned char *key, size_t key_len, const void *p,
    size_t len, unsigned char out[32])
{
    unsigned int  n;

    return HMAC(EVP_sha256(), key, (int) key_len, p, len, out, &n) != NULL
           && n == 32 ? 0 : -1;
}


/* SHA-256 of "AWS4" secret */
static int
llmgw_sigv4_long_key(const char *secret, size_t len, unsigned char out[32])
{
    int          ok;
    EVP_MD_CTX  *md;

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return -1;
    }

    ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1
         && EVP_DigestUpdate(md, "AWS4", 4) == 1
         && EVP_DigestUpdate(md, secret, len) == 1
         && EVP_DigestFinal_ex(md, out, NULL) == 1;

    EVP_MD_CTX_free(md);

    return ok ? 0 : -1;
}


int
llmgw_sigv4_signing_key(const char *secret, size_t secret_len,
    const char *date8, const char *region, const char *service,
    unsigned char key[32])
{
    int            rc;
    size_t         klen;
    unsigned char  k[64], a[32], b[32];

    if (!llmgw_sigv4_digits(date8, 8) || date8[8] != '\0') {
        return -1;
    }

    /* the first key is "AWS4" secret; HMAC hashes a key longer than
     * SHA-256's 64-byte block (RFC 2104), so a long one is hashed here
     * rather than copied */

    klen = 4 + secret_len;
    rc = 0;

    if (klen <= sizeof(k)) {
        memcpy(k, "AWS4", 4);

        if (secret_len) {
            memcpy(k + 4, secret, secret_len);
        }

    } else {
        rc = llmgw_sigv4_long_key(secret, secret_len, k);
        klen = 32;
    }

    rc = rc
         || llmgw_sigv4_hmac(k, klen, date8, 8, a)
         || llmgw_sigv4_hmac(a, 32, region, strlen(region), b)
         || llmgw_sigv4_hmac(b, 32, service, strlen(service), a)
         || llmgw_sigv4_hmac(a, 32, LLMGW_SIGV4_TERMINATOR,
                             sizeof(LLMGW_SIGV4_TERMINATOR) - 1, key);

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));

    return rc ? -1 : 0;
}


int
llmgw_sigv4_authorization(const llmgw_sigv4_req_t *req, char *out,
    size_t size)
{
    int                   n, rc;
    char                  sig[65];
    unsigned char         derived[32], mac[32];
    const unsigned char  *key;
    llmgw_sigv4_out_t     o;

    /* shorter than the header by the access key and signed headers at
     * least, the string to sign fits in out if the header does */

    n = llmgw_sigv4_string_to_sign(req, out, size);
    if (n < 0) {
        return -1;
    }

    key = req->signing_key;

    if (key == NULL) {
        char  date8[9];

        memcpy(date8, req->amz_date, 8);
        date8[8] = '\0';

        if (llmgw_sigv4_signing_key(req->secret_key, req->secret_key_len,
                                    date8, req->region, req->service,
                                    derived)
            != 0)
        {
            return -1;
        }

        key = derived;
    }

    rc = llmgw_sigv4_hmac(key, 32, out, (size_t) n, mac);

    OPENSSL_cleanse(derived, sizeof(derived));

    if (rc != 0) {
        return -1;
    }

    llmgw_sigv4_hex(mac, sizeof(mac), sig);

    llmgw_sigv4_out_init(&o, out, size);

    llmgw_sigv4_puts(&o, LLMGW_SIGV4_ALGORITHM " Credential=");
    llmgw_sigv4_put(&o, req->access_key, req->access_key_len);
    llmgw_sigv4_putc(&o, '/');
    llmgw_sigv4_scope(&o, req);
    llmgw_sigv4_puts(&o, ", SignedHeaders=");
    llmgw_sigv4_signed_headers(&o, req);
    llmgw_sigv4_puts(&o, ", Signature=");
    llmgw_sigv4_put(&o, sig, 64);

    return llmgw_sigv4_out_done(&o, out);
}
