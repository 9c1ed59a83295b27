/*
 * llmgw: W3C trace context and the request id.
 *
 * A valid `traceparent` from the client is continued, else a trace starts
 * here.  The provider gets the trace with the gateway's own span as its
 * parent, and `tracestate` as it came.  The request id is nginx's
 * $request_id, returned to the client as `x-request-id`.
 */


#include "llmgw.h"

#include <openssl/rand.h>


#define LLMGW_TRACEPARENT_LEN  55
#define LLMGW_TRACESTATE_MAX   512


static ngx_int_t llmgw_trace_parse(llmgw_trace_t *t, ngx_str_t *v);
static ngx_uint_t llmgw_trace_hex(u_char *p, size_t n);
static void llmgw_trace_random(u_char *hex, size_t n);


static ngx_str_t  llmgw_request_id_name = ngx_string("request_id");


ngx_int_t
llmgw_trace_init_conf(ngx_conf_t *cf, llmgw_main_conf_t *lmcf)
{
    ngx_int_t  index;

    index = ngx_http_get_variable_index(cf, &llmgw_request_id_name);
    if (index == NGX_ERROR) {
        return NGX_ERROR;
    }

    lmcf->request_id_index = index;

    return NGX_OK;
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


static void
llmgw_trace_random(u_char *hex, size_t n)
{
    u_char      bytes[16];
    ngx_uint_t  i;

    if (RAND_bytes(bytes, n / 2) != 1) {
        for (i = 0; i < n / 2; i++) {
            bytes[i] = (u_char) ngx_random();
        }
    }

    /* an id of zeros is invalid: 2^-64 at worst, but never sent */
    bytes[0] |= (bytes[0] == 0);

    ngx_hex_dump(hex, bytes, n / 2);
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
    value.len = ngx_sprintf(p, "00-%*s-%*s-%*s", sizeof(t->trace_id),
                            t->trace_id, sizeof(t->span_id), t->span_id,
                            sizeof(t->flags), t->flags)
                - p;

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


ngx_int_t
llmgw_request_id(ngx_http_request_t *r, ngx_str_t *id)
{
    llmgw_main_conf_t          *lmcf;
    ngx_http_variable_value_t  *v;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    v = ngx_http_get_indexed_variable(r, lmcf->request_id_index);

    if (v == NULL || v->not_found) {
        return NGX_ERROR;
    }

    id->data = v->data;
    id->len = v->len;

    return NGX_OK;
}


/* x-request-id on every answer of a governed location, errors included */

ngx_int_t
llmgw_trace_response_header(ngx_http_request_t *r)
{
    ngx_str_t         id;
    ngx_table_elt_t  *h;

    if (llmgw_request_id(r, &id) != NGX_OK) {
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "x-request-id");
    h->value = id;

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


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

    v->data = ctx->trace.trace_id;
    v->len = sizeof(ctx->trace.trace_id);
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
