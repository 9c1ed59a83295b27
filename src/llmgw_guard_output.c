/*
 * llmgw: output guardrails, on what the client receives, in its format,
 * after any translation.
 *
 * A whole JSON answer is held until complete (its header with it), then
 * every string value is checked.  A stream is split into its events
 * again; each text delta (OpenAI's content, refusal, reasoning and tool
 * call arguments per choice; Anthropic's text, partial JSON and thinking
 * per content block) feeds a guard stream of its own that holds back the
 * tail that could still become a match, so a secret split across events
 * or buffers is still caught.  An event goes out with the released text,
 * none is dropped; what a channel still holds goes out in an event of its
 * own before the one that ends it.  Other strings of an event are checked
 * whole.  A block ends the stream with an error event.
 */


#include "llmgw.h"


#define LLMGW_GUARD_CHANNELS   16
#define LLMGW_GUARD_HOLD       8192
#define LLMGW_GUARD_MAX_EVENT  (4 * 1024 * 1024)
#define LLMGW_GUARD_REFS       16


typedef struct {
    ngx_int_t               a;         /* choice or content block */
    ngx_int_t               b;         /* which text of it */
    llmgw_guard_stream_t   *s;
    u_char                  carry[4];  /* a character not yet whole */
    size_t                  ncarry;
} llmgw_guard_channel_t;


typedef struct {
    json_t                 *str;
    ngx_int_t               a;
    ngx_int_t               b;
} llmgw_guard_ref_t;


typedef struct {
    llmgw_sse_t             sse;
    llmgw_guard_side_t     *side;
    llmgw_guard_channel_t   ch[LLMGW_GUARD_CHANNELS];
    json_t                 *last;      /* OpenAI: the last chunk */
    llmgw_guard_ref_t       refs[LLMGW_GUARD_REFS];
    ngx_uint_t              nrefs;
} llmgw_guard_out_t;


/* a channel's b: OpenAI's texts of a choice are -1 - their index here,
 * its tool calls their own index; Anthropic's, their index here */

static const char  *llmgw_openai_texts[] = {
    "content", "refusal", "reasoning_content"
};

static const char  *llmgw_anthropic_texts[] = {
    "text", "partial_json", "thinking"
};

static const char  *llmgw_anthropic_deltas[] = {
    "text_delta", "input_json_delta", "thinking_delta"
};


static int llmgw_guard_event(void *data, const u_char *raw, size_t len);
static ngx_int_t llmgw_guard_event_json(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_guard_out_t *go, llmgw_sse_fields_t *f,
    json_t *root, const u_char *raw, size_t len);
static void llmgw_guard_refs_openai(llmgw_guard_out_t *go, json_t *root,
    ngx_int_t *finished);
static void llmgw_guard_refs_anthropic(llmgw_guard_out_t *go, json_t *root,
    ngx_int_t *finished);
static void llmgw_guard_ref(llmgw_guard_out_t *go, json_t *str, ngx_int_t a,
    ngx_int_t b);
static ngx_int_t llmgw_guard_strings(ngx_http_request_t *r,
    llmgw_guard_out_t *go, json_t *v, uint64_t *fired, ngx_uint_t *changed);
static ngx_int_t llmgw_guard_feed(ngx_http_request_t *r,
    llmgw_guard_out_t *go, llmgw_guard_ref_t *ref, ngx_int_t finished,
    uint64_t *fired, ngx_uint_t *changed);
static llmgw_guard_channel_t *llmgw_guard_channel(ngx_http_request_t *r,
    llmgw_guard_out_t *go, ngx_int_t a, ngx_int_t b);
static ngx_int_t llmgw_guard_flush(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_out_t *go, ngx_int_t a, uint64_t *fired);
static ngx_int_t llmgw_guard_set(ngx_http_request_t *r,
    llmgw_guard_channel_t *ch, json_t *str, const u_char *text, size_t len);
static size_t llmgw_guard_utf8_tail(const u_char *p, size_t len);
static ngx_int_t llmgw_guard_flush_event(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, llmgw_guard_out_t *go, llmgw_guard_channel_t *ch,
    const u_char *text, size_t len);
static ngx_int_t llmgw_guard_put_json(ngx_http_request_t *r,
    llmgw_ctx_t *ctx, const u_char *event, size_t event_len, json_t *root);
static ngx_int_t llmgw_guard_fired(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    uint64_t fired);
static ngx_int_t llmgw_guard_block_event(ngx_http_request_t *r,
    llmgw_ctx_t *ctx);
static void llmgw_guard_block_error(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static void *llmgw_guard_sse_alloc(void *data, size_t size);
static void llmgw_guard_out_cleanup(void *data);
static void llmgw_guard_xbody_cleanup(void *data);


/* in the header filter, once the answer's form is known: NGX_DONE when a
 * whole JSON answer is held, with its header, until it is complete */

ngx_int_t
llmgw_guard_output_header(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    llmgw_guard_out_t   *go;
    ngx_pool_cleanup_t  *cln;

    if (ctx->guard == NULL || ctx->guard->output.guard == NULL) {
        return NGX_OK;
    }

    if (ctx->resp_mode == LLMGW_RESP_XJSON) {
        /* translation holds it already */
        return NGX_OK;
    }

    if (ctx->resp_mode == LLMGW_RESP_JSON) {
        ctx->xbody = ngx_pcalloc(r->pool, sizeof(llmgw_out_t));
        cln = ngx_pool_cleanup_add(r->pool, 0);

        if (ctx->xbody == NULL || cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = llmgw_guard_xbody_cleanup;
        cln->data = ctx->xbody;

        ctx->resp_mode = LLMGW_RESP_XJSON;
        r->filter_need_in_memory = 1;

        return NGX_DONE;
    }

    if (ctx->resp_mode == LLMGW_RESP_NONE || ctx->resp_mode == LLMGW_RESP_ERROR)
    {
        return NGX_OK;
    }

    go = ngx_pcalloc(r->pool, sizeof(llmgw_guard_out_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (go == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = llmgw_guard_out_cleanup;
    cln->data = go;

    go->side = &ctx->guard->output;
    go->sse.alloc = llmgw_guard_sse_alloc;
    go->sse.alloc_data = r->pool;
    go->sse.event = llmgw_guard_event;
    go->sse.event_data = r;
    go->sse.max_event = LLMGW_GUARD_MAX_EVENT;
    llmgw_sse_init(&go->sse);

    ctx->guard_stream = go;

    return NGX_OK;
}


/* a whole answer in the client's format: the same, redacted, or the
 * refusal that replaces it */

ngx_buf_t *
llmgw_guard_output_whole(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    ngx_buf_t *b)
{
    int                  rc;
    u_char              *out;
    size_t               len;
    ngx_buf_t           *nb;
    llmgw_guard_side_t  *side;

    side = &ctx->guard->output;
    out = NULL;
    len = 0;

    rc = llmgw_guard_json(side->guard, b->pos, b->last - b->pos,
                          side->action == LLMGW_GUARD_REDACT,
                          llmgw_guard_alloc, r->pool, &out, &len,
                          &ctx->guard_out);

    if (rc < 0 && side->action == LLMGW_GUARD_REDACT) {
        /* not JSON: checked as text */
        rc = llmgw_guard_redact(side->guard, b->pos, b->last - b->pos,
                                llmgw_guard_alloc, r->pool, &out, &len,
                                &ctx->guard_out);

    } else if (rc < 0) {
        rc = llmgw_guard_scan(side->guard, b->pos, b->last - b->pos,
                              &ctx->guard_out) < 0 ? -1 : 0;
    }

    if (rc < 0) {
        return NULL;
    }

    if (ctx->guard_out == 0) {
        return b;
    }

    if (llmgw_guard_fired(r, ctx, ctx->guard_out) != NGX_OK) {
        llmgw_guard_block_error(r, ctx);
        r->headers_out.status = NGX_HTTP_BAD_REQUEST;
        return llmgw_error_body(r, ctx);
    }

    if (rc == 0) {
        return b;
    }

    nb = ngx_calloc_buf(r->pool);
    if (nb == NULL) {
        return NULL;
    }

    nb->pos = nb->start = out;
    nb->last = nb->end = out + len;
    nb->memory = 1;

    return nb;
}


/* bytes of the client's stream, events split anywhere */

ngx_int_t
llmgw_guard_output_stream(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *p, size_t len)
{
    llmgw_guard_out_t  *go = ctx->guard_stream;

    switch (llmgw_sse_feed(&go->sse, p, len)) {

    case LLMGW_SSE_OK:
        return NGX_OK;

    case LLMGW_SSE_TOO_LONG:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llmgw: guardrail \"%V\": a stream event is too long "
                      "to check", &ctx->guard->name);

        if (!ctx->guard_blocked) {
            return llmgw_guard_block_event(r, ctx);
        }

        return NGX_OK;

    default:
        return NGX_ERROR;
    }
}


/* the stream's end: an event never ended, and what the channels hold */

ngx_int_t
llmgw_guard_output_end(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    size_t              n;
    uint64_t            fired;
    const u_char       *held;
    llmgw_guard_out_t  *go = ctx->guard_stream;

    n = llmgw_sse_pending(&go->sse, &held);

    if (n && llmgw_guard_event(r, held, n) != 0) {
        return NGX_ERROR;
    }

    llmgw_sse_init(&go->sse);

    if (ctx->guard_blocked) {
        return NGX_OK;
    }

    fired = 0;

    if (llmgw_guard_flush(r, ctx, go, -1, &fired) != NGX_OK) {
        return NGX_ERROR;
    }

    if (fired && llmgw_guard_fired(r, ctx, fired) != NGX_OK) {
        return llmgw_guard_block_event(r, ctx);
    }

    return NGX_OK;
}


static int
llmgw_guard_event(void *data, const u_char *raw, size_t len)
{
    ngx_http_request_t *r = data;

    int                  rc;
    u_char              *buf, *out;
    size_t               out_len;
    json_t              *root;
    uint64_t             fired;
    llmgw_ctx_t         *ctx;
    llmgw_guard_out_t   *go;
    llmgw_sse_fields_t   f;

    ctx = llmgw_ctx_get(r);
    go = ctx->guard_stream;

    if (ctx->guard_blocked) {
        return 0;
    }

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        return 1;
    }

    llmgw_sse_parse_fields(raw, len, buf, &f);

    root = (f.data && f.data_len && f.data[0] == '{')
           ? json_loadb((char *) f.data, f.data_len, 0, NULL) : NULL;

    if (root) {
        rc = llmgw_guard_event_json(r, ctx, go, &f, root, raw, len)
             == NGX_OK ? 0 : 1;
        json_decref(root);
        return rc;
    }

    /* "[DONE]", comments, or text that is not JSON: checked whole, after
     * what the channels hold */

    fired = 0;

    if (f.data && llmgw_guard_flush(r, ctx, go, -1, &fired) != NGX_OK) {
        return 1;
    }

    rc = llmgw_guard_redact(go->side->guard, raw, len, llmgw_guard_alloc,
                            r->pool, &out, &out_len, &fired);
    if (rc < 0) {
        return 1;
    }

    if (fired && llmgw_guard_fired(r, ctx, fired) != NGX_OK) {
        return llmgw_guard_block_event(r, ctx) == NGX_OK ? 0 : 1;
    }

    if (rc == 1 && go->side->action == LLMGW_GUARD_REDACT) {
        raw = out;
        len = out_len;
    }

    return llmgw_sse_put(r, ctx, raw, len) == NGX_OK ? 0 : 1;
}


static ngx_int_t
llmgw_guard_event_json(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_out_t *go, llmgw_sse_fields_t *f, json_t *root,
    const u_char *raw, size_t len)
{
    uint64_t     fired;
    ngx_int_t    finished;
    ngx_uint_t   i, changed;

    go->nrefs = 0;
    finished = -2;      /* -2: no channel ends here; -1: all of them */

    if (ctx->client_format == LLMGW_FORMAT_ANTHROPIC) {
        llmgw_guard_refs_anthropic(go, root, &finished);

    } else {
        llmgw_guard_refs_openai(go, root, &finished);
    }

    fired = 0;
    changed = 0;

    if (llmgw_guard_strings(r, go, root, &fired, &changed) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < go->nrefs; i++) {
        if (llmgw_guard_feed(r, go, &go->refs[i], finished, &fired,
                             &changed)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* what the channels that end here hold and this event does not carry
     * goes out first */

    if (finished != -2
        && llmgw_guard_flush(r, ctx, go, finished, &fired) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (fired && llmgw_guard_fired(r, ctx, fired) != NGX_OK) {
        return llmgw_guard_block_event(r, ctx);
    }

    if (!changed) {
        return llmgw_sse_put(r, ctx, raw, len);
    }

    return llmgw_guard_put_json(r, ctx, f->event, f->event_len, root);
}


static void
llmgw_guard_refs_openai(llmgw_guard_out_t *go, json_t *root,
    ngx_int_t *finished)
{
    size_t      i, j, k;
    json_t     *choices, *choice, *delta, *v, *tc;
    ngx_int_t   a, t;

    choices = json_object_get(root, "choices");

    json_array_foreach(choices, i, choice) {
        v = json_object_get(choice, "index");
        a = json_is_integer(v) && json_integer_value(v) >= 0
            ? (ngx_int_t) json_integer_value(v) : (ngx_int_t) i;

        delta = json_object_get(choice, "delta");

        for (k = 0; k < 3; k++) {
            v = json_object_get(delta, llmgw_openai_texts[k]);

            if (json_is_string(v)) {
                llmgw_guard_ref(go, v, a, -1 - (ngx_int_t) k);
            }
        }

        json_array_foreach(json_object_get(delta, "tool_calls"), j, tc) {
            v = json_object_get(tc, "index");
            t = json_is_integer(v) && json_integer_value(v) >= 0
                ? (ngx_int_t) json_integer_value(v) : (ngx_int_t) j;

            v = json_object_get(json_object_get(tc, "function"), "arguments");

            if (json_is_string(v)) {
                llmgw_guard_ref(go, v, a, t);
            }
        }

        v = json_object_get(choice, "finish_reason");

        if (v && !json_is_null(v)) {
            *finished = (*finished == -2) ? a : -1;
        }
    }

    if (json_is_array(choices)) {
        json_decref(go->last);
        go->last = json_incref(root);
    }
}


static void
llmgw_guard_refs_anthropic(llmgw_guard_out_t *go, json_t *root,
    ngx_int_t *finished)
{
    size_t       k;
    json_t      *v, *delta;
    ngx_int_t    a;
    const char  *type;

    v = json_object_get(root, "type");
    type = json_is_string(v) ? json_string_value(v) : "";

    v = json_object_get(root, "index");
    a = json_is_integer(v) && json_integer_value(v) >= 0
        ? (ngx_int_t) json_integer_value(v) : 0;

    if (ngx_strcmp(type, "content_block_delta") == 0) {
        delta = json_object_get(root, "delta");

        for (k = 0; k < 3; k++) {
            v = json_object_get(delta, llmgw_anthropic_texts[k]);

            if (json_is_string(v)) {
                llmgw_guard_ref(go, v, a, (ngx_int_t) k);
            }
        }

    } else if (ngx_strcmp(type, "content_block_stop") == 0) {
        *finished = a;

    } else if (ngx_strcmp(type, "message_delta") == 0
               || ngx_strcmp(type, "message_stop") == 0)
    {
        *finished = -1;
    }
}


static void
llmgw_guard_ref(llmgw_guard_out_t *go, json_t *str, ngx_int_t a, ngx_int_t b)
{
    if (go->nrefs == LLMGW_GUARD_REFS) {
        /* checked whole, as other strings are */
        return;
    }

    go->refs[go->nrefs].str = str;
    go->refs[go->nrefs].a = a;
    go->refs[go->nrefs].b = b;
    go->nrefs++;
}


/* every string of an event but the channels' texts, checked whole */

static ngx_int_t
llmgw_guard_strings(ngx_http_request_t *r, llmgw_guard_out_t *go, json_t *v,
    uint64_t *fired, ngx_uint_t *changed)
{
    int          rc;
    u_char      *out;
    size_t       i, len;
    json_t      *e;
    const char  *key;

    switch (json_typeof(v)) {

    case JSON_OBJECT:
        json_object_foreach(v, key, e) {
            if (llmgw_guard_strings(r, go, e, fired, changed) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        return NGX_OK;

    case JSON_ARRAY:
        json_array_foreach(v, i, e) {
            if (llmgw_guard_strings(r, go, e, fired, changed) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        return NGX_OK;

    case JSON_STRING:
        break;

    default:
        return NGX_OK;
    }

    for (i = 0; i < go->nrefs; i++) {
        if (go->refs[i].str == v) {
            return NGX_OK;
        }
    }

    if (go->side->action != LLMGW_GUARD_REDACT) {
        return llmgw_guard_scan(go->side->guard,
                                (u_char *) json_string_value(v),
                                json_string_length(v), fired) < 0
               ? NGX_ERROR : NGX_OK;
    }

    rc = llmgw_guard_redact(go->side->guard, (u_char *) json_string_value(v),
                            json_string_length(v), llmgw_guard_alloc,
                            r->pool, &out, &len, fired);

    if (rc == 1) {
        *changed = 1;
        return json_string_setn(v, (char *) out, len) == 0 ? NGX_OK
                                                           : NGX_ERROR;
    }

    return rc < 0 ? NGX_ERROR : NGX_OK;
}


/* a channel's text in this event: what its guard releases takes its
 * place; where the channel ends here, all it holds */

static ngx_int_t
llmgw_guard_feed(ngx_http_request_t *r, llmgw_guard_out_t *go,
    llmgw_guard_ref_t *ref, ngx_int_t finished, uint64_t *fired,
    ngx_uint_t *changed)
{
    u_char                 *text;
    size_t                  len, tail_len;
    const u_char           *out, *tail;
    llmgw_guard_channel_t  *ch;

    ch = llmgw_guard_channel(r, go, ref->a, ref->b);
    if (ch == NULL) {
        return NGX_ERROR;
    }

    if (llmgw_guard_stream_feed(ch->s, (u_char *) json_string_value(ref->str),
                                json_string_length(ref->str), &out, &len)
        != 0)
    {
        return NGX_ERROR;
    }

    tail_len = 0;
    tail = NULL;

    if (finished == -1 || finished == ref->a) {
        /* out is valid only until the next call */
        text = ngx_pnalloc(r->pool, len);
        if (text == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(text, out, len);
        out = text;

        if (llmgw_guard_stream_end(ch->s, &tail, &tail_len) != 0) {
            return NGX_ERROR;
        }
    }

    *fired |= llmgw_guard_stream_fired(ch->s);

    if (tail) {
        ch->s = NULL;
    }

    if (go->side->action == LLMGW_GUARD_LOG) {
        return NGX_OK;
    }

    *changed = 1;

    if (tail_len) {
        text = ngx_pnalloc(r->pool, len + tail_len);
        if (text == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(text, out, len);
        ngx_memcpy(text + len, tail, tail_len);
        out = text;
        len += tail_len;
    }

    return llmgw_guard_set(r, ch, ref->str, out, len);
}


/* a released text into a JSON string: a character cut at its end waits
 * for the rest of it */

static ngx_int_t
llmgw_guard_set(ngx_http_request_t *r, llmgw_guard_channel_t *ch,
    json_t *str, const u_char *text, size_t len)
{
    u_char  *p;
    size_t   n, keep;

    n = ch->ncarry + len;

    p = ngx_pnalloc(r->pool, n + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, ch->carry, ch->ncarry);
    ngx_memcpy(p + ch->ncarry, text, len);

    keep = (ch->s != NULL) ? llmgw_guard_utf8_tail(p, n) : 0;

    ngx_memcpy(ch->carry, p + n - keep, keep);
    ch->ncarry = keep;
    n -= keep;

    if (json_string_setn(str, (char *) p, n) == 0) {
        return NGX_OK;
    }

    /* not UTF-8 even whole: as the client would have had it, replaced */
    return json_string_set(str, "\xef\xbf\xbd") == 0 ? NGX_OK : NGX_ERROR;
}


/* bytes at the end that begin a UTF-8 character not yet whole */

static size_t
llmgw_guard_utf8_tail(const u_char *p, size_t len)
{
    size_t  i, need;

    for (i = 1; i <= 3 && i <= len; i++) {
        if ((p[len - i] & 0xc0) != 0x80) {
            need = (p[len - i] & 0xe0) == 0xc0 ? 2
                   : (p[len - i] & 0xf0) == 0xe0 ? 3
                   : (p[len - i] & 0xf8) == 0xf0 ? 4 : 1;

            return need > i ? i : 0;
        }
    }

    return 0;
}


static llmgw_guard_channel_t *
llmgw_guard_channel(ngx_http_request_t *r, llmgw_guard_out_t *go,
    ngx_int_t a, ngx_int_t b)
{
    ngx_uint_t              i;
    llmgw_guard_channel_t  *ch, *free;

    free = NULL;

    for (i = 0; i < LLMGW_GUARD_CHANNELS; i++) {
        ch = &go->ch[i];

        if (ch->s && ch->a == a && ch->b == b) {
            return ch;
        }

        if (ch->s == NULL && free == NULL) {
            free = ch;
        }
    }

    if (free == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "llmgw: guardrail: more than %d texts at once in a "
                      "stream", LLMGW_GUARD_CHANNELS);
        return NULL;
    }

    free->a = a;
    free->b = b;
    free->ncarry = 0;
    free->s = llmgw_guard_stream_create(go->side->guard, llmgw_guard_alloc,
                                        r->pool, LLMGW_GUARD_HOLD);

    return free->s ? free : NULL;
}


/* what the channels of a choice or block (a == -1: all) still hold, each
 * in an event of its own */

static ngx_int_t
llmgw_guard_flush(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_out_t *go, ngx_int_t a, uint64_t *fired)
{
    size_t                  len;
    uint64_t                f;
    ngx_uint_t              i;
    const u_char           *out;
    llmgw_guard_channel_t  *ch;

    for (i = 0; i < LLMGW_GUARD_CHANNELS; i++) {
        ch = &go->ch[i];

        if (ch->s == NULL || (a != -1 && ch->a != a)) {
            continue;
        }

        if (llmgw_guard_stream_end(ch->s, &out, &len) != 0) {
            return NGX_ERROR;
        }

        f = llmgw_guard_stream_fired(ch->s);
        *fired |= f;
        ch->s = NULL;

        if ((len == 0 && ch->ncarry == 0)
            || go->side->action == LLMGW_GUARD_LOG
            || (f && go->side->action == LLMGW_GUARD_BLOCK))
        {
            continue;
        }

        if (llmgw_guard_flush_event(r, ctx, go, ch, out, len) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
llmgw_guard_flush_event(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_guard_out_t *go, llmgw_guard_channel_t *ch, const u_char *text,
    size_t len)
{
    size_t       i;
    json_t      *root, *delta, *str, *v, *choice, *tc;
    ngx_int_t    rc;
    const char  *copy[] = { "id", "object", "created", "model",
                            "system_fingerprint" };

    root = json_object();
    delta = json_object();
    str = json_string("");

    if (root == NULL || delta == NULL || str == NULL
        || llmgw_guard_set(r, ch, str, text, len) != NGX_OK)
    {
        json_decref(root);
        json_decref(delta);
        json_decref(str);
        return NGX_ERROR;
    }

    if (ctx->client_format == LLMGW_FORMAT_ANTHROPIC) {
        json_object_set_new(root, "type", json_string("content_block_delta"));
        json_object_set_new(root, "index", json_integer(ch->a));
        json_object_set_new(delta, "type",
                            json_string(llmgw_anthropic_deltas[ch->b]));
        json_object_set_new(delta, llmgw_anthropic_texts[ch->b], str);
        json_object_set_new(root, "delta", delta);

        rc = llmgw_guard_put_json(r, ctx, (u_char *) "content_block_delta",
                                  sizeof("content_block_delta") - 1, root);
        json_decref(root);
        return rc;
    }

    for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        v = json_object_get(go->last, copy[i]);

        if (v) {
            json_object_set(root, copy[i], v);
        }
    }

    if (ch->b >= 0) {
        tc = json_object();
        json_object_set_new(tc, "index", json_integer(ch->b));
        json_object_set_new(tc, "function", json_object());
        json_object_set_new(json_object_get(tc, "function"), "arguments", str);
        json_object_set_new(delta, "tool_calls", json_array());
        json_array_append_new(json_object_get(delta, "tool_calls"), tc);

    } else {
        json_object_set_new(delta, llmgw_openai_texts[-1 - ch->b], str);
    }

    choice = json_object();
    json_object_set_new(choice, "index", json_integer(ch->a));
    json_object_set_new(choice, "delta", delta);
    json_object_set_new(choice, "finish_reason", json_null());
    json_object_set_new(root, "choices", json_array());
    json_array_append_new(json_object_get(root, "choices"), choice);

    rc = llmgw_guard_put_json(r, ctx, NULL, 0, root);
    json_decref(root);

    return rc;
}


static ngx_int_t
llmgw_guard_put_json(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    const u_char *event, size_t event_len, json_t *root)
{
    char       *dump;
    u_char     *buf, *p;
    size_t      n;
    ngx_int_t   rc;

    dump = json_dumps(root, JSON_COMPACT);
    if (dump == NULL) {
        return NGX_ERROR;
    }

    n = ngx_strlen(dump);

    buf = ngx_pnalloc(r->pool, sizeof("event: \ndata: \n\n") + event_len + n);
    if (buf == NULL) {
        free(dump);
        return NGX_ERROR;
    }

    p = buf;

    if (event) {
        p = ngx_sprintf(p, "event: %*s\n", event_len, event);
    }

    p = ngx_sprintf(p, "data: %*s\n\n", n, dump);
    free(dump);

    rc = llmgw_sse_put(r, ctx, buf, p - buf);

    return rc;
}


/* detectors fired: logged once each; NGX_DECLINED when the answer must be
 * blocked */

static ngx_int_t
llmgw_guard_fired(ngx_http_request_t *r, llmgw_ctx_t *ctx, uint64_t fired)
{
    u_char               names[256], *last;
    uint64_t             fresh;
    llmgw_guard_side_t  *side;

    side = &ctx->guard->output;
    fresh = fired & ~ctx->guard_out_logged;
    ctx->guard_out |= fired;
    ctx->guard_out_logged |= fired;

    if (fresh) {
        last = llmgw_guard_names(names, names + sizeof(names), side->guard,
                                 fresh, ", ");

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "llmgw: guardrail \"%V\" output: %*s (%s)",
                      &ctx->guard->name, last - names, names,
                      side->action == LLMGW_GUARD_BLOCK ? "blocked"
                      : side->action == LLMGW_GUARD_REDACT ? "redacted"
                      : "logged");
    }

    return side->action == LLMGW_GUARD_BLOCK ? NGX_DECLINED : NGX_OK;
}


static ngx_int_t
llmgw_guard_block_event(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    ngx_buf_t  *b;

    ctx->guard_blocked = 1;
    llmgw_guard_block_error(r, ctx);

    b = llmgw_error_event(r, ctx);
    if (b == NULL) {
        return NGX_ERROR;
    }

    return llmgw_sse_put(r, ctx, b->pos, b->last - b->pos);
}


static void
llmgw_guard_block_error(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char  names[256], *last;

    last = llmgw_guard_names(names, names + sizeof(names),
                             ctx->guard->output.guard, ctx->guard_out, ", ");

    (void) llmgw_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "guardrail_blocked",
                      "output_blocked", "The answer was blocked by guardrail "
                      "policy \"%V\": %*s detected in the output",
                      &ctx->guard->name, last - names, names);
}


static void *
llmgw_guard_sse_alloc(void *data, size_t size)
{
    return ngx_palloc(data, size);
}


static void
llmgw_guard_out_cleanup(void *data)
{
    llmgw_guard_out_t  *go = data;

    json_decref(go->last);
}


static void
llmgw_guard_xbody_cleanup(void *data)
{
    llmgw_out_free(data);
}
