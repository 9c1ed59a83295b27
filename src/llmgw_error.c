/*
 * llmgw: errors in the client's API format, never an nginx HTML page.
 *
 * OpenAI (and its Responses API):
 *   {"error":{"message":"...","type":"...","param":null,"code":"..."}}
 * Anthropic: {"type":"error","error":{"type":"...","message":"..."}}
 * Gemini: {"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED",
 *   "details":[{"@type":"...ErrorInfo","reason":code,"domain":"llmgw",
 *   "metadata":{"type":type}}]}}
 */


#include "llmgw.h"


static ngx_buf_t *llmgw_error_body_anthropic(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_buf_t *llmgw_error_body_gemini(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static const char *llmgw_google_status(ngx_uint_t status);


ngx_int_t
llmgw_fail(ngx_http_request_t *r, llmgw_ctx_t *ctx, ngx_int_t status,
    const char *type, const char *code, const char *fmt, ...)
{
    u_char      *p, buf[1024];
    va_list      args;
    ngx_uint_t   level;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    ctx->status = status;
    ctx->error_type.data = (u_char *) type;
    ctx->error_type.len = ngx_strlen(type);
    ctx->error_code.data = (u_char *) code;
    ctx->error_code.len = code ? ngx_strlen(code) : 0;

    ctx->error_msg.len = p - buf;
    ctx->error_msg.data = ngx_pnalloc(r->pool, ctx->error_msg.len);
    if (ctx->error_msg.data == NULL) {
        ctx->error_msg.len = 0;
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->error_msg.data, buf, ctx->error_msg.len);

    level = (status >= 500) ? NGX_LOG_ERR : NGX_LOG_INFO;

    ngx_log_error(level, r->connection->log, 0, "llmgw: %ui %V: %V",
                  status, &ctx->error_type, &ctx->error_msg);

    return NGX_ERROR;
}


/* The status an nginx-generated page had, in our words. */

void
llmgw_error_for_status(llmgw_ctx_t *ctx, ngx_uint_t status)
{
    const char  *type, *code, *msg;

    switch (status) {

    case NGX_HTTP_BAD_REQUEST:
        type = "invalid_request_error"; code = "bad_request";
        msg = "The request could not be read";
        break;

    case NGX_HTTP_UNAUTHORIZED:
        type = "authentication_error"; code = "unauthorized";
        msg = "The request was not authorized";
        break;

    case NGX_HTTP_FORBIDDEN:
        type = "permission_error"; code = "forbidden";
        msg = "The request is not permitted";
        break;

    case NGX_HTTP_NOT_FOUND:
        type = "not_found_error"; code = "unknown_endpoint";
        msg = "Unknown endpoint";
        break;

    case NGX_HTTP_TOO_MANY_REQUESTS:
        type = "rate_limit_error"; code = "rate_limited";
        msg = "Too many requests";
        break;

    case 529:
        type = "overloaded_error"; code = "overloaded";
        msg = "The provider is overloaded";
        break;

    case NGX_HTTP_NOT_ALLOWED:
        type = "invalid_request_error"; code = "method_not_allowed";
        msg = "Method not allowed";
        break;

    case NGX_HTTP_REQUEST_TIME_OUT:
        type = "invalid_request_error"; code = "request_timeout";
        msg = "The request body was not received in time";
        break;

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        type = "request_too_large"; code = "request_too_large";
        msg = "The request body is larger than this gateway accepts";
        break;

    case NGX_HTTP_BAD_GATEWAY:
        type = "api_error"; code = "upstream_unavailable";
        msg = "The provider could not be reached";
        break;

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        type = "overloaded_error"; code = "service_unavailable";
        msg = "The service is unavailable";
        break;

    case NGX_HTTP_GATEWAY_TIME_OUT:
        type = "api_error"; code = "upstream_timeout";
        msg = "The provider did not answer in time";
        break;

    default:
        if (status >= 500) {
            type = "api_error"; code = "internal_error";
            msg = "Internal gateway error";

        } else {
            type = "invalid_request_error"; code = "invalid_request";
            msg = "The request was refused";
        }
    }

    ctx->status = status;
    ctx->error_type.data = (u_char *) type;
    ctx->error_type.len = ngx_strlen(type);
    ctx->error_code.data = (u_char *) code;
    ctx->error_code.len = ngx_strlen(code);
    ctx->error_msg.data = (u_char *) msg;
    ctx->error_msg.len = ngx_strlen(msg);
}


static ngx_buf_t *
llmgw_error_body_anthropic(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    size_t      len;
    ngx_buf_t  *b;

    static u_char  prefix[] = "{\"type\":\"error\",\"error\":{\"type\":\"";
    static u_char  message[] = "\",\"message\":\"";
    static u_char  suffix[] = "\"}}\n";

    len = sizeof(prefix) - 1 + ctx->error_type.len + sizeof(message) - 1
          + llmgw_json_escape_len(ctx->error_msg.data, ctx->error_msg.len)
          + sizeof(suffix) - 1;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    b->last = ngx_cpymem(b->last, prefix, sizeof(prefix) - 1);
    b->last = ngx_cpymem(b->last, ctx->error_type.data, ctx->error_type.len);
    b->last = ngx_cpymem(b->last, message, sizeof(message) - 1);
    b->last = llmgw_json_escape(b->last, ctx->error_msg.data,
                                ctx->error_msg.len);
    b->last = ngx_cpymem(b->last, suffix, sizeof(suffix) - 1);

    return b;
}


static ngx_buf_t *
llmgw_error_body_gemini(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    size_t       len;
    ngx_buf_t   *b;
    const char  *status;

    static u_char  prefix[] = "{\"error\":{\"code\":";
    static u_char  message[] = ",\"message\":\"";
    static u_char  gstatus[] = "\",\"status\":\"";
    static u_char  reason[] = "\",\"details\":[{\"@type\":"
        "\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"";
    static u_char  type[] = "\",\"domain\":\"llmgw\",\"metadata\":"
        "{\"type\":\"";
    static u_char  suffix[] = "\"}}]}}\n";

    status = llmgw_google_status(ctx->status);

    len = sizeof(prefix) - 1 + NGX_INT_T_LEN + sizeof(message) - 1
          + llmgw_json_escape_len(ctx->error_msg.data, ctx->error_msg.len)
          + sizeof(gstatus) - 1 + ngx_strlen(status)
          + sizeof(reason) - 1 + ctx->error_code.len
          + sizeof(type) - 1 + ctx->error_type.len + sizeof(suffix) - 1;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    b->last = ngx_cpymem(b->last, prefix, sizeof(prefix) - 1);
    b->last = ngx_sprintf(b->last, "%i", ctx->status);
    b->last = ngx_cpymem(b->last, message, sizeof(message) - 1);
    b->last = llmgw_json_escape(b->last, ctx->error_msg.data,
                                ctx->error_msg.len);
    b->last = ngx_cpymem(b->last, gstatus, sizeof(gstatus) - 1);
    b->last = ngx_cpymem(b->last, status, ngx_strlen(status));
    b->last = ngx_cpymem(b->last, reason, sizeof(reason) - 1);
    b->last = ngx_cpymem(b->last, ctx->error_code.data, ctx->error_code.len);
    b->last = ngx_cpymem(b->last, type, sizeof(type) - 1);
    b->last = ngx_cpymem(b->last, ctx->error_type.data, ctx->error_type.len);
    b->last = ngx_cpymem(b->last, suffix, sizeof(suffix) - 1);

    return b;
}


/* google.rpc.Code's name for an HTTP status, as Google's APIs map them */

static const char *
llmgw_google_status(ngx_uint_t status)
{
    switch (status) {
    case NGX_HTTP_BAD_REQUEST:
    case NGX_HTTP_NOT_ALLOWED:
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        return "INVALID_ARGUMENT";
    case NGX_HTTP_UNAUTHORIZED:
        return "UNAUTHENTICATED";
    case NGX_HTTP_FORBIDDEN:
        return "PERMISSION_DENIED";
    case NGX_HTTP_NOT_FOUND:
        return "NOT_FOUND";
    case LLMGW_HTTP_PAYMENT_REQUIRED:
    case NGX_HTTP_TOO_MANY_REQUESTS:
        return "RESOURCE_EXHAUSTED";
    case NGX_HTTP_REQUEST_TIME_OUT:
    case NGX_HTTP_GATEWAY_TIME_OUT:
        return "DEADLINE_EXCEEDED";
    case NGX_HTTP_NOT_IMPLEMENTED:
        return "UNIMPLEMENTED";
    case NGX_HTTP_BAD_GATEWAY:
    case NGX_HTTP_SERVICE_UNAVAILABLE:
    case 529:
        return "UNAVAILABLE";
    default:
        return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
    }
}


/*
 * The error as the last event of a stream, in the client's format:
 * OpenAI's chat: data: {error}; Anthropic's: event: error; the Responses
 * API's: response.failed; Gemini's: the error object on a line of its own,
 * no "data:", as Google ends a stream that fails (its SDKs raise it; as a
 * data event they take it for an empty answer).
 */

ngx_buf_t *
llmgw_error_event(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    size_t      len;
    ngx_buf_t  *body, *b;

    static u_char  failed[] = "event: response.failed\ndata: "
        "{\"type\":\"response.failed\",\"response\":{\"object\":"
        "\"response\",\"status\":\"failed\",\"error\":{\"code\":\"";
    static u_char  message[] = "\",\"message\":\"";
    static u_char  failed_end[] = "\"}}}\n\n";

    if (ctx->client_format == LLMGW_FORMAT_RESPONSES) {
        len = sizeof(failed) - 1 + ctx->error_type.len + sizeof(message) - 1
              + llmgw_json_escape_len(ctx->error_msg.data, ctx->error_msg.len)
              + sizeof(failed_end) - 1;

        b = ngx_create_temp_buf(r->pool, len);
        if (b == NULL) {
            return NULL;
        }

        b->last = ngx_cpymem(b->last, failed, sizeof(failed) - 1);
        b->last = ngx_cpymem(b->last, ctx->error_type.data,
                             ctx->error_type.len);
        b->last = ngx_cpymem(b->last, message, sizeof(message) - 1);
        b->last = llmgw_json_escape(b->last, ctx->error_msg.data,
                                    ctx->error_msg.len);
        b->last = ngx_cpymem(b->last, failed_end, sizeof(failed_end) - 1);

        return b;
    }

    body = llmgw_error_body(r, ctx);
    if (body == NULL || ctx->client_format == LLMGW_FORMAT_GEMINI) {
        return body;
    }

    /* the body ends with "\n" */
    len = sizeof("event: error\n") - 1 + sizeof("data: ") - 1
          + (body->last - body->pos) + sizeof("\n\n") - 1;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    if (ctx->client_format == LLMGW_FORMAT_ANTHROPIC) {
        b->last = ngx_cpymem(b->last, "event: error\n", 13);
    }

    b->last = ngx_cpymem(b->last, "data: ", 6);
    b->last = ngx_cpymem(b->last, body->pos, body->last - body->pos - 1);
    b->last = ngx_cpymem(b->last, "\n\n", 2);

    return b;
}


ngx_buf_t *
llmgw_error_body(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    size_t      len;
    ngx_buf_t  *b;

    if (ctx->client_format == LLMGW_FORMAT_ANTHROPIC) {
        return llmgw_error_body_anthropic(r, ctx);
    }

    if (ctx->client_format == LLMGW_FORMAT_GEMINI) {
        return llmgw_error_body_gemini(r, ctx);
    }

    static u_char  prefix[] = "{\"error\":{\"message\":\"";
    static u_char  type[] = "\",\"type\":\"";
    static u_char  param[] = "\",\"param\":null,\"code\":";
    static u_char  suffix[] = "}}\n";

    len = sizeof(prefix) - 1
          + llmgw_json_escape_len(ctx->error_msg.data, ctx->error_msg.len)
          + sizeof(type) - 1 + ctx->error_type.len
          + sizeof(param) - 1 + ctx->error_code.len + sizeof("\"\"") - 1
          + sizeof(suffix) - 1;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    b->last = ngx_cpymem(b->last, prefix, sizeof(prefix) - 1);
    b->last = llmgw_json_escape(b->last, ctx->error_msg.data,
                                ctx->error_msg.len);
    b->last = ngx_cpymem(b->last, type, sizeof(type) - 1);
    b->last = ngx_cpymem(b->last, ctx->error_type.data, ctx->error_type.len);
    b->last = ngx_cpymem(b->last, param, sizeof(param) - 1);

    if (ctx->error_code.len) {
        *b->last++ = '"';
        b->last = ngx_cpymem(b->last, ctx->error_code.data,
                             ctx->error_code.len);
        *b->last++ = '"';

    } else {
        b->last = ngx_cpymem(b->last, "null", 4);
    }

    b->last = ngx_cpymem(b->last, suffix, sizeof(suffix) - 1);

    return b;
}


ngx_int_t
llmgw_send_error(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_buf_t        *b;
    ngx_table_elt_t  *h;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    b = llmgw_error_body(r, ctx);
    if (b == NULL) {
        return NGX_ERROR;
    }

    if (ctx->status == NGX_HTTP_NOT_ALLOWED) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Allow");

        if (ctx->endpoint == LLMGW_EP_MODELS
            || ctx->endpoint == LLMGW_EP_USAGE)
        {
            ngx_str_set(&h->value, "GET, HEAD");

        } else {
            ngx_str_set(&h->value, "POST");
        }
    }

    if (ctx->status == NGX_HTTP_UNAUTHORIZED) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "WWW-Authenticate");
        ngx_str_set(&h->value, "Bearer realm=\"llmgw\"");
    }

    return llmgw_send_json(r, ctx->status, b);
}


ngx_int_t
llmgw_send_json(ngx_http_request_t *r, ngx_uint_t status, ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* a jansson value as the whole response */

ngx_int_t
llmgw_send_json_value(ngx_http_request_t *r, ngx_uint_t status, json_t *v)
{
    char       *text;
    size_t      len;
    ngx_buf_t  *b;

    /* numbers as written: 1e-06, not 9.9999999999999995e-07 */
    text = json_dumps(v, JSON_COMPACT|JSON_REAL_PRECISION(15));
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(text);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, text, len);
    *b->last++ = '\n';
    free(text);

    return llmgw_send_json(r, status, b);
}

