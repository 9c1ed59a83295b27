/*
 * libFuzzer target: llmgw_evs_feed() and llmgw_evs_header_next().
 *
 * The input is an event stream fed whole, cut in two at a point derived
 * from the input, in pieces of 1 to 16 bytes, and byte by byte; every way
 * must give the same messages (a hash of their transcript), the same final
 * result, error and idleness, and match a reference decoder that walks the
 * whole input at once.  A handler stopping the stream at a message derived
 * from the input must stop every way there.  Each input runs twice: with
 * the real CRC-32, where the seeds decode, and with one always 0, so that
 * the fuzzer reaches lengths and headers without solving CRCs.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmgw_evstream.h"
#include "../test/crc32.h"


#define CHECK(c)  do { if (!(c)) { __builtin_trap(); } } while (0)


typedef struct {
    uint64_t     hash;
    size_t       n;
    size_t       stop_at;
    int          rc;
    int          idle;
    const char  *error;
} result_t;


static uint32_t
crc_zero(uint32_t crc, const unsigned char *p, size_t len)
{
    (void) crc;
    (void) p;
    (void) len;

    return 0;
}


static void
mix(uint64_t *h, const void *p, size_t len)
{
    size_t          i;
    const uint8_t  *b;

    b = p;

    for (i = 0; i < len; i++) {
        *h = (*h ^ b[i]) * 0x100000001b3ULL;
    }
}


static void
mix_field(uint64_t *h, const unsigned char *p, size_t len)
{
    uint8_t  present;

    present = (p != NULL);
    mix(h, &present, 1);

    if (p) {
        mix(h, &len, sizeof(len));
        mix(h, p, len);
    }
}


/* what a message says, as both the decoder and the reference see it */
static void
mix_message(uint64_t *h, const llmgw_evs_message_t *m)
{
    mix(h, &m->headers_len, sizeof(size_t));
    mix(h, m->headers, m->headers_len);
    mix(h, &m->payload_len, sizeof(size_t));
    mix(h, m->payload, m->payload_len);

    mix_field(h, m->message_type, m->message_type_len);
    mix_field(h, m->event_type, m->event_type_len);
    mix_field(h, m->exception_type, m->exception_type_len);
    mix_field(h, m->error_code, m->error_code_len);
    mix_field(h, m->error_message, m->error_message_len);
    mix_field(h, m->content_type, m->content_type_len);
}


static int
in_block(const llmgw_evs_message_t *m, const unsigned char *p, size_t len)
{
    return p == NULL
           || (p >= m->headers && p + len <= m->headers + m->headers_len);
}


static int
on_message(void *data, const llmgw_evs_message_t *m)
{
    int                   rc;
    result_t             *r;
    const unsigned char  *pos;
    llmgw_evs_header_t    h;

    r = data;

    /* handed out only with its headers whole */

    pos = m->headers;

    while ((rc = llmgw_evs_header_next(&pos, m->headers + m->headers_len,
                                       &h)) == 1)
    {
        CHECK(h.name >= m->headers && h.value_len <= 0xffff);
        CHECK(h.value == NULL
              || h.value + h.value_len <= m->headers + m->headers_len);
    }

    CHECK(rc == 0 && pos == m->headers + m->headers_len);
    CHECK(m->payload == m->headers + m->headers_len);

    CHECK(in_block(m, m->message_type, m->message_type_len));
    CHECK(in_block(m, m->event_type, m->event_type_len));
    CHECK(in_block(m, m->exception_type, m->exception_type_len));
    CHECK(in_block(m, m->error_code, m->error_code_len));
    CHECK(in_block(m, m->error_message, m->error_message_len));
    CHECK(in_block(m, m->content_type, m->content_type_len));

    mix_message(&r->hash, m);

    return r->n++ == r->stop_at ? -1 : 0;
}


static uint64_t
next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;

    return *s;
}


/* mode 0: whole; 1: byte by byte; 2: cut at seed; 3: pieces from seed */

static void
run(result_t *r, llmgw_crc32_pt crc, const uint8_t *data, size_t size,
    int mode, uint64_t seed, size_t stop_at)
{
    size_t        i, k, n;
    uint8_t      *piece;
    llmgw_evs_t   e;

    memset(r, 0, sizeof(result_t));
    r->hash = 0xcbf29ce484222325ULL;
    r->stop_at = stop_at;

    llmgw_evs_init(&e, crc, on_message, r);

    for (i = 0, k = 0; i < size && r->rc == 0; i += n, k++) {
        if (mode == 0) {
            n = size;

        } else if (mode == 1) {
            n = 1;

        } else if (mode == 2) {
            /* the first piece may be empty */
            n = (k == 0) ? seed % (size + 1) : size - i;

        } else {
            n = 1 + next(&seed) % 16;
        }

        n = (n < size - i) ? n : size - i;

        piece = malloc(n ? n : 1);
        memcpy(piece, data + i, n);
        r->rc = llmgw_evs_feed(&e, piece, n);
        free(piece);
    }

    r->error = e.error;
    r->idle = llmgw_evs_idle(&e);

    CHECK((r->rc == 0) == (r->error == NULL));
    CHECK(r->rc == 0 || llmgw_evs_feed(&e, data, size) == -1);

    llmgw_evs_free(&e);
}


static void
same(const result_t *a, const result_t *b)
{
    CHECK(a->n == b->n);
    CHECK(a->hash == b->hash);
    CHECK(a->rc == b->rc);
    CHECK(a->idle == b->idle);
    CHECK(a->error == b->error
          || (a->error && b->error && strcmp(a->error, b->error) == 0));
}


/* the reference: the whole input at once, written apart from the decoder */

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static int
ref_headers(const uint8_t *p, size_t len, llmgw_evs_message_t *m)
{
    size_t           i, k, n, nlen, vlen;
    unsigned         type;
    const uint8_t   *name, *value;

    static const size_t  fixed[] = { 0, 0, 1, 2, 4, 8, 0, 0, 8, 16 };

    static const char  *known[] = {
        ":message-type", ":event-type", ":exception-type", ":error-code",
        ":error-message", ":content-type"
    };

    const unsigned char  **fields[6];
    size_t                *lens[6];

    fields[0] = &m->message_type;      lens[0] = &m->message_type_len;
    fields[1] = &m->event_type;        lens[1] = &m->event_type_len;
    fields[2] = &m->exception_type;    lens[2] = &m->exception_type_len;
    fields[3] = &m->error_code;        lens[3] = &m->error_code_len;
    fields[4] = &m->error_message;     lens[4] = &m->error_message_len;
    fields[5] = &m->content_type;      lens[5] = &m->content_type_len;

    i = 0;

    while (i < len) {
        n = p[i++];

        if (len - i < n + 1) {
            return -1;
        }

        name = p + i;
        nlen = n;
        i += n;
        type = p[i++];

        if (type > 9) {
            return -1;
        }

        vlen = fixed[type];

        if (type == 6 || type == 7) {
            if (len - i < 2) {
                return -1;
            }

            vlen = (size_t) p[i] << 8 | p[i + 1];
            i += 2;
        }

        if (len - i < vlen) {
            return -1;
        }

        value = p + i;
        i += vlen;

        for (k = 0; type == 7 && k < 6; k++) {
            if (strlen(known[k]) == nlen
                && memcmp(name, known[k], nlen) == 0)
            {
                *fields[k] = value;
                *lens[k] = vlen;
            }
        }
    }

    return 0;
}


static void
reference(result_t *r, llmgw_crc32_pt crc, const uint8_t *p, size_t size,
    size_t stop_at)
{
    size_t               pos;
    uint32_t             total, hlen;
    llmgw_evs_message_t  m;

    memset(r, 0, sizeof(result_t));
    r->hash = 0xcbf29ce484222325ULL;
    r->stop_at = stop_at;

    for (pos = 0; size - pos >= 12; pos += total) {
        if (crc(0, p + pos, 8) != get32(p + pos + 8)) {
            r->error = "Prelude checksum mismatch";
            break;
        }

        total = get32(p + pos);
        hlen = get32(p + pos + 4);

        if (total > LLMGW_EVS_MAX_MESSAGE) {
            r->error = "Message too large";
            break;
        }

        if (total < 16 || (uint64_t) hlen + 16 > total) {
            r->error = "Malformed prelude";
            break;
        }

        if (size - pos < total) {
            break;
        }

        if (crc(0, p + pos, total - 4) != get32(p + pos + total - 4)) {
            r->error = "Message checksum mismatch";
            break;
        }

        memset(&m, 0, sizeof(m));
        m.headers = p + pos + 12;
        m.headers_len = hlen;
        m.payload = m.headers + hlen;
        m.payload_len = total - 16 - hlen;

        if (ref_headers(m.headers, hlen, &m) != 0) {
            r->error = "Malformed headers";
            break;
        }

        mix_message(&r->hash, &m);

        if (r->n++ == stop_at) {
            r->error = "Stopped by the handler";
            break;
        }
    }

    r->rc = r->error ? -1 : 0;
    r->idle = (r->error == NULL && pos == size);
}


static void
check(llmgw_crc32_pt crc, const uint8_t *data, size_t size, uint64_t seed)
{
    size_t    stop;
    result_t  whole, ref, got;

    run(&whole, crc, data, size, 0, 0, SIZE_MAX);

    reference(&ref, crc, data, size, SIZE_MAX);
    same(&whole, &ref);

    run(&got, crc, data, size, 2, seed, SIZE_MAX);
    same(&whole, &got);

    run(&got, crc, data, size, 3, seed * 5, SIZE_MAX);
    same(&whole, &got);

    if (size <= 4096) {
        run(&got, crc, data, size, 1, 0, SIZE_MAX);
        same(&whole, &got);
    }

    if (whole.n == 0) {
        return;
    }

    stop = (size_t) (seed >> 32) % whole.n;

    run(&whole, crc, data, size, 0, 0, stop);
    CHECK(whole.rc == -1 && whole.n == stop + 1 && !whole.idle);
    CHECK(strcmp(whole.error, "Stopped by the handler") == 0);

    reference(&ref, crc, data, size, stop);
    same(&whole, &ref);

    run(&got, crc, data, size, 3, seed * 7, stop);
    same(&whole, &got);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t    i;
    uint64_t  seed;

    seed = 0x9e3779b97f4a7c15ULL;

    for (i = 0; i < size; i++) {
        seed = (seed ^ data[i]) * 0x100000001b3ULL;
    }

    seed |= 1;

    check(test_crc32, data, size, seed);
    check(crc_zero, data, size, seed);

    return 0;
}
