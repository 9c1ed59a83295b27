/*
 * llmgw: Vertex AI's text embedding models, through their predict method:
 * {"instances":[{"content":..}],"parameters":{..}} answered by
 * {"predictions":[{"embeddings":{"values":[..],"statistics":
 * {"token_count":..}}}]}.  Unlike the Gemini API's, these count tokens.
 */


#include "llmgw_xlate.h"

#include <string.h>


static json_t *llmgw_vertex_embed_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err);
static json_t *llmgw_vertex_embed_in(json_t *resp, const char *model,
    llmgw_xerr_t *err);
static json_t *llmgw_vertex_embedding(json_t *prediction, size_t i,
    int64_t *tokens);


const llmgw_format_t  llmgw_format_vertex_predict = {
    LLMGW_FORMAT_GEMINI, "vertex-predict",
    NULL, NULL, NULL, NULL, 0,
    NULL, NULL, NULL, NULL, NULL, 0,
    llmgw_vertex_embed_out, llmgw_vertex_embed_in, NULL
};


static json_t *
llmgw_vertex_embed_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *input, *instances, *text, *req, *dims;

    (void) opt;

    input = json_object_get(canon, "input");
    instances = json_array();
    req = json_object();

    if (instances == NULL || req == NULL) {
        goto nomem;
    }

    if (json_is_string(input)) {
        if (json_array_append_new(instances,
                                  json_pack("{s:O}", "content", input)) != 0)
        {
            goto nomem;
        }

    } else {
        json_array_foreach(input, i, text) {
            if (!json_is_string(text)) {
                llmgw_xerr(err, 400, "invalid_request_error", "\"input\"[%zu]"
                           " must be a string: this provider embeds text, "
                           "not token arrays", i);
                goto failed;
            }

            if (json_array_append_new(instances,
                                      json_pack("{s:O}", "content", text))
                != 0)
            {
                goto nomem;
            }
        }
    }

    if (json_array_size(instances) == 0) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "\"input\" must be a string or an array of strings");
        goto failed;
    }

    if (json_object_set(req, "instances", instances) != 0) {
        goto nomem;
    }

    dims = json_object_get(canon, "dimensions");

    if (json_is_integer(dims)
        && json_object_set_new(req, "parameters",
                               json_pack("{s:O}", "outputDimensionality",
                                         dims)) != 0)
    {
        goto nomem;
    }

    json_decref(instances);
    return req;

nomem:

    llmgw_xerr(err, 500, "api_error", "out of memory");

failed:

    json_decref(instances);
    json_decref(req);
    return NULL;
}


static json_t *
llmgw_vertex_embed_in(json_t *resp, const char *model, llmgw_xerr_t *err)
{
    size_t          i;
    json_t         *predictions, *p, *data, *e, *list;
    int64_t         tokens;
    llmgw_usage_t   u;

    predictions = json_object_get(resp, "predictions");

    if (!json_is_array(predictions)) {
        llmgw_xerr(err, 502, "api_error", "The provider's embeddings answer "
                   "has no \"predictions\"");
        return NULL;
    }

    data = json_array();
    if (data == NULL) {
        goto nomem;
    }

    tokens = 0;

    json_array_foreach(predictions, i, p) {
        e = llmgw_vertex_embedding(p, i, &tokens);

        if (e == NULL) {
            llmgw_xerr(err, 502, "api_error", "The provider's embedding %zu "
                       "has no values", i);
            json_decref(data);
            return NULL;
        }

        if (json_array_append_new(data, e) != 0) {
            json_decref(data);
            goto nomem;
        }
    }

    memset(&u, 0, sizeof(llmgw_usage_t));
    u.prompt = tokens;
    u.total = tokens;

    list = json_pack("{s:s,s:o,s:s,s:o}", "object", "list", "data", data,
                     "model", model, "usage", llmgw_usage_to_json(&u));
    if (list == NULL) {
        goto nomem;
    }

    return list;

nomem:

    llmgw_xerr(err, 500, "api_error", "out of memory");
    return NULL;
}


static json_t *
llmgw_vertex_embedding(json_t *prediction, size_t i, int64_t *tokens)
{
    json_t  *emb, *values, *count;

    emb = json_object_get(prediction, "embeddings");
    values = json_object_get(emb, "values");

    if (!json_is_array(values)) {
        return NULL;
    }

    count = json_object_get(json_object_get(emb, "statistics"),
                            "token_count");

    if (json_is_number(count) && json_number_value(count) > 0) {
        *tokens += (int64_t) json_number_value(count);
    }

    return json_pack("{s:s,s:I,s:O}", "object", "embedding", "index",
                     (json_int_t) i, "embedding", values);
}
