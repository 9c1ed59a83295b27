/*
 * libFuzzer target: llmgw_sse_feed() and llmgw_sse_parse_fields().
 *
 * The input is fed whole, in pieces cut at points derived from the input,
 * and byte by byte.  The events and what is pending must be the same each
 * time, must concatenate back to the input, and must match a line-by-line
 * reference splitter.  A small max_event may only stop the stream at an
 * event that is too long.  The fields of each event must match those of a
 * byte-by-byte reference parser.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmgw_sse.h"


#define CHECK(c)  do { if (!(c)) { __builtin_trap(); } } while (0)


typedef struct {
    uint8_t         *bytes;      /* the events, one after the other */
    size_t           len;
    size_t          *ends;       /* where each event ends in bytes */
    size_t           n;
    uint8_t         *pending;
    size_t           pending_len;
    llmgw_sse_rc_e   rc;
} events_t;


typedef struct {
    void   **blocks;
    size_t   n;
} pool_t;


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
    pool->blocks = NULL;
}


static int
on_event(void *data, const unsigned char *raw, size_t len)
{
    events_t  *e;

    e = data;

    e->bytes = realloc(e->bytes, e->len + len + 1);
    memcpy(e->bytes + e->len, raw, len);
    e->len += len;

    e->ends = realloc(e->ends, (e->n + 1) * sizeof(size_t));
    e->ends[e->n++] = e->len;

    return 0;
}


static void
events_free(events_t *e)
{
    free(e->bytes);
    free(e->ends);
    free(e->pending);
    memset(e, 0, sizeof(events_t));
}


static uint64_t
next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;

    return *s;
}


/* mode 0: whole; 1: byte by byte; otherwise pieces from the seed */

static void
run(events_t *e, const uint8_t *data, size_t size, int mode, uint64_t seed,
    size_t max_event)
{
    size_t                i, n;
    pool_t                pool;
    uint8_t              *piece;
    llmgw_sse_t           sse;
    const unsigned char  *raw;

    memset(e, 0, sizeof(events_t));
    memset(&pool, 0, sizeof(pool));

    sse.alloc = pool_alloc;
    sse.alloc_data = &pool;
    sse.event = on_event;
    sse.event_data = e;
    sse.max_event = max_event;
    llmgw_sse_init(&sse);

    for (i = 0; i < size && e->rc == LLMGW_SSE_OK; i += n) {
        if (mode == 0) {
            n = size;
        } else if (mode == 1) {
            n = 1;
        } else {
            n = next(&seed) % (size / 4 + 3);
            n = n > size - i ? size - i : n;
        }

        piece = malloc(n ? n : 1);
        memcpy(piece, data + i, n);
        e->rc = llmgw_sse_feed(&sse, piece, n);
        free(piece);
    }

    if (e->rc == LLMGW_SSE_OK) {
        e->pending_len = llmgw_sse_pending(&sse, &raw);
        CHECK(e->pending_len <= max_event);
        e->pending = malloc(e->pending_len + 1);
        if (e->pending_len) {
            memcpy(e->pending, raw, e->pending_len);
        }
    }

    pool_free(&pool);
}


static void
same(const events_t *a, const events_t *b)
{
    CHECK(a->rc == b->rc);
    CHECK(a->n == b->n);
    CHECK(a->len == b->len);
    CHECK(a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
    CHECK(a->n == 0 || memcmp(a->ends, b->ends, a->n * sizeof(size_t)) == 0);
    CHECK(a->pending_len == b->pending_len);
    CHECK(a->pending_len == 0
          || memcmp(a->pending, b->pending, a->pending_len) == 0);
}


/* line by line over the whole input; an event ends after an empty line */

static void
reference(events_t *e, const uint8_t *p, size_t n)
{
    size_t  i, j, t, ev;

    memset(e, 0, sizeof(events_t));
    ev = 0;
    i = 0;

    while (i < n) {
        for (j = i; j < n && p[j] != '\r' && p[j] != '\n'; j++) {
            /* void */
        }

        if (j == n || (p[j] == '\r' && j + 1 == n && j == i)) {
            break;
        }

        t = (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n') ? 2 : 1;

        if (j == i) {
            on_event(e, p + ev, j + t - ev);
            ev = j + t;
        }

        i = j + t;
    }

    e->pending_len = n - ev;
    e->pending = malloc(e->pending_len + 1);
    memcpy(e->pending, p + ev, e->pending_len);
}


/* the fields, line by line, byte by byte: data lines joined by "\n" */

static void
ref_fields(const uint8_t *p, size_t len, uint8_t *data,
    llmgw_sse_fields_t *f)
{
    size_t          i, j, eol, name, v;

    memset(f, 0, sizeof(llmgw_sse_fields_t));
    i = 0;

    while (i < len) {
        for (eol = i; eol < len && p[eol] != '\n' && p[eol] != '\r'; eol++) {
            /* void */
        }

        for (name = i; name < eol && p[name] != ':'; name++) {
            /* void */
        }

        v = (name < eol) ? name + 1 : eol;

        if (v < eol && p[v] == ' ') {
            v++;
        }

        if (eol > i && p[i] != ':') {
            if (name - i == 5 && memcmp(p + i, "event", 5) == 0) {
                f->event = p + v;
                f->event_len = eol - v;

            } else if (name - i == 4 && memcmp(p + i, "data", 4) == 0) {
                if (f->data_lines++) {
                    data[f->data_len++] = '\n';
                }

                for (j = v; j < eol; j++) {
                    data[f->data_len++] = p[j];
                }
            }
        }

        i = eol;

        if (i < len) {
            i += (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') ? 2 : 1;
        }
    }
}


static void
check_fields(const uint8_t *raw, size_t len)
{
    uint8_t             *copy, *buf, *data;
    llmgw_sse_fields_t   f, r;

    copy = malloc(len ? len : 1);
    memcpy(copy, raw, len);
    buf = malloc(len ? len : 1);
    data = malloc(len ? len : 1);

    llmgw_sse_parse_fields(copy, len, buf, &f);
    ref_fields(copy, len, data, &r);

    CHECK(f.event == r.event && f.event_len == r.event_len);
    CHECK(f.data_lines == r.data_lines && f.data_len == r.data_len);
    CHECK(f.data_len == 0 || memcmp(f.data, data, f.data_len) == 0);

    CHECK(f.data_len <= len);

    if (f.event) {
        CHECK(f.event >= copy && f.event + f.event_len <= copy + len);
    }

    if (f.data_lines == 0) {
        CHECK(f.data == NULL && f.data_len == 0);

    } else if (f.data_lines == 1) {
        CHECK(f.data >= copy && f.data + f.data_len <= copy + len);

    } else {
        CHECK(f.data == buf && f.data_len >= f.data_lines - 1);
    }

    free(data);
    free(buf);
    free(copy);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t     i, k, max, start;
    uint64_t   seed;
    events_t   whole, got, ref;

    seed = 0x9e3779b97f4a7c15ULL;
    for (i = 0; i < size; i++) {
        seed = (seed ^ data[i]) * 0x100000001b3ULL;
    }
    seed |= 1;

    run(&whole, data, size, 0, 0, SIZE_MAX);
    CHECK(whole.rc == LLMGW_SSE_OK);

    /* events and pending are the input, byte for byte */
    CHECK(whole.len + whole.pending_len == size);
    CHECK(whole.len == 0 || memcmp(whole.bytes, data, whole.len) == 0);
    CHECK(whole.pending_len == 0
          || memcmp(whole.pending, data + whole.len, whole.pending_len) == 0);

    reference(&ref, data, size);
    same(&whole, &ref);
    events_free(&ref);

    run(&got, data, size, 2, seed, SIZE_MAX);
    same(&whole, &got);
    events_free(&got);

    if (size <= 2048) {
        run(&got, data, size, 1, 0, SIZE_MAX);
        same(&whole, &got);
        events_free(&got);
    }

    for (i = 0, start = 0; i < whole.n; i++) {
        check_fields(whole.bytes + start, whole.ends[i] - start);
        start = whole.ends[i];
    }

    check_fields(whole.pending, whole.pending_len);

    /*
     * A small cap: the stream either passes unchanged, every event within
     * the cap, or stops at the first event (or pending tail) above it.
     */
    max = (size_t) (seed >> 40) % 96;
    run(&got, data, size, 2, seed * 3, max);

    for (k = 0, start = 0; k < whole.n; k++) {
        if (whole.ends[k] - start > max) {
            break;
        }
        start = whole.ends[k];
    }

    if (k == whole.n && whole.pending_len <= max) {
        same(&whole, &got);

    } else {
        CHECK(got.rc == LLMGW_SSE_TOO_LONG);
        CHECK(got.n == k);
        CHECK(got.len == start);
        CHECK(got.len == 0 || memcmp(got.bytes, data, got.len) == 0);
    }

    events_free(&got);
    events_free(&whole);

    return 0;
}
