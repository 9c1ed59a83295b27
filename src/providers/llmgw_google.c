/*
 * llmgw: Google's providers, the upstream side.  The Gemini API takes an
 * API key; Vertex AI takes an OAuth2 access token of a service account
 * (llmgw_gauth.c) and serves Gemini and, on the same URLs per project and
 * region, Anthropic's models.  The translations are llmgw_gemini_xlate.c's,
 * llmgw_anthropic_xlate.c's and llmgw_vertex_xlate.c's.
 */


#include "llmgw.h"


static ngx_int_t llmgw_gemini_build(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_vertex_init(ngx_conf_t *cf, llmgw_provider_t *p);
static ngx_int_t llmgw_vertex_prepare(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_vertex_build(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_google_model(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_str_t *llmgw_google_method(llmgw_ctx_t *ctx);


const llmgw_provider_kind_t  llmgw_google_kinds[] = {

    { ngx_string("gemini"), &llmgw_format_gemini, ngx_string("https"),
      ngx_string("generativelanguage.googleapis.com"), ngx_string("/v1beta"),
      ngx_string("google"), 0,
      NULL, NULL, llmgw_gemini_build, 0 },

    { ngx_string("vertex"), &llmgw_format_gemini, ngx_string("https"),
      ngx_null_string, ngx_string("/v1"), ngx_string("google"), 0,
      llmgw_vertex_init, llmgw_vertex_prepare, llmgw_vertex_build, 0 },

    { ngx_null_string, NULL, ngx_null_string, ngx_null_string, ngx_null_string,
      ngx_null_string, 0, NULL, NULL, NULL, 0 }
};


/* {base}/models/{model}:{method}, x-goog-api-key */

static ngx_int_t
llmgw_gemini_build(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t  parts[4];

    static ngx_str_t  models = ngx_string("/models/");
    static ngx_str_t  api_key = ngx_string("x-goog-api-key");

    if (llmgw_google_model(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    parts[0] = ctx->provider->base_path;
    parts[1] = models;
    parts[2] = ctx->upstream_model;
    parts[3] = *llmgw_google_method(ctx);

    if (llmgw_provider_uri(r, ctx, parts, 4) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->api_key == NULL) {
        return NGX_OK;
    }

    return llmgw_request_set_header(r, &api_key, &ctx->api_key->secret);
}


/* a model name goes into the path: it can never change where the request
 * goes */

static ngx_int_t
llmgw_google_model(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t  *m = &ctx->upstream_model;

    if (llmgw_model_path_safe((char *) m->data, m->len)) {
        return NGX_OK;
    }

    return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "invalid_request_error",
                      "invalid_model", "The model name \"%V\" cannot be "
                      "used with provider \"%V\": letters, digits and "
                      "\"._-@\" only", m, &ctx->provider->name);
}


static ngx_str_t *
llmgw_google_method(llmgw_ctx_t *ctx)
{
    static ngx_str_t  generate = ngx_string(":generateContent");
    static ngx_str_t  stream = ngx_string(":streamGenerateContent?alt=sse");
    static ngx_str_t  embed = ngx_string(":embedContent");
    static ngx_str_t  batch = ngx_string(":batchEmbedContents");
    static ngx_str_t  predict = ngx_string(":predict");
    static ngx_str_t  raw = ngx_string(":rawPredict");
    static ngx_str_t  raw_stream = ngx_string(":streamRawPredict");

    if (ctx->vertex) {
        return ctx->stream ? &raw_stream : &raw;
    }

    if (ctx->endpoint == LLMGW_EP_EMBEDDINGS) {
        if (ctx->pformat == &llmgw_format_vertex_predict) {
            return &predict;
        }

        /* as llmgw_gemini_xlate.c's embed_out: one text or a batch */
        return ctx->fields.input.type == LLMGW_JSON_STRING ? &embed : &batch;
    }

    return ctx->stream ? &stream : &generate;
}


static ngx_int_t
llmgw_vertex_init(ngx_conf_t *cf, llmgw_provider_t *p)
{
    u_char  *h;

    if (p->project.len == 0 || p->region.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw: provider \"%V\": "
                           "kind \"vertex\" needs \"project\" and "
                           "\"region\"", &p->name);
        return NGX_ERROR;
    }

    if (!llmgw_model_path_safe((char *) p->project.data, p->project.len)
        || !llmgw_model_path_safe((char *) p->region.data, p->region.len))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw: provider \"%V\": "
                           "\"project\" and \"region\" must be names, "
                           "not paths", &p->name);
        return NGX_ERROR;
    }

    if (p->gauth == NULL && p->keys.nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw: provider \"%V\": "
                           "kind \"vertex\" needs \"credentials\", a "
                           "service account's JSON file", &p->name);
        return NGX_ERROR;
    }

    if (p->host.len) {
        return NGX_OK;
    }

    if (p->region.len == 6 && ngx_strncmp(p->region.data, "global", 6) == 0) {
        ngx_str_set(&p->host, "aiplatform.googleapis.com");
        return NGX_OK;
    }

    p->host.len = p->region.len + sizeof("-aiplatform.googleapis.com") - 1;
    h = ngx_pnalloc(cf->pool, p->host.len);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p->host.data = h;
    h = ngx_cpymem(h, p->region.data, p->region.len);
    ngx_memcpy(h, "-aiplatform.googleapis.com",
               sizeof("-aiplatform.googleapis.com") - 1);

    return NGX_OK;
}


/* Anthropic's models speak Anthropic's format on Vertex, with the model in
 * the URL only; then the token */

static ngx_int_t
llmgw_vertex_prepare(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t  *m = &ctx->upstream_model;

    if (ctx->endpoint == LLMGW_EP_EMBEDDINGS) {
        ctx->pformat = &llmgw_format_vertex_predict;

    } else if (m->len >= 6 && ngx_strncmp(m->data, "claude", 6) == 0) {
        ctx->pformat = &llmgw_format_anthropic;
        ctx->vertex = 1;
        ctx->translate = 1;
    }

    if (ctx->provider->gauth == NULL) {
        ctx->upstream_auth.len = 0;
        return NGX_OK;
    }

    return llmgw_gauth_token(r, ctx);
}


/* {base}/projects/{project}/locations/{region}/publishers/{google|
 * anthropic}/models/{model}:{method} */

static ngx_int_t
llmgw_vertex_build(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t          parts[9];
    llmgw_provider_t  *p;

    static ngx_str_t   projects = ngx_string("/projects/");
    static ngx_str_t   locations = ngx_string("/locations/");
    static ngx_str_t   google = ngx_string("/publishers/google/models/");
    static ngx_str_t   anthropic =
                           ngx_string("/publishers/anthropic/models/");
    static ngx_str_t   authorization = ngx_string("Authorization");

    if (llmgw_google_model(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    p = ctx->provider;

    parts[0] = p->base_path;
    parts[1] = projects;
    parts[2] = p->project;
    parts[3] = locations;
    parts[4] = p->region;
    parts[5] = ctx->vertex ? anthropic : google;
    parts[6] = ctx->upstream_model;
    parts[7] = *llmgw_google_method(ctx);

    if (llmgw_provider_uri(r, ctx, parts, 8) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->upstream_auth.len) {
        return llmgw_request_set_header(r, &authorization,
                                        &ctx->upstream_auth);
    }

    if (ctx->api_key) {
        return llmgw_provider_bearer(r, &ctx->api_key->secret);
    }

    return NGX_OK;
}
