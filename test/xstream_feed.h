/*
 * llmgw unit tests of the translators: what they share.  A provider's SSE
 * stream through the splitter and an xstream, as the gateway feeds it,
 * whole, cut in two or byte by byte; what an OpenAI client and an
 * Anthropic client read from the output; JSON and error checks.
 *
 * The functions are static inline: a test that uses some of them gets no
 * warning for the others.
 */

#ifndef _LLMGW_XSTREAM_FEED_H_INCLUDED_
#define _LLMGW_XSTREAM_FEED_H_INCLUDED_

#include <stdint.h>

#include "llmgw_xlate.h"
#include "llmgw_sse.h"
#include "unit.h"


/* JSON text, parsed; a bad one in a test ends the run.  A test that
 * writes its JSON otherwise defines FEED_OWN_PARSE and parse() */

#ifdef FEED_OWN_PARSE

static json_t *parse(const char *text);

#else

static inline json_t *
parse(const char *text)
{
    json_t        *v;
    json_error_t   e;

    v = json_loads(text, JSON_DECODE_ANY, &e);
    if (v == NULL) {
        fprintf(stderr, "bad JSON in a test: %s: %s\n", e.text, text);
        exit(2);
    }

    return v;
}

#endif


/* got (released here) is the JSON text want */

static inline void
check_json(const char *what, json_t *got, const char *want)
{
    char    *g, *w;
    json_t  *v;

    v = parse(want);

    g = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
            : NULL;
    w = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

    CHECK(got && json_equal(got, v), "%s:\n    got  %s\n    want %s", what,
          g ? g : "NULL", w);

    free(g);
    free(w);
    json_decref(v);
    json_decref(got);
}


static inline void
check_err(const char *what, const llmgw_xerr_t *err, int status,
    const char *type, const char *needle)
{
    CHECK_INT(err->status, status, "%s: status (%s)", what, err->message);
    CHECK(err->type && strcmp(err->type, type) == 0, "%s: type %s, want %s",
          what, err->type ? err->type : "NULL", type);
    CHECK(strstr(err->message, needle) != NULL,
          "%s: message \"%s\" does not name \"%s\"", what, err->message,
          needle);
}


/* f's error_in on the JSON text body: rc, and when 0, the error */

static inline void
check_error_in(const llmgw_format_t *f, const char *body, int status, int rc,
    int want_status, const char *type, const char *msg)
{
    json_t        *b;
    llmgw_xerr_t   err;

    b = parse(body);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    CHECK_INT(f->error_in(b, status, &err), rc, "error_in %s", body);

    if (rc == 0) {
        check_err(body, &err, want_status, type, msg);
    }

    json_decref(b);
}


/*
 * Streams: the bytes through the SSE splitter and an xstream, as the
 * gateway does: each event's fields to llmgw_xstream_event, but for blank
 * events, the bytes of an event never ended by a blank line as a last
 * event, then llmgw_xstream_end.  The client's output is collected.
 */

typedef struct {
    void   **blocks;
    size_t   n;
} feed_pool_t;


typedef struct {
    llmgw_xstream_t   s;
    llmgw_out_t       got;
} feed_t;


static inline void *
feed_alloc(void *data, size_t size)
{
    void         **b;
    feed_pool_t   *pool;

    pool = data;

    b = realloc(pool->blocks, (pool->n + 1) * sizeof(void *));
    if (b == NULL) {
        abort();
    }

    pool->blocks = b;
    pool->blocks[pool->n] = malloc(size);

    return pool->blocks[pool->n++];
}


static inline int
feed_event(void *data, const unsigned char *raw, size_t len)
{
    size_t               i;
    feed_t              *r;
    unsigned char       *buf;
    llmgw_sse_fields_t   f;

    r = data;

    for (i = 0; i < len && (raw[i] == '\r' || raw[i] == '\n'); i++) {
        /* void */
    }

    if (i == len) {
        return 0;
    }

    buf = malloc(len + 1);
    llmgw_sse_parse_fields(raw, len, buf, &f);
    llmgw_xstream_event(&r->s, (const char *) f.event, f.event_len,
                        (const char *) f.data, f.data_len);
    free(buf);

    llmgw_out_raw(&r->got, r->s.out.data, r->s.out.len);
    r->s.out.len = 0;

    return 0;
}


/* feeds p[0..n) cut at cut, or byte by byte, to a stream for the model
 * "client-model"; got: the client's output, NUL-terminated beyond its
 * len */

static inline void
run_stream(llmgw_out_t *got, const llmgw_format_t *provider,
    const llmgw_format_t *client, const unsigned char *p, size_t n,
    size_t cut, unsigned bytewise)
{
    size_t                i, len;
    feed_t                r;
    llmgw_sse_t           sse;
    feed_pool_t           pool;
    unsigned char        *piece;
    const unsigned char  *raw;

    memset(&r, 0, sizeof(feed_t));
    memset(&pool, 0, sizeof(feed_pool_t));

    if (llmgw_xstream_init(&r.s, provider, client, "client-model", 12,
                           1700000000)
        != 0)
    {
        abort();
    }

    r.s.include_usage = 1;

    sse.alloc = feed_alloc;
    sse.alloc_data = &pool;
    sse.event = feed_event;
    sse.event_data = &r;
    sse.max_event = 1 << 20;
    llmgw_sse_init(&sse);

    for (i = 0; i < n; i += len) {
        len = bytewise ? 1 : (i < cut ? cut - i : n - i);

        piece = malloc(len);
        memcpy(piece, p + i, len);

        if (llmgw_sse_feed(&sse, piece, len) != LLMGW_SSE_OK) {
            abort();
        }

        free(piece);
    }

    len = llmgw_sse_pending(&sse, &raw);

    if (len) {
        feed_event(&r, raw, len);
    }

    llmgw_xstream_end(&r.s);
    llmgw_out_raw(&r.got, r.s.out.data, r.s.out.len);
    llmgw_out_raw(&r.got, "", 1);

    while (pool.n) {
        free(pool.blocks[--pool.n]);
    }

    free(pool.blocks);
    llmgw_xstream_free(&r.s);

    if (r.got.failed) {
        abort();
    }

    r.got.len--;
    *got = r.got;
}


static inline void
run_text(llmgw_out_t *got, const llmgw_format_t *provider,
    const llmgw_format_t *client, const char *text)
{
    run_stream(got, provider, client, (const unsigned char *) text,
               strlen(text), strlen(text), 0);
}


/* the same output whole, at every cut in two, and byte by byte */

static inline void
run_splits(const char *what, llmgw_out_t *whole,
    const llmgw_format_t *provider, const llmgw_format_t *client,
    const unsigned char *p, size_t n)
{
    size_t       c;
    unsigned     bad;
    llmgw_out_t  got;

    run_stream(whole, provider, client, p, n, n, 0);
    CHECK(whole->len > 0, "%s: output", what);

    bad = 0;

    for (c = 0; c <= n; c++) {
        run_stream(&got, provider, client, p, n, c, 0);

        if ((got.len != whole->len
             || memcmp(got.data, whole->data, got.len) != 0)
            && bad++ == 0)
        {
            UNIT_FAIL("%s: split at %zu differs", what, c);
        }

        llmgw_out_free(&got);
    }

    CHECK_INT(bad, 0, "%s: every split in two gives the same output", what);

    run_stream(&got, provider, client, p, n, 0, 1);
    CHECK_MEM(got.data, got.len, whole->data, whole->len,
              "%s: byte by byte", what);
    llmgw_out_free(&got);
}


/* the same output when the stream's "event:" lines are left out (the
 * data's type says what an event is); p is NUL-terminated at n */

static inline void
check_unnamed(const char *what, const llmgw_format_t *provider,
    const unsigned char *p, size_t n)
{
    size_t        k, len;
    char         *q;
    const char   *line;
    llmgw_out_t   named, unnamed;

    q = malloc(n + 1);
    k = 0;

    for (line = (const char *) p; *line; ) {
        len = strcspn(line, "\n");

        if (strncmp(line, "event:", 6) != 0) {
            memcpy(q + k, line, len);
            k += len;

            if (line[len] == '\n') {
                q[k++] = '\n';
            }
        }

        line += len + (line[len] == '\n');
    }

    run_stream(&named, provider, &llmgw_format_openai, p, n, n, 0);
    run_stream(&unnamed, provider, &llmgw_format_openai,
               (unsigned char *) q, k, k, 0);
    CHECK_MEM(unnamed.data, unnamed.len, named.data, named.len,
              "%s: events without names", what);

    llmgw_out_free(&named);
    llmgw_out_free(&unnamed);
    free(q);
}


static inline int
contains(const llmgw_out_t *o, const char *needle)
{
    size_t  i, n;

    n = strlen(needle);

    for (i = 0; i + n <= o->len; i++) {
        if (memcmp(o->data + i, needle, n) == 0) {
            return 1;
        }
    }

    return 0;
}


static inline const char *
str0(json_t *obj, const char *key)
{
    const char  *s;

    s = llmgw_json_str(obj, key, NULL);

    return s ? s : "";
}


/* a count of a usage, -1 when it is not there */

static inline int64_t
usage_of(json_t *usage, const char *key)
{
    json_t  *v;

    v = json_object_get(usage, key);

    return json_is_integer(v) ? json_integer_value(v) : -1;
}


/* each event of out, a string ended by a blank line, to one(); 1 when the
 * last is not ended so */

static inline unsigned
out_events(const llmgw_out_t *out, void (*one)(void *data, char *ev),
    void *data)
{
    char      *text, *ev, *next;
    unsigned   unended;

    text = malloc(out->len + 1);
    memcpy(text, out->data, out->len);
    text[out->len] = '\0';
    unended = 0;

    for (ev = text; *ev; ev = next) {
        next = strstr(ev, "\n\n");

        if (next == NULL) {
            unended = 1;
            break;
        }

        *next = '\0';
        next += 2;
        one(data, ev);
    }

    free(text);

    return unended;
}


/* what an OpenAI client reads from the chunks */

typedef struct {
    llmgw_out_t   text;
    llmgw_out_t   reasoning;
    llmgw_out_t   args[4];
    char          id[4][64];
    char          name[4][64];
    char          chunk_id[80];
    unsigned      tools;        /* the highest index + 1 */
    char          finish[32];
    unsigned      finishes;
    json_t       *usage;
    unsigned      usages;
    unsigned      usage_last;   /* the usage chunk came last before [DONE] */
    char          error[64];
    char          error_msg[256];
    unsigned      errors;
    unsigned      done;
    unsigned      bad;
    unsigned      after_end;    /* chunks after [DONE] or an error */
} oai_t;


/* when set: the id and model every chunk must have, else it is bad */
static const char  *oai_want_id;
static const char  *oai_want_model;


static inline void
oai_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}


static inline void
oai_tools(oai_t *o, json_t *calls)
{
    size_t       i;
    json_t      *call, *fn, *v;
    json_int_t   k;
    const char  *s;

    json_array_foreach(calls, i, call) {
        k = json_integer_value(json_object_get(call, "index"));
        fn = json_object_get(call, "function");

        if (k < 0 || k >= 4) {
            o->bad++;
            continue;
        }

        if ((unsigned) k + 1 > o->tools) {
            o->tools = (unsigned) k + 1;
        }

        if ((v = json_object_get(call, "id")) != NULL) {
            oai_copy(o->id[k], 64, json_string_value(v));
        }

        if ((s = llmgw_json_str(fn, "name", NULL)) != NULL) {
            oai_copy(o->name[k], 64, s);
        }

        if ((s = llmgw_json_str(fn, "arguments", NULL)) != NULL) {
            llmgw_out_cstr(&o->args[k], s);
        }
    }
}


static inline void
oai_chunk(oai_t *o, json_t *c)
{
    json_t      *choice, *delta, *e;
    const char  *s;

    e = json_object_get(c, "error");

    if (e) {
        o->errors++;
        oai_copy(o->error, sizeof(o->error), llmgw_json_str(e, "type", NULL));
        oai_copy(o->error_msg, sizeof(o->error_msg),
                 llmgw_json_str(e, "message", NULL));
        return;
    }

    oai_copy(o->chunk_id, sizeof(o->chunk_id), llmgw_json_str(c, "id", NULL));

    if ((oai_want_id && strcmp(str0(c, "id"), oai_want_id) != 0)
        || (oai_want_model && strcmp(str0(c, "model"), oai_want_model) != 0))
    {
        o->bad++;
    }

    o->usage_last = 0;

    if (json_is_object(json_object_get(c, "usage"))) {
        json_decref(o->usage);
        o->usage = json_incref(json_object_get(c, "usage"));
        o->usages++;
        o->usage_last = 1;
    }

    choice = json_array_get(json_object_get(c, "choices"), 0);
    delta = json_object_get(choice, "delta");

    s = llmgw_json_str(delta, "content", NULL);
    if (s) {
        llmgw_out_cstr(&o->text, s);
    }

    s = llmgw_json_str(delta, "reasoning_content", NULL);
    if (s) {
        llmgw_out_cstr(&o->reasoning, s);
    }

    oai_tools(o, json_object_get(delta, "tool_calls"));

    s = llmgw_json_str(choice, "finish_reason", NULL);
    if (s) {
        oai_copy(o->finish, sizeof(o->finish), s);
        o->finishes++;
    }
}


static inline void
oai_event(void *data, char *ev)
{
    oai_t   *o;
    json_t  *c;

    o = data;

    if (o->done || o->errors) {
        o->after_end++;
    }

    if (strncmp(ev, "data: ", 6) != 0) {
        o->bad++;
        return;
    }

    if (strcmp(ev + 6, "[DONE]") == 0) {
        o->done++;
        return;
    }

    c = json_loads(ev + 6, 0, NULL);

    if (!json_is_object(c)) {
        o->bad++;
        json_decref(c);
        return;
    }

    oai_chunk(o, c);
    json_decref(c);
}


static inline void
oai_read(oai_t *o, const llmgw_out_t *out)
{
    memset(o, 0, sizeof(oai_t));
    o->bad += out_events(out, oai_event, o);
}


static inline void
oai_free(oai_t *o)
{
    unsigned  i;

    llmgw_out_free(&o->text);
    llmgw_out_free(&o->reasoning);

    for (i = 0; i < 4; i++) {
        llmgw_out_free(&o->args[i]);
    }

    json_decref(o->usage);
}


/*
 * What an Anthropic client reads from the events: seq names them, with
 * runs of deltas to one block written once: "start(text,0) delta(0)
 * stop(0)".  bad counts events whose name is not their data's type,
 * deltas to a block not open, blocks started twice or stopped unopened.
 */

typedef struct {
    char          seq[1024];
    llmgw_out_t   text;
    llmgw_out_t   thinking;
    llmgw_out_t   args;
    json_t       *start;        /* message_start's message */
    json_t       *delta;        /* message_delta */
    json_t       *error;
    json_t       *tool;         /* the first tool_use block */
    unsigned      bad;
    unsigned      open[64];     /* 1 started, 2 stopped */
} ant_t;


static inline void
ant_seq(ant_t *a, const char *s)
{
    size_t  n;

    n = strlen(a->seq);
    snprintf(a->seq + n, sizeof(a->seq) - n, "%s%s", n ? " " : "", s);
}


static inline void
ant_block(ant_t *a, json_int_t i, json_t *block)
{
    char         tok[64];
    const char  *type;

    type = llmgw_json_str(block, "type", NULL);

    if (a->open[i] || type == NULL) {
        a->bad++;
    }

    a->open[i] = 1;

    if (strcmp(type ? type : "", "tool_use") == 0 && a->tool == NULL) {
        a->tool = json_incref(block);
    }

    snprintf(tok, sizeof(tok), "start(%s,%d)", type ? type : "?", (int) i);
    ant_seq(a, tok);
}


static inline void
ant_delta(ant_t *a, json_int_t i, json_t *delta)
{
    char         tok[64], last[64];
    size_t       n;
    const char  *type, *p;

    type = llmgw_json_str(delta, "type", NULL);

    if (a->open[i] != 1 || type == NULL) {
        a->bad++;
        return;
    }

    if (strcmp(type, "text_delta") == 0) {
        llmgw_out_cstr(&a->text, llmgw_json_str(delta, "text", NULL));

    } else if (strcmp(type, "thinking_delta") == 0) {
        llmgw_out_cstr(&a->thinking, llmgw_json_str(delta, "thinking", NULL));

    } else if (strcmp(type, "input_json_delta") == 0) {
        llmgw_out_cstr(&a->args, llmgw_json_str(delta, "partial_json", NULL));
    }

    snprintf(tok, sizeof(tok), "delta(%d)", (int) i);

    /* a run of deltas to one block once */
    n = strlen(a->seq);
    p = a->seq + n;

    while (p > a->seq && p[-1] != ' ') {
        p--;
    }

    snprintf(last, sizeof(last), "%s", p);

    if (strcmp(last, tok) != 0) {
        ant_seq(a, tok);
    }
}


static inline void
ant_event(ant_t *a, const char *name, json_t *ev)
{
    char         tok[64];
    json_int_t   i;
    const char  *type;

    type = llmgw_json_str(ev, "type", NULL);

    if (type == NULL || strcmp(type, name) != 0) {
        a->bad++;
        return;
    }

    i = json_integer_value(json_object_get(ev, "index"));

    if (i < 0 || i >= 64) {
        a->bad++;
        return;
    }

    if (strcmp(name, "content_block_start") == 0) {
        ant_block(a, i, json_object_get(ev, "content_block"));
        return;
    }

    if (strcmp(name, "content_block_delta") == 0) {
        ant_delta(a, i, json_object_get(ev, "delta"));
        return;
    }

    if (strcmp(name, "content_block_stop") == 0) {
        if (a->open[i] != 1) {
            a->bad++;
        }

        a->open[i] = 2;
        snprintf(tok, sizeof(tok), "stop(%d)", (int) i);
        ant_seq(a, tok);
        return;
    }

    if (strcmp(name, "message_start") == 0) {
        a->start = json_incref(json_object_get(ev, "message"));

    } else if (strcmp(name, "message_delta") == 0) {
        a->delta = json_incref(ev);

    } else if (strcmp(name, "error") == 0) {
        a->error = json_incref(json_object_get(ev, "error"));
    }

    ant_seq(a, name);
}


static inline void
ant_text(void *data, char *ev)
{
    char    *nl;
    ant_t   *a;
    json_t  *v;

    a = data;
    nl = strchr(ev, '\n');

    if (strncmp(ev, "event: ", 7) != 0 || nl == NULL
        || strncmp(nl + 1, "data: ", 6) != 0)
    {
        a->bad++;
        return;
    }

    *nl = '\0';
    v = json_loads(nl + 7, 0, NULL);

    if (v == NULL) {
        a->bad++;
        return;
    }

    ant_event(a, ev + 7, v);
    json_decref(v);
}


static inline void
ant_read(ant_t *a, const llmgw_out_t *out)
{
    memset(a, 0, sizeof(ant_t));
    a->bad += out_events(out, ant_text, a);
}


static inline void
ant_free(ant_t *a)
{
    llmgw_out_free(&a->text);
    llmgw_out_free(&a->thinking);
    llmgw_out_free(&a->args);
    json_decref(a->start);
    json_decref(a->delta);
    json_decref(a->error);
    json_decref(a->tool);
}

#endif /* _LLMGW_XSTREAM_FEED_H_INCLUDED_ */
