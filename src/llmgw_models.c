/*
 * llmgw: GET /v1/models, the models this virtual key may use, in OpenAI's
 * list shape.  Patterns are not models: only concrete names are listed.
 */


#include <jansson.h>

#include "llmgw.h"


static ngx_int_t llmgw_models_add(json_t *data, json_t *seen,
    ngx_str_t *model, llmgw_route_t *rt);
static ngx_int_t llmgw_is_pattern(ngx_str_t *s);


ngx_int_t
llmgw_models_list(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    json_t         *root, *data, *seen;
    ngx_int_t       rc;
    ngx_str_t      *m;
    ngx_uint_t      i, j;
    ngx_array_t    *models;
    llmgw_route_t  *rt;

    root = json_object();
    data = json_array();
    seen = json_object();

    if (root == NULL || data == NULL || seen == NULL) {
        goto failed;
    }

    rt = ctx->vkey->routes.elts;

    for (i = 0; i < ctx->vkey->routes.nelts; i++) {

        /* the provider's names narrowed by the key, or the key's own */
        models = rt[i].provider->models.nelts ? &rt[i].provider->models
                                              : &rt[i].models;
        m = models->elts;

        for (j = 0; j < models->nelts; j++) {
            if (llmgw_models_add(data, seen, &m[j], &rt[i]) != NGX_OK) {
                goto failed;
            }
        }
    }

    if (json_object_set_new(root, "object", json_string("list")) != 0
        || json_object_set(root, "data", data) != 0)
    {
        goto failed;
    }

    rc = llmgw_send_json_value(r, NGX_HTTP_OK, root);

    json_decref(root);
    json_decref(data);
    json_decref(seen);

    return rc;

failed:

    json_decref(root);
    json_decref(data);
    json_decref(seen);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static ngx_int_t
llmgw_models_add(json_t *data, json_t *seen, ngx_str_t *model,
    llmgw_route_t *rt)
{
    json_t  *id, *owner, *item;

    if (llmgw_is_pattern(model)
        || (rt->models.nelts && !llmgw_models_match(&rt->models, model))
        || json_object_get(seen, (char *) model->data) != NULL)
    {
        return NGX_OK;
    }

    id = json_stringn((char *) model->data, model->len);
    owner = json_stringn((char *) rt->provider->name.data,
                         rt->provider->name.len);

    item = json_pack("{s:o,s:s,s:i,s:o}", "id", id, "object", "model",
                     "created", 0, "owned_by", owner);

    if (item == NULL
        || json_array_append_new(data, item) != 0
        || json_object_set_new(seen, (char *) model->data, json_true()) != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
llmgw_is_pattern(ngx_str_t *s)
{
    ngx_uint_t  i;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '*' || s->data[i] == '?' || s->data[i] == '[') {
            return 1;
        }
    }

    return 0;
}
