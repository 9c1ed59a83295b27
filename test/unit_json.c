/*
 * Unit tests of src/llmgw_json.c: validation, spans and offsets, member
 * capture, decoding, escaping and the streaming capture.
 */

#include <stdint.h>

#include "llmgw_json.h"
#include "unit.h"


#define S(s)  (const unsigned char *) (s), sizeof(s) - 1


static const char  *fixtures = "fixtures";



static llmgw_json_rc_e
scan_only(const unsigned char *s, size_t n, unsigned depth, size_t *err_off)
{
    unsigned char      *b;
    llmgw_json_rc_e     rc;
    llmgw_json_scan_t   scan;

    b = dup_mem(s, n);
    rc = llmgw_json_scan_object(b, n, depth, NULL, 0, &scan);
    free(b);

    if (err_off) {
        *err_off = scan.err_off;
    }

    return rc;
}


/* valid documents */

static const char  *valid_docs[] = {
    "{}",
    " \t\r\n{ \t\r\n} \t\r\n",
    "{\"\":0}",
    "{\"a\":\"\"}",
    "{\"a\":[]}",
    "{\"a\":[ ]}",
    "{\"a\":{}}",
    "{\"a\":{ }}",
    "{\"a\":[1,2,[3,[4,{\"b\":[]}]]]}",
    ("{\"a\":0,\"b\":-0,\"c\":1.5,\"d\":-0.0e-0,\"e\":1E+2,\"f\":1e10,"
     "\"g\":123456789012345678901234567890,\"h\":0.000001,\"i\":-9e-9}"),
    "{\"t\":true,\"f\":false,\"n\":null,\"arr\":[true,false,null]}",
    "{\"esc\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
    "{\"u\":\"\\u0000\\u001f\\u0041\\u00e9\\u20AC\\uFFFF\\uffff\"}",
    "{\"pair\":\"\\ud83d\\ude00\\uD800\\uDC00\\udbff\\udfff\"}",
    "{\"raw\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbb\xbf\"}",
    "{\"del\":\"\x7f\",\"slash\":\"a/b\"}",
    "{\"a\" : 1 , \"b\" : [ 1 , 2 ] , \"c\" : { \"d\" : null } }",
    "{\"model\":\"gpt-4o\",\"model_x\":1,\"xmodel\":2}",
    "{\"a\":\"}\",\"b\":\"]\",\"c\":\"{[\",\"d\":\",:\"}",
};


static void
test_valid(void)
{
    size_t  i, off;

    for (i = 0; i < sizeof(valid_docs) / sizeof(valid_docs[0]); i++) {
        CHECK_INT(scan_only((const unsigned char *) valid_docs[i],
                            strlen(valid_docs[i]), 64, &off),
                  LLMGW_JSON_OK, "valid doc %zu: %s (err_off %zu)", i,
                  valid_docs[i], off);
    }
}


typedef struct {
    const char       *s;
    size_t            len;
    llmgw_json_rc_e   rc;
    size_t            err_off;
} bad_doc_t;

#define BAD(s, rc, off)  { s, sizeof(s) - 1, rc, off }
#define SYN  LLMGW_JSON_ERR_SYNTAX
#define NOBJ LLMGW_JSON_ERR_NOT_OBJECT


static const bad_doc_t  bad_docs[] = {
    /* empty, truncated */
    BAD("", SYN, 0),
    BAD("   ", SYN, 3),
    BAD("{", SYN, 1),
    BAD("{\"a\"", SYN, 4),
    BAD("{\"a\":", SYN, 5),
    BAD("{\"a\":1", SYN, 6),
    BAD("{\"a\":[1", SYN, 7),
    BAD("{\"a\":\"abc}", SYN, 10),
    BAD("{\"a\":\"\\", SYN, 7),
    BAD("{\"a\":nul", SYN, 8),

    /* structure */
    BAD("{\"a\":1,}", SYN, 7),
    BAD("{\"a\":[1,]}", SYN, 8),
    BAD("{\"a\":[,1]}", SYN, 6),
    BAD("{,}", SYN, 1),
    BAD("{\"a\":1,,\"b\":2}", SYN, 7),
    BAD("{\"a\" 1}", SYN, 5),
    BAD("{\"a\"::1}", SYN, 5),
    BAD("{\"a\":1 \"b\":2}", SYN, 7),
    BAD("{'a':1}", SYN, 1),
    BAD("{a:1}", SYN, 1),
    BAD("{1:2}", SYN, 1),
    BAD("{null:1}", SYN, 1),
    BAD("{\"a\":[1}", SYN, 7),
    BAD("{\"a\":{]}", SYN, 6),
    BAD("{\"a\":1]", SYN, 6),
    BAD("{\"a\":1}}", SYN, 7),
    BAD("{}{}", SYN, 2),
    BAD("{} x", SYN, 3),
    BAD("{}\x00", SYN, 2),
    BAD("// c\n{}", SYN, 0),
    BAD("{/*x*/}", SYN, 1),
    BAD("{\"a\":1 // c\n}", SYN, 7),
    BAD("\xef\xbb\xbf{}", SYN, 0),
    BAD("{\f}", SYN, 1),
    BAD("{\v}", SYN, 1),
    BAD("{\xc2\xa0}", SYN, 1),
    BAD("{\"a\":1}\f", SYN, 7),

    /* numbers */
    BAD("{\"a\":01}", SYN, 6),
    BAD("{\"a\":-01}", SYN, 7),
    BAD("{\"a\":00}", SYN, 6),
    BAD("{\"a\":-}", SYN, 6),
    BAD("{\"a\":1.}", SYN, 7),
    BAD("{\"a\":1.e3}", SYN, 7),
    BAD("{\"a\":.5}", SYN, 5),
    BAD("{\"a\":1e}", SYN, 7),
    BAD("{\"a\":1e+}", SYN, 8),
    BAD("{\"a\":1E-x}", SYN, 8),
    BAD("{\"a\":+1}", SYN, 5),
    BAD("{\"a\":0x1}", SYN, 6),
    BAD("{\"a\":1.5.2}", SYN, 8),
    BAD("{\"a\":NaN}", SYN, 5),
    BAD("{\"a\":Infinity}", SYN, 5),
    BAD("{\"a\":-Infinity}", SYN, 6),
    BAD("{\"a\":1 2}", SYN, 7),

    /* literals */
    BAD("{\"a\":tru}", SYN, 8),
    BAD("{\"a\":True}", SYN, 5),
    BAD("{\"a\":nulL}", SYN, 8),
    BAD("{\"a\":falsey}", SYN, 10),
    BAD("{\"a\":undefined}", SYN, 5),

    /* escapes: a bad escape character fails at it, a bad or lone
     * surrogate at its backslash */
    BAD("{\"a\":\"\\a\"}", SYN, 7),
    BAD("{\"a\":\"\\x41\"}", SYN, 7),
    BAD("{\"a\":\"\\U0041\"}", SYN, 7),
    BAD("{\"a\":\"\\'\"}", SYN, 7),
    BAD("{\"a\":\"\\u12\"}", SYN, 8),
    BAD("{\"a\":\"\\u00G0\"}", SYN, 8),
    BAD("{\"a\":\"\\u", SYN, 8),
    BAD("{\"a\":\"\\ud800\"}", SYN, 6),
    BAD("{\"a\":\"\\ud800\\u0041\"}", SYN, 6),
    BAD("{\"a\":\"\\ud800\\n\"}", SYN, 6),
    BAD("{\"a\":\"\\ud800x\\udc00\"}", SYN, 6),
    BAD("{\"a\":\"\\udc00\"}", SYN, 6),
    BAD("{\"a\":\"\\udc00\\udc00\"}", SYN, 6),
    BAD("{\"a\":\"\\udc00\\udfff\"}", SYN, 6),
    BAD("{\"a\":\"\\ud800\\ue000\"}", SYN, 6),
    BAD("{\"a\":\"\\udbff\\uffff\"}", SYN, 6),
    BAD("{\"a\":\"\\ud800\\u0000\"}", SYN, 6),
    BAD("{\"a\":\"\\udfff\\ud800\"}", SYN, 6),
    BAD("{\"a\":\"\\ud800\\udbff\"}", SYN, 6),
    BAD("{\"a\":\"\\ud800\\ud800\\udc00\"}", SYN, 6),
    BAD("{\"a\":\"x\\ud83d\"}", SYN, 7),
    BAD("{\"a\":\"\\ud83d\\ude0\"}", SYN, 6),
    BAD("{\"\\udc00\":1}", SYN, 2),

    /* raw control characters */
    BAD("{\"a\":\"\x00\"}", SYN, 6),
    BAD("{\"a\":\"x\ty\"}", SYN, 7),
    BAD("{\"a\":\"x\ny\"}", SYN, 7),
    BAD("{\"a\n\":1}", SYN, 3),

    /* well-formed, not an object: err_off is the value's offset */
    BAD("[]", NOBJ, 0),
    BAD(" [1,{\"a\":2}] ", NOBJ, 1),
    BAD("1", NOBJ, 0),
    BAD("-0.5e3", NOBJ, 0),
    BAD("\"x\"", NOBJ, 0),
    BAD("\n\ttrue", NOBJ, 2),
    BAD("null", NOBJ, 0),

    /* not well-formed, not an object */
    BAD("[1,]", SYN, 3),
    BAD("01", SYN, 1),
    BAD("\"abc", SYN, 4),
    BAD("[]]", SYN, 2),
    BAD("1 2", SYN, 2),
};


static void
test_invalid(void)
{
    size_t            i, off;
    llmgw_json_rc_e   rc;
    const bad_doc_t  *b;

    for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
        b = &bad_docs[i];
        rc = scan_only((const unsigned char *) b->s, b->len, 64, &off);

        if (rc == b->rc && off == b->err_off) {
            unit_passed++;
            continue;
        }

        UNIT_FAIL("bad doc %zu \"%.*s\": rc %d err_off %zu, want rc %d "
                  "err_off %zu", i, (int) b->len, b->s, rc, off, b->rc,
                  b->err_off);
    }
}


/* every single byte inside a string value */

static void
test_string_bytes(void)
{
    int              ok, want;
    size_t           off, bad;
    unsigned         c;
    unsigned char    doc[] = "{\"a\":\"?\"}";
    llmgw_json_rc_e  rc;

    bad = 0;

    for (c = 0; c < 256; c++) {
        doc[6] = (unsigned char) c;
        rc = scan_only(doc, sizeof(doc) - 1, 8, &off);

        want = (c >= 0x20 && c < 0x80 && c != '"' && c != '\\');
        ok = (rc == LLMGW_JSON_OK);

        /* a lead byte fails at the closing quote after it */
        if (ok != want
            || (!want && c != '"' && c != '\\'
                && off != ((c >= 0xc2 && c <= 0xf4) ? 7u : 6u)))
        {
            if (bad++ == 0) {
                UNIT_FAIL("byte 0x%02x in a string: rc %d err_off %zu", c,
                          rc, off);
            }
        }
    }

    CHECK_INT(bad, 0, "single bytes in strings");
}


/*
 * An independent UTF-8 reference: decode by the bit patterns, then reject
 * overlongs, surrogates and code points past U+10FFFF.
 */

static int
ref_utf8_valid(const unsigned char *s, size_t n)
{
    size_t    i, k, len;
    uint32_t  cp, min;

    i = 0;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }

        if ((s[i] & 0xe0) == 0xc0) {
            len = 2;
            cp = s[i] & 0x1f;
            min = 0x80;

        } else if ((s[i] & 0xf0) == 0xe0) {
            len = 3;
            cp = s[i] & 0x0f;
            min = 0x800;

        } else if ((s[i] & 0xf8) == 0xf0) {
            len = 4;
            cp = s[i] & 0x07;
            min = 0x10000;

        } else {
            return 0;
        }

        if (n - i < len) {
            return 0;
        }

        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (s[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }

        i += len;
    }

    return 1;
}


static int
utf8_agrees(const unsigned char *seq, size_t n, unsigned *mismatches)
{
    int              want, got;
    unsigned char    doc[16];
    llmgw_json_rc_e  rc;

    memcpy(doc, "{\"a\":\"", 6);
    memcpy(doc + 6, seq, n);
    memcpy(doc + 6 + n, "\"}", 2);

    rc = scan_only(doc, n + 8, 8, NULL);

    want = ref_utf8_valid(seq, n);
    got = (rc == LLMGW_JSON_OK);

    if (want != got) {
        if ((*mismatches)++ == 0) {
            UNIT_FAIL("UTF-8 %02x %02x %02x %02x (%zu): got %d want %d",
                      seq[0], n > 1 ? seq[1] : 0, n > 2 ? seq[2] : 0,
                      n > 3 ? seq[3] : 0, n, got, want);
        }

        return 0;
    }

    return 1;
}


static void
test_utf8_exhaustive(void)
{
    unsigned        a, b, c, i, mismatches;
    unsigned char   seq[4];

    static const unsigned char  edge[] = { 0x00, 0x41, 0x7f, 0x80, 0x8f,
                                           0x90, 0x9f, 0xa0, 0xbf, 0xc0,
                                           0xff };

    mismatches = 0;

    /* every pair of bytes, with the pair ending the string */
    for (a = 0x80; a < 256; a++) {
        for (b = 0x20; b < 256; b++) {
            if (b == '"' || b == '\\') {
                continue;
            }

            seq[0] = (unsigned char) a;
            seq[1] = (unsigned char) b;
            utf8_agrees(seq, 2, &mismatches);
        }
    }

    /* three- and four-byte leads with every second byte, edge thirds */
    for (a = 0xe0; a < 0xf8; a++) {
        for (b = 0x80; b < 0xc0; b++) {
            for (i = 0; i < sizeof(edge); i++) {
                c = edge[i];
                if (c < 0x20) {
                    continue;
                }

                seq[0] = (unsigned char) a;
                seq[1] = (unsigned char) b;
                seq[2] = (unsigned char) c;
                seq[3] = 0x80;
                utf8_agrees(seq, 3, &mismatches);
                utf8_agrees(seq, 4, &mismatches);

                seq[3] = 0xbf;
                utf8_agrees(seq, 4, &mismatches);

                seq[3] = 0xc0;
                utf8_agrees(seq, 4, &mismatches);
            }
        }
    }

    CHECK_INT(mismatches, 0, "UTF-8 against the reference decoder");
}


typedef struct {
    const char  *seq;
    size_t       len;
    size_t       bad;      /* index of the bad byte, or -1 if valid */
} utf8_case_t;

#define U8(s, bad)  { s, sizeof(s) - 1, bad }


static void
test_utf8_cases(void)
{
    size_t           i, off, n;
    unsigned char    doc[32];
    llmgw_json_rc_e  rc;

    static const utf8_case_t  cases[] = {
        U8("\xc2\x80", (size_t) -1),
        U8("\xdf\xbf", (size_t) -1),
        U8("\xe0\xa0\x80", (size_t) -1),
        U8("\xed\x9f\xbf", (size_t) -1),
        U8("\xee\x80\x80", (size_t) -1),
        U8("\xef\xbf\xbf", (size_t) -1),
        U8("\xf0\x90\x80\x80", (size_t) -1),
        U8("\xf4\x8f\xbf\xbf", (size_t) -1),
        U8("\xc0\x80", 0),                  /* overlong NUL */
        U8("\xc1\xbf", 0),
        U8("\xe0\x80\x80", 1),
        U8("\xe0\x9f\xbf", 1),
        U8("\xed\xa0\x80", 1),              /* U+D800 */
        U8("\xed\xbf\xbf", 1),              /* U+DFFF */
        U8("\xf0\x80\x80\x80", 1),
        U8("\xf0\x8f\xbf\xbf", 1),
        U8("\xf4\x90\x80\x80", 1),          /* U+110000 */
        U8("\xf5\x80\x80\x80", 0),
        U8("\xf8\x88\x80\x80\x80", 0),
        U8("\xff", 0),
        U8("\x80", 0),
        U8("\xbf", 0),
        U8("\xc2", 1),                      /* then the closing quote */
        U8("\xe2\x82", 2),
        U8("\xf0\x9f\x98", 3),
        U8("\xc2\x41", 1),
        U8("\xe2\x28\xa1", 1),
        U8("\xf0\x9f\x28\x80", 2),
        U8("\xc3\xa9\xc3", 3),
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = cases[i].len;

        memcpy(doc, "{\"a\":\"", 6);
        memcpy(doc + 6, cases[i].seq, n);
        memcpy(doc + 6 + n, "\"}", 2);

        rc = scan_only(doc, n + 8, 8, &off);

        if (cases[i].bad == (size_t) -1) {
            CHECK_INT(rc, LLMGW_JSON_OK, "UTF-8 case %zu", i);

        } else {
            CHECK(rc == LLMGW_JSON_ERR_SYNTAX && off == 6 + cases[i].bad,
                  "UTF-8 case %zu: rc %d err_off %zu, want %zu", i, rc, off,
                  6 + cases[i].bad);
        }
    }

    /* a sequence cut by the end of the input */
    rc = scan_only(S("{\"a\":\"\xe2\x82"), 8, &off);
    CHECK(rc == LLMGW_JSON_ERR_SYNTAX && off == 8,
          "truncated sequence at the end: rc %d err_off %zu", rc, off);
}


static void
test_control_chars(void)
{
    unsigned         c, bad;
    size_t           off;
    unsigned char    doc[] = "{\"k?\":\"x?y\"}";
    llmgw_json_rc_e  rc;

    bad = 0;

    for (c = 0; c < 0x20; c++) {
        doc[3] = 'k';
        doc[8] = (unsigned char) c;
        rc = scan_only(doc, sizeof(doc) - 1, 8, &off);

        if (rc != LLMGW_JSON_ERR_SYNTAX || off != 8) {
            bad++;
            UNIT_FAIL("raw 0x%02x in a value: rc %d err_off %zu", c, rc, off);
        }

        doc[3] = (unsigned char) c;
        doc[8] = 'x';
        rc = scan_only(doc, sizeof(doc) - 1, 8, &off);

        if (rc != LLMGW_JSON_ERR_SYNTAX || off != 3) {
            bad++;
            UNIT_FAIL("raw 0x%02x in a name: rc %d err_off %zu", c, rc, off);
        }
    }

    CHECK_INT(bad, 0, "raw control characters");
}


/* {"a":{"a":...{"a":1}...}} or {"a":[[...]]}, depth levels in all */

static size_t
nest(unsigned char *buf, unsigned depth, int arrays)
{
    size_t    n;
    unsigned  i;

    n = 0;
    buf[n++] = '{';

    if (arrays) {
        memcpy(buf + n, "\"a\":", 4);
        n += 4;
    }

    for (i = 1; i < depth; i++) {
        if (arrays) {
            buf[n++] = '[';

        } else {
            memcpy(buf + n, "\"a\":{", 5);
            n += 5;
        }
    }

    if (!arrays) {
        memcpy(buf + n, "\"a\":1", 5);
        n += 5;
    }

    for (i = 1; i < depth; i++) {
        buf[n++] = arrays ? ']' : '}';
    }

    buf[n++] = '}';

    return n;
}


static void
test_depth(void)
{
    size_t           n, off, i;
    unsigned char   *buf, *p;
    llmgw_json_rc_e  rc;

    buf = malloc(8 * 2100);
    if (buf == NULL) {
        abort();
    }

    n = nest(buf, 64, 0);
    CHECK_INT(scan_only(buf, n, 64, &off), LLMGW_JSON_OK, "64 objects deep");
    rc = scan_only(buf, n, 63, &off);
    CHECK(rc == LLMGW_JSON_ERR_DEPTH && off == 5 * 63,
          "64 objects, max 63: rc %d err_off %zu", rc, off);

    n = nest(buf, 128, 1);
    CHECK_INT(scan_only(buf, n, 128, &off), LLMGW_JSON_OK, "arrays 128");
    rc = scan_only(buf, n, 127, &off);
    CHECK(rc == LLMGW_JSON_ERR_DEPTH && off == 5 + 126,
          "arrays 128, max 127: rc %d err_off %zu", rc, off);

    rc = scan_only(S("{}"), 0, &off);
    CHECK(rc == LLMGW_JSON_ERR_DEPTH && off == 0, "max 0: rc %d", rc);
    CHECK_INT(scan_only(S("{\"a\":1}"), 1, &off), LLMGW_JSON_OK, "max 1");
    rc = scan_only(S("{\"a\":[]}"), 1, &off);
    CHECK(rc == LLMGW_JSON_ERR_DEPTH && off == 5, "max 1, []: rc %d", rc);
    rc = scan_only(S("{\"a\":{}}"), 1, &off);
    CHECK(rc == LLMGW_JSON_ERR_DEPTH && off == 5, "max 1, {}: rc %d", rc);
    rc = scan_only(S("[[1]]"), 1, &off);
    CHECK(rc == LLMGW_JSON_ERR_DEPTH && off == 1, "max 1, [[: rc %d", rc);

    /* above LLMGW_JSON_DEPTH_LIMIT the limit applies */
    n = nest(buf, LLMGW_JSON_DEPTH_LIMIT, 1);
    CHECK_INT(scan_only(buf, n, 100000, &off), LLMGW_JSON_OK, "1024 deep");
    n = nest(buf, LLMGW_JSON_DEPTH_LIMIT + 1, 1);
    rc = scan_only(buf, n, 100000, &off);
    CHECK(rc == LLMGW_JSON_ERR_DEPTH && off == 5 + LLMGW_JSON_DEPTH_LIMIT - 1,
          "1025 deep: rc %d err_off %zu", rc, off);

    /*
     * Alternate objects and arrays 300 deep, so the kind of each level is
     * read back across the words of the nesting stack; then close one of
     * them with the wrong bracket.
     */
    p = buf;
    *p++ = '{';

    for (i = 1; i < 300; i++) {
        if (i % 2) {
            memcpy(p, "\"k\":[", 5);
            p += 5;
        } else {
            *p++ = '{';
        }
    }

    *p++ = '1';

    for (i = 299; i >= 1; i--) {
        *p++ = (i % 2) ? ']' : '}';
    }

    *p++ = '}';
    n = (size_t) (p - buf);

    CHECK_INT(scan_only(buf, n, 300, &off), LLMGW_JSON_OK,
              "alternating 300 deep (err_off %zu)", off);

    /* the closer of level 170 (an array) becomes '}' */
    buf[n - 170] = '}';
    rc = scan_only(buf, n, 300, &off);
    CHECK(rc == LLMGW_JSON_ERR_SYNTAX && off == n - 170,
          "wrong closer deep down: rc %d err_off %zu want %zu", rc, off,
          n - 170);

    free(buf);
}


/*
 * The word-at-a-time string scan: every kind of byte that stops it, at
 * every offset from the string's start (so at every position within a
 * word and across the word boundary), after every plain byte, with the
 * string ending at every distance from the end of the buffer.
 */

typedef struct {
    const char  *ins;       /* inserted into the string */
    size_t       len;
    int          err;       /* -1: valid; else err_off from the insertion */
} stop_t;

#define STOP(s, err)  { s, sizeof(s) - 1, err }

static const stop_t  stops[] = {
    STOP("\x00", 0),
    STOP("\x01", 0),
    STOP("\x1f", 0),
    STOP("\t", 0),
    STOP("\n", 0),
    STOP("\x80", 0),
    STOP("\xbf", 0),
    STOP("\xc1\x81", 0),
    STOP("\xff", 0),
    STOP("\xc3", 1),              /* a lead byte before a plain byte */
    STOP("\xe2\x82", 2),
    STOP("\xc3\xa9", -1),
    STOP("\xe2\x82\xac", -1),
    STOP("\xf0\x9f\x98\x80", -1),
    STOP("\\\"", -1),
    STOP("\\\\", -1),
    STOP("\\n", -1),
    STOP("\\u00e9", -1),
    STOP("\\ud83d\\ude00", -1),
    STOP("\\x", 1),
    STOP("\\u12x4", 2),
    STOP("\\udc00", 0),
    STOP(" ", -1),
    STOP("\x7f", -1),
    STOP("!", -1),
    STOP("#", -1),
    STOP("]", -1),
};


static void
test_string_stops(void)
{
    size_t           k, m, i, n, off, bad, err;
    unsigned         f;
    unsigned char    doc[128];
    llmgw_json_rc_e  rc;

    bad = 0;

    /* filler f before and after: every byte that stands for itself */
    for (f = 0x20; f < 0x80; f++) {
        if (f == '"' || f == '\\') {
            continue;
        }

        for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
            for (k = 0; k < 20; k++) {
                for (m = 0; m < 10; m++) {
                    memcpy(doc, "{\"a\":\"", 6);
                    memset(doc + 6, (int) f, k);
                    memcpy(doc + 6 + k, stops[i].ins, stops[i].len);
                    n = 6 + k + stops[i].len;
                    memset(doc + n, (int) f, m);
                    n += m;
                    memcpy(doc + n, "\"}", 2);
                    n += 2;

                    rc = scan_only(doc, n, 8, &off);
                    err = 6 + k + (size_t) stops[i].err;

                    if (stops[i].err < 0 ? rc != LLMGW_JSON_OK
                        : (rc != LLMGW_JSON_ERR_SYNTAX || off != err))
                    {
                        if (bad++ == 0) {
                            UNIT_FAIL("stop %zu after %zu x 0x%02x, %zu after:"
                                      " rc %d err_off %zu", i, k, f, m, rc,
                                      off);
                        }
                    }
                }
            }
        }
    }

    CHECK_INT(bad, 0, "string stops at every offset after every byte");
}


/* the closing quote at every offset: the span ends exactly there */

static void
test_string_ends(void)
{
    size_t              k, m, n, bad;
    unsigned            f;
    unsigned char      *b, doc[128];
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   va, vb;
    llmgw_json_field_t  fields[2];
    llmgw_json_scan_t   scan;

    fields[0].name = "a";
    fields[0].name_len = 1;
    fields[0].value = &va;
    fields[1].name = "b";
    fields[1].name_len = 1;
    fields[1].value = &vb;

    bad = 0;

    for (f = 0x20; f < 0x80; f++) {
        if (f == '"' || f == '\\') {
            continue;
        }

        for (k = 0; k < 20; k++) {
            for (m = 0; m < 20; m++) {
                memcpy(doc, "{\"a\":\"", 6);
                memset(doc + 6, (int) f, k);
                memcpy(doc + 6 + k, "\",\"b\":\"", 7);
                memset(doc + 13 + k, (int) f, m);
                memcpy(doc + 13 + k + m, "\"}", 2);
                n = 15 + k + m;

                b = dup_mem(doc, n);
                rc = llmgw_json_scan_object(b, n, 8, fields, 2, &scan);

                if (rc != LLMGW_JSON_OK || va.len != k + 2 || vb.len != m + 2
                    || va.start != b + 5 || vb.start != b + 12 + k)
                {
                    if (bad++ == 0) {
                        UNIT_FAIL("strings of %zu and %zu x 0x%02x: rc %d",
                                  k, m, f, rc);
                    }
                }

                /* cut short anywhere in the second string: at its end */
                rc = scan_only(b, 13 + k + m, 8, &scan.err_off);

                if (rc != LLMGW_JSON_ERR_SYNTAX
                    || scan.err_off != 13 + k + m)
                {
                    if (bad++ == 0) {
                        UNIT_FAIL("unterminated after %zu, %zu x 0x%02x: "
                                  "rc %d err_off %zu", k, m, f, rc,
                                  scan.err_off);
                    }
                }

                /* or right after a backslash */
                b[12 + k + m] = '\\';
                rc = scan_only(b, 13 + k + m, 8, &scan.err_off);

                if (m > 0 && (rc != LLMGW_JSON_ERR_SYNTAX
                              || scan.err_off != 13 + k + m))
                {
                    if (bad++ == 0) {
                        UNIT_FAIL("backslash at the end after %zu, %zu: "
                                  "rc %d err_off %zu", k, m, rc,
                                  scan.err_off);
                    }
                }

                free(b);
            }
        }
    }

    CHECK_INT(bad, 0, "string ends at every offset and buffer end");
}


/* escapes and multi-byte characters back to back, at every alignment */

static void
test_string_dense(void)
{
    size_t           k, i, n, off, bad;
    unsigned char    doc[256];
    llmgw_json_rc_e  rc;

    static const char  *pieces[] = { "\\n", "\\\"", "\xc3\xa9", "\\\\",
                                     "\\u0041", "ab", "\xf0\x9f\x98\x80" };

    bad = 0;

    for (k = 0; k < 16; k++) {
        memcpy(doc, "{\"a\":\"", 6);
        memset(doc + 6, 'x', k);
        n = 6 + k;

        for (i = 0; i < 7 * 7; i++) {
            memcpy(doc + n, pieces[(i * 3 + k) % 7],
                   strlen(pieces[(i * 3 + k) % 7]));
            n += strlen(pieces[(i * 3 + k) % 7]);
        }

        memcpy(doc + n, "\"}", 2);
        n += 2;

        rc = scan_only(doc, n, 8, &off);
        if (rc != LLMGW_JSON_OK && bad++ == 0) {
            UNIT_FAIL("dense string after %zu: rc %d err_off %zu", k, rc,
                      off);
        }

        /* a control character in place of the last piece's first byte */
        doc[n - 2 - strlen(pieces[(48 * 3 + k) % 7])] = '\x1f';
        rc = scan_only(doc, n, 8, &off);
        if ((rc != LLMGW_JSON_ERR_SYNTAX
             || off != n - 2 - strlen(pieces[(48 * 3 + k) % 7]))
            && bad++ == 0)
        {
            UNIT_FAIL("dense string with a control after %zu: rc %d "
                      "err_off %zu", k, rc, off);
        }
    }

    CHECK_INT(bad, 0, "dense strings");
}


/* the member spans of a realistic request */

typedef struct {
    llmgw_json_span_t   model, messages, stream, stream_options, max_tokens;
    llmgw_json_span_t   temperature, n, tools, user;
    llmgw_json_field_t  f[9];
} req_fields_t;


static void
req_fields_init(req_fields_t *r)
{
    static const char  *names[] = { "model", "messages", "stream",
                                    "stream_options", "max_tokens",
                                    "temperature", "n", "tools", "user" };
    llmgw_json_span_t  *spans[9];
    size_t              i;

    spans[0] = &r->model;
    spans[1] = &r->messages;
    spans[2] = &r->stream;
    spans[3] = &r->stream_options;
    spans[4] = &r->max_tokens;
    spans[5] = &r->temperature;
    spans[6] = &r->n;
    spans[7] = &r->tools;
    spans[8] = &r->user;

    for (i = 0; i < 9; i++) {
        r->f[i].name = names[i];
        r->f[i].name_len = strlen(names[i]);
        r->f[i].value = spans[i];
        spans[i]->type = LLMGW_JSON_STRING;   /* scan must reset these */
        spans[i]->start = (const unsigned char *) "junk";
        spans[i]->len = 99;
        spans[i]->name_off = 99;
    }
}


/* name is quoted; value the exact expected text */

static void
check_span(const char *what, const unsigned char *buf,
    const llmgw_json_span_t *v, llmgw_json_type_e type, const char *name,
    const char *value)
{
    const char  *np, *vp;

    np = strstr((const char *) buf, name);

    if (type == LLMGW_JSON_NONE) {
        CHECK(v->type == LLMGW_JSON_NONE && v->start == NULL && v->len == 0,
              "%s: absent %s has type %d", what, name, v->type);
        return;
    }

    vp = strstr(np + strlen(name), value);

    CHECK(vp != NULL, "%s: fixture lacks %s", what, value);
    CHECK_INT(v->type, type, "%s: type of %s", what, name);
    CHECK_INT(v->name_off, np - (const char *) buf, "%s: name_off of %s",
              what, name);
    CHECK_INT(v->start - buf, vp ? vp - (const char *) buf : -1,
              "%s: value offset of %s", what, name);
    CHECK_MEM(v->start, v->len, value, strlen(value), "%s: value of %s",
              what, name);
}


static const char  req_compact[] =
    "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":"
    "\"You are terse.\"},{\"role\":\"user\",\"content\":\"say \\\"hi\\\" "
    "and {\\\"model\\\":\\\"x\\\"}\"}],\"stream\":true,\"stream_options\":"
    "{\"include_usage\":true},\"max_tokens\":1024,\"temperature\":0.2,"
    "\"n\":null,\"tools\":[]}";

static const char  req_pretty[] =
    "\r\n {\n  \"model\" : \"gpt-4o\" ,\n  \"messages\": [\n    {\"role\": "
    "\"user\", \"content\": \"x\"}\n  ],\n  \"stream\"  :\tfalse,\n"
    "  \"stream_options\": { \"include_usage\" : false } ,\n"
    "  \"max_tokens\": 0 ,\n  \"temperature\": -1.5e-3,\n  \"n\": 2,\n"
    "  \"tools\": [ ]\n }\n\n";


static void
test_spans(void)
{
    size_t              len;
    unsigned char      *buf;
    req_fields_t        r;
    llmgw_json_rc_e     rc;
    llmgw_json_scan_t   scan;

    len = sizeof(req_compact) - 1;
    buf = dup_mem(req_compact, len + 1);
    req_fields_init(&r);

    rc = llmgw_json_scan_object(buf, len, 64, r.f, 9, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "compact request");
    CHECK_INT(scan.open_off, 0, "compact open_off");
    CHECK_INT(scan.close_off, len - 1, "compact close_off");
    CHECK_INT(scan.members, 8, "compact members");

    check_span("compact", buf, &r.model, LLMGW_JSON_STRING, "\"model\"",
               "\"gpt-4o\"");
    check_span("compact", buf, &r.messages, LLMGW_JSON_ARRAY, "\"messages\"",
               "[{\"role\":\"system\",\"content\":\"You are terse.\"},"
               "{\"role\":\"user\",\"content\":\"say \\\"hi\\\" and "
               "{\\\"model\\\":\\\"x\\\"}\"}]");
    check_span("compact", buf, &r.stream, LLMGW_JSON_TRUE, "\"stream\"",
               "true");
    check_span("compact", buf, &r.stream_options, LLMGW_JSON_OBJECT,
               "\"stream_options\"", "{\"include_usage\":true}");
    check_span("compact", buf, &r.max_tokens, LLMGW_JSON_NUMBER,
               "\"max_tokens\"", "1024");
    check_span("compact", buf, &r.temperature, LLMGW_JSON_NUMBER,
               "\"temperature\"", "0.2");
    check_span("compact", buf, &r.n, LLMGW_JSON_NULL, "\"n\"", "null");
    check_span("compact", buf, &r.tools, LLMGW_JSON_ARRAY, "\"tools\"", "[]");
    check_span("compact", buf, &r.user, LLMGW_JSON_NONE, "\"user\"", "");
    free(buf);

    len = sizeof(req_pretty) - 1;
    buf = dup_mem(req_pretty, len + 1);
    req_fields_init(&r);

    rc = llmgw_json_scan_object(buf, len, 64, r.f, 9, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "pretty request");
    CHECK_INT(scan.open_off, 3, "pretty open_off");
    CHECK_INT(scan.close_off, len - 3, "pretty close_off");
    CHECK_INT(scan.members, 8, "pretty members");

    check_span("pretty", buf, &r.model, LLMGW_JSON_STRING, "\"model\"",
               "\"gpt-4o\"");
    check_span("pretty", buf, &r.messages, LLMGW_JSON_ARRAY, "\"messages\"",
               "[\n    {\"role\": \"user\", \"content\": \"x\"}\n  ]");
    check_span("pretty", buf, &r.stream, LLMGW_JSON_FALSE, "\"stream\"",
               "false");
    check_span("pretty", buf, &r.stream_options, LLMGW_JSON_OBJECT,
               "\"stream_options\"", "{ \"include_usage\" : false }");
    check_span("pretty", buf, &r.max_tokens, LLMGW_JSON_NUMBER,
               "\"max_tokens\"", "0");
    check_span("pretty", buf, &r.temperature, LLMGW_JSON_NUMBER,
               "\"temperature\"", "-1.5e-3");
    check_span("pretty", buf, &r.n, LLMGW_JSON_NUMBER, "\"n\"", "2");
    check_span("pretty", buf, &r.tools, LLMGW_JSON_ARRAY, "\"tools\"", "[ ]");
    free(buf);

    /* on error every field is NONE again */
    req_fields_init(&r);
    rc = llmgw_json_scan_object(S("{\"model\":\"a\",\"stream\":tru}"), 64,
                                r.f, 9, &scan);
    CHECK_INT(rc, LLMGW_JSON_ERR_SYNTAX, "error after a capture");
    CHECK(r.model.type == LLMGW_JSON_NONE && r.model.start == NULL,
          "fields cleared on error");
    CHECK_INT(scan.members, 0, "scan cleared on error");
    CHECK_INT(scan.err_off, 25, "err_off after a capture");

    /* no fields at all */
    CHECK_INT(llmgw_json_scan_object(S("{\"a\":1}"), 64, NULL, 0, &scan),
              LLMGW_JSON_OK, "no fields");
    CHECK_INT(scan.members, 1, "one member");
}


/* splice edits into a request using only the offsets, then rescan */

static void
test_splice(void)
{
    size_t              len, n, off;
    unsigned char      *buf, *out;
    req_fields_t        r;
    llmgw_json_rc_e     rc;
    llmgw_json_scan_t   scan;
    llmgw_json_span_t   so;
    llmgw_json_field_t  f;

    static const char   repl[] = "\"gpt-4o-mini\"";
    static const char   add[] = ",\"user\":\"u-42\"";

    len = sizeof(req_compact) - 1;
    buf = dup_mem(req_compact, len);
    out = malloc(len + 64);
    req_fields_init(&r);

    rc = llmgw_json_scan_object(buf, len, 64, r.f, 9, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "splice: scan");

    /* replace the model, drop "temperature" up to the next member, append
     * a member before the closing brace */
    n = 0;
    off = (size_t) (r.model.start - buf);
    memcpy(out + n, buf, off);
    n += off;
    memcpy(out + n, repl, sizeof(repl) - 1);
    n += sizeof(repl) - 1;

    off += r.model.len;
    memcpy(out + n, buf + off, r.temperature.name_off - off);
    n += r.temperature.name_off - off;

    off = r.n.name_off;
    memcpy(out + n, buf + off, scan.close_off - off);
    n += scan.close_off - off;
    memcpy(out + n, add, sizeof(add) - 1);
    n += sizeof(add) - 1;
    memcpy(out + n, buf + scan.close_off, len - scan.close_off);
    n += len - scan.close_off;

    free(buf);
    buf = dup_mem(out, n);
    req_fields_init(&r);

    rc = llmgw_json_scan_object(buf, n, 64, r.f, 9, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "splice: rescan (err_off %zu)", scan.err_off);
    CHECK(llmgw_json_string_eq(&r.model, "gpt-4o-mini", 11), "spliced model");
    CHECK_INT(r.temperature.type, LLMGW_JSON_NONE, "temperature removed");
    CHECK(llmgw_json_string_eq(&r.user, "u-42", 4), "appended user");
    CHECK_INT(scan.members, 8, "spliced members");

    /* and one nested level down: stream_options.include_usage */
    f.name = "include_usage";
    f.name_len = 13;
    f.value = &so;
    rc = llmgw_json_scan_members(&r.stream_options, &f, 1, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "stream_options members");
    CHECK_INT(so.type, LLMGW_JSON_TRUE, "include_usage");
    CHECK_INT(so.name_off, 1, "include_usage name_off (relative)");
    CHECK_INT(so.start - r.stream_options.start, 17, "include_usage value");
    CHECK_INT(scan.close_off, r.stream_options.len - 1, "nested close_off");
    CHECK_INT(scan.members, 1, "nested members");

    free(buf);
    free(out);
}


static llmgw_json_rc_e
scan_one(const unsigned char *s, size_t n, const char *name,
    llmgw_json_span_t *v, llmgw_json_scan_t *scan)
{
    llmgw_json_field_t  f;

    f.name = name;
    f.name_len = strlen(name);
    f.value = v;

    return llmgw_json_scan_object(s, n, 64, &f, 1, scan);
}


static void
test_names(void)
{
    unsigned char      *b;
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   v;
    llmgw_json_scan_t   scan;

    rc = scan_one(S("{\"mod\\u0065l\":\"a\"}"), "model", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_STRING
          && v.name_off == 1 && v.len == 3, "escaped name: rc %d", rc);

    rc = scan_one(S("{\"\\u006d\\u006F\\u0064\\u0065\\u006c\":1}"), "model",
                  &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_NUMBER,
          "fully escaped name: rc %d type %d", rc, v.type);

    rc = scan_one(S("{\"a\\/b\":true}"), "a/b", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_TRUE, "\\/ in a name");

    rc = scan_one(S("{\"caf\\u00e9\":1}"), "caf\xc3\xa9", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_NUMBER, "\\u00e9 name");

    rc = scan_one(S("{\"\\ud83d\\ude00\":1}"), "\xf0\x9f\x98\x80", &v,
                  &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_NUMBER,
          "surrogate pair name");

    /* near misses are not captured */
    rc = scan_one(S("{\"Model\":1,\"model \":2,\"mode\":3,\"models\":4,"
                    "\"model\\u0000\":5,\"mod\\u0065\":6,\"stream\":7}"),
                  "model", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_NONE,
          "near misses: rc %d type %d", rc, v.type);
    CHECK_INT(scan.members, 7, "near misses counted");

    rc = scan_one(S("{\"stream_options\":{},\"stream\":false}"), "stream",
                  &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_FALSE
          && v.name_off == 21, "stream after stream_options");

    /* duplicates */
    rc = scan_one(S("{\"model\":1,\"model\":2}"), "model", &v, &scan);
    CHECK(rc == LLMGW_JSON_ERR_DUPLICATE && scan.err_off == 11
          && v.type == LLMGW_JSON_NONE, "duplicate: rc %d err_off %zu", rc,
          scan.err_off);

    rc = scan_one(S("{\"model\":\"a\",\"mod\\u0065l\":\"b\"}"), "model", &v,
                  &scan);
    CHECK(rc == LLMGW_JSON_ERR_DUPLICATE && scan.err_off == 13,
          "escaped duplicate: rc %d err_off %zu", rc, scan.err_off);

    rc = scan_one(S("{\"m\\u006fdel\":{\"x\":[1]} , \"model\":null}"),
                  "model", &v, &scan);
    CHECK(rc == LLMGW_JSON_ERR_DUPLICATE && scan.err_off == 26,
          "duplicate after an escaped first: rc %d err_off %zu", rc,
          scan.err_off);

    rc = scan_one(S("{\"x\":1,\"x\":2}"), "model", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK, "duplicates of other names pass");

    rc = scan_one(S("{\"a\":{\"model\":1,\"model\":2},\"b\":[{\"model\":3}],"
                    "\"model\":4}"), "model", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.len == 1 && v.start[0] == '4'
          && v.name_off == 45, "nested names are not top-level: rc %d", rc);

    /* a duplicate detected even when the document is otherwise fine */
    b = dup_mem("{\"model\":1,\"x\":{\"model\":0},\"model\":1}", 37);
    rc = scan_one(b, 37, "model", &v, &scan);
    CHECK(rc == LLMGW_JSON_ERR_DUPLICATE && scan.err_off == 27,
          "late duplicate: rc %d err_off %zu", rc, scan.err_off);
    free(b);
}


static int
collect(const llmgw_json_span_t *elt, void *arg)
{
    llmgw_json_span_t  *out;

    out = arg;

    while (out->start) {
        out++;
    }

    *out = *elt;
    return 0;
}


static int
stop_at_third(const llmgw_json_span_t *elt, void *arg)
{
    (void) elt;

    return ++*(int *) arg == 3 ? 7 : 0;
}


/* llmgw_json_array_empty() agrees with llmgw_json_array_count() */

static void
test_array_empty(void)
{
    size_t              i;
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   v;
    llmgw_json_scan_t   scan;
    unsigned char      *b;

    static const struct {
        const char  *doc;
        int          empty;
    } arrays[] = {
        { "{\"a\":[]}", 1 },
        { "{\"a\":[ ]}", 1 },
        { "{\"a\":[ \t\r\n ]}", 1 },
        { "{\"a\":[0]}", 0 },
        { "{\"a\":[ 0 ]}", 0 },
        { "{\"a\":[[]]}", 0 },
        { "{\"a\":[ [ ] ]}", 0 },
        { "{\"a\":[{}]}", 0 },
        { "{\"a\":[\"\"]}", 0 },
        { "{\"a\":[\"]\"]}", 0 },
        { "{\"a\":[null]}", 0 },
        { "{\"a\":\n[\n]\n}", 1 },
        { "{\"a\":\"[]\"}", 1 },          /* not an array: no elements */
        { "{\"a\":{}}", 1 },
        { "{\"a\":1}", 1 },
        { "{\"b\":[1]}", 1 },             /* absent */
    };

    for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
        b = dup_mem(arrays[i].doc, strlen(arrays[i].doc));
        rc = scan_one(b, strlen(arrays[i].doc), "a", &v, &scan);
        CHECK_INT(rc, LLMGW_JSON_OK, "%s", arrays[i].doc);
        CHECK_INT(llmgw_json_array_empty(&v), arrays[i].empty,
                  "array_empty of %s", arrays[i].doc);
        CHECK_INT(llmgw_json_array_empty(&v),
                  llmgw_json_array_count(&v) == 0,
                  "array_empty agrees with array_count: %s", arrays[i].doc);
        free(b);
    }
}


static void
test_arrays(void)
{
    int                 seen;
    size_t              i;
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   v, elts[16];
    llmgw_json_scan_t   scan;

    static const char  *texts[] = { "1", "\"a,]\"", "{\"x\":[1,2]}", "[]",
                                    "null", "true", "false", "-1.5e3" };
    static const llmgw_json_type_e  types[] = {
        LLMGW_JSON_NUMBER, LLMGW_JSON_STRING, LLMGW_JSON_OBJECT,
        LLMGW_JSON_ARRAY, LLMGW_JSON_NULL, LLMGW_JSON_TRUE, LLMGW_JSON_FALSE,
        LLMGW_JSON_NUMBER
    };

    rc = scan_one(S("{\"a\":[1, \"a,]\" ,{\"x\":[1,2]},[],null,\ntrue,false,"
                    "-1.5e3 ]}"), "a", &v, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "array doc");
    CHECK_INT(llmgw_json_array_count(&v), 8, "array count");

    memset(elts, 0, sizeof(elts));
    CHECK_INT(llmgw_json_array_each(&v, collect, elts), 0, "array each");

    for (i = 0; i < 8; i++) {
        CHECK_INT(elts[i].type, types[i], "element %zu type", i);
        CHECK_MEM(elts[i].start, elts[i].len, texts[i], strlen(texts[i]),
                  "element %zu", i);
    }

    seen = 0;
    CHECK_INT(llmgw_json_array_each(&v, stop_at_third, &seen), 7,
              "callback stops");
    CHECK_INT(seen, 3, "stopped at the third");

    rc = scan_one(S("{\"a\":[ ]}"), "a", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && llmgw_json_array_count(&v) == 0, "[ ]");

    rc = scan_one(S("{\"a\":[[]]}"), "a", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && llmgw_json_array_count(&v) == 1, "[[]]");

    rc = scan_one(S("{\"a\":{}}"), "a", &v, &scan);
    CHECK_INT(llmgw_json_array_count(&v), 0, "count of an object");
    CHECK(llmgw_json_array_empty(&v), "an object has no elements");

    test_array_empty();
}


/* messages[] of a request, each message's members */

typedef struct {
    unsigned  n;
    unsigned  users;
    unsigned  bad;
} msg_ctx_t;


static int
each_message(const llmgw_json_span_t *msg, void *arg)
{
    msg_ctx_t          *m;
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   role, content;
    llmgw_json_field_t  f[2];
    llmgw_json_scan_t   scan;

    m = arg;
    m->n++;

    f[0].name = "role";
    f[0].name_len = 4;
    f[0].value = &role;
    f[1].name = "content";
    f[1].name_len = 7;
    f[1].value = &content;

    rc = llmgw_json_scan_members(msg, f, 2, &scan);

    if (rc != LLMGW_JSON_OK || role.type != LLMGW_JSON_STRING
        || content.type != LLMGW_JSON_STRING)
    {
        m->bad++;
        return 0;
    }

    if (llmgw_json_string_eq(&role, "user", 4)) {
        m->users++;
    }

    return 0;
}


static void
test_members(void)
{
    size_t              len, i;
    unsigned char      *buf;
    msg_ctx_t           m;
    req_fields_t        r, r2;
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   whole, v;
    llmgw_json_field_t  f;
    llmgw_json_scan_t   scan, scan2;

    /* scan_members of a whole body agrees with scan_object */
    len = sizeof(req_pretty) - 1;
    buf = dup_mem(req_pretty, len);
    req_fields_init(&r);
    req_fields_init(&r2);

    rc = llmgw_json_scan_object(buf, len, 64, r.f, 9, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "members: scan");

    whole.start = buf + scan.open_off;
    whole.len = scan.close_off - scan.open_off + 1;
    whole.type = LLMGW_JSON_OBJECT;

    rc = llmgw_json_scan_members(&whole, r2.f, 9, &scan2);
    CHECK_INT(rc, LLMGW_JSON_OK, "members: scan_members");
    CHECK_INT(scan2.members, scan.members, "members: count");
    CHECK_INT(scan2.close_off + scan.open_off, scan.close_off,
              "members: close_off");

    for (i = 0; i < 9; i++) {
        CHECK(r.f[i].value->type == r2.f[i].value->type
              && r.f[i].value->start == r2.f[i].value->start
              && r.f[i].value->len == r2.f[i].value->len
              && (r.f[i].value->type == LLMGW_JSON_NONE
                  || r.f[i].value->name_off
                     == r2.f[i].value->name_off + scan.open_off),
              "members: field %s agrees", r.f[i].name);
    }

    m.n = m.users = m.bad = 0;
    llmgw_json_array_each(&r.messages, each_message, &m);
    CHECK(m.n == 1 && m.users == 1 && m.bad == 0, "pretty messages");
    free(buf);

    len = sizeof(req_compact) - 1;
    buf = dup_mem(req_compact, len);
    req_fields_init(&r);
    rc = llmgw_json_scan_object(buf, len, 64, r.f, 9, &scan);
    m.n = m.users = m.bad = 0;
    llmgw_json_array_each(&r.messages, each_message, &m);
    CHECK(rc == LLMGW_JSON_OK && m.n == 2 && m.users == 1 && m.bad == 0,
          "compact messages: %u %u %u", m.n, m.users, m.bad);
    free(buf);

    f.name = "k";
    f.name_len = 1;
    f.value = &v;

    /* duplicates and escaped names one level down */
    rc = scan_one(S("{\"o\":{\"k\":1, \"\\u006b\":2}}"), "o", &whole, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "nested duplicate passes the outer scan");
    rc = llmgw_json_scan_members(&whole, &f, 1, &scan);
    CHECK(rc == LLMGW_JSON_ERR_DUPLICATE && scan.err_off == 8
          && v.type == LLMGW_JSON_NONE,
          "nested duplicate: rc %d err_off %zu", rc, scan.err_off);

    rc = scan_one(S("{\"o\":{ }}"), "o", &whole, &scan);
    rc = llmgw_json_scan_members(&whole, &f, 1, &scan);
    CHECK(rc == LLMGW_JSON_OK && scan.members == 0 && scan.close_off == 2
          && v.type == LLMGW_JSON_NONE, "empty nested object");

    rc = scan_one(S("{\"o\":\"{}\"}"), "o", &whole, &scan);
    rc = llmgw_json_scan_members(&whole, &f, 1, &scan);
    CHECK_INT(rc, LLMGW_JSON_ERR_NOT_OBJECT, "scan_members of a string");

    rc = scan_one(S("{\"o\":{\"a\":\"}\\\"\",\"k\":[\"]\"]}}"), "o", &whole,
                  &scan);
    rc = llmgw_json_scan_members(&whole, &f, 1, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_ARRAY && v.len == 5
          && scan.members == 2, "brackets inside nested strings: rc %d", rc);
}


static void
check_decode(const char *json, size_t jlen, const char *want, size_t wlen)
{
    size_t              n;
    unsigned char      *doc, *out;
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   v;
    llmgw_json_scan_t   scan;

    doc = malloc(jlen + 8);
    memcpy(doc, "{\"s\":", 5);
    memcpy(doc + 5, json, jlen);
    doc[5 + jlen] = '}';

    rc = scan_one(doc, jlen + 6, "s", &v, &scan);
    CHECK(rc == LLMGW_JSON_OK && v.type == LLMGW_JSON_STRING,
          "decode %s: rc %d", json, rc);

    out = malloc(v.len);
    n = llmgw_json_string_decode(&v, out);
    CHECK_MEM(out, n, want, wlen, "decode %s", json);
    CHECK(llmgw_json_string_eq(&v, want, wlen), "string_eq %s", json);

    if (wlen > 0) {
        CHECK(!llmgw_json_string_eq(&v, want, wlen - 1),
              "string_eq %s, shorter", json);
    }

    free(out);
    free(doc);
}

#define DECODE(j, w)  check_decode(j, sizeof(j) - 1, w, sizeof(w) - 1)


/* a whole answer's member, read from the start and from the end: each
 * reader's own answer (-1: an error; NULL value: absent) */

static void
test_find_member(void)
{
    size_t              i;
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   v;

    static const struct {
        const char     *body;
        size_t          max;
        int             back_ok;
        const char     *back;
        int             fwd_ok;
        const char     *fwd;
    } cases[] = {
        { " {\"a\":1,\"usage\":{\"p\":[1,\"]\"]}}\n", 8,
          1, "{\"p\":[1,\"]\"]}", 1, "{\"p\":[1,\"]\"]}" },
        { "{\"usage\":{\"x\":\"\\\\\"},\"s\":\"\\\"}\\\\\",\"t\":2}", 8,
          1, "{\"x\":\"\\\\\"}", 1, "{\"x\":\"\\\\\"}" },
        { "{\"us\\u0061ge\" : 7 }", 8, 1, "7", 1, "7" },
        { "{\"a\":\"usage\",\"b\":{\"usage\":1}}", 8, 1, NULL, 1, NULL },
        { "{}", 8, 1, NULL, 1, NULL },
        { "{\"usage\":1,\"a\":2,\"b\":3}", 2, 0, NULL, 1, "1" },
        { "{\"usage\":1,\"a\":2,\"b\":3}", 3, 1, "1", 1, "1" },
        { "{\"usage\":1,\"usage\":2}", 8, 1, "2", 0, NULL },
        { "{\"usage\":{}}x", 8, 0, NULL, 0, NULL },
        { "{\"usage\":1,}", 8, 0, NULL, 0, NULL },
        { "{\"usage\" 1}", 8, 0, NULL, 0, NULL },
        { "[\"usage\",1]", 8, 0, NULL, 0, NULL },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rc = llmgw_json_find_member_back((const unsigned char *) cases[i].body,
                                         strlen(cases[i].body), "usage", 5,
                                         cases[i].max, &v);

        CHECK((rc == LLMGW_JSON_OK) == cases[i].back_ok,
              "find_member_back %zu: rc %d", i, rc);

        if (rc == LLMGW_JSON_OK && cases[i].back == NULL) {
            CHECK(v.type == LLMGW_JSON_NONE, "find_member_back %zu: absent",
                  i);

        } else if (rc == LLMGW_JSON_OK) {
            CHECK_STR(v.start, v.len, cases[i].back, "find_member_back %zu",
                      i);
        }

        rc = llmgw_json_find_member((const unsigned char *) cases[i].body,
                                    strlen(cases[i].body), "usage", 5, &v);

        CHECK((rc == LLMGW_JSON_OK) == cases[i].fwd_ok,
              "find_member %zu: rc %d", i, rc);

        if (rc == LLMGW_JSON_OK && cases[i].fwd == NULL) {
            CHECK(v.type == LLMGW_JSON_NONE, "find_member %zu: absent", i);

        } else if (rc == LLMGW_JSON_OK) {
            CHECK_STR(v.start, v.len, cases[i].fwd, "find_member %zu", i);
        }
    }
}


/* the object of a member's last mention, when the members after it close
 * the outermost object; NULL: not this shape (the walkers decide) */

static void
test_scan_member_last(void)
{
    size_t              i;
    llmgw_json_rc_e     rc;
    const char         *o;
    llmgw_json_span_t   v, p;
    llmgw_json_field_t  f = { "p", 1, &p };

    static const struct {
        const char     *body;
        const char     *name;
        const char     *value;
        const char     *p;
    } cases[] = {
        { " {\"a\":1,\"usage\":{\"p\":[1,\"]\"]}}\n", "usage",
          "{\"p\":[1,\"]\"]}", "[1,\"]\"]" },
        { "{\"usage\":{\"x\":\"\\\\\"},\"s\":\"\\\"}\\\\\",\"t\":2}", "usage",
          "{\"x\":\"\\\\\"}", NULL },
        { "{\"usage\":{\"p\":1},\"a\":2,\"b\":3,\"c\":4,\"d\":5,\"e\":6,\"f\":7,"
          "\"g\":8,\"h\":9}", "usage", "{\"p\":1}", "1" },
        { "{\"usage\":{\"p\":1},\"usage\":{\"p\":2}}", "usage", "{\"p\":2}",
          "2" },
        { "{\"usage\":{\"p\":1},\"\\\"usage\":{\"p\":2}}", "usage", "{\"p\":1}",
          "1" },
        { "{\"usage\":{\"a\":1},\"x\":\"\\\"usage\\\":{}\"}", "usage",
          "{\"a\":1}", NULL },
        { "{\"x\":\"\\\\\",\"usage\" : { \"p\" : 3 } , \"m\": \"v\" }", "usage",
          "{ \"p\" : 3 }", "3" },
        { "{\"y\":\"usage\",\"usage\":{},\"z\":\"usage\"}", "usage", "{}",
          NULL },
        { "{\n  \"candidates\": [],\n  \"usageMetadata\": {\n    "
          "\"p\": 4\n  },\n  \"modelVersion\": \"g\"\n}\n",
          "usageMetadata", "{\n    \"p\": 4\n  }", "4" },
        { "{\"usage\":{},\"y\":{\"usage\":{}}}", "usage", NULL, NULL },
        { "{\"usage\":{},\"y\":{\"a\":1,\"usage\":{}}}", "usage", NULL, NULL },
        { "{\"usage\":{},\"y\":[{\"a\":1,\"usage\":{}}]}", "usage", NULL,
          NULL },
        { "{\"a\":\"usage\",\"b\":{\"usage\":{}}}", "usage", NULL, NULL },
        { "{\"usage\":{\"p\":1},\"us\\u0061ge\":{\"p\":2}}", "usage", NULL,
          NULL },
        { "{\"usage\":{\"p\":1},\"x\\\\y\":2}", "usage", "{\"p\":1}",
          "1" },
        { "{\"us\\u0061ge\" : {} }", "usage", NULL, NULL },
        { "{\"\\\"usage\":{}}", "usage", NULL, NULL },
        { "{\"a\" \"usage\":{}}", "usage", NULL, NULL },
        { "{\"usage\":1}", "usage", NULL, NULL },
        { "{\"usage\":{\"p\":1,\"p\":2}}", "usage", NULL, NULL },
        { "{\"usage\":{\"p\":1}", "usage", NULL, NULL },
        { "{\"usage\":{\"p\" 1}}", "usage", NULL, NULL },
        { "{}", "usage", NULL, NULL },
        { "{\"usage\":{}}x", "usage", NULL, NULL },
        { "{\"usage\":{},}", "usage", NULL, NULL },
        { "{\"usage\":{} 2}", "usage", NULL, NULL },
        { "{\"usage\" {}}", "usage", NULL, NULL },
        { "[\"usage\",{}]", "usage", NULL, NULL },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rc = llmgw_json_scan_member_last((const unsigned char *) cases[i].body,
                                         strlen(cases[i].body), cases[i].name,
                                         strlen(cases[i].name), &f, 1, &v);

        CHECK((rc == LLMGW_JSON_OK) == (cases[i].value != NULL),
              "scan_member_last %zu: rc %d", i, rc);

        if (rc != LLMGW_JSON_OK) {
            CHECK(p.type == LLMGW_JSON_NONE && v.type == LLMGW_JSON_NONE,
                  "scan_member_last %zu: cleared", i);
            continue;
        }

        if (cases[i].value == NULL) {
            continue;
        }

        CHECK_STR(v.start, v.len, cases[i].value, "scan_member_last %zu", i);

        o = strchr(cases[i].body, '{');
        CHECK(o[v.name_off] == '"'
              && strncmp(o + v.name_off + 1, cases[i].name,
                         strlen(cases[i].name)) == 0,
              "scan_member_last %zu: name_off %zu", i, v.name_off);

        if (cases[i].p) {
            CHECK_STR(p.start, p.len, cases[i].p, "scan_member_last %zu: p",
                      i);

        } else {
            CHECK(p.type == LLMGW_JSON_NONE, "scan_member_last %zu: no p", i);
        }
    }
}


/* the pair search against the plain loop, at every offset and length */

static void
test_find_pair(void)
{
    size_t                i, j, k, bad;
    unsigned char         buf[80];
    const unsigned char  *got, *want;

    bad = 0;

    for (k = 0; k < 2000; k++) {
        for (i = 0; i < sizeof(buf); i++) {
            buf[i] = "ab:\"u"[(i * 7 + k * 13 + (i * k) % 11) % 5];
        }

        for (i = 0; i < 40; i++) {
            for (j = i; j <= sizeof(buf); j += 3) {
                got = llmgw_json_find_pair(buf + i, buf + j, ':', '"');

                for (want = buf + i; want + 1 < buf + j; want++) {
                    if (want[0] == ':' && want[1] == '"') {
                        break;
                    }
                }

                if (want + 1 >= buf + j) {
                    want = NULL;
                }

                bad += (got != want);
            }
        }
    }

    CHECK(bad == 0, "find_pair: %zu differ", bad);
    memcpy(buf, "x:\"", 3);
    CHECK(llmgw_json_find_pair(buf, buf + 2, ':', '"') == NULL
          && llmgw_json_find_pair(buf, buf + 3, ':', '"') == buf + 1,
          "find_pair: a pair cut at the end");
}


static void
test_decode(void)
{
    llmgw_json_span_t  v;

    DECODE("\"\"", "");
    DECODE("\"abc\"", "abc");
    DECODE("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "a\"b\\c/d\b\f\n\r\t");
    DECODE("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"",
           "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    DECODE("\"\\u0000\"", "\0");
    DECODE("\"\\u07ff\\u0800\\uffff\\udbff\\udfff\"",
           "\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf");
    DECODE("\"caf\xc3\xa9 \\\\u0041\"", "caf\xc3\xa9 \\u0041");
    DECODE("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");

    v.start = (const unsigned char *) "\"abc\"";
    v.len = 5;
    v.type = LLMGW_JSON_STRING;
    CHECK(!llmgw_json_string_eq(&v, "abd", 3), "string_eq mismatch");
    CHECK(!llmgw_json_string_eq(&v, "abcd", 4), "string_eq longer");
    CHECK(!llmgw_json_string_eq(&v, "ab", 2), "string_eq shorter");

    v.start = (const unsigned char *) "\"a\\u0062c\"";
    v.len = 10;
    CHECK(llmgw_json_string_eq(&v, "abc", 3), "string_eq escaped");
    CHECK(!llmgw_json_string_eq(&v, "aBc", 3), "string_eq escaped mismatch");

    v.start = (const unsigned char *) "123";
    v.len = 3;
    v.type = LLMGW_JSON_NUMBER;
    CHECK(!llmgw_json_string_eq(&v, "123", 3), "string_eq of a number");
}


static void
check_uint(const char *num, int ok, int64_t want)
{
    int                 rc;
    size_t              n;
    int64_t             got;
    unsigned char       doc[64];
    llmgw_json_span_t   v;
    llmgw_json_scan_t   scan;

    n = strlen(num);
    memcpy(doc, "{\"n\":", 5);
    memcpy(doc + 5, num, n);
    doc[5 + n] = '}';

    if (scan_one(doc, n + 6, "n", &v, &scan) != LLMGW_JSON_OK) {
        UNIT_FAIL("uint %s does not scan", num);
        return;
    }

    got = -7;
    rc = llmgw_json_uint(&v, &got);

    if (ok) {
        CHECK(rc == 0 && got == want, "uint %s: rc %d value %lld", num, rc,
              (long long) got);
    } else {
        CHECK(rc == -1 && got == -7, "uint %s: rc %d", num, rc);
    }
}


static void
test_uint(void)
{
    check_uint("0", 1, 0);
    check_uint("7", 1, 7);
    check_uint("1024", 1, 1024);
    check_uint("9223372036854775807", 1, INT64_MAX);
    check_uint("9223372036854775808", 0, 0);
    check_uint("18446744073709551616", 0, 0);
    check_uint("99999999999999999999999", 0, 0);
    check_uint("-1", 0, 0);
    check_uint("-0", 0, 0);
    check_uint("1.0", 0, 0);
    check_uint("1e3", 0, 0);
    check_uint("\"1\"", 0, 0);
    check_uint("true", 0, 0);
}


typedef struct {
    const char  *in;
    size_t       in_len;
    const char  *out;
} esc_case_t;

#define ESC(i, o)  { i, sizeof(i) - 1, o }


static void
test_escape(void)
{
    int                 bad;
    size_t              i, n, len, k;
    unsigned            c;
    unsigned char      *dst, *end, *doc, *out, in[512];
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   v;
    llmgw_json_scan_t   scan;

    static const esc_case_t  cases[] = {
        ESC("", ""),
        ESC("plain text", "plain text"),
        ESC("a\"b\\c/d", "a\\\"b\\\\c/d"),
        ESC("\b\f\n\r\t", "\\b\\f\\n\\r\\t"),
        ESC("\x01\x1f\x00\x7f", "\\u0001\\u001f\\u0000\x7f"),
        ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
        ESC("\xff", "\\ufffd"),
        ESC("a\xc3", "a\\ufffd"),
        ESC("\xc0\xaf", "\\ufffd\\ufffd"),
        ESC("\xed\xa0\x80x", "\\ufffd\\ufffd\\ufffdx"),
        ESC("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"),
        ESC("\xe2\x82\"", "\\ufffd\\ufffd\\\""),
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        len = llmgw_json_escape_len((const unsigned char *) cases[i].in,
                                    cases[i].in_len);
        CHECK_INT(len, strlen(cases[i].out), "escape_len case %zu", i);

        dst = malloc(len ? len : 1);
        end = llmgw_json_escape(dst, (const unsigned char *) cases[i].in,
                                cases[i].in_len);
        CHECK_MEM(dst, (size_t) (end - dst), cases[i].out,
                  strlen(cases[i].out), "escape case %zu", i);
        free(dst);
    }

    /* every byte, then a mixed buffer: escape, scan, decode back */
    for (c = 0; c < 256; c++) {
        in[c] = (unsigned char) c;
    }

    memcpy(in + 256, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \"q\" \\ \x01",
           22);

    bad = 0;

    for (i = 0; i <= 278; i++) {
        /* single bytes, the UTF-8 tail alone, 128-byte windows */
        const unsigned char  *s;

        if (i < 256) {
            s = in + i;
            n = 1;
        } else if (i == 256) {
            s = in + 256;
            n = 22;
        } else {
            s = in + (i - 257);
            n = 128;
        }

        len = llmgw_json_escape_len(s, n);
        doc = malloc(len + 8);
        memcpy(doc, "{\"s\":\"", 6);
        end = llmgw_json_escape(doc + 6, s, n);

        if ((size_t) (end - doc - 6) != len) {
            bad++;
            UNIT_FAIL("escape length %zu != %zu for input %zu",
                      (size_t) (end - doc - 6), len, i);
            free(doc);
            continue;
        }

        memcpy(end, "\"}", 2);

        rc = scan_one(doc, len + 8, "s", &v, &scan);
        if (rc != LLMGW_JSON_OK) {
            bad++;
            UNIT_FAIL("escaped input %zu does not scan: rc %d at %zu", i,
                      rc, scan.err_off);
            free(doc);
            continue;
        }

        out = malloc(v.len);
        k = llmgw_json_string_decode(&v, out);

        if (ref_utf8_valid(s, n) && (k != n || memcmp(out, s, n) != 0)) {
            bad++;
            UNIT_FAIL("escaped input %zu does not decode back", i);
        }

        free(out);
        free(doc);
    }

    CHECK_INT(bad, 0, "escape round trips");
}


/* the streaming capture */

static void
capture_run(llmgw_json_capture_t *cap, const char *name,
    const unsigned char *p, size_t n, size_t cut, int bytewise)
{
    size_t  i;

    llmgw_json_capture_init(cap, name, strlen(name));

    if (bytewise) {
        for (i = 0; i < n; i++) {
            llmgw_json_capture_feed(cap, p + i, 1);
        }

        return;
    }

    llmgw_json_capture_feed(cap, p, cut);
    llmgw_json_capture_feed(cap, p + cut, 0);
    llmgw_json_capture_feed(cap, p + cut, n - cut);
}


/*
 * Captures name from p[0..n) whole, split in two at every position and
 * byte by byte; want NULL means nothing is captured, overflow expected
 * when want is "" and ovf is set.
 */

static void
check_capture_len(const char *what, const unsigned char *p, size_t n,
    const char *name, const char *want, size_t wlen, int done, int ovf)
{
    size_t                 cut, bad;
    unsigned char         *b;
    llmgw_json_capture_t  *cap, *ref;

    b = dup_mem(p, n);
    cap = malloc(sizeof(llmgw_json_capture_t));
    ref = malloc(sizeof(llmgw_json_capture_t));

    capture_run(ref, name, b, n, n, 0);

    CHECK_INT(ref->done, done, "%s: done", what);
    CHECK_INT(ref->overflow, ovf, "%s: overflow", what);

    if (want) {
        CHECK_MEM(ref->value, ref->value_len, want, wlen, "%s: value",
                  what);
    } else if (done) {
        CHECK_INT(ref->value_len, 0, "%s: nothing captured", what);
    }

    bad = 0;

    for (cut = 0; cut <= n + 1; cut++) {
        capture_run(cap, name, b, n, cut <= n ? cut : 0, cut > n);

        if (cap->done != ref->done || cap->overflow != ref->overflow
            || cap->value_len != ref->value_len
            || memcmp(cap->value, ref->value, ref->value_len) != 0)
        {
            if (bad++ == 0) {
                UNIT_FAIL("%s: differs when split at %zu%s", what, cut,
                          cut > n ? " (byte by byte)" : "");
            }
        }
    }

    CHECK_INT(bad, 0, "%s: every split and byte by byte", what);

    free(ref);
    free(cap);
    free(b);
}


static void
check_capture(const char *what, const unsigned char *p, size_t n,
    const char *name, const char *want, int done, int ovf)
{
    check_capture_len(what, p, n, name, want, want ? strlen(want) : 0, done,
                      ovf);
}

#define CAPTURE(s, want, done)                                              \
    check_capture(s, S(s), "usage", want, done, 0)


static void
check_usage(const char *what, const unsigned char *v, size_t n,
    int64_t prompt, int64_t completion, int64_t total)
{
    int64_t             a, b, c;
    llmgw_json_rc_e     rc;
    llmgw_json_span_t   sp, sc, st;
    llmgw_json_field_t  f[3];
    llmgw_json_scan_t   scan;

    f[0].name = "prompt_tokens";
    f[0].name_len = 13;
    f[0].value = &sp;
    f[1].name = "completion_tokens";
    f[1].name_len = 17;
    f[1].value = &sc;
    f[2].name = "total_tokens";
    f[2].name_len = 12;
    f[2].value = &st;

    rc = llmgw_json_scan_object(v, n, 8, f, 3, &scan);
    CHECK_INT(rc, LLMGW_JSON_OK, "%s: usage scans", what);

    a = b = c = -1;
    CHECK(llmgw_json_uint(&sp, &a) == 0 && a == prompt,
          "%s: prompt_tokens %lld", what, (long long) a);
    CHECK(llmgw_json_uint(&sc, &b) == 0 && b == completion,
          "%s: completion_tokens %lld", what, (long long) b);
    CHECK(llmgw_json_uint(&st, &c) == 0 && c == total,
          "%s: total_tokens %lld", what, (long long) c);
}


static void
test_capture_fixtures(void)
{
    size_t                 len;
    unsigned char         *buf;
    llmgw_json_capture_t  *cap;

    static const char  usage_last[] =
        "{\n    \"prompt_tokens\": 1117,\n    \"completion_tokens\": 46,\n"
        "    \"total_tokens\": 1163,\n    \"prompt_tokens_details\": {\n"
        "      \"cached_tokens\": 1024,\n      \"audio_tokens\": 0\n    },\n"
        "    \"completion_tokens_details\": {\n"
        "      \"reasoning_tokens\": 0,\n      \"audio_tokens\": 0,\n"
        "      \"accepted_prediction_tokens\": 0,\n"
        "      \"rejected_prediction_tokens\": 0\n    }\n  }";

    static const char  usage_first[] =
        "{\"prompt_tokens\":412,\"completion_tokens\":27,\"total_tokens\":439,"
        "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
        "\"completion_tokens_details\":{\"reasoning_tokens\":0,"
        "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
        "\"rejected_prediction_tokens\":0}}";

    cap = malloc(sizeof(llmgw_json_capture_t));

    buf = unit_read_file(fixtures, "openai-chat-completion.json", &len);
    CHECK_INT(scan_only(buf, len, 64, NULL), LLMGW_JSON_OK,
              "openai-chat-completion.json is valid");
    check_capture("usage last", buf, len, "usage", usage_last, 1, 0);
    capture_run(cap, "usage", buf, len, len, 0);
    check_usage("usage last", cap->value, cap->value_len, 1117, 46, 1163);
    check_capture("usage last, model", buf, len, "model",
                  "\"gpt-4o-2024-08-06\"", 1, 0);
    check_capture("usage last, absent", buf, len, "user", NULL, 1, 0);
    check_capture("usage last, truncated", buf,
                  (size_t) (strstr((char *) buf, "\"rejected") - (char *) buf),
                  "usage", NULL, 0, 0);
    free(buf);

    buf = unit_read_file(fixtures, "openai-chat-completion-usage-first.json",
                         &len);
    CHECK_INT(scan_only(buf, len, 64, NULL), LLMGW_JSON_OK,
              "openai-chat-completion-usage-first.json is valid");
    check_capture("usage first", buf, len, "usage", usage_first, 1, 0);
    capture_run(cap, "usage", buf, len, 100, 0);
    check_usage("usage first", cap->value, cap->value_len, 412, 27, 439);
    check_capture("usage first, id", buf, len, "id",
                  "\"chatcmpl-C1xq9R2mW7e0bTz3kHnYp4Lv5aQsD\"", 1, 0);
    check_capture("usage first, fingerprint", buf, len,
                  "system_fingerprint", "\"fp_560af6e559\"", 1, 0);
    free(buf);

    free(cap);
}


static void
test_capture_cases(void)
{
    size_t          n;
    unsigned char  *buf, *want;

    CAPTURE("{\"usage\":5}", "5", 1);
    CAPTURE("{\"usage\":5 ,\"x\":1}", "5", 1);
    CAPTURE("{\"usage\":-1.5e3\n}", "-1.5e3", 1);
    CAPTURE("{\"usage\":null}", "null", 1);
    CAPTURE("{\"usage\":\"a\\\"}b\\\\\"}", "\"a\\\"}b\\\\\"", 1);
    CAPTURE("{\"usage\":[1,[2],{\"a\":\"]\\\"\"}],\"b\":1}",
            "[1,[2],{\"a\":\"]\\\"\"}]", 1);
    CAPTURE("{\"a\":{\"usage\":1},\"usage\":2}", "2", 1);
    CAPTURE("{\"a\":[{\"usage\":1}],\"usage\":{}}", "{}", 1);
    CAPTURE("{\"a\":\"usage\",\"usage\":2}", "2", 1);
    CAPTURE("{\"a\":\"\\\"usage\\\":3\",\"usage\":2}", "2", 1);
    CAPTURE("{\"usage\":1,\"usage\":2}", "1", 1);
    CAPTURE("{\"us\\u0061ge\":{\"x\":1}}", "{\"x\":1}", 1);
    CAPTURE("{\"usag\\\"e\":1,\"usage\":2}", "2", 1);
    CAPTURE("  {\"usage\" :\r\n {\"a\":1} }", "{\"a\":1}", 1);
    CAPTURE("{\"usageusageusageusageusageusageusage\":1,\"usage\":2}", "2", 1);
    CAPTURE("{\"x\":1}", NULL, 1);
    CAPTURE("{}", NULL, 1);
    CAPTURE("[{\"usage\":1}]", NULL, 1);
    CAPTURE("data: {\"usage\":1}", NULL, 1);
    CAPTURE("{\"usage\":}", NULL, 1);
    CAPTURE("{\"usage\" 1}", NULL, 1);
    CAPTURE("{usage:1}", NULL, 1);
    CAPTURE("", NULL, 0);
    CAPTURE("   ", NULL, 0);
    CAPTURE("{\"usage\":{\"a\":1", NULL, 0);
    CAPTURE("{\"usage\":\"abc", NULL, 0);

    /* a value of exactly LLMGW_JSON_CAPTURE_MAX bytes fits, one more not */
    n = 10 + LLMGW_JSON_CAPTURE_MAX + 1;
    buf = malloc(n + 1);
    memcpy(buf, "{\"usage\":\"", 10);
    memset(buf + 10, 'x', LLMGW_JSON_CAPTURE_MAX - 2);
    memcpy(buf + 8 + LLMGW_JSON_CAPTURE_MAX, "\"}", 3);

    want = malloc(LLMGW_JSON_CAPTURE_MAX + 1);
    memcpy(want, buf + 9, LLMGW_JSON_CAPTURE_MAX);
    want[LLMGW_JSON_CAPTURE_MAX] = '\0';
    check_capture("4096-byte value", buf, n - 1, "usage",
                  (const char *) want, 1, 0);
    free(want);

    memset(buf + 10, 'x', LLMGW_JSON_CAPTURE_MAX - 1);
    memcpy(buf + 9 + LLMGW_JSON_CAPTURE_MAX, "\"}", 2);
    check_capture("4097-byte value", buf, n, "usage", NULL, 1, 1);

    free(buf);
}


/*
 * The bulk skips of the capture: every kind of byte inside strings and
 * between the brackets of nested values, at every offset, in the members
 * passed over and in the one captured (check_capture() cuts each input
 * at every point too).
 */

static void
test_capture_runs(void)
{
    size_t         i, k, n, w;
    char           what[64];
    unsigned char  doc[256], want[128];

    /* bytes inside strings: anything but '"' and '\\' */
    static const unsigned char  in_string[] = {
        'a', ' ', '{', '}', '[', ']', ',', ':', 0x02, 0x00, '\n', 0x7f,
        0xc3, 0xff
    };

    /* bytes between brackets: anything but '"', '{', '}', '[', ']' */
    static const unsigned char  in_nested[] = {
        '0', ',', '.', '-', ' ', ':', 'e', 0x02, 0x00, '\n', 0xff, '\\'
    };

    for (i = 0; i < sizeof(in_string); i++) {
        for (k = 0; k < 20; k++) {
            n = 0;
            memcpy(doc + n, "{\"x\":[{\"s\":\"", 12);
            n += 12;
            memset(doc + n, in_string[i], k);
            n += k;
            memcpy(doc + n, "\\\"", 2);
            n += 2;
            memset(doc + n, in_string[i], 19 - k);
            n += 19 - k;
            memcpy(doc + n, "\"},1.5,-2],\"usage\":", 19);
            n += 19;

            w = 0;
            memcpy(want + w, "{\"s\":\"", 6);
            w += 6;
            memset(want + w, in_string[i], k);
            w += k;
            memcpy(want + w, "\\\\\",\"t\":[\"", 10);
            w += 10;
            memset(want + w, in_string[i], k);
            w += k;
            memcpy(want + w, "\"]}", 3);
            w += 3;
            want[w] = '\0';

            memcpy(doc + n, want, w);
            n += w;
            memcpy(doc + n, ",\"y\":\"", 6);
            n += 6;
            memset(doc + n, in_string[i], k);
            n += k;
            memcpy(doc + n, "\"}", 2);
            n += 2;

            snprintf(what, sizeof(what), "string bytes 0x%02x x %zu",
                     in_string[i], k);
            check_capture_len(what, doc, n, "usage", (char *) want, w, 1, 0);

            /* the same as a top-level string value */
            n = 0;
            memcpy(doc + n, "{\"x\":\"", 6);
            n += 6;
            memset(doc + n, in_string[i], k);
            n += k;
            memcpy(doc + n, "\",\"usage\":\"", 11);
            n += 11;
            memset(doc + n, in_string[i], k);
            n += k;
            memcpy(doc + n, "\\\\\\\"\"}", 6);
            n += 6;

            w = 0;
            want[w++] = '"';
            memset(want + w, in_string[i], k);
            w += k;
            memcpy(want + w, "\\\\\\\"\"", 5);
            w += 5;
            want[w] = '\0';

            snprintf(what, sizeof(what), "top-level string 0x%02x x %zu",
                     in_string[i], k);
            check_capture_len(what, doc, n, "usage", (char *) want, w, 1, 0);
        }
    }

    for (i = 0; i < sizeof(in_nested); i++) {
        for (k = 0; k < 20; k++) {
            n = 0;
            memcpy(doc + n, "{\"x\":[", 6);
            n += 6;
            memset(doc + n, in_nested[i], k);
            n += k;
            memcpy(doc + n, "[{", 2);
            n += 2;
            memset(doc + n, in_nested[i], 19 - k);
            n += 19 - k;
            memcpy(doc + n, "}]],\"usage\":", 12);
            n += 12;

            w = 0;
            want[w++] = '[';
            memset(want + w, in_nested[i], k);
            w += k;
            memcpy(want + w, "{\"a\":[", 6);
            w += 6;
            memset(want + w, in_nested[i], 19 - k);
            w += 19 - k;
            memcpy(want + w, "]}]", 3);
            w += 3;
            want[w] = '\0';

            memcpy(doc + n, want, w);
            n += w;
            memcpy(doc + n, "}", 1);
            n += 1;

            snprintf(what, sizeof(what), "nested bytes 0x%02x x %zu",
                     in_nested[i], k);
            check_capture_len(what, doc, n, "usage", (char *) want, w, 1, 0);
        }
    }

    /* scalars, passed over and captured */
    CAPTURE("{\"x\":12345678901234567890123,\"usage\":12345678901234567,"
            "\"y\":1}", "12345678901234567", 1);
    CAPTURE("{\"x\":-1.5e+300 ,\"usage\":true\t}", "true", 1);
    CAPTURE("{\"usage\":1234567890123456789]", "1234567890123456789", 1);
    CAPTURE("{\"usage\":abc\x02\xff" "def}", "abc\x02\xff" "def", 1);

    /* names about the size of the name buffer, and escaped names */
    CAPTURE("{\"usageusageusageusageusageusage\":1,\"usage\":2}", "2", 1);
    CAPTURE("{\"usageusageusageusageusageusageu\":1,\"usage\":2}", "2", 1);
    CAPTURE("{\"usageusageusageusageusageusageus\":1,\"usage\":2}", "2", 1);
    CAPTURE("{\"\\u0075\\u0073\\u0061\\u0067\\u0065\":3}", "3", 1);
    CAPTURE("{\"\\u0075\\u0073\\u0061\\u0067\\u0065 \":3,\"usage\":4}", "4",
            1);
    CAPTURE("{\"usageusageusageusageusageusag\":1}", NULL, 1);
    CAPTURE("{\"usageusageusageusageusageusageu\":1}", NULL, 1);
    CAPTURE("{\"usageusageusageusageusageusageus\":1}", NULL, 1);
    CAPTURE("{\"usageusageusageusageusageusageusa\":1}", NULL, 1);
    CAPTURE("{\"usageusageusageusageusageusageusageusageusage\":1}", NULL, 1);
    CAPTURE("{\"u\\u0073age\":5}", "5", 1);
    CAPTURE("{\"usag\\u0065\":6}", "6", 1);
    CAPTURE("{\"us\\\\age\":7,\"usage\":8}", "8", 1);
    CAPTURE("{\"usage\\\"\":7,\"usage\":8}", "8", 1);
}


/*
 * Values about LLMGW_JSON_CAPTURE_MAX long, nested and scalar, with an
 * escape or a quote at the last bytes that fit.
 */

static void
check_capture_max(const char *what, const char *head, const char *tail,
    size_t len)
{
    size_t          n, hl, tl, w;
    unsigned char  *buf;

    hl = strlen(head);
    tl = strlen(tail);
    w = hl + len + tl;

    buf = malloc(9 + w + 1);
    memcpy(buf, "{\"usage\":", 9);
    memcpy(buf + 9, head, hl);
    memset(buf + 9 + hl, '7', len);
    memcpy(buf + 9 + hl + len, tail, tl);
    buf[9 + w] = '}';
    n = 9 + w + 1;

    if (w <= LLMGW_JSON_CAPTURE_MAX) {
        check_capture_len(what, buf, n, "usage", (char *) buf + 9, w, 1, 0);

    } else {
        check_capture(what, buf, n, "usage", NULL, 1, 1);
    }

    free(buf);
}


static void
test_capture_max(void)
{
    size_t  d, len;
    char    what[64];

    for (d = 0; d < 6; d++) {
        len = LLMGW_JSON_CAPTURE_MAX - 3 - 7 + d;

        snprintf(what, sizeof(what), "nested, escape at the end, %zu", d);
        check_capture_max(what, "[\"", "\\\"\",\"\"]", len);

        snprintf(what, sizeof(what), "nested, backslash at the end, %zu", d);
        check_capture_max(what, "[[\"", "\\\\\"]]", len);

        snprintf(what, sizeof(what), "string, escape at the end, %zu", d);
        check_capture_max(what, "\"", "\\\"\\\"\"", len);

        snprintf(what, sizeof(what), "scalar, %zu", d);
        check_capture_max(what, "", "", len + 8);
    }
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }

    test_valid();
    test_invalid();
    test_string_bytes();
    test_string_stops();
    test_string_ends();
    test_string_dense();
    test_utf8_exhaustive();
    test_utf8_cases();
    test_control_chars();
    test_depth();
    test_spans();
    test_splice();
    test_names();
    test_arrays();
    test_members();
    test_find_member();
    test_scan_member_last();
    test_find_pair();
    test_decode();
    test_uint();
    test_escape();
    test_capture_fixtures();
    test_capture_cases();
    test_capture_runs();
    test_capture_max();

    UNIT_DONE("unit_json");
}
