/*
 * libFuzzer target: src/providers/llmgw_anthropic_xlate.c.
 *
 * (a) The input as an Anthropic SSE stream, through the splitter and an
 * xstream to an OpenAI client and to an Anthropic client, fed whole, cut
 * in two at a point the input picks and (when short) byte by byte: the
 * client's output must not depend on the cuts, must end in [DONE] or
 * message_stop or an error, and every Anthropic event written must be
 * "event: NAME\ndata: {JSON object of type NAME}\n\n".
 *
 * (b) The input as JSON through request_in, request_out, response_in,
 * response_out and error_in, and each output through the next stage; a
 * response that response_in reads, response_out must write.
 *
 * Everything is freed: the leak checker runs.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmgw_xlate.h"
#include "llmgw_sse.h"


#define CHECK(c)  do { if (!(c)) { __builtin_trap(); } } while (0)

#define ANT  (&llmgw_format_anthropic)
#define OAI  (&llmgw_format_openai)


typedef struct {
    void   **blocks;
    size_t   n;
} pool_t;


typedef struct {
    llmgw_xstream_t  s;
    llmgw_out_t      got;
} run_t;


static void *
pool_alloc(void *data, size_t size)
{
    void   **b;
    pool_t  *pool;

    pool = data;

    b = realloc(pool->blocks, (pool->n + 1) * sizeof(void *));
    if (b == NULL) {
        return NULL;
    }

    pool->blocks = b;
    pool->blocks[pool->n] = malloc(size);

    return pool->blocks[pool->n++];
}


static void
run_event(run_t *r, const unsigned char *raw, size_t len)
{
    unsigned char       *buf;
    llmgw_sse_fields_t   f;

    buf = malloc(len + 1);
    CHECK(buf != NULL);

    llmgw_sse_parse_fields(raw, len, buf, &f);

    if (f.data) {
        llmgw_xstream_event(&r->s, (const char *) f.event, f.event_len,
                            (const char *) f.data, f.data_len);
        llmgw_out_raw(&r->got, r->s.out.data, r->s.out.len);
        r->s.out.len = 0;
    }

    free(buf);
}


static int
on_event(void *data, const unsigned char *raw, size_t len)
{
    run_event(data, raw, len);
    return 0;
}


static void
run_stream(llmgw_out_t *got, const llmgw_format_t *client,
    const uint8_t *p, size_t n, size_t cut, int bytewise)
{
    size_t                i, len;
    run_t                 r;
    pool_t                pool;
    llmgw_sse_t           sse;
    uint8_t              *piece;
    llmgw_sse_rc_e        rc;
    const unsigned char  *raw;

    memset(&r, 0, sizeof(run_t));
    memset(&pool, 0, sizeof(pool_t));

    CHECK(llmgw_xstream_init(&r.s, ANT, client, "m", 1, 1) == 0);
    r.s.include_usage = 1;

    sse.alloc = pool_alloc;
    sse.alloc_data = &pool;
    sse.event = on_event;
    sse.event_data = &r;
    sse.max_event = 4096;
    llmgw_sse_init(&sse);

    rc = LLMGW_SSE_OK;

    for (i = 0; i < n && rc == LLMGW_SSE_OK; i += len) {
        len = bytewise ? 1 : (i < cut ? cut - i : n - i);

        piece = malloc(len);
        CHECK(piece != NULL);
        memcpy(piece, p + i, len);
        rc = llmgw_sse_feed(&sse, piece, len);
        free(piece);
    }

    if (rc == LLMGW_SSE_OK) {
        len = llmgw_sse_pending(&sse, &raw);

        if (len) {
            run_event(&r, raw, len);
        }

        llmgw_xstream_end(&r.s);

    } else {
        llmgw_xstream_fail(&r.s, "api_error", "event too long");
    }

    llmgw_out_raw(&r.got, r.s.out.data, r.s.out.len);
    CHECK(!r.got.failed);

    while (pool.n) {
        free(pool.blocks[--pool.n]);
    }

    free(pool.blocks);
    llmgw_xstream_free(&r.s);

    *got = r.got;
}


/*
 * Anthropic's events well formed and in order: blocks numbered from 0, one
 * open at a time, text and thinking deltas to the open block of their
 * kind, JSON deltas to a tool block (the open one, or an earlier one when
 * the provider interleaves calls), none open at message_delta; the last
 * event message_stop or error.
 */

#define BLOCKS  4096

typedef struct {
    char        kind[BLOCKS];   /* 't'ext, 'k' thinking, 'u' tool_use */
    long        blocks;
    long        open;
} order_t;


static void
check_order(order_t *st, const char *name, json_t *ev)
{
    long         i;
    const char  *type;

    i = (long) json_integer_value(json_object_get(ev, "index"));

    if (strcmp(name, "content_block_start") == 0) {
        type = json_string_value(json_object_get(json_object_get(ev,
                                                 "content_block"), "type"));
        CHECK(st->open < 0 && i == st->blocks && type != NULL);

        if (i < BLOCKS) {
            st->kind[i] = strcmp(type, "text") == 0 ? 't'
                          : strcmp(type, "thinking") == 0 ? 'k'
                          : strcmp(type, "tool_use") == 0 ? 'u' : '?';
            CHECK(st->kind[i] != '?');
        }

        st->open = i;
        st->blocks++;

    } else if (strcmp(name, "content_block_delta") == 0) {
        type = json_string_value(json_object_get(json_object_get(ev, "delta"),
                                                 "type"));
        CHECK(type != NULL && i >= 0 && i < st->blocks);

        if (i >= BLOCKS) {
            return;
        }

        if (strcmp(type, "input_json_delta") == 0) {
            CHECK(st->kind[i] == 'u');

        } else {
            CHECK(i == st->open);
            CHECK(st->kind[i] == (strcmp(type, "text_delta") == 0 ? 't'
                                  : 'k'));
        }

    } else if (strcmp(name, "content_block_stop") == 0) {
        CHECK(i == st->open);
        st->open = -1;

    } else if (strcmp(name, "message_delta") == 0) {
        CHECK(st->open < 0);
    }
}


static void
check_anthropic_events(const llmgw_out_t *o)
{
    char         name[32];
    size_t       i, end, nl, n;
    json_t      *v;
    order_t     *st;
    const char  *p, *type;

    p = (const char *) o->data;
    name[0] = '\0';

    st = calloc(1, sizeof(order_t));
    CHECK(st != NULL);
    st->open = -1;

    for (i = 0; i < o->len; i = end + 2) {
        CHECK(strcmp(name, "message_stop") != 0 && strcmp(name, "error") != 0);
        CHECK(o->len - i > 7 && memcmp(p + i, "event: ", 7) == 0);

        for (nl = i + 7; nl < o->len && p[nl] != '\n'; nl++) { /* void */ }

        n = nl - i - 7;
        CHECK(nl < o->len && n < sizeof(name));
        memcpy(name, p + i + 7, n);
        name[n] = '\0';

        CHECK(o->len - nl > 7 && memcmp(p + nl + 1, "data: ", 6) == 0);

        for (end = nl + 7; end + 1 < o->len
                           && !(p[end] == '\n' && p[end + 1] == '\n');
             end++)
        {
            /* void */
        }

        CHECK(end + 1 < o->len);

        v = json_loadb(p + nl + 7, end - nl - 7, 0, NULL);
        CHECK(json_is_object(v));
        type = json_string_value(json_object_get(v, "type"));
        CHECK(type != NULL && strcmp(type, name) == 0);
        check_order(st, name, v);
        json_decref(v);
    }

    CHECK(strcmp(name, "message_stop") == 0 || strcmp(name, "error") == 0);

    free(st);
}


/* an OpenAI client's stream ends in [DONE] or an error chunk */

static void
check_openai_end(const llmgw_out_t *o)
{
    static const char  done[] = "data: [DONE]\n\n";
    static const char  error[] = "data: {\"error\":";
    size_t             i;

    if (o->len >= sizeof(done) - 1
        && memcmp(o->data + o->len - (sizeof(done) - 1), done,
                  sizeof(done) - 1) == 0)
    {
        return;
    }

    CHECK(o->len >= 2 && memcmp(o->data + o->len - 2, "\n\n", 2) == 0);

    for (i = o->len - 2; i > 0 && !(o->data[i - 1] == '\n'
                                    && o->data[i - 2] == '\n'); i--)
    {
        /* void */
    }

    CHECK(o->len - i > sizeof(error) - 1
          && memcmp(o->data + i, error, sizeof(error) - 1) == 0);
}


static void
fuzz_stream(const uint8_t *data, size_t size, const llmgw_format_t *client)
{
    size_t       cut;
    llmgw_out_t  whole, got;

    cut = size ? (size_t) data[size / 2] * size / 255 : 0;

    run_stream(&whole, client, data, size, size, 0);

    if (client == ANT) {
        check_anthropic_events(&whole);

    } else {
        check_openai_end(&whole);
    }

    run_stream(&got, client, data, size, cut, 0);
    CHECK(got.len == whole.len
          && (got.len == 0 || memcmp(got.data, whole.data, got.len) == 0));
    llmgw_out_free(&got);

    if (size <= 512) {
        run_stream(&got, client, data, size, 0, 1);
        CHECK(got.len == whole.len
              && (got.len == 0
                  || memcmp(got.data, whole.data, got.len) == 0));
        llmgw_out_free(&got);
    }

    llmgw_out_free(&whole);
}


static void
dump_check(json_t *v)
{
    char  *s;

    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    CHECK(s != NULL);
    free(s);
}


static void
check_err(const llmgw_xerr_t *err)
{
    CHECK(err->type != NULL);
    CHECK(err->status >= 400 && err->status < 600);
    CHECK(memchr(err->message, '\0', sizeof(err->message)) != NULL);
}


static json_t *
request_out(json_t *canon, unsigned vertex, unsigned stream)
{
    json_t        *out;
    llmgw_xerr_t   err;
    llmgw_xreq_t   opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "claude-sonnet-4-5";
    opt.model_len = 17;
    opt.default_max_tokens = vertex ? 0 : 4096;
    opt.vertex = vertex;
    opt.stream = stream;

    out = ANT->request_out(canon, &opt, &err);

    if (out == NULL) {
        check_err(&err);
        return NULL;
    }

    CHECK(json_is_array(json_object_get(out, "messages")));
    CHECK(json_integer_value(json_object_get(out, "max_tokens")) > 0);
    dump_check(out);

    return out;
}


static void
fuzz_json(const uint8_t *data, size_t size)
{
    json_t        *v, *canon, *out, *resp;
    llmgw_xerr_t   err;

    v = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return;
    }

    canon = ANT->request_in(v, &err);

    if (canon) {
        dump_check(canon);
        json_decref(request_out(canon, 0, 1));
        json_decref(canon);

    } else {
        check_err(&err);
    }

    json_decref(request_out(v, 0, 0));
    json_decref(request_out(v, 1, 1));

    canon = ANT->response_in(v, &err);

    if (canon) {
        dump_check(canon);
        resp = ANT->response_out(canon, &err);
        CHECK(resp != NULL);
        dump_check(resp);
        json_decref(resp);
        json_decref(canon);

    } else {
        check_err(&err);
    }

    out = ANT->response_out(v, &err);

    if (out) {
        dump_check(out);
        json_decref(out);

    } else {
        check_err(&err);
    }

    if (ANT->error_in(v, 400, &err) == 0) {
        check_err(&err);
    }

    if (ANT->error_in(v, 200, &err) == 0) {
        check_err(&err);
    }

    json_decref(v);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream(data, size, OAI);
    fuzz_stream(data, size, ANT);
    fuzz_json(data, size);

    return 0;
}
