/*
 * llmgw: stage 5, the log phase.  The reservation is settled, the metrics
 * counted and the audit record written, in that order: the record and the
 * access log (which runs after) show what was charged.
 */


#include "llmgw.h"


ngx_int_t
llmgw_log_handler(ngx_http_request_t *r)
{
    llmgw_ctx_t  *ctx;

    if (r != r->main) {
        /* a subrequest of ours (a token, a guardrail service) logged with
         * log_subrequest: its request is settled when it ends itself */
        return NGX_OK;
    }

    ctx = llmgw_ctx_get(r);

    if (ctx == NULL || ctx->settled) {
        return NGX_OK;
    }

    ctx->settled = 1;

    if (ctx->route) {
        llmgw_govern_settle(r, ctx);
    }

    if (ctx->vkey && ctx->cost > 0) {
        llmgw_spend_record(ctx->lmcf, &ctx->vkey->entity, ctx->cost,
                           ngx_time());
    }

    llmgw_metrics_request(r, ctx);
    llmgw_audit_write(r, ctx);

    return NGX_OK;
}
