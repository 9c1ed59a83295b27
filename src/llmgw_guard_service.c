/*
 * llmgw: an external guardrail service (a moderation API, a PII service),
 * asked like auth_request: an in-memory subrequest to the internal
 * location a policy names, never a blocking call.  It gets
 *
 *   {"policy": "...", "key": "...", "model": "...", "texts": ["...", ...]}
 *
 * (every string value of the request, in order) and answers
 *
 *   {"action": "allow" | "log" | "block" | "redact",
 *    "detectors": ["toxicity"],
 *    "spans": [{"text": 0, "start": 5, "end": 12, "label": "NAME"}]}
 *
 * spans counting Unicode code points of texts[text].  An error or a
 * timeout (the location's proxy timeouts) lets the request through or
 * refuses it, as the policy's "fail" says.
 */


#include "llmgw.h"


#define LLMGW_GUARD_SPANS_MAX   256
#define LLMGW_GUARD_LABEL_MAX   32


typedef struct {
    size_t                  text;
    size_t                  start;      /* code points */
    size_t                  end;
    u_char                  label[LLMGW_GUARD_LABEL_MAX];
    size_t                  label_len;
} llmgw_guard_span_t;


typedef struct {
    ngx_http_request_t     *sr;
    ngx_int_t               rc;
    ngx_uint_t              status;
    ngx_str_t               answer;
    ngx_str_t               result;     /* for the audit record */
    u_char                  detectors[128];
    size_t                  detectors_len;
    llmgw_guard_span_t     *spans;
    ngx_uint_t              nspans;
    size_t                  ntexts;     /* sent */
    ngx_pool_t             *pool;
    json_t                 *texts;      /* while the request is built */
    unsigned                done:1;
    unsigned                applied:1;
} llmgw_guard_call_t;


static ngx_int_t llmgw_guard_service_start(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_guard_service_body(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_guard_call_t *call, ngx_str_t *body);
static int llmgw_guard_collect(void *data, size_t index, const u_char *text,
    size_t len, const u_char **repl, size_t *repl_len);
static ngx_int_t llmgw_guard_service_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static ngx_int_t llmgw_guard_service_apply(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_guard_call_t *call);
static ngx_int_t llmgw_guard_service_verdict(llmgw_guard_call_t *call,
    const char **action);
static ngx_int_t llmgw_guard_service_spans(llmgw_guard_call_t *call,
    json_t *arr);
static ngx_int_t llmgw_guard_service_failed(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_guard_call_t *call, const char *why);
static ngx_int_t llmgw_guard_service_redact(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_guard_call_t *call);
static int llmgw_guard_apply_spans(void *data, size_t index,
    const u_char *text, size_t len, const u_char **repl, size_t *repl_len);
static size_t llmgw_guard_label(u_char *dst, json_t *v, const char *dflt);
static int llmgw_guard_span_cmp(const void *a, const void *b);


ngx_int_t
llmgw_guard_service(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_guard_call_t  *call;

    call = ctx->guard_call;

    if (call == NULL) {
        return llmgw_guard_service_start(r, ctx);
    }

    if (!call->done) {
        return NGX_AGAIN;
    }

    if (call->applied) {
        return NGX_OK;
    }

    call->applied = 1;

    return llmgw_guard_service_apply(r, ctx, call);
}


/* what the service said, for the audit record; NULL if not asked */

ngx_str_t *
llmgw_guard_service_result(llmgw_ctx_t *ctx, ngx_str_t *detectors)
{
    llmgw_guard_call_t  *call;

    call = ctx->guard_call;

    if (call == NULL || call->result.len == 0) {
        return NULL;
    }

    detectors->data = call->detectors;
    detectors->len = call->detectors_len;

    return &call->result;
}


static ngx_int_t
llmgw_guard_service_start(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_buf_t                   *b;
    ngx_str_t                    body;
    ngx_chain_t                 *cl;
    ngx_http_request_t          *sr;
    llmgw_guard_call_t          *call;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    call = ngx_pcalloc(r->pool, sizeof(llmgw_guard_call_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);

    if (call == NULL || ps == NULL || rb == NULL || b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    call->pool = r->pool;

    if (llmgw_guard_service_body(r, ctx, call, &body) != NGX_OK) {
        return llmgw_guard_service_failed(r, ctx, call,
                                          "the request's texts could not be "
                                          "read");
    }

    b->pos = b->start = body.data;
    b->last = b->end = body.data + body.len;
    b->memory = 1;
    b->last_buf = 1;

    cl->buf = b;
    cl->next = NULL;
    rb->bufs = cl;

    ps->handler = llmgw_guard_service_done;
    ps->data = call;

    if (ngx_http_subrequest(r, &ctx->guard->service, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    call->sr = sr;
    ctx->guard_call = call;

    sr->request_body = rb;
    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");

    if (llmgw_subrequest_headers(sr, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    sr->headers_in.content_length_n = body.len;

    return NGX_AGAIN;
}


static ngx_int_t
llmgw_guard_service_body(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_call_t *call, ngx_str_t *body)
{
    int      rc;
    char    *dump;
    u_char  *out;
    size_t   out_len;
    json_t  *root;

    root = json_object();
    call->texts = json_array();

    if (root == NULL || call->texts == NULL
        || json_object_set_new(root, "texts", call->texts) != 0)
    {
        json_decref(call->texts);
        json_decref(root);
        return NGX_ERROR;
    }

    rc = llmgw_guard_json_rewrite(ctx->body.data, ctx->body.len,
                                  LLMGW_MAX_DEPTH, llmgw_guard_alloc, r->pool,
                                  llmgw_guard_collect, call, &out, &out_len);

    if (rc != 0
        || json_object_set_new(root, "policy",
                               json_stringn((char *) ctx->guard->name.data,
                                            ctx->guard->name.len)) != 0
        || json_object_set_new(root, "key",
                               json_stringn((char *) ctx->vkey->id.data,
                                            ctx->vkey->id.len)) != 0
        || json_object_set_new(root, "model",
                               json_stringn((char *) ctx->model.data,
                                            ctx->model.len)) != 0)
    {
        json_decref(root);
        return NGX_ERROR;
    }

    dump = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    if (dump == NULL) {
        return NGX_ERROR;
    }

    body->len = ngx_strlen(dump);
    body->data = ngx_pnalloc(r->pool, body->len);

    if (body->data) {
        ngx_memcpy(body->data, dump, body->len);
    }

    free(dump);

    return body->data ? NGX_OK : NGX_ERROR;
}


static int
llmgw_guard_collect(void *data, size_t index, const u_char *text, size_t len,
    const u_char **repl, size_t *repl_len)
{
    llmgw_guard_call_t  *call = data;

    call->ntexts = index + 1;

    return json_array_append_new(call->texts,
                                 json_stringn((char *) text, len));
}


static ngx_int_t
llmgw_guard_service_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_buf_t           *b;
    llmgw_guard_call_t  *call = data;

    if (call->done) {
        return rc;
    }

    call->done = 1;
    call->rc = rc;
    call->status = sr->headers_out.status;

    b = sr->out ? sr->out->buf : NULL;

    if (b && b->last > b->pos) {
        call->answer.len = b->last - b->pos;
        call->answer.data = ngx_pnalloc(call->pool, call->answer.len);

        if (call->answer.data == NULL) {
            call->answer.len = 0;

        } else {
            ngx_memcpy(call->answer.data, b->pos, call->answer.len);
        }
    }

    return llmgw_subrequest_rc(sr, rc);
}


static ngx_int_t
llmgw_guard_service_apply(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_call_t *call)
{
    const char  *action;

    if (call->rc == NGX_HTTP_GATEWAY_TIME_OUT
        || call->status == NGX_HTTP_GATEWAY_TIME_OUT)
    {
        ngx_str_set(&call->result, "timeout");
        return llmgw_guard_service_failed(r, ctx, call, "it timed out");
    }

    if (call->rc == NGX_ERROR || call->rc >= NGX_HTTP_SPECIAL_RESPONSE
        || call->status != NGX_HTTP_OK)
    {
        return llmgw_guard_service_failed(r, ctx, call,
                                          "it did not answer 200");
    }

    if (llmgw_guard_service_verdict(call, &action) != NGX_OK) {
        return llmgw_guard_service_failed(r, ctx, call,
                                          "its answer is not a verdict");
    }

    call->result.data = (u_char *) action;
    call->result.len = ngx_strlen(action);

    if (call->result.len == 5 && ngx_strcmp(action, "allow") == 0) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "llmgw: guardrail \"%V\" service: %s (%*s)",
                  &ctx->guard->name, action, call->detectors_len,
                  call->detectors);

    if (ngx_strcmp(action, "block") == 0) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "guardrail_blocked",
                          "input_blocked", "The request was blocked by "
                          "guardrail policy \"%V\": %*s detected by its "
                          "service", &ctx->guard->name, call->detectors_len,
                          call->detectors);
    }

    if (ngx_strcmp(action, "redact") == 0) {
        return llmgw_guard_service_redact(r, ctx, call);
    }

    return NGX_OK;
}


static ngx_int_t
llmgw_guard_service_verdict(llmgw_guard_call_t *call, const char **action)
{
    u_char      *p, *last;
    size_t       i;
    json_t      *root, *v, *d;
    ngx_int_t    rc;
    const char  *a;

    static const char  *actions[] = { "allow", "log", "block", "redact" };

    root = call->answer.len ? json_loadb((char *) call->answer.data,
                                         call->answer.len, 0, NULL)
                            : NULL;

    v = json_object_get(root, "action");
    a = json_is_string(v) ? json_string_value(v) : "";
    *action = NULL;

    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (ngx_strcmp(a, actions[i]) == 0) {
            *action = actions[i];
        }
    }

    rc = (*action == NULL) ? NGX_ERROR : NGX_OK;

    v = json_object_get(root, "detectors");
    p = call->detectors;
    last = p + sizeof(call->detectors);

    json_array_foreach(v, i, d) {
        if (p + 2 + LLMGW_GUARD_LABEL_MAX > last) {
            break;
        }

        if (p != call->detectors) {
            *p++ = ',';
            *p++ = ' ';
        }

        p += llmgw_guard_label(p, d, "");
    }

    if (p == call->detectors) {
        p = ngx_cpymem(p, "SERVICE", 7);
    }

    call->detectors_len = p - call->detectors;

    if (rc == NGX_OK && ngx_strcmp(*action, "redact") == 0) {
        rc = llmgw_guard_service_spans(call, json_object_get(root, "spans"));
    }

    json_decref(root);

    return rc;
}


static ngx_int_t
llmgw_guard_service_spans(llmgw_guard_call_t *call, json_t *arr)
{
    size_t               i;
    json_t              *s, *t, *b, *e;
    llmgw_guard_span_t  *sp;

    if (!json_is_array(arr) || json_array_size(arr) == 0
        || json_array_size(arr) > LLMGW_GUARD_SPANS_MAX)
    {
        return NGX_ERROR;
    }

    call->spans = ngx_palloc(call->pool,
                             json_array_size(arr) * sizeof(llmgw_guard_span_t));
    if (call->spans == NULL) {
        return NGX_ERROR;
    }

    json_array_foreach(arr, i, s) {
        t = json_object_get(s, "text");
        b = json_object_get(s, "start");
        e = json_object_get(s, "end");

        if (!json_is_integer(t) || !json_is_integer(b) || !json_is_integer(e)
            || json_integer_value(t) < 0 || json_integer_value(b) < 0
            || json_integer_value(e) <= json_integer_value(b))
        {
            return NGX_ERROR;
        }

        sp = &call->spans[i];
        sp->text = json_integer_value(t);
        sp->start = json_integer_value(b);
        sp->end = json_integer_value(e);
        sp->label_len = llmgw_guard_label(sp->label,
                                          json_object_get(s, "label"),
                                          "SERVICE");
    }

    call->nspans = json_array_size(arr);

    ngx_qsort(call->spans, call->nspans, sizeof(llmgw_guard_span_t),
              llmgw_guard_span_cmp);

    for (i = 1; i < call->nspans; i++) {
        if (call->spans[i].text == call->spans[i - 1].text
            && call->spans[i].start < call->spans[i - 1].end)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
llmgw_guard_service_failed(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_call_t *call, const char *why)
{
    if (call->result.len == 0) {
        ngx_str_set(&call->result, "error");
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "llmgw: guardrail \"%V\": the service at \"%V\" failed: "
                  "%s; the request is %s", &ctx->guard->name,
                  &ctx->guard->service, why,
                  ctx->guard->service_fail_open ? "let through" : "refused");

    if (ctx->guard->service_fail_open) {
        return NGX_OK;
    }

    return llmgw_fail(r, ctx, NGX_HTTP_SERVICE_UNAVAILABLE, "api_error",
                      "guardrail_unavailable", "Guardrail policy \"%V\" could "
                      "not check the request: its service failed",
                      &ctx->guard->name);
}


static ngx_int_t
llmgw_guard_service_redact(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_call_t *call)
{
    int      rc;
    u_char  *out;
    size_t   out_len;

    rc = llmgw_guard_json_rewrite(ctx->body.data, ctx->body.len,
                                  LLMGW_MAX_DEPTH, llmgw_guard_alloc, r->pool,
                                  llmgw_guard_apply_spans, call, &out,
                                  &out_len);

    if (rc < 0 || call->spans[call->nspans - 1].text >= call->ntexts) {
        ngx_str_set(&call->result, "error");
        return llmgw_guard_service_failed(r, ctx, call,
                                          "its spans do not fit the texts");
    }

    if (rc == 0) {
        return NGX_OK;
    }

    return llmgw_request_replace_body(r, ctx, out, out_len);
}


/* the spans of texts[index], code points turned into bytes */

static int
llmgw_guard_apply_spans(void *data, size_t index, const u_char *text,
    size_t len, const u_char **repl, size_t *repl_len)
{
    u_char              *out, *o;
    size_t               i, cp, pos, start, size;
    llmgw_guard_call_t  *call = data;
    llmgw_guard_span_t  *sp;

    size = len;

    for (i = 0; i < call->nspans; i++) {
        if (call->spans[i].text == index) {
            size += sizeof("[REDACTED:]") + call->spans[i].label_len;
        }
    }

    if (size == len) {
        return 0;
    }

    out = ngx_pnalloc(call->pool, size);
    if (out == NULL) {
        return 1;
    }

    o = out;
    cp = 0;
    pos = 0;

    for (i = 0; i < call->nspans; i++) {
        sp = &call->spans[i];

        if (sp->text != index) {
            continue;
        }

        /* to the span's start, copying; then past its end */

        while (cp < sp->start && pos < len) {
            do {
                *o++ = text[pos++];
            } while (pos < len && (text[pos] & 0xc0) == 0x80);

            cp++;
        }

        start = pos;

        while (cp < sp->end && pos < len) {
            do {
                pos++;
            } while (pos < len && (text[pos] & 0xc0) == 0x80);

            cp++;
        }

        if (cp < sp->end) {
            return 1;           /* past the text's end */
        }

        if (pos > start) {
            o = ngx_sprintf(o, "[REDACTED:%*s]", sp->label_len, sp->label);
        }
    }

    o = ngx_cpymem(o, text + pos, len - pos);

    *repl = out;
    *repl_len = o - out;

    return 0;
}


/* a name the service gave, as the audit record and errors may show it */

static size_t
llmgw_guard_label(u_char *dst, json_t *v, const char *dflt)
{
    size_t       n, i;
    const char  *s;

    s = json_is_string(v) ? json_string_value(v) : dflt;
    n = 0;

    for (i = 0; s[i] && n < LLMGW_GUARD_LABEL_MAX; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
            || (s[i] >= '0' && s[i] <= '9')
            || s[i] == '_' || s[i] == '-' || s[i] == '.')
        {
            dst[n++] = s[i];
        }
    }

    if (n == 0 && dflt[0]) {
        return llmgw_guard_label(dst, NULL, dflt);
    }

    return n;
}


static int
llmgw_guard_span_cmp(const void *a, const void *b)
{
    const llmgw_guard_span_t  *x = a, *y = b;

    if (x->text != y->text) {
        return x->text < y->text ? -1 : 1;
    }

    return x->start < y->start ? -1 : x->start > y->start;
}
