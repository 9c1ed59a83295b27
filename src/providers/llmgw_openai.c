/*
 * llmgw: the OpenAI-compatible provider family.  The client's format is
 * theirs, so the body passes through; only the URL and the key differ.
 */


#include "llmgw.h"


static ngx_int_t llmgw_openai_build(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_azure_init(ngx_conf_t *cf, llmgw_provider_t *p);
static ngx_int_t llmgw_azure_prepare(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_str_t *llmgw_azure_deployment(llmgw_provider_t *pr,
    ngx_str_t *model);
static ngx_int_t llmgw_azure_build(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_azure_responses(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_str_t *llmgw_openai_path(llmgw_ctx_t *ctx);


#define llmgw_openai_kind(name, scheme, host, base, prices, usage_option,   \
    responses)                                                                \
    { ngx_string(name), &llmgw_format_openai, ngx_string(scheme),             \
      ngx_string(host), ngx_string(base), ngx_string(prices), usage_option,  \
      NULL, NULL, llmgw_openai_build, responses }

/* prices: the family of the shipped price table, "" for none */
const llmgw_provider_kind_t  llmgw_openai_kinds[] = {
    llmgw_openai_kind("openai", "https", "api.openai.com", "/v1", "openai", 1,
                      1),
    llmgw_openai_kind("groq", "https", "api.groq.com", "/openai/v1", "groq",
                      1, 0),
    llmgw_openai_kind("mistral", "https", "api.mistral.ai", "/v1", "mistral",
                      0, 0),
    llmgw_openai_kind("deepseek", "https", "api.deepseek.com", "", "deepseek",
                      1, 0),
    llmgw_openai_kind("cerebras", "https", "api.cerebras.ai", "/v1",
                      "cerebras", 1, 0),
    llmgw_openai_kind("openrouter", "https", "openrouter.ai", "/api/v1", "",
                      1, 0),
    llmgw_openai_kind("ollama", "http", "", "/v1", "", 1, 0),
    llmgw_openai_kind("vllm", "http", "", "/v1", "", 1, 0),
    llmgw_openai_kind("openai-compatible", "https", "", "/v1", "", 1, 0),

    { ngx_string("azure"), &llmgw_format_openai, ngx_string("https"),
      ngx_null_string, ngx_string("/openai"), ngx_string("openai"), 1,
      llmgw_azure_init, llmgw_azure_prepare, llmgw_azure_build, 1 },

    { ngx_null_string, NULL, ngx_null_string, ngx_null_string, ngx_null_string,
      ngx_null_string, 0, NULL, NULL, NULL, 0 }
};


static ngx_str_t *
llmgw_openai_path(llmgw_ctx_t *ctx)
{
    static ngx_str_t  chat = ngx_string("/chat/completions");
    static ngx_str_t  embeddings = ngx_string("/embeddings");
    static ngx_str_t  responses = ngx_string("/responses");

    if (ctx->pformat == &llmgw_format_responses) {
        return &responses;
    }

    return ctx->endpoint == LLMGW_EP_EMBEDDINGS ? &embeddings : &chat;
}


static ngx_int_t
llmgw_openai_build(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t  parts[2];

    parts[0] = ctx->provider->base_path;
    parts[1] = *llmgw_openai_path(ctx);

    if (llmgw_provider_uri(r, ctx, parts, 2) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->api_key == NULL) {
        return NGX_OK;
    }

    return llmgw_provider_bearer(r, &ctx->api_key->secret);
}


static ngx_int_t
llmgw_azure_init(ngx_conf_t *cf, llmgw_provider_t *p)
{
    if (p->api_version.len == 0) {
        ngx_str_set(&p->api_version, "2024-10-21");
    }

    return NGX_OK;
}


/* the Responses API names the deployment in the body's model */

static ngx_int_t
llmgw_azure_prepare(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    if (ctx->pformat == &llmgw_format_responses) {
        ctx->upstream_model = *llmgw_azure_deployment(ctx->provider,
                                                      &ctx->upstream_model);
    }

    return NGX_OK;
}


static ngx_str_t *
llmgw_azure_deployment(llmgw_provider_t *pr, ngx_str_t *model)
{
    ngx_uint_t           i;
    llmgw_deployment_t  *d;

    d = pr->deployments.elts;

    for (i = 0; i < pr->deployments.nelts; i++) {
        if (d[i].model.len == model->len
            && ngx_strncmp(d[i].model.data, model->data, model->len) == 0)
        {
            return &d[i].deployment;
        }
    }

    return model;
}


/* https://{resource}.openai.azure.com/openai/deployments/{deployment}/
 * chat/completions?api-version=..., key in "api-key"; the Responses API is
 * only in Azure's v1 API: /openai/v1/responses, the deployment as the
 * body's model */

static ngx_int_t
llmgw_azure_build(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char              *p;
    size_t               len;
    ngx_str_t           *path, *dep;
    ngx_uint_t           esc;
    llmgw_provider_t    *pr;

    static ngx_str_t     api_key = ngx_string("api-key");

    pr = ctx->provider;

    if (ctx->pformat == &llmgw_format_responses) {
        return llmgw_azure_responses(r, ctx);
    }

    path = llmgw_openai_path(ctx);
    dep = llmgw_azure_deployment(pr, &ctx->upstream_model);

    esc = ngx_escape_uri(NULL, dep->data, dep->len, NGX_ESCAPE_URI_COMPONENT);

    len = pr->base_path.len + sizeof("/deployments/") - 1 + dep->len
          + 2 * esc + path->len + sizeof("?api-version=") - 1
          + pr->api_version.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->upstream_uri.data = p;
    p = ngx_cpymem(p, pr->base_path.data, pr->base_path.len);
    p = ngx_cpymem(p, "/deployments/", sizeof("/deployments/") - 1);
    p = (u_char *) ngx_escape_uri(p, dep->data, dep->len,
                                  NGX_ESCAPE_URI_COMPONENT);
    p = ngx_cpymem(p, path->data, path->len);
    p = ngx_cpymem(p, "?api-version=", sizeof("?api-version=") - 1);
    p = ngx_cpymem(p, pr->api_version.data, pr->api_version.len);
    ctx->upstream_uri.len = p - ctx->upstream_uri.data;

    if (ctx->api_key == NULL) {
        return NGX_OK;
    }

    return llmgw_request_set_header(r, &api_key, &ctx->api_key->secret);
}


static ngx_int_t
llmgw_azure_responses(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t  parts[2];

    static ngx_str_t  api_key = ngx_string("api-key");

    parts[0] = ctx->provider->base_path;
    ngx_str_set(&parts[1], "/v1/responses");

    if (llmgw_provider_uri(r, ctx, parts, 2) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->api_key == NULL) {
        return NGX_OK;
    }

    return llmgw_request_set_header(r, &api_key, &ctx->api_key->secret);
}
