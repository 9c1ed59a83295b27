/*
 * libFuzzer target: llmgw_json_scan_object() and the span helpers.
 *
 * Besides the sanitizers, checks the verdict against a small recursive
 * reference validator written independently of the scanner, and that
 * every span, offset and decoded string stays inside its buffer.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmgw_json.h"


#define DEPTH  16

#define CHECK(c)  do { if (!(c)) { __builtin_trap(); } } while (0)


/* the reference: recursive descent, accept or not, depth first reported */

typedef struct {
    const uint8_t  *end;
    int             depth_error;
} ref_t;


static const uint8_t *ref_value(ref_t *r, const uint8_t *p, unsigned depth);


static const uint8_t *
ref_ws(ref_t *r, const uint8_t *p)
{
    while (p < r->end && (*p == 0x20 || *p == 0x09 || *p == 0x0a
                          || *p == 0x0d))
    {
        p++;
    }

    return p;
}


static int
ref_hex(ref_t *r, const uint8_t *p, unsigned *v)
{
    int  i;

    *v = 0;

    for (i = 0; i < 4; i++) {
        if (p + i >= r->end) {
            return 0;
        }

        if (p[i] >= '0' && p[i] <= '9') {
            *v = *v * 16 + (p[i] - '0');
        } else if (p[i] >= 'a' && p[i] <= 'f') {
            *v = *v * 16 + (p[i] - 'a' + 10);
        } else if (p[i] >= 'A' && p[i] <= 'F') {
            *v = *v * 16 + (p[i] - 'A' + 10);
        } else {
            return 0;
        }
    }

    return 1;
}


/* a UTF-8 sequence decoded by its bit patterns, then range-checked */

static const uint8_t *
ref_utf8(ref_t *r, const uint8_t *p)
{
    unsigned  n, i, cp, min;

    if ((*p & 0xe0) == 0xc0) {
        n = 2, cp = *p & 0x1f, min = 0x80;
    } else if ((*p & 0xf0) == 0xe0) {
        n = 3, cp = *p & 0x0f, min = 0x800;
    } else if ((*p & 0xf8) == 0xf0) {
        n = 4, cp = *p & 0x07, min = 0x10000;
    } else {
        return NULL;
    }

    for (i = 1; i < n; i++) {
        if (p + i >= r->end || (p[i] & 0xc0) != 0x80) {
            return NULL;
        }

        cp = (cp << 6) | (p[i] & 0x3f);
    }

    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
        return NULL;
    }

    return p + n;
}


static const uint8_t *
ref_string(ref_t *r, const uint8_t *p)
{
    unsigned  u, lo;

    p++;

    while (p < r->end) {
        if (*p == '"') {
            return p + 1;
        }

        if (*p < 0x20) {
            return NULL;
        }

        if (*p >= 0x80) {
            p = ref_utf8(r, p);
            if (p == NULL) {
                return NULL;
            }

            continue;
        }

        if (*p != '\\') {
            p++;
            continue;
        }

        if (++p == r->end) {
            return NULL;
        }

        if (strchr("\"\\/bfnrt", *p) != NULL && *p != '\0') {
            p++;
            continue;
        }

        if (*p != 'u' || !ref_hex(r, p + 1, &u)) {
            return NULL;
        }

        p += 5;

        if (u >= 0xdc00 && u < 0xe000) {
            return NULL;
        }

        if (u >= 0xd800 && u < 0xdc00) {
            if (r->end - p < 6 || p[0] != '\\' || p[1] != 'u'
                || !ref_hex(r, p + 2, &lo) || lo < 0xdc00 || lo >= 0xe000)
            {
                return NULL;
            }

            p += 6;
        }
    }

    return NULL;
}


static const uint8_t *
ref_digits(ref_t *r, const uint8_t *p)
{
    const uint8_t  *s;

    s = p;

    while (p < r->end && *p >= '0' && *p <= '9') {
        p++;
    }

    return p == s ? NULL : p;
}


static const uint8_t *
ref_number(ref_t *r, const uint8_t *p)
{
    if (*p == '-') {
        p++;
    }

    if (p < r->end && *p == '0') {
        p++;
    } else {
        p = ref_digits(r, p);
        if (p == NULL) {
            return NULL;
        }
    }

    if (p < r->end && *p == '.') {
        p = ref_digits(r, p + 1);
        if (p == NULL) {
            return NULL;
        }
    }

    if (p < r->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < r->end && (*p == '+' || *p == '-')) {
            p++;
        }

        p = ref_digits(r, p);
    }

    return p;
}


static const uint8_t *
ref_word(ref_t *r, const uint8_t *p, const char *w)
{
    size_t  n;

    n = strlen(w);

    if ((size_t) (r->end - p) < n || memcmp(p, w, n) != 0) {
        return NULL;
    }

    return p + n;
}


static const uint8_t *
ref_container(ref_t *r, const uint8_t *p, unsigned depth)
{
    uint8_t  close;

    close = (*p == '{') ? '}' : ']';

    if (depth + 1 > DEPTH) {
        r->depth_error = 1;
        return NULL;
    }

    p = ref_ws(r, p + 1);

    if (p < r->end && *p == close) {
        return p + 1;
    }

    for ( ;; ) {
        if (close == '}') {
            if (p == r->end || *p != '"') {
                return NULL;
            }

            p = ref_string(r, p);
            if (p == NULL) {
                return NULL;
            }

            p = ref_ws(r, p);

            if (p == r->end || *p != ':') {
                return NULL;
            }

            p = ref_ws(r, p + 1);
        }

        p = ref_value(r, p, depth + 1);
        if (p == NULL) {
            return NULL;
        }

        p = ref_ws(r, p);

        if (p < r->end && *p == close) {
            return p + 1;
        }

        if (p == r->end || *p != ',') {
            return NULL;
        }

        p = ref_ws(r, p + 1);
    }
}


static const uint8_t *
ref_value(ref_t *r, const uint8_t *p, unsigned depth)
{
    if (p == r->end) {
        return NULL;
    }

    switch (*p) {
    case '{':
    case '[':
        return ref_container(r, p, depth);
    case '"':
        return ref_string(r, p);
    case 't':
        return ref_word(r, p, "true");
    case 'f':
        return ref_word(r, p, "false");
    case 'n':
        return ref_word(r, p, "null");
    default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            return ref_number(r, p);
        }

        return NULL;
    }
}


static llmgw_json_rc_e
ref_scan(const uint8_t *data, size_t size)
{
    ref_t           r;
    const uint8_t  *p, *v;

    r.end = data + size;
    r.depth_error = 0;

    v = ref_ws(&r, data);
    p = ref_value(&r, v, 0);

    if (p == NULL) {
        return r.depth_error ? LLMGW_JSON_ERR_DEPTH : LLMGW_JSON_ERR_SYNTAX;
    }

    if (ref_ws(&r, p) != r.end) {
        return LLMGW_JSON_ERR_SYNTAX;
    }

    return *v == '{' ? LLMGW_JSON_OK : LLMGW_JSON_ERR_NOT_OBJECT;
}


/* checks on the spans */

static void
check_string(const llmgw_json_span_t *v)
{
    size_t              n, m;
    unsigned char      *out, *esc, *end;
    llmgw_json_scan_t   scan;

    out = malloc(v->len);
    n = llmgw_json_string_decode(v, out);
    CHECK(n <= v->len - 2);
    CHECK(llmgw_json_string_eq(v, (const char *) out, n));

    /* the decoded string, escaped again, is valid JSON once quoted */
    m = llmgw_json_escape_len(out, n);
    esc = malloc(m + 8);
    memcpy(esc, "{\"s\":\"", 6);
    end = llmgw_json_escape(esc + 6, out, n);
    CHECK((size_t) (end - esc) == m + 6);
    memcpy(end, "\"}", 2);
    CHECK(llmgw_json_scan_object(esc, m + 8, 2, NULL, 0, &scan)
          == LLMGW_JSON_OK);

    free(esc);
    free(out);
}


typedef struct {
    const llmgw_json_span_t  *array;
    size_t                    n;
} each_t;


static int
each(const llmgw_json_span_t *elt, void *arg)
{
    each_t  *e;

    e = arg;
    e->n++;

    CHECK(elt->start > e->array->start);
    CHECK(elt->start + elt->len < e->array->start + e->array->len);
    CHECK(elt->len > 0);

    return 0;
}


static void
check_span(const uint8_t *data, const llmgw_json_scan_t *scan,
    const llmgw_json_span_t *v)
{
    int64_t             i;
    each_t              e;
    llmgw_json_scan_t   s2;
    llmgw_json_span_t   inner;
    llmgw_json_field_t  f;

    if (v->type == LLMGW_JSON_NONE) {
        CHECK(v->start == NULL && v->len == 0);
        return;
    }

    CHECK(v->start > data + scan->open_off);
    CHECK(v->start + v->len <= data + scan->close_off);
    CHECK(v->len > 0);
    CHECK(v->name_off > scan->open_off);
    CHECK(data + v->name_off < v->start);
    CHECK(data[v->name_off] == '"');

    switch (v->type) {

    case LLMGW_JSON_STRING:
        CHECK(v->start[0] == '"' && v->start[v->len - 1] == '"');
        check_string(v);
        break;

    case LLMGW_JSON_NUMBER:
        if (llmgw_json_uint(v, &i) == 0) {
            CHECK(i >= 0);
        }
        break;

    case LLMGW_JSON_OBJECT:
        CHECK(v->start[0] == '{' && v->start[v->len - 1] == '}');

        f.name = "k";
        f.name_len = 1;
        f.value = &inner;

        if (llmgw_json_scan_members(v, &f, 1, &s2) == LLMGW_JSON_OK) {
            CHECK(s2.close_off == v->len - 1);

            if (inner.type != LLMGW_JSON_NONE) {
                CHECK(inner.start > v->start);
                CHECK(inner.start + inner.len < v->start + v->len);
                CHECK(v->start[inner.name_off] == '"');
            }
        }
        break;

    case LLMGW_JSON_ARRAY:
        CHECK(v->start[0] == '[' && v->start[v->len - 1] == ']');
        e.array = v;
        e.n = 0;
        CHECK(llmgw_json_array_each(v, each, &e) == 0);
        CHECK(e.n == llmgw_json_array_count(v));
        CHECK(llmgw_json_array_empty(v) == (e.n == 0));
        break;

    case LLMGW_JSON_TRUE:
        CHECK(v->len == 4 && memcmp(v->start, "true", 4) == 0);
        break;

    case LLMGW_JSON_FALSE:
        CHECK(v->len == 5 && memcmp(v->start, "false", 5) == 0);
        break;

    default:
        CHECK(v->type == LLMGW_JSON_NULL);
        CHECK(v->len == 4 && memcmp(v->start, "null", 4) == 0);
        break;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t              i;
    uint8_t            *buf;
    llmgw_json_rc_e     rc, rc2, want;
    llmgw_json_span_t   spans[6], whole, spans2[6];
    llmgw_json_field_t  fields[6], fields2[6];
    llmgw_json_scan_t   scan, scan2;

    static const char  *names[] = { "model", "stream", "stream_options",
                                    "max_tokens", "messages", "k" };

    /* an exact-size copy: libFuzzer's buffer may have slack after it */
    buf = malloc(size ? size : 1);
    memcpy(buf, data, size);

    for (i = 0; i < 6; i++) {
        fields[i].name = names[i];
        fields[i].name_len = strlen(names[i]);
        fields[i].value = &spans[i];
        fields2[i] = fields[i];
        fields2[i].value = &spans2[i];
    }

    rc = llmgw_json_scan_object(buf, size, DEPTH, NULL, 0, &scan);
    want = ref_scan(buf, size);
    CHECK(rc == want);

    if (rc != LLMGW_JSON_OK) {
        CHECK(scan.err_off <= size);
        CHECK(scan.members == 0);
    }

    rc2 = llmgw_json_scan_object(buf, size, DEPTH, fields, 6, &scan);

    if (rc != LLMGW_JSON_OK) {
        /* the first error wins: a duplicate may come before it */
        CHECK(rc2 == rc || rc2 == LLMGW_JSON_ERR_DUPLICATE);

    } else if (rc2 == LLMGW_JSON_ERR_DUPLICATE) {
        CHECK(scan.err_off < size && buf[scan.err_off] == '"');

        for (i = 0; i < 6; i++) {
            CHECK(spans[i].type == LLMGW_JSON_NONE);
        }

    } else {
        CHECK(rc2 == LLMGW_JSON_OK);
        CHECK(scan.open_off < scan.close_off && scan.close_off < size);
        CHECK(buf[scan.open_off] == '{' && buf[scan.close_off] == '}');

        for (i = 0; i < 6; i++) {
            check_span(buf, &scan, &spans[i]);
        }

        /* scan_members of the whole object finds the same spans */
        whole.start = buf + scan.open_off;
        whole.len = scan.close_off - scan.open_off + 1;
        whole.type = LLMGW_JSON_OBJECT;
        whole.name_off = 0;

        CHECK(llmgw_json_scan_members(&whole, fields2, 6, &scan2)
              == LLMGW_JSON_OK);
        CHECK(scan2.members == scan.members);
        CHECK(scan2.close_off + scan.open_off == scan.close_off);

        for (i = 0; i < 6; i++) {
            CHECK(spans2[i].type == spans[i].type);
            CHECK(spans2[i].start == spans[i].start);
            CHECK(spans2[i].len == spans[i].len);
        }
    }

    /* a lower limit can only add a depth error */
    rc2 = llmgw_json_scan_object(buf, size, 3, NULL, 0, &scan);
    CHECK(rc2 == rc || rc2 == LLMGW_JSON_ERR_DEPTH);

    free(buf);

    return 0;
}
