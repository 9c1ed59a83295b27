/*
 * llmgw: stage 3, the response filters.
 *
 * A whole JSON response passes through untouched while its "usage" member
 * is captured.  A stream is split into events: each is copied out whole
 * (the upstream's buffers are freed at once), read for usage, and the usage
 * chunk the client did not ask for is dropped.  An error page nginx itself
 * makes for a governed location becomes our JSON error.
 */


#include "llmgw.h"


#define LLMGW_SSE_MAX_EVENT  (4 * 1024 * 1024)
#define LLMGW_SSE_BUF_SIZE   1024


static ngx_int_t llmgw_header_filter(ngx_http_request_t *r);
static ngx_int_t llmgw_body_filter(ngx_http_request_t *r, ngx_chain_t *in);
static ngx_int_t llmgw_error_page(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_error_page_body(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, ngx_chain_t *in);
static ngx_int_t llmgw_json_body(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_chain_t *in);
static ngx_int_t llmgw_sse_body(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_chain_t *in);
static void *llmgw_sse_alloc(void *data, size_t size);
static int llmgw_sse_event(void *data, const unsigned char *raw, size_t len);
static ngx_int_t llmgw_sse_has_usage(const u_char *p, size_t len,
    llmgw_format_e format);
static ngx_int_t llmgw_sse_fail(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const char *msg);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
llmgw_filter_init(ngx_conf_t *cf)
{
    if (llmgw_clock_filter_init_below(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = llmgw_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = llmgw_body_filter;

    return llmgw_clock_filter_init_above(cf);
}


static ngx_int_t
llmgw_header_filter(ngx_http_request_t *r)
{
    ngx_str_t         *ct;
    llmgw_ctx_t       *ctx;
    llmgw_loc_conf_t  *llcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL) {
        llcf = ngx_http_get_module_loc_conf(r, ngx_http_llmgw_module);

        if (!llcf->enable || !r->err_status) {
            return ngx_http_next_header_filter(r);
        }

        /* refused by nginx before our access handler ran: 413, 400 */

        ctx = llmgw_ctx_create(r);
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        llmgw_trace_start(r, ctx);
    }

    if (llmgw_trace_response_header(r, ctx) != NGX_OK
        || llmgw_govern_headers(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (r->err_status) {
        return llmgw_error_page(r, ctx);
    }

    if (!ctx->granted || r->upstream == NULL) {
        return ngx_http_next_header_filter(r);
    }

    if (ctx->api_key) {
        llmgw_key_health(r, ctx->provider, ctx->api_key,
                         r->headers_out.status);
    }

    ct = &r->headers_out.content_type;

    if (r->headers_out.status >= NGX_HTTP_BAD_REQUEST
        && !llmgw_content_type_is(ct, "application/json"))
    {
        /* a proxy in front of the provider answered with a page */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "llmgw: provider \"%V\" answered %ui without JSON",
                      &ctx->provider->name, r->headers_out.status);

        llmgw_error_for_status(ctx, r->headers_out.status);
        return llmgw_error_page(r, ctx);
    }

    if (ctx->translate) {
        switch (llmgw_translate_header(r, ctx)) {

        case NGX_DONE:
            /* the headers go with the translated body */
            r->filter_need_in_memory = 1;
            return NGX_OK;

        case NGX_OK:
            break;

        default:
            return NGX_ERROR;
        }
    }

    if (ctx->resp_mode == LLMGW_RESP_XSSE
        || ctx->resp_mode == LLMGW_RESP_XEVS
        || llmgw_content_type_is(ct, "text/event-stream"))
    {
        if (ctx->resp_mode == LLMGW_RESP_NONE) {
            ctx->resp_mode = LLMGW_RESP_SSE;
        }

        ctx->sse.alloc = llmgw_sse_alloc;
        ctx->sse.alloc_data = r->pool;
        ctx->sse.event = llmgw_sse_event;
        ctx->sse.event_data = r;
        ctx->sse.max_event = LLMGW_SSE_MAX_EVENT;
        llmgw_sse_init(&ctx->sse);

        r->filter_need_in_memory = 1;
        ngx_http_clear_content_length(r);
        ngx_http_clear_accept_ranges(r);

    } else if (llmgw_content_type_is(ct, "application/json")) {
        ctx->usage_json = 1;
        ctx->resp_mode = LLMGW_RESP_JSON;
        r->filter_need_in_memory = 1;
    }

    switch (llmgw_guard_output_header(r, ctx)) {

    case NGX_OK:
        break;

    case NGX_DONE:
        /* the header goes with the checked body */
        return NGX_OK;

    default:
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
llmgw_error_page(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_buf_t  *b;

    if (!ctx->status || ctx->status != (ngx_int_t) r->headers_out.status) {
        llmgw_error_for_status(ctx, r->headers_out.status);
    }

    b = llmgw_error_body(r, ctx);
    if (b == NULL) {
        return NGX_ERROR;
    }

    ctx->resp_mode = LLMGW_RESP_ERROR;
    ctx->error_page = b;

    r->headers_out.content_length_n = b->last - b->pos;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
llmgw_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    llmgw_ctx_t  *ctx;

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL || r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->first_byte == 0 && in && r->upstream) {
        ctx->first_byte = ngx_current_msec;
    }

    switch (ctx->resp_mode) {

    case LLMGW_RESP_ERROR:
        return llmgw_error_page_body(r, ctx, in);

    case LLMGW_RESP_JSON:
        if (llmgw_json_body(r, ctx, in) != NGX_OK) {
            return NGX_ERROR;
        }

        break;

    case LLMGW_RESP_SSE:
    case LLMGW_RESP_XSSE:
    case LLMGW_RESP_XEVS:
        return llmgw_sse_body(r, ctx, in);

    case LLMGW_RESP_XJSON:
        return llmgw_translate_whole(r, ctx, in, ngx_http_next_header_filter,
                                     ngx_http_next_body_filter);

    default:
        break;
    }

    return ngx_http_next_body_filter(r, in);
}


static ngx_int_t
llmgw_error_page_body(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_chain_t *in)
{
    ngx_chain_t   out;
    ngx_chain_t  *cl;

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;

        if (cl->buf->last_buf && ctx->error_page) {
            out.buf = ctx->error_page;
            out.buf->last_buf = 1;
            out.next = NULL;
            ctx->error_page = NULL;

            return ngx_http_next_body_filter(r, &out);
        }
    }

    return ngx_http_next_body_filter(r, NULL);
}


/* the answer is read whole when its first buffer holds all of it, which
 * is the common case; otherwise piece by piece */

static ngx_int_t
llmgw_json_body(ngx_http_request_t *r, llmgw_ctx_t *ctx, ngx_chain_t *in)
{
    size_t      n;
    ngx_int_t   rc;
    ngx_buf_t  *b;

    for ( /* void */ ; in; in = in->next) {
        b = in->buf;
        n = b->last - b->pos;

        if (ctx->usage_json && n && ngx_buf_in_memory(b)) {
            if (ctx->capture == NULL
                && r->headers_out.content_length_n == (off_t) n)
            {
                ctx->usage_json = 0;
                rc = llmgw_usage_whole(r, ctx, b->pos, n);

            } else {
                rc = llmgw_usage_piece(r, ctx, b->pos, n);
            }

            if (rc != NGX_OK) {
                return NGX_ERROR;
            }
        }

        if (b->last_buf && ctx->capture) {
            ctx->usage_json = 0;
            llmgw_usage_captured(ctx);
        }
    }

    return NGX_OK;
}


static ngx_int_t
llmgw_sse_body(ngx_http_request_t *r, llmgw_ctx_t *ctx, ngx_chain_t *in)
{
    size_t           n;
    ngx_int_t        rc;
    ngx_buf_t       *b;
    ngx_uint_t       flush, last;
    ngx_chain_t     *cl;
    llmgw_sse_rc_e   src;
    const u_char    *held;

    ctx->sse_out = NULL;
    ctx->sse_last = &ctx->sse_out;
    flush = 0;
    last = 0;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (ctx->resp_mode == LLMGW_RESP_XEVS) {
            if (ngx_buf_in_memory(b) && b->last > b->pos
                && llmgw_translate_evs(r, ctx, b->pos, b->last - b->pos)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

        } else if (ngx_buf_in_memory(b) && b->last > b->pos
                   && !ctx->sse_failed)
        {
            src = llmgw_sse_feed(&ctx->sse, b->pos, b->last - b->pos);

            if (src == LLMGW_SSE_TOO_LONG) {
                if (llmgw_sse_fail(r, ctx, "stream event too long") != NGX_OK)
                {
                    return NGX_ERROR;
                }

            } else if (src != LLMGW_SSE_OK) {
                return NGX_ERROR;
            }
        }

        b->pos = b->last;

        if (b->flush) {
            flush = 1;
        }

        if (b->last_buf) {
            last = 1;
        }
    }

    if (last && !ctx->sse_failed && ctx->resp_mode != LLMGW_RESP_XEVS) {
        /* an event the provider did not end with a blank line */
        n = llmgw_sse_pending(&ctx->sse, &held);

        if (n && llmgw_sse_event(r, held, n) != 0) {
            return NGX_ERROR;
        }
    }

    if (last && ctx->resp_mode != LLMGW_RESP_SSE
        && llmgw_translate_stream_end(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (last && ctx->guard_stream
        && llmgw_guard_output_end(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (flush || last) {
        cl = ngx_chain_get_free_buf(r->pool, &ctx->free);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        b = cl->buf;
        ngx_memzero(b, sizeof(ngx_buf_t));
        b->tag = (ngx_buf_tag_t) &ngx_http_llmgw_module;
        b->flush = flush;
        b->last_buf = last;
        b->sync = 1;

        *ctx->sse_last = cl;
        ctx->sse_last = &cl->next;
    }

    if (ctx->sse_out == NULL && ctx->busy == NULL && !r->connection->buffered)
    {
        return NGX_OK;
    }

    rc = ngx_http_next_body_filter(r, ctx->sse_out);

    ngx_chain_update_chains(r->pool, &ctx->free, &ctx->busy, &ctx->sse_out,
                            (ngx_buf_tag_t) &ngx_http_llmgw_module);

    return rc;
}


static void *
llmgw_sse_alloc(void *data, size_t size)
{
    return ngx_palloc((ngx_pool_t *) data, size);
}


static int
llmgw_sse_event(void *data, const unsigned char *raw, size_t len)
{
    ngx_http_request_t *r = data;

    u_char              *buf;
    ngx_uint_t           drop;
    llmgw_ctx_t         *ctx;
    llmgw_sse_fields_t   f;

    ctx = llmgw_ctx_get(r);

    if (ctx->resp_mode == LLMGW_RESP_XSSE) {
        return llmgw_translate_event(r, ctx, raw, len) == NGX_OK ? 0 : 1;
    }

    drop = 0;

    /* most events are deltas without usage, or "usage":null */

    if (llmgw_sse_has_usage(raw, len, ctx->pformat->format)) {
        buf = ngx_pnalloc(r->pool, len);
        if (buf == NULL) {
            return 1;
        }

        llmgw_sse_parse_fields(raw, len, buf, &f);

        if (f.data == NULL) {
            /* no data */

        } else if (ctx->pformat->format == LLMGW_FORMAT_ANTHROPIC) {
            llmgw_usage_from_anthropic_event(ctx, f.data, f.data_len);

        } else if (ctx->pformat->format == LLMGW_FORMAT_GEMINI) {
            llmgw_usage_from_gemini_event(ctx, f.data, f.data_len);

        } else {
            llmgw_usage_from_event(ctx, f.data, f.data_len, &drop);
        }
    }

    if (drop) {
        return 0;
    }

    if (!ctx->usage.seen) {
        llmgw_usage_count_text(ctx, raw, len);
    }

    return llmgw_sse_emit(r, ctx, raw, len) == NGX_OK ? 0 : 1;
}


/* a "usage" member (Gemini's "usageMetadata") whose value is an object */

static ngx_int_t
llmgw_sse_has_usage(const u_char *p, size_t len, llmgw_format_e format)
{
    size_t         n;
    const char    *name;
    const u_char  *q, *last;

    if (format == LLMGW_FORMAT_GEMINI) {
        name = "\"usageMetadata\"";
        n = sizeof("\"usageMetadata\"") - 1;

    } else {
        name = "\"usage\"";
        n = sizeof("\"usage\"") - 1;
    }

    last = p + len;

    for ( ;; ) {
        q = llmgw_json_find_pair(p, last, '"', 'u');
        if (q == NULL) {
            return 0;
        }

        if ((size_t) (last - q) < n || ngx_memcmp(q, name, n) != 0) {
            p = q + 1;
            continue;
        }

        p = q + n;

        while (p < last && (*p == ' ' || *p == ':' || *p == '\t')) {
            p++;
        }

        if (p < last && *p == '{') {
            return 1;
        }
    }
}


/* what goes to the client: through the output guardrail when there is
 * one */

ngx_int_t
llmgw_sse_emit(ngx_http_request_t *r, llmgw_ctx_t *ctx, const u_char *p,
    size_t len)
{
    if (ctx->guard_stream) {
        return llmgw_guard_output_stream(r, ctx, p, len);
    }

    return llmgw_sse_put(r, ctx, p, len);
}


ngx_int_t
llmgw_sse_put(ngx_http_request_t *r, llmgw_ctx_t *ctx, const u_char *p,
    size_t len)
{
    size_t        size;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = ngx_chain_get_free_buf(r->pool, &ctx->free);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    b = cl->buf;

    if (b->start == NULL || (size_t) (b->end - b->start) < len) {
        size = ngx_max(len, LLMGW_SSE_BUF_SIZE);

        b->start = ngx_palloc(r->pool, size);
        if (b->start == NULL) {
            return NGX_ERROR;
        }

        b->end = b->start + size;
    }

    b->pos = b->start;
    b->last = ngx_cpymem(b->start, p, len);
    b->temporary = 1;
    b->tag = (ngx_buf_tag_t) &ngx_http_llmgw_module;
    b->flush = 0;
    b->last_buf = 0;
    b->sync = 0;

    *ctx->sse_last = cl;
    ctx->sse_last = &cl->next;

    return NGX_OK;
}


/* The client gets an error event and a clean end, never a silent cut. */

static ngx_int_t
llmgw_sse_fail(ngx_http_request_t *r, llmgw_ctx_t *ctx, const char *msg)
{
    ngx_buf_t  *b;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "llmgw: provider stream: %s", msg);

    ctx->sse_failed = 1;

    if (ctx->xs) {
        (void) llmgw_xstream_fail(ctx->xs, "api_error", msg);

        if (ctx->xs->out.failed
            || llmgw_sse_emit(r, ctx, ctx->xs->out.data, ctx->xs->out.len)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        ctx->xs->out.len = 0;
        return NGX_OK;
    }

    llmgw_error_for_status(ctx, NGX_HTTP_BAD_GATEWAY);
    ctx->error_msg.data = (u_char *) msg;
    ctx->error_msg.len = ngx_strlen(msg);
    ngx_str_set(&ctx->error_code, "bad_stream");

    b = llmgw_error_event(r, ctx);
    if (b == NULL) {
        return NGX_ERROR;
    }

    return llmgw_sse_emit(r, ctx, b->pos, b->last - b->pos);
}
