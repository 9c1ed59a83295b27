/*
 * llmgw: stage 1, the access phase.
 *
 * First entry: endpoint, method, virtual key, then the body is read without
 * blocking.  When it is in, the phases run again and the second entry reads
 * the request, resolves the model and rewrites the request for the
 * provider.  Any later entry (stray events) finds its answer in the context.
 */


#include "llmgw.h"


static ngx_int_t llmgw_access_start(ngx_http_request_t *r);
static ngx_int_t llmgw_access_body(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_access_steps(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_access_fail(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_access_error(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static void llmgw_body_handler(ngx_http_request_t *r);
static ngx_int_t llmgw_count_tokens(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static llmgw_endpoint_e llmgw_endpoint(ngx_http_request_t *r);
static llmgw_format_e llmgw_endpoint_format(llmgw_endpoint_e ep);
static void llmgw_ctx_cleanup(void *data);


ngx_int_t
llmgw_access_handler(ngx_http_request_t *r)
{
    llmgw_ctx_t       *ctx;
    llmgw_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_llmgw_module);

    if (llcf->admin) {
        return llmgw_admin_access(r);
    }

    if (!llcf->enable || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL) {
        if (llcf->fallback) {
            /* only an error_page of a governed location comes here */
            return NGX_HTTP_NOT_FOUND;
        }

        return llmgw_access_start(r);
    }

    if (ctx->granted) {
        if (!llcf->fallback || ctx->granted_in == r->uri_changes) {
            return NGX_DECLINED;
        }

        /* the attempt failed and an error_page brought it here */
        if (llmgw_fallback(r, ctx) != NGX_OK) {
            return llmgw_access_fail(r, ctx);
        }
    }

    if (ctx->reading_body || ctx->waiting || ctx->error_sent) {
        return NGX_DONE;
    }

    if (ctx->status) {
        return llmgw_access_fail(r, ctx);
    }

    return llmgw_access_body(r, ctx);
}


static ngx_int_t
llmgw_access_start(ngx_http_request_t *r)
{
    uint64_t      start;
    ngx_int_t     rc;
    llmgw_ctx_t  *ctx;

    start = llmgw_clock_ns();

    ctx = llmgw_ctx_create(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    llmgw_trace_start(r, ctx);

    ctx->endpoint = llmgw_endpoint(r);
    ctx->client_format = llmgw_endpoint_format(ctx->endpoint);

    if (ctx->endpoint == LLMGW_EP_UNKNOWN) {
        llmgw_fail(r, ctx, NGX_HTTP_NOT_FOUND, "not_found_error",
                   "unknown_endpoint", "Unknown endpoint %V", &r->uri);
        return llmgw_access_fail(r, ctx);
    }

    if (ctx->endpoint == LLMGW_EP_MODELS || ctx->endpoint == LLMGW_EP_USAGE) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            llmgw_fail(r, ctx, NGX_HTTP_NOT_ALLOWED, "invalid_request_error",
                       "method_not_allowed", "Method %V is not allowed on "
                       "%V: use GET", &r->method_name, &r->uri);
            return llmgw_access_fail(r, ctx);
        }

    } else if (r->method != NGX_HTTP_POST) {
        llmgw_fail(r, ctx, NGX_HTTP_NOT_ALLOWED, "invalid_request_error",
                   "method_not_allowed", "Method %V is not allowed on %V: "
                   "use POST", &r->method_name, &r->uri);
        return llmgw_access_fail(r, ctx);
    }

    if (llmgw_auth(r, ctx) != NGX_OK) {
        return llmgw_access_fail(r, ctx);
    }

    if (ctx->endpoint == LLMGW_EP_MODELS || ctx->endpoint == LLMGW_EP_USAGE) {
        /* answered here: the phases stop */
        ctx->error_sent = 1;
        rc = (ctx->endpoint == LLMGW_EP_MODELS) ? llmgw_models_list(r, ctx)
                                                 : llmgw_usage_report(r, ctx);
        if (rc != NGX_DONE) {
            ngx_http_finalize_request(r, rc);
        }

        return NGX_DONE;
    }

    r->request_body_in_single_buf = 1;
    ctx->reading_body = 1;
    ctx->overhead_ns += llmgw_clock_ns() - start;

    rc = ngx_http_read_client_request_body(r, llmgw_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* nginx's page for it becomes our JSON error in the filters */
        ctx->reading_body = 0;
        ctx->error_sent = 1;
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);
    return NGX_DONE;
}


static void
llmgw_body_handler(ngx_http_request_t *r)
{
    llmgw_ctx_t  *ctx;

    ctx = llmgw_ctx_get(r);

    ctx->reading_body = 0;

    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


/* after the body: read, route and reserve; the store may answer later,
 * and then the phases run again to rewrite */

static ngx_int_t
llmgw_access_body(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    uint64_t   start;
    ngx_int_t  rc;

    start = llmgw_clock_ns();

    rc = llmgw_access_steps(r, ctx);

    /* timed before an answer can finalize the request */
    ctx->overhead_ns += llmgw_clock_ns() - start;

    switch (rc) {

    case NGX_DECLINED:
    case NGX_AGAIN:
    case NGX_DONE:
        return rc;

    case NGX_OK:
        return llmgw_count_tokens(r, ctx);

    default:
        return llmgw_access_error(r, ctx);
    }
}


/* NGX_DECLINED: proxy; NGX_DONE: the store answers later; NGX_AGAIN: a
 * subrequest runs first; NGX_OK: count_tokens, answered here; NGX_ERROR:
 * refused */

static ngx_int_t
llmgw_access_steps(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (!ctx->routed) {
        ctx->routed = 1;

        rc = llmgw_request_read(r, ctx);

        if (rc == NGX_OK && (ctx->endpoint == LLMGW_EP_COUNT_TOKENS
                             || ctx->endpoint == LLMGW_EP_GEMINI_COUNT))
        {
            return NGX_OK;
        }

        if (rc == NGX_OK) {
            rc = llmgw_route(r, ctx);
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->reserve = 1;
    }

    if (!ctx->guarded) {
        rc = llmgw_guard_input(r, ctx);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->guarded = 1;
    }

    if (ctx->reserve) {
        /* a fallback's target is reserved here too */
        ctx->reserve = 0;

        rc = llmgw_govern_reserve(r, ctx);

        if (rc == NGX_AGAIN) {
            return NGX_DONE;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    rc = llmgw_request_rewrite(r, ctx);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->granted = 1;
    ctx->granted_in = r->uri_changes;
    ctx->attempt_start = ngx_current_msec;
    ctx->reserved_cost = ctx->estimate_cost;

    return NGX_DECLINED;
}


static ngx_int_t
llmgw_access_error(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    if (ctx->status == 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return llmgw_access_fail(r, ctx);
}


/* Sends the error decided in ctx, in the client's format, as a content
 * handler would, and stops the phases. */

static ngx_int_t
llmgw_access_fail(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ctx->error_sent = 1;
    ngx_http_finalize_request(r, llmgw_send_error(r, ctx));
    return NGX_DONE;
}


/* Anthropic's count_tokens and Gemini's countTokens, answered here with
 * the estimate governance makes: a token per 4 bytes of the request */

static ngx_int_t
llmgw_count_tokens(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_buf_t  *b;

    ctx->error_sent = 1;

    b = ngx_create_temp_buf(r->pool, sizeof("{\"input_tokens\":}\n") - 1
                                     + NGX_SIZE_T_LEN);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_DONE;
    }

    b->last = ngx_sprintf(b->last, "{\"%s\":%uz}\n",
                          ctx->endpoint == LLMGW_EP_GEMINI_COUNT
                          ? "totalTokens" : "input_tokens",
                          (ctx->body.len + 3) / 4);

    ngx_http_finalize_request(r, llmgw_send_json(r, NGX_HTTP_OK, b));

    return NGX_DONE;
}


static llmgw_endpoint_e
llmgw_endpoint(ngx_http_request_t *r)
{
    ngx_str_t  *uri = &r->uri;

#define llmgw_ends_with(s)                                                    \
    (uri->len >= sizeof(s) - 1                                                \
     && ngx_memcmp(uri->data + uri->len - (sizeof(s) - 1), s,                \
                   sizeof(s) - 1) == 0)

    if (llmgw_ends_with("/chat/completions")) {
        return LLMGW_EP_CHAT;
    }

    if (llmgw_ends_with("/messages")) {
        return LLMGW_EP_MESSAGES;
    }

    if (llmgw_ends_with("/messages/count_tokens")) {
        return LLMGW_EP_COUNT_TOKENS;
    }

    if (llmgw_ends_with("/responses")) {
        return LLMGW_EP_RESPONSES;
    }

    if (llmgw_ends_with("/embeddings")) {
        return LLMGW_EP_EMBEDDINGS;
    }

    if (llmgw_ends_with("/models")) {
        return LLMGW_EP_MODELS;
    }

    if (llmgw_ends_with("/llmgw/usage")) {
        return LLMGW_EP_USAGE;
    }

    if (llmgw_ends_with(":generateContent")
        || llmgw_ends_with(":streamGenerateContent"))
    {
        return LLMGW_EP_GENERATE;
    }

    if (llmgw_ends_with(":countTokens")) {
        return LLMGW_EP_GEMINI_COUNT;
    }

#undef llmgw_ends_with

    return LLMGW_EP_UNKNOWN;
}


static llmgw_format_e
llmgw_endpoint_format(llmgw_endpoint_e ep)
{
    switch (ep) {

    case LLMGW_EP_MESSAGES:
    case LLMGW_EP_COUNT_TOKENS:
        return LLMGW_FORMAT_ANTHROPIC;

    case LLMGW_EP_RESPONSES:
        return LLMGW_FORMAT_RESPONSES;

    case LLMGW_EP_GENERATE:
    case LLMGW_EP_GEMINI_COUNT:
        return LLMGW_FORMAT_GEMINI;

    default:
        return LLMGW_FORMAT_OPENAI;
    }
}


/*
 * The context, kept in a pool cleanup as well: an error_page redirect to
 * the fallback location clears the modules' contexts, and the fallback must
 * know what was asked, reserved and tried (lua-nginx-module does the same).
 */

llmgw_ctx_t *
llmgw_ctx_create(ngx_http_request_t *r)
{
    llmgw_ctx_t         *ctx;
    ngx_pool_cleanup_t  *cln;

    ctx = ngx_pcalloc(r->pool, sizeof(llmgw_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ctx == NULL || cln == NULL) {
        return NULL;
    }

    ctx->start = ngx_current_msec;

    cln->handler = llmgw_ctx_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_llmgw_module);

    return ctx;
}


llmgw_ctx_t *
llmgw_ctx_get(ngx_http_request_t *r)
{
    llmgw_ctx_t         *ctx;
    ngx_pool_cleanup_t  *cln;

    ctx = ngx_http_get_module_ctx(r, ngx_http_llmgw_module);

    if (ctx || !r->internal) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == llmgw_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_llmgw_module);
            return ctx;
        }
    }

    return NULL;
}


static void
llmgw_ctx_cleanup(void *data)
{
    /* a marker: the context lives in the pool */
}
