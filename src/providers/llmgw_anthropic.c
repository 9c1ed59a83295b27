/*
 * llmgw: Anthropic's Messages API, the upstream side: URL and headers.
 * The translation is llmgw_anthropic_xlate.c's.
 */


#include "llmgw.h"


static ngx_int_t llmgw_anthropic_init(ngx_conf_t *cf, llmgw_provider_t *p);
static ngx_int_t llmgw_anthropic_build(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);


const llmgw_provider_kind_t  llmgw_anthropic_kinds[] = {

    { ngx_string("anthropic"), &llmgw_format_anthropic, ngx_string("https"),
      ngx_string("api.anthropic.com"), ngx_string("/v1"),
      ngx_string("anthropic"), 0,
      llmgw_anthropic_init, NULL, llmgw_anthropic_build, 0 },

    { ngx_null_string, NULL, ngx_null_string, ngx_null_string, ngx_null_string,
      ngx_null_string, 0, NULL, NULL, NULL, 0 }
};


static ngx_int_t
llmgw_anthropic_init(ngx_conf_t *cf, llmgw_provider_t *p)
{
    if (p->api_version.len == 0) {
        ngx_str_set(&p->api_version, "2023-06-01");
    }

    return NGX_OK;
}


/* POST {base}/messages, x-api-key, anthropic-version: the client's when it
 * speaks Anthropic, else the provider's; anthropic-beta and ?beta=true pass
 * through */

static ngx_int_t
llmgw_anthropic_build(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t   parts[3], beta, *version;

    static ngx_str_t  messages = ngx_string("/messages");
    static ngx_str_t  api_key = ngx_string("x-api-key");
    static ngx_str_t  version_name = ngx_string("anthropic-version");
    static ngx_str_t  beta_name = ngx_string("anthropic-beta");

    parts[0] = ctx->provider->base_path;
    parts[1] = messages;
    ngx_str_set(&parts[2], "");

    /* Claude Code's ?beta=true: what its beta headers ask for */
    if (ctx->client_format == LLMGW_FORMAT_ANTHROPIC
        && ngx_http_arg(r, (u_char *) "beta", 4, &beta) == NGX_OK
        && beta.len == 4 && ngx_strncmp(beta.data, "true", 4) == 0)
    {
        ngx_str_set(&parts[2], "?beta=true");
    }

    if (llmgw_provider_uri(r, ctx, parts, 3) != NGX_OK) {
        return NGX_ERROR;
    }

    version = ctx->anthropic_version.len ? &ctx->anthropic_version
                                         : &ctx->provider->api_version;

    if (llmgw_request_set_header(r, &version_name, version) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->anthropic_beta.len
        && llmgw_request_set_header(r, &beta_name, &ctx->anthropic_beta)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->api_key == NULL) {
        return NGX_OK;
    }

    return llmgw_request_set_header(r, &api_key, &ctx->api_key->secret);
}
