/*
 * libFuzzer target: llmgw_json_capture_feed().
 *
 * The input is fed whole, in pieces cut at points derived from the input,
 * and byte by byte: the captures must be identical.  When the scanner
 * finds the input a valid object, the capture must be exactly the span
 * the scanner reports for the member.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmgw_json.h"


#define CHECK(c)  do { if (!(c)) { __builtin_trap(); } } while (0)


static uint64_t
seed_of(const uint8_t *data, size_t size)
{
    size_t    i;
    uint64_t  h;

    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < size; i++) {
        h = (h ^ data[i]) * 0x100000001b3ULL;
    }

    return h | 1;
}


static uint64_t
next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;

    return *s;
}


/* feeds each piece from its own exact-size copy */

static void
feed(llmgw_json_capture_t *cap, const uint8_t *p, size_t n)
{
    uint8_t  *piece;

    piece = malloc(n ? n : 1);
    memcpy(piece, p, n);
    llmgw_json_capture_feed(cap, piece, n);
    free(piece);
}


static void
same(const llmgw_json_capture_t *a, const llmgw_json_capture_t *b)
{
    CHECK(a->done == b->done);
    CHECK(a->overflow == b->overflow);
    CHECK(a->value_len == b->value_len);
    CHECK(memcmp(a->value, b->value, a->value_len) == 0);
}


static void
check_name(const uint8_t *data, size_t size, const char *name)
{
    size_t                 i, n, len;
    uint64_t               s;
    llmgw_json_rc_e        rc;
    llmgw_json_span_t      v;
    llmgw_json_field_t     f;
    llmgw_json_scan_t      scan;
    llmgw_json_capture_t  *whole, *cap;

    len = strlen(name);
    whole = malloc(sizeof(llmgw_json_capture_t));
    cap = malloc(sizeof(llmgw_json_capture_t));

    llmgw_json_capture_init(whole, name, len);
    feed(whole, data, size);

    CHECK(whole->value_len <= LLMGW_JSON_CAPTURE_MAX);
    CHECK(!whole->overflow || (whole->done && whole->value_len == 0));

    s = seed_of(data, size);
    llmgw_json_capture_init(cap, name, len);

    for (i = 0; i < size; i += n) {
        n = next(&s) % (size / 3 + 2);
        n = n > size - i ? size - i : n;
        feed(cap, data + i, n);
    }

    same(whole, cap);

    if (size <= 4096) {
        llmgw_json_capture_init(cap, name, len);

        for (i = 0; i < size; i++) {
            feed(cap, data + i, 1);
        }

        same(whole, cap);
    }

    f.name = name;
    f.name_len = len;
    f.value = &v;

    rc = llmgw_json_scan_object(data, size, LLMGW_JSON_DEPTH_LIMIT, &f, 1,
                                &scan);

    if (rc == LLMGW_JSON_OK) {
        CHECK(whole->done);

        if (v.type == LLMGW_JSON_NONE) {
            CHECK(whole->value_len == 0 && !whole->overflow);

        } else if (v.len <= LLMGW_JSON_CAPTURE_MAX) {
            CHECK(!whole->overflow);
            CHECK(whole->value_len == v.len);
            CHECK(memcmp(whole->value, v.start, v.len) == 0);

        } else {
            CHECK(whole->overflow);
        }
    }

    free(cap);
    free(whole);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t  *buf;

    buf = malloc(size ? size : 1);
    memcpy(buf, data, size);

    check_name(buf, size, "usage");
    check_name(buf, size, "a");

    free(buf);

    return 0;
}
