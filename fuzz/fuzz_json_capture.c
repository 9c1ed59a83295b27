/*
 * libFuzzer target: llmgw_json_capture_feed().
 *
 * The input is fed whole, in pieces cut at points derived from the input,
 * and byte by byte: the captures must be identical, and identical to those
 * of a byte-at-a-time reference.  When the scanner
 * finds the input a valid object, the capture must be exactly the span
 * the scanner reports for the member; where the walker reads the input as
 * a whole object (llmgw_json_find_member), the capture agrees with it; where
 * the fast read from the end (llmgw_json_scan_member_last) answers, its
 * members are the object's own and, on valid JSON, the scanner's and the
 * backward walker's (the last of a name written twice).
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


/*
 * The reference: the byte-at-a-time state machine that the capture was
 * before it learned to skip runs of bytes; the two must agree on every
 * input however it is cut.
 */

#define REF_CAP_START   0
#define REF_CAP_MEMBER  1
#define REF_CAP_NAME    2
#define REF_CAP_COLON   3
#define REF_CAP_VALUE   4
#define REF_CAP_SCALAR  5
#define REF_CAP_STRING  6
#define REF_CAP_NESTED  7
#define REF_CAP_HIT     0x100u

#define REF_CAP_DEPTH   0x10000000


/* the name read so far equals cap->name once decoded */

static int
ref_name_eq(llmgw_json_capture_t *cap)
{
    unsigned char      buf[LLMGW_JSON_NAME_MAX + 2];
    llmgw_json_span_t  span;

    buf[0] = '"';
    memcpy(buf + 1, cap->cur, cap->cur_len);
    buf[cap->cur_len + 1] = '"';

    span.start = buf;
    span.len = cap->cur_len + 2;
    span.type = LLMGW_JSON_STRING;
    span.name_off = 0;

    return llmgw_json_string_eq(&span, cap->name, cap->name_len);
}


static void
ref_capture_put(llmgw_json_capture_t *cap, unsigned char c)
{
    if (cap->value_len == LLMGW_JSON_CAPTURE_MAX) {
        cap->value_len = 0;
        cap->overflow = 1;
        cap->done = 1;
        return;
    }

    cap->value[cap->value_len++] = c;
}


/* the member value ended just before the current byte, or with it */

static void
ref_capture_end(llmgw_json_capture_t *cap)
{
    if (cap->state & REF_CAP_HIT) {
        cap->done = 1;
    }

    cap->state = REF_CAP_MEMBER;
    cap->depth = 1;
}


static void
ref_capture_name(llmgw_json_capture_t *cap, unsigned char c)
{
    if (cap->escape) {
        cap->escape = 0;

    } else if (c == '\\') {
        cap->escape = 1;

    } else if (c == '"') {
        cap->state = REF_CAP_COLON;

        if (cap->cur_len <= LLMGW_JSON_NAME_MAX
            && ref_name_eq(cap))
        {
            cap->state |= REF_CAP_HIT;
        }

        return;
    }

    if (cap->cur_len < LLMGW_JSON_NAME_MAX) {
        cap->cur[cap->cur_len++] = c;

    } else {
        cap->cur_len = LLMGW_JSON_NAME_MAX + 1;
    }
}


static void
ref_capture_value(llmgw_json_capture_t *cap, unsigned char c)
{
    unsigned  hit;

    hit = cap->state & REF_CAP_HIT;

    switch (c) {

    case '"':
        cap->state = REF_CAP_STRING | hit;
        cap->in_string = 1;
        cap->escape = 0;
        break;

    case '{':
    case '[':
        cap->state = REF_CAP_NESTED | hit;
        cap->depth = 2;
        cap->in_string = 0;
        cap->escape = 0;
        break;

    case '}': case ']': case ',': case ':':
        cap->done = 1;
        return;

    default:
        cap->state = REF_CAP_SCALAR | hit;
        break;
    }

    if (hit) {
        cap->value_len = 0;
        ref_capture_put(cap, c);
    }
}


static void
ref_capture_nested(llmgw_json_capture_t *cap, unsigned char c)
{
    if (cap->in_string) {
        if (cap->escape) {
            cap->escape = 0;

        } else if (c == '\\') {
            cap->escape = 1;

        } else if (c == '"') {
            cap->in_string = 0;
        }

        return;
    }

    switch (c) {

    case '"':
        cap->in_string = 1;
        break;

    case '{':
    case '[':
        if (++cap->depth == REF_CAP_DEPTH) {
            cap->value_len = 0;
            cap->overflow = 1;
            cap->done = 1;
        }

        break;

    case '}':
    case ']':
        if (--cap->depth == 1) {
            ref_capture_end(cap);
        }

        break;
    }
}


static void
ref_capture_feed(llmgw_json_capture_t *cap, const unsigned char *p,
    size_t n)
{
    size_t         i;
    unsigned       hit;
    unsigned char  c;

    for (i = 0; i < n && !cap->done; i++) {
        c = p[i];
        hit = cap->state & REF_CAP_HIT;

        switch (cap->state & ~REF_CAP_HIT) {

        case REF_CAP_START:
            if (c == '{') {
                cap->state = REF_CAP_MEMBER;
                cap->depth = 1;

            } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                cap->done = 1;
            }

            break;

        case REF_CAP_MEMBER:
            if (c == '"') {
                cap->state = REF_CAP_NAME;
                cap->cur_len = 0;
                cap->escape = 0;

            } else if (c != ',' && c != ' ' && c != '\t' && c != '\r'
                       && c != '\n')
            {
                cap->depth = 0;
                cap->done = 1;
            }

            break;

        case REF_CAP_NAME:
            ref_capture_name(cap, c);
            break;

        case REF_CAP_COLON:
            if (c == ':') {
                cap->state = REF_CAP_VALUE | hit;

            } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                cap->done = 1;
            }

            break;

        case REF_CAP_VALUE:
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                ref_capture_value(cap, c);
            }

            break;

        case REF_CAP_SCALAR:
            if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t'
                || c == '\r' || c == '\n')
            {
                ref_capture_end(cap);

                if (c == '}' || c == ']') {
                    cap->depth = 0;
                    cap->done = 1;
                }

                break;
            }

            if (hit) {
                ref_capture_put(cap, c);
            }

            break;

        case REF_CAP_STRING:
            if (hit) {
                ref_capture_put(cap, c);
            }

            if (cap->escape) {
                cap->escape = 0;

            } else if (c == '\\') {
                cap->escape = 1;

            } else if (c == '"') {
                cap->in_string = 0;
                ref_capture_end(cap);
            }

            break;

        default: /* REF_CAP_NESTED */
            if (hit) {
                ref_capture_put(cap, c);
            }

            ref_capture_nested(cap, c);
            break;
        }
    }
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


/* the capture holds what a walker found as the member's span */

static void
agrees(const llmgw_json_capture_t *cap, const llmgw_json_span_t *v)
{
    CHECK(cap->done);

    if (v->type == LLMGW_JSON_NONE) {
        CHECK(cap->value_len == 0 && !cap->overflow);

    } else if (v->len <= LLMGW_JSON_CAPTURE_MAX) {
        CHECK(!cap->overflow);
        CHECK(cap->value_len == v->len);
        CHECK(memcmp(cap->value, v->start, v->len) == 0);

    } else {
        CHECK(cap->overflow);
    }
}


static void
check_name(const uint8_t *data, size_t size, const char *name)
{
    size_t                 i, n, len;
    uint64_t               s;
    llmgw_json_rc_e        rc, back;
    llmgw_json_span_t      v, w, a, b;
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

    /* the reference, whole and in pieces */
    llmgw_json_capture_init(cap, name, len);
    ref_capture_feed(cap, data, size);
    same(whole, cap);

    s = seed_of(data, size) * 5;
    llmgw_json_capture_init(cap, name, len);

    for (i = 0; i < size; i += n) {
        n = next(&s) % (size / 3 + 2);
        n = n > size - i ? size - i : n;
        ref_capture_feed(cap, data + i, n);
    }

    same(whole, cap);

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
        agrees(whole, &v);
    }

    /* the walker over a whole response: where it answers, the capture
     * agrees; where the scanner accepts, the walker answers the same */

    if (llmgw_json_find_member(data, size, name, len, &w) == LLMGW_JSON_OK) {
        agrees(whole, &w);

        CHECK(w.start == NULL || (w.start >= data && w.start + w.len
                                                    <= data + size));

    } else {
        CHECK(rc != LLMGW_JSON_OK);
    }

    if (rc == LLMGW_JSON_OK) {
        CHECK(w.type == v.type && w.start == v.start && w.len == v.len);
    }

    /* from the end: on valid JSON, what the scanner found, or nothing;
     * within four members when the object has no more */

    for (i = 0; i < 2; i++) {
        back = llmgw_json_find_member_back(data, size, name, len,
                                           i ? (size_t) -1 : 4, &w);

        if (back == LLMGW_JSON_OK) {
            CHECK(w.start == NULL || (w.start >= data && w.start + w.len
                                                        <= data + size));
        }

        if (rc == LLMGW_JSON_OK && (i || scan.members <= 4)) {
            CHECK(back == LLMGW_JSON_OK);
        }

        if (rc == LLMGW_JSON_OK && back == LLMGW_JSON_OK) {
            CHECK(w.type == v.type && w.start == v.start && w.len == v.len);
        }
    }

    /* the fast read from the end: where it answers, an object, and on
     * valid JSON the one the scanner found (on other bytes the readers may
     * each take a different reading) */

    f.name = "a";
    f.name_len = 1;
    f.value = &a;

    if (llmgw_json_scan_member_last(data, size, name, len, &f, 1, &w)
        == LLMGW_JSON_OK)
    {
        CHECK(w.start >= data && w.start + w.len <= data + size);
        CHECK(w.type == LLMGW_JSON_OBJECT && w.len >= 2);

        /* its members as the span's own scan finds them */
        f.value = &b;
        CHECK(llmgw_json_scan_members(&w, &f, 1, &scan) == LLMGW_JSON_OK);
        CHECK(a.type == b.type && a.start == b.start && a.len == b.len);

        if (rc == LLMGW_JSON_OK) {
            CHECK(w.type == v.type && w.start == v.start && w.len == v.len);
        }

        /* valid JSON with the name twice: the walker's last one */
        if (llmgw_json_scan_object(data, size, LLMGW_JSON_DEPTH_LIMIT, NULL,
                                   0, &scan)
            == LLMGW_JSON_OK)
        {
            CHECK(llmgw_json_find_member_back(data, size, name, len,
                                              (size_t) -1, &v)
                  == LLMGW_JSON_OK);
            CHECK(w.type == v.type && w.start == v.start && w.len == v.len);
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
