/*
 * What the translator fuzz targets share: the input as a provider's SSE
 * stream, through the splitter and an xstream, fed whole, cut in two at a
 * point derived from the input, or byte by byte; the output must be the
 * same every way, and the client's stream well formed: OpenAI chunks valid
 * JSON ending in [DONE] or an error, Anthropic events in order ending in
 * message_stop or an error.  And checkers of whole-body translations'
 * results.
 *
 * The functions are static inline: a target that uses some of them gets
 * no warning for the others.  FUZZ_MAX_EVENT, when defined before, is the
 * longest event the splitter takes; a longer one fails the stream.
 */

#ifndef _FUZZ_XSTREAM_H_INCLUDED_
#define _FUZZ_XSTREAM_H_INCLUDED_

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmgw_xlate.h"
#include "llmgw_sse.h"


#define CHECK(c)  do { if (!(c)) { __builtin_trap(); } } while (0)

#ifndef FUZZ_MAX_EVENT
#define FUZZ_MAX_EVENT  (1 << 20)
#endif


typedef struct {
    void   **blocks;
    size_t   n;
} pool_t;


typedef struct {
    llmgw_xstream_t  s;
    llmgw_out_t      all;
} run_t;


static inline void *
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


static inline void
pool_free(pool_t *pool)
{
    while (pool->n) {
        free(pool->blocks[--pool->n]);
    }

    free(pool->blocks);
}


static inline void
collect(run_t *r)
{
    llmgw_out_raw(&r->all, r->s.out.data, r->s.out.len);
    r->s.out.len = 0;
}


static inline int
on_event(void *data, const unsigned char *raw, size_t len)
{
    size_t               i;
    run_t               *r;
    unsigned char       *buf;
    llmgw_sse_fields_t   f;

    r = data;

    for (i = 0; i < len && (raw[i] == '\r' || raw[i] == '\n'); i++) {
        /* void */
    }

    if (i == len) {
        return 0;
    }

    buf = malloc(len);
    llmgw_sse_parse_fields(raw, len, buf, &f);
    llmgw_xstream_event(&r->s, (const char *) f.event, f.event_len,
                        (const char *) f.data, f.data_len);
    free(buf);
    collect(r);

    return 0;
}


/* data[0..size) to the splitter in a buffer of its exact length, for the
 * address checker */

static inline llmgw_sse_rc_e
feed(llmgw_sse_t *sse, const uint8_t *data, size_t size)
{
    uint8_t         *piece;
    llmgw_sse_rc_e   rc;

    piece = malloc(size + 1);
    CHECK(piece != NULL);
    memcpy(piece, data, size);
    rc = llmgw_sse_feed(sse, piece, size);
    free(piece);

    return rc;
}


/* the input cut at cut, or byte by byte; out: the client's output */

static inline void
run(llmgw_out_t *out, const llmgw_format_t *provider,
    const llmgw_format_t *client, const uint8_t *data, size_t size,
    size_t cut, unsigned bytewise)
{
    size_t                i, k;
    run_t                 r;
    pool_t                pool;
    llmgw_sse_t           sse;
    llmgw_sse_rc_e        rc;
    const unsigned char  *raw;

    memset(&r, 0, sizeof(run_t));
    memset(&pool, 0, sizeof(pool_t));

    CHECK(llmgw_xstream_init(&r.s, provider, client, "fuzz", 4, 1) == 0);
    r.s.include_usage = 1;

    sse.alloc = pool_alloc;
    sse.alloc_data = &pool;
    sse.event = on_event;
    sse.event_data = &r;
    sse.max_event = FUZZ_MAX_EVENT;
    llmgw_sse_init(&sse);

    if (bytewise) {
        for (i = 0, rc = LLMGW_SSE_OK; i < size && rc == LLMGW_SSE_OK; i++) {
            rc = feed(&sse, data + i, 1);
        }

    } else {
        rc = feed(&sse, data, cut);

        if (rc == LLMGW_SSE_OK) {
            rc = feed(&sse, data + cut, size - cut);
        }
    }

    if (rc == LLMGW_SSE_TOO_LONG) {
        llmgw_xstream_fail(&r.s, "api_error", "event too long");

    } else {
        CHECK(rc == LLMGW_SSE_OK);

        k = llmgw_sse_pending(&sse, &raw);

        if (k) {
            on_event(&r, raw, k);
        }
    }

    llmgw_xstream_end(&r.s);
    collect(&r);
    CHECK(r.s.ended);
    CHECK(!r.all.failed);

    llmgw_xstream_free(&r.s);
    pool_free(&pool);

    *out = r.all;
}


/* OpenAI: "data: <JSON>\n\n" each, the last [DONE] or an error, and one of
 * them */

static inline void
check_openai(const llmgw_out_t *o)
{
    json_t      *v;
    unsigned     ends;
    const char  *p, *end, *last;

    p = (const char *) o->data;
    end = p + o->len;
    last = NULL;
    ends = 0;

    while (p < end) {
        CHECK(ends == 0);
        CHECK(end - p > 6 && memcmp(p, "data: ", 6) == 0);

        last = p;
        p += 6;

        while (p + 1 < end && !(p[0] == '\n' && p[1] == '\n')) {
            p++;
        }

        CHECK(p + 1 < end);

        if (p - last == 12 && memcmp(last, "data: [DONE]", 12) == 0) {
            ends++;

        } else {
            v = json_loadb(last + 6, p - last - 6, JSON_ALLOW_NUL, NULL);
            CHECK(json_is_object(v));
            ends += json_object_get(v, "error") != NULL;
            json_decref(v);
        }

        p += 2;
    }

    CHECK(last != NULL && ends == 1);
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


static inline void
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


/* "event: NAME\ndata: {JSON object of type NAME}\n\n" each, in order */

static inline void
check_anthropic(const llmgw_out_t *o)
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

        v = json_loadb(p + nl + 7, end - nl - 7, JSON_ALLOW_NUL, NULL);
        CHECK(json_is_object(v));
        type = json_string_value(json_object_get(v, "type"));
        CHECK(type != NULL && strcmp(type, name) == 0);
        check_order(st, name, v);
        json_decref(v);
    }

    CHECK(strcmp(name, "message_stop") == 0 || strcmp(name, "error") == 0);

    free(st);
}


/* the client's stream well formed */

static inline void
check_client(const llmgw_format_t *client, const llmgw_out_t *o)
{
    if (client == &llmgw_format_openai) {
        check_openai(o);

    } else if (client == &llmgw_format_anthropic) {
        check_anthropic(o);
    }
}


static inline void
check_same(const llmgw_out_t *a, const llmgw_out_t *b)
{
    CHECK(a->len == b->len);
    CHECK(a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}


static inline void
stream(const llmgw_format_t *provider, const llmgw_format_t *client,
    const uint8_t *data, size_t size, size_t cut)
{
    llmgw_out_t  whole, split;

    run(&whole, provider, client, data, size, size, 0);
    run(&split, provider, client, data, size, cut, 0);

    check_same(&whole, &split);
    check_client(client, &whole);

    llmgw_out_free(&whole);
    llmgw_out_free(&split);
}


/* whole bodies */

static inline void
dump_check(json_t *v)
{
    char  *s;

    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    CHECK(s != NULL);
    free(s);
}


static inline void
check_err(const llmgw_xerr_t *err)
{
    CHECK(err->type != NULL);
    CHECK(err->status >= 400 && err->status < 600);
    CHECK(memchr(err->message, '\0', sizeof(err->message)) != NULL);
}


/* a translation's result: v dumped and released, or err an error */

static inline void
result(json_t *v, const llmgw_xerr_t *err)
{
    if (v == NULL) {
        check_err(err);
        return;
    }

    dump_check(v);
    json_decref(v);
}


/* a cut point that depends on every byte of the input */

static inline size_t
cut_point(const uint8_t *data, size_t size)
{
    size_t    i;
    uint64_t  h;

    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < size; i++) {
        h = (h ^ data[i]) * 0x100000001b3ULL;
    }

    return size ? (size_t) (h % (size + 1)) : 0;
}

#endif /* _FUZZ_XSTREAM_H_INCLUDED_ */
