/*
 * llmgw: the gateway's own time on a request's path, for the overhead
 * histogram and the audit record.
 *
 * The response filters are timed by two filters around llmgw's: one above
 * starts the clock, one below stops it before the filters after llmgw (and
 * the write to the client) run.  What llmgw's filters do once those return
 * is only passing their return code back, and is not timed: a clock read
 * costs more.  The access phase times itself (llmgw_access.c).
 */


#include "llmgw.h"


static ngx_int_t llmgw_clock_header_in(ngx_http_request_t *r);
static ngx_int_t llmgw_clock_body_in(ngx_http_request_t *r, ngx_chain_t *in);
static ngx_int_t llmgw_clock_header_out(ngx_http_request_t *r);
static ngx_int_t llmgw_clock_body_out(ngx_http_request_t *r,
    ngx_chain_t *in);
static llmgw_ctx_t *llmgw_clock_ctx(ngx_http_request_t *r);
static void llmgw_clock_stop(llmgw_ctx_t *ctx);


static ngx_http_output_header_filter_pt  llmgw_next_header_in;
static ngx_http_output_body_filter_pt    llmgw_next_body_in;
static ngx_http_output_header_filter_pt  llmgw_next_header_out;
static ngx_http_output_body_filter_pt    llmgw_next_body_out;


/* before llmgw's filters are added: the one below them */

ngx_int_t
llmgw_clock_filter_init_below(ngx_conf_t *cf)
{
    llmgw_next_header_out = ngx_http_top_header_filter;
    ngx_http_top_header_filter = llmgw_clock_header_out;

    llmgw_next_body_out = ngx_http_top_body_filter;
    ngx_http_top_body_filter = llmgw_clock_body_out;

    return NGX_OK;
}


/* after them: the one above */

ngx_int_t
llmgw_clock_filter_init_above(ngx_conf_t *cf)
{
    llmgw_next_header_in = ngx_http_top_header_filter;
    ngx_http_top_header_filter = llmgw_clock_header_in;

    llmgw_next_body_in = ngx_http_top_body_filter;
    ngx_http_top_body_filter = llmgw_clock_body_in;

    return NGX_OK;
}


static llmgw_ctx_t *
llmgw_clock_ctx(ngx_http_request_t *r)
{
    if (r != r->main) {
        return NULL;
    }

    return ngx_http_get_module_ctx(r, ngx_http_llmgw_module);
}


static void
llmgw_clock_stop(llmgw_ctx_t *ctx)
{
    if (ctx->clock_open) {
        ctx->overhead_ns += llmgw_clock_ns() - ctx->clock_mark;
        ctx->clock_open = 0;
    }
}


static ngx_int_t
llmgw_clock_header_in(ngx_http_request_t *r)
{
    ngx_int_t     rc;
    llmgw_ctx_t  *ctx;

    ctx = llmgw_clock_ctx(r);

    if (ctx == NULL) {
        return llmgw_next_header_in(r);
    }

    ctx->clock_mark = llmgw_clock_ns();
    ctx->clock_open = 1;

    rc = llmgw_next_header_in(r);

    llmgw_clock_stop(ctx);

    return rc;
}


static ngx_int_t
llmgw_clock_body_in(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t     rc;
    llmgw_ctx_t  *ctx;

    ctx = llmgw_clock_ctx(r);

    if (ctx == NULL) {
        return llmgw_next_body_in(r, in);
    }

    ctx->clock_mark = llmgw_clock_ns();
    ctx->clock_open = 1;

    rc = llmgw_next_body_in(r, in);

    llmgw_clock_stop(ctx);

    return rc;
}


static ngx_int_t
llmgw_clock_header_out(ngx_http_request_t *r)
{
    llmgw_ctx_t  *ctx;

    ctx = llmgw_clock_ctx(r);

    if (ctx == NULL || !ctx->clock_open) {
        return llmgw_next_header_out(r);
    }

    llmgw_clock_stop(ctx);

    return llmgw_next_header_out(r);
}


static ngx_int_t
llmgw_clock_body_out(ngx_http_request_t *r, ngx_chain_t *in)
{
    llmgw_ctx_t  *ctx;

    ctx = llmgw_clock_ctx(r);

    if (ctx == NULL || !ctx->clock_open) {
        return llmgw_next_body_out(r, in);
    }

    llmgw_clock_stop(ctx);

    return llmgw_next_body_out(r, in);
}
