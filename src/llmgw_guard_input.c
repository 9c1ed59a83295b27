/*
 * llmgw: input guardrails.  Every string value of the client's body (all
 * message contents and parts, system prompts, tool results and call
 * arguments, on every endpoint) is what a model may see: the request's
 * policy checks them all before any provider format is built, so one
 * check serves every translation and every fallback.
 */


#include "llmgw.h"


static llmgw_guard_policy_t *llmgw_guard_policy(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_guard_input_local(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_guard_policy_t *p);


ngx_int_t
llmgw_guard_input(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_guard_policy_t  *p;

    if (ctx->guard_call) {
        /* the service was asked: it answered, or the phases ran early */
        return llmgw_guard_service(r, ctx);
    }

    p = llmgw_guard_policy(r, ctx);
    ctx->guard = p;

    if (p == NULL) {
        return NGX_OK;
    }

    if (p->input.guard && llmgw_guard_input_local(r, ctx, p) != NGX_OK) {
        return NGX_ERROR;
    }

    if (p->service.len) {
        return llmgw_guard_service(r, ctx);
    }

    return NGX_OK;
}


void *
llmgw_guard_alloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


/* the key's policy, else its team's, else its customer's, else the
 * default */

static llmgw_guard_policy_t *
llmgw_guard_policy(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_entity_t     *e;
    llmgw_main_conf_t  *lmcf;

    for (e = ctx->vkey ? &ctx->vkey->entity : NULL; e; e = e->parent) {
        if (e->guard) {
            return e->guard;
        }
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    return lmcf->guard_default;
}


static ngx_int_t
llmgw_guard_input_local(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_policy_t *p)
{
    int          rc;
    u_char      *out, names[256], *last;
    size_t       len;
    llmgw_guard_side_t  *side;

    side = &p->input;
    out = NULL;
    len = 0;

    rc = llmgw_guard_json(side->guard, ctx->body.data, ctx->body.len,
                          side->action == LLMGW_GUARD_REDACT,
                          llmgw_guard_alloc, r->pool, &out, &len,
                          &ctx->guard_in);

    if (rc < 0) {
        /* the body was read as valid JSON: no memory, or a match that
         * hit PCRE2's limits; the request is not let through unchecked */
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "guardrail_blocked",
                          "guardrail_error", "Guardrail policy \"%V\" could "
                          "not check the request", &p->name);
    }

    if (ctx->guard_in == 0) {
        return NGX_OK;
    }

    last = llmgw_guard_names(names, names + sizeof(names), side->guard,
                             ctx->guard_in, ", ");

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "llmgw: guardrail \"%V\" input: %*s (%s)", &p->name,
                  last - names, names,
                  side->action == LLMGW_GUARD_BLOCK ? "blocked"
                  : side->action == LLMGW_GUARD_REDACT ? "redacted" : "logged");

    if (side->action == LLMGW_GUARD_BLOCK) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "guardrail_blocked",
                          "input_blocked", "The request was blocked by "
                          "guardrail policy \"%V\": %*s detected in the "
                          "input", &p->name, last - names, names);
    }

    if (rc == 1) {
        return llmgw_request_replace_body(r, ctx, out, len);
    }

    return NGX_OK;
}
