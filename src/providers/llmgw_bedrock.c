/*
 * llmgw: AWS Bedrock, the upstream side: the Converse API's URLs
 * (InvokeModel for embeddings) and the request's signature, AWS SigV4 with
 * an access key, or a Bedrock API key as a bearer token.  The translation
 * is llmgw_bedrock_xlate.c's, the stream's framing llmgw_evstream.c's.
 */


#include "llmgw.h"
#include "llmgw_sigv4.h"


#define LLMGW_AMZ_DATE_LEN  (sizeof("20150830T123600Z") - 1)
#define LLMGW_AUTH_MAX      1024


static ngx_int_t llmgw_bedrock_init(ngx_conf_t *cf, llmgw_provider_t *p);
static ngx_int_t llmgw_bedrock_build(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_bedrock_model_path(ngx_http_request_t *r,
    ngx_str_t *model, ngx_str_t *path);
static ngx_int_t llmgw_bedrock_sign(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static const u_char *llmgw_bedrock_signing_key(llmgw_provider_t *p,
    llmgw_api_key_t *key, u_char *date);


const llmgw_provider_kind_t  llmgw_bedrock_kinds[] = {

    { ngx_string("bedrock"), &llmgw_format_bedrock, ngx_string("https"),
      ngx_null_string, ngx_null_string, ngx_string("bedrock"), 0,
      llmgw_bedrock_init, NULL, llmgw_bedrock_build, 0 },

    { ngx_null_string, NULL, ngx_null_string, ngx_null_string,
      ngx_null_string, ngx_null_string, 0, NULL, NULL, NULL, 0 }
};


static ngx_int_t
llmgw_bedrock_init(ngx_conf_t *cf, llmgw_provider_t *p)
{
    u_char      *h;
    ngx_uint_t   i;

    static u_char  suffix[] = ".amazonaws.com";

    if (p->region.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw: provider \"%V\": "
                           "kind \"bedrock\" needs \"region\"", &p->name);
        return NGX_ERROR;
    }

    for (i = 0; i < p->region.len; i++) {
        if (!((p->region.data[i] >= 'a' && p->region.data[i] <= 'z')
              || (p->region.data[i] >= '0' && p->region.data[i] <= '9')
              || p->region.data[i] == '-'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "llmgw: provider "
                               "\"%V\": \"region\" must be a region name "
                               "such as \"us-east-1\"", &p->name);
            return NGX_ERROR;
        }
    }

    if (p->host.len) {
        return NGX_OK;
    }

    p->host.len = sizeof("bedrock-runtime.") - 1 + p->region.len
                  + sizeof(suffix) - 1;
    h = ngx_pnalloc(cf->pool, p->host.len);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p->host.data = h;
    h = ngx_cpymem(h, "bedrock-runtime.", sizeof("bedrock-runtime.") - 1);
    h = ngx_cpymem(h, p->region.data, p->region.len);
    ngx_memcpy(h, suffix, sizeof(suffix) - 1);

    return NGX_OK;
}


/* {base}/model/{model id, percent-encoded}/converse[-stream] or /invoke;
 * then the credentials, last: the signature covers the final body */

static ngx_int_t
llmgw_bedrock_build(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t  parts[4];

    static ngx_str_t  model = ngx_string("/model/");
    static ngx_str_t  converse = ngx_string("/converse");
    static ngx_str_t  converse_stream = ngx_string("/converse-stream");
    static ngx_str_t  invoke = ngx_string("/invoke");
    static ngx_str_t  content_type = ngx_string("Content-Type");
    static ngx_str_t  json = ngx_string("application/json");

    parts[0] = ctx->provider->base_path;
    parts[1] = model;

    if (llmgw_bedrock_model_path(r, &ctx->upstream_model, &parts[2])
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->endpoint == LLMGW_EP_EMBEDDINGS) {
        parts[3] = invoke;

    } else {
        parts[3] = ctx->stream ? converse_stream : converse;
    }

    if (llmgw_provider_uri(r, ctx, parts, 4) != NGX_OK
        || llmgw_request_set_header(r, &content_type, &json) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->api_key == NULL) {
        return NGX_OK;
    }

    if (ctx->api_key->access_key_id.len == 0) {
        /* a Bedrock API key */
        return llmgw_provider_bearer(r, &ctx->api_key->secret);
    }

    return llmgw_bedrock_sign(r, ctx);
}


/* a model id or an inference profile's ARN as one path segment: every byte
 * but the unreserved ones percent-encoded (':' and '/' included) */

static ngx_int_t
llmgw_bedrock_model_path(ngx_http_request_t *r, ngx_str_t *model,
    ngx_str_t *path)
{
    u_char      *p, c;
    ngx_uint_t   i;

    static u_char  hex[] = "0123456789ABCDEF";

    p = ngx_pnalloc(r->pool, 3 * model->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    path->data = p;

    for (i = 0; i < model->len; i++) {
        c = model->data[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
            || c == '~')
        {
            *p++ = c;
            continue;
        }

        *p++ = '%';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 0x0f];
    }

    path->len = p - path->data;

    return NGX_OK;
}


/*
 * SigV4 over method, URI, host, x-amz-date, the session token if any, and
 * the body's SHA-256.  The translated body is always one buffer in memory
 * (llmgw_translate_request), so it is hashed where it lies.
 */

static ngx_int_t
llmgw_bedrock_sign(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    int                    n;
    u_char                *date, *auth;
    ngx_buf_t             *b;
    ngx_str_t              value;
    ngx_tm_t               tm;
    llmgw_api_key_t       *key;
    llmgw_provider_t      *p;
    llmgw_sigv4_req_t      sr;
    llmgw_sigv4_header_t   h[3];

    static ngx_str_t  amz_date = ngx_string("X-Amz-Date");
    static ngx_str_t  amz_token = ngx_string("X-Amz-Security-Token");
    static ngx_str_t  authorization = ngx_string("Authorization");

    p = ctx->provider;
    key = ctx->api_key;
    b = r->request_body->bufs->buf;

    if (r->request_body->bufs->next || !ngx_buf_in_memory(b)) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "llmgw: provider \"%V\": the body to sign is not one "
                      "buffer in memory", &p->name);
        return NGX_ERROR;
    }

    date = ngx_pnalloc(r->pool, LLMGW_AMZ_DATE_LEN + 1);
    auth = ngx_pnalloc(r->pool, LLMGW_AUTH_MAX);
    if (date == NULL || auth == NULL) {
        return NGX_ERROR;
    }

    ngx_gmtime(ngx_time(), &tm);
    ngx_sprintf(date, "%4d%02d%02dT%02d%02d%02dZ%Z", tm.ngx_tm_year,
                tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour,
                tm.ngx_tm_min, tm.ngx_tm_sec);

    h[0].name = "host";
    h[0].name_len = 4;
    h[0].value = (char *) p->host.data;
    h[0].value_len = p->host.len;
    h[1].name = "x-amz-date";
    h[1].name_len = sizeof("x-amz-date") - 1;
    h[1].value = (char *) date;
    h[1].value_len = LLMGW_AMZ_DATE_LEN;
    h[2].name = "x-amz-security-token";
    h[2].name_len = sizeof("x-amz-security-token") - 1;
    h[2].value = (char *) key->session_token.data;
    h[2].value_len = key->session_token.len;

    ngx_memzero(&sr, sizeof(llmgw_sigv4_req_t));
    sr.method = "POST";
    sr.path = (char *) ctx->upstream_uri.data;
    sr.path_len = ctx->upstream_uri.len;
    sr.headers = h;
    sr.nheaders = key->session_token.len ? 3 : 2;
    sr.body = b->pos;
    sr.body_len = b->last - b->pos;
    sr.access_key = (char *) key->access_key_id.data;
    sr.access_key_len = key->access_key_id.len;
    sr.secret_key = (char *) key->secret.data;
    sr.secret_key_len = key->secret.len;
    sr.region = (char *) p->region.data;
    sr.service = "bedrock";
    sr.amz_date = (char *) date;
    sr.normalize = 1;
    sr.signing_key = llmgw_bedrock_signing_key(p, key, date);

    n = llmgw_sigv4_authorization(&sr, (char *) auth, LLMGW_AUTH_MAX);

    if (n < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llmgw: provider \"%V\": the request could not be "
                      "signed", &p->name);
        return NGX_ERROR;
    }

    value.data = date;
    value.len = LLMGW_AMZ_DATE_LEN;

    if (llmgw_request_set_header(r, &amz_date, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (key->session_token.len
        && llmgw_request_set_header(r, &amz_token, &key->session_token)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    value.data = auth;
    value.len = n;

    return llmgw_request_set_header(r, &authorization, &value);
}


/* the key derived from the secret is good for a day: kept per worker */

static const u_char *
llmgw_bedrock_signing_key(llmgw_provider_t *p, llmgw_api_key_t *key,
    u_char *date)
{
    if (ngx_memcmp(key->signing_date, date, 8) == 0) {
        return key->signing_key;
    }

    if (llmgw_sigv4_signing_key((char *) key->secret.data, key->secret.len,
                                (char *) date, (char *) p->region.data,
                                "bedrock", key->signing_key)
        != 0)
    {
        return NULL;
    }

    ngx_memcpy(key->signing_date, date, 8);

    return key->signing_key;
}
