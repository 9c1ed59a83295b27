/*
 * Unit tests of src/llmgw_evstream.c: the AWS SDK's event stream vectors
 * (fixtures/evstream, from aws/aws-sdk-go) and Bedrock converse-stream
 * recordings (fixtures/bedrock, from pydantic/pydantic-ai), fed whole,
 * byte by byte, split in two at every byte and in small pieces; frames
 * made here for the limits, malformed headers, truncation, trailing
 * garbage and a handler that stops the stream.
 */

#include <stdint.h>

#include <jansson.h>

#include "llmgw_evstream.h"
#include "crc32.h"
#include "unit.h"


#define MAX_MESSAGES  256


static const char  *fixtures = "fixtures";


static const char  *positive[] = {
    "all_headers", "empty_message", "int32_header", "payload_no_headers",
    "payload_one_str_header"
};

static const char  *negative[] = {
    "corrupted_header_len", "corrupted_headers", "corrupted_length",
    "corrupted_payload"
};

static const char  *bedrock[] = {
    "test_bedrock_model_code_execution_tool_stream",
    "test_bedrock_model_iter_stream.0",
    "test_bedrock_model_iter_stream.1",
    "test_bedrock_model_stream",
    "test_bedrock_model_stream_empty_text_delta",
    "test_bedrock_model_thinking_part_redacted_stream",
    "test_bedrock_model_thinking_part_stream",
    "test_stream_cancel"
};


/* a copy of what a message said */

typedef struct {
    unsigned char  *headers;
    size_t          headers_len;
    unsigned char  *payload;
    size_t          payload_len;
    char           *known[6];          /* NUL-terminated, or NULL */
} msg_t;


typedef struct {
    msg_t                 msgs[MAX_MESSAGES];
    size_t                n;
    int                   rc;
    const char           *error;
    int                   idle;
    size_t                stop_at;     /* the handler returns -1 there */
    size_t                in_place;    /* messages inside the fed piece */
    const unsigned char  *piece;
    size_t                piece_len;
} run_t;


static char *
copy_str(const unsigned char *p, size_t len)
{
    char  *s;

    if (p == NULL) {
        return NULL;
    }

    s = malloc(len + 1);
    memcpy(s, p, len);
    s[len] = '\0';

    return s;
}


static unsigned char *
copy_mem(const unsigned char *p, size_t len)
{
    unsigned char  *c;

    c = malloc(len ? len : 1);

    if (len) {
        memcpy(c, p, len);
    }

    return c;
}


static int
inside(const run_t *r, const unsigned char *p, size_t len)
{
    return p >= r->piece && p + len <= r->piece + r->piece_len;
}


static int
on_message(void *data, const llmgw_evs_message_t *m)
{
    run_t  *r;
    msg_t  *g;

    r = data;

    if (r->n == MAX_MESSAGES) {
        abort();
    }

    g = &r->msgs[r->n];

    g->headers = copy_mem(m->headers, m->headers_len);
    g->headers_len = m->headers_len;
    g->payload = copy_mem(m->payload, m->payload_len);
    g->payload_len = m->payload_len;

    g->known[0] = copy_str(m->message_type, m->message_type_len);
    g->known[1] = copy_str(m->event_type, m->event_type_len);
    g->known[2] = copy_str(m->exception_type, m->exception_type_len);
    g->known[3] = copy_str(m->error_code, m->error_code_len);
    g->known[4] = copy_str(m->error_message, m->error_message_len);
    g->known[5] = copy_str(m->content_type, m->content_type_len);

    if (inside(r, m->headers - 12, 12 + m->headers_len + m->payload_len + 4))
    {
        r->in_place++;
    }

    return r->n++ == r->stop_at ? -1 : 0;
}


static void
run_free(run_t *r)
{
    size_t  i, k;

    for (i = 0; i < r->n; i++) {
        free(r->msgs[i].headers);
        free(r->msgs[i].payload);

        for (k = 0; k < 6; k++) {
            free(r->msgs[i].known[k]);
        }
    }

    r->n = 0;
}


/*
 * Feeds a first piece of first bytes, then pieces of step bytes, each in
 * a buffer of its own so that ASan sees a read past it.
 */

static void
run_pieces(run_t *r, llmgw_evs_t *e, const unsigned char *data, size_t len,
    size_t first, size_t step)
{
    size_t          i, n;
    unsigned char  *piece;

    r->rc = 0;

    for (i = 0; i < len && r->rc == 0; i += n) {
        n = (i == 0) ? first : step;
        n = (n < len - i) ? n : len - i;

        piece = copy_mem(data + i, n);
        r->piece = piece;
        r->piece_len = n;

        r->rc = llmgw_evs_feed(e, piece, n);

        free(piece);
    }

    r->piece = NULL;
    r->piece_len = 0;
}


static void
run(run_t *r, const unsigned char *data, size_t len, size_t first,
    size_t step, size_t stop_at)
{
    llmgw_evs_t  e;

    memset(r, 0, sizeof(run_t));
    r->stop_at = stop_at;

    llmgw_evs_init(&e, test_crc32, on_message, r);

    run_pieces(r, &e, data, len, first, step);

    r->error = e.error;
    r->idle = llmgw_evs_idle(&e);

    if (r->rc != 0) {
        CHECK(llmgw_evs_feed(&e, data, len) == -1 && e.error == r->error,
              "a stopped stream stays stopped");
    }

    llmgw_evs_free(&e);
}


static int
same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}


static int
same_runs(const run_t *a, const run_t *b)
{
    size_t        i, k;
    const msg_t  *x, *y;

    if (a->n != b->n || a->rc != b->rc || !same_str(a->error, b->error)
        || a->idle != b->idle)
    {
        return 0;
    }

    for (i = 0; i < a->n; i++) {
        x = &a->msgs[i];
        y = &b->msgs[i];

        if (x->headers_len != y->headers_len
            || x->payload_len != y->payload_len
            || memcmp(x->headers, y->headers, x->headers_len) != 0
            || memcmp(x->payload, y->payload, x->payload_len) != 0)
        {
            return 0;
        }

        for (k = 0; k < 6; k++) {
            if (!same_str(x->known[k], y->known[k])) {
                return 0;
            }
        }
    }

    return 1;
}


/*
 * The input fed byte by byte, split in two at every byte and in pieces of
 * 2 to 7 bytes gives what it gives fed whole.
 */

static void
check_splits(const char *name, const unsigned char *data, size_t len,
    const run_t *whole, size_t stop_at)
{
    size_t  k, bad;
    run_t   r;

    bad = 0;

    for (k = 1; k <= 7; k++) {
        run(&r, data, len, k, k, stop_at);
        bad += !same_runs(whole, &r);
        CHECK(r.in_place == 0 || k > 1, "%s: byte by byte, nothing in place",
              name);
        run_free(&r);
    }

    for (k = 1; k < len; k++) {
        run(&r, data, len, k, len, stop_at);

        if (!same_runs(whole, &r)) {
            UNIT_FAIL("%s: split at %zu differs", name, k);
            bad++;
        }

        run_free(&r);
    }

    CHECK(bad == 0, "%s: %zu splits differ from the whole", name, bad);
}


static uint64_t
be(const unsigned char *p, size_t n)
{
    uint64_t  v;

    for (v = 0; n; n--) {
        v = v << 8 | *p++;
    }

    return v;
}


static size_t
base64_decode(unsigned char *dst, const char *src)
{
    int          v, bits;
    size_t       n;
    uint32_t     acc;
    const char  *c;

    static const char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    n = 0;
    acc = 0;
    bits = 0;

    for ( /* void */ ; *src && *src != '='; src++) {
        c = strchr(b64, *src);
        if (c == NULL) {
            return (size_t) -1;
        }

        v = (int) (c - b64);
        acc = acc << 6 | (uint32_t) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            dst[n++] = (unsigned char) (acc >> bits);
        }
    }

    return n;
}


static void
check_header(const char *where, const llmgw_evs_header_t *h, json_t *want)
{
    size_t           n;
    int64_t          v;
    const char      *name, *s;
    json_t          *value;
    unsigned char    buf[256];

    name = json_string_value(json_object_get(want, "name"));
    value = json_object_get(want, "value");

    CHECK_STR(h->name, h->name_len, name ? name : "?", "%s: name", where);
    CHECK_INT(h->type, json_integer_value(json_object_get(want, "type")),
              "%s: type of %s", where, name);

    switch (h->type) {

    case LLMGW_EVS_BOOL_TRUE:
    case LLMGW_EVS_BOOL_FALSE:
        CHECK(h->value == NULL && h->value_len == 0
              && json_is_boolean(value)
              && json_is_true(value) == (h->type == LLMGW_EVS_BOOL_TRUE),
              "%s: %s", where, name);
        break;

    case LLMGW_EVS_BYTES:
    case LLMGW_EVS_STRING:
    case LLMGW_EVS_UUID:
        s = json_string_value(value);
        n = s ? base64_decode(buf, s) : (size_t) -1;
        CHECK_MEM(h->value, h->value_len, buf, n, "%s: %s", where, name);
        break;

    default:
        /* sign-extended from the value's width */
        v = (int64_t) (be(h->value, h->value_len) << (64 - 8 * h->value_len));
        v >>= 64 - 8 * h->value_len;
        CHECK_INT(v, json_integer_value(value), "%s: %s (%zu bytes)", where,
                  name, h->value_len);
    }
}


static void
check_positive(const char *name)
{
    char                  path[256], where[300];
    size_t                len, i, n;
    json_t               *want, *headers;
    run_t                 whole;
    json_error_t          err;
    unsigned char        *data, payload[256];
    llmgw_evs_header_t    h;
    const unsigned char  *pos, *last;

    snprintf(path, sizeof(path), "evstream/encoded/positive/%s", name);
    data = unit_read_file(fixtures, path, &len);

    snprintf(path, sizeof(path), "%s/evstream/decoded/positive/%s", fixtures,
             name);
    want = json_load_file(path, 0, &err);

    if (want == NULL) {
        UNIT_FAIL("%s: %s", path, err.text);
        free(data);
        return;
    }

    /* the vector's own numbers; CRCs may be written signed */

    CHECK_INT(len, json_integer_value(json_object_get(want, "total_length")),
              "%s: total_length", name);
    CHECK_INT(be(data + 4, 4),
              json_integer_value(json_object_get(want, "headers_length")),
              "%s: headers_length", name);
    CHECK_INT(test_crc32(0, data, 8),
              (uint32_t) json_integer_value(json_object_get(want,
                                                            "prelude_crc")),
              "%s: prelude_crc", name);
    CHECK_INT(test_crc32(0, data, len - 4),
              (uint32_t) json_integer_value(json_object_get(want,
                                                            "message_crc")),
              "%s: message_crc", name);

    run(&whole, data, len, len, len, SIZE_MAX);

    CHECK(whole.rc == 0 && whole.n == 1 && whole.idle,
          "%s: one message, rc %d, n %zu, error %s", name, whole.rc, whole.n,
          whole.error ? whole.error : "none");
    CHECK_INT(whole.in_place, whole.n, "%s: handed out in place", name);

    if (whole.n == 1) {
        headers = json_object_get(want, "headers");
        pos = whole.msgs[0].headers;
        last = pos + whole.msgs[0].headers_len;

        for (i = 0; i < json_array_size(headers); i++) {
            snprintf(where, sizeof(where), "%s: header %zu", name, i);

            if (llmgw_evs_header_next(&pos, last, &h) != 1) {
                UNIT_FAIL("%s missing", where);
                break;
            }

            check_header(where, &h, json_array_get(headers, i));
        }

        CHECK_INT(llmgw_evs_header_next(&pos, last, &h), 0,
                  "%s: no more headers", name);

        n = base64_decode(payload,
                          json_string_value(json_object_get(want, "payload")));
        CHECK_MEM(whole.msgs[0].payload, whole.msgs[0].payload_len, payload,
                  n, "%s: payload", name);
    }

    check_splits(name, data, len, &whole, SIZE_MAX);

    run_free(&whole);
    json_decref(want);
    free(data);
}


static void
check_negative(const char *name)
{
    char            path[256], want[64];
    size_t          len, wlen, k;
    run_t           r;
    unsigned char  *data, *text;

    snprintf(path, sizeof(path), "evstream/encoded/negative/%s", name);
    data = unit_read_file(fixtures, path, &len);

    snprintf(path, sizeof(path), "evstream/decoded/negative/%s", name);
    text = unit_read_file(fixtures, path, &wlen);

    while (wlen && (text[wlen - 1] == '\n' || text[wlen - 1] == '\r')) {
        wlen--;
    }

    snprintf(want, sizeof(want), "%.*s", (int) wlen, (char *) text);

    for (k = 1; k <= len; k++) {
        run(&r, data, len, k, k == len ? len : 1, SIZE_MAX);

        if (r.rc != -1 || r.n != 0 || r.idle || !same_str(r.error, want)) {
            UNIT_FAIL("%s: first piece of %zu: rc %d, %zu messages, \"%s\", "
                      "want \"%s\"", name, k, r.rc, r.n,
                      r.error ? r.error : "", want);
        } else {
            unit_passed++;
        }

        run_free(&r);

        run(&r, data, len, k, len, SIZE_MAX);
        CHECK(r.rc == -1 && r.n == 0 && same_str(r.error, want),
              "%s: split at %zu: \"%s\"", name, k, r.error ? r.error : "");
        run_free(&r);
    }

    free(text);
    free(data);
}


/* the next line of a .jsonl file, NUL-terminated in place */
static char *
next_line(char **pos)
{
    char  *line, *nl;

    line = *pos;

    if (*line == '\0') {
        return NULL;
    }

    nl = strchr(line, '\n');

    if (nl) {
        *nl = '\0';
        *pos = nl + 1;

    } else {
        *pos = line + strlen(line);
    }

    return line;
}


static void
check_bedrock_frame(const char *where, const msg_t *m, json_t *want)
{
    json_t        *headers, *payload;
    json_error_t   err;

    static const struct {
        const char  *name;
        int          known;
    } h[] = {
        { ":message-type", 0 }, { ":event-type", 1 }, { ":content-type", 5 }
    };

    size_t  i;

    headers = json_object_get(want, "headers");

    for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
        CHECK(same_str(m->known[h[i].known],
                       json_string_value(json_object_get(headers,
                                                         h[i].name))),
              "%s: %s \"%s\"", where, h[i].name,
              m->known[h[i].known] ? m->known[h[i].known] : "(none)");
    }

    CHECK(m->known[2] == NULL && m->known[3] == NULL && m->known[4] == NULL,
          "%s: no exception or error headers", where);

    payload = json_loadb((const char *) m->payload, m->payload_len, 0, &err);
    CHECK(payload && json_equal(payload, json_object_get(want, "payload")),
          "%s: payload \"%.*s\"", where, (int) m->payload_len, m->payload);
    json_decref(payload);
}


static void
check_bedrock(const char *name)
{
    char           *lines, *pos, *line, file[256], where[300];
    size_t          len, llen, i;
    json_t         *want;
    run_t           whole;
    json_error_t    err;
    unsigned char  *data;

    snprintf(file, sizeof(file), "bedrock/%s.eventstream.bin", name);
    data = unit_read_file(fixtures, file, &len);

    snprintf(file, sizeof(file), "bedrock/%s.decoded.jsonl", name);
    lines = (char *) unit_read_file(fixtures, file, &llen);

    run(&whole, data, len, len, len, SIZE_MAX);

    CHECK(whole.rc == 0 && whole.idle, "%s: decoded: %s", name,
          whole.error ? whole.error : "ok");
    CHECK_INT(whole.in_place, whole.n, "%s: all in place", name);

    pos = lines;

    for (i = 0; (line = next_line(&pos)) != NULL; i++) {
        snprintf(where, sizeof(where), "%s: frame %zu", name, i);

        want = json_loads(line, 0, &err);

        if (want == NULL) {
            UNIT_FAIL("%s: %s", where, err.text);
            continue;
        }

        if (i < whole.n) {
            check_bedrock_frame(where, &whole.msgs[i], want);
        }

        json_decref(want);
    }

    CHECK_INT(whole.n, i, "%s: as many frames as lines", name);
    CHECK(whole.n > 3, "%s: a stream of %zu", name, whole.n);

    check_splits(name, data, len, &whole, SIZE_MAX);

    run_free(&whole);
    free(lines);
    free(data);
}


static unsigned char *
put_be32(unsigned char *p, uint32_t v)
{
    *p++ = (unsigned char) (v >> 24);
    *p++ = (unsigned char) (v >> 16);
    *p++ = (unsigned char) (v >> 8);
    *p++ = (unsigned char) v;

    return p;
}


/* a frame of the given header block and payload, CRCs right; its length */
static size_t
frame(unsigned char *buf, const char *headers, size_t hlen,
    const char *payload, size_t plen)
{
    unsigned char  *p;

    p = put_be32(buf, (uint32_t) (16 + hlen + plen));
    p = put_be32(p, (uint32_t) hlen);
    p = put_be32(p, test_crc32(0, buf, 8));

    memcpy(p, headers, hlen);
    p += hlen;
    memcpy(p, payload, plen);
    p += plen;

    p = put_be32(p, test_crc32(0, buf, p - buf));

    return p - buf;
}


/* a prelude of these lengths, its CRC right */
static void
prelude(unsigned char *buf, uint32_t total, uint32_t hlen)
{
    put_be32(put_be32(buf, total), hlen);
    put_be32(buf + 8, test_crc32(0, buf, 8));
}


#define H(s)  s, sizeof(s) - 1


static void
expect_error(const char *what, const unsigned char *data, size_t len,
    const char *want)
{
    run_t  r;

    run(&r, data, len, len, len, SIZE_MAX);
    CHECK(r.rc == -1 && r.n == 0 && same_str(r.error, want),
          "%s: \"%s\", want \"%s\"", what, r.error ? r.error : "", want);
    run_free(&r);

    run(&r, data, len, 1, 1, SIZE_MAX);
    CHECK(r.rc == -1 && r.n == 0 && same_str(r.error, want),
          "%s, byte by byte: \"%s\"", what, r.error ? r.error : "");
    run_free(&r);
}


static void
test_limits(void)
{
    size_t          n;
    run_t           r;
    unsigned char   buf[256];

    prelude(buf, LLMGW_EVS_MAX_MESSAGE + 1, 0);
    expect_error("total past the cap", buf, 12, "Message too large");

    prelude(buf, 0xffffffff, 0xffffffff);
    expect_error("total 2^32-1", buf, 12, "Message too large");

    prelude(buf, 15, 0);
    expect_error("total 15", buf, 12, "Malformed prelude");

    prelude(buf, 0, 0);
    expect_error("total 0", buf, 12, "Malformed prelude");

    prelude(buf, 20, 5);
    expect_error("headers past the payload", buf, 12, "Malformed prelude");

    prelude(buf, 16, 0xfffffff0);
    expect_error("headers length wraps", buf, 12, "Malformed prelude");

    /* the largest: its prelude is accepted and held */
    prelude(buf, LLMGW_EVS_MAX_MESSAGE, 0);
    run(&r, buf, 12, 12, 12, SIZE_MAX);
    CHECK(r.rc == 0 && !r.idle, "the largest message waits for its bytes");
    run_free(&r);

    n = frame(buf, H("\x04name\x0a"), H("{}"));
    expect_error("header type 10", buf, n, "Malformed headers");

    n = frame(buf, H("\x05name"), H("{}"));
    expect_error("header name past the block", buf, n, "Malformed headers");

    n = frame(buf, H("\x04name\x07\x00\x05val"), H("{}"));
    expect_error("string past the block", buf, n, "Malformed headers");

    n = frame(buf, H("\x04name\x07\x00"), H("{}"));
    expect_error("string length cut", buf, n, "Malformed headers");

    n = frame(buf, H("\x04name\x04\x00\x00\x01"), H("{}"));
    expect_error("int cut", buf, n, "Malformed headers");

    n = frame(buf, H("\x04name\x09\x00\x00\x01"), H("{}"));
    expect_error("uuid cut", buf, n, "Malformed headers");

    n = frame(buf, H("\x04name\x00\x00"), H(""));
    expect_error("a stray byte after the headers", buf, n,
                 "Malformed headers");
}


static void
test_known_headers(void)
{
    size_t                n;
    run_t                 r;
    unsigned char         buf[512];
    llmgw_evs_header_t    h;
    const unsigned char  *pos;

    static const char  headers[] =
        "\x0d" ":message-type" "\x07\x00\x09" "exception"
        "\x0f" ":exception-type" "\x07\x00\x13" "ThrottlingException"
        "\x0b" ":error-code" "\x07\x00\x04" "Slow"
        "\x0e" ":error-message" "\x07\x00\x05" "calm."
        "\x0b" ":event-type" "\x04\x00\x00\x00\x01"
        "\x0d" ":content-type" "\x06\x00\x10" "application/json";

    n = frame(buf, H(headers), H("{\"message\":\"Too many requests\"}"));
    run(&r, buf, n, n, n, SIZE_MAX);

    CHECK(r.rc == 0 && r.n == 1, "an exception: %s",
          r.error ? r.error : "ok");

    if (r.n == 1) {
        CHECK(same_str(r.msgs[0].known[0], "exception"), "message type");
        CHECK(same_str(r.msgs[0].known[2], "ThrottlingException"),
              "exception type");
        CHECK(same_str(r.msgs[0].known[3], "Slow"), "error code");
        CHECK(same_str(r.msgs[0].known[4], "calm."), "error message");
        CHECK(r.msgs[0].known[1] == NULL, "an int :event-type is no string");
        CHECK(r.msgs[0].known[5] == NULL, "bytes :content-type is no string");
    }

    run_free(&r);

    /* the iterator on its own */

    pos = (const unsigned char *) "";
    CHECK_INT(llmgw_evs_header_next(&pos, pos, &h), 0, "empty block");

    pos = (const unsigned char *) "\x01" "a" "\x02\x7f" "\x00\x00";
    CHECK_INT(llmgw_evs_header_next(&pos, pos + 6, &h), 1, "byte header");
    CHECK(h.type == LLMGW_EVS_BYTE && h.value_len == 1 && h.value[0] == 0x7f
          && h.name_len == 1 && h.name[0] == 'a', "byte header fields");
    CHECK_INT(llmgw_evs_header_next(&pos, pos + 2, &h), 1,
              "empty name, bool true");
    CHECK(h.name_len == 0 && h.type == LLMGW_EVS_BOOL_TRUE && h.value == NULL,
          "bool fields");

    pos = (const unsigned char *) "\x01";
    CHECK_INT(llmgw_evs_header_next(&pos, pos + 1, &h), -1, "name cut");
}


static void
test_stream(void)
{
    size_t          len, k, n;
    run_t           whole, r;
    unsigned char  *data, *more;
    llmgw_evs_t     e;
    const void     *buf;

    data = unit_read_file(fixtures,
                          "bedrock/test_bedrock_model_stream.eventstream.bin",
                          &len);

    run(&whole, data, len, len, len, SIZE_MAX);

    /* cut anywhere, the stream is not at an end */

    for (k = 1; k < 64 && whole.n > 0; k++) {
        run(&r, data, len - k, len - k, len, SIZE_MAX);
        CHECK(r.rc == 0 && !r.idle && r.n == whole.n - 1,
              "truncated by %zu: rc %d, idle %d, %zu messages", k, r.rc,
              r.idle, r.n);
        run_free(&r);
    }

    run(&r, data, 5, 5, 5, SIZE_MAX);
    CHECK(r.rc == 0 && !r.idle && r.n == 0, "five bytes are not idle");
    run_free(&r);

    run(&r, data, 0, 0, 0, SIZE_MAX);
    CHECK(r.rc == 0 && r.idle && r.n == 0, "nothing is idle");
    run_free(&r);

    /* trailing garbage: a short tail waits, a longer one fails */

    more = malloc(len + 32);
    memcpy(more, data, len);
    memset(more + len, 'x', 32);

    run(&r, more, len + 3, len + 3, len, SIZE_MAX);
    CHECK(r.rc == 0 && !r.idle && r.n == whole.n, "3 bytes of garbage wait");
    run_free(&r);

    run(&r, more, len + 32, len + 32, len, SIZE_MAX);
    CHECK(r.rc == -1 && r.n == whole.n
          && same_str(r.error, "Prelude checksum mismatch"),
          "32 bytes of garbage fail: %s", r.error ? r.error : "ok");
    check_splits("trailing garbage", more, len + 32, &r, SIZE_MAX);
    run_free(&r);

    free(more);

    /* the handler stops the stream at its third message */

    run(&r, data, len, len, len, 2);
    CHECK(r.rc == -1 && r.n == 3
          && same_str(r.error, "Stopped by the handler"),
          "stopped at the third: %zu, %s", r.n, r.error ? r.error : "ok");
    check_splits("stopped", data, len, &r, 2);
    run_free(&r);

    /* fed twice byte by byte: the second pass allocates nothing */

    memset(&r, 0, sizeof(run_t));
    r.stop_at = SIZE_MAX;
    llmgw_evs_init(&e, test_crc32, on_message, &r);

    run_pieces(&r, &e, data, len, 1, 1);
    buf = e.buf;
    n = e.cap;
    run_pieces(&r, &e, data, len, 1, 1);

    CHECK(r.rc == 0 && r.n == 2 * whole.n && llmgw_evs_idle(&e),
          "twice byte by byte");
    CHECK(e.buf == buf && e.cap == n && n >= 128 && n <= 8192,
          "the buffer reused: %zu bytes", n);

    llmgw_evs_free(&e);
    llmgw_evs_free(&e);
    run_free(&r);

    run_free(&whole);
    free(data);
}


int
main(int argc, char **argv)
{
    size_t  i;

    if (argc > 1) {
        fixtures = argv[1];
    }

    for (i = 0; i < sizeof(positive) / sizeof(positive[0]); i++) {
        check_positive(positive[i]);
    }

    for (i = 0; i < sizeof(negative) / sizeof(negative[0]); i++) {
        check_negative(negative[i]);
    }

    for (i = 0; i < sizeof(bedrock) / sizeof(bedrock[0]); i++) {
        check_bedrock(bedrock[i]);
    }

    test_limits();
    test_known_headers();
    test_stream();

    UNIT_DONE("unit_evstream");
}
