/*
 * llmgw: the admin API's answers: JSON, errors in OpenAI's shape, and the
 * dashboard page built into the module.
 */


#include "llmgw_admin_int.h"


static ngx_int_t llmgw_admin_header(ngx_http_request_t *r, const char *name,
    const char *value);


/* an error kept for the caller to send: NGX_DECLINED */

ngx_int_t
llmgw_admin_stage(llmgw_admin_ctx_t *actx, ngx_uint_t status,
    const char *type, const char *code, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(actx->deny_msg, actx->deny_msg + sizeof(actx->deny_msg)
                      - 1, fmt, args);
    va_end(args);

    *p = '\0';
    actx->deny_status = status;
    actx->deny_type = type;
    actx->deny_code = code;

    return NGX_DECLINED;
}


ngx_int_t
llmgw_admin_staged(ngx_http_request_t *r, llmgw_admin_ctx_t *actx)
{
    return llmgw_admin_error(r, actx->deny_status, actx->deny_type,
                             actx->deny_code, "%s", actx->deny_msg);
}


/* after a staged refusal (NGX_DECLINED) or a failure */

ngx_int_t
llmgw_admin_failed(ngx_http_request_t *r, llmgw_admin_ctx_t *actx,
    ngx_int_t rc)
{
    return (rc == NGX_DECLINED) ? llmgw_admin_staged(r, actx)
                                : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


ngx_int_t
llmgw_admin_send(ngx_http_request_t *r, ngx_uint_t status, json_t *v)
{
    if (v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* If-Match names the version a write edits, not this answer's */
    r->disable_not_modified = 1;

    if (llmgw_admin_header(r, "Cache-Control", "no-store") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return llmgw_send_json_value(r, status, v);
}


ngx_int_t
llmgw_admin_error(ngx_http_request_t *r, ngx_uint_t status, const char *type,
    const char *code, const char *fmt, ...)
{
    u_char    *p, msg[LLMGW_ADMIN_ERR_LEN + 256];
    json_t    *v;
    va_list    args;
    ngx_int_t  rc;

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    v = json_pack("{s:{s:s%,s:s,s:n,s:s}}", "error", "message", (char *) msg,
                  (size_t) (p - msg), "type", type, "param", "code", code);

    rc = llmgw_admin_send(r, status, v);
    json_decref(v);

    return rc;
}


/* the dashboard: html/dashboard.html, built into the module */

ngx_int_t
llmgw_admin_dashboard(ngx_http_request_t *r)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    static u_char  html[] = {
#include "llmgw_dashboard_html.h"
    };

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = sizeof(html);
    ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/html") - 1;

    if (llmgw_admin_header(r, "Cache-Control", "no-store") != NGX_OK
        || llmgw_admin_header(r, "Content-Security-Policy",
                              "default-src 'none'; script-src "
                              "'unsafe-inline'; style-src 'unsafe-inline'; "
                              "connect-src 'self'; img-src data:; "
                              "frame-ancestors 'none'") != NGX_OK
        || llmgw_admin_header(r, "Referrer-Policy", "no-referrer") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = html;
    b->last = html + sizeof(html);
    b->memory = 1;
    b->last_buf = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
llmgw_admin_header(ngx_http_request_t *r, const char *name,
    const char *value)
{
    return llmgw_header(r, name, (u_char *) value, ngx_strlen(value));
}


/* UTC "YYYY-MM-DDThh:mm:ssZ" into buf (21 bytes): its length */

size_t
llmgw_admin_iso(u_char *buf, time_t t)
{
    ngx_tm_t  tm;

    ngx_gmtime(t, &tm);

    return ngx_sprintf(buf, "%4d-%02d-%02dT%02d:%02d:%02dZ", tm.ngx_tm_year,
                       tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour,
                       tm.ngx_tm_min, tm.ngx_tm_sec)
           - buf;
}


const char *
llmgw_admin_kind_name(u_char kind)
{
    return kind == 'k' ? "key" : kind == 't' ? "team" : "customer";
}
