/*
 * Unit tests of src/llmgw_guard.c: every built-in detector (true
 * positives and look-alikes), redaction and its overlaps, custom patterns
 * and deny-lists, create() errors, streams split every way (each redaction
 * case is also streamed at every split and byte by byte), the hold limit,
 * and the JSON rewrite (checked with jansson).
 */

#include <stdint.h>

#include <jansson.h>

#include "llmgw_guard.h"
#include "unit.h"


#define ALL    ((1u << LLMGW_GUARD_NBUILTIN) - 1)
#define BIT(d) ((uint64_t) 1 << (d))

#define EMAIL   BIT(LLMGW_GUARD_EMAIL)
#define PHONE   BIT(LLMGW_GUARD_PHONE)
#define CARD    BIT(LLMGW_GUARD_CARD)
#define SSN     BIT(LLMGW_GUARD_SSN)
#define IBAN    BIT(LLMGW_GUARD_IBAN)
#define IPV4    BIT(LLMGW_GUARD_IPV4)
#define IPV6    BIT(LLMGW_GUARD_IPV6)
#define SECRET  BIT(LLMGW_GUARD_SECRET)

#define PEM_RSA                                                             \
    "-----BEGIN RSA PRIVATE KEY-----\n"                                     \
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"   \
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"   \
    "-----END RSA PRIVATE KEY-----"

#define JWT                                                                 \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwib"    \
    "mFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpM"  \
    "eJf36POk6yJV_adQssw5c"


typedef struct {
    void    **blocks;
    size_t    n;
    size_t    bytes;
} pool_t;


static pool_t          pool;
static llmgw_guard_t  *all;


static void *
pool_alloc(void *data, size_t size)
{
    pool_t  *p;

    p = data;
    p->blocks = realloc(p->blocks, (p->n + 1) * sizeof(void *));
    p->blocks[p->n] = malloc(size);
    p->bytes += size;

    return p->blocks[p->n++];
}


static void
pool_free(pool_t *p)
{
    while (p->n) {
        free(p->blocks[--p->n]);
    }

    free(p->blocks);
    p->blocks = NULL;
    p->bytes = 0;
}


static void *
null_alloc(void *data, size_t size)
{
    (void) data;
    (void) size;
    return NULL;
}



static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;

    return *s;
}


static size_t
count_tags(const unsigned char *p, size_t n)
{
    size_t  i, c;

    c = 0;

    for (i = 0; i + 10 <= n; i++) {
        c += (memcmp(p + i, "[REDACTED:", 10) == 0);
    }

    return c;
}


/* the stream's output with the text cut at cuts[0..ncuts) (increasing) */

static int
stream(const llmgw_guard_t *g, const unsigned char *text, size_t len,
    const size_t *cuts, size_t ncuts, size_t max_hold, unsigned char *res,
    size_t *res_len, uint64_t *fired, size_t *max_held)
{
    size_t                 k, at, next, n;
    unsigned char         *piece;
    const unsigned char   *out;
    llmgw_guard_stream_t  *s;

    s = llmgw_guard_stream_create(g, pool_alloc, &pool, max_hold);
    if (s == NULL) {
        return -1;
    }

    *res_len = 0;
    *max_held = 0;
    at = 0;

    for (k = 0; k <= ncuts; k++) {
        next = (k < ncuts) ? cuts[k] : len;

        piece = dup_mem(text + at, next - at);

        if (llmgw_guard_stream_feed(s, piece, next - at, &out, &n) != 0) {
            free(piece);
            return -1;
        }

        free(piece);

        memcpy(res + *res_len, out, n);
        *res_len += n;
        at = next;

        if (llmgw_guard_stream_held(s) > *max_held) {
            *max_held = llmgw_guard_stream_held(s);
        }
    }

    if (llmgw_guard_stream_end(s, &out, &n) != 0) {
        return -1;
    }

    memcpy(res + *res_len, out, n);
    *res_len += n;
    *fired = llmgw_guard_stream_fired(s);

    if (llmgw_guard_stream_held(s) != 0) {
        return -1;
    }

    return 0;
}


/*
 * The text streamed cut at every position, byte by byte and at random
 * cuts gives exactly want (the whole text's redaction) and want_fired,
 * never holding more than max_hold bytes.
 */

static void
check_stream(const llmgw_guard_t *g, const char *text, size_t len,
    const unsigned char *want, size_t want_len, uint64_t want_fired,
    size_t max_hold, unsigned random_rounds)
{
    int              bad;
    size_t           i, k, n, res_len, held, *cuts;
    uint64_t         fired, seed;
    unsigned char   *res;
    const unsigned char  *t;

    t = (const unsigned char *) text;
    res = malloc(len * 60 + 64);
    cuts = malloc((len + 1) * sizeof(size_t));
    bad = 0;

    for (i = 0; i <= len && !bad; i++) {
        cuts[0] = i;

        if (stream(g, t, len, cuts, 1, max_hold, res, &res_len, &fired,
                   &held) != 0
            || res_len != want_len || memcmp(res, want, want_len) != 0
            || fired != want_fired || held > max_hold)
        {
            UNIT_FAIL("stream of \"%.*s\" cut at %zu: \"%.*s\" fired %llx "
                      "held %zu", (int) len, text, i, (int) res_len, res,
                      (unsigned long long) fired, held);
            bad = 1;
        }
    }

    if (!bad) {
        unit_passed++;
    }

    for (i = 0; i + 1 < len; i++) {
        cuts[i] = i + 1;
    }

    if (stream(g, t, len, cuts, len ? len - 1 : 0, max_hold, res, &res_len,
               &fired, &held) == 0
        && res_len == want_len && memcmp(res, want, want_len) == 0
        && fired == want_fired && held <= max_hold)
    {
        unit_passed++;

    } else {
        UNIT_FAIL("stream of \"%.*s\" byte by byte: \"%.*s\"", (int) len,
                  text, (int) res_len, res);
    }

    seed = 0x9e3779b97f4a7c15ULL ^ len;
    bad = 0;

    for (k = 0; k < random_rounds && !bad; k++) {
        n = 0;

        for (i = 1; i < len; i++) {
            if (rnd(&seed) % 7 == 0) {
                cuts[n++] = i;
            }
        }

        if (stream(g, t, len, cuts, n, max_hold, res, &res_len, &fired,
                   &held) != 0
            || res_len != want_len || memcmp(res, want, want_len) != 0
            || fired != want_fired || held > max_hold)
        {
            UNIT_FAIL("stream of \"%.*s\" in %zu random pieces: \"%.*s\"",
                      (int) len, text, n + 1, (int) res_len, res);
            bad = 1;
        }
    }

    if (!bad && random_rounds) {
        unit_passed++;
    }

    free(cuts);
    free(res);
}


/*
 * g redacts text into want with want_fired; scan agrees on the bits and
 * the count; the text streamed any way gives the same.
 */

static void
check(const llmgw_guard_t *g, const char *text, const char *want,
    uint64_t want_fired)
{
    int             rc, count;
    size_t          len, out_len;
    uint64_t        fired, sfired;
    unsigned char  *b, *out;

    len = strlen(text);
    b = dup_mem(text, len);
    fired = 0;

    rc = llmgw_guard_redact(g, b, len, pool_alloc, &pool, &out, &out_len,
                            &fired);

    if (strcmp(text, want) == 0) {
        CHECK_INT(rc, 0, "redact \"%s\"", text);
        CHECK(out == NULL, "redact \"%s\": out set", text);
        out = b;
        out_len = len;

    } else {
        CHECK_INT(rc, 1, "redact \"%s\"", text);

        if (rc != 1) {
            free(b);
            return;
        }

        CHECK_STR(out, out_len, want, "redact \"%s\"", text);
    }

    CHECK_INT(fired, want_fired, "fired of \"%s\"", text);

    sfired = 0;
    count = llmgw_guard_scan(g, b, len, &sfired);
    CHECK_INT(sfired, want_fired, "scan fired of \"%s\"", text);
    CHECK_INT(count, count_tags(out, out_len) - count_tags(b, len),
              "scan count of \"%s\"", text);

    check_stream(g, text, len, out, out_len, want_fired, len + 64, 0);

    free(b);
    pool_free(&pool);
}


static void
test_builtin_names(void)
{
    size_t          i;
    llmgw_guard_t  *g;

    static const char  *names[] = {
        "EMAIL", "PHONE", "CARD", "SSN", "IBAN", "IPV4", "IPV6", "SECRET"
    };

    for (i = 0; i < LLMGW_GUARD_NBUILTIN; i++) {
        CHECK_INT(llmgw_guard_builtin(names[i], strlen(names[i])), i, "%s",
                  names[i]);
        CHECK_STR(llmgw_guard_name(all, i), strlen(llmgw_guard_name(all, i)),
                  names[i]);
    }

    CHECK_INT(llmgw_guard_count(all), LLMGW_GUARD_NBUILTIN);
    CHECK(llmgw_guard_name(all, LLMGW_GUARD_NBUILTIN) == NULL);

    CHECK_INT(llmgw_guard_builtin("email", 5), LLMGW_GUARD_EMAIL);
    CHECK_INT(llmgw_guard_builtin("Secret", 6), LLMGW_GUARD_SECRET);
    CHECK_INT(llmgw_guard_builtin("iPv6", 4), LLMGW_GUARD_IPV6);
    CHECK_INT(llmgw_guard_builtin("CARDS", 5), -1);
    CHECK_INT(llmgw_guard_builtin("CARDS", 3), -1);
    CHECK_INT(llmgw_guard_builtin("CARDS", 4), LLMGW_GUARD_CARD);
    CHECK_INT(llmgw_guard_builtin("", 0), -1);
    CHECK_INT(llmgw_guard_builtin("PROJECT", 7), -1);

    /* a subset keeps the built-ins' order, customs come after */
    {
        llmgw_guard_custom_t  c = { "PROJECT", "PRJ-[0-9]+", NULL, 0 };

        g = llmgw_guard_create((uint32_t) (CARD | EMAIL | SECRET), &c, 1,
                               NULL, 0);
        CHECK(g != NULL);

        if (g) {
            CHECK_INT(llmgw_guard_count(g), 4);
            CHECK_STR(llmgw_guard_name(g, 0), 5, "EMAIL");
            CHECK_STR(llmgw_guard_name(g, 1), 4, "CARD");
            CHECK_STR(llmgw_guard_name(g, 2), 6, "SECRET");
            CHECK_STR(llmgw_guard_name(g, 3), 7, "PROJECT");

            check(g, "PRJ-12 bob@example.com 4111111111111111 10.0.0.1",
                  "[REDACTED:PROJECT] [REDACTED:EMAIL] [REDACTED:CARD] "
                  "10.0.0.1", BIT(0) | BIT(1) | BIT(3));

            llmgw_guard_free(g);
        }
    }

    g = llmgw_guard_create(0, NULL, 0, NULL, 0);
    CHECK(g != NULL);

    if (g) {
        CHECK_INT(llmgw_guard_count(g), 0);
        check(g, "bob@example.com", "bob@example.com", 0);
        llmgw_guard_free(g);
    }
}


static void
create_fails(uint32_t mask, const llmgw_guard_custom_t *c, size_t n,
    const char *want)
{
    char            err[256];
    llmgw_guard_t  *g;

    strcpy(err, "untouched");
    g = llmgw_guard_create(mask, c, n, err, sizeof(err));

    CHECK(g == NULL, "create should fail with \"%s\"", want);
    CHECK(strstr(err, want) != NULL, "error \"%s\", want \"%s\"", err, want);

    llmgw_guard_free(g);
}


static void
test_create_errors(void)
{
    char                   err[256], names[LLMGW_GUARD_MAX][16];
    size_t                 i;
    llmgw_guard_t         *g;
    llmgw_guard_custom_t   c[LLMGW_GUARD_MAX];

    static const char     *words[] = { "ok", "" };
    static const char     *bad_utf8[] = { "caf\xc3" };

    c[0].name = "PROJECT";
    c[0].pattern = "(a|b";
    c[0].words = NULL;
    c[0].nwords = 0;

    g = llmgw_guard_create(ALL, c, 1, err, sizeof(err));
    CHECK(g == NULL);
    CHECK_STR(err, strlen(err),
              "detector \"PROJECT\": missing closing parenthesis at offset 4");

    c[0].pattern = "a[";
    create_fails(0, c, 1, "detector \"PROJECT\": missing terminating ]");

    c[0].pattern = "x*";
    create_fails(ALL, c, 1, "detector \"PROJECT\": pattern can match an "
                 "empty string");

    c[0].pattern = "(?=a)|b";
    create_fails(0, c, 1, "empty string");

    c[0].pattern = "\\b";
    create_fails(0, c, 1, "empty string");

    c[0].pattern = "a?|(?<=x)";
    create_fails(0, c, 1, "empty string");

    c[0].pattern = "caf\xc3";
    create_fails(0, c, 1, "detector \"PROJECT\": UTF-8 error");

    c[0].pattern = "a\\C";
    create_fails(0, c, 1, "\\C is disabled");

    c[0].pattern = NULL;
    create_fails(0, c, 1, "no pattern and no words");

    c[0].words = words;
    c[0].nwords = 2;
    create_fails(0, c, 1, "empty string");

    c[0].words = bad_utf8;
    c[0].nwords = 1;
    create_fails(0, c, 1, "UTF-8 error");

    c[0].pattern = "x";
    c[0].name = "bad name";
    create_fails(0, c, 1, "detector \"bad name\": invalid or duplicate name");

    c[0].name = "";
    create_fails(0, c, 1, "invalid");

    c[0].name = "A23456789012345678901234567890123";
    create_fails(0, c, 1, "invalid");

    c[0].name = "EMAIL";
    create_fails(ALL, c, 1, "detector \"EMAIL\": invalid or duplicate name");

    c[0].name = "ok_-9";
    c[1] = c[0];
    create_fails(0, c, 2, "duplicate");

    create_fails(1u << LLMGW_GUARD_NBUILTIN, NULL, 0, "unknown built-in");

    /* 64 detectors are fine, 65 are not */
    for (i = 0; i < LLMGW_GUARD_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "C%zu", i);
        c[i].name = names[i];
        c[i].pattern = "zz[0-9]";
        c[i].words = NULL;
        c[i].nwords = 0;
    }

    g = llmgw_guard_create(ALL, c, LLMGW_GUARD_MAX - LLMGW_GUARD_NBUILTIN,
                           err, sizeof(err));
    CHECK(g != NULL, "64 detectors: %s", err);

    if (g) {
        CHECK_INT(llmgw_guard_count(g), LLMGW_GUARD_MAX);
        CHECK_STR(llmgw_guard_name(g, 63), 3, "C55");
        check(g, "a zz1", "a [REDACTED:C0]", BIT(8));
        llmgw_guard_free(g);
    }

    g = llmgw_guard_create(0, c, LLMGW_GUARD_MAX, err, sizeof(err));
    CHECK(g != NULL, "64 customs: %s", err);

    if (g) {
        check(g, "zz1", "[REDACTED:C0]", BIT(0));
        llmgw_guard_free(g);
    }

    create_fails(ALL, c, LLMGW_GUARD_MAX - LLMGW_GUARD_NBUILTIN + 1,
                 "too many detectors");
    create_fails(1, c, LLMGW_GUARD_MAX, "too many detectors");

    /* no error buffer is fine */
    c[0].pattern = "(";
    CHECK(llmgw_guard_create(0, c, 1, NULL, 0) == NULL);
}


static void
test_email(void)
{
    check(all, "bob@example.com", "[REDACTED:EMAIL]", EMAIL);
    check(all, "mail bob@example.com now", "mail [REDACTED:EMAIL] now",
          EMAIL);
    check(all, "(<john.doe+tag@mail.example.co.uk>),",
          "(<[REDACTED:EMAIL]>),", EMAIL);
    check(all, "x_y%z-w@sub-domain.example.org.", "[REDACTED:EMAIL].",
          EMAIL);
    check(all, "a.b@c.de; A@B.INFO", "[REDACTED:EMAIL]; [REDACTED:EMAIL]",
          EMAIL);
    check(all, "mailto:bob@example.com?subject=x",
          "mailto:[REDACTED:EMAIL]?subject=x", EMAIL);
    check(all, "\"bob@example.com\"", "\"[REDACTED:EMAIL]\"", EMAIL);
    check(all, "two:a@example.com,b@example.net",
          "two:[REDACTED:EMAIL],[REDACTED:EMAIL]", EMAIL);
    check(all, "caf\xc3\xa9 bob@example.com \xe2\x82\xac",
          "caf\xc3\xa9 [REDACTED:EMAIL] \xe2\x82\xac", EMAIL);

    check(all, "user@localhost", "user@localhost", 0);
    check(all, "@example.com", "@example.com", 0);
    check(all, "a@b", "a@b", 0);
    check(all, "foo@bar.c", "foo@bar.c", 0);
    check(all, "foo@bar.c1", "foo@bar.c1", 0);
    check(all, "john.@example.com", "john.@example.com", 0);
    check(all, "bob@.example.com", "bob@.example.com", 0);
    check(all, "bob@example.com2", "bob@example.com2", 0);
    check(all, "@@ @ a@ @b.com", "@@ @ a@ @b.com", 0);
}


static void
test_phone(void)
{
    check(all, "+1 415 555 0132", "[REDACTED:PHONE]", PHONE);
    check(all, "call +44 20 7946 0958.", "call [REDACTED:PHONE].", PHONE);
    check(all, "Tel: +49 (0)30 123456, ext", "Tel: [REDACTED:PHONE], ext",
          PHONE);
    check(all, "(415) 555-0132", "[REDACTED:PHONE]", PHONE);
    check(all, "call 415-555-0132 now", "call [REDACTED:PHONE] now", PHONE);
    check(all, "415.555.0132", "[REDACTED:PHONE]", PHONE);
    check(all, "+33612345678", "[REDACTED:PHONE]", PHONE);
    check(all, "+1-415-555-0132;(020) 7946 0958",
          "[REDACTED:PHONE];[REDACTED:PHONE]", PHONE);
    check(all, "+49 (0)30 123456 or (415) 555-0132",
          "[REDACTED:PHONE] or [REDACTED:PHONE]", PHONE);

    /* more than 15 digits: cut after the last group that keeps to 15 */
    check(all, "+1 415 555 0132 1234 5678", "[REDACTED:PHONE] 5678", PHONE);

    check(all, "order 12345678901234", "order 12345678901234", 0);
    check(all, "on 2024-05-17 at", "on 2024-05-17 at", 0);
    check(all, "17.05.2024", "17.05.2024", 0);
    check(all, "version 1.2.3", "version 1.2.3", 0);
    check(all, "version 10.20.300", "version 10.20.300", 0);
    check(all, "at 12:30:45", "at 12:30:45", 0);
    check(all, "+123456", "+123456", 0);
    check(all, "+1234567890123456", "+1234567890123456", 0);
    check(all, "1+2345678", "1+2345678", 0);
    check(all, "x415-555-0132", "x415-555-0132", 0);
    check(all, "415-555-01329", "415-555-01329", 0);
    check(all, "1-415-555-0132-1", "1-415-555-0132-1", 0);

    /* not inside or instead of other numbers */
    check(all, "192.168.100.200", "[REDACTED:IPV4]", IPV4);
    check(all, "4111 1111 1111 1111", "[REDACTED:CARD]", CARD);
    check(all, "4111 1111 1111 1112", "4111 1111 1111 1112", 0);
    check(all, "4111-1111-1111-1112", "4111-1111-1111-1112", 0);
    check(all, "+4111111111111111", "+[REDACTED:CARD]", CARD);
    check(all, "123-45-6789", "[REDACTED:SSN]", SSN);
}


static void
test_card(void)
{
    check(all, "4111 1111 1111 1111", "[REDACTED:CARD]", CARD);
    check(all, "card: 4111-1111-1111-1111.", "card: [REDACTED:CARD].", CARD);
    check(all, "378282246310005", "[REDACTED:CARD]", CARD);
    check(all, "amex 3782 822463 10005!", "amex [REDACTED:CARD]!", CARD);
    check(all, "5555555555554444,6011111111111117",
          "[REDACTED:CARD],[REDACTED:CARD]", CARD);
    check(all, "4222222222222", "[REDACTED:CARD]", CARD);
    check(all, "diners 30569309025904", "diners [REDACTED:CARD]", CARD);
    check(all, "4111 1111 1111 1111 12/25", "[REDACTED:CARD] 12/25", CARD);
    check(all, "4111 1111 1111 1111 123", "[REDACTED:CARD] 123", CARD);
    check(all, "4111 1111 1111 1112 4111111111111111",
          "4111 1111 1111 1112 [REDACTED:CARD]", CARD);

    check(all, "4111 1111 1111 1112", "4111 1111 1111 1112", 0);
    check(all, "4111111111111112", "4111111111111112", 0);
    check(all, "1234567812345678", "1234567812345678", 0);
    check(all, "94111111111111111", "94111111111111111", 0);
    check(all, "41111111111111110000", "41111111111111110000", 0);
    check(all, "x4111111111111111", "x4111111111111111", 0);
    check(all, "4111111111111111x", "4111111111111111x", 0);
    check(all, "4111 1111-1111 1111", "4111 1111-1111 1111", 0);
    check(all, "1234567812345670", "[REDACTED:CARD]", CARD);
}


static void
test_ssn(void)
{
    check(all, "123-45-6789", "[REDACTED:SSN]", SSN);
    check(all, "ssn 078 05 1120, ok", "ssn [REDACTED:SSN], ok", SSN);
    check(all, "(665-12-3456)", "([REDACTED:SSN])", SSN);
    check(all, "899-99-9999", "[REDACTED:SSN]", SSN);

    check(all, "000-12-3456", "000-12-3456", 0);
    check(all, "666-12-3456", "666-12-3456", 0);
    check(all, "900-12-3456", "900-12-3456", 0);
    check(all, "999-12-3456", "999-12-3456", 0);
    check(all, "123-00-4567", "123-00-4567", 0);
    check(all, "123-45-0000", "123-45-0000", 0);
    check(all, "123456789", "123456789", 0);
    check(all, "123-45 6789", "123-45 6789", 0);
    check(all, "1123-45-6789", "1123-45-6789", 0);
    check(all, "123-45-67890", "123-45-67890", 0);
    check(all, "9-123-45-6789", "9-123-45-6789", 0);
    check(all, "123-45-6789-1", "123-45-6789-1", 0);
}


static void
test_iban(void)
{
    check(all, "DE89 3704 0044 0532 0130 00", "[REDACTED:IBAN]", IBAN);
    check(all, "to GB82WEST12345698765432.", "to [REDACTED:IBAN].", IBAN);
    check(all, "GB82 WEST 1234 5698 7654 32", "[REDACTED:IBAN]", IBAN);
    check(all, "FR1420041010050500013M02606", "[REDACTED:IBAN]", IBAN);
    check(all, "NL91ABNA0417164300,BE68539007547034",
          "[REDACTED:IBAN],[REDACTED:IBAN]", IBAN);
    check(all, "NO9386011117947", "[REDACTED:IBAN]", IBAN);
    check(all, "MT84MALT011000012345MTLCAST001S", "[REDACTED:IBAN]", IBAN);
    check(all, "LC55HEMM000100010012001200023015", "[REDACTED:IBAN]", IBAN);
    check(all, "BE68 5390 0754 7034 CODE", "[REDACTED:IBAN] CODE", IBAN);
    check(all, "iban: CH9300762011623852957", "iban: [REDACTED:IBAN]", IBAN);

    check(all, "DE89 3704 0044 0532 0130 01", "DE89 3704 0044 0532 0130 01",
          0);
    check(all, "DE8937040044053201300", "DE8937040044053201300", 0);
    check(all, "DE893704004405320130000", "DE893704004405320130000", 0);
    check(all, "XX89370400440532013000", "XX89370400440532013000", 0);
    check(all, "GB82WEST1234569876543", "GB82WEST1234569876543", 0);
    check(all, "gb82west12345698765432", "gb82west12345698765432", 0);
    check(all, "xGB82WEST12345698765432", "xGB82WEST12345698765432", 0);
    check(all, "DE89 3704 0044 0532 0130 00X", "DE89 3704 0044 0532 0130 00X",
          0);
}


static void
test_ipv4(void)
{
    check(all, "192.168.1.1", "[REDACTED:IPV4]", IPV4);
    check(all, "host 10.0.0.255, up", "host [REDACTED:IPV4], up", IPV4);
    check(all, "ip=0.0.0.0;255.255.255.255.",
          "ip=[REDACTED:IPV4];[REDACTED:IPV4].", IPV4);
    check(all, "10.1.2.3/24", "[REDACTED:IPV4]/24", IPV4);
    check(all, "(8.8.8.8)", "([REDACTED:IPV4])", IPV4);

    check(all, "256.1.1.1", "256.1.1.1", 0);
    check(all, "1.2.3.256", "1.2.3.256", 0);
    check(all, "1.2.3", "1.2.3", 0);
    check(all, "1.2.3.4.5", "1.2.3.4.5", 0);
    check(all, "v1.2.3.4", "v1.2.3.4", 0);
    check(all, "1.2.3.4a", "1.2.3.4a", 0);
    check(all, "01.2.3.4", "01.2.3.4", 0);
    check(all, "1.02.3.4", "1.02.3.4", 0);
    check(all, "11.2.3.4.", "[REDACTED:IPV4].", IPV4);
    check(all, "oid 1.3.6.1.4.1", "oid 1.3.6.1.4.1", 0);
}


static void
test_ipv6(void)
{
    check(all, "2001:db8::8a2e:370:7334", "[REDACTED:IPV6]", IPV6);
    check(all, "lo ::1.", "lo [REDACTED:IPV6].", IPV6);
    check(all, "fe80::1ff:fe23:4567:890a%eth0", "[REDACTED:IPV6]%eth0", IPV6);
    check(all, "::ffff:192.0.2.128", "[REDACTED:IPV6]", IPV6);
    check(all, "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
          "[REDACTED:IPV6]", IPV6);
    check(all, "[2001:db8::1]:443", "[[REDACTED:IPV6]]:443", IPV6);
    check(all, "FE80::1, 1::", "[REDACTED:IPV6], [REDACTED:IPV6]", IPV6);

    check(all, "at 12:30:45", "at 12:30:45", 0);
    check(all, "aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff", 0);
    check(all, "std::vector", "std::vector", 0);
    check(all, "a :: b", "a :: b", 0);
    check(all, "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9", 0);
    check(all, "dead:beef", "dead:beef", 0);
    check(all, "12345::1", "12345::1", 0);
    check(all, "Note: see", "Note: see", 0);
}


static void
test_secret(void)
{
    check(all, "AKIAIOSFODNN7EXAMPLE", "[REDACTED:SECRET]", SECRET);
    check(all, "key=ASIAY34FZKBOKMUTVV7A;", "key=[REDACTED:SECRET];", SECRET);
    check(all, "x " PEM_RSA " y", "x [REDACTED:SECRET] y", SECRET);
    check(all, "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
          "[REDACTED:SECRET]", SECRET);
    check(all, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n"
          "-----END OPENSSH PRIVATE KEY-----\n", "[REDACTED:SECRET]\n",
          SECRET);
    check(all, "Bearer " JWT, "Bearer [REDACTED:SECRET]", SECRET);
    check(all, "sk-proj-abcdefghijklmnopqrstuvwxyz0123",
          "[REDACTED:SECRET]", SECRET);
    check(all, "OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyzABCDEF",
          "OPENAI_API_KEY=[REDACTED:SECRET]", SECRET);
    check(all, "sk-ant-api03-abcdefghijklmnopqrstuvwxyz_-0123",
          "[REDACTED:SECRET]", SECRET);
    check(all, "AIzaSyD-abcdefghijklmnopqrstuvwxyz12345",
          "[REDACTED:SECRET]", SECRET);
    check(all, "ghp_abcdefghijklmnopqrstuvwxyz0123456789.",
          "[REDACTED:SECRET].", SECRET);
    check(all, "github_pat_11ABCDEFG0123456789_abcdefghij",
          "[REDACTED:SECRET]", SECRET);
    check(all, "xoxb-1234567890-abcdefghij", "[REDACTED:SECRET]", SECRET);
    check(all, "sk_live_abcdefghijklmnop1234", "[REDACTED:SECRET]", SECRET);
    check(all, "rk_live_abcdefghijklmnop", "[REDACTED:SECRET]", SECRET);

    check(all, "AKIAiosfodnn7example", "AKIAiosfodnn7example", 0);
    check(all, "AKIA1234567", "AKIA1234567", 0);
    check(all, "AKIAIOSFODNN7EXAMPLEX", "AKIAIOSFODNN7EXAMPLEX", 0);
    check(all, "xAKIAIOSFODNN7EXAMPLE", "xAKIAIOSFODNN7EXAMPLE", 0);
    check(all, "sk-short", "sk-short", 0);
    check(all, "task-abcdefghijklmnopqrstuvwxyz", "task-abcdefghijklmnopqrstuvwxyz",
          0);
    check(all, "eyJhbGciOi", "eyJhbGciOi", 0);
    check(all, "eyJhbGciOiJIUzI1NiJ9.eyJz.abc", "eyJhbGciOiJIUzI1NiJ9.eyJz.abc",
          0);
    check(all, "ghp_short", "ghp_short", 0);
    check(all, "AIzaShort", "AIzaShort", 0);
    check(all, "xoxb-123", "xoxb-123", 0);
    check(all, "sk_test_abcdefghijklmnop1234", "sk_test_abcdefghijklmnop1234", 0);
    check(all, "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
          "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", 0);
    check(all, "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n"
          "-----END EC PRIVATE KEY-----",
          "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n"
          "-----END EC PRIVATE KEY-----", 0);
    check(all, "-----BEGIN PRIVATE KEY-----\nno end",
          "-----BEGIN PRIVATE KEY-----\nno end", 0);
}


static void
test_redact(void)
{
    llmgw_guard_t         *g;
    llmgw_guard_custom_t   c[4];

    check(all, "", "", 0);
    check(all, "nothing to see here.", "nothing to see here.", 0);

    check(all, "From bob@example.com (+1 415 555 0132), card "
          "4111-1111-1111-1111, ssn 123-45-6789, iban DE89 3704 0044 0532 "
          "0130 00, from 10.0.0.1 / ::1 with AKIAIOSFODNN7EXAMPLE.",
          "From [REDACTED:EMAIL] ([REDACTED:PHONE]), card [REDACTED:CARD], "
          "ssn [REDACTED:SSN], iban [REDACTED:IBAN], from [REDACTED:IPV4] / "
          "[REDACTED:IPV6] with [REDACTED:SECRET].",
          EMAIL | PHONE | CARD | SSN | IBAN | IPV4 | IPV6 | SECRET);

    check(all, "bob@example.com,alice@example.org;4111111111111111",
          "[REDACTED:EMAIL],[REDACTED:EMAIL];[REDACTED:CARD]", EMAIL | CARD);

    /* at the start and at the end, adjacent to punctuation */
    check(all, "10.0.0.1:8080", "[REDACTED:IPV4]:8080", IPV4);
    check(all, "x:10.0.0.1", "x:[REDACTED:IPV4]", IPV4);

    /* overlaps: the leftmost, then the longest, then the first detector */
    c[0].name = "BOB";
    c[0].pattern = "bob";
    c[0].words = NULL;
    c[0].nwords = 0;
    c[1].name = "MAILBOB";
    c[1].pattern = "mail bob";
    c[1].words = NULL;
    c[1].nwords = 0;
    c[2].name = "SAME";
    c[2].pattern = "bob@example\\.com";
    c[2].words = NULL;
    c[2].nwords = 0;
    c[3].name = "DOMAIN";
    c[3].pattern = "example\\.com and more";
    c[3].words = NULL;
    c[3].nwords = 0;

    g = llmgw_guard_create((uint32_t) EMAIL, c, 4, NULL, 0);
    CHECK(g != NULL);

    if (g) {
        check(g, "to bob@example.com", "to [REDACTED:EMAIL]", EMAIL);
        check(g, "to bob", "to [REDACTED:BOB]", BIT(1));
        check(g, "mail bob@example.com", "[REDACTED:MAILBOB]@example.com",
              BIT(2));
        check(g, "bob@example.com and more", "[REDACTED:EMAIL] and more",
              EMAIL);
        check(g, "bo bob@example.com and more bob",
              "bo [REDACTED:EMAIL] and more [REDACTED:BOB]", EMAIL | BIT(1));
        llmgw_guard_free(g);
    }

    /* the same span: the first detector (EMAIL before SAME) */
    g = llmgw_guard_create((uint32_t) EMAIL, &c[2], 1, NULL, 0);
    CHECK(g != NULL);

    if (g) {
        check(g, "bob@example.com", "[REDACTED:EMAIL]", EMAIL);
        llmgw_guard_free(g);
    }

    g = llmgw_guard_create(0, &c[2], 1, NULL, 0);
    CHECK(g != NULL);

    if (g) {
        check(g, "bob@example.com", "[REDACTED:SAME]", BIT(0));
        llmgw_guard_free(g);
    }
}


static void
test_errors_and_memory(void)
{
    int                    rc;
    char                   text[64];
    size_t                 out_len;
    uint64_t               fired;
    unsigned char         *out;
    llmgw_guard_t         *g;
    llmgw_guard_custom_t   c;

    /* a catastrophic pattern hits the match limit: an error, not a hang */
    c.name = "SLOW";
    c.pattern = "(a+)+$";
    c.words = NULL;
    c.nwords = 0;

    g = llmgw_guard_create(0, &c, 1, NULL, 0);
    CHECK(g != NULL);

    if (g) {
        memset(text, 'a', 40);
        text[40] = 'b';
        fired = 0;

        rc = llmgw_guard_redact(g, (unsigned char *) text, 41, pool_alloc,
                                &pool, &out, &out_len, &fired);
        CHECK_INT(rc, -1);
        CHECK_INT(llmgw_guard_scan(g, (unsigned char *) text, 41, &fired),
                  -1);
        CHECK_INT(fired, 0);
        CHECK_INT(llmgw_guard_json(g, (const unsigned char *)
                                   "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"]",
                                   43, 0, pool_alloc, &pool, &out, &out_len,
                                   &fired), -1);

        llmgw_guard_free(g);
    }

    /* allocation failures */
    rc = llmgw_guard_redact(all, (const unsigned char *) "bob@example.com",
                            15, null_alloc, NULL, &out, &out_len, NULL);
    CHECK_INT(rc, -1);
    CHECK(llmgw_guard_stream_create(all, null_alloc, NULL, 64) == NULL);

    /* fired may be NULL */
    rc = llmgw_guard_redact(all, (const unsigned char *) "bob@example.com",
                            15, pool_alloc, &pool, &out, &out_len, NULL);
    CHECK_INT(rc, 1);
    CHECK_INT(llmgw_guard_scan(all, (const unsigned char *) "a@bc.de", 7,
                               NULL), 1);

    /* fired accumulates */
    fired = IBAN;
    CHECK_INT(llmgw_guard_scan(all, (const unsigned char *) "a@bc.de", 7,
                               &fired), 1);
    CHECK_INT(fired, IBAN | EMAIL);

    pool_free(&pool);
}


static void
test_custom(void)
{
    llmgw_guard_t         *g;
    llmgw_guard_custom_t   c[4];

    static const char     *deny[] = {
        "project bluebird", "bluebird", "a.b*c", "(x)", "caf\xc3\xa9", "c++"
    };
    static const char     *short_first[] = {
        "project", "project bluebird", "a b", "a b."
    };

    c[0].name = "PROJECT";
    c[0].pattern = "\\bPRJ-[0-9]{4}\\b";
    c[0].words = NULL;
    c[0].nwords = 0;
    c[1].name = "DENY";
    c[1].pattern = NULL;
    c[1].words = deny;
    c[1].nwords = sizeof(deny) / sizeof(deny[0]);
    c[2].name = "NONASCII";
    c[2].pattern = "\xc3\xa9t\xc3\xa9 [0-9]+";
    c[2].words = NULL;
    c[2].nwords = 0;

    g = llmgw_guard_create(ALL, c, 3, NULL, 0);
    CHECK(g != NULL);

    if (g == NULL) {
        return;
    }

    CHECK_INT(llmgw_guard_count(g), LLMGW_GUARD_NBUILTIN + 3);
    CHECK_STR(llmgw_guard_name(g, 9), 4, "DENY");

    check(g, "see PRJ-1234.", "see [REDACTED:PROJECT].", BIT(8));
    check(g, "PRJ-12345 xPRJ-1234 PRJ-1234x", "PRJ-12345 xPRJ-1234 PRJ-1234x",
          0);
    check(g, "Project Bluebird, then BLUEBIRD!",
          "[REDACTED:DENY], then [REDACTED:DENY]!", BIT(9));
    check(g, "project bluebirds", "project bluebirds", 0);
    check(g, "bluebirds", "bluebirds", 0);
    check(g, "the_bluebird bluebird2", "the_bluebird bluebird2", 0);
    check(g, "project  bluebird", "project  [REDACTED:DENY]", BIT(9));
    check(g, "a.b*c axb*c a.bbc", "[REDACTED:DENY] axb*c a.bbc", BIT(9));
    check(g, "f(x) (x)", "f(x) [REDACTED:DENY]", BIT(9));
    check(g, "CAF\xc3\x89 caf\xc3\xa9s", "[REDACTED:DENY] caf\xc3\xa9s",
          BIT(9));
    check(g, "\xc3\xa9" "bluebird", "\xc3\xa9" "bluebird", 0);
    check(g, "c++ c+++ xc++", "[REDACTED:DENY] [REDACTED:DENY]+ xc++", BIT(9));
    check(g, "l'\xc3\xa9t\xc3\xa9 2024 ici",
          "l'[REDACTED:NONASCII] ici", BIT(10));
    check(g, "bluebird bob@example.com PRJ-0001",
          "[REDACTED:DENY] [REDACTED:EMAIL] [REDACTED:PROJECT]",
          EMAIL | BIT(8) | BIT(9));

    /* invalid UTF-8 in the text never matches, and never breaks */
    check(g, "\xff bluebird \xc3 PRJ-1234 \xed\xa0\x80 bob@example.com \xc3",
          "\xff [REDACTED:DENY] \xc3 [REDACTED:PROJECT] \xed\xa0\x80 "
          "[REDACTED:EMAIL] \xc3", EMAIL | BIT(8) | BIT(9));

    llmgw_guard_free(g);

    /* words are tried longest first, whatever their order */
    c[0].name = "W";
    c[0].pattern = NULL;
    c[0].words = short_first;
    c[0].nwords = 4;

    g = llmgw_guard_create(0, c, 1, NULL, 0);
    CHECK(g != NULL);

    if (g) {
        check(g, "the project bluebird plan", "the [REDACTED:W] plan", 1);
        check(g, "the project plan", "the [REDACTED:W] plan", 1);
        check(g, "x a b. y", "x [REDACTED:W] y", 1);
        llmgw_guard_free(g);
    }
}


static void
test_stream(void)
{
    size_t          i, n, out_len;
    uint64_t        fired;
    unsigned char  *out;
    llmgw_guard_t  *g;

    static const char  *words[] = { "project bluebird", "caf\xc3\xa9" };

    static const llmgw_guard_custom_t  custom[] = {
        { "PROJECT", "(?<![A-Z])PRJ-[0-9]{4,}(?![0-9])", NULL, 0 },
        { "DENY", NULL, words, 2 },
        { "ACCENT", "\xc3\xa9[0-9]+\xe2\x82\xac", NULL, 0 },
        { "EOL", "end$", NULL, 0 }
    };

    static const char  *texts[] = {
        "mail bob@example.com now, or a@b.co.uk",
        "a@b.co",
        "cards 4111 1111 1111 1111 and 4111 1111 1111 1112 4111111111111111"
        " and 378282246310005",
        "iban DE89 3704 0044 0532 0130 00 / GB82WEST12345698765432 "
        "BE68 5390 0754 7034 CODE",
        "keys: AKIAIOSFODNN7EXAMPLE sk-proj-abcdefghijklmnopqrstuvwxyz "
        JWT " ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "before\n" PEM_RSA "\nafter bob@example.com",
        "-----BEGIN PRIVATE KEY-----\nnot closed bob@example.com",
        "call +1 415 555 0132 or (415) 555-0132; ssn 123-45-6789; "
        "ip 192.168.1.1, ::ffff:192.0.2.128 and fe80::1",
        "caf\xc3\xa9 \xc3\xa9" "12\xe2\x82\xac PRJ-1234 project bluebird "
        "\xf0\x9f\x98\x80 CAF\xc3\x89",
        "\xff\xfe invalid \xc3 utf-8 bob@example.com \xe2\x82",
        "ends with end",
        "no end here endless",
        "4111111111111111",
        "1.2.3.4.5 1.2.3.4",
        "nothing at all to redact in this one"
    };

    g = llmgw_guard_create(ALL, custom, 4, NULL, 0);
    CHECK(g != NULL);

    if (g == NULL) {
        return;
    }

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        n = strlen(texts[i]);
        fired = 0;

        if (llmgw_guard_redact(g, (const unsigned char *) texts[i], n,
                               pool_alloc, &pool, &out, &out_len, &fired)
            == 0)
        {
            out = (unsigned char *) texts[i];
            out_len = n;
        }

        check_stream(g, texts[i], n, out, out_len, fired, n + 8, 50);
        check_stream(g, texts[i], n, out, out_len, fired, 4096, 10);
        pool_free(&pool);
    }

    /* every case of the detector tests goes through check_stream() too */
    check(g, "x PRJ-1234 end", "x [REDACTED:PROJECT] [REDACTED:EOL]",
          BIT(8) | BIT(11));
    check(g, "end.", "end.", 0);
    check(g, "\xc3\xa9" "1\xe2\x82\xac", "[REDACTED:ACCENT]", BIT(10));

    llmgw_guard_free(g);
}


/*
 * The hold limit: a match longer than max_hold is not guaranteed.  Fed in
 * small pieces with max_hold 64, the PEM block (about 200 bytes) is
 * released as text; a piece that brings it whole still has it redacted.
 * Either way no more than max_hold bytes are held, and shorter matches
 * after it are still found.
 */

static void
feed_pieces(llmgw_guard_stream_t *s, const char *text, size_t len,
    size_t piece, unsigned char *res, size_t *res_len, size_t *max_held)
{
    size_t                i, n;
    const unsigned char  *out;

    *res_len = 0;
    *max_held = 0;

    for (i = 0; i < len; i += piece) {
        n = (len - i < piece) ? len - i : piece;

        if (llmgw_guard_stream_feed(s, (const unsigned char *) text + i, n,
                                    &out, &n) != 0)
        {
            UNIT_FAIL("feed failed");
            return;
        }

        memcpy(res + *res_len, out, n);
        *res_len += n;

        if (llmgw_guard_stream_held(s) > *max_held) {
            *max_held = llmgw_guard_stream_held(s);
        }
    }

    if (llmgw_guard_stream_end(s, &out, &n) != 0) {
        UNIT_FAIL("end failed");
        return;
    }

    memcpy(res + *res_len, out, n);
    *res_len += n;
}


static void
test_stream_limit(void)
{
    size_t                 i, n, len, res_len, held;
    uint64_t               fired;
    unsigned char          res[2048];
    const unsigned char   *out;
    llmgw_guard_stream_t  *s;

    static const char  text[] =
        "key " PEM_RSA "\nbob@example.com";
    static const char  want_big[] =
        "key [REDACTED:SECRET]\n[REDACTED:EMAIL]";
    static const char  want_small[] =
        "key " PEM_RSA "\n[REDACTED:EMAIL]";

    len = sizeof(text) - 1;

    s = llmgw_guard_stream_create(all, pool_alloc, &pool, 4096);
    feed_pieces(s, text, len, 5, res, &res_len, &held);
    CHECK_STR(res, res_len, want_big);
    CHECK_INT(llmgw_guard_stream_fired(s), SECRET | EMAIL);
    CHECK(held > 64, "held %zu", held);

    s = llmgw_guard_stream_create(all, pool_alloc, &pool, 64);
    feed_pieces(s, text, len, 5, res, &res_len, &held);
    CHECK_STR(res, res_len, want_small);
    CHECK_INT(llmgw_guard_stream_fired(s), EMAIL);
    CHECK(held <= 64, "held %zu", held);

    s = llmgw_guard_stream_create(all, pool_alloc, &pool, 64);
    feed_pieces(s, text, len, 1, res, &res_len, &held);
    CHECK_STR(res, res_len, want_small);
    CHECK(held <= 64, "held %zu", held);

    /* one piece: found whole, whatever max_hold */
    s = llmgw_guard_stream_create(all, pool_alloc, &pool, 64);
    feed_pieces(s, text, len, len, res, &res_len, &held);
    CHECK_STR(res, res_len, want_big);

    for (i = 0; i <= len; i++) {
        size_t  cut = i;

        if (stream(all, (const unsigned char *) text, len, &cut, 1, 64, res,
                   &res_len, &fired, &held) != 0
            || held > 64
            || !((res_len == sizeof(want_big) - 1
                  && memcmp(res, want_big, res_len) == 0
                  && fired == (SECRET | EMAIL))
                 || (res_len == sizeof(want_small) - 1
                     && memcmp(res, want_small, res_len) == 0
                     && fired == EMAIL)))
        {
            UNIT_FAIL("max_hold 64, cut at %zu: held %zu, \"%.*s\"", i, held,
                      (int) res_len, res);
            break;
        }
    }

    CHECK_INT(i, len + 1);

    /* a long text in small pieces holds at most max_hold, and memory stays
     * bounded by the hold and the largest piece, not the text */
    {
        char    piece[100];
        size_t  k;

        pool_free(&pool);
        s = llmgw_guard_stream_create(all, pool_alloc, &pool, 256);

        for (k = 0; k < 10000; k++) {
            snprintf(piece, sizeof(piece),
                     "line %05zu from user%zu@example.com, token: "
                     "sk-%04zuabcdefghijklmnopqrstu ", k, k % 7, k);
            n = strlen(piece);

            if (llmgw_guard_stream_feed(s, (unsigned char *) piece, n, &out,
                                        &n) != 0
                || llmgw_guard_stream_held(s) > 256)
            {
                break;
            }
        }

        CHECK_INT(k, 10000);
        CHECK(pool.bytes < 16384, "allocated %zu bytes", pool.bytes);
        CHECK_INT(llmgw_guard_stream_fired(s), EMAIL | SECRET);

        CHECK_INT(llmgw_guard_stream_end(s, &out, &n), 0);
        CHECK_INT(llmgw_guard_stream_held(s), 0);

        /* after the end, nothing more */
        CHECK_INT(llmgw_guard_stream_feed(s, (unsigned char *) "x", 1, &out,
                                          &n), -1);
        CHECK_INT(llmgw_guard_stream_end(s, &out, &n), -1);
    }

    /* an empty stream, empty pieces */
    s = llmgw_guard_stream_create(all, pool_alloc, &pool, 0);
    CHECK(s != NULL);

    if (s) {
        CHECK_INT(llmgw_guard_stream_feed(s, NULL, 0, &out, &n), 0);
        CHECK(out != NULL && n == 0);
        CHECK_INT(llmgw_guard_stream_end(s, &out, &n), 0);
        CHECK(out != NULL && n == 0);
        CHECK_INT(llmgw_guard_stream_fired(s), 0);
    }

    pool_free(&pool);
}


/* JSON */

typedef struct {
    size_t          n;
    size_t          index[16];
    char            text[16][128];
    const char     *repl;
    int             fail_at;
} record_t;


static int
record(void *data, size_t index, const unsigned char *text, size_t len,
    const unsigned char **repl, size_t *repl_len)
{
    record_t  *r;

    r = data;

    if (r->fail_at >= 0 && (size_t) r->fail_at == r->n) {
        return -1;
    }

    if (r->n < 16) {
        r->index[r->n] = index;
        snprintf(r->text[r->n], sizeof(r->text[0]), "%.*s", (int) len,
                 (const char *) text);
    }

    r->n++;

    if (r->repl) {
        *repl = (const unsigned char *) r->repl;
        *repl_len = strlen(r->repl);
    }

    return 0;
}


static int
rewrite(const char *json, size_t len, unsigned depth, record_t *r,
    unsigned char **out, size_t *out_len)
{
    int             rc;
    unsigned char  *b;

    b = dup_mem(json, len);
    rc = llmgw_guard_json_rewrite(b, len, depth, pool_alloc, &pool, record,
                                  r, out, out_len);
    free(b);

    return rc;
}


static void
check_valid_json(const unsigned char *p, size_t n)
{
    json_t        *j;
    json_error_t   e;

    j = json_loadb((const char *) p, n, 0, &e);
    CHECK(j != NULL, "not valid JSON (%s): %.*s", e.text, (int) n, p);
    json_decref(j);
}


static void
test_json_guard(void)
{
    int             rc;
    size_t          n, out_len;
    json_t         *j, *v;
    uint64_t        fired;
    json_error_t    e;
    unsigned char  *out, *b;

    static const char  body[] =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
        "\"mail bob@example.com\"},{\"role\":\"user\",\"content\":[{\"type\":"
        "\"text\",\"text\":\"card 4111 1111 1111 1111\"},{\"type\":"
        "\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
        "AKIAIOSFODNN7EXAMPLE\"}}]}],\"tools\":[{\"type\":\"function\","
        "\"function\":{\"name\":\"lookup\",\"description\":\"ask "
        "bob@example.com\",\"parameters\":{\"type\":\"object\","
        "\"properties\":{\"q\":{\"type\":\"string\"}}}}}],"
        "\"temperature\":0.5,\"stream\":true}";

    static const char  want[] =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
        "\"mail [REDACTED:EMAIL]\"},{\"role\":\"user\",\"content\":[{\"type\":"
        "\"text\",\"text\":\"card [REDACTED:CARD]\"},{\"type\":"
        "\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
        "AKIAIOSFODNN7EXAMPLE\"}}]}],\"tools\":[{\"type\":\"function\","
        "\"function\":{\"name\":\"lookup\",\"description\":\"ask "
        "[REDACTED:EMAIL]\",\"parameters\":{\"type\":\"object\","
        "\"properties\":{\"q\":{\"type\":\"string\"}}}}}],"
        "\"temperature\":0.5,\"stream\":true}";

    /* names are not values; escapes in and around the match */
    static const char  esc[] =
        " {\"bob@example.com\" : \"say \\\"hi\\\" caf\\u00e9 \\ud83d\\ude00"
        "bob@example.com\\ud83d\\ude00 \\\\ \\/ end\", \"keep\":"
        "\"caf\\u00e9\\n\\t\\\"\" } ";

    static const char  esc_want[] =
        " {\"bob@example.com\" : \"say \\\"hi\\\" caf\xc3\xa9 \xf0\x9f\x98\x80"
        "[REDACTED:EMAIL]\xf0\x9f\x98\x80 \\\\ / end\", \"keep\":"
        "\"caf\\u00e9\\n\\t\\\"\" } ";

    n = sizeof(body) - 1;
    b = dup_mem(body, n);
    fired = 0;

    rc = llmgw_guard_json(all, b, n, 1, pool_alloc, &pool, &out, &out_len,
                          &fired);
    CHECK_INT(rc, 1);

    if (rc == 1) {
        CHECK_STR(out, out_len, want);
        check_valid_json(out, out_len);
    }

    CHECK_INT(fired, EMAIL | CARD);

    /* scan: the same bits, no output */
    fired = 0;
    out = (unsigned char *) "x";
    rc = llmgw_guard_json(all, b, n, 0, pool_alloc, &pool, &out, &out_len,
                          &fired);
    CHECK_INT(rc, 0);
    CHECK(out == NULL);
    CHECK_INT(fired, EMAIL | CARD);
    free(b);

    n = sizeof(esc) - 1;
    b = dup_mem(esc, n);
    fired = 0;

    rc = llmgw_guard_json(all, b, n, 1, pool_alloc, &pool, &out, &out_len,
                          &fired);
    CHECK_INT(rc, 1);
    CHECK_INT(fired, EMAIL);

    if (rc == 1) {
        CHECK_STR(out, out_len, esc_want);
        check_valid_json(out, out_len);

        j = json_loadb((const char *) out, out_len, 0, &e);
        v = json_object_get(j, "bob@example.com");
        CHECK(v && strcmp(json_string_value(v),
                          "say \"hi\" caf\xc3\xa9 \xf0\x9f\x98\x80"
                          "[REDACTED:EMAIL]\xf0\x9f\x98\x80 \\ / end") == 0);
        v = json_object_get(j, "keep");
        CHECK(v && strcmp(json_string_value(v), "caf\xc3\xa9\n\t\"") == 0);
        json_decref(j);
    }

    free(b);

    /* nothing to redact: 0, no output */
    n = strlen("[\"hello\",{\"a\":[1,2.5e3,-0,true,false,null]}]");
    b = dup_mem("[\"hello\",{\"a\":[1,2.5e3,-0,true,false,null]}]", n);
    rc = llmgw_guard_json(all, b, n, 1, pool_alloc, &pool, &out, &out_len,
                          &fired);
    CHECK_INT(rc, 0);
    CHECK(out == NULL);
    free(b);

    /* a top-level string, an array of strings */
    b = dup_mem("\"bob@example.com\"", 17);
    rc = llmgw_guard_json(all, b, 17, 1, pool_alloc, &pool, &out, &out_len,
                          NULL);
    CHECK_INT(rc, 1);

    if (rc == 1) {
        CHECK_STR(out, out_len, "\"[REDACTED:EMAIL]\"");
    }

    free(b);

    n = strlen("[\"10.0.0.1\", \"x\" ,\"::1\"]");
    b = dup_mem("[\"10.0.0.1\", \"x\" ,\"::1\"]", n);
    rc = llmgw_guard_json(all, b, n, 1, pool_alloc, &pool, &out, &out_len,
                          NULL);
    CHECK_INT(rc, 1);

    if (rc == 1) {
        CHECK_STR(out, out_len,
                  "[\"[REDACTED:IPV4]\", \"x\" ,\"[REDACTED:IPV6]\"]");
    }

    free(b);

    /* invalid JSON: -1, fired untouched */
    fired = 0;
    b = dup_mem("{\"a\":\"bob@example.com\"", 22);
    CHECK_INT(llmgw_guard_json(all, b, 22, 1, pool_alloc, &pool, &out,
                               &out_len, &fired), -1);
    CHECK_INT(fired, 0);
    free(b);

    pool_free(&pool);
}


static void
test_json_rewrite(void)
{
    int             rc;
    size_t          i, out_len;
    record_t        r;
    unsigned char  *out;

    static const char  doc[] =
        "{\"a\":\"one\",\"b\":[\"two\",{\"c\":\"data:text/plain,x\"},"
        "\"DATA:image/png;base64,AAAA\",\"th\\u0072ee\"],\"d\":{\"e\":"
        "\"four\",\"f\":5,\"g\":\"\"},\"h\":\"dat\"}";

    static const char  *texts[] = { "one", "two", "three", "four", "", "dat" };

    static const char  *bad[] = {
        "",
        " ",
        "{",
        "{\"a\":\"b\"",
        "{\"a\":\"b",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12G4\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\",
        "{\"a\":\"tab\there\"}",
        "{\"a\":\"nl\nhere\"}",
        "{\"a\":\"\xc3\"}",
        "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "{,}",
        "{\"a\":1 \"b\":2}",
        "{a:1}",
        "{'a':1}",
        "[1,]",
        "[,1]",
        "[1 2]",
        "[1}",
        "{\"a\":1]",
        "]",
        "}",
        "{} x",
        "{}{}",
        "[] ]",
        "-",
        "01",
        "1.",
        ".5",
        "1e",
        "1e+",
        "+1",
        "--1",
        "tru",
        "nul",
        "falsey",
        "True",
        "\"abc",
        "\"\\ud83d\\ude0",
        "[\"a\",\"b\"",
        "{\"a\":[{\"b\":[}]}"
    };

    memset(&r, 0, sizeof(r));
    r.fail_at = -1;

    rc = rewrite(doc, sizeof(doc) - 1, 8, &r, &out, &out_len);
    CHECK_INT(rc, 0);
    CHECK(out == NULL);
    CHECK_INT(r.n, 6);

    for (i = 0; i < 6 && i < r.n; i++) {
        CHECK_INT(r.index[i], i);
        CHECK_STR(r.text[i], strlen(r.text[i]), texts[i]);
    }

    /* every value replaced, escaping what needs it */
    memset(&r, 0, sizeof(r));
    r.fail_at = -1;
    r.repl = "q\"\\\n\x01\xc3\xa9\xff/";

    rc = rewrite(doc, sizeof(doc) - 1, 8, &r, &out, &out_len);
    CHECK_INT(rc, 1);

    if (rc == 1) {
        CHECK_STR(out, out_len,
                  "{\"a\":\"q\\\"\\\\\\n\\u0001\xc3\xa9\\ufffd/\",\"b\":["
                  "\"q\\\"\\\\\\n\\u0001\xc3\xa9\\ufffd/\",{\"c\":"
                  "\"data:text/plain,x\"},\"DATA:image/png;base64,AAAA\","
                  "\"q\\\"\\\\\\n\\u0001\xc3\xa9\\ufffd/\"],\"d\":{\"e\":"
                  "\"q\\\"\\\\\\n\\u0001\xc3\xa9\\ufffd/\",\"f\":5,\"g\":"
                  "\"q\\\"\\\\\\n\\u0001\xc3\xa9\\ufffd/\"},\"h\":"
                  "\"q\\\"\\\\\\n\\u0001\xc3\xa9\\ufffd/\"}");
        check_valid_json(out, out_len);
    }

    /* an empty replacement */
    memset(&r, 0, sizeof(r));
    r.fail_at = -1;
    r.repl = "";
    rc = rewrite("[\"abc\", 1]", 10, 8, &r, &out, &out_len);
    CHECK_INT(rc, 1);

    if (rc == 1) {
        CHECK_STR(out, out_len, "[\"\", 1]");
    }

    /* the callback fails */
    memset(&r, 0, sizeof(r));
    r.fail_at = 2;
    CHECK_INT(rewrite(doc, sizeof(doc) - 1, 8, &r, &out, &out_len), -1);

    /* invalid documents */
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&r, 0, sizeof(r));
        r.fail_at = -1;
        r.repl = "x";
        CHECK_INT(rewrite(bad[i], strlen(bad[i]), 8, &r, &out, &out_len), -1,
                  "\"%s\"", bad[i]);
    }

    /* valid odd documents */
    {
        static const char  *good[] = {
            "1", "-0.5e-3", "true", " null ", "\"\"", "[]", "{}",
            "[[],{},[{}]]", "{\"\":\"\"}", "\"\\ud83d\\ude00\"",
            "\"\\ud800\"", "\"\xf4\x8f\xbf\xbf\"", "\"\\u0000\""
        };

        for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
            memset(&r, 0, sizeof(r));
            r.fail_at = -1;
            rc = rewrite(good[i], strlen(good[i]), 8, &r, &out, &out_len);
            CHECK(rc == 0, "\"%s\": %d", good[i], rc);
        }
    }

    /* depth: the top level is depth 1 */
    memset(&r, 0, sizeof(r));
    r.fail_at = -1;
    CHECK_INT(rewrite("[[[\"x\"]]]", 9, 3, &r, &out, &out_len), 0);
    CHECK_INT(rewrite("[[[[\"x\"]]]]", 11, 3, &r, &out, &out_len), -1);
    CHECK_INT(rewrite("{\"a\":{\"b\":{}}}", 14, 3, &r, &out, &out_len), 0);
    CHECK_INT(rewrite("{\"a\":{\"b\":{\"c\":[]}}}", 20, 3, &r, &out,
                      &out_len), -1);
    CHECK_INT(rewrite("\"x\"", 3, 0, &r, &out, &out_len), 0);
    CHECK_INT(rewrite("[]", 2, 0, &r, &out, &out_len), -1);

    {
        char    deep[4200];
        size_t  k;

        for (k = 0; k < 2000; k++) {
            deep[k] = '[';
            deep[2000 + k] = ']';
        }

        CHECK_INT(rewrite(deep, 4000, 100000, &r, &out, &out_len), -1);
        CHECK_INT(rewrite(deep + 1000, 2000, 1024, &r, &out, &out_len), 0);
    }

    pool_free(&pool);
}


int
main(int argc, char **argv)
{
    char  err[256];

    (void) argc;
    (void) argv;
    (void) unit_read_file;

    all = llmgw_guard_create(ALL, NULL, 0, err, sizeof(err));
    if (all == NULL) {
        fprintf(stderr, "llmgw_guard_create: %s\n", err);
        return 1;
    }

    test_builtin_names();
    test_create_errors();
    test_email();
    test_phone();
    test_card();
    test_ssn();
    test_iban();
    test_ipv4();
    test_ipv6();
    test_secret();
    test_redact();
    test_errors_and_memory();
    test_custom();
    test_stream();
    test_stream_limit();
    test_json_guard();
    test_json_rewrite();

    llmgw_guard_free(all);
    pool_free(&pool);

    UNIT_DONE("unit_guard");
}
