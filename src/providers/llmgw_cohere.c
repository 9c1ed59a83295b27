/*
 * llmgw: Cohere's v2 API, the upstream side: URL and bearer key.  The
 * translation is llmgw_cohere_xlate.c's.
 */


#include "llmgw.h"


static ngx_int_t llmgw_cohere_build(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);


const llmgw_provider_kind_t  llmgw_cohere_kinds[] = {

    { ngx_string("cohere"), &llmgw_format_cohere, ngx_string("https"),
      ngx_string("api.cohere.com"), ngx_string("/v2"), ngx_string("cohere"),
      0, NULL, NULL, llmgw_cohere_build, 0 },

    { ngx_null_string, NULL, ngx_null_string, ngx_null_string,
      ngx_null_string, ngx_null_string, 0, NULL, NULL, NULL, 0 }
};


/* {base}/chat or {base}/embed */

static ngx_int_t
llmgw_cohere_build(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t  parts[2];

    static ngx_str_t  chat = ngx_string("/chat");
    static ngx_str_t  embed = ngx_string("/embed");

    parts[0] = ctx->provider->base_path;
    parts[1] = ctx->endpoint == LLMGW_EP_EMBEDDINGS ? embed : chat;

    if (llmgw_provider_uri(r, ctx, parts, 2) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->api_key == NULL) {
        return NGX_OK;
    }

    return llmgw_provider_bearer(r, &ctx->api_key->secret);
}
