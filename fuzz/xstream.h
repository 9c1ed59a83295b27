/*
 * What the stream fuzz targets share: the input as a provider's SSE stream,
 * through the splitter and an xstream, fed whole and cut at a point derived
 * from the input; the output must be the same both ways, OpenAI chunks
 * valid JSON, and the stream must end.  And a checker of whole-body
 * translations' results.
 */

#ifndef _FUZZ_XSTREAM_H_INCLUDED_
#define _FUZZ_XSTREAM_H_INCLUDED_

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmgw_xlate.h"
#include "llmgw_sse.h"


#define CHECK(c)  do { if (!(c)) { __builtin_trap(); } } while (0)


typedef struct {
    void   **blocks;
    size_t   n;
} pool_t;


typedef struct {
    llmgw_xstream_t  s;
    llmgw_out_t      all;
} run_t;


static void *
pool_alloc(void *data, size_t size)
{
    pool_t  *pool;

    pool = data;
    pool->blocks = realloc(pool->blocks, (pool->n + 1) * sizeof(void *));
    pool->blocks[pool->n] = malloc(size);

    return pool->blocks[pool->n++];
}


static void
pool_free(pool_t *pool)
{
    while (pool->n) {
        free(pool->blocks[--pool->n]);
    }

    free(pool->blocks);
}


static void
collect(run_t *r)
{
    llmgw_out_raw(&r->all, r->s.out.data, r->s.out.len);
    r->s.out.len = 0;
}


static int
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


static void
run(llmgw_out_t *out, const llmgw_format_t *provider,
    const llmgw_format_t *client, const uint8_t *data, size_t size,
    size_t cut)
{
    size_t                k;
    run_t                 r;
    pool_t                pool;
    uint8_t              *piece;
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
    sse.max_event = 1 << 20;
    llmgw_sse_init(&sse);

    piece = malloc(cut + 1);
    memcpy(piece, data, cut);
    rc = llmgw_sse_feed(&sse, piece, cut);
    free(piece);

    if (rc == LLMGW_SSE_OK) {
        piece = malloc(size - cut + 1);
        memcpy(piece, data + cut, size - cut);
        rc = llmgw_sse_feed(&sse, piece, size - cut);
        free(piece);
    }

    CHECK(rc == LLMGW_SSE_OK);

    k = llmgw_sse_pending(&sse, &raw);

    if (k) {
        on_event(&r, raw, k);
    }

    llmgw_xstream_end(&r.s);
    collect(&r);
    CHECK(r.s.ended);
    CHECK(!r.all.failed);

    llmgw_xstream_free(&r.s);
    pool_free(&pool);

    *out = r.all;
}


/* OpenAI: "data: <JSON>\n\n" each, the last [DONE] or an error */

static void
check_openai(const llmgw_out_t *o)
{
    json_t      *v;
    const char  *p, *end, *last;

    p = (const char *) o->data;
    end = p + o->len;
    last = NULL;

    while (p < end) {
        CHECK(end - p > 6 && memcmp(p, "data: ", 6) == 0);

        last = p;
        p += 6;

        while (p + 1 < end && !(p[0] == '\n' && p[1] == '\n')) {
            p++;
        }

        CHECK(p + 1 < end);

        if (!(p - last == 12 && memcmp(last, "data: [DONE]", 12) == 0)) {
            v = json_loadb(last + 6, p - last - 6, 0, NULL);
            CHECK(json_is_object(v));
            json_decref(v);
        }

        p += 2;
    }

    CHECK(last != NULL);
    CHECK(memcmp(last, "data: [DONE]", 12) == 0
          || memcmp(last, "data: {\"error\":", 15) == 0);
}


static void
stream(const llmgw_format_t *provider, const llmgw_format_t *client,
    const uint8_t *data, size_t size, size_t cut)
{
    llmgw_out_t  whole, split;

    run(&whole, provider, client, data, size, size);
    run(&split, provider, client, data, size, cut);

    CHECK(whole.len == split.len);
    CHECK(whole.len == 0 || memcmp(whole.data, split.data, whole.len) == 0);

    if (client == &llmgw_format_openai) {
        check_openai(&whole);
    }

    llmgw_out_free(&whole);
    llmgw_out_free(&split);
}


static void
result(json_t *v, const llmgw_xerr_t *err)
{
    char  *s;

    if (v == NULL) {
        CHECK(err->type != NULL);
        CHECK(err->status >= 400 && err->status < 600);
        CHECK(memchr(err->message, '\0', sizeof(err->message)) != NULL);
        return;
    }

    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    CHECK(s != NULL);
    free(s);
    json_decref(v);
}


/* a cut point that depends on every byte of the input */

static size_t
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
