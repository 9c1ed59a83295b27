/*
 * llmgw: requests and responses between formats, on nginx's side.  The
 * translators (llmgw_xlate.h) work on jansson trees and deltas; this file
 * feeds them the body, the response and the stream, and hands their output
 * on.  Used only when the client's format is not the provider's: the
 * pass-through path never comes here.
 */


#include "llmgw.h"


#define LLMGW_MAX_RESPONSE  (64 * 1024 * 1024)


static json_t *llmgw_translate_tree(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    json_t *req, llmgw_xerr_t *err);
static void llmgw_xreq_init(llmgw_ctx_t *ctx, llmgw_xreq_t *opt);
static ngx_int_t llmgw_translate_fail(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_xerr_t *err);
static void llmgw_xstream_cleanup(void *data);
static ngx_int_t llmgw_translate_stream_init(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static void llmgw_translate_usage(llmgw_ctx_t *ctx);
static ngx_int_t llmgw_translate_out(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_translate_evs_init(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static void llmgw_evs_cleanup(void *data);
static uint32_t llmgw_crc32(uint32_t crc, const unsigned char *p, size_t len);
static int llmgw_translate_evs_message(void *data,
    const llmgw_evs_message_t *m);
static ngx_uint_t llmgw_sse_has_content(const u_char *p, size_t len);
static ngx_buf_t *llmgw_translate_passthrough(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_buf_t *llmgw_translate_response(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, u_char *p, size_t len);
static json_t *llmgw_translate_success(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, json_t *resp, llmgw_xerr_t *err);
static ngx_buf_t *llmgw_translate_error(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_xerr_t *err);
static ngx_int_t llmgw_completion_head(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, json_t **canon);
static const char *llmgw_response_id(ngx_http_request_t *r);
static ngx_uint_t llmgw_json_str_is(json_t *v, const char *s);
static ngx_int_t llmgw_embed_usage_header(ngx_http_request_t *r,
    json_t *list);
static ngx_int_t llmgw_embed_base64(ngx_http_request_t *r, json_t *list);
static void llmgw_float_le(u_char *p, float f);
static ngx_buf_t *llmgw_out_to_buf(ngx_http_request_t *r, llmgw_out_t *o);
static ngx_buf_t *llmgw_json_to_buf(ngx_http_request_t *r, json_t *v,
    ngx_uint_t newline);
static void llmgw_out_cleanup(void *data);


/* the request: parsed once, translated, dumped once */

ngx_int_t
llmgw_translate_request(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    json_t        *req, *out;
    ngx_buf_t     *b;
    ngx_chain_t   *cl;
    llmgw_xerr_t   err;
    json_error_t   jerr;

    req = json_loadb((char *) ctx->body.data, ctx->body.len,
                     JSON_REJECT_DUPLICATES, &jerr);

    if (req == NULL) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "The request body is not valid JSON: %s",
                          jerr.text);
    }

    /* the gateway's own field */
    (void) json_object_del(req, "fallbacks");

    out = llmgw_translate_tree(r, ctx, req, &err);
    json_decref(req);

    if (out == NULL) {
        return llmgw_translate_fail(r, ctx, &err);
    }

    b = llmgw_json_to_buf(r, out, 0);
    json_decref(out);

    if (b == NULL) {
        return NGX_ERROR;
    }

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    b->last_buf = 1;
    cl->buf = b;
    cl->next = NULL;

    r->request_body->bufs = cl;
    r->request_body->buf = NULL;
    r->headers_in.content_length_n = b->last - b->pos;

    return NGX_OK;
}


static json_t *
llmgw_translate_tree(ngx_http_request_t *r, llmgw_ctx_t *ctx, json_t *req,
    llmgw_xerr_t *err)
{
    json_t                *canon, *out;
    llmgw_xreq_t           opt;
    const llmgw_format_t  *cf, *pf;

    cf = llmgw_format(ctx->client_format);
    pf = ctx->pformat;

    llmgw_xreq_init(ctx, &opt);

    if (ctx->endpoint == LLMGW_EP_EMBEDDINGS) {
        if (pf->embed_out == NULL) {
            llmgw_xerr(err, 400, "invalid_request_error", "Provider \"%.*s\" "
                       "does not serve embeddings",
                       (int) ctx->provider->name.len,
                       ctx->provider->name.data);
            return NULL;
        }

        ctx->embed_base64 = llmgw_json_str_is(json_object_get(req,
                                              "encoding_format"), "base64");

        return pf->embed_out(req, &opt, err);
    }

    if (cf == pf && ctx->vertex) {
        /* Anthropic on Vertex: the model moves to the URL */
        out = json_deep_copy(req);

        if (out == NULL
            || json_object_del(out, "model") == -2
            || json_object_set_new(out, "anthropic_version",
                                   json_string("vertex-2023-10-16")) != 0)
        {
            json_decref(out);
            llmgw_xerr(err, 500, "api_error", "out of memory");
            return NULL;
        }

        return out;
    }

    canon = cf->request_in ? cf->request_in(req, err) : json_incref(req);

    if (canon == NULL) {
        return NULL;
    }

    out = pf->request_out ? pf->request_out(canon, &opt, err)
                          : json_incref(canon);

    json_decref(canon);

    return out;
}


static void
llmgw_xreq_init(llmgw_ctx_t *ctx, llmgw_xreq_t *opt)
{
    ngx_memzero(opt, sizeof(llmgw_xreq_t));

    opt->model = (char *) ctx->upstream_model.data;
    opt->model_len = ctx->upstream_model.len;
    opt->default_max_tokens = ctx->provider->default_max_tokens;
    opt->stream = ctx->stream;
    opt->stream_usage = ctx->provider->kind->stream_usage_option;
    opt->vertex = ctx->vertex;
}


static ngx_int_t
llmgw_translate_fail(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_xerr_t *err)
{
    if (err->status >= 500) {
        return llmgw_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR, "api_error",
                          "internal_error", "%s", err->message);
    }

    return llmgw_fail(r, ctx, err->status, err->type, "unsupported_request",
                      "%s", err->message);
}


/*
 * The header filter's part.  A stream is translated as it comes; a whole
 * response waits until it is complete, and so do its headers: its status
 * may change (a provider's answer that cannot be read is a 502).
 */

ngx_int_t
llmgw_translate_header(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t           *ct = &r->headers_out.content_type;
    llmgw_resp_mode_e    mode;
    ngx_pool_cleanup_t  *cln;

    mode = LLMGW_RESP_XJSON;

    if (r->headers_out.status < NGX_HTTP_BAD_REQUEST) {
        if (llmgw_content_type_is(ct, "text/event-stream")) {
            mode = LLMGW_RESP_XSSE;

        } else if (llmgw_content_type_is(ct,
                                         "application/vnd.amazon.eventstream"))
        {
            mode = LLMGW_RESP_XEVS;
        }
    }

    if (mode != LLMGW_RESP_XJSON) {
        if (llmgw_translate_stream_init(r, ctx) != NGX_OK
            || (mode == LLMGW_RESP_XEVS
                && llmgw_translate_evs_init(r, ctx) != NGX_OK))
        {
            return NGX_ERROR;
        }

        ctx->resp_mode = mode;
        ngx_str_set(&r->headers_out.content_type, "text/event-stream");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
        r->headers_out.content_type_lowcase = NULL;

        return NGX_OK;
    }

    ctx->xbody = ngx_pcalloc(r->pool, sizeof(llmgw_out_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ctx->xbody == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = llmgw_out_cleanup;
    cln->data = ctx->xbody;

    ctx->resp_mode = LLMGW_RESP_XJSON;

    return NGX_DONE;
}


static void
llmgw_out_cleanup(void *data)
{
    llmgw_out_free(data);
}


static ngx_int_t
llmgw_translate_stream_init(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_pool_cleanup_t  *cln;

    ctx->xs = ngx_pcalloc(r->pool, sizeof(llmgw_xstream_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ctx->xs == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    if (llmgw_xstream_init(ctx->xs, ctx->pformat,
                           llmgw_format(ctx->client_format),
                           (char *) ctx->upstream_model.data,
                           ctx->upstream_model.len,
                           ngx_time()) != 0)
    {
        return NGX_ERROR;
    }

    cln->handler = llmgw_xstream_cleanup;
    cln->data = ctx->xs;

    ngx_cpystrn((u_char *) ctx->xs->id, (u_char *) llmgw_response_id(r),
                sizeof(ctx->xs->id));

    ctx->xs->include_usage = ctx->include_usage;

    return NGX_OK;
}


static void
llmgw_xstream_cleanup(void *data)
{
    llmgw_xstream_free(data);
}


/* one event of the provider's stream; its translation goes out */

ngx_int_t
llmgw_translate_event(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *raw, size_t len)
{
    llmgw_xstream_t     *xs;
    llmgw_sse_fields_t   f;

    xs = ctx->xs;

    /* where an event of several data lines is joined: grown, not made
     * anew for each event of a long stream */
    if (ctx->xevent_size < len) {
        ctx->xevent_size = ngx_max(len, 2 * ctx->xevent_size);
        ctx->xevent = ngx_pnalloc(r->pool, ctx->xevent_size);
        if (ctx->xevent == NULL) {
            return NGX_ERROR;
        }
    }

    llmgw_sse_parse_fields(raw, len, ctx->xevent, &f);

    if (f.data == NULL && !llmgw_sse_has_content(raw, len)) {
        return NGX_OK;
    }

    (void) llmgw_xstream_event(xs, (const char *) f.event, f.event_len,
                               (const char *) f.data, f.data_len);

    return llmgw_translate_out(r, ctx);
}


/* what the client's encoder wrote for an event goes out */

static ngx_int_t
llmgw_translate_out(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_int_t         rc;
    llmgw_xstream_t  *xs;

    xs = ctx->xs;

    if (xs->failed && !ctx->sse_failed) {
        ctx->sse_failed = 1;
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llmgw: provider \"%V\": the stream could not be "
                      "translated", &ctx->provider->name);
    }

    if (xs->out.failed) {
        return NGX_ERROR;
    }

    llmgw_translate_usage(ctx);

    rc = NGX_OK;

    if (xs->out.len) {
        rc = llmgw_sse_emit(r, ctx, xs->out.data, xs->out.len);
        xs->out.len = 0;
    }

    return rc;
}


/*
 * Bedrock's binary event stream: each message checked and handed to the
 * decoder as an event named by its :event-type, or, for an exception, by
 * its :exception-type.  A corrupt stream ends the client's with an error.
 */

static ngx_int_t
llmgw_translate_evs_init(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_pool_cleanup_t  *cln;

    ctx->evs = ngx_pcalloc(r->pool, sizeof(llmgw_evs_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ctx->evs == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    llmgw_evs_init(ctx->evs, llmgw_crc32, llmgw_translate_evs_message, r);

    cln->handler = llmgw_evs_cleanup;
    cln->data = ctx->evs;

    return NGX_OK;
}


static void
llmgw_evs_cleanup(void *data)
{
    llmgw_evs_free(data);
}


static uint32_t
llmgw_crc32(uint32_t crc, const unsigned char *p, size_t len)
{
    crc ^= 0xffffffff;
    ngx_crc32_update(&crc, (u_char *) p, len);

    return crc ^ 0xffffffff;
}


ngx_int_t
llmgw_translate_evs(ngx_http_request_t *r, llmgw_ctx_t *ctx, const u_char *p,
    size_t len)
{
    if (llmgw_evs_feed(ctx->evs, p, len) == 0) {
        return NGX_OK;
    }

    if (ctx->xs->out.failed || ctx->evs_emit_failed) {
        return NGX_ERROR;
    }

    if (ctx->xs->ended) {
        /* the decoder failed the stream */
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "llmgw: provider \"%V\": event stream: %s",
                  &ctx->provider->name, ctx->evs->error);

    (void) llmgw_xstream_fail(ctx->xs, "api_error",
                              "The provider's event stream is corrupt");

    return llmgw_translate_out(r, ctx);
}


static int
llmgw_translate_evs_message(void *data, const llmgw_evs_message_t *m)
{
    ngx_http_request_t *r = data;

    u_char           *msg;
    const char       *type;
    llmgw_ctx_t      *ctx;
    llmgw_xstream_t  *xs;

    ctx = llmgw_ctx_get(r);
    xs = ctx->xs;
    type = (const char *) m->message_type;

    if (llmgw_str_is(type, m->message_type_len, "exception")) {
        (void) llmgw_xstream_event(xs, (const char *) m->exception_type,
                                   m->exception_type_len,
                                   (const char *) m->payload,
                                   m->payload_len);

    } else if (llmgw_str_is(type, m->message_type_len, "error")) {
        msg = ngx_pnalloc(r->pool, m->error_message_len + 1);
        if (msg == NULL) {
            ctx->evs_emit_failed = 1;
            return -1;
        }

        ngx_cpystrn(msg, (u_char *) m->error_message,
                    m->error_message_len + 1);

        (void) llmgw_xstream_fail(xs, "api_error", (char *) msg);

    } else {
        (void) llmgw_xstream_event(xs, (const char *) m->event_type,
                                   m->event_type_len,
                                   (const char *) m->payload,
                                   m->payload_len);
    }

    if (llmgw_translate_out(r, ctx) != NGX_OK) {
        ctx->evs_emit_failed = 1;
        return -1;
    }

    return xs->ended ? -1 : 0;
}


ngx_uint_t
llmgw_content_type_is(ngx_str_t *ct, const char *type)
{
    size_t  len;

    len = ngx_strlen(type);

    /* providers write it in lowercase: the exact match first */
    return ct->len >= len
           && (ngx_memcmp(ct->data, type, len) == 0
               || ngx_strncasecmp(ct->data, (u_char *) type, len) == 0)
           && (ct->len == len || ct->data[len] == ';' || ct->data[len] == ' ');
}


ngx_int_t
llmgw_translate_stream_end(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_int_t         rc;
    llmgw_xstream_t  *xs;

    xs = ctx->xs;

    if (!xs->ended) {
        (void) llmgw_xstream_end(xs);

        if (xs->failed) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "llmgw: provider \"%V\": the stream ended before "
                          "it finished", &ctx->provider->name);
        }
    }

    if (xs->out.failed) {
        return NGX_ERROR;
    }

    llmgw_translate_usage(ctx);

    rc = NGX_OK;

    if (xs->out.len) {
        rc = llmgw_sse_emit(r, ctx, xs->out.data, xs->out.len);
        xs->out.len = 0;
    }

    return rc;
}


/* an event without data that is not only comments and blank lines: text
 * that is not SSE, as an error body written into a stream; its decoder
 * judges it */

static ngx_uint_t
llmgw_sse_has_content(const u_char *p, size_t len)
{
    ngx_uint_t     bol;
    const u_char  *last;

    bol = 1;

    for (last = p + len; p < last; p++) {
        if (*p == '\r' || *p == '\n') {
            bol = 1;
            continue;
        }

        if (bol && *p != ':') {
            return 1;
        }

        bol = 0;
    }

    return 0;
}


/* the usage so far; known once the provider said it finished: a stream cut
 * before is billed by the log phase for the text it delivered */

static void
llmgw_translate_usage(llmgw_ctx_t *ctx)
{
    llmgw_xstream_t  *xs = ctx->xs;

    ctx->streamed_text = xs->text_bytes;

    if (xs->usage.seen) {
        ctx->usage = xs->usage;
        ctx->usage.seen = xs->finished;
    }
}


/* a whole response: gathered, then translated, then sent with its headers */

ngx_int_t
llmgw_translate_whole(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_chain_t *in, ngx_http_output_header_filter_pt next_header,
    ngx_http_output_body_filter_pt next_body)
{
    size_t        size;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_uint_t    last;
    ngx_chain_t  *cl, out;

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;
        size = ngx_buf_in_memory(b) ? (size_t) (b->last - b->pos) : 0;

        if (size && ctx->xbody_len + size <= LLMGW_MAX_RESPONSE) {
            llmgw_out_raw(ctx->xbody, b->pos, size);
        }

        ctx->xbody_len += size;
        b->pos = b->last;

        if (b->last_buf) {
            last = 1;
        }
    }

    if (!last) {
        return NGX_OK;
    }

    if (ctx->xbody_len > LLMGW_MAX_RESPONSE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llmgw: provider \"%V\": a response of %uz bytes is "
                      "too large to translate", &ctx->provider->name,
                      ctx->xbody_len);
        b = NULL;

    } else if (ctx->xbody->failed) {
        return NGX_ERROR;

    } else if (!ctx->translate) {
        /* held only for the output guardrail */
        b = llmgw_translate_passthrough(r, ctx);

    } else {
        b = llmgw_translate_response(r, ctx, ctx->xbody->data,
                                     ctx->xbody->len);
    }

    if (b && ctx->guard && ctx->guard->output.guard) {
        b = llmgw_guard_output_whole(r, ctx, b);

        if (b == NULL) {
            return NGX_ERROR;
        }
    }

    if (b == NULL) {
        llmgw_error_for_status(ctx, NGX_HTTP_BAD_GATEWAY);
        ngx_str_set(&ctx->error_msg, "The provider's answer could not be "
                    "read");
        ngx_str_set(&ctx->error_code, "bad_response");

        b = llmgw_error_body(r, ctx);
        if (b == NULL) {
            return NGX_ERROR;
        }

        r->headers_out.status = NGX_HTTP_BAD_GATEWAY;
    }

    r->headers_out.content_length_n = b->last - b->pos;
    r->headers_out.status_line.len = 0;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    rc = next_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = 1;
    out.buf = b;
    out.next = NULL;

    return next_body(r, &out);
}


/* an answer in the client's format already, read for its usage */

static ngx_buf_t *
llmgw_translate_passthrough(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_buf_t  *b;

    if (ctx->usage_json && ctx->xbody->len) {
        ctx->usage_json = 0;

        if (llmgw_usage_whole(r, ctx, ctx->xbody->data, ctx->xbody->len)
            != NGX_OK)
        {
            return NULL;
        }
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NULL;
    }

    b->pos = b->start = ctx->xbody->data;
    b->last = b->end = ctx->xbody->data + ctx->xbody->len;
    b->memory = 1;

    return b;
}


/* NULL: the answer cannot be read (a 502 for the client) */

static ngx_buf_t *
llmgw_translate_response(ngx_http_request_t *r, llmgw_ctx_t *ctx, u_char *p,
    size_t len)
{
    json_t        *resp, *out;
    ngx_buf_t     *b;
    ngx_uint_t     status;
    llmgw_xerr_t   err;

    status = r->headers_out.status;

    resp = json_loadb((char *) p, len, 0, NULL);

    if (resp == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llmgw: provider \"%V\" answered %ui with a body "
                      "that is not JSON", &ctx->provider->name, status);
        return NULL;
    }

    err.status = 0;
    err.type = NULL;

    if (status >= NGX_HTTP_BAD_REQUEST) {
        if (ctx->pformat->error_in == NULL
            || ctx->pformat->error_in(resp, status, &err) != 0)
        {
            llmgw_xerr(&err, status, NULL, "The provider answered %u",
                       (unsigned) status);
        }

        json_decref(resp);
        return llmgw_translate_error(r, ctx, &err);
    }

    if (ctx->pformat->error_in
        && ctx->pformat->error_in(resp, status, &err) == 0)
    {
        /* an error in a 2xx */
        json_decref(resp);
        return llmgw_translate_error(r, ctx, &err);
    }

    out = llmgw_translate_success(r, ctx, resp, &err);
    json_decref(resp);

    if (out == NULL) {
        if (err.status == 0) {
            return NULL;
        }

        return llmgw_translate_error(r, ctx, &err);
    }

    b = llmgw_json_to_buf(r, out, 1);
    json_decref(out);

    return b;
}


static json_t *
llmgw_translate_success(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    json_t *resp, llmgw_xerr_t *err)
{
    u_char                *model;
    json_t                *canon, *out;
    const llmgw_format_t  *cf, *pf;

    cf = llmgw_format(ctx->client_format);
    pf = ctx->pformat;
    err->status = 0;

    if (ctx->endpoint == LLMGW_EP_EMBEDDINGS) {
        model = ngx_pnalloc(r->pool, ctx->upstream_model.len + 1);
        if (model == NULL) {
            return NULL;
        }

        ngx_memcpy(model, ctx->upstream_model.data, ctx->upstream_model.len);
        model[ctx->upstream_model.len] = '\0';

        canon = pf->embed_in ? pf->embed_in(resp, (char *) model, err)
                             : json_incref(resp);

        if (canon
            && (llmgw_embed_usage_header(r, canon) != NGX_OK
                || (ctx->embed_base64
                    && llmgw_embed_base64(r, canon) != NGX_OK)))
        {
            json_decref(canon);
            return NULL;
        }

    } else {
        canon = pf->response_in ? pf->response_in(resp, err)
                                : json_incref(resp);

        if (canon && llmgw_completion_head(r, ctx, &canon) != NGX_OK) {
            json_decref(canon);
            return NULL;
        }
    }

    if (canon == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llmgw: provider \"%V\": %s", &ctx->provider->name,
                      err->status ? err->message : "unreadable answer");
        return NULL;
    }

    llmgw_usage_from_json(json_object_get(canon, "usage"), &ctx->usage);

    if (cf == pf) {
        /* the same format: read for its usage only */
        json_decref(canon);
        return json_incref(resp);
    }

    if (ctx->endpoint == LLMGW_EP_EMBEDDINGS || cf->response_out == NULL) {
        return canon;
    }

    out = cf->response_out(canon, err);
    json_decref(canon);

    return out;
}


/* the provider's error, or one found in translating, in the client's
 * format; the provider's status stays */

static ngx_buf_t *
llmgw_translate_error(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_xerr_t *err)
{
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "llmgw: provider \"%V\" answered %ui: %s",
                  &ctx->provider->name, r->headers_out.status, err->message);

    if (r->headers_out.status < NGX_HTTP_BAD_REQUEST) {
        r->headers_out.status = err->status >= NGX_HTTP_BAD_REQUEST
                                ? (ngx_uint_t) err->status
                                : NGX_HTTP_BAD_GATEWAY;
    }

    llmgw_error_for_status(ctx, r->headers_out.status);

    if (err->type) {
        ctx->error_type.data = (u_char *) err->type;
        ctx->error_type.len = ngx_strlen(err->type);
    }

    ngx_str_set(&ctx->error_code, "provider_error");
    ctx->error_msg.len = ngx_strlen(err->message);
    ctx->error_msg.data = ngx_pnalloc(r->pool, ctx->error_msg.len);

    if (ctx->error_msg.data == NULL) {
        return NULL;
    }

    ngx_memcpy(ctx->error_msg.data, err->message, ctx->error_msg.len);

    return llmgw_error_body(r, ctx);
}


static ngx_buf_t *
llmgw_json_to_buf(ngx_http_request_t *r, json_t *v, ngx_uint_t newline)
{
    ngx_buf_t    *b;
    llmgw_out_t   o;

    ngx_memzero(&o, sizeof(llmgw_out_t));

    llmgw_out_json(&o, v);

    if (newline) {
        llmgw_out_raw(&o, "\n", 1);
    }

    b = llmgw_out_to_buf(r, &o);
    llmgw_out_free(&o);

    return b;
}


static ngx_buf_t *
llmgw_out_to_buf(ngx_http_request_t *r, llmgw_out_t *o)
{
    ngx_buf_t  *b;

    if (o->failed) {
        return NULL;
    }

    b = ngx_create_temp_buf(r->pool, o->len);
    if (b == NULL) {
        return NULL;
    }

    b->last = ngx_cpymem(b->pos, o->data, o->len);

    return b;
}


/* id, object, created and model first, as OpenAI orders them, filled in
 * where the provider gave none (Bedrock gives no id and no model) */

static ngx_int_t
llmgw_completion_head(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    json_t **canon)
{
    json_t  *c, *head;

    c = *canon;

    head = json_pack("{s:o?,s:s,s:I,s:o?}",
                     "id", json_incref(json_object_get(c, "id")),
                     "object", "chat.completion",
                     "created", (json_int_t) ngx_time(),
                     "model", json_incref(json_object_get(c, "model")));

    if (head == NULL) {
        return NGX_ERROR;
    }

    if (json_object_get(c, "id") == NULL) {
        json_object_set_new(head, "id", json_string(llmgw_response_id(r)));
    }

    if (json_string_length(json_object_get(c, "model")) == 0) {
        json_object_set_new(head, "model",
                            json_stringn((char *) ctx->upstream_model.data,
                                         ctx->upstream_model.len));
        json_object_del(c, "model");
    }

    if (json_integer_value(json_object_get(c, "created")) == 0) {
        json_object_del(c, "created");
    }

    if (json_object_update(head, c) != 0) {
        json_decref(head);
        return NGX_ERROR;
    }

    json_decref(c);
    *canon = head;

    return NGX_OK;
}


/* an id for a response whose provider gave none: unique per worker */

static const char *
llmgw_response_id(ngx_http_request_t *r)
{
    static u_char  id[64];

    ngx_snprintf(id, sizeof(id) - 1, "chatcmpl-llmgw%xA%xi%Z",
                 r->connection->number, (ngx_uint_t) ngx_current_msec);

    return (char *) id;
}


static ngx_uint_t
llmgw_json_str_is(json_t *v, const char *s)
{
    return json_is_string(v) && ngx_strcmp(json_string_value(v), s) == 0;
}


/* Bedrock's InvokeModel counts a Cohere model's input in a header only */

static ngx_int_t
llmgw_embed_usage_header(ngx_http_request_t *r, json_t *list)
{
    ngx_int_t         n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    static u_char  name[] = "x-amzn-bedrock-input-token-count";

    if (json_object_get(list, "usage") || r->upstream == NULL) {
        return NGX_OK;
    }

    part = &r->upstream->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NGX_OK;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != sizeof(name) - 1
            || ngx_strncasecmp(h[i].key.data, name, sizeof(name) - 1) != 0)
        {
            continue;
        }

        n = ngx_atoi(h[i].value.data, h[i].value.len);
        if (n == NGX_ERROR) {
            return NGX_OK;
        }

        return json_object_set_new(list, "usage",
                                   json_pack("{sIsI}", "prompt_tokens",
                                             (json_int_t) n, "total_tokens",
                                             (json_int_t) n))
               == 0 ? NGX_OK : NGX_ERROR;
    }
}


/* the client asked for base64: each vector as float32 little-endian
 * bytes, as OpenAI sends it */

static ngx_int_t
llmgw_embed_base64(ngx_http_request_t *r, json_t *list)
{
    float       f;
    size_t      i, j;
    json_t     *item, *vec, *v;
    ngx_str_t   raw, enc;

    json_array_foreach(json_object_get(list, "data"), i, item) {
        vec = json_object_get(item, "embedding");

        if (!json_is_array(vec)) {
            continue;
        }

        raw.len = json_array_size(vec) * 4;
        raw.data = ngx_pnalloc(r->pool, raw.len);
        enc.data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(raw.len)
                                        + 1);
        if (raw.data == NULL || enc.data == NULL) {
            return NGX_ERROR;
        }

        json_array_foreach(vec, j, v) {
            f = (float) json_number_value(v);
            llmgw_float_le(raw.data + 4 * j, f);
        }

        ngx_encode_base64(&enc, &raw);

        if (json_object_set_new(item, "embedding",
                                json_stringn((char *) enc.data, enc.len))
            != 0)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
llmgw_float_le(u_char *p, float f)
{
    uint32_t  u;

    ngx_memcpy(&u, &f, 4);

    p[0] = (u_char) u;
    p[1] = (u_char) (u >> 8);
    p[2] = (u_char) (u >> 16);
    p[3] = (u_char) (u >> 24);
}
