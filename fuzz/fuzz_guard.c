/*
 * libFuzzer target of llmgw_guard_*().
 *
 * The first byte k (mod 8) and the 2k bytes after it choose where the text
 * (the rest) is cut.  Streamed in those pieces, and byte by byte, with a
 * max_hold larger than the text, the guard must release exactly what
 * llmgw_guard_redact() makes of the whole text, with the same fired bits;
 * scan must agree.  With a small max_hold nothing more is held, and a
 * text without matches passes unchanged.  The whole input also goes
 * through llmgw_guard_json(): whatever jansson accepts it accepts, and
 * what it writes it reads back (and jansson too).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llmgw_guard.h"


#define CHECK(c)  do { if (!(c)) { abort(); } } while (0)


typedef struct {
    void   **blocks;
    size_t   n;
} pool_t;


static llmgw_guard_t  *guard;


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


static llmgw_guard_t *
guard_get(void)
{
    static const char                  *words[] = { "project bluebird" };
    static const llmgw_guard_custom_t   custom[] = {
        { "PROJECT", "\\bPRJ-[0-9]{3,}\\b", NULL, 0 },
        { "DENY", NULL, words, 1 }
    };

    if (guard == NULL) {
        guard = llmgw_guard_create((1u << LLMGW_GUARD_NBUILTIN) - 1, custom,
                                   2, NULL, 0);
        CHECK(guard != NULL);
    }

    return guard;
}


static int
cmp_size(const void *a, const void *b)
{
    size_t  x, y;

    x = *(const size_t *) a;
    y = *(const size_t *) b;

    return (x > y) - (x < y);
}


/* the stream's output (malloc'd) with the text cut at cuts[0..ncuts) */

static unsigned char *
stream(const uint8_t *text, size_t len, const size_t *cuts, size_t ncuts,
    size_t max_hold, size_t *res_len, uint64_t *fired)
{
    size_t                 k, at, next, n;
    uint8_t               *piece;
    unsigned char         *res;
    pool_t                 pool;
    const unsigned char   *out;
    llmgw_guard_stream_t  *s;

    memset(&pool, 0, sizeof(pool));

    s = llmgw_guard_stream_create(guard, pool_alloc, &pool, max_hold);
    CHECK(s != NULL);

    res = NULL;
    *res_len = 0;
    at = 0;

    for (k = 0; k <= ncuts; k++) {
        next = (k < ncuts) ? cuts[k] : len;

        piece = malloc(next - at + 1);
        memcpy(piece, text + at, next - at);

        CHECK(llmgw_guard_stream_feed(s, piece, next - at, &out, &n) == 0);
        free(piece);

        CHECK(llmgw_guard_stream_held(s) <= (max_hold < 4 ? 4 : max_hold));

        res = realloc(res, *res_len + n + 1);
        memcpy(res + *res_len, out, n);
        *res_len += n;
        at = next;
    }

    CHECK(llmgw_guard_stream_end(s, &out, &n) == 0);
    CHECK(llmgw_guard_stream_held(s) == 0);

    res = realloc(res, *res_len + n + 1);
    memcpy(res + *res_len, out, n);
    *res_len += n;
    *fired = llmgw_guard_stream_fired(s);

    pool_free(&pool);

    return res;
}


static int
noop(void *data, size_t index, const unsigned char *text, size_t len,
    const unsigned char **repl, size_t *repl_len)
{
    (void) data;
    (void) index;
    (void) text;
    (void) len;
    (void) repl;
    (void) repl_len;

    return 0;
}


static void
check_json(const uint8_t *data, size_t size)
{
    int             rc, valid, jansson;
    size_t          out_len, n;
    json_t         *j;
    uint64_t        fired;
    pool_t          pool;
    json_error_t    e;
    unsigned char  *out, *o;

    memset(&pool, 0, sizeof(pool));

    valid = llmgw_guard_json_rewrite(data, size, 1024, pool_alloc, &pool,
                                     noop, NULL, &out, &out_len);
    CHECK(valid == 0 || valid == -1);

    j = json_loadb((const char *) data, size,
                   JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

    /* jansson takes a NUL byte for the end of the text */
    jansson = (j != NULL && memchr(data, '\0', size) == NULL);
    json_decref(j);

    /* deeper than 1024 takes more than 2048 bytes */
    if (jansson && size <= 2048) {
        CHECK(valid == 0);
    }

    fired = 0;
    rc = llmgw_guard_json(guard, data, size, 1, pool_alloc, &pool, &out,
                          &out_len, &fired);

    CHECK(rc >= -1 && rc <= 1);
    CHECK(rc == -1 || (valid == 0));
    CHECK(rc != 1 || fired != 0);

    if (rc == 1) {
        CHECK(llmgw_guard_json_rewrite(out, out_len, 1024, pool_alloc, &pool,
                                       noop, NULL, &o, &n) == 0);

        if (jansson) {
            j = json_loadb((const char *) out, out_len,
                           JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
            CHECK(j != NULL);
            json_decref(j);
        }
    }

    fired = 0;
    rc = llmgw_guard_json(guard, data, size, 0, pool_alloc, &pool, &out,
                          &out_len, &fired);
    CHECK(rc == -1 || (rc == 0 && out == NULL));

    pool_free(&pool);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc, count;
    size_t          i, k, ncuts, len, out_len, res_len, cuts[8], *bytes;
    size_t          max_hold;
    uint64_t        fired, sfired, rfired;
    pool_t          pool;
    uint8_t        *text;
    unsigned char  *out, *res;

    guard_get();

    if (size == 0 || size > 4096) {
        return 0;
    }

    ncuts = data[0] % 8;

    if (size < 1 + 2 * ncuts) {
        return 0;
    }

    len = size - 1 - 2 * ncuts;

    for (k = 0; k < ncuts; k++) {
        cuts[k] = (data[1 + 2 * k] | (size_t) data[2 + 2 * k] << 8)
                  % (len + 1);
    }

    qsort(cuts, ncuts, sizeof(size_t), cmp_size);

    /* an exact-size copy, so that ASan sees any read past the text */
    text = malloc(len + 1);
    memcpy(text, data + 1 + 2 * ncuts, len);

    memset(&pool, 0, sizeof(pool));
    fired = 0;

    rc = llmgw_guard_redact(guard, text, len, pool_alloc, &pool, &out,
                            &out_len, &fired);
    CHECK(rc == 0 || rc == 1);

    if (rc == 0) {
        CHECK(out == NULL && fired == 0);
        out = text;
        out_len = len;
    }

    sfired = 0;
    count = llmgw_guard_scan(guard, text, len, &sfired);
    CHECK(sfired == fired);
    CHECK((count == 0) == (rc == 0));
    CHECK(count >= __builtin_popcountll(fired));

    /* max_hold above the text: exactly the whole text's redaction */
    res = stream(text, len, cuts, ncuts, len + 16, &res_len, &rfired);
    CHECK(res_len == out_len && memcmp(res, out, out_len) == 0);
    CHECK(rfired == fired);
    free(res);

    if (len <= 512) {
        bytes = malloc((len + 1) * sizeof(size_t));

        for (i = 0; i + 1 < len; i++) {
            bytes[i] = i + 1;
        }

        res = stream(text, len, bytes, len ? len - 1 : 0, len + 16, &res_len,
                     &rfired);
        CHECK(res_len == out_len && memcmp(res, out, out_len) == 0);
        CHECK(rfired == fired);
        free(res);
        free(bytes);
    }

    /* a small max_hold: bounded hold; only real matches are redacted */
    max_hold = (size > 1) ? data[size - 1] % 64 : 0;
    res = stream(text, len, cuts, ncuts, max_hold, &res_len, &rfired);

    if (rc == 0) {
        CHECK(res_len == len && memcmp(res, text, len) == 0);
        CHECK(rfired == 0);
    }

    free(res);
    pool_free(&pool);
    free(text);

    check_json(data, size);

    return 0;
}
