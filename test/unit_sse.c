/*
 * Unit tests of src/llmgw_sse.c: event splitting at every split of the
 * recorded provider streams, line endings, the hold buffer and its cap,
 * and field parsing.
 */

#include <stdint.h>

#include "llmgw_sse.h"
#include "llmgw_json.h"
#include "unit.h"


#define S(s)  (const unsigned char *) (s), sizeof(s) - 1

#define MAX_EVENTS  64


static const char  *fixtures = "fixtures";


/* a pool: nothing is freed until the end of a run */

typedef struct {
    void      *blocks[64];
    size_t     sizes[64];
    unsigned   n;
    int        fail;
} pool_t;


static void *
pool_alloc(void *data, size_t size)
{
    pool_t  *pool;
    void    *p;

    pool = data;

    if (pool->fail || pool->n == 64) {
        return NULL;
    }

    p = malloc(size);
    if (p == NULL) {
        abort();
    }

    memset(p, 0xa5, size);

    pool->sizes[pool->n] = size;
    pool->blocks[pool->n++] = p;

    return p;
}


static void
pool_free(pool_t *pool)
{
    while (pool->n) {
        free(pool->blocks[--pool->n]);
    }
}


/* the events seen, copied since a held event's buffer is reused */

typedef struct {
    unsigned char  *ev[MAX_EVENTS];
    size_t          len[MAX_EVENTS];
    unsigned        n;
    unsigned        abort_at;       /* return nonzero at this event, 1-based */
    unsigned char  *pending;
    size_t          pending_len;
    llmgw_sse_rc_e  rc;
} events_t;


static int
on_event(void *data, const unsigned char *raw, size_t len)
{
    events_t  *e;

    e = data;

    if (e->n == MAX_EVENTS) {
        return 1;
    }

    e->ev[e->n] = malloc(len ? len : 1);
    memcpy(e->ev[e->n], raw, len);
    e->len[e->n++] = len;

    return e->n == e->abort_at;
}


static void
events_free(events_t *e)
{
    while (e->n) {
        e->n--;
        free(e->ev[e->n]);
    }

    free(e->pending);
    e->pending = NULL;
}


static int
events_eq(const events_t *a, const events_t *b)
{
    unsigned  i;

    if (a->n != b->n || a->rc != b->rc || a->pending_len != b->pending_len
        || (a->pending_len
            && memcmp(a->pending, b->pending, a->pending_len) != 0))
    {
        return 0;
    }

    for (i = 0; i < a->n; i++) {
        if (a->len[i] != b->len[i]
            || memcmp(a->ev[i], b->ev[i], a->len[i]) != 0)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Feeds p[0..n) cut at c1 and c2 (c1 <= c2 <= n) or byte by byte, each
 * piece in an exact-size heap copy, and records events and pending.
 */

static void
run(events_t *e, const unsigned char *p, size_t n, size_t c1, size_t c2,
    int bytewise, size_t max_event)
{
    size_t                i, cuts[4];
    pool_t                pool;
    llmgw_sse_t           sse;
    unsigned char        *piece;
    const unsigned char  *raw;

    memset(&pool, 0, sizeof(pool));
    e->n = 0;
    e->pending = NULL;
    e->pending_len = 0;
    e->rc = LLMGW_SSE_OK;

    sse.alloc = pool_alloc;
    sse.alloc_data = &pool;
    sse.event = on_event;
    sse.event_data = e;
    sse.max_event = max_event;
    llmgw_sse_init(&sse);

    cuts[0] = 0;
    cuts[1] = c1;
    cuts[2] = c2;
    cuts[3] = n;

    if (bytewise) {
        for (i = 0; i < n && e->rc == LLMGW_SSE_OK; i++) {
            piece = malloc(1);
            *piece = p[i];
            e->rc = llmgw_sse_feed(&sse, piece, 1);
            free(piece);
        }

    } else {
        for (i = 0; i < 3 && e->rc == LLMGW_SSE_OK; i++) {
            piece = malloc(cuts[i + 1] - cuts[i] + 1);
            memcpy(piece, p + cuts[i], cuts[i + 1] - cuts[i]);
            e->rc = llmgw_sse_feed(&sse, piece, cuts[i + 1] - cuts[i]);
            free(piece);
        }
    }

    if (e->rc == LLMGW_SSE_OK) {
        e->pending_len = llmgw_sse_pending(&sse, &raw);
        e->pending = malloc(e->pending_len + 1);

        if (e->pending_len) {
            memcpy(e->pending, raw, e->pending_len);
        }
    }

    pool_free(&pool);
}


/*
 * The reference: line by line over the whole input, where the next byte is
 * always known; an event ends after the terminator of an empty line.  An
 * empty line ended by a CR that is the last byte might still get its LF,
 * so it stays pending.
 */

static void
reference(events_t *e, const unsigned char *p, size_t n)
{
    size_t  i, j, t, ev;

    e->n = 0;
    e->rc = LLMGW_SSE_OK;
    ev = 0;
    i = 0;

    while (i < n) {
        j = i;

        while (j < n && p[j] != '\r' && p[j] != '\n') {
            j++;
        }

        if (j == n) {
            break;
        }

        if (p[j] == '\r' && j + 1 == n) {
            if (j == i) {
                break;
            }

            t = 1;

        } else {
            t = (p[j] == '\r' && p[j + 1] == '\n') ? 2 : 1;
        }

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


/*
 * Splits input whole, at every cut into two pieces, byte by byte, and (for
 * small inputs) at every pair of cuts, comparing each with the reference.
 * Returns the reference in *ref for further checks.
 */

static void
check_splits(const char *what, const unsigned char *p, size_t n,
    events_t *ref)
{
    size_t    c1, c2, total;
    unsigned  i, bad;
    events_t  got;

    memset(&got, 0, sizeof(got));
    reference(ref, p, n);

    /* the events and what is pending are the input, byte for byte */
    total = ref->pending_len;
    for (i = 0; i < ref->n; i++) {
        total += ref->len[i];
    }

    CHECK_INT(total, n, "%s: reference covers the input", what);

    run(&got, p, n, n, n, 0, SIZE_MAX);
    CHECK(events_eq(&got, ref), "%s: whole input (%u events, ref %u)", what,
          got.n, ref->n);
    events_free(&got);

    bad = 0;

    for (c1 = 0; c1 <= n; c1++) {
        run(&got, p, n, c1, c1, 0, SIZE_MAX);

        if (!events_eq(&got, ref) && bad++ == 0) {
            UNIT_FAIL("%s: split at %zu: %u events, ref %u", what, c1, got.n,
                      ref->n);
        }

        events_free(&got);
    }

    CHECK_INT(bad, 0, "%s: every split in two", what);

    run(&got, p, n, 0, 0, 1, SIZE_MAX);
    CHECK(events_eq(&got, ref), "%s: byte by byte (%u events)", what, got.n);
    events_free(&got);

    if (n > 64) {
        return;
    }

    bad = 0;

    for (c1 = 0; c1 <= n; c1++) {
        for (c2 = c1; c2 <= n; c2++) {
            run(&got, p, n, c1, c2, 0, SIZE_MAX);

            if (!events_eq(&got, ref) && bad++ == 0) {
                UNIT_FAIL("%s: split at %zu and %zu", what, c1, c2);
            }

            events_free(&got);
        }
    }

    CHECK_INT(bad, 0, "%s: every split in three", what);
}


/* a synthetic stream and the events it must give */

typedef struct {
    const char  *in;
    const char  *ev[5];
    const char  *pending;
} case_t;


static const case_t  cases[] = {
    { "", { NULL }, "" },
    { "data: a\n\n", { "data: a\n\n" }, "" },
    { "data: a\r\n\r\n", { "data: a\r\n\r\n" }, "" },
    { "data: a\r\r", { NULL }, "data: a\r\r" },
    { "data: a\r\rdata: b\r\r", { "data: a\r\r" }, "data: b\r\r" },
    { "data: a\r\r\n", { "data: a\r\r\n" }, "" },
    { "data: a\r\n\n", { "data: a\r\n\n" }, "" },
    { "data: a\n\r\n", { "data: a\n\r\n" }, "" },
    { "data: a\n\r\r", { "data: a\n\r" }, "\r" },
    { "data: a\n\rx", { "data: a\n\r" }, "x" },
    { "\n\n", { "\n", "\n" }, "" },
    { "\r\n\r\n", { "\r\n", "\r\n" }, "" },
    { "x\r\r\r\n", { "x\r\r", "\r\n" }, "" },
    { ": ping\n\ndata: x\n\n", { ": ping\n\n", "data: x\n\n" }, "" },
    { "data: a\ndata: b\n\nevent: e\r\ndata: c\r\n\r\n",
      { "data: a\ndata: b\n\n", "event: e\r\ndata: c\r\n\r\n" }, "" },
    { "data: a", { NULL }, "data: a" },
    { "data: a\n", { NULL }, "data: a\n" },
    { "data: a\r", { NULL }, "data: a\r" },
    { "data: a\r\n\r", { NULL }, "data: a\r\n\r" },
    { "data: a\r\n\rdata: b\n\n", { "data: a\r\n\r", "data: b\n\n" }, "" },
    { "data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d",
      { "data: a\n\n", "data: b\r\n\r\n", "data: c\r\r" }, "data: d" },
    { "a\rb\nc\r\nd\r\r\n\r\n", { "a\rb\nc\r\nd\r\r\n", "\r\n" }, "" },
};


static void
test_cases(void)
{
    size_t     i, k, n;
    char       what[64];
    events_t   ref;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(what, sizeof(what), "case %zu", i);

        memset(&ref, 0, sizeof(ref));
        n = strlen(cases[i].in);
        check_splits(what, (const unsigned char *) cases[i].in, n, &ref);

        for (k = 0; k < 5 && cases[i].ev[k]; k++) {
            if (k < ref.n) {
                CHECK_STR(ref.ev[k], ref.len[k], cases[i].ev[k],
                          "%s event %zu", what, k);
            }
        }

        CHECK_INT(ref.n, k, "%s: event count", what);
        CHECK_STR(ref.pending, ref.pending_len, cases[i].pending,
                  "%s: pending", what);

        events_free(&ref);
    }
}


/*
 * Line ends found by memchr: lines of every length up to past a vector's
 * width, each kind of line end, many short lines and long ones in one
 * piece; check_splits() cuts each stream at every point, so a CR ends one
 * feed and its LF starts the next at every position.
 */

static void
test_line_ends(void)
{
    size_t           i, k, n, len;
    char             what[64];
    events_t         ref;
    unsigned char   *buf;

    static const char  *eols[] = { "\n", "\r\n", "\r" };
    static const size_t  lens[] = { 0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33,
                                    63, 64, 65, 100, 200 };

    buf = malloc(4096);

    for (k = 0; k < 3; k++) {
        for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            len = lens[i];
            n = 0;

            /* an event of two lines, then one of a single line, then an
             * unfinished one, line ends of kind k, k+1, k+2 */
            memcpy(buf + n, "data: ", 6);
            n += 6;
            memset(buf + n, 'a' + (int) (i % 26), len);
            n += len;
            memcpy(buf + n, eols[k], strlen(eols[k]));
            n += strlen(eols[k]);
            memcpy(buf + n, "data: x", 7);
            n += 7;
            memcpy(buf + n, eols[(k + 1) % 3], strlen(eols[(k + 1) % 3]));
            n += strlen(eols[(k + 1) % 3]);
            memcpy(buf + n, eols[(k + 2) % 3], strlen(eols[(k + 2) % 3]));
            n += strlen(eols[(k + 2) % 3]);

            memset(buf + n, ':', len);
            n += len;
            memcpy(buf + n, eols[k], strlen(eols[k]));
            n += strlen(eols[k]);
            memcpy(buf + n, eols[k], strlen(eols[k]));
            n += strlen(eols[k]);

            memcpy(buf + n, "data: ", 6);
            n += 6;
            memset(buf + n, 'z', len);
            n += len;
            memcpy(buf + n, eols[(k + 1) % 3], strlen(eols[(k + 1) % 3]));
            n += strlen(eols[(k + 1) % 3]);

            snprintf(what, sizeof(what), "line ends %zu, lines of %zu", k,
                     len);
            memset(&ref, 0, sizeof(ref));
            check_splits(what, buf, n, &ref);
            CHECK(ref.n >= 1, "%s: %u events", what, ref.n);
            events_free(&ref);
        }
    }

    /* many short lines and empty ones in a row, every kind of line end */
    n = 0;

    for (i = 0; i < 300; i++) {
        if (i % 7 != 3) {
            buf[n++] = (unsigned char) ('a' + i % 26);
        }

        memcpy(buf + n, eols[(i * 5) % 3], strlen(eols[(i * 5) % 3]));
        n += strlen(eols[(i * 5) % 3]);
    }

    memset(&ref, 0, sizeof(ref));
    check_splits("short lines", buf, n, &ref);
    CHECK(ref.n > 20, "short lines: %u events", ref.n);
    events_free(&ref);

    /* a long line with CRs only, then LFs only */
    n = 0;
    memset(buf + n, 'c', 1000);
    n += 1000;
    memcpy(buf + n, "\r\r", 2);
    n += 2;
    memset(buf + n, 'l', 1000);
    n += 1000;
    memcpy(buf + n, "\n\n", 2);
    n += 2;

    memset(&ref, 0, sizeof(ref));
    check_splits("long lines", buf, n, &ref);
    CHECK_INT(ref.n, 2, "long lines: events");
    events_free(&ref);

    free(buf);
}


/* a CRLF whose halves come in different feeds is one line end */

static void
test_crlf_across_feeds(void)
{
    pool_t        pool;
    events_t      e;
    llmgw_sse_t   sse;
    const unsigned char  *raw;

    memset(&pool, 0, sizeof(pool));
    memset(&e, 0, sizeof(e));

    sse.alloc = pool_alloc;
    sse.alloc_data = &pool;
    sse.event = on_event;
    sse.event_data = &e;
    sse.max_event = 1 << 20;
    llmgw_sse_init(&sse);

    CHECK_INT(llmgw_sse_feed(&sse, S("data: a\r")), LLMGW_SSE_OK, "feed 1");
    CHECK_INT(llmgw_sse_feed(&sse, S("\n")), LLMGW_SSE_OK, "feed 2");
    CHECK_INT(e.n, 0, "no event after the first CRLF");
    CHECK_INT(llmgw_sse_feed(&sse, S("\r")), LLMGW_SSE_OK, "feed 3");
    CHECK_INT(e.n, 0, "no event at a CR that may get its LF");
    CHECK_INT(llmgw_sse_feed(&sse, S("\ndata: b\r")), LLMGW_SSE_OK, "feed 4");
    CHECK_INT(e.n, 1, "one event");

    if (e.n == 1) {
        CHECK_STR(e.ev[0], e.len[0], "data: a\r\n\r\n", "the event");
    }

    CHECK_INT(llmgw_sse_feed(&sse, S("\n")), LLMGW_SSE_OK, "feed 5");
    CHECK_INT(llmgw_sse_feed(&sse, S("\r")), LLMGW_SSE_OK, "feed 6");
    CHECK_INT(llmgw_sse_feed(&sse, S("")), LLMGW_SSE_OK, "empty feed");
    CHECK_INT(llmgw_sse_feed(&sse, S("data: c\n\n")), LLMGW_SSE_OK, "feed 7");
    CHECK_INT(e.n, 3, "CR then a new event");

    if (e.n == 3) {
        CHECK_STR(e.ev[1], e.len[1], "data: b\r\n\r", "second event");
        CHECK_STR(e.ev[2], e.len[2], "data: c\n\n", "third event");
    }

    CHECK_INT(llmgw_sse_pending(&sse, &raw), 0, "nothing pending");

    events_free(&e);
    pool_free(&pool);
}


static void
check_json_events(const char *what, const events_t *ref, unsigned json,
    unsigned char *buf)
{
    unsigned            i, ok;
    llmgw_json_scan_t   scan;
    llmgw_sse_fields_t  f;

    ok = 0;

    for (i = 0; i < json; i++) {
        llmgw_sse_parse_fields(ref->ev[i], ref->len[i], buf, &f);

        if (f.data_lines == 1
            && llmgw_json_scan_object(f.data, f.data_len, 64, NULL, 0, &scan)
               == LLMGW_JSON_OK)
        {
            ok++;
        }
    }

    CHECK_INT(ok, json, "%s: every data is one JSON object", what);
}


static int64_t
usage_of(const unsigned char *json, size_t len, const char *member,
    const char *name)
{
    int64_t             v;
    llmgw_json_span_t   usage, value;
    llmgw_json_field_t  f;
    llmgw_json_scan_t   scan;

    f.name = member;
    f.name_len = strlen(member);
    f.value = &usage;

    if (llmgw_json_scan_object(json, len, 64, &f, 1, &scan) != LLMGW_JSON_OK
        || usage.type != LLMGW_JSON_OBJECT)
    {
        return -1;
    }

    f.name = name;
    f.name_len = strlen(name);
    f.value = &value;

    if (llmgw_json_scan_members(&usage, &f, 1, &scan) != LLMGW_JSON_OK
        || llmgw_json_uint(&value, &v) != 0)
    {
        return -1;
    }

    return v;
}


static void
test_openai(void)
{
    size_t               len;
    unsigned char       *buf, *tmp;
    events_t             ref;
    llmgw_sse_fields_t   f;

    buf = unit_read_file(fixtures, "openai-parse_pydantic_model.sse", &len);
    tmp = malloc(len);
    memset(&ref, 0, sizeof(ref));

    check_splits("openai", buf, len, &ref);
    CHECK_INT(ref.n, 18, "openai: events");
    CHECK_INT(ref.pending_len, 0, "openai: nothing pending");

    if (ref.n == 18) {
        check_json_events("openai", &ref, 17, tmp);

        llmgw_sse_parse_fields(ref.ev[17], ref.len[17], tmp, &f);
        CHECK_STR(f.data, f.data_len, "[DONE]", "openai: last event");
        CHECK(f.event == NULL, "openai: no event field");

        llmgw_sse_parse_fields(ref.ev[16], ref.len[16], tmp, &f);
        CHECK_INT(usage_of(f.data, f.data_len, "usage", "prompt_tokens"), 79,
                  "openai: prompt_tokens");
        CHECK_INT(usage_of(f.data, f.data_len, "usage", "completion_tokens"),
                  14, "openai: completion_tokens");
        CHECK_INT(usage_of(f.data, f.data_len, "usage", "total_tokens"), 93,
                  "openai: total_tokens");
        CHECK(f.data == ref.ev[16] + 6, "openai: single data line in place");
    }

    events_free(&ref);
    free(tmp);
    free(buf);
}


static void
test_anthropic(void)
{
    size_t               len, i;
    unsigned char       *buf, *tmp;
    events_t             ref;
    llmgw_sse_fields_t   f;

    static const char   *names[] = {
        "message_start", "content_block_start", "ping",
        "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta",
        "content_block_delta", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta"
    };

    buf = unit_read_file(fixtures, "anthropic-tool_use_response.sse", &len);
    tmp = malloc(len);
    memset(&ref, 0, sizeof(ref));

    /* the recording ends without a blank line: its last event is pending */
    check_splits("anthropic", buf, len, &ref);
    CHECK_INT(ref.n, 14, "anthropic: events");

    if (ref.n == 14) {
        check_json_events("anthropic", &ref, 14, tmp);

        for (i = 0; i < 14; i++) {
            llmgw_sse_parse_fields(ref.ev[i], ref.len[i], tmp, &f);
            CHECK_STR(f.event, f.event_len, names[i], "anthropic: event %zu",
                      i);
        }

        llmgw_sse_parse_fields(ref.ev[0], ref.len[0], tmp, &f);
        CHECK_INT(usage_of(f.data, f.data_len, "message", "id"), -1,
                  "anthropic: id is no number");

        llmgw_sse_parse_fields(ref.ev[13], ref.len[13], tmp, &f);
        CHECK_INT(usage_of(f.data, f.data_len, "usage", "output_tokens"), 65,
                  "anthropic: output_tokens");
    }

    CHECK_STR(ref.pending, ref.pending_len,
              "event: message_stop\ndata: {\"type\":\"message_stop\"}",
              "anthropic: pending");

    llmgw_sse_parse_fields(ref.pending, ref.pending_len, tmp, &f);
    CHECK_STR(f.event, f.event_len, "message_stop", "anthropic: last event");
    CHECK_STR(f.data, f.data_len, "{\"type\":\"message_stop\"}",
              "anthropic: last data");

    events_free(&ref);
    free(tmp);
    free(buf);
}


/* the Gemini CRLF recording, and the same with LF and with CR only */

static void
test_gemini(void)
{
    size_t               len, i, n;
    unsigned char       *buf, *tmp, *alt;
    unsigned             k, same;
    events_t             ref, ref2;
    llmgw_sse_fields_t   f, f2;

    buf = unit_read_file(fixtures,
                   "gemini-streaming-success-thinking-reply-thought-summary.sse",
                   &len);
    tmp = malloc(len);
    alt = malloc(len);
    memset(&ref, 0, sizeof(ref));
    memset(&ref2, 0, sizeof(ref2));

    check_splits("gemini", buf, len, &ref);
    CHECK_INT(ref.n, 5, "gemini: events");
    CHECK_INT(ref.pending_len, 0, "gemini: nothing pending");

    for (k = 0; k < ref.n; k++) {
        CHECK(ref.len[k] > 4
              && memcmp(ref.ev[k] + ref.len[k] - 4, "\r\n\r\n", 4) == 0,
              "gemini: event %u ends with CRLF CRLF", k);
    }

    if (ref.n == 5) {
        check_json_events("gemini", &ref, 5, tmp);

        llmgw_sse_parse_fields(ref.ev[4], ref.len[4], tmp, &f);
        CHECK_INT(usage_of(f.data, f.data_len, "usageMetadata",
                           "candidatesTokenCount"), 48,
                  "gemini: candidatesTokenCount");
        CHECK_INT(usage_of(f.data, f.data_len, "usageMetadata",
                           "totalTokenCount"), 598, "gemini: totalTokenCount");
    }

    for (k = 0; k < 2; k++) {
        /* CRLF becomes LF, then CR */
        n = 0;

        for (i = 0; i < len; i++) {
            if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n') {
                alt[n++] = k ? '\r' : '\n';
                i++;

            } else {
                alt[n++] = buf[i];
            }
        }

        check_splits(k ? "gemini CR" : "gemini LF", alt, n, &ref2);
        CHECK_INT(ref2.n, k ? 4 : 5, "gemini %s: events", k ? "CR" : "LF");

        /* with CR only, the last event waits for a byte that is not LF */
        CHECK_INT(ref2.pending_len, k ? ref.len[4] - 2 : 0,
                  "gemini %s: pending", k ? "CR" : "LF");

        same = 0;

        for (i = 0; i < ref2.n && i < ref.n; i++) {
            llmgw_sse_parse_fields(ref.ev[i], ref.len[i], tmp, &f);
            llmgw_sse_parse_fields(ref2.ev[i], ref2.len[i], alt, &f2);

            if (f.data_len == f2.data_len
                && memcmp(f.data, f2.data, f.data_len) == 0)
            {
                same++;
            }
        }

        CHECK_INT(same, ref2.n, "gemini %s: same data", k ? "CR" : "LF");

        events_free(&ref2);
    }

    events_free(&ref);
    free(alt);
    free(tmp);
    free(buf);
}


static llmgw_sse_rc_e
feed_all(llmgw_sse_t *sse, pool_t *pool, events_t *e, size_t max,
    const char **pieces)
{
    llmgw_sse_rc_e  rc;

    memset(pool, 0, sizeof(pool_t));
    memset(e, 0, sizeof(events_t));

    sse->alloc = pool_alloc;
    sse->alloc_data = pool;
    sse->event = on_event;
    sse->event_data = e;
    sse->max_event = max;
    llmgw_sse_init(sse);

    rc = LLMGW_SSE_OK;

    while (*pieces && rc == LLMGW_SSE_OK) {
        rc = llmgw_sse_feed(sse, (const unsigned char *) *pieces,
                            strlen(*pieces));
        pieces++;
    }

    return rc;
}


static void
test_limits(void)
{
    size_t                 i, n, len;
    pool_t                 pool;
    unsigned               bad;
    events_t               e, ref, got;
    llmgw_sse_t            sse;
    unsigned char         *big, *buf;
    llmgw_sse_rc_e         rc;

    static const char  *one[] = { "data: a\n\n", NULL };
    static const char  *held[] = { "data: a\n", "\n", NULL };
    static const char  *open[] = { "data: aaaaaaaaaaa", NULL };
    static const char  *two[] = { "data: 1\n\n", "data: 2\n\ndata: 3\n\n",
                                  NULL };

    rc = feed_all(&sse, &pool, &e, 9, one);
    CHECK(rc == LLMGW_SSE_OK && e.n == 1, "event of max_event bytes in place");
    events_free(&e);
    pool_free(&pool);

    rc = feed_all(&sse, &pool, &e, 8, one);
    CHECK(rc == LLMGW_SSE_TOO_LONG && e.n == 0,
          "event over max_event in place: rc %d", rc);
    events_free(&e);
    pool_free(&pool);

    rc = feed_all(&sse, &pool, &e, 9, held);
    CHECK(rc == LLMGW_SSE_OK && e.n == 1, "event of max_event bytes held");
    CHECK(pool.n == 1 && pool.sizes[0] == 9,
          "hold capped at max_event: %u allocations, first %zu", pool.n,
          pool.n ? pool.sizes[0] : 0);
    events_free(&e);
    pool_free(&pool);

    rc = feed_all(&sse, &pool, &e, 8, held);
    CHECK(rc == LLMGW_SSE_TOO_LONG && e.n == 0,
          "held event over max_event: rc %d", rc);
    events_free(&e);
    pool_free(&pool);

    rc = feed_all(&sse, &pool, &e, 16, open);
    CHECK(rc == LLMGW_SSE_TOO_LONG, "unfinished event over max_event");
    events_free(&e);
    pool_free(&pool);

    rc = feed_all(&sse, &pool, &e, 0, one);
    CHECK(rc == LLMGW_SSE_TOO_LONG, "max_event 0");
    events_free(&e);
    pool_free(&pool);

    /* the hold grows by doubling from 1024, copying what it held */
    n = 10000;
    big = malloc(n + 2);
    memcpy(big, "data: ", 6);
    for (i = 6; i < n; i++) {
        big[i] = (unsigned char) ('a' + i % 26);
    }
    big[n] = '\n';
    big[n + 1] = '\n';

    memset(&pool, 0, sizeof(pool));
    memset(&e, 0, sizeof(e));
    sse.alloc = pool_alloc;
    sse.alloc_data = &pool;
    sse.event = on_event;
    sse.event_data = &e;
    sse.max_event = 1 << 20;
    llmgw_sse_init(&sse);

    rc = LLMGW_SSE_OK;
    for (i = 0; i < n + 2 && rc == LLMGW_SSE_OK; i++) {
        rc = llmgw_sse_feed(&sse, big + i, 1);
    }

    CHECK(rc == LLMGW_SSE_OK && e.n == 1, "10000 bytes one at a time");
    CHECK(e.n == 1 && e.len[0] == n + 2 && memcmp(e.ev[0], big, n + 2) == 0,
          "10000-byte event intact");
    CHECK_INT(pool.n, 5, "allocations for 10002 bytes");
    for (i = 0; i < pool.n; i++) {
        CHECK_INT(pool.sizes[i], 1024 << i, "allocation %zu", i);
    }
    events_free(&e);
    pool_free(&pool);

    /* a cap that is not a power of two is reached exactly */
    memset(&pool, 0, sizeof(pool));
    sse.max_event = 1500;
    llmgw_sse_init(&sse);
    rc = llmgw_sse_feed(&sse, big, 600);
    CHECK(rc == LLMGW_SSE_OK && pool.n == 1 && pool.sizes[0] == 1024,
          "hold of 1024: rc %d, %u allocations", rc, pool.n);
    rc = llmgw_sse_feed(&sse, big + 600, 800);
    CHECK(rc == LLMGW_SSE_OK && pool.n == 2 && pool.sizes[1] == 1500,
          "hold grows to the cap: rc %d, %u allocations", rc, pool.n);
    rc = llmgw_sse_feed(&sse, big + 1400, 100);
    CHECK_INT(rc, LLMGW_SSE_OK, "up to the cap");
    rc = llmgw_sse_feed(&sse, big + 1500, 1);
    CHECK_INT(rc, LLMGW_SSE_TOO_LONG, "one past the cap");
    pool_free(&pool);
    free(big);

    /* out of memory */
    memset(&pool, 0, sizeof(pool));
    pool.fail = 1;
    sse.max_event = 1 << 20;
    llmgw_sse_init(&sse);
    CHECK_INT(llmgw_sse_feed(&sse, S("data: x\n\ndata: y\n\n")),
              LLMGW_SSE_OK, "no memory needed in place");
    CHECK_INT(llmgw_sse_feed(&sse, S("data: z")), LLMGW_SSE_NOMEM,
              "no memory to hold");
    events_free(&e);
    pool_free(&pool);

    /* the callback stops the stream */
    memset(&pool, 0, sizeof(pool));
    memset(&e, 0, sizeof(e));
    e.abort_at = 2;
    sse.max_event = 1 << 20;
    llmgw_sse_init(&sse);
    rc = LLMGW_SSE_OK;
    for (i = 0; two[i] && rc == LLMGW_SSE_OK; i++) {
        rc = llmgw_sse_feed(&sse, (const unsigned char *) two[i],
                            strlen(two[i]));
    }
    CHECK(rc == LLMGW_SSE_ABORT && e.n == 2, "abort: rc %d after %u", rc, e.n);
    events_free(&e);
    pool_free(&pool);

    /*
     * The cap does not depend on the split: a cap of the longest event
     * passes at every split, one byte less fails at every split.
     */
    buf = unit_read_file(fixtures, "openai-parse_pydantic_model.sse", &len);
    memset(&ref, 0, sizeof(ref));
    memset(&got, 0, sizeof(got));
    reference(&ref, buf, len);

    n = 0;
    for (i = 0; i < ref.n; i++) {
        n = ref.len[i] > n ? ref.len[i] : n;
    }

    bad = 0;

    for (i = 0; i <= len; i++) {
        run(&got, buf, len, i, i, 0, n);
        if (!events_eq(&got, &ref) && bad++ == 0) {
            UNIT_FAIL("cap %zu, split at %zu: rc %d", n, i, got.rc);
        }
        events_free(&got);

        run(&got, buf, len, i, i, 0, n - 1);
        if (got.rc != LLMGW_SSE_TOO_LONG && bad++ == 0) {
            UNIT_FAIL("cap %zu, split at %zu: rc %d", n - 1, i, got.rc);
        }
        events_free(&got);
    }

    CHECK_INT(bad, 0, "the cap at every split");

    events_free(&ref);
    free(buf);
}


static void
check_fields(const char *raw, const char *event, const char *data,
    unsigned lines, int in_place)
{
    size_t               len;
    unsigned char       *r, *buf;
    llmgw_sse_fields_t   f;

    len = strlen(raw);
    r = malloc(len + 1);
    memcpy(r, raw, len);
    buf = malloc(len + 1);

    llmgw_sse_parse_fields(r, len, buf, &f);

    if (event) {
        CHECK(f.event != NULL, "fields of %s: event", raw);
        if (f.event) {
            CHECK_STR(f.event, f.event_len, event, "fields of %s: event",
                      raw);
        }
    } else {
        CHECK(f.event == NULL, "fields of %s: no event", raw);
    }

    if (data) {
        CHECK(f.data != NULL, "fields of %s: data", raw);
        if (f.data) {
            CHECK_STR(f.data, f.data_len, data, "fields of %s: data", raw);
        }
        if (in_place >= 0) {
            CHECK_INT(f.data >= r && f.data <= r + len, in_place,
                      "fields of %s: data in place", raw);
        }
    } else {
        CHECK(f.data == NULL && f.data_len == 0, "fields of %s: no data",
              raw);
    }

    CHECK_INT(f.data_lines, lines, "fields of %s: data lines", raw);

    free(buf);
    free(r);
}


static void
test_fields(void)
{
    llmgw_sse_fields_t  f;

    check_fields("data: x\n\n", NULL, "x", 1, 1);
    check_fields("event: delta\ndata: {\"a\":1}\n\n", "delta", "{\"a\":1}",
                 1, 1);
    check_fields("data: a\ndata: b\n\n", NULL, "a\nb", 2, 0);
    check_fields("data: a\r\ndata:\r\ndata:  c\r\n\r\n", NULL, "a\n\n c", 3,
                 0);
    check_fields("data:a\rdata: b\r\r", NULL, "a\nb", 2, 0);
    check_fields("data\n\n", NULL, "", 1, 1);
    check_fields("data:\n\n", NULL, "", 1, 1);
    check_fields("data: \n\n", NULL, "", 1, 1);
    check_fields(": comment\ndata: x\n: data: y\n\n", NULL, "x", 1, 1);
    check_fields("id: 7\nretry: 100\nfoo: bar\n\n", NULL, NULL, 0, -1);
    check_fields("event: a\nevent: b\n\n", "b", NULL, 0, -1);
    check_fields("event:\ndata: x\n\n", "", "x", 1, 1);
    check_fields("event\n\n", "", NULL, 0, -1);
    check_fields("Data: x\ndata : y\n data: z\n\n", NULL, NULL, 0, -1);
    check_fields("data: x: y\n\n", NULL, "x: y", 1, 1);
    check_fields("data: x", NULL, "x", 1, 1);
    check_fields("data: x\r", NULL, "x", 1, 1);
    check_fields("event: e\ndata: 1\ndata: 2\nevent: f\ndata: 3\n\n", "f",
                 "1\n2\n3", 3, 0);
    check_fields("\n", NULL, NULL, 0, -1);
    check_fields("data: 0123456789012345678901234567890123456789012345678901"
                 "23456789\rdata:\r\nevent: 0123456789012345678901234567890"
                 "1234567890123456789\n\n", "01234567890123456789012345678"
                 "901234567890123456789", "01234567890123456789012345678901"
                 "2345678901234567890123456789\n", 2, 0);
    check_fields("\r\n\r\ndata: a\r\r\ndata: b", NULL, "a\nb", 2, 0);
    check_fields("data: a\r", NULL, "a", 1, 1);

    llmgw_sse_parse_fields(NULL, 0, NULL, &f);
    CHECK(f.data == NULL && f.event == NULL && f.data_lines == 0,
          "fields of nothing");
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }

    test_cases();
    test_crlf_across_feeds();
    test_line_ends();
    test_openai();
    test_anthropic();
    test_gemini();
    test_limits();
    test_fields();

    UNIT_DONE("unit_sse");
}
