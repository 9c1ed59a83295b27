/*
 * llmgw: the provider kinds of every family, and what their builders
 * share.
 */


#include "llmgw.h"


static const llmgw_provider_kind_t  *llmgw_families[] = {
    llmgw_openai_kinds,
    llmgw_anthropic_kinds,
    llmgw_google_kinds,
    llmgw_bedrock_kinds,
    llmgw_cohere_kinds,
    NULL
};


const llmgw_provider_kind_t *
llmgw_provider_kind(ngx_str_t *name)
{
    const llmgw_provider_kind_t  **f, *k;

    for (f = llmgw_families; *f; f++) {
        for (k = *f; k->name.len; k++) {
            if (k->name.len == name->len
                && ngx_strncmp(k->name.data, name->data, name->len) == 0)
            {
                return k;
            }
        }
    }

    return NULL;
}


/* "Authorization: Bearer <secret>" for the provider */

ngx_int_t
llmgw_provider_bearer(ngx_http_request_t *r, ngx_str_t *secret)
{
    u_char     *p;
    ngx_str_t   value;

    static ngx_str_t  authorization = ngx_string("Authorization");

    value.len = sizeof("Bearer ") - 1 + secret->len;
    value.data = ngx_pnalloc(r->pool, value.len);
    if (value.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(value.data, "Bearer ", sizeof("Bearer ") - 1);
    ngx_memcpy(p, secret->data, secret->len);

    return llmgw_request_set_header(r, &authorization, &value);
}


/* the upstream URI: the parts, joined */

ngx_int_t
llmgw_provider_uri(ngx_http_request_t *r, llmgw_ctx_t *ctx, ngx_str_t *parts,
    ngx_uint_t n)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    len = 0;

    for (i = 0; i < n; i++) {
        len += parts[i].len;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->upstream_uri.data = p;

    for (i = 0; i < n; i++) {
        p = ngx_cpymem(p, parts[i].data, parts[i].len);
    }

    ctx->upstream_uri.len = len;

    return NGX_OK;
}
