/*
 * llmgw: JSON validation and top-level member capture, without allocation.
 */

#include <string.h>

#include "llmgw_json.h"


#define LLMGW_JSON_STACK_WORDS  (LLMGW_JSON_DEPTH_LIMIT / 64 + 1)

#define LLMGW_JSON_ONES   0x0101010101010101ULL
#define LLMGW_JSON_HIGHS  0x8080808080808080ULL

/*
 * The word-at-a-time searches below flag in t the high bit of each byte
 * that matches, and of no byte before the first match (a borrow only ever
 * spills upwards, from a byte that matched already).  On a little-endian
 * machine the first byte in memory is the least significant, so the lowest
 * set bit of t is exactly the first match; elsewhere the searches finish
 * byte by byte from the word that matched.
 */
#if (defined __GNUC__ && defined __BYTE_ORDER__                              \
     && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#define LLMGW_JSON_FIRST(t)  ((size_t) __builtin_ctzll(t) >> 3)
#endif

/*
 * Where SSE2 is there (every x86-64), the searches look at 16 bytes at a
 * time first; the words and single bytes finish what is left.
 */
#if (defined __SSE2__ && defined __GNUC__)
#include <emmintrin.h>
#define LLMGW_JSON_SSE2  1
#define LLMGW_JSON_BYTES(c)  _mm_set1_epi8((char) (c))
#endif

/*
 * On x86-64, strings are validated 32 bytes at a time where the CPU has
 * AVX2 (asked at run time: the build stays for any x86-64).
 */
#if (LLMGW_JSON_SSE2 && defined __x86_64__)
#include <immintrin.h>
#define LLMGW_JSON_AVX2  1
#endif


typedef enum {
    LLMGW_JSON_S_VALUE = 0,
    LLMGW_JSON_S_AFTER,
    LLMGW_JSON_S_NAME
} llmgw_json_state_e;


typedef struct {
    const unsigned char  *start;
    const unsigned char  *end;
    const unsigned char  *err;
    llmgw_json_field_t   *fields;
    size_t                nfields;
    llmgw_json_scan_t    *scan;
    llmgw_json_span_t    *pending;
    llmgw_json_rc_e       rc;
    unsigned              max_depth;
    unsigned              depth;
    uint64_t              objects[LLMGW_JSON_STACK_WORDS];
} llmgw_json_ctx_t;


static const unsigned char *llmgw_json_ws(const unsigned char *p,
    const unsigned char *end);
static inline const unsigned char *llmgw_json_plain(const unsigned char *p,
    const unsigned char *end);
static inline const unsigned char *llmgw_json_quote(const unsigned char *p,
    const unsigned char *end);
static inline const unsigned char *llmgw_json_structural(
    const unsigned char *p, const unsigned char *end);
static size_t llmgw_json_utf8(const unsigned char *p,
    const unsigned char *end, size_t *bad);
static int llmgw_json_hex4(const unsigned char *p, const unsigned char *end);
static const unsigned char *llmgw_json_string(llmgw_json_ctx_t *ctx,
    const unsigned char *p);
static const unsigned char *llmgw_json_escape_seq(llmgw_json_ctx_t *ctx,
    const unsigned char *p);
static const unsigned char *llmgw_json_number(llmgw_json_ctx_t *ctx,
    const unsigned char *p);
static const unsigned char *llmgw_json_literal(llmgw_json_ctx_t *ctx,
    const unsigned char *p);
static const unsigned char *llmgw_json_value(llmgw_json_ctx_t *ctx,
    const unsigned char *p, llmgw_json_state_e *state);
static const unsigned char *llmgw_json_after(llmgw_json_ctx_t *ctx,
    const unsigned char *p, llmgw_json_state_e *state);
static llmgw_json_rc_e llmgw_json_member(llmgw_json_field_t *fields,
    size_t nfields, const unsigned char *name, const unsigned char *name_end,
    size_t name_off, llmgw_json_span_t **pending);
static llmgw_json_rc_e llmgw_json_parse(llmgw_json_ctx_t *ctx);
static void llmgw_json_clear(llmgw_json_field_t *fields, size_t nfields);
static void llmgw_json_span_clear(llmgw_json_span_t *span);
static int llmgw_json_outer(const unsigned char *buf, size_t len,
    const unsigned char **open, const unsigned char **close);
static llmgw_json_type_e llmgw_json_type(unsigned char c);
static const unsigned char *llmgw_json_skip_string(const unsigned char *p,
    const unsigned char *end);
static llmgw_json_rc_e llmgw_json_members(const unsigned char *start,
    const unsigned char *end, llmgw_json_field_t *fields, size_t nfields,
    llmgw_json_scan_t *scan, const unsigned char **close);
static const unsigned char *llmgw_json_last_mention(const unsigned char *lo,
    const unsigned char *end, const char *name, size_t name_len,
    const unsigned char **value);
static int llmgw_json_tail_closes(const unsigned char *p,
    const unsigned char *end, const char *name, size_t name_len);
static unsigned llmgw_json_escaped(const unsigned char *lo,
    const unsigned char *p);
static const unsigned char *llmgw_json_find_pair_back(
    const unsigned char *p, const unsigned char *end, unsigned char a,
    unsigned char b);
static const unsigned char *llmgw_json_skip(const unsigned char *p,
    const unsigned char *end);
static const unsigned char *llmgw_json_unescape(const unsigned char *p,
    const unsigned char *end, unsigned char *out, size_t *n);
static size_t llmgw_json_utf8_put(unsigned char *out, uint32_t cp);
static int llmgw_json_body_eq(const unsigned char *p,
    const unsigned char *end, const char *s, size_t n);


/* bytes that may stand for themselves inside a string, below 0x80 */
static const unsigned char  llmgw_json_plain_char[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /*  !"#$%&'()*+,-./ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,     /* PQRSTUVWXYZ[\]^_ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x80 and above: 0 */
};


/* after a backslash: 1 for a one-character escape, 2 for u, 0 for the rest */
static const unsigned char  llmgw_json_escape_kind[256] = {
    ['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1,
    ['r'] = 1, ['t'] = 1, ['u'] = 2
};


/* hex digit values, -1 for the rest */
static const signed char  llmgw_json_hex[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
     0,  1,  2,  3,  4,  5,  6,  7,  8,  9, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
};


static const unsigned char *
llmgw_json_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
    }

    return p;
}


#if (LLMGW_JSON_SSE2)

/* the bytes the searches below look for */
#define LLMGW_JSON_PLAIN       0    /* '"', '\\', below 0x20, above 0x7f */
#define LLMGW_JSON_QUOTE       1    /* '"', '\\' */
#define LLMGW_JSON_STRUCTURAL  2    /* '"', '{', '}', '[', ']', 0x02 */

/* the places in the 16 bytes at p that hold what is looked for */

static inline unsigned
llmgw_json_sse2_mask(const unsigned char *p, int what)
{
    __m128i  v, q;

    v = _mm_loadu_si128((const __m128i *) p);

    if (what == LLMGW_JSON_STRUCTURAL) {
        v = _mm_or_si128(v, LLMGW_JSON_BYTES(0x20));
    }

    q = _mm_cmpeq_epi8(v, LLMGW_JSON_BYTES('"'));

    switch (what) {

    case LLMGW_JSON_PLAIN:
        /* signed: a byte above 0x7f is below 0x20 too */
        q = _mm_or_si128(q, _mm_cmplt_epi8(v, LLMGW_JSON_BYTES(0x20)));
        /* fall through */

    case LLMGW_JSON_QUOTE:
        q = _mm_or_si128(q, _mm_cmpeq_epi8(v, LLMGW_JSON_BYTES('\\')));
        break;

    default: /* LLMGW_JSON_STRUCTURAL */
        q = _mm_or_si128(q, _mm_or_si128(
                                _mm_cmpeq_epi8(v, LLMGW_JSON_BYTES('{')),
                                _mm_cmpeq_epi8(v, LLMGW_JSON_BYTES('}'))));
    }

    return (unsigned) _mm_movemask_epi8(q);
}


/*
 * From p, 16 bytes at a time while there are: the first byte of what is
 * looked for if a block has one (then fewer than 16 bytes are left only
 * if it is in the last block), or where fewer than 16 are left.
 */

static inline const unsigned char *
llmgw_json_sse2(const unsigned char *p, const unsigned char *end, int what)
{
    unsigned  m;

    while (end - p >= 16) {
        m = llmgw_json_sse2_mask(p, what);

        if (m) {
            return p + __builtin_ctz(m);
        }

        p += 16;
    }

    return p;
}

#endif


/* skips bytes that are neither '"', '\\', a control character nor >= 0x80 */

static inline const unsigned char *
llmgw_json_plain(const unsigned char *p, const unsigned char *end)
{
    uint64_t              w, t;
    const unsigned char  *last;

#if (LLMGW_JSON_SSE2)
    p = llmgw_json_sse2(p, end, LLMGW_JSON_PLAIN);

    if (end - p >= 16) {
        return p;
    }
#endif

    if (end - p >= 8) {
        last = end - 8;

        do {
            memcpy(&w, p, 8);

            /*
             * A byte gets its high bit set in t if it is below 0x20 or
             * '"' (once its bit 1 is flipped, exactly these are below
             * 0x21, and the subtraction wraps), or '\\' (hits zero and
             * wraps).  A byte >= 0x80 does too: with bit 1 flipped it is
             * above 0xa0 or, xored with '\\', it is above 0x80.
             */
            t = (((w ^ (LLMGW_JSON_ONES * 0x02)) - LLMGW_JSON_ONES * 0x21)
                 | ((w ^ (LLMGW_JSON_ONES * '\\')) - LLMGW_JSON_ONES))
                & LLMGW_JSON_HIGHS;

            if (t) {
#ifdef LLMGW_JSON_FIRST
                return p + LLMGW_JSON_FIRST(t);
#else
                break;
#endif
            }

            p += 8;

        } while (p <= last);
    }

    while (p < end && llmgw_json_plain_char[*p]) {
        p++;
    }

    return p;
}


#if (LLMGW_JSON_SSE2)

/* in a block of n bytes at p, the first byte of mask m (bit i for p + i)
 * that ends a plain run: not a two-byte escape inside the block; NULL
 * when there is none */

static inline const unsigned char *
llmgw_json_block_stop(const unsigned char *p, unsigned m, unsigned n)
{
    unsigned  i;

    while (m) {
        i = (unsigned) __builtin_ctz(m);

        if (p[i] != '\\' || i == n - 1
            || llmgw_json_escape_kind[p[i + 1]] != 1)
        {
            return p + i;
        }

        m &= ~(3u << i);
    }

    return NULL;
}

#endif


#if (LLMGW_JSON_AVX2)

__attribute__((target("avx2")))
static const unsigned char *
llmgw_json_plain_escaped_avx2(const unsigned char *p,
    const unsigned char *end)
{
    unsigned              m;
    __m256i               v, q;
    const unsigned char  *stop;

    while (end - p >= 32) {
        v = _mm256_loadu_si256((const __m256i *) p);

        /* signed: a byte above 0x7f is below 0x20 too */
        q = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')),
                                _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))),
                _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v));

        m = (unsigned) _mm256_movemask_epi8(q);

        if (m && (stop = llmgw_json_block_stop(p, m, 32)) != NULL) {
            return stop;
        }

        p += 32;
    }

    return p;
}

#endif


/*
 * Like llmgw_json_plain(), but a two-byte escape (\\n, \\", ...) that lies
 * inside a block (16 bytes, 32 with AVX2) is stepped over in place: a
 * string with an escape every line does not start a new search at each.
 */

static inline const unsigned char *
llmgw_json_plain_escaped(const unsigned char *p, const unsigned char *end)
{
#if (LLMGW_JSON_SSE2)
    unsigned              m;
    const unsigned char  *stop;

#if (LLMGW_JSON_AVX2)
    /* where it stops, the block below finds the same byte at once */
    if (end - p >= 32 && __builtin_cpu_supports("avx2")) {
        p = llmgw_json_plain_escaped_avx2(p, end);
    }
#endif

    while (end - p >= 16) {
        m = llmgw_json_sse2_mask(p, LLMGW_JSON_PLAIN);

        if (m && (stop = llmgw_json_block_stop(p, m, 16)) != NULL) {
            return stop;
        }

        p += 16;
    }
#endif

    return llmgw_json_plain(p, end);
}


/* the first '"' or '\\' in p..end, or end */

static inline const unsigned char *
llmgw_json_quote(const unsigned char *p, const unsigned char *end)
{
    uint64_t              w, t;
    const unsigned char  *last;

#if (LLMGW_JSON_SSE2)
    p = llmgw_json_sse2(p, end, LLMGW_JSON_QUOTE);

    if (end - p >= 16) {
        return p;
    }
#endif

    if (end - p >= 8) {
        last = end - 8;

        do {
            memcpy(&w, p, 8);

            /* a byte below 0x80 that is '"' or '\\' hits zero and wraps */
            t = (((w ^ (LLMGW_JSON_ONES * '"')) - LLMGW_JSON_ONES)
                 | ((w ^ (LLMGW_JSON_ONES * '\\')) - LLMGW_JSON_ONES))
                & ~w & LLMGW_JSON_HIGHS;

            if (t) {
#ifdef LLMGW_JSON_FIRST
                return p + LLMGW_JSON_FIRST(t);
#else
                break;
#endif
            }

            p += 8;

        } while (p <= last);
    }

    while (p < end && *p != '"' && *p != '\\') {
        p++;
    }

    return p;
}


/*
 * The first byte in p..end that is '"', '{', '}', '[' or ']' (or 0x02), or
 * end: with bit 5 set, '[' and ']' become '{' and '}', and 0x02 becomes
 * '"', a false alarm that costs the caller one byte of its slow path.
 */

static inline const unsigned char *
llmgw_json_structural(const unsigned char *p, const unsigned char *end)
{
    uint64_t              w, t;
    const unsigned char  *last;

#if (LLMGW_JSON_SSE2)
    p = llmgw_json_sse2(p, end, LLMGW_JSON_STRUCTURAL);

    if (end - p >= 16) {
        return p;
    }
#endif

    if (end - p >= 8) {
        last = end - 8;

        do {
            memcpy(&w, p, 8);
            w |= LLMGW_JSON_ONES * 0x20;

            t = (((w ^ (LLMGW_JSON_ONES * '"')) - LLMGW_JSON_ONES)
                 | ((w ^ (LLMGW_JSON_ONES * '{')) - LLMGW_JSON_ONES)
                 | ((w ^ (LLMGW_JSON_ONES * '}')) - LLMGW_JSON_ONES))
                & ~w & LLMGW_JSON_HIGHS;

            if (t) {
#ifdef LLMGW_JSON_FIRST
                return p + LLMGW_JSON_FIRST(t);
#else
                break;
#endif
            }

            p += 8;

        } while (p <= last);
    }

    while (p < end && *p != '"' && *p != '{' && *p != '}' && *p != '['
           && *p != ']')
    {
        p++;
    }

    return p;
}


/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF), or 0 with *bad set to
 * the index of the first byte that breaks it.
 */

static size_t
llmgw_json_utf8(const unsigned char *p, const unsigned char *end, size_t *bad)
{
    size_t         i, n;
    unsigned char  c, lo, hi;

    c = p[0];

    if (c < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (c < 0xc2) {
        *bad = 0;
        return 0;

    } else if (c < 0xe0) {
        n = 2;

    } else if (c < 0xf0) {
        n = 3;
        if (c == 0xe0) {
            lo = 0xa0;
        } else if (c == 0xed) {
            hi = 0x9f;
        }

    } else if (c < 0xf5) {
        n = 4;
        if (c == 0xf0) {
            lo = 0x90;
        } else if (c == 0xf4) {
            hi = 0x8f;
        }

    } else {
        *bad = 0;
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((size_t) (end - p) <= i || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }

        lo = 0x80;
        hi = 0xbf;
    }

    return n;
}


static int
llmgw_json_hex4(const unsigned char *p, const unsigned char *end)
{
    int  a, b, c, d;

    if (end - p < 4) {
        return -1;
    }

    a = llmgw_json_hex[p[0]];
    b = llmgw_json_hex[p[1]];
    c = llmgw_json_hex[p[2]];
    d = llmgw_json_hex[p[3]];

    if ((a | b | c | d) < 0) {
        return -1;
    }

    return (a << 12) | (b << 8) | (c << 4) | d;
}


/* p is past the opening quote; returns past the closing quote */

static const unsigned char *
llmgw_json_string(llmgw_json_ctx_t *ctx, const unsigned char *p)
{
    size_t                n, bad;
    const unsigned char  *end;

    end = ctx->end;

    for ( ;; ) {
        p = llmgw_json_plain_escaped(p, end);

        if (p == end) {
            ctx->err = end;
            return NULL;
        }

        if (*p == '"') {
            return p + 1;
        }

        if (*p == '\\') {
            p = llmgw_json_escape_seq(ctx, p);
            if (p == NULL) {
                return NULL;
            }

            continue;
        }

        if (*p < 0x20) {
            ctx->err = p;
            return NULL;
        }

        do {
            n = llmgw_json_utf8(p, end, &bad);
            if (n == 0) {
                ctx->err = p + bad;
                return NULL;
            }

            p += n;

        } while (p < end && *p >= 0x80);
    }
}


/* p is at the backslash; a lone or reversed surrogate fails at its '\\' */

static const unsigned char *
llmgw_json_escape_seq(llmgw_json_ctx_t *ctx, const unsigned char *p)
{
    int                   cp, lo;
    const unsigned char  *end, *q;

    end = ctx->end;
    q = p + 1;

    if (q == end) {
        ctx->err = end;
        return NULL;
    }

    switch (llmgw_json_escape_kind[*q]) {

    case 1:
        return q + 1;

    case 2:
        break;

    default:
        ctx->err = q;
        return NULL;
    }

    cp = llmgw_json_hex4(q + 1, end);
    if (cp < 0) {
        ctx->err = q + 1;
        return NULL;
    }

    q += 5;

    if (cp < 0xd800 || cp > 0xdfff) {
        return q;
    }

    if (cp >= 0xdc00) {
        ctx->err = p;
        return NULL;
    }

    if (end - q < 2 || q[0] != '\\' || q[1] != 'u') {
        ctx->err = p;
        return NULL;
    }

    lo = llmgw_json_hex4(q + 2, end);
    if (lo < 0xdc00 || lo > 0xdfff) {
        ctx->err = p;
        return NULL;
    }

    return q + 6;
}


static const unsigned char *
llmgw_json_number(llmgw_json_ctx_t *ctx, const unsigned char *p)
{
    const unsigned char  *end;

    end = ctx->end;

    if (*p == '-') {
        p++;
    }

    if (p == end || *p < '0' || *p > '9') {
        ctx->err = p;
        return NULL;
    }

    if (*p++ != '0') {
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < end && *p == '.') {
        p++;

        if (p == end || *p < '0' || *p > '9') {
            ctx->err = p;
            return NULL;
        }

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == end || *p < '0' || *p > '9') {
            ctx->err = p;
            return NULL;
        }

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    return p;
}


static const unsigned char *
llmgw_json_literal(llmgw_json_ctx_t *ctx, const unsigned char *p)
{
    size_t                i, n;
    const char           *lit;
    const unsigned char  *end;

    end = ctx->end;

    switch (*p) {
    case 't':
        lit = "true";
        n = 4;
        break;
    case 'f':
        lit = "false";
        n = 5;
        break;
    default:
        lit = "null";
        n = 4;
        break;
    }

    for (i = 1; i < n; i++) {
        if (p + i == end || p[i] != (unsigned char) lit[i]) {
            ctx->err = p + i;
            return NULL;
        }
    }

    return p + n;
}


static const unsigned char *
llmgw_json_value(llmgw_json_ctx_t *ctx, const unsigned char *p,
    llmgw_json_state_e *state)
{
    unsigned char  c;

    if (p == ctx->end) {
        ctx->err = p;
        return NULL;
    }

    if (ctx->depth == 1 && ctx->pending) {
        ctx->pending->start = p;
    }

    c = *p;

    switch (c) {

    case '{':
    case '[':
        if (ctx->depth >= ctx->max_depth) {
            ctx->err = p;
            ctx->rc = LLMGW_JSON_ERR_DEPTH;
            return NULL;
        }

        ctx->depth++;

        if (c == '{') {
            ctx->objects[ctx->depth / 64] |= 1ULL << (ctx->depth % 64);
        } else {
            ctx->objects[ctx->depth / 64] &= ~(1ULL << (ctx->depth % 64));
        }

        if (ctx->depth == 1 && c == '{') {
            ctx->scan->open_off = (size_t) (p - ctx->start);
        }

        p = llmgw_json_ws(p + 1, ctx->end);

        if (p < ctx->end && *p == (c == '{' ? '}' : ']')) {
            *state = LLMGW_JSON_S_AFTER;
            ctx->depth--;

            if (ctx->depth == 0) {
                ctx->scan->close_off = (size_t) (p - ctx->start);
            }

            return p + 1;
        }

        *state = (c == '{') ? LLMGW_JSON_S_NAME : LLMGW_JSON_S_VALUE;
        return p;

    case '"':
        *state = LLMGW_JSON_S_AFTER;
        return llmgw_json_string(ctx, p + 1);

    case '-': case '0': case '1': case '2': case '3': case '4': case '5':
    case '6': case '7': case '8': case '9':
        *state = LLMGW_JSON_S_AFTER;
        return llmgw_json_number(ctx, p);

    case 't': case 'f': case 'n':
        *state = LLMGW_JSON_S_AFTER;
        return llmgw_json_literal(ctx, p);

    default:
        ctx->err = p;
        return NULL;
    }
}


/* a value just ended at p */

static const unsigned char *
llmgw_json_after(llmgw_json_ctx_t *ctx, const unsigned char *p,
    llmgw_json_state_e *state)
{
    int                 object;
    llmgw_json_span_t  *v;

    if (ctx->depth == 1 && ctx->pending) {
        v = ctx->pending;
        v->len = (size_t) (p - v->start);
        v->type = llmgw_json_type(*v->start);
        ctx->pending = NULL;
    }

    if (ctx->depth == 0) {
        return p;
    }

    p = llmgw_json_ws(p, ctx->end);

    if (p == ctx->end) {
        ctx->err = p;
        return NULL;
    }

    object = (ctx->objects[ctx->depth / 64] >> (ctx->depth % 64)) & 1;

    if (*p == ',') {
        *state = object ? LLMGW_JSON_S_NAME : LLMGW_JSON_S_VALUE;
        return llmgw_json_ws(p + 1, ctx->end);
    }

    if (*p != (object ? '}' : ']')) {
        ctx->err = p;
        return NULL;
    }

    ctx->depth--;

    if (ctx->depth == 0) {
        ctx->scan->close_off = (size_t) (p - ctx->start);
    }

    return p + 1;
}


static llmgw_json_rc_e
llmgw_json_parse(llmgw_json_ctx_t *ctx)
{
    llmgw_json_rc_e        rc;
    llmgw_json_state_e     state;
    const unsigned char   *p, *name;

    state = LLMGW_JSON_S_VALUE;
    p = llmgw_json_ws(ctx->start, ctx->end);

    for ( ;; ) {

        switch (state) {

        case LLMGW_JSON_S_VALUE:
            p = llmgw_json_value(ctx, p, &state);
            break;

        case LLMGW_JSON_S_AFTER:
            p = llmgw_json_after(ctx, p, &state);
            if (p && ctx->depth == 0) {
                ctx->err = p;
                return LLMGW_JSON_OK;
            }
            break;

        case LLMGW_JSON_S_NAME:
            if (p == ctx->end || *p != '"') {
                ctx->err = p;
                return LLMGW_JSON_ERR_SYNTAX;
            }

            name = p;
            p = llmgw_json_string(ctx, p + 1);
            if (p == NULL) {
                return LLMGW_JSON_ERR_SYNTAX;
            }

            if (ctx->depth == 1) {
                ctx->scan->members++;

                rc = llmgw_json_member(ctx->fields, ctx->nfields, name, p,
                                       (size_t) (name - ctx->start),
                                       &ctx->pending);
                if (rc != LLMGW_JSON_OK) {
                    ctx->err = name;
                    return rc;
                }
            }

            p = llmgw_json_ws(p, ctx->end);

            if (p == ctx->end || *p != ':') {
                ctx->err = p;
                return LLMGW_JSON_ERR_SYNTAX;
            }

            p = llmgw_json_ws(p + 1, ctx->end);
            state = LLMGW_JSON_S_VALUE;
            break;
        }

        if (p == NULL) {
            return ctx->rc;
        }
    }
}


/* name..name_end is a member name with its quotes */

static llmgw_json_rc_e
llmgw_json_member(llmgw_json_field_t *fields, size_t nfields,
    const unsigned char *name, const unsigned char *name_end, size_t name_off,
    llmgw_json_span_t **pending)
{
    size_t                i, len;
    const unsigned char  *body;

    body = name + 1;
    len = (size_t) (name_end - name) - 2;

    /* the names looked for have no backslash: equal bytes are equal
     * names, and only a name with an escape needs decoding */

    for (i = 0; i < nfields; i++) {
        if (len == fields[i].name_len
            && memcmp(body, fields[i].name, len) == 0)
        {
            goto found;
        }
    }

    if (memchr(body, '\\', len) != NULL) {
        for (i = 0; i < nfields; i++) {
            if (llmgw_json_body_eq(body, body + len, fields[i].name,
                                   fields[i].name_len))
            {
                goto found;
            }
        }
    }

    *pending = NULL;
    return LLMGW_JSON_OK;

found:

    if (fields[i].value->type != LLMGW_JSON_NONE) {
        return LLMGW_JSON_ERR_DUPLICATE;
    }

    fields[i].value->name_off = name_off;
    *pending = fields[i].value;
    return LLMGW_JSON_OK;
}


static void
llmgw_json_clear(llmgw_json_field_t *fields, size_t nfields)
{
    size_t  i;

    for (i = 0; i < nfields; i++) {
        llmgw_json_span_clear(fields[i].value);
    }
}


static void
llmgw_json_span_clear(llmgw_json_span_t *span)
{
    span->start = NULL;
    span->len = 0;
    span->type = LLMGW_JSON_NONE;
    span->name_off = 0;
}


static llmgw_json_type_e
llmgw_json_type(unsigned char c)
{
    switch (c) {
    case '"':
        return LLMGW_JSON_STRING;
    case '{':
        return LLMGW_JSON_OBJECT;
    case '[':
        return LLMGW_JSON_ARRAY;
    case 't':
        return LLMGW_JSON_TRUE;
    case 'f':
        return LLMGW_JSON_FALSE;
    case 'n':
        return LLMGW_JSON_NULL;
    default:
        return LLMGW_JSON_NUMBER;
    }
}


llmgw_json_rc_e
llmgw_json_scan_object(const unsigned char *buf, size_t len,
    unsigned max_depth, llmgw_json_field_t *fields, size_t nfields,
    llmgw_json_scan_t *scan)
{
    llmgw_json_rc_e       rc;
    llmgw_json_ctx_t      ctx;
    const unsigned char  *p;

    memset(scan, 0, sizeof(llmgw_json_scan_t));
    llmgw_json_clear(fields, nfields);

    if (len == 0) {
        return LLMGW_JSON_ERR_SYNTAX;
    }

    ctx.start = buf;
    ctx.end = buf + len;
    ctx.err = buf;
    ctx.fields = fields;
    ctx.nfields = nfields;
    ctx.scan = scan;
    ctx.pending = NULL;
    ctx.rc = LLMGW_JSON_ERR_SYNTAX;
    ctx.max_depth = max_depth < LLMGW_JSON_DEPTH_LIMIT
                    ? max_depth : LLMGW_JSON_DEPTH_LIMIT;
    ctx.depth = 0;

    rc = llmgw_json_parse(&ctx);

    if (rc == LLMGW_JSON_OK) {
        p = llmgw_json_ws(ctx.err, ctx.end);

        if (p != ctx.end) {
            ctx.err = p;
            rc = LLMGW_JSON_ERR_SYNTAX;

        } else {
            p = llmgw_json_ws(buf, ctx.end);

            if (*p != '{') {
                ctx.err = p;
                rc = LLMGW_JSON_ERR_NOT_OBJECT;
            }
        }
    }

    if (rc != LLMGW_JSON_OK) {
        memset(scan, 0, sizeof(llmgw_json_scan_t));
        scan->err_off = (size_t) (ctx.err - buf);
        llmgw_json_clear(fields, nfields);
    }

    return rc;
}


/*
 * The walkers below trust a span that llmgw_json_scan_object() validated;
 * on anything else they stay inside the span and give up.
 */

#if (LLMGW_JSON_SSE2)

/*
 * One quote, backslash or bracket met by the run below: 1 when it ends the
 * run, 2 for a backslash in a string (the next byte is escaped), else 0.
 */

static inline int
llmgw_json_run_byte(unsigned char c, size_t *depth, unsigned *in_string)
{
    if (*in_string) {
        if (c == '\\') {
            return 2;
        }

        if (c == '"') {
            *in_string = 0;
            return *depth == 0;
        }

        return 0;
    }

    switch (c) {

    case '"':
        *in_string = 1;
        return 0;

    case '{':
    case '[':
        (*depth)++;
        return 0;

    case '}':
    case ']':
        return --*depth == 0;
    }

    return 0;
}


/*
 * The end of a string (in_string, depth 0) or of a nested value (depth >
 * 0, not in a string) that continues at p.  Each 16-byte block yields one
 * mask of its quotes, backslashes and brackets, walked bit by bit, so a
 * string with many escapes costs a few instructions per escape, not a new
 * search.  Brackets are counted, not matched, as the capture does.
 */

static const unsigned char *
llmgw_json_skip_run(const unsigned char *p, const unsigned char *end,
    size_t depth, unsigned in_string)
{
    size_t    step;
    unsigned  m, i;
    __m128i   v, b;

    while (end - p >= 16) {
        v = _mm_loadu_si128((const __m128i *) p);
        b = _mm_or_si128(v, LLMGW_JSON_BYTES(0x20));  /* '[' ']' as '{' '}' */

        m = (unsigned) _mm_movemask_epi8(_mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, LLMGW_JSON_BYTES('"')),
                             _mm_cmpeq_epi8(v, LLMGW_JSON_BYTES('\\'))),
                _mm_or_si128(_mm_cmpeq_epi8(b, LLMGW_JSON_BYTES('{')),
                             _mm_cmpeq_epi8(b, LLMGW_JSON_BYTES('}')))));
        step = 16;

        while (m) {
            i = (unsigned) __builtin_ctz(m);
            m &= m - 1;

            switch (llmgw_json_run_byte(p[i], &depth, &in_string)) {

            case 1:
                return p + i + 1;

            case 2:
                /* the escaped byte, maybe the next block's first */
                if (i == 15) {
                    if (end - p == 16) {
                        return NULL;
                    }

                    step = 17;
                }

                m &= ~(2u << i);
                break;
            }
        }

        p += step;
    }

    for ( /* void */ ; p < end; p++) {
        switch (llmgw_json_run_byte(*p, &depth, &in_string)) {

        case 1:
            return p + 1;

        case 2:
            if (++p == end) {
                return NULL;
            }

            break;
        }
    }

    return NULL;
}

#endif


static const unsigned char *
llmgw_json_skip_string(const unsigned char *p, const unsigned char *end)
{
#if (LLMGW_JSON_SSE2)
    return llmgw_json_skip_run(p + 1, end, 0, 1);
#else
    p++;

    for ( ;; ) {
        p = llmgw_json_quote(p, end);

        if (p == end) {
            return NULL;
        }

        if (*p == '"') {
            return p + 1;
        }

        /* a backslash */

        if (end - p < 2) {
            return NULL;
        }

        p += 2;
    }
#endif
}


static const unsigned char *
llmgw_json_skip(const unsigned char *p, const unsigned char *end)
{
#if !(LLMGW_JSON_SSE2)
    size_t  depth;
#endif

    if (p == end) {
        return NULL;
    }

    switch (*p) {

    case '"':
        return llmgw_json_skip_string(p, end);

    case '{':
    case '[':
#if (LLMGW_JSON_SSE2)
        return llmgw_json_skip_run(p + 1, end, 1, 0);
#else
        depth = 0;

        for ( ;; ) {
            p = llmgw_json_structural(p, end);
            if (p == end) {
                break;
            }

            switch (*p) {

            case '"':
                p = llmgw_json_skip_string(p, end);
                if (p == NULL) {
                    return NULL;
                }

                continue;

            case '{':
            case '[':
                depth++;
                break;

            case '}':
            case ']':
                if (--depth == 0) {
                    return p + 1;
                }

                break;
            }

            p++;
        }

        return NULL;
#endif

    case '}': case ']': case ',': case ':':
        return NULL;

    default:
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' '
               && *p != '\n' && *p != '\r' && *p != '\t')
        {
            p++;
        }

        return p;
    }
}


/*
 * The members of the object at start, which closes at or before end:
 * *close is its closing brace.
 */

static llmgw_json_rc_e
llmgw_json_members(const unsigned char *start, const unsigned char *end,
    llmgw_json_field_t *fields, size_t nfields, llmgw_json_scan_t *scan,
    const unsigned char **close)
{
    llmgw_json_rc_e       rc;
    llmgw_json_span_t    *pending;
    const unsigned char  *p, *q, *name;

    memset(scan, 0, sizeof(llmgw_json_scan_t));
    llmgw_json_clear(fields, nfields);

    if (start == end || *start != '{') {
        return LLMGW_JSON_ERR_NOT_OBJECT;
    }

    rc = LLMGW_JSON_ERR_SYNTAX;
    p = llmgw_json_ws(start + 1, end);

    if (p < end && *p == '}') {
        goto close;
    }

    for ( ;; ) {
        if (p == end || *p != '"') {
            goto failed;
        }

        name = p;

        p = llmgw_json_skip_string(p, end);
        if (p == NULL) {
            p = end;
            goto failed;
        }

        scan->members++;

        rc = llmgw_json_member(fields, nfields, name, p,
                               (size_t) (name - start), &pending);
        if (rc != LLMGW_JSON_OK) {
            p = name;
            goto failed;
        }

        rc = LLMGW_JSON_ERR_SYNTAX;
        p = llmgw_json_ws(p, end);

        if (p == end || *p != ':') {
            goto failed;
        }

        p = llmgw_json_ws(p + 1, end);

        q = llmgw_json_skip(p, end);
        if (q == NULL) {
            goto failed;
        }

        if (pending) {
            pending->start = p;
            pending->len = (size_t) (q - p);
            pending->type = llmgw_json_type(*p);
        }

        p = llmgw_json_ws(q, end);

        if (p < end && *p == '}') {
            break;
        }

        if (p == end || *p != ',') {
            goto failed;
        }

        p = llmgw_json_ws(p + 1, end);
    }

close:

    scan->close_off = (size_t) (p - start);
    *close = p;

    return LLMGW_JSON_OK;

failed:

    memset(scan, 0, sizeof(llmgw_json_scan_t));
    scan->err_off = (size_t) (p - start);
    llmgw_json_clear(fields, nfields);

    return rc;
}


llmgw_json_rc_e
llmgw_json_scan_members(const llmgw_json_span_t *object,
    llmgw_json_field_t *fields, size_t nfields, llmgw_json_scan_t *scan)
{
    llmgw_json_rc_e       rc;
    const unsigned char  *end, *close;

    end = object->start + object->len;

    rc = llmgw_json_members(object->start, end, fields, nfields, scan,
                            &close);

    if (rc != LLMGW_JSON_OK || close + 1 == end) {
        return rc;
    }

    memset(scan, 0, sizeof(llmgw_json_scan_t));
    scan->err_off = (size_t) (close + 1 - object->start);
    llmgw_json_clear(fields, nfields);

    return LLMGW_JSON_ERR_SYNTAX;
}


llmgw_json_rc_e
llmgw_json_find_member(const unsigned char *buf, size_t len, const char *name,
    size_t name_len, llmgw_json_span_t *value)
{
    llmgw_json_scan_t     scan;
    llmgw_json_span_t     object;
    llmgw_json_field_t    field;
    const unsigned char  *end;

    end = buf + len;
    buf = llmgw_json_ws(buf, end);

    while (end > buf
           && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r'
               || end[-1] == '\t'))
    {
        end--;
    }

    object.start = buf;
    object.len = (size_t) (end - buf);
    object.type = LLMGW_JSON_OBJECT;
    object.name_off = 0;

    field.name = name;
    field.name_len = name_len;
    field.value = value;

    return llmgw_json_scan_members(&object, &field, 1, &scan);
}



/*
 * Reading backward.  In valid JSON a quote ends or starts a string unless
 * an odd run of backslashes stands before it, and outside strings there
 * are no backslashes: so a value can be found from its end.
 */

static const unsigned char *
llmgw_json_ws_back(const unsigned char *lo, const unsigned char *p)
{
    while (p > lo
           && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\r' || p[-1] == '\t'))
    {
        p--;
    }

    return p;
}


/* a quote or bracket at x met backward: 1 when it starts the value */

static inline int
llmgw_json_back_byte(const unsigned char *lo, const unsigned char *x,
    size_t *depth, unsigned *in_string)
{
    if (*x == '"') {
        if (!*in_string) {
            *in_string = 1;
            return 0;
        }

        if (llmgw_json_escaped(lo, x)) {
            return 0;
        }

        *in_string = 0;
        return *depth == 0;
    }

    if (*in_string) {
        return 0;
    }

    if (*x == '}' || *x == ']') {
        (*depth)++;
        return 0;
    }

    return --*depth == 0;
}


/*
 * The start of the string (in_string, depth 0) or of the nested value
 * (depth 1) whose last byte is just after p, looking no lower than lo;
 * NULL if there is none.
 */

static const unsigned char *
llmgw_json_skip_back(const unsigned char *lo, const unsigned char *p,
    size_t depth, unsigned in_string)
{
#if (LLMGW_JSON_SSE2)
    unsigned  m, i;
    __m128i   v, b;

    while (p - lo >= 16) {
        p -= 16;

        v = _mm_loadu_si128((const __m128i *) p);
        b = _mm_or_si128(v, LLMGW_JSON_BYTES(0x20));  /* '[' ']' as '{' '}' */

        m = (unsigned) _mm_movemask_epi8(_mm_or_si128(
                _mm_cmpeq_epi8(v, LLMGW_JSON_BYTES('"')),
                _mm_or_si128(_mm_cmpeq_epi8(b, LLMGW_JSON_BYTES('{')),
                             _mm_cmpeq_epi8(b, LLMGW_JSON_BYTES('}')))));

        while (m) {
            i = 31 - (unsigned) __builtin_clz(m);
            m &= ~(1u << i);

            if (llmgw_json_back_byte(lo, p + i, &depth, &in_string)) {
                return p + i;
            }
        }
    }
#endif

    while (p > lo) {
        p--;

        if ((*p == '"' || *p == '{' || *p == '}' || *p == '[' || *p == ']')
            && llmgw_json_back_byte(lo, p, &depth, &in_string))
        {
            return p;
        }
    }

    return NULL;
}


/* the start of the value whose last byte is just before p */

static const unsigned char *
llmgw_json_value_back(const unsigned char *lo, const unsigned char *p)
{
    if (p == lo) {
        return NULL;
    }

    switch (p[-1]) {

    case '"':
        return llmgw_json_skip_back(lo, p - 1, 0, 1);

    case '}':
    case ']':
        return llmgw_json_skip_back(lo, p - 1, 1, 0);

    case ',': case ':': case '{': case '[':
        return NULL;
    }

    while (p > lo && p[-1] != ':' && p[-1] != ',' && p[-1] != ' '
           && p[-1] != '\n' && p[-1] != '\r' && p[-1] != '\t')
    {
        p--;
    }

    return p;
}


/* the braces of the one object in buf, with whitespace around it; 0 when
 * it holds none */

static int
llmgw_json_outer(const unsigned char *buf, size_t len,
    const unsigned char **open, const unsigned char **close)
{
    const unsigned char  *end;

    end = buf + len;
    buf = llmgw_json_ws(buf, end);
    end = llmgw_json_ws_back(buf, end);

    if (end - buf < 2 || *buf != '{' || end[-1] != '}') {
        return 0;
    }

    *open = buf;
    *close = end - 1;

    return 1;
}


llmgw_json_rc_e
llmgw_json_find_member_back(const unsigned char *buf, size_t len,
    const char *name, size_t name_len, size_t max_members,
    llmgw_json_span_t *value)
{
    size_t                n;
    const unsigned char  *lo, *hi, *end, *p, *v, *q, *close;

    llmgw_json_span_clear(value);

    if (!llmgw_json_outer(buf, len, &buf, &hi)) {
        return LLMGW_JSON_ERR_SYNTAX;
    }

    lo = buf + 1;
    p = llmgw_json_ws_back(lo, hi);

    if (p == lo) {
        return LLMGW_JSON_OK;
    }

    for (n = 0; n < max_members; n++) {

        /* p is just past a member's value; back to its name's quotes */

        v = llmgw_json_value_back(lo, p);
        if (v == NULL) {
            return LLMGW_JSON_ERR_SYNTAX;
        }

        q = llmgw_json_ws_back(lo, v);

        if (q == lo || q[-1] != ':') {
            return LLMGW_JSON_ERR_SYNTAX;
        }

        q = llmgw_json_ws_back(lo, q - 1);

        if (q == lo || q[-1] != '"') {
            return LLMGW_JSON_ERR_SYNTAX;
        }

        close = q - 1;

        q = llmgw_json_skip_back(lo, close, 0, 1);
        if (q == NULL) {
            return LLMGW_JSON_ERR_SYNTAX;
        }

        /* before the name: the object's '{' or a comma */

        end = llmgw_json_ws_back(lo, q);

        if (end != lo && end[-1] != ',') {
            return LLMGW_JSON_ERR_SYNTAX;
        }

        if (llmgw_json_body_eq(q + 1, close, name, name_len)) {
            value->start = v;
            value->len = (size_t) (p - v);
            value->type = llmgw_json_type(*v);
            value->name_off = (size_t) (q - buf);
            return LLMGW_JSON_OK;
        }

        if (end == lo) {
            return LLMGW_JSON_OK;
        }

        p = llmgw_json_ws_back(lo, end - 1);

        if (p == lo) {
            return LLMGW_JSON_ERR_SYNTAX;
        }
    }

    return LLMGW_JSON_ERR_SYNTAX;
}


/*
 * The object that is the value of the member's last mention, when the
 * members after it read forward to the outermost object's closing brace
 * at the end: then it is the outermost object's member.
 */

llmgw_json_rc_e
llmgw_json_scan_member_last(const unsigned char *buf, size_t len,
    const char *name, size_t name_len, llmgw_json_field_t *fields,
    size_t nfields, llmgw_json_span_t *value)
{
    llmgw_json_rc_e       rc;
    llmgw_json_scan_t     scan;
    const unsigned char  *lo, *end, *q, *v, *close;

    llmgw_json_clear(fields, nfields);
    llmgw_json_span_clear(value);

    if (name_len == 0 || !llmgw_json_outer(buf, len, &buf, &end)) {
        return LLMGW_JSON_ERR_SYNTAX;
    }

    lo = buf + 1;

    q = llmgw_json_last_mention(lo, end, name, name_len, &v);

    if (q == NULL || *v != '{') {
        return LLMGW_JSON_ERR_SYNTAX;
    }

    rc = llmgw_json_members(v, end, fields, nfields, &scan, &close);

    if (rc == LLMGW_JSON_OK
        && !llmgw_json_tail_closes(close + 1, end, name, name_len))
    {
        llmgw_json_clear(fields, nfields);
        rc = LLMGW_JSON_ERR_SYNTAX;
    }

    if (rc != LLMGW_JSON_OK) {
        return rc;
    }

    value->start = v;
    value->len = (size_t) (close + 1 - v);
    value->type = LLMGW_JSON_OBJECT;
    value->name_off = (size_t) (q - buf);

    return LLMGW_JSON_OK;
}


/*
 * The opening quote of the last member named name (quoted as it is, with
 * no escape) among lo..end, found backward by the quoted name and the
 * colon after it, and in *value where its value starts; NULL when there is
 * none, or none after a comma or the object's start.  The name's first
 * byte is a letter in every use: a quote, comma or bracket could also be
 * met as JSON's own.
 */

static const unsigned char *
llmgw_json_last_mention(const unsigned char *lo, const unsigned char *end,
    const char *name, size_t name_len, const unsigned char **value)
{
    const unsigned char  *q, *p, *v;

    q = end;

    for ( ;; ) {
        q = llmgw_json_find_pair_back(lo, q, '"', (unsigned char) name[0]);
        if (q == NULL) {
            return NULL;
        }

        if ((size_t) (end - q) < name_len + 2
            || memcmp(q + 1, name, name_len) != 0
            || q[name_len + 1] != '"'
            || llmgw_json_escaped(lo, q))
        {
            continue;
        }

        v = llmgw_json_ws(q + name_len + 2, end);

        if (v < end && *v == ':') {
            break;
        }
    }

    p = llmgw_json_ws_back(lo, q);

    if (p != lo && p[-1] != ',') {
        return NULL;
    }

    *value = llmgw_json_ws(v + 1, end);

    return q;
}


/*
 * Whether the members from p on (each after a comma) end at end, none of
 * them the same name written with an escape (which would be the last).
 */

static int
llmgw_json_tail_closes(const unsigned char *p, const unsigned char *end,
    const char *name, size_t name_len)
{
    const unsigned char  *q;

    for ( ;; ) {
        p = llmgw_json_ws(p, end);

        if (p == end) {
            return 1;
        }

        if (*p != ',') {
            return 0;
        }

        p = llmgw_json_ws(p + 1, end);

        if (p == end || *p != '"') {
            return 0;
        }

        q = p;

        p = llmgw_json_skip_string(p, end);
        if (p == NULL) {
            return 0;
        }

        if (memchr(q, '\\', p - q) != NULL
            && llmgw_json_body_eq(q + 1, p - 1, name, name_len))
        {
            return 0;
        }

        p = llmgw_json_ws(p, end);

        if (p == end || *p != ':') {
            return 0;
        }

        p = llmgw_json_skip(llmgw_json_ws(p + 1, end), end);
        if (p == NULL) {
            return 0;
        }
    }
}


/* whether an odd run of backslashes stands before p */

static unsigned
llmgw_json_escaped(const unsigned char *lo, const unsigned char *p)
{
    const unsigned char  *y;

    for (y = p; y > lo && y[-1] == '\\'; y--) { /* void */ }

    return (p - y) % 2;
}


/* the last byte a in p..end that byte b follows, or NULL */

static const unsigned char *
llmgw_json_find_pair_back(const unsigned char *p, const unsigned char *end,
    unsigned char a, unsigned char b)
{
#if (LLMGW_JSON_SSE2)
    unsigned  m;

    while (end - p >= 17) {
        end -= 16;

        m = (unsigned) _mm_movemask_epi8(_mm_and_si128(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *) (end - 1)),
                               LLMGW_JSON_BYTES(a)),
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *) end),
                               LLMGW_JSON_BYTES(b))));

        if (m) {
            return end - 1 + (31 - __builtin_clz(m));
        }
    }
#endif

    for ( /* void */ ; end - p >= 2; end--) {
        if (end[-2] == a && end[-1] == b) {
            return end - 2;
        }
    }

    return NULL;
}


const unsigned char *
llmgw_json_find_pair(const unsigned char *p, const unsigned char *end,
    unsigned char a, unsigned char b)
{
#if (LLMGW_JSON_SSE2)
    unsigned  m;

    while (end - p >= 17) {
        m = (unsigned) _mm_movemask_epi8(_mm_and_si128(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *) p),
                               LLMGW_JSON_BYTES(a)),
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *) (p + 1)),
                               LLMGW_JSON_BYTES(b))));

        if (m) {
            return p + __builtin_ctz(m);
        }

        p += 16;
    }
#endif

    for ( /* void */ ; end - p >= 2; p++) {
        if (p[0] == a && p[1] == b) {
            return p;
        }
    }

    return NULL;
}


int
llmgw_json_array_each(const llmgw_json_span_t *array,
    llmgw_json_each_pt cb, void *arg)
{
    int                   rc;
    llmgw_json_span_t     elt;
    const unsigned char  *p, *q, *end;

    if (array->len == 0 || *array->start != '[') {
        return 0;
    }

    p = array->start;
    end = p + array->len;

    p = llmgw_json_ws(p + 1, end);

    if (p < end && *p == ']') {
        return 0;
    }

    for ( ;; ) {
        q = llmgw_json_skip(p, end);
        if (q == NULL) {
            return 0;
        }

        elt.start = p;
        elt.len = (size_t) (q - p);
        elt.type = llmgw_json_type(*p);
        elt.name_off = 0;

        rc = cb(&elt, arg);
        if (rc != 0) {
            return rc;
        }

        p = llmgw_json_ws(q, end);

        if (p == end || *p != ',') {
            return 0;
        }

        p = llmgw_json_ws(p + 1, end);
    }
}


static int
llmgw_json_count(const llmgw_json_span_t *elt, void *arg)
{
    (void) elt;
    (*(size_t *) arg)++;

    return 0;
}


size_t
llmgw_json_array_count(const llmgw_json_span_t *array)
{
    size_t  n;

    n = 0;
    (void) llmgw_json_array_each(array, llmgw_json_count, &n);

    return n;
}


int
llmgw_json_array_first(const llmgw_json_span_t *array)
{
    const unsigned char  *p, *end;

    if (array->len == 0 || *array->start != '[') {
        return -1;
    }

    p = array->start;
    end = p + array->len;

    p = llmgw_json_ws(p + 1, end);

    return (p == end || *p == ']') ? -1 : *p;
}


int
llmgw_json_array_empty(const llmgw_json_span_t *array)
{
    return llmgw_json_array_first(array) < 0;
}


static size_t
llmgw_json_utf8_put(unsigned char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (unsigned char) cp;
        return 1;
    }

    if (cp < 0x800) {
        out[0] = (unsigned char) (0xc0 | (cp >> 6));
        out[1] = (unsigned char) (0x80 | (cp & 0x3f));
        return 2;
    }

    if (cp < 0x10000) {
        out[0] = (unsigned char) (0xe0 | (cp >> 12));
        out[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char) (0x80 | (cp & 0x3f));
        return 3;
    }

    out[0] = (unsigned char) (0xf0 | (cp >> 18));
    out[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char) (0x80 | (cp & 0x3f));
    return 4;
}


/*
 * p is at a backslash: writes at most 4 bytes to out, never more than the
 * escape's own length, so decoding never grows a string.
 */

static const unsigned char *
llmgw_json_unescape(const unsigned char *p, const unsigned char *end,
    unsigned char *out, size_t *n)
{
    int            cp, lo;
    unsigned char  c;

    p++;

    if (p == end) {
        *n = 0;
        return p;
    }

    c = *p++;
    *n = 1;

    switch (c) {
    case 'b':
        out[0] = '\b';
        return p;
    case 'f':
        out[0] = '\f';
        return p;
    case 'n':
        out[0] = '\n';
        return p;
    case 'r':
        out[0] = '\r';
        return p;
    case 't':
        out[0] = '\t';
        return p;
    case 'u':
        break;
    default:
        out[0] = c;
        return p;
    }

    cp = llmgw_json_hex4(p, end);
    if (cp < 0) {
        *n = 0;
        return p;
    }

    p += 4;

    if (cp >= 0xd800 && cp <= 0xdbff
        && end - p >= 6 && p[0] == '\\' && p[1] == 'u')
    {
        lo = llmgw_json_hex4(p + 2, end);

        if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
        }
    }

    if (cp >= 0xd800 && cp <= 0xdfff) {
        cp = 0xfffd;
    }

    *n = llmgw_json_utf8_put(out, (uint32_t) cp);
    return p;
}


size_t
llmgw_json_string_decode(const llmgw_json_span_t *span, unsigned char *out)
{
    size_t                n;
    unsigned char        *o;
    const unsigned char  *p, *q, *end;

    if (span->len < 2 || span->start[0] != '"'
        || span->start[span->len - 1] != '"')
    {
        return 0;
    }

    p = span->start + 1;
    end = span->start + span->len - 1;
    o = out;

    while (p < end) {
        q = memchr(p, '\\', (size_t) (end - p));
        if (q == NULL) {
            q = end;
        }

        memcpy(o, p, (size_t) (q - p));
        o += q - p;

        if (q == end) {
            break;
        }

        p = llmgw_json_unescape(q, end, o, &n);
        o += n;
    }

    return (size_t) (o - out);
}


static int
llmgw_json_body_eq(const unsigned char *p, const unsigned char *end,
    const char *s, size_t n)
{
    size_t         k;
    unsigned char  buf[4];

    while (p < end) {

        if (*p != '\\') {
            if (n == 0 || *p != (unsigned char) *s) {
                return 0;
            }

            p++;
            s++;
            n--;
            continue;
        }

        p = llmgw_json_unescape(p, end, buf, &k);

        if (k > n || memcmp(buf, s, k) != 0) {
            return 0;
        }

        s += k;
        n -= k;
    }

    return n == 0;
}


int
llmgw_json_string_eq(const llmgw_json_span_t *span, const char *s, size_t n)
{
    if (span->len < 2 || span->start[0] != '"'
        || span->start[span->len - 1] != '"')
    {
        return 0;
    }

    return llmgw_json_body_eq(span->start + 1, span->start + span->len - 1,
                              s, n);
}


int
llmgw_json_uint(const llmgw_json_span_t *span, int64_t *value)
{
    size_t    i;
    unsigned  d;
    uint64_t  v;

    if (span->type != LLMGW_JSON_NUMBER || span->len == 0) {
        return -1;
    }

    v = 0;

    /* 18 digits cannot pass INT64_MAX */

    for (i = 0; i < span->len; i++) {
        d = (unsigned) span->start[i] - '0';

        if (d > 9 || (i >= 18 && v > ((uint64_t) INT64_MAX - d) / 10)) {
            return -1;
        }

        v = v * 10 + d;
    }

    *value = (int64_t) v;
    return 0;
}


/* ill-formed UTF-8 is escaped byte by byte as U+FFFD */

size_t
llmgw_json_escape_len(const unsigned char *s, size_t n)
{
    size_t                len, k, bad;
    const unsigned char  *end;

    if (n == 0) {
        return 0;
    }

    len = 0;
    end = s + n;

    while (s < end) {

        if (*s >= 0x80) {
            k = llmgw_json_utf8(s, end, &bad);
            len += k ? k : 6;
            s += k ? k : 1;
            continue;
        }

        if (*s >= 0x20 && *s != '"' && *s != '\\') {
            len++;

        } else if (*s == '"' || *s == '\\' || *s == '\b' || *s == '\f'
                   || *s == '\n' || *s == '\r' || *s == '\t')
        {
            len += 2;

        } else {
            len += 6;
        }

        s++;
    }

    return len;
}


unsigned char *
llmgw_json_escape(unsigned char *dst, const unsigned char *s, size_t n)
{
    size_t                k, bad;
    unsigned char         c;
    const unsigned char  *end, *q;

    static const char     hex[] = "0123456789abcdef";

    if (n == 0) {
        return dst;
    }

    end = s + n;

    while (s < end) {
        q = llmgw_json_plain(s, end);

        memcpy(dst, s, (size_t) (q - s));
        dst += q - s;
        s = q;

        if (s == end) {
            break;
        }

        c = *s;

        if (c >= 0x80) {
            k = llmgw_json_utf8(s, end, &bad);

            if (k) {
                memcpy(dst, s, k);
                dst += k;
                s += k;

            } else {
                memcpy(dst, "\\ufffd", 6);
                dst += 6;
                s++;
            }

            continue;
        }

        *dst++ = '\\';
        s++;

        switch (c) {
        case '"':
        case '\\':
            *dst++ = c;
            break;
        case '\b':
            *dst++ = 'b';
            break;
        case '\f':
            *dst++ = 'f';
            break;
        case '\n':
            *dst++ = 'n';
            break;
        case '\r':
            *dst++ = 'r';
            break;
        case '\t':
            *dst++ = 't';
            break;
        default:
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = (unsigned char) hex[c >> 4];
            *dst++ = (unsigned char) hex[c & 0xf];
            break;
        }
    }

    return dst;
}


/* capture states; LLMGW_JSON_CAP_HIT marks the member being captured */

#define LLMGW_JSON_CAP_START   0        /* before the top-level '{' */
#define LLMGW_JSON_CAP_MEMBER  1        /* before a name, ',' or '}' */
#define LLMGW_JSON_CAP_NAME    2
#define LLMGW_JSON_CAP_COLON   3
#define LLMGW_JSON_CAP_VALUE   4        /* before a member value */
#define LLMGW_JSON_CAP_SCALAR  5
#define LLMGW_JSON_CAP_STRING  6
#define LLMGW_JSON_CAP_NESTED  7        /* in an object or array value */
#define LLMGW_JSON_CAP_HIT     0x100u

#define LLMGW_JSON_CAP_DEPTH   0x10000000


void
llmgw_json_capture_init(llmgw_json_capture_t *cap, const char *name,
    size_t name_len)
{
    cap->name = name;
    cap->name_len = name_len;
    cap->depth = 0;
    cap->state = LLMGW_JSON_CAP_START;
    cap->in_string = 0;
    cap->escape = 0;
    cap->expect_name = 0;
    cap->done = 0;
    cap->overflow = 0;
    cap->cur_len = 0;
    cap->value_len = 0;
}


static void
llmgw_json_capture_put(llmgw_json_capture_t *cap, unsigned char c)
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
llmgw_json_capture_end(llmgw_json_capture_t *cap)
{
    if (cap->state & LLMGW_JSON_CAP_HIT) {
        cap->done = 1;
    }

    cap->state = LLMGW_JSON_CAP_MEMBER;
    cap->depth = 1;
}


static void
llmgw_json_capture_name(llmgw_json_capture_t *cap, unsigned char c)
{
    if (cap->escape) {
        cap->escape = 0;

    } else if (c == '\\') {
        cap->escape = 1;

    } else if (c == '"') {
        cap->state = LLMGW_JSON_CAP_COLON;

        if (cap->cur_len <= LLMGW_JSON_NAME_MAX
            && llmgw_json_body_eq(cap->cur, cap->cur + cap->cur_len,
                                  cap->name, cap->name_len))
        {
            cap->state |= LLMGW_JSON_CAP_HIT;
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
llmgw_json_capture_value(llmgw_json_capture_t *cap, unsigned char c)
{
    unsigned  hit;

    hit = cap->state & LLMGW_JSON_CAP_HIT;

    switch (c) {

    case '"':
        cap->state = LLMGW_JSON_CAP_STRING | hit;
        cap->in_string = 1;
        cap->escape = 0;
        break;

    case '{':
    case '[':
        cap->state = LLMGW_JSON_CAP_NESTED | hit;
        cap->depth = 2;
        cap->in_string = 0;
        cap->escape = 0;
        break;

    case '}': case ']': case ',': case ':':
        cap->done = 1;
        return;

    default:
        cap->state = LLMGW_JSON_CAP_SCALAR | hit;
        break;
    }

    if (hit) {
        cap->value_len = 0;
        llmgw_json_capture_put(cap, c);
    }
}


static void
llmgw_json_capture_nested(llmgw_json_capture_t *cap, unsigned char c)
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
        if (++cap->depth == LLMGW_JSON_CAP_DEPTH) {
            cap->value_len = 0;
            cap->overflow = 1;
            cap->done = 1;
        }

        break;

    case '}':
    case ']':
        if (--cap->depth == 1) {
            llmgw_json_capture_end(cap);
        }

        break;
    }
}


/* value_len += n bytes, as n calls of llmgw_json_capture_put() */

static void
llmgw_json_capture_copy(llmgw_json_capture_t *cap, const unsigned char *p,
    size_t n)
{
    if (n > LLMGW_JSON_CAPTURE_MAX - cap->value_len) {
        cap->value_len = 0;
        cap->overflow = 1;
        cap->done = 1;
        return;
    }

    memcpy(cap->value + cap->value_len, p, n);
    cap->value_len += n;
}


/*
 * In a string, from p (not inside an escape): its closing quote, or end,
 * or a backslash that is the last byte before end.
 */

static inline const unsigned char *
llmgw_json_string_end(const unsigned char *p, const unsigned char *end)
{
    for ( ;; ) {
        p = llmgw_json_quote(p, end);

        if (p == end || *p == '"' || end - p < 2) {
            return p;
        }

        p += 2;
    }
}


/*
 * In a string, from p (past an escaping backslash if cap->escape): passes
 * over its bytes, escapes included, up to its closing quote or end.  A
 * backslash that is the last byte sets cap->escape.
 */

static const unsigned char *
llmgw_json_capture_string(llmgw_json_capture_t *cap, const unsigned char *p,
    const unsigned char *end)
{
    if (cap->escape) {
        cap->escape = 0;
        p++;
    }

    p = llmgw_json_string_end(p, end);

    if (p != end && *p == '\\') {
        cap->escape = 1;
        return end;
    }

    return p;
}


/*
 * In a nested value: passes over strings and the brackets that do not end
 * it, up to the bracket that does (or the one that would nest too deep),
 * or end.
 */

static const unsigned char *
llmgw_json_capture_nested_run(llmgw_json_capture_t *cap,
    const unsigned char *p, const unsigned char *end)
{
    unsigned  depth;

    if (cap->in_string) {
        p = llmgw_json_capture_string(cap, p, end);
        if (p == end) {
            return p;
        }

        cap->in_string = 0;
        p++;
    }

    depth = cap->depth;

    for ( ;; ) {
        p = llmgw_json_structural(p, end);
        if (p == end) {
            break;
        }

        switch (*p) {

        case '"':
            p = llmgw_json_string_end(p + 1, end);

            if (p == end) {
                cap->in_string = 1;
                goto done;
            }

            if (*p == '\\') {
                cap->in_string = 1;
                cap->escape = 1;
                p = end;
                goto done;
            }

            break;

        case '{':
        case '[':
            if (depth + 1 == LLMGW_JSON_CAP_DEPTH) {
                goto done;
            }

            depth++;
            break;

        case '}':
        case ']':
            if (depth == 2) {
                goto done;
            }

            depth--;
            break;
        }

        p++;
    }

done:

    cap->depth = depth;

    return p;
}


/* in a top-level member name: its bytes up to a quote or backslash */

static const unsigned char *
llmgw_json_capture_name_run(llmgw_json_capture_t *cap,
    const unsigned char *p, const unsigned char *end)
{
    size_t                n;
    const unsigned char  *q;

    if (cap->escape) {
        return p;
    }

    q = llmgw_json_quote(p, end);
    n = (size_t) (q - p);

    if (cap->cur_len > LLMGW_JSON_NAME_MAX) {
        return q;
    }

    if (n > LLMGW_JSON_NAME_MAX - cap->cur_len) {
        cap->cur_len = LLMGW_JSON_NAME_MAX + 1;
        return q;
    }

    memcpy(cap->cur + cap->cur_len, p, n);
    cap->cur_len += n;

    return q;
}


/* in a top-level scalar value: up to the byte that ends it */

static const unsigned char *
llmgw_json_capture_scalar_run(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' '
           && *p != '\t' && *p != '\r' && *p != '\n')
    {
        p++;
    }

    return p;
}


/* in a member value */

static const unsigned char *
llmgw_json_capture_value_run(llmgw_json_capture_t *cap,
    const unsigned char *p, const unsigned char *end)
{
    switch (cap->state & ~LLMGW_JSON_CAP_HIT) {

    case LLMGW_JSON_CAP_STRING:
        return llmgw_json_capture_string(cap, p, end);

    case LLMGW_JSON_CAP_NESTED:
        return llmgw_json_capture_nested_run(cap, p, end);

    default: /* LLMGW_JSON_CAP_SCALAR */
        return llmgw_json_capture_scalar_run(p, end);
    }
}


/*
 * Passes over the bytes from p that need no single step of the state
 * machine (copying them if they are part of the member being captured).
 * The machine's state afterwards is the same as if it had stepped through
 * them one by one, except once a capture has overflowed (done, then).
 */

static const unsigned char *
llmgw_json_capture_skip(llmgw_json_capture_t *cap, const unsigned char *p,
    const unsigned char *end)
{
    size_t                room;
    const unsigned char  *q;

    switch (cap->state) {

    case LLMGW_JSON_CAP_NAME:
        return llmgw_json_capture_name_run(cap, p, end);

    case LLMGW_JSON_CAP_SCALAR:
        return llmgw_json_capture_scalar_run(p, end);

    case LLMGW_JSON_CAP_STRING:
        return llmgw_json_capture_string(cap, p, end);

    case LLMGW_JSON_CAP_NESTED:
        return llmgw_json_capture_nested_run(cap, p, end);

    case LLMGW_JSON_CAP_SCALAR | LLMGW_JSON_CAP_HIT:
    case LLMGW_JSON_CAP_STRING | LLMGW_JSON_CAP_HIT:
    case LLMGW_JSON_CAP_NESTED | LLMGW_JSON_CAP_HIT:
        break;

    default:
        return p;
    }

    /* overflowing by one byte is enough to end it */
    room = LLMGW_JSON_CAPTURE_MAX - cap->value_len;

    if ((size_t) (end - p) > room) {
        end = p + room + 1;
    }

    q = llmgw_json_capture_value_run(cap, p, end);
    llmgw_json_capture_copy(cap, p, (size_t) (q - p));

    return q;
}


static void
llmgw_json_capture_byte(llmgw_json_capture_t *cap, unsigned char c)
{
    unsigned  hit;

    hit = cap->state & LLMGW_JSON_CAP_HIT;

    switch (cap->state & ~LLMGW_JSON_CAP_HIT) {

    case LLMGW_JSON_CAP_START:
        if (c == '{') {
            cap->state = LLMGW_JSON_CAP_MEMBER;
            cap->depth = 1;

        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            cap->done = 1;
        }

        break;

    case LLMGW_JSON_CAP_MEMBER:
        if (c == '"') {
            cap->state = LLMGW_JSON_CAP_NAME;
            cap->cur_len = 0;
            cap->escape = 0;

        } else if (c != ',' && c != ' ' && c != '\t' && c != '\r'
                   && c != '\n')
        {
            cap->depth = 0;
            cap->done = 1;
        }

        break;

    case LLMGW_JSON_CAP_NAME:
        llmgw_json_capture_name(cap, c);
        break;

    case LLMGW_JSON_CAP_COLON:
        if (c == ':') {
            cap->state = LLMGW_JSON_CAP_VALUE | hit;

        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            cap->done = 1;
        }

        break;

    case LLMGW_JSON_CAP_VALUE:
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            llmgw_json_capture_value(cap, c);
        }

        break;

    case LLMGW_JSON_CAP_SCALAR:
        if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t'
            || c == '\r' || c == '\n')
        {
            llmgw_json_capture_end(cap);

            if (c == '}' || c == ']') {
                cap->depth = 0;
                cap->done = 1;
            }

            break;
        }

        if (hit) {
            llmgw_json_capture_put(cap, c);
        }

        break;

    case LLMGW_JSON_CAP_STRING:
        if (hit) {
            llmgw_json_capture_put(cap, c);
        }

        if (cap->escape) {
            cap->escape = 0;

        } else if (c == '\\') {
            cap->escape = 1;

        } else if (c == '"') {
            cap->in_string = 0;
            llmgw_json_capture_end(cap);
        }

        break;

    default: /* LLMGW_JSON_CAP_NESTED */
        if (hit) {
            llmgw_json_capture_put(cap, c);
        }

        llmgw_json_capture_nested(cap, c);
        break;
    }
}


/*
 * Byte by byte through the state machine, except for the runs of bytes
 * that llmgw_json_capture_skip() passes over in bulk.
 */

void
llmgw_json_capture_feed(llmgw_json_capture_t *cap, const unsigned char *p,
    size_t n)
{
    const unsigned char  *end;

    if (n == 0) {
        return;
    }

    end = p + n;

    while (p < end && !cap->done) {
        p = llmgw_json_capture_skip(cap, p, end);

        if (p == end || cap->done) {
            break;
        }

        llmgw_json_capture_byte(cap, *p++);
    }
}
