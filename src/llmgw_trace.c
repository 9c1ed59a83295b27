/*
 * llmgw: W3C trace context and the request id.
 *
 * A valid `traceparent` from the client is continued, else a trace starts
 * here.  The provider gets the trace with the gateway's own span as its
 * parent, and `tracestate` as it came.  The request id ($llmgw_request_id)
 * goes back to the client as `x-request-id`.
 *
 * Ids need to be unique, not secret: they come from xoshiro256**, seeded
 * per worker from OpenSSL's generator (RAND_bytes for each id cost more
 * than the rest of a request's accounting).
 */


#include "llmgw.h"

#include <openssl/rand.h>


#define LLMGW_TRACEPARENT_LEN  55
#define LLMGW_TRACESTATE_MAX   512


static ngx_int_t llmgw_trace_parse(llmgw_trace_t *t, ngx_str_t *v);
static ngx_uint_t llmgw_trace_hex(u_char *p, size_t n);
static void llmgw_trace_random(u_char *hex, size_t n);
static void llmgw_trace_hex_put(u_char *dst, const u_char *src, size_t n);
static uint64_t llmgw_random64(void);


static uint64_t  llmgw_rng[4];


/* each worker its own sequence */

ngx_int_t
llmgw_trace_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t  i;

    if (RAND_bytes((u_char *) llmgw_rng, sizeof(llmgw_rng)) != 1) {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "llmgw: RAND_bytes failed: trace ids seeded from the "
                      "time and pid");

        for (i = 0; i < 4; i++) {
            llmgw_rng[i] = ((uint64_t) ngx_time() << 20) ^ ngx_pid
                           ^ ((uint64_t) ngx_random() << 32) ^ (i + 1);
        }
    }

    if ((llmgw_rng[0] | llmgw_rng[1] | llmgw_rng[2] | llmgw_rng[3]) == 0) {
        llmgw_rng[0] = 1;
    }

    return NGX_OK;
}


static uint64_t
llmgw_random64(void)
{
    uint64_t  r, t;

#define llmgw_rotl(x, k)  (((x) << (k)) | ((x) >> (64 - (k))))

    r = llmgw_rotl(llmgw_rng[1] * 5, 7) * 9;
    t = llmgw_rng[1] << 17;

    llmgw_rng[2] ^= llmgw_rng[0];
    llmgw_rng[3] ^= llmgw_rng[1];
    llmgw_rng[1] ^= llmgw_rng[2];
    llmgw_rng[0] ^= llmgw_rng[3];
    llmgw_rng[2] ^= t;
    llmgw_rng[3] = llmgw_rotl(llmgw_rng[3], 45);

#undef llmgw_rotl

    return r;
}


void
llmgw_trace_start(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_uint_t        i, nparent;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *parent, *state;
    llmgw_trace_t    *t;

    t = &ctx->trace;
    parent = NULL;
    state = NULL;
    nparent = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("traceparent") - 1
            && ngx_strncmp(h[i].lowcase_key, "traceparent",
                           sizeof("traceparent") - 1) == 0)
        {
            parent = &h[i];
            nparent++;

        } else if (h[i].key.len == sizeof("tracestate") - 1
                   && state == NULL
                   && ngx_strncmp(h[i].lowcase_key, "tracestate",
                                  sizeof("tracestate") - 1) == 0)
        {
            state = &h[i];
        }
    }

    /* two traceparents are as good as none */
    if (nparent == 1 && llmgw_trace_parse(t, &parent->value) == NGX_OK) {
        t->continued = 1;

        if (state && state->value.len <= LLMGW_TRACESTATE_MAX) {
            t->state = state->value;
        }

    } else {
        llmgw_trace_random(t->trace_id, sizeof(t->trace_id));
        ngx_memcpy(t->flags, "01", 2);
    }

    llmgw_trace_random(t->span_id, sizeof(t->span_id));
    llmgw_trace_random(ctx->request_id, sizeof(ctx->request_id));
}


static ngx_int_t
llmgw_trace_parse(llmgw_trace_t *t, ngx_str_t *v)
{
    u_char  *p;

    p = v->data;

    if (v->len < LLMGW_TRACEPARENT_LEN
        || !llmgw_trace_hex(p, 2)
        || (p[0] == 'f' && p[1] == 'f')
        || p[2] != '-' || p[35] != '-' || p[52] != '-'
        || !llmgw_trace_hex(p + 3, 32)
        || !llmgw_trace_hex(p + 36, 16)
        || !llmgw_trace_hex(p + 53, 2))
    {
        return NGX_DECLINED;
    }

    /* version 00 is exactly this long; a later one may only add fields */
    if (v->len > LLMGW_TRACEPARENT_LEN
        && (ngx_strncmp(p, "00", 2) == 0 || p[LLMGW_TRACEPARENT_LEN] != '-'))
    {
        return NGX_DECLINED;
    }

    if (ngx_strncmp(p + 3, "00000000000000000000000000000000", 32) == 0
        || ngx_strncmp(p + 36, "0000000000000000", 16) == 0)
    {
        return NGX_DECLINED;
    }

    ngx_memcpy(t->trace_id, p + 3, 32);
    ngx_memcpy(t->parent_id, p + 36, 16);
    ngx_memcpy(t->flags, p + 53, 2);

    return NGX_OK;
}


/* lowercase hex only, as the specification says */

static ngx_uint_t
llmgw_trace_hex(u_char *p, size_t n)
{
    while (n--) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return 0;
        }

        p++;
    }

    return 1;
}


/* n hex digits, 16 or 32 */

static void
llmgw_trace_random(u_char *hex, size_t n)
{
    uint64_t  r[2];

    r[0] = llmgw_random64();
    r[1] = llmgw_random64();

    /* an id of zeros is invalid: 2^-64 at worst, but never sent */
    r[0] |= (r[0] == 0);

    llmgw_trace_hex_put(hex, (u_char *) r, n / 2);
}


/* ngx_hex_dump's output, two digits at a time */

static void
llmgw_trace_hex_put(u_char *dst, const u_char *src, size_t n)
{
    static const u_char  pairs[] =
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
        "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
        "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
        "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
        "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

    while (n--) {
        ngx_memcpy(dst, &pairs[*src++ * 2], 2);
        dst += 2;
    }
}


/* the headers the provider gets, after the client's own were dropped */

ngx_int_t
llmgw_trace_headers(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char         *p;
    ngx_str_t       value;
    llmgw_trace_t  *t;

    static ngx_str_t  parent = ngx_string("traceparent");
    static ngx_str_t  state = ngx_string("tracestate");

    t = &ctx->trace;

    p = ngx_pnalloc(r->pool, LLMGW_TRACEPARENT_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value.data = p;

    p = ngx_cpymem(p, "00-", 3);
    p = ngx_cpymem(p, t->trace_id, sizeof(t->trace_id));
    *p++ = '-';
    p = ngx_cpymem(p, t->span_id, sizeof(t->span_id));
    *p++ = '-';
    p = ngx_cpymem(p, t->flags, sizeof(t->flags));

    value.len = p - value.data;

    if (llmgw_request_set_header(r, &parent, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (t->state.len
        && llmgw_request_set_header(r, &state, &t->state) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* x-request-id on every answer of a governed location, errors included */

ngx_int_t
llmgw_trace_response_header(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-request-id");
    h->value.data = ctx->request_id;
    h->value.len = sizeof(ctx->request_id);

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/* $llmgw_trace_id (data 0), $llmgw_request_id (1) */

ngx_int_t
llmgw_trace_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    llmgw_ctx_t  *ctx;

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL || ctx->trace.trace_id[0] == '\0') {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data) {
        v->data = ctx->request_id;
        v->len = sizeof(ctx->request_id);

    } else {
        v->data = ctx->trace.trace_id;
        v->len = sizeof(ctx->trace.trace_id);
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
