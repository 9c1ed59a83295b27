/*
 * llmgw: the client's request.  Read the body once, scan its top level,
 * validate the governed fields, and splice the few edits into the original
 * buffer for the provider without copying the rest (DESIGN.md, fast path).
 */


#include "llmgw.h"


#define LLMGW_MAX_SPLICES  6


typedef struct {
    size_t      off;        /* where in the body */
    size_t      len;        /* how many bytes it replaces */
    ngx_str_t   text;
} llmgw_splice_t;


typedef struct {
    llmgw_splice_t  s[LLMGW_MAX_SPLICES];
    ngx_uint_t      n;
} llmgw_splices_t;


static ngx_int_t llmgw_request_body(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static u_char *llmgw_request_contiguous(ngx_chain_t *cl);
static u_char *llmgw_request_join(ngx_http_request_body_t *rb, size_t len);
static ngx_int_t llmgw_request_scan(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_request_validate(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_request_embeddings(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_request_responses(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_request_gemini(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_request_max_output(llmgw_ctx_t *ctx,
    llmgw_json_span_t *v);
static ngx_int_t llmgw_request_model(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_request_url_model(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_model_check(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static ngx_int_t llmgw_request_fallbacks(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static void llmgw_splice_drop(llmgw_ctx_t *ctx, llmgw_splices_t *sp,
    llmgw_json_span_t *v);

static ngx_int_t llmgw_check_type(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_json_span_t *v, const char *name, unsigned types);
static ngx_int_t llmgw_check_count(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_json_span_t *v, const char *name);
static ngx_int_t llmgw_splice_model(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_splices_t *sp);
static ngx_int_t llmgw_splice_usage(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_splices_t *sp);
static void llmgw_splice_add(llmgw_splices_t *sp, size_t off, size_t len,
    const char *text, size_t text_len);
static ngx_int_t llmgw_splice_apply(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_splices_t *sp);
static ngx_int_t llmgw_splice_max_tokens(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_splices_t *sp);
static ngx_int_t llmgw_request_include_usage(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static ngx_int_t llmgw_request_headers(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);


#define LLMGW_T(t)  (1u << (t))


ngx_int_t
llmgw_request_read(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    if (llmgw_request_body(r, ctx) != NGX_OK
        || llmgw_request_scan(r, ctx) != NGX_OK
        || llmgw_request_validate(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (llmgw_request_model(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    return llmgw_request_fallbacks(r, ctx);
}


/* the body a guardrail redacted: only string contents changed, so the
 * fields keep their types and need only their new places */

ngx_int_t
llmgw_request_replace_body(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    u_char *body, size_t len)
{
    ctx->body.data = body;
    ctx->body.len = len;

    return llmgw_request_scan(r, ctx);
}


/* "fallbacks": the model names to try, in order, when the model fails;
 * the gateway's own field, never sent to a provider */

static ngx_int_t
llmgw_request_fallbacks(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    size_t              i, len;
    json_t             *arr, *m;
    ngx_str_t          *s;
    llmgw_json_span_t  *v;

    v = &ctx->fields.fallbacks;

    if (v->type == LLMGW_JSON_NONE || v->type == LLMGW_JSON_NULL) {
        return NGX_OK;
    }

    arr = (v->type == LLMGW_JSON_ARRAY)
          ? json_loadb((char *) v->start, v->len, 0, NULL) : NULL;

    if (arr == NULL || json_array_size(arr) > LLMGW_MAX_ATTEMPTS) {
        json_decref(arr);
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_field",
                          "\"fallbacks\" must be an array of at most %d "
                          "model names", LLMGW_MAX_ATTEMPTS);
    }

    ctx->fallbacks = ngx_array_create(r->pool, json_array_size(arr) + 1,
                                      sizeof(ngx_str_t));
    if (ctx->fallbacks == NULL) {
        json_decref(arr);
        return NGX_ERROR;
    }

    json_array_foreach(arr, i, m) {
        len = json_is_string(m) ? json_string_length(m) : 0;
        s = ngx_array_push(ctx->fallbacks);

        if (len == 0 || len > LLMGW_MAX_MODEL_LEN || s == NULL) {
            json_decref(arr);
            return s ? llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                  "invalid_request_error", "invalid_field",
                                  "\"fallbacks\"[%uz] must be a model name "
                                  "of 1 to %d bytes", i,
                                  LLMGW_MAX_MODEL_LEN)
                     : NGX_ERROR;
        }

        /* NUL-terminated for pattern matching */
        s->data = ngx_pnalloc(r->pool, len + 1);
        if (s->data == NULL) {
            json_decref(arr);
            return NGX_ERROR;
        }

        s->len = len;
        ngx_cpystrn(s->data, (u_char *) json_string_value(m), len + 1);
    }

    json_decref(arr);

    return NGX_OK;
}


/* The body in one piece: in place when nginx read it into one buffer (it
 * does when client_body_buffer_size holds it: see the loc conf merge),
 * else gathered, from a temp file too (client_body_in_file_only). */

static ngx_int_t
llmgw_request_body(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char       *p;
    off_t         len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL;
         cl;
         cl = cl->next)
    {
        len += ngx_buf_size(cl->buf);
    }

    if (len == 0) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "The request body is empty: a JSON object is "
                          "required");
    }

    /* in place when the bufs are one run of memory, as nginx often
     * leaves them */

    ctx->body.data = llmgw_request_contiguous(r->request_body->bufs);

    if (ctx->body.data == NULL) {
        ctx->body.data = llmgw_request_join(r->request_body, len);
    }

    if (ctx->body.data) {
        ctx->body.len = len;
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->body.data = p;
    ctx->body.len = len;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_size(b) == 0) {
            continue;
        }

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        /* a local temp file, read as nginx's proxy module would */
        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            return llmgw_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "api_error", "internal_error",
                              "the request body could not be read back");
        }

        p += n;
    }

    return NGX_OK;
}


/* the start of the body when its bufs are one run of memory, or NULL */

static u_char *
llmgw_request_contiguous(ngx_chain_t *cl)
{
    u_char  *start, *next;

    start = NULL;
    next = NULL;

    for ( /* void */ ; cl; cl = cl->next) {
        if (ngx_buf_size(cl->buf) == 0) {
            continue;
        }

        if (!ngx_buf_in_memory(cl->buf)
            || (next && cl->buf->pos != next))
        {
            return NULL;
        }

        if (start == NULL) {
            start = cl->buf->pos;
        }

        next = cl->buf->last;
    }

    return start;
}


/*
 * A body longer than what the header buffer had left is read into rb->buf,
 * which request_body_in_single_buf sizes for the whole body, but nginx
 * leaves the preread part in the header buffer.  The rest is moved up and
 * the preread part put before it: one run of memory, without a buffer of
 * our own.  The body's chain becomes that one buffer.
 */

static u_char *
llmgw_request_join(ngx_http_request_body_t *rb, size_t len)
{
    u_char       *tail, *next;
    size_t        head;
    ngx_buf_t    *b;
    ngx_chain_t  *cl, *rest;

    b = rb->buf;

    if (b == NULL || b->start == NULL) {
        return NULL;
    }

    head = 0;

    for (rest = rb->bufs; rest; rest = rest->next) {
        if (rest->buf->pos >= b->start && rest->buf->pos < b->end) {
            break;
        }

        if (ngx_buf_size(rest->buf) && !ngx_buf_in_memory_only(rest->buf)) {
            return NULL;
        }

        head += ngx_buf_size(rest->buf);
    }

    if (rest == NULL || head == 0) {
        return NULL;
    }

    tail = rest->buf->pos;
    next = tail;

    for (cl = rest; cl; cl = cl->next) {
        if (ngx_buf_size(cl->buf) == 0) {
            continue;
        }

        if (!ngx_buf_in_memory_only(cl->buf) || cl->buf->pos != next) {
            return NULL;
        }

        next = cl->buf->last;
    }

    if ((size_t) (next - tail) != len - head
        || (size_t) (b->end - tail) < len)
    {
        return NULL;
    }

    ngx_memmove(tail + head, tail, len - head);

    next = tail;

    for (cl = rb->bufs; cl != rest; cl = cl->next) {
        next = ngx_cpymem(next, cl->buf->pos, ngx_buf_size(cl->buf));
    }

    b = rest->buf;
    b->start = tail;
    b->pos = tail;
    b->last = tail + len;
    b->end = tail + len;
    b->last_buf = 1;

    rest->next = NULL;
    rb->bufs = rest;

    return tail;
}


static ngx_int_t
llmgw_request_scan(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_json_rc_e          rc;
    llmgw_request_fields_t  *f = &ctx->fields;

    llmgw_json_field_t  fields[] = {
        { "model", 5, &f->model },
        { "stream", 6, &f->stream },
        { "stream_options", 14, &f->stream_options },
        { "messages", 8, &f->messages },
        { "input", 5, &f->input },
        { "max_tokens", 10, &f->max_tokens },
        { "max_completion_tokens", 21, &f->max_completion_tokens },
        { "user", 4, &f->user },
        { "fallbacks", 9, &f->fallbacks },
        { "temperature", 11, &f->temperature },
        { "tools", 5, &f->tools },
        { "max_output_tokens", 17, &f->max_output_tokens },
        { "contents", 8, &f->contents },
        { "generationConfig", 16, &f->generation_config },
    };

    rc = llmgw_json_scan_object(ctx->body.data, ctx->body.len,
                                LLMGW_MAX_DEPTH, fields,
                                sizeof(fields) / sizeof(fields[0]),
                                &f->scan);

    switch (rc) {

    case LLMGW_JSON_OK:
        return NGX_OK;

    case LLMGW_JSON_ERR_NOT_OBJECT:
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "The request body must be a JSON object");

    case LLMGW_JSON_ERR_DEPTH:
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "The request body nests deeper than %d levels",
                          LLMGW_MAX_DEPTH);

    case LLMGW_JSON_ERR_DUPLICATE:
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "The request body has a duplicate field at "
                          "byte %uz", f->scan.err_off);

    default:
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "The request body is not valid JSON (at byte %uz)",
                          f->scan.err_off);
    }
}


static ngx_int_t
llmgw_request_validate(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_request_fields_t  *f = &ctx->fields;

    ctx->max_output = -1;

    if (ctx->client_format == LLMGW_FORMAT_GEMINI) {
        return llmgw_request_gemini(r, ctx);
    }

    if (f->model.type == LLMGW_JSON_NONE) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "missing_field",
                          "\"model\" is required");
    }

    if (llmgw_check_type(r, ctx, &f->model, "model",
                         LLMGW_T(LLMGW_JSON_STRING)) != NGX_OK
        || llmgw_check_type(r, ctx, &f->stream, "stream",
                            LLMGW_T(LLMGW_JSON_TRUE)
                            | LLMGW_T(LLMGW_JSON_FALSE)
                            | LLMGW_T(LLMGW_JSON_NULL)) != NGX_OK
        || llmgw_check_type(r, ctx, &f->stream_options, "stream_options",
                            LLMGW_T(LLMGW_JSON_OBJECT)
                            | LLMGW_T(LLMGW_JSON_NULL)) != NGX_OK
        || llmgw_check_count(r, ctx, &f->max_tokens, "max_tokens") != NGX_OK
        || llmgw_check_count(r, ctx, &f->max_completion_tokens,
                             "max_completion_tokens") != NGX_OK
        || llmgw_check_type(r, ctx, &f->user, "user",
                            LLMGW_T(LLMGW_JSON_STRING)
                            | LLMGW_T(LLMGW_JSON_NULL)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->stream = (f->stream.type == LLMGW_JSON_TRUE);

    if (ctx->endpoint == LLMGW_EP_EMBEDDINGS) {
        return llmgw_request_embeddings(r, ctx);
    }

    if (ctx->endpoint == LLMGW_EP_RESPONSES) {
        return llmgw_request_responses(r, ctx);
    }

    if (llmgw_request_max_output(ctx, &f->max_completion_tokens) != NGX_OK) {
        (void) llmgw_request_max_output(ctx, &f->max_tokens);
    }

    if (f->messages.type == LLMGW_JSON_NONE) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "missing_field",
                          "\"messages\" is required");
    }

    if (llmgw_check_type(r, ctx, &f->messages, "messages",
                         LLMGW_T(LLMGW_JSON_ARRAY)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (llmgw_json_array_empty(&f->messages)) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_field",
                          "\"messages\" must not be empty");
    }

    /* the first message stands for the rest: walking them all would cost
     * a second pass over the body, and the provider checks each anyway */

    if (llmgw_json_array_first(&f->messages) != '{') {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_field",
                          "each of \"messages\" must be an object");
    }

    if (ctx->client_format != LLMGW_FORMAT_OPENAI) {
        return NGX_OK;
    }

    if (f->stream_options.type == LLMGW_JSON_OBJECT && !ctx->stream) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_field",
                          "\"stream_options\" is only allowed when "
                          "\"stream\" is true");
    }

    return llmgw_request_include_usage(r, ctx);
}


static ngx_int_t
llmgw_request_embeddings(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_request_fields_t  *f = &ctx->fields;

    if (f->input.type == LLMGW_JSON_NONE) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "missing_field",
                          "\"input\" is required");
    }

    if (llmgw_check_type(r, ctx, &f->input, "input",
                         LLMGW_T(LLMGW_JSON_STRING)
                         | LLMGW_T(LLMGW_JSON_ARRAY)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (f->input.type == LLMGW_JSON_ARRAY
        && llmgw_json_array_empty(&f->input))
    {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_field",
                          "\"input\" must not be empty");
    }

    if (ctx->stream) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_field",
                          "Embeddings cannot be streamed");
    }

    return NGX_OK;
}


/* OpenAI's Responses API: "input" is a string or a list of items; the
 * rest is the translator's, or the provider's */

static ngx_int_t
llmgw_request_responses(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_request_fields_t  *f = &ctx->fields;

    if (llmgw_check_type(r, ctx, &f->input, "input",
                         LLMGW_T(LLMGW_JSON_STRING)
                         | LLMGW_T(LLMGW_JSON_ARRAY)) != NGX_OK
        || llmgw_check_count(r, ctx, &f->max_output_tokens,
                             "max_output_tokens") != NGX_OK)
    {
        return NGX_ERROR;
    }

    (void) llmgw_request_max_output(ctx, &f->max_output_tokens);

    return NGX_OK;
}


/*
 * Gemini's native API: the model and whether to stream are in the URL,
 * /v1beta/models/{model}:generateContent or :streamGenerateContent?alt=sse
 * (without alt=sse Google streams one JSON array, which nothing here
 * writes); the output cap in generationConfig.
 */

static ngx_int_t
llmgw_request_gemini(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_str_t                alt;
    llmgw_json_span_t        max;
    llmgw_json_scan_t        scan;
    llmgw_request_fields_t  *f = &ctx->fields;
    llmgw_json_field_t       fields[] = {
        { "maxOutputTokens", 15, &max },
    };

    if (r->uri.len > sizeof(":streamGenerateContent") - 1
        && ngx_strncmp(r->uri.data + r->uri.len
                       - (sizeof(":streamGenerateContent") - 1),
                       ":streamGenerateContent",
                       sizeof(":streamGenerateContent") - 1) == 0)
    {
        if (ngx_http_arg(r, (u_char *) "alt", 3, &alt) != NGX_OK
            || alt.len != 3 || ngx_strncmp(alt.data, "sse", 3) != 0)
        {
            return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                              "invalid_request_error", "invalid_field",
                              "streamGenerateContent is served as "
                              "server-sent events only: add ?alt=sse");
        }

        ctx->stream = 1;
    }

    if (ctx->endpoint == LLMGW_EP_GEMINI_COUNT) {
        return NGX_OK;
    }

    if (f->contents.type != LLMGW_JSON_ARRAY
        || llmgw_json_array_empty(&f->contents))
    {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "missing_field",
                          "\"contents\" must be a list of one or more "
                          "turns");
    }

    if (llmgw_check_type(r, ctx, &f->generation_config, "generationConfig",
                         LLMGW_T(LLMGW_JSON_OBJECT)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (f->generation_config.type != LLMGW_JSON_OBJECT) {
        return NGX_OK;
    }

    if (llmgw_json_scan_members(&f->generation_config, fields, 1, &scan)
        != LLMGW_JSON_OK)
    {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "\"generationConfig\" has a duplicate field");
    }

    if (llmgw_check_count(r, ctx, &max, "generationConfig.maxOutputTokens")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    (void) llmgw_request_max_output(ctx, &max);

    return NGX_OK;
}


static ngx_int_t
llmgw_request_max_output(llmgw_ctx_t *ctx, llmgw_json_span_t *v)
{
    int64_t  n;

    if (v->type != LLMGW_JSON_NUMBER || llmgw_json_uint(v, &n) != 0) {
        return NGX_DECLINED;
    }

    ctx->max_output = n;

    return NGX_OK;
}


static ngx_int_t
llmgw_request_include_usage(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_json_span_t   usage;
    llmgw_json_scan_t   scan;
    llmgw_json_field_t  fields[] = { { "include_usage", 13, &usage } };

    if (ctx->fields.stream_options.type != LLMGW_JSON_OBJECT) {
        return NGX_OK;
    }

    if (llmgw_json_scan_members(&ctx->fields.stream_options, fields, 1, &scan)
        != LLMGW_JSON_OK)
    {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "\"stream_options\" has a duplicate field");
    }

    ctx->include_usage = (usage.type == LLMGW_JSON_TRUE);

    return NGX_OK;
}


static ngx_int_t
llmgw_check_type(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_json_span_t *v, const char *name, unsigned types)
{
    if (v->type == LLMGW_JSON_NONE || (types & LLMGW_T(v->type))) {
        return NGX_OK;
    }

    return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "invalid_request_error",
                      "invalid_field", "\"%s\" has the wrong type", name);
}


static ngx_int_t
llmgw_check_count(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_json_span_t *v, const char *name)
{
    int64_t  n;

    if (v->type == LLMGW_JSON_NONE || v->type == LLMGW_JSON_NULL
        || (v->type == LLMGW_JSON_NUMBER && llmgw_json_uint(v, &n) == 0))
    {
        return NGX_OK;
    }

    return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "invalid_request_error",
                      "invalid_field", "\"%s\" must be a non-negative "
                      "integer", name);
}


/* The model name decoded, NUL-terminated for pattern matching. */

static ngx_int_t
llmgw_request_model(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char  *p;

    if (ctx->client_format == LLMGW_FORMAT_GEMINI) {
        return llmgw_request_url_model(r, ctx);
    }

    p = ngx_pnalloc(r->pool, ctx->fields.model.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->model.data = p;
    ctx->model.len = llmgw_json_string_decode(&ctx->fields.model, p);
    ctx->model.data[ctx->model.len] = '\0';

    return llmgw_model_check(r, ctx);
}


/* .../models/{model}:method, as nginx decoded the URI */

static ngx_int_t
llmgw_request_url_model(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char  *start, *colon, *p;

    colon = r->uri.data + r->uri.len;

    while (colon > r->uri.data && colon[-1] != ':') {
        colon--;
    }

    start = ngx_strlcasestrn(r->uri.data, colon, (u_char *) "/models/",
                             sizeof("/models/") - 2);
    if (start == NULL || colon == r->uri.data) {
        return llmgw_fail(r, ctx, NGX_HTTP_NOT_FOUND, "not_found_error",
                          "unknown_endpoint", "Unknown endpoint %V: "
                          "expected /v1beta/models/{model}:method", &r->uri);
    }

    start += sizeof("/models/") - 1;

    /* the last "/models/" before the method */
    while ((p = ngx_strlcasestrn(start, colon, (u_char *) "/models/",
                                 sizeof("/models/") - 2)))
    {
        start = p + sizeof("/models/") - 1;
    }

    if (start >= colon - 1) {
        ctx->model.len = 0;
        return llmgw_model_check(r, ctx);
    }

    ctx->model.len = colon - 1 - start;
    ctx->model.data = ngx_pnalloc(r->pool, ctx->model.len + 1);
    if (ctx->model.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->model.data, start, ctx->model.len);
    ctx->model.data[ctx->model.len] = '\0';

    return llmgw_model_check(r, ctx);
}


static ngx_int_t
llmgw_model_check(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char  *p, *last;

    if (ctx->model.len == 0 || ctx->model.len > LLMGW_MAX_MODEL_LEN) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_field",
                          "\"model\" must be 1 to %d bytes",
                          LLMGW_MAX_MODEL_LEN);
    }

    p = ctx->model.data;

    for (last = p + ctx->model.len; p < last; p++) {
        if (*p < 0x21 || *p == 0x7f) {
            return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                              "invalid_request_error", "invalid_field",
                              "\"model\" must not contain spaces or "
                              "control characters");
        }
    }

    return NGX_OK;
}


/* After routing: the body and headers the provider gets. */

ngx_int_t
llmgw_request_rewrite(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_int_t                     rc;
    llmgw_splices_t               sp;
    const llmgw_provider_kind_t  *kind;

    kind = ctx->provider->kind;
    ctx->pformat = kind->format;

    if (ctx->client_format == LLMGW_FORMAT_RESPONSES && kind->responses) {
        ctx->pformat = &llmgw_format_responses;
    }

    if (kind->prepare) {
        rc = kind->prepare(r, ctx);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (ctx->pformat->format != ctx->client_format) {
        ctx->translate = 1;
    }

    if (ctx->translate) {
        if (llmgw_translate_request(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        sp.n = 0;

        llmgw_splice_drop(ctx, &sp, &ctx->fields.fallbacks);

        if (llmgw_splice_model(r, ctx, &sp) != NGX_OK
            || llmgw_splice_usage(r, ctx, &sp) != NGX_OK
            || llmgw_splice_max_tokens(r, ctx, &sp) != NGX_OK
            || llmgw_splice_apply(r, ctx, &sp) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (llmgw_request_headers(r, ctx) != NGX_OK
        || kind->build(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a member removed: its name, value and one comma beside it */

static void
llmgw_splice_drop(llmgw_ctx_t *ctx, llmgw_splices_t *sp,
    llmgw_json_span_t *v)
{
    size_t   start, end;
    u_char  *b;

    if (v->type == LLMGW_JSON_NONE) {
        return;
    }

    b = ctx->body.data;
    start = v->name_off;
    end = v->start + v->len - b;

    while (end < ctx->body.len
           && (b[end] == ' ' || b[end] == '\t' || b[end] == '\r'
               || b[end] == '\n'))
    {
        end++;
    }

    if (end < ctx->body.len && b[end] == ',') {
        end++;

    } else {
        /* the last member: the comma before it goes */
        while (start > 0 && b[start - 1] != ',' && b[start - 1] != '{') {
            start--;
        }

        if (start > 0 && b[start - 1] == ',') {
            start--;
        }
    }

    llmgw_splice_add(sp, start, end - start, "", 0);
}


/* Anthropic requires max_tokens: the provider's default when the client
 * gave none */

static ngx_int_t
llmgw_splice_max_tokens(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_splices_t *sp)
{
    u_char  *p, *last;
    size_t   name;

    if (ctx->pformat->format != LLMGW_FORMAT_ANTHROPIC
        || ctx->fields.max_tokens.type == LLMGW_JSON_NUMBER)
    {
        return NGX_OK;
    }

    name = sizeof(",\"max_tokens\":") - 1;

    p = ngx_pnalloc(r->pool, name + NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, ",\"max_tokens\":%L",
                       ctx->provider->default_max_tokens);

    if (ctx->fields.max_tokens.type == LLMGW_JSON_NULL) {
        /* the number alone, in place of the null */
        llmgw_splice_add(sp, ctx->fields.max_tokens.start - ctx->body.data,
                         ctx->fields.max_tokens.len, (char *) p + name,
                         last - p - name);
        return NGX_OK;
    }

    llmgw_splice_add(sp, ctx->fields.scan.close_off, 0, (char *) p, last - p);

    return NGX_OK;
}


static ngx_int_t
llmgw_splice_model(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_splices_t *sp)
{
    u_char             *p;
    size_t              len;
    ngx_str_t          *m;
    llmgw_json_span_t  *v;

    m = &ctx->upstream_model;
    v = &ctx->fields.model;

    if (v->type != LLMGW_JSON_STRING) {
        /* Gemini's: the model is in the URL */
        return NGX_OK;
    }

    if (m->len == ctx->model.len
        && ngx_strncmp(m->data, ctx->model.data, m->len) == 0)
    {
        return NGX_OK;
    }

    len = llmgw_json_escape_len(m->data, m->len) + 2;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p[0] = '"';
    llmgw_json_escape(p + 1, m->data, m->len);
    p[len - 1] = '"';

    llmgw_splice_add(sp, v->start - ctx->body.data, v->len, (char *) p, len);

    return NGX_OK;
}


/*
 * A stream's usage comes in a last chunk only when stream_options asks for
 * it.  When the client did not, ask on its behalf, and the filters drop
 * that chunk again.
 */

static ngx_int_t
llmgw_splice_usage(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_splices_t *sp)
{
    size_t              off;
    llmgw_json_span_t  *so, usage;
    llmgw_json_scan_t   scan;
    llmgw_json_field_t  fields[] = { { "include_usage", 13, &usage } };

    static const char   member[] = ",\"stream_options\":{\"include_usage\":true}";
    static const char   object[] = "{\"include_usage\":true}";
    static const char   first[] = "\"include_usage\":true,";

    if (!ctx->stream || ctx->endpoint != LLMGW_EP_CHAT
        || !ctx->provider->kind->stream_usage_option)
    {
        return NGX_OK;
    }

    so = &ctx->fields.stream_options;

    if (so->type == LLMGW_JSON_NONE) {
        llmgw_splice_add(sp, ctx->fields.scan.close_off, 0, member,
                         sizeof(member) - 1);
        ctx->drop_usage_chunk = 1;
        return NGX_OK;
    }

    off = so->start - ctx->body.data;

    if (so->type == LLMGW_JSON_NULL) {
        llmgw_splice_add(sp, off, so->len, object, sizeof(object) - 1);
        ctx->drop_usage_chunk = 1;
        return NGX_OK;
    }

    if (llmgw_json_scan_members(so, fields, 1, &scan) != LLMGW_JSON_OK) {
        return llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                          "invalid_request_error", "invalid_json",
                          "\"stream_options\" has a duplicate field");
    }

    if (usage.type == LLMGW_JSON_TRUE) {
        return NGX_OK;
    }

    if (usage.type == LLMGW_JSON_NONE) {
        if (scan.members == 0) {
            llmgw_splice_add(sp, off, so->len, object, sizeof(object) - 1);

        } else {
            llmgw_splice_add(sp, off + 1, 0, first, sizeof(first) - 1);
        }

    } else {
        llmgw_splice_add(sp, usage.start - ctx->body.data, usage.len,
                         "true", 4);
    }

    ctx->drop_usage_chunk = 1;

    return NGX_OK;
}


static void
llmgw_splice_add(llmgw_splices_t *sp, size_t off, size_t len,
    const char *text, size_t text_len)
{
    ngx_uint_t       i;
    llmgw_splice_t  *s;

    /* keep them in body order: at most a few */

    for (i = sp->n; i > 0 && sp->s[i - 1].off > off; i--) {
        sp->s[i] = sp->s[i - 1];
    }

    s = &sp->s[i];
    s->off = off;
    s->len = len;
    s->text.data = (u_char *) text;
    s->text.len = text_len;

    sp->n++;
}


/*
 * The new body is a chain of pieces of the original buffer and the edits.
 * Each buf starts where its data starts: nginx rewinds request bufs to
 * b->start when it retries another upstream peer.
 */

static ngx_int_t
llmgw_splice_apply(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_splices_t *sp)
{
    off_t          total;
    size_t         pos;
    ngx_uint_t     i;
    ngx_buf_t     *b;
    ngx_chain_t   *out, **ll, *cl;
    u_char        *piece[2 * LLMGW_MAX_SPLICES + 1];
    size_t         plen[2 * LLMGW_MAX_SPLICES + 1];
    ngx_uint_t     n;

    n = 0;
    pos = 0;

    for (i = 0; i < sp->n; i++) {
        piece[n] = ctx->body.data + pos;
        plen[n++] = sp->s[i].off - pos;
        piece[n] = sp->s[i].text.data;
        plen[n++] = sp->s[i].text.len;
        pos = sp->s[i].off + sp->s[i].len;
    }

    piece[n] = ctx->body.data + pos;
    plen[n++] = ctx->body.len - pos;

    out = NULL;
    ll = &out;
    total = 0;
    b = NULL;

    for (i = 0; i < n; i++) {
        if (plen[i] == 0) {
            continue;
        }

        b = ngx_calloc_buf(r->pool);
        cl = ngx_alloc_chain_link(r->pool);
        if (b == NULL || cl == NULL) {
            return NGX_ERROR;
        }

        b->start = b->pos = piece[i];
        b->end = b->last = piece[i] + plen[i];
        b->memory = 1;

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;
        total += plen[i];
    }

    *ll = NULL;

    if (b) {
        b->last_buf = 1;
    }

    r->request_body->bufs = out;
    r->request_body->buf = NULL;
    r->headers_in.content_length_n = total;

    return NGX_OK;
}


static ngx_int_t
llmgw_request_headers(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_uint_t        i, n;
    ngx_list_t        headers;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *nh;

    /* the client's credentials stay here, and nothing comes back gzipped
     * for the filters to read */
    static ngx_str_t  drop[] = {
        ngx_string("authorization"),
        ngx_string("proxy-authorization"),
        ngx_string("x-api-key"),
        ngx_string("x-goog-api-key"),
        ngx_string("x-llmgw-key"),
        ngx_string("api-key"),
        ngx_string("accept-encoding"),
        ngx_string("anthropic-version"),
        ngx_string("anthropic-beta"),
        ngx_string("traceparent"),
        ngx_string("tracestate"),
        ngx_null_string
    };

    ngx_str_t  *d;

    if (ctx->client_headers) {
        /* a fallback: the client's headers again, without the last
         * provider's, which were pushed after them */
        ctx->client_headers->nelts = ctx->client_headers_nelts;
        ctx->client_headers->next = NULL;
        r->headers_in.headers.last = ctx->client_headers;
        return NGX_OK;
    }

    /* room for the client's and the few a provider adds */
    n = 4;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        n += part->nelts;
    }

    if (ngx_list_init(&headers, r->pool, n, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        for (d = drop; d->len; d++) {
            if (h[i].key.len == d->len
                && h[i].lowcase_key[0] == d->data[0]
                && ngx_memcmp(h[i].lowcase_key, d->data, d->len) == 0)
            {
                break;
            }
        }

        if (d->len) {
            /* the client's Anthropic headers: for Anthropic only */
            if (d == &drop[7]) {
                ctx->anthropic_version = h[i].value;

            } else if (d == &drop[8]) {
                ctx->anthropic_beta = h[i].value;
            }

            continue;
        }

        nh = ngx_list_push(&headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = h[i];
    }

    r->headers_in.headers = headers;

    if (headers.last == &headers.part) {
        r->headers_in.headers.last = &r->headers_in.headers.part;
    }

    r->headers_in.authorization = NULL;

    if (llmgw_trace_headers(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    /* where the client's end: a fallback cuts the list back to here */
    ctx->client_headers = r->headers_in.headers.last;
    ctx->client_headers_nelts = ctx->client_headers->nelts;

    return NGX_OK;
}


ngx_int_t
llmgw_request_set_header(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key = *name;
    h->value = *value;

    h->lowcase_key = ngx_pnalloc(r->pool, name->len);
    if (h->lowcase_key == NULL) {
        return NGX_ERROR;
    }

    h->hash = ngx_hash_strlow(h->lowcase_key, name->data, name->len);

#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}
