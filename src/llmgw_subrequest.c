/*
 * llmgw: what our own subrequests (a Vertex token, a guardrail service)
 * have in common: they carry none of the client's headers, and the parent
 * answers for their failures.
 */


#include "llmgw.h"


/* none of the client's headers (its key is no business of a token
 * endpoint or a moderation API); with a JSON body when json is set */

ngx_int_t
llmgw_subrequest_headers(ngx_http_request_t *sr, ngx_uint_t json)
{
    ngx_str_t         server;
    ngx_table_elt_t  *h;

    server = sr->headers_in.server;

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, sr->pool, 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.server = server;
    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;

    if (!json) {
        return NGX_OK;
    }

    h = ngx_list_push(&sr->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&h->key, "Content-Type");
    ngx_str_set(&h->value, "application/json");
    h->lowcase_key = (u_char *) "content-type";
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);

    sr->headers_in.content_type = h;

    return NGX_OK;
}


/* What a subrequest of ours returns when it ends: the parent answers for a
 * failure, so the subrequest ends quietly, with no error page (or
 * error_page redirect) of its own, and its error does not take the parent
 * down. */

ngx_int_t
llmgw_subrequest_rc(ngx_http_request_t *sr, ngx_int_t rc)
{
    if (!sr->connection->error
        && (rc == NGX_ERROR
            || (rc >= NGX_HTTP_SPECIAL_RESPONSE
                && rc != NGX_HTTP_REQUEST_TIME_OUT
                && rc != NGX_HTTP_CLIENT_CLOSED_REQUEST
                && rc != NGX_HTTP_CLOSE)))
    {
        return NGX_OK;
    }

    return rc;
}
