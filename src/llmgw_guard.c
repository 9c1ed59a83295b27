/*
 * llmgw: guardrail detectors (PCRE2) and the redaction they drive.
 *
 * Matching.  Each detector is one pattern, compiled and JIT-compiled (for
 * complete and hard partial matching) once.  A scan keeps, per detector,
 * its next match at or after the scan position, found by an unanchored
 * search, takes the leftmost of them (the longest there, the first
 * detector on a tie) and resumes at its end; a detector's cached match
 * stays valid while it is not behind the scan position, so each detector
 * walks the text about once.  One pattern per detector rather than one
 * combined alternation: on English prose the alternation of the built-ins
 * scans at about 19 ns a byte, 1.5 times the sum of their separate
 * searches (each start position tries every alternative) and 4 times
 * what they cost with the anchors below, and it would still need
 * per-detector matches to find the longest at a position and to apply
 * the checks.  EMAIL, IPV4 and IPV6 are searched only near the bytes they
 * cannot do without ('@', '.', ':'), found with memchr().
 *
 * A detector's match at q depends only on the text around q, never on
 * where its search began (lookbehinds see the bytes before the start
 * offset).  Built-ins with a check (Luhn, mod-97, inet_pton, digit count)
 * run it on the candidate; a candidate that fails it is no match and the
 * search resumes one byte after the candidate's start.
 *
 * Streams hold back the tail of the text from the earliest position where
 * a match could still be in progress (PCRE2_PARTIAL_HARD), which includes
 * a complete match that more text could extend or whose lookahead reaches
 * the end, and release everything before it; see llmgw_guard_stream_run().
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "llmgw_guard.h"
#include "llmgw_json.h"


#define LLMGW_GUARD_MATCH_LIMIT   1000000
#define LLMGW_GUARD_DEPTH_LIMIT   10000
#define LLMGW_GUARD_JIT_STACK     (32 * 1024)
#define LLMGW_GUARD_JIT_STACK_MAX (512 * 1024)
#define LLMGW_GUARD_CTX_MIN       16
#define LLMGW_GUARD_HOLD_MIN      4     /* the longest UTF-8 sequence */
#define LLMGW_GUARD_TAG_MAX       (LLMGW_GUARD_NAME_MAX + sizeof("[REDACTED:]"))

#define LLMGW_GUARD_COMPILE  (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)
#define LLMGW_GUARD_JIT      (PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD)

/* searched in short windows: no start optimizations, they would look for
 * a required byte as far as the end of the text each time */
#define LLMGW_GUARD_WINDOW   (PCRE2_USE_OFFSET_LIMIT | PCRE2_NO_START_OPTIMIZE)

/* a detector's next match, as far as the text known so far tells */
#define LLMGW_GUARD_STALE    0      /* to be searched for */
#define LLMGW_GUARD_FOUND    1      /* a match at [start, end) */
#define LLMGW_GUARD_PARTIAL  2      /* a match may begin at start */
#define LLMGW_GUARD_NONE     3      /* no match begins before the end */

/* what a scan step decides */
#define LLMGW_GUARD_STEP_MATCH  0
#define LLMGW_GUARD_STEP_HOLD   1
#define LLMGW_GUARD_STEP_END    2


typedef int (*llmgw_guard_check_pt)(const unsigned char *p, size_t *len);

typedef struct llmgw_guard_run_s  llmgw_guard_run_t;

typedef int (*llmgw_guard_near_pt)(const llmgw_guard_run_t *r, size_t at);


typedef struct {
    pcre2_code            *code;
    llmgw_guard_check_pt   check;
    llmgw_guard_near_pt    near;
    size_t                 reach;
    unsigned char          anchor;
    unsigned               jit:1;
    size_t                 tag_len;
    char                   name[LLMGW_GUARD_NAME_MAX + 1];
    unsigned char          tag[LLMGW_GUARD_TAG_MAX];
} llmgw_guard_det_t;


struct llmgw_guard_s {
    size_t                 n;
    size_t                 ctx;         /* context a stream keeps */
    pcre2_match_data      *md;
    pcre2_match_context   *mctx;
    pcre2_match_context   *lctx;        /* mctx with an offset limit */
    pcre2_jit_stack       *stack;
    llmgw_guard_det_t      det[LLMGW_GUARD_MAX];
};


typedef struct {
    size_t                 start;
    size_t                 end;
    size_t                 skip;        /* search from here at the least */
    unsigned               state;
} llmgw_guard_hit_t;


struct llmgw_guard_run_s {
    const unsigned char   *text;
    size_t                 len;
    size_t                 pos;
    uint32_t               opts;
    llmgw_guard_hit_t      hit[LLMGW_GUARD_MAX];
};


typedef struct {
    unsigned char         *data;
    size_t                 len;
    size_t                 cap;
    llmgw_guard_alloc_pt   alloc;
    void                  *alloc_data;
} llmgw_guard_buf_t;


struct llmgw_guard_stream_s {
    const llmgw_guard_t   *guard;
    size_t                 max_hold;
    unsigned char         *buf;         /* context, then the held bytes */
    size_t                 cap;
    size_t                 pos;         /* buf[0..pos) is released */
    size_t                 len;
    uint64_t               fired;
    unsigned               dropped:1;   /* buf[0] is not the text's start */
    unsigned               ended:1;
    llmgw_guard_buf_t      out;
};


/*
 * A built-in may have an anchor: a byte its matches hold within reach
 * bytes of their start and none before it (EMAIL's '@').  Only the few
 * bytes before each anchor are searched then, those near() accepts.
 */
typedef struct {
    const char            *name;
    const char            *pattern;
    llmgw_guard_check_pt   check;
    unsigned char          anchor;
    size_t                 reach;
    llmgw_guard_near_pt    near;
} llmgw_guard_builtin_t;


typedef struct {
    const unsigned char   *p;
    const unsigned char   *start;
    const unsigned char   *end;
    unsigned               max_depth;
    unsigned               depth;
    size_t                 index;
    size_t                 copied;      /* json[0..copied) is in out */
    llmgw_guard_text_pt    cb;
    void                  *cb_data;
    llmgw_guard_buf_t      out;
    llmgw_guard_buf_t      tmp;
    uint64_t               stack[LLMGW_JSON_DEPTH_LIMIT / 64 + 1];
} llmgw_guard_json_t;


static int llmgw_guard_check_phone(const unsigned char *p, size_t *len);
static int llmgw_guard_luhn(const unsigned char *p, size_t len);
static int llmgw_guard_check_card(const unsigned char *p, size_t *len);
static int llmgw_guard_iban_len(const unsigned char *cc);
static int llmgw_guard_check_iban(const unsigned char *p, size_t *len);
static int llmgw_guard_check_ipv6(const unsigned char *p, size_t *len);
static int llmgw_guard_near_email(const llmgw_guard_run_t *r, size_t at);
static int llmgw_guard_near_ipv4(const llmgw_guard_run_t *r, size_t at);
static int llmgw_guard_near_ipv6(const llmgw_guard_run_t *r, size_t at);
static void llmgw_guard_error(char *err, size_t errlen, const char *name,
    const char *msg);
static int llmgw_guard_name_ok(const llmgw_guard_t *g, const char *name);
static int llmgw_guard_compile(llmgw_guard_t *g, const char *name,
    const char *pattern, size_t len, uint32_t options, char *err,
    size_t errlen);
static char *llmgw_guard_words(const char * const *words, size_t nwords,
    size_t *len);
static int llmgw_guard_custom(llmgw_guard_t *g,
    const llmgw_guard_custom_t *c, char *err, size_t errlen);
static int llmgw_guard_exec(const llmgw_guard_t *g,
    const llmgw_guard_det_t *det, const llmgw_guard_run_t *r, size_t from,
    pcre2_match_context *mctx);
static int llmgw_guard_exec_anchored(const llmgw_guard_t *g,
    const llmgw_guard_det_t *det, const llmgw_guard_run_t *r, size_t from);
static int llmgw_guard_find(const llmgw_guard_t *g, size_t i,
    llmgw_guard_run_t *r);
static int llmgw_guard_step(const llmgw_guard_t *g, llmgw_guard_run_t *r,
    size_t *start, size_t *end, size_t *det);
static void llmgw_guard_run_init(const llmgw_guard_t *g,
    llmgw_guard_run_t *r, const unsigned char *text, size_t len,
    size_t pos, uint32_t opts);
static int llmgw_guard_reserve(llmgw_guard_buf_t *b, size_t n);
static int llmgw_guard_put(llmgw_guard_buf_t *b, const unsigned char *p,
    size_t n);
static size_t llmgw_guard_utf8_end(const unsigned char *p, size_t from,
    size_t len);
static int llmgw_guard_stream_append(llmgw_guard_stream_t *s,
    const unsigned char *p, size_t n);
static int llmgw_guard_stream_run(llmgw_guard_stream_t *s, int partial);
static void llmgw_guard_stream_compact(llmgw_guard_stream_t *s);
static const unsigned char *llmgw_guard_json_ws(const unsigned char *p,
    const unsigned char *end);
static size_t llmgw_guard_json_utf8(const unsigned char *p,
    const unsigned char *end);
static const unsigned char *llmgw_guard_json_string(const unsigned char *p,
    const unsigned char *end, int *escaped);
static const unsigned char *llmgw_guard_json_number(const unsigned char *p,
    const unsigned char *end);
static int llmgw_guard_json_value(llmgw_guard_json_t *j,
    const unsigned char *q, const unsigned char *p, int escaped);
static int llmgw_guard_json_walk(llmgw_guard_json_t *j);
static int llmgw_guard_json_text(void *data, size_t index,
    const unsigned char *text, size_t len, const unsigned char **repl,
    size_t *repl_len);


/*
 * The built-in patterns, all ASCII.  The left and right boundaries keep a
 * match from starting or ending inside a longer token, and make each
 * search cost a bounded amount per start position: inside a run of the
 * characters a pattern is made of, only the first can start a match.
 */

static const llmgw_guard_builtin_t  llmgw_guard_builtins[] = {

    { "EMAIL",
      "(?<![A-Za-z0-9_%+-])[A-Za-z0-9_%+-]"
      "(?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
      "@(?:[A-Za-z0-9-]{1,63}\\.){1,8}[A-Za-z]{2,63}(?![A-Za-z0-9-])",
      NULL, '@', 64, llmgw_guard_near_email },

    /*
     * "+country ..." in groups with single separators and "(0)"-like
     * groups, or a national number in three groups, the last two of 3 or 4
     * digits (not a date, an SSN), the first in parentheses or not next to
     * other digit groups (not the inside of a card number)
     */
    { "PHONE",
      "(?<![A-Za-z0-9_+])\\+[1-9][0-9]{0,14}+"
      "(?:(?:[ .-]?\\([0-9]{1,4}+\\)[ .-]?|[ .-])[0-9]{1,14}+){0,7}+"
      "(?![A-Za-z0-9_])"
      "|(?<![A-Za-z0-9_+])\\([0-9]{2,4}+\\)[ .-]?"
      "[0-9]{3,4}+[ .-][0-9]{3,4}+(?![A-Za-z0-9_])(?![ .-][0-9])"
      "|(?<![A-Za-z0-9_+])(?<![0-9][ .-])[0-9]{2,4}+[ .-]"
      "[0-9]{3,4}+[ .-][0-9]{3,4}+(?![A-Za-z0-9_])(?![ .-][0-9])",
      llmgw_guard_check_phone, 0, 0, NULL },

    /* bare, or 4-4-4-(1..4)[-3], or 4-6-(4..5), one separator throughout */
    { "CARD",
      "(?<![A-Za-z0-9_])(?:[0-9]{13,19}"
      "|[0-9]{4}([ -])[0-9]{4}\\g{-1}[0-9]{4}\\g{-1}[0-9]{1,4}"
      "(?:\\g{-1}[0-9]{3})?"
      "|[0-9]{4}([ -])[0-9]{6}\\g{-1}[0-9]{4,5})(?![A-Za-z0-9_])",
      llmgw_guard_check_card, 0, 0, NULL },

    { "SSN",
      "(?<![A-Za-z0-9_])(?<![0-9]-)(?!000|666|9[0-9][0-9])[0-9]{3}([ -])"
      "(?!00)[0-9]{2}\\g{-1}(?!0000)[0-9]{4}(?![A-Za-z0-9_])(?!-[0-9])",
      NULL, 0, 0, NULL },

    /* compact, or in groups of 4 after the check digits */
    { "IBAN",
      "(?<![A-Za-z0-9_])[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}+"
      "|(?: [A-Z0-9]{4}){2,7}+(?: [A-Z0-9]{1,4})?)(?![A-Za-z0-9_])",
      llmgw_guard_check_iban, 0, 0, NULL },

    { "IPV4",
      "(?<![A-Za-z0-9_.])"
      "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
      "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
      "(?![A-Za-z0-9_])(?!\\.[0-9])",
      NULL, '.', 3, llmgw_guard_near_ipv4 },

    /* a run of hex digits and colons (and a dotted tail) for inet_pton */
    { "IPV6",
      "(?<![A-Za-z0-9_:.])(?=[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{2,39}+"
      "(?:\\.[0-9]{1,3}){0,3}+(?![A-Za-z0-9_:])(?!\\.[0-9])",
      llmgw_guard_check_ipv6, ':', 4, llmgw_guard_near_ipv6 },

    { "SECRET",
      "(?<![A-Za-z0-9])(?:"
      "(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}"
      "(?![A-Za-z0-9])"
      "|-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?)PRIVATE KEY-----"
      "[\\s\\S]*?-----END \\g{-1}PRIVATE KEY-----"
      "|eyJ[A-Za-z0-9_-]{8,}+\\.eyJ[A-Za-z0-9_-]{8,}+\\.[A-Za-z0-9_-]{8,}+"
      "|sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}+"
      "|(?:sk|rk)_live_[A-Za-z0-9]{16,}+"
      "|AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"
      "|gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9])"
      "|github_pat_[A-Za-z0-9_]{22,}+"
      "|xox[abprs]-[A-Za-z0-9-]{10,}+)",
      NULL, 0, 0, NULL }
};


/* IBAN lengths by country, from the SWIFT IBAN registry; sorted */
static const char  llmgw_guard_iban_lens[] =
    "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24"
    "DE22DJ27DK18DO28EE20EG29ES24FI18FK18FO18FR27GB22GE22GI23GL18GR27"
    "GT28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20"
    "LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28NL18NO15OM23PK24PL28"
    "PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28"
    "TL23TN24TR26UA29VA22VG24XK20YE30";


int
llmgw_guard_builtin(const char *name, size_t len)
{
    size_t       i, k;
    const char  *b;

    for (i = 0; i < LLMGW_GUARD_NBUILTIN; i++) {
        b = llmgw_guard_builtins[i].name;

        if (strlen(b) != len) {
            continue;
        }

        for (k = 0; k < len; k++) {
            if (b[k] != ((name[k] >= 'a' && name[k] <= 'z') ? name[k] - 32
                                                            : name[k]))
            {
                break;
            }
        }

        if (k == len) {
            return (int) i;
        }
    }

    return -1;
}


/* checks: *len is the candidate's length, which a check may shorten */

/*
 * 7 to 15 digits; a longer candidate (the groups of a following number
 * taken as its own) is cut after its last digit group that keeps to 15
 */

static int
llmgw_guard_check_phone(const unsigned char *p, size_t *len)
{
    size_t  i, digits, cut;

    digits = 0;
    cut = 0;

    for (i = 0; i < *len && digits <= 15; i++) {
        if (p[i] < '0' || p[i] > '9') {
            continue;
        }

        digits++;

        if (digits >= 7 && digits <= 15
            && (i + 1 == *len || (p[i + 1] != ')' && (p[i + 1] < '0'
                                                       || p[i + 1] > '9'))))
        {
            cut = i + 1;
        }
    }

    if (cut == 0) {
        return 0;
    }

    *len = cut;
    return 1;
}


static int
llmgw_guard_luhn(const unsigned char *p, size_t len)
{
    size_t    i;
    unsigned  sum, d, odd;

    sum = 0;
    odd = 0;

    for (i = len; i > 0; i--) {
        if (p[i - 1] < '0' || p[i - 1] > '9') {
            continue;
        }

        d = p[i - 1] - '0';

        if (odd) {
            d *= 2;
            d -= (d > 9) ? 9 : 0;
        }

        sum += d;
        odd ^= 1;
    }

    return sum % 10 == 0;
}


/* a 16-digit number and a 3-digit group after it (a CVV?) may both match */

static int
llmgw_guard_check_card(const unsigned char *p, size_t *len)
{
    if (llmgw_guard_luhn(p, *len)) {
        return 1;
    }

    if (*len == 23 && (p[19] == ' ' || p[19] == '-')
        && llmgw_guard_luhn(p, 19))
    {
        *len = 19;
        return 1;
    }

    return 0;
}


static int
llmgw_guard_iban_len(const unsigned char *cc)
{
    size_t       lo, hi, mid;
    const char  *e;

    lo = 0;
    hi = (sizeof(llmgw_guard_iban_lens) - 1) / 4;

    while (lo < hi) {
        mid = (lo + hi) / 2;
        e = llmgw_guard_iban_lens + mid * 4;

        if (e[0] == cc[0] && e[1] == cc[1]) {
            return (e[2] - '0') * 10 + (e[3] - '0');
        }

        if (e[0] < cc[0] || (e[0] == cc[0] && e[1] < cc[1])) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return -1;
}


/*
 * The country's length of characters, ending at a group's end (the
 * candidate may have taken a word after the IBAN as a group), and the
 * ISO 7064 mod-97 of the rearranged number must be 1.
 */

static int
llmgw_guard_check_iban(const unsigned char *p, size_t *len)
{
    int            want;
    size_t         i, n, k;
    unsigned       rem;
    unsigned char  c, s[40];

    want = llmgw_guard_iban_len(p);
    if (want < 0) {
        return 0;
    }

    n = 0;

    for (i = 0; i < *len && n < (size_t) want; i++) {
        if (p[i] != ' ') {
            s[n++] = p[i];
        }
    }

    if (n != (size_t) want || (i < *len && p[i] != ' ')) {
        return 0;
    }

    rem = 0;

    for (k = 0; k < n; k++) {
        c = s[(k + 4) % n];
        rem = (c >= 'A') ? (rem * 100 + (c - 'A' + 10)) % 97
                         : (rem * 10 + (c - '0')) % 97;
    }

    if (rem != 1) {
        return 0;
    }

    *len = i;
    return 1;
}


static int
llmgw_guard_check_ipv6(const unsigned char *p, size_t *len)
{
    size_t         i, hex;
    char           s[64];
    unsigned char  a[16];

    if (*len >= sizeof(s)) {
        return 0;
    }

    hex = 0;

    for (i = 0; i < *len; i++) {
        hex += (p[i] != ':' && p[i] != '.');
        s[i] = (char) p[i];
    }

    s[i] = '\0';

    return hex != 0 && inet_pton(AF_INET6, s, a) == 1;
}


/*
 * Whether a match's first anchor may be at "at", by the bytes around it;
 * a byte past the end of a partial run's text may be anything.
 */

#define llmgw_guard_after(r, at, c)                                          \
    ((at) + 1 < (r)->len ? (c) : ((r)->opts & PCRE2_PARTIAL_HARD) != 0)

#define llmgw_guard_alnum(c)                                                  \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')                \
     || ((c) >= '0' && (c) <= '9'))

#define llmgw_guard_hex(c)                                                    \
    (((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F')                \
     || ((c) >= '0' && (c) <= '9'))


static int
llmgw_guard_near_email(const llmgw_guard_run_t *r, size_t at)
{
    unsigned char  b;

    if (at == 0) {
        return 0;
    }

    b = r->text[at - 1];

    if (!(llmgw_guard_alnum(b) || b == '_' || b == '%' || b == '+'
          || b == '-'))
    {
        return 0;
    }

    return llmgw_guard_after(r, at, llmgw_guard_alnum(r->text[at + 1])
                                    || r->text[at + 1] == '-');
}


static int
llmgw_guard_near_ipv4(const llmgw_guard_run_t *r, size_t at)
{
    if (at == 0 || r->text[at - 1] < '0' || r->text[at - 1] > '9') {
        return 0;
    }

    return llmgw_guard_after(r, at, r->text[at + 1] >= '0'
                                    && r->text[at + 1] <= '9');
}


static int
llmgw_guard_near_ipv6(const llmgw_guard_run_t *r, size_t at)
{
    return llmgw_guard_after(r, at, llmgw_guard_hex(r->text[at + 1])
                                    || r->text[at + 1] == ':');
}


static void
llmgw_guard_error(char *err, size_t errlen, const char *name,
    const char *msg)
{
    if (err == NULL || errlen == 0) {
        return;
    }

    if (name) {
        snprintf(err, errlen, "detector \"%s\": %s", name, msg);

    } else {
        snprintf(err, errlen, "%s", msg);
    }
}


static int
llmgw_guard_name_ok(const llmgw_guard_t *g, const char *name)
{
    size_t       i, n;
    const char  *p;

    n = strlen(name);

    if (n == 0 || n > LLMGW_GUARD_NAME_MAX) {
        return 0;
    }

    for (p = name; *p; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
        {
            return 0;
        }
    }

    for (i = 0; i < g->n; i++) {
        if (strcmp(g->det[i].name, name) == 0) {
            return 0;
        }
    }

    return 1;
}


static int
llmgw_guard_compile(llmgw_guard_t *g, const char *name, const char *pattern,
    size_t len, uint32_t options, char *err, size_t errlen)
{
    int                 rc;
    size_t              n;
    uint32_t            empty, minlen, behind;
    PCRE2_SIZE          off;
    char                buf[300];
    PCRE2_UCHAR         msg[256];
    llmgw_guard_det_t  *det;

    det = &g->det[g->n];

    det->code = pcre2_compile((PCRE2_SPTR) pattern, len,
                              LLMGW_GUARD_COMPILE | options, &rc, &off,
                              NULL);
    if (det->code == NULL) {
        pcre2_get_error_message(rc, msg, sizeof(msg));
        snprintf(buf, sizeof(buf), "%s at offset %zu", (const char *) msg,
                 (size_t) off);
        llmgw_guard_error(err, errlen, name, buf);
        return -1;
    }

    g->n++;

    /*
     * MINLENGTH misses "(?=a)|b", MATCHEMPTY is conservative; neither is
     * studied without start optimizations, but then it is a built-in.  An
     * empty match that gets past both ("a\K") is no match at run time.
     */
    if (!(options & PCRE2_NO_START_OPTIMIZE)
        && (pcre2_pattern_info(det->code, PCRE2_INFO_MATCHEMPTY, &empty) != 0
            || pcre2_pattern_info(det->code, PCRE2_INFO_MINLENGTH, &minlen)
               != 0
            || empty || minlen == 0))
    {
        llmgw_guard_error(err, errlen, name,
                          "pattern can match an empty string");
        return -1;
    }

    if (pcre2_pattern_info(det->code, PCRE2_INFO_MAXLOOKBEHIND, &behind) != 0)
    {
        behind = 255;
    }

    /* a character is at most 4 bytes, and may begin 3 bytes earlier */
    if (g->ctx < (size_t) behind * 4 + 4) {
        g->ctx = (size_t) behind * 4 + 4;
    }

    det->jit = (pcre2_jit_compile(det->code, LLMGW_GUARD_JIT) == 0);

    n = strlen(name);
    memcpy(det->name, name, n + 1);

    memcpy(det->tag, "[REDACTED:", 10);
    memcpy(det->tag + 10, name, n);
    det->tag[10 + n] = ']';
    det->tag_len = 11 + n;

    return 0;
}


/*
 * "(?<![\p{L}\p{N}_])(?:w1|w2...)(?![\p{L}\p{N}_])", the words literal
 * (each ASCII punctuation escaped) and the longest first, so that of two
 * words starting at the same place the longer wins.
 */

static char *
llmgw_guard_words(const char * const *words, size_t nwords, size_t *len)
{
    char               *pat, *p;
    size_t              i, k, n, best;
    const char         *w;
    unsigned char      *used;

    static const char   pre[] = "(?<![\\p{L}\\p{N}_])(?:";
    static const char   post[] = ")(?![\\p{L}\\p{N}_])";

    n = sizeof(pre) + sizeof(post);

    for (i = 0; i < nwords; i++) {
        n += 2 * strlen(words[i]) + 1;
    }

    pat = malloc(n);
    used = calloc(nwords, 1);

    if (pat == NULL || used == NULL) {
        free(pat);
        free(used);
        return NULL;
    }

    p = pat;
    memcpy(p, pre, sizeof(pre) - 1);
    p += sizeof(pre) - 1;

    for (k = 0; k < nwords; k++) {
        best = nwords;

        for (i = 0; i < nwords; i++) {
            if (!used[i]
                && (best == nwords || strlen(words[i]) > strlen(words[best])))
            {
                best = i;
            }
        }

        used[best] = 1;

        if (k) {
            *p++ = '|';
        }

        for (w = words[best]; *w; w++) {
            if ((unsigned char) *w < 0x80
                && !((*w >= 'A' && *w <= 'Z') || (*w >= 'a' && *w <= 'z')
                     || (*w >= '0' && *w <= '9')))
            {
                *p++ = '\\';
            }

            *p++ = *w;
        }
    }

    memcpy(p, post, sizeof(post) - 1);
    p += sizeof(post) - 1;

    free(used);

    *len = (size_t) (p - pat);
    return pat;
}


static int
llmgw_guard_custom(llmgw_guard_t *g, const llmgw_guard_custom_t *c,
    char *err, size_t errlen)
{
    int     rc;
    char   *pat;
    size_t  len;

    if (c->name == NULL || !llmgw_guard_name_ok(g, c->name)) {
        llmgw_guard_error(err, errlen, c->name ? c->name : "",
                          "invalid or duplicate name");
        return -1;
    }

    /* \C could match half a character */
    if (c->pattern) {
        return llmgw_guard_compile(g, c->name, c->pattern,
                                   strlen(c->pattern),
                                   PCRE2_NEVER_BACKSLASH_C, err, errlen);
    }

    if (c->words == NULL || c->nwords == 0) {
        llmgw_guard_error(err, errlen, c->name, "no pattern and no words");
        return -1;
    }

    pat = llmgw_guard_words(c->words, c->nwords, &len);
    if (pat == NULL) {
        llmgw_guard_error(err, errlen, c->name, "no memory");
        return -1;
    }

    rc = llmgw_guard_compile(g, c->name, pat, len, PCRE2_CASELESS, err,
                             errlen);
    free(pat);

    return rc;
}


llmgw_guard_t *
llmgw_guard_create(uint32_t mask, const llmgw_guard_custom_t *custom,
    size_t ncustom, char *err, size_t errlen)
{
    size_t                        i, n;
    llmgw_guard_t                *g;
    llmgw_guard_det_t            *det;
    const llmgw_guard_builtin_t  *b;

    if (mask >> LLMGW_GUARD_NBUILTIN) {
        llmgw_guard_error(err, errlen, NULL, "unknown built-in detector");
        return NULL;
    }

    n = (size_t) __builtin_popcount(mask);

    if (ncustom > LLMGW_GUARD_MAX || n + ncustom > LLMGW_GUARD_MAX) {
        llmgw_guard_error(err, errlen, NULL,
                          "too many detectors (at most 64)");
        return NULL;
    }

    g = calloc(1, sizeof(llmgw_guard_t));
    if (g == NULL) {
        llmgw_guard_error(err, errlen, NULL, "no memory");
        return NULL;
    }

    g->ctx = LLMGW_GUARD_CTX_MIN;

    g->md = pcre2_match_data_create(1, NULL);
    g->mctx = pcre2_match_context_create(NULL);
    g->stack = pcre2_jit_stack_create(LLMGW_GUARD_JIT_STACK,
                                      LLMGW_GUARD_JIT_STACK_MAX, NULL);

    if (g->md == NULL || g->mctx == NULL || g->stack == NULL) {
        llmgw_guard_error(err, errlen, NULL, "no memory");
        goto failed;
    }

    pcre2_jit_stack_assign(g->mctx, NULL, g->stack);
    pcre2_set_match_limit(g->mctx, LLMGW_GUARD_MATCH_LIMIT);
    pcre2_set_depth_limit(g->mctx, LLMGW_GUARD_DEPTH_LIMIT);

    g->lctx = pcre2_match_context_copy(g->mctx);
    if (g->lctx == NULL) {
        llmgw_guard_error(err, errlen, NULL, "no memory");
        goto failed;
    }

    for (i = 0; i < LLMGW_GUARD_NBUILTIN; i++) {
        if (!(mask & (1u << i))) {
            continue;
        }

        b = &llmgw_guard_builtins[i];

        if (llmgw_guard_compile(g, b->name, b->pattern, PCRE2_ZERO_TERMINATED,
                                b->anchor ? LLMGW_GUARD_WINDOW : 0, err,
                                errlen)
            != 0)
        {
            goto failed;
        }

        det = &g->det[g->n - 1];
        det->check = b->check;
        det->anchor = b->anchor;
        det->reach = b->reach;
        det->near = b->near;
    }

    for (i = 0; i < ncustom; i++) {
        if (llmgw_guard_custom(g, &custom[i], err, errlen) != 0) {
            goto failed;
        }
    }

    return g;

failed:

    llmgw_guard_free(g);
    return NULL;
}


void
llmgw_guard_free(llmgw_guard_t *g)
{
    size_t  i;

    if (g == NULL) {
        return;
    }

    for (i = 0; i < g->n; i++) {
        pcre2_code_free(g->det[i].code);
    }

    pcre2_match_data_free(g->md);
    pcre2_match_context_free(g->mctx);
    pcre2_match_context_free(g->lctx);
    pcre2_jit_stack_free(g->stack);
    free(g);
}


size_t
llmgw_guard_count(const llmgw_guard_t *g)
{
    return g->n;
}


const char *
llmgw_guard_name(const llmgw_guard_t *g, size_t i)
{
    return (i < g->n) ? g->det[i].name : NULL;
}


static int
llmgw_guard_exec(const llmgw_guard_t *g, const llmgw_guard_det_t *det,
    const llmgw_guard_run_t *r, size_t from, pcre2_match_context *mctx)
{
    if (det->jit) {
        return pcre2_jit_match(det->code, r->text, r->len, from, r->opts,
                               g->md, mctx);
    }

    return pcre2_match(det->code, r->text, r->len, from, r->opts, g->md,
                       mctx);
}


/*
 * The search of a detector with an anchor: the window of reach bytes up
 * to each anchor in turn, the start of a match limited to the anchor.  A
 * partial match without an anchor can only begin within reach of the end.
 */

static int
llmgw_guard_exec_anchored(const llmgw_guard_t *g,
    const llmgw_guard_det_t *det, const llmgw_guard_run_t *r, size_t from)
{
    int                   rc;
    size_t                at, lo;
    const unsigned char  *a;

    for ( ;; ) {
        a = memchr(r->text + from, det->anchor, r->len - from);

        if (a == NULL) {
            if (!(r->opts & PCRE2_PARTIAL_HARD)) {
                return PCRE2_ERROR_NOMATCH;
            }

            lo = (r->len - from > det->reach) ? r->len - det->reach : from;

            return llmgw_guard_exec(g, det, r, lo, g->mctx);
        }

        at = (size_t) (a - r->text);

        if (det->near(r, at)) {
            lo = (at - from > det->reach) ? at - det->reach : from;
            pcre2_set_offset_limit(g->lctx, at);

            rc = llmgw_guard_exec(g, det, r, lo, g->lctx);
            if (rc != PCRE2_ERROR_NOMATCH) {
                return rc;
            }
        }

        from = at + 1;
    }
}


/* detector i's next match (or partial match) from the run's position */

static int
llmgw_guard_find(const llmgw_guard_t *g, size_t i, llmgw_guard_run_t *r)
{
    int                       rc;
    size_t                    from, start, n;
    PCRE2_SIZE               *ov;
    llmgw_guard_hit_t        *hit;
    const llmgw_guard_det_t  *det;

    det = &g->det[i];
    hit = &r->hit[i];
    from = (hit->skip > r->pos) ? hit->skip : r->pos;
    ov = pcre2_get_ovector_pointer(g->md);

    for ( ;; ) {
        if (from >= r->len) {
            hit->state = LLMGW_GUARD_NONE;
            return 0;
        }

        rc = det->anchor ? llmgw_guard_exec_anchored(g, det, r, from)
                         : llmgw_guard_exec(g, det, r, from, g->mctx);

        if (rc == PCRE2_ERROR_NOMATCH) {
            hit->state = LLMGW_GUARD_NONE;
            return 0;
        }

        if (rc == PCRE2_ERROR_PARTIAL) {
            hit->state = LLMGW_GUARD_PARTIAL;
            hit->start = ov[0];
            return 0;
        }

        if (rc < 0) {
            return -1;
        }

        start = ov[0];
        n = (ov[1] > start) ? ov[1] - start : 0;

        if (n && (det->check == NULL || det->check(r->text + start, &n))) {
            hit->state = LLMGW_GUARD_FOUND;
            hit->start = start;
            hit->end = start + n;
            return 0;
        }

        from = start + 1;
    }
}


/*
 * The next match from r->pos: the leftmost, then the longest, then the
 * first detector.  In partial mode it is decided only when no detector
 * may still match at or before its start (HOLD gives that position
 * instead); END: no match begins before the end of the text.
 */

static int
llmgw_guard_step(const llmgw_guard_t *g, llmgw_guard_run_t *r,
    size_t *start, size_t *end, size_t *det)
{
    size_t              i, best, hold;
    llmgw_guard_hit_t  *hit;

    best = g->n;
    hold = (size_t) -1;

    for (i = 0; i < g->n; i++) {
        hit = &r->hit[i];

        if (hit->state == LLMGW_GUARD_STALE
            || (hit->state != LLMGW_GUARD_NONE && hit->start < r->pos))
        {
            if (llmgw_guard_find(g, i, r) != 0) {
                return -1;
            }
        }

        if (hit->state == LLMGW_GUARD_PARTIAL) {
            if (hit->start < hold) {
                hold = hit->start;
            }

        } else if (hit->state == LLMGW_GUARD_FOUND
                   && (best == g->n || hit->start < r->hit[best].start
                       || (hit->start == r->hit[best].start
                           && hit->end > r->hit[best].end)))
        {
            best = i;
        }
    }

    if (best < g->n && r->hit[best].start < hold) {
        *start = r->hit[best].start;
        *end = r->hit[best].end;
        *det = best;
        return LLMGW_GUARD_STEP_MATCH;
    }

    if (hold != (size_t) -1) {
        *start = hold;
        return LLMGW_GUARD_STEP_HOLD;
    }

    return LLMGW_GUARD_STEP_END;
}


static void
llmgw_guard_run_init(const llmgw_guard_t *g, llmgw_guard_run_t *r,
    const unsigned char *text, size_t len, size_t pos, uint32_t opts)
{
    size_t  i;

    r->text = text;
    r->len = len;
    r->pos = pos;
    r->opts = opts;

    for (i = 0; i < g->n; i++) {
        r->hit[i].state = LLMGW_GUARD_STALE;
        r->hit[i].skip = 0;
    }
}


int
llmgw_guard_scan(const llmgw_guard_t *g, const unsigned char *text,
    size_t len, uint64_t *fired)
{
    int                rc, count;
    size_t             start, end, det;
    uint64_t           bits;
    llmgw_guard_run_t  r;

    if (len == 0 || g->n == 0) {
        return 0;
    }

    llmgw_guard_run_init(g, &r, text, len, 0, 0);
    count = 0;
    bits = 0;

    for ( ;; ) {
        rc = llmgw_guard_step(g, &r, &start, &end, &det);

        if (rc < 0) {
            return -1;
        }

        if (rc != LLMGW_GUARD_STEP_MATCH) {
            break;
        }

        bits |= (uint64_t) 1 << det;
        count += (count < 0x7fffffff);
        r.pos = end;
    }

    if (fired) {
        *fired |= bits;
    }

    return count;
}


/* room for n more bytes, the capacity doubling (the allocator never frees) */

static int
llmgw_guard_reserve(llmgw_guard_buf_t *b, size_t n)
{
    size_t          cap;
    unsigned char  *data;

    if (n <= b->cap - b->len) {
        return 0;
    }

    cap = b->cap ? b->cap : 256;

    while (cap < b->len + n) {
        cap *= 2;
    }

    data = b->alloc(b->alloc_data, cap);
    if (data == NULL) {
        return -1;
    }

    if (b->len) {
        memcpy(data, b->data, b->len);
    }

    b->data = data;
    b->cap = cap;

    return 0;
}


static int
llmgw_guard_put(llmgw_guard_buf_t *b, const unsigned char *p, size_t n)
{
    if (n == 0) {
        return 0;
    }

    if (llmgw_guard_reserve(b, n) != 0) {
        return -1;
    }

    memcpy(b->data + b->len, p, n);
    b->len += n;

    return 0;
}


int
llmgw_guard_redact(const llmgw_guard_t *g, const unsigned char *text,
    size_t len, llmgw_guard_alloc_pt alloc, void *alloc_data,
    unsigned char **out, size_t *out_len, uint64_t *fired)
{
    int                       rc;
    size_t                    start, end, det;
    uint64_t                  bits;
    llmgw_guard_buf_t         b;
    llmgw_guard_run_t         r;
    const llmgw_guard_det_t  *d;

    *out = NULL;
    *out_len = 0;

    if (len == 0 || g->n == 0) {
        return 0;
    }

    llmgw_guard_run_init(g, &r, text, len, 0, 0);

    b.data = NULL;
    b.len = 0;
    b.cap = 0;
    b.alloc = alloc;
    b.alloc_data = alloc_data;
    bits = 0;

    for ( ;; ) {
        rc = llmgw_guard_step(g, &r, &start, &end, &det);

        if (rc < 0) {
            return -1;
        }

        if (rc != LLMGW_GUARD_STEP_MATCH) {
            break;
        }

        if (b.cap == 0) {
            b.cap = len + 64;
            b.data = alloc(alloc_data, b.cap);
            if (b.data == NULL) {
                return -1;
            }
        }

        d = &g->det[det];

        if (llmgw_guard_put(&b, text + r.pos, start - r.pos) != 0
            || llmgw_guard_put(&b, d->tag, d->tag_len) != 0)
        {
            return -1;
        }

        bits |= (uint64_t) 1 << det;
        r.pos = end;
    }

    if (b.data == NULL) {
        return 0;
    }

    if (llmgw_guard_put(&b, text + r.pos, len - r.pos) != 0) {
        return -1;
    }

    if (fired) {
        *fired |= bits;
    }

    *out = b.data;
    *out_len = b.len;

    return 1;
}


/*
 * Streams.  buf holds a few released bytes (the context lookbehinds and
 * \b need, g->ctx, at least one so that \A cannot match) and the held
 * ones.  Each feed appends the piece and runs the scan from the held start
 * with PCRE2_PARTIAL_HARD over the text up to its last complete UTF-8
 * character: a match is released when no detector may still match at or
 * before its start, plain text up to the earliest position where one may;
 * the rest is held.  A match found this way is the whole text's match:
 * the pattern read nothing past the end (else it would be partial), so
 * neither more text nor its end can change it.
 *
 * The limit: when more than max_hold bytes would be held, the detectors
 * that may match at the held start are taken not to (their search
 * resumes a byte later) until the hold fits, and what they held is
 * released as it scans.  Output then differs from the whole text's only
 * where a match longer than max_hold bytes begins (a PEM block, a long
 * custom match); anything shorter inside or after it is still found.
 */

/* the end of the last complete (or invalid) UTF-8 character in p[from..len) */

static size_t
llmgw_guard_utf8_end(const unsigned char *p, size_t from, size_t len)
{
    size_t         i, need;
    unsigned char  c;

    for (i = len; i > from && len - i < 4; i--) {
        c = p[i - 1];

        if ((c & 0xc0) == 0x80) {
            continue;
        }

        need = (c >= 0xf0) ? 4 : (c >= 0xe0) ? 3 : (c >= 0xc0) ? 2 : 1;

        return (need > len - (i - 1)) ? i - 1 : len;
    }

    return len;
}


llmgw_guard_stream_t *
llmgw_guard_stream_create(const llmgw_guard_t *g, llmgw_guard_alloc_pt alloc,
    void *alloc_data, size_t max_hold)
{
    llmgw_guard_stream_t  *s;

    s = alloc(alloc_data, sizeof(llmgw_guard_stream_t));
    if (s == NULL) {
        return NULL;
    }

    memset(s, 0, sizeof(llmgw_guard_stream_t));

    s->guard = g;
    s->max_hold = (max_hold < LLMGW_GUARD_HOLD_MIN) ? LLMGW_GUARD_HOLD_MIN
                                                     : max_hold;
    s->out.alloc = alloc;
    s->out.alloc_data = alloc_data;

    return s;
}


static int
llmgw_guard_stream_append(llmgw_guard_stream_t *s, const unsigned char *p,
    size_t n)
{
    size_t          cap;
    unsigned char  *buf;

    if (n > s->cap - s->len) {
        cap = s->cap ? s->cap : 256;

        while (cap < s->len + n) {
            cap *= 2;
        }

        buf = s->out.alloc(s->out.alloc_data, cap);
        if (buf == NULL) {
            return -1;
        }

        if (s->len) {
            memcpy(buf, s->buf, s->len);
        }

        s->buf = buf;
        s->cap = cap;
    }

    if (n) {
        memcpy(s->buf + s->len, p, n);
        s->len += n;
    }

    return 0;
}


static int
llmgw_guard_stream_run(llmgw_guard_stream_t *s, int partial)
{
    int                       rc;
    size_t                    i, start, end, det, len;
    uint32_t                  opts;
    llmgw_guard_run_t         r;
    const llmgw_guard_t      *g;
    const llmgw_guard_det_t  *d;

    g = s->guard;
    s->out.len = 0;

    if (s->pos == s->len) {
        return 0;
    }

    if (g->n == 0) {
        if (llmgw_guard_put(&s->out, s->buf + s->pos, s->len - s->pos) != 0) {
            return -1;
        }

        s->pos = s->len;
        return 0;
    }

    len = partial ? llmgw_guard_utf8_end(s->buf, s->pos, s->len) : s->len;
    opts = (partial ? PCRE2_PARTIAL_HARD : 0) | (s->dropped ? PCRE2_NOTBOL : 0);

    llmgw_guard_run_init(g, &r, s->buf, len, s->pos, opts);

    for ( ;; ) {
        rc = llmgw_guard_step(g, &r, &start, &end, &det);

        if (rc < 0) {
            return -1;
        }

        if (rc == LLMGW_GUARD_STEP_END) {
            start = len;
        }

        if (llmgw_guard_put(&s->out, s->buf + r.pos, start - r.pos) != 0) {
            return -1;
        }

        r.pos = start;

        if (rc == LLMGW_GUARD_STEP_END) {
            break;
        }

        if (rc == LLMGW_GUARD_STEP_MATCH) {
            d = &g->det[det];

            if (llmgw_guard_put(&s->out, d->tag, d->tag_len) != 0) {
                return -1;
            }

            s->fired |= (uint64_t) 1 << det;
            r.pos = end;
            continue;
        }

        if (s->len - start <= s->max_hold) {
            break;
        }

        for (i = 0; i < g->n; i++) {
            if (r.hit[i].state == LLMGW_GUARD_PARTIAL
                && r.hit[i].start == start)
            {
                r.hit[i].state = LLMGW_GUARD_STALE;
                r.hit[i].skip = start + 1;
            }
        }
    }

    s->pos = r.pos;

    return 0;
}


static void
llmgw_guard_stream_compact(llmgw_guard_stream_t *s)
{
    size_t  keep, drop;

    keep = (s->pos < s->guard->ctx) ? s->pos : s->guard->ctx;
    drop = s->pos - keep;

    if (drop == 0) {
        return;
    }

    memmove(s->buf, s->buf + drop, s->len - drop);
    s->len -= drop;
    s->pos = keep;
    s->dropped = 1;
}


int
llmgw_guard_stream_feed(llmgw_guard_stream_t *s, const unsigned char *p,
    size_t n, const unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;

    if (s->ended || llmgw_guard_stream_append(s, p, n) != 0
        || llmgw_guard_stream_run(s, 1) != 0)
    {
        return -1;
    }

    *out = s->out.data ? s->out.data : (const unsigned char *) "";
    *out_len = s->out.len;

    llmgw_guard_stream_compact(s);

    return 0;
}


int
llmgw_guard_stream_end(llmgw_guard_stream_t *s, const unsigned char **out,
    size_t *out_len)
{
    *out = NULL;
    *out_len = 0;

    if (s->ended || llmgw_guard_stream_run(s, 0) != 0) {
        return -1;
    }

    s->ended = 1;

    *out = s->out.data ? s->out.data : (const unsigned char *) "";
    *out_len = s->out.len;

    return 0;
}


uint64_t
llmgw_guard_stream_fired(const llmgw_guard_stream_t *s)
{
    return s->fired;
}


size_t
llmgw_guard_stream_held(const llmgw_guard_stream_t *s)
{
    return s->len - s->pos;
}


/*
 * JSON: one pass that validates (RFC 8259: strings with their escapes,
 * UTF-8 and no raw control characters, numbers, literals, nesting up to
 * max_depth) and hands each string value to the callback as it goes; a
 * replaced value is copied into out with everything before it.
 */

static const unsigned char *
llmgw_guard_json_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }

    return p;
}


/* the length of the well-formed UTF-8 character at p, 0 if none */

static size_t
llmgw_guard_json_utf8(const unsigned char *p, const unsigned char *end)
{
    size_t         i, n;
    unsigned char  lo, hi;

    lo = 0x80;
    hi = 0xbf;

    if (*p < 0xc2 || *p > 0xf4) {
        return 0;
    }

    n = (*p < 0xe0) ? 2 : (*p < 0xf0) ? 3 : 4;

    if (*p == 0xe0) {
        lo = 0xa0;
    } else if (*p == 0xed) {
        hi = 0x9f;
    } else if (*p == 0xf0) {
        lo = 0x90;
    } else if (*p == 0xf4) {
        hi = 0x8f;
    }

    for (i = 1; i < n; i++) {
        if ((size_t) (end - p) <= i || p[i] < lo || p[i] > hi) {
            return 0;
        }

        lo = 0x80;
        hi = 0xbf;
    }

    return n;
}


/* p is past the opening quote; returns past the closing one, or NULL */

static const unsigned char *
llmgw_guard_json_string(const unsigned char *p, const unsigned char *end,
    int *escaped)
{
    size_t  i, n;

    *escaped = 0;

    while (p < end) {

        if (*p == '"') {
            return p + 1;
        }

        if (*p < 0x20) {
            return NULL;
        }

        if (*p >= 0x80) {
            n = llmgw_guard_json_utf8(p, end);
            if (n == 0) {
                return NULL;
            }

            p += n;
            continue;
        }

        if (*p++ != '\\') {
            continue;
        }

        *escaped = 1;

        if (p == end) {
            return NULL;
        }

        if (*p != 'u') {
            if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0') {
                return NULL;
            }

            p++;
            continue;
        }

        if (end - p < 5) {
            return NULL;
        }

        for (i = 1; i < 5; i++) {
            if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')
                  || (p[i] >= 'A' && p[i] <= 'F')))
            {
                return NULL;
            }
        }

        p += 5;
    }

    return NULL;
}


static const unsigned char *
llmgw_guard_json_number(const unsigned char *p, const unsigned char *end)
{
    const unsigned char  *d;

    if (p < end && *p == '-') {
        p++;
    }

    if (p == end || *p < '0' || *p > '9') {
        return NULL;
    }

    if (*p++ != '0') {
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < end && *p == '.') {
        for (d = ++p; p < end && *p >= '0' && *p <= '9'; p++) {
            /* void */
        }

        if (p == d) {
            return NULL;
        }
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }

        for (d = p; p < end && *p >= '0' && *p <= '9'; p++) {
            /* void */
        }

        if (p == d) {
            return NULL;
        }
    }

    return p;
}


/* the string value [q, p), quotes included, to the callback */

static int
llmgw_guard_json_value(llmgw_guard_json_t *j, const unsigned char *q,
    const unsigned char *p, int escaped)
{
    size_t                len, repl_len;
    unsigned char        *e;
    llmgw_json_span_t     span;
    const unsigned char  *text, *repl;

    text = q + 1;
    len = (size_t) (p - q) - 2;

    if (escaped) {
        j->tmp.len = 0;

        if (llmgw_guard_reserve(&j->tmp, len + 2) != 0) {
            return -1;
        }

        span.start = q;
        span.len = len + 2;
        span.type = LLMGW_JSON_STRING;
        span.name_off = 0;

        len = llmgw_json_string_decode(&span, j->tmp.data);
        text = j->tmp.data;
    }

    if (len >= 5 && (text[0] | 0x20) == 'd' && (text[1] | 0x20) == 'a'
        && (text[2] | 0x20) == 't' && (text[3] | 0x20) == 'a'
        && text[4] == ':')
    {
        return 0;
    }

    repl = NULL;
    repl_len = 0;

    if (j->cb(j->cb_data, j->index++, text, len, &repl, &repl_len) != 0) {
        return -1;
    }

    if (repl == NULL) {
        return 0;
    }

    if (j->out.data == NULL) {
        j->out.cap = (size_t) (j->end - j->start) + 64;
        j->out.data = j->out.alloc(j->out.alloc_data, j->out.cap);
        if (j->out.data == NULL) {
            return -1;
        }
    }

    if (llmgw_guard_put(&j->out, j->start + j->copied,
                        (size_t) (q + 1 - j->start) - j->copied)
        != 0)
    {
        return -1;
    }

    if (llmgw_guard_reserve(&j->out, llmgw_json_escape_len(repl, repl_len))
        != 0)
    {
        return -1;
    }

    e = llmgw_json_escape(j->out.data + j->out.len, repl, repl_len);
    j->out.len = (size_t) (e - j->out.data);
    j->copied = (size_t) (p - 1 - j->start);

    return 0;
}


/*
 * value: a value is next; after: one just ended (the bit stack tells the
 * enclosing container); member: a member name is next.
 */

static int
llmgw_guard_json_walk(llmgw_guard_json_t *j)
{
    int                   escaped, obj;
    size_t                n;
    unsigned char         c;
    const unsigned char  *p, *q, *end;

    p = j->start;
    end = j->end;

value:

    p = llmgw_guard_json_ws(p, end);

    if (p == end) {
        return -1;
    }

    c = *p;

    if (c == '{' || c == '[') {
        if (j->depth >= j->max_depth) {
            return -1;
        }

        obj = (c == '{');

        if (obj) {
            j->stack[j->depth / 64] |= (uint64_t) 1 << (j->depth % 64);
        } else {
            j->stack[j->depth / 64] &= ~((uint64_t) 1 << (j->depth % 64));
        }

        j->depth++;
        p = llmgw_guard_json_ws(p + 1, end);

        if (p < end && *p == (obj ? '}' : ']')) {
            j->depth--;
            p++;
            goto after;
        }

        if (obj) {
            goto member;
        }

        goto value;
    }

    if (c == '"') {
        q = p;
        p = llmgw_guard_json_string(p + 1, end, &escaped);

        if (p == NULL || llmgw_guard_json_value(j, q, p, escaped) != 0) {
            return -1;
        }

        goto after;
    }

    if (c == 't' || c == 'f' || c == 'n') {
        q = (const unsigned char *) ((c == 't') ? "true"
                                     : (c == 'f') ? "false" : "null");
        n = strlen((const char *) q);

        if ((size_t) (end - p) < n || memcmp(p, q, n) != 0) {
            return -1;
        }

        p += n;
        goto after;
    }

    p = llmgw_guard_json_number(p, end);
    if (p == NULL) {
        return -1;
    }

after:

    p = llmgw_guard_json_ws(p, end);

    if (j->depth == 0) {
        return (p == end) ? 0 : -1;
    }

    if (p == end) {
        return -1;
    }

    obj = (j->stack[(j->depth - 1) / 64] >> ((j->depth - 1) % 64)) & 1;

    if (*p == (obj ? '}' : ']')) {
        j->depth--;
        p++;
        goto after;
    }

    if (*p != ',') {
        return -1;
    }

    p++;

    if (!obj) {
        goto value;
    }

    p = llmgw_guard_json_ws(p, end);

member:

    if (p == end || *p != '"') {
        return -1;
    }

    p = llmgw_guard_json_string(p + 1, end, &escaped);
    if (p == NULL) {
        return -1;
    }

    p = llmgw_guard_json_ws(p, end);

    if (p == end || *p != ':') {
        return -1;
    }

    p++;
    goto value;
}


int
llmgw_guard_json_rewrite(const unsigned char *json, size_t len,
    unsigned max_depth, llmgw_guard_alloc_pt alloc, void *alloc_data,
    llmgw_guard_text_pt cb, void *cb_data, unsigned char **out,
    size_t *out_len)
{
    unsigned char       small[512];
    llmgw_guard_json_t  j;

    *out = NULL;
    *out_len = 0;

    memset(&j, 0, sizeof(llmgw_guard_json_t));

    j.start = json;
    j.end = json + len;
    j.max_depth = (max_depth > LLMGW_JSON_DEPTH_LIMIT) ? LLMGW_JSON_DEPTH_LIMIT
                                                      : max_depth;
    j.cb = cb;
    j.cb_data = cb_data;
    j.out.alloc = alloc;
    j.out.alloc_data = alloc_data;
    j.tmp.alloc = alloc;
    j.tmp.alloc_data = alloc_data;
    j.tmp.data = small;
    j.tmp.cap = sizeof(small);

    if (len == 0 || llmgw_guard_json_walk(&j) != 0) {
        return -1;
    }

    if (j.out.data == NULL) {
        return 0;
    }

    if (llmgw_guard_put(&j.out, json + j.copied, len - j.copied) != 0) {
        return -1;
    }

    *out = j.out.data;
    *out_len = j.out.len;

    return 1;
}


typedef struct {
    const llmgw_guard_t   *guard;
    int                    redact;
    llmgw_guard_alloc_pt   alloc;
    void                  *alloc_data;
    uint64_t               fired;
} llmgw_guard_json_ctx_t;


static int
llmgw_guard_json_text(void *data, size_t index, const unsigned char *text,
    size_t len, const unsigned char **repl, size_t *repl_len)
{
    int                      rc;
    unsigned char           *out;
    llmgw_guard_json_ctx_t  *ctx;

    (void) index;

    ctx = data;

    if (!ctx->redact) {
        return (llmgw_guard_scan(ctx->guard, text, len, &ctx->fired) < 0)
               ? -1 : 0;
    }

    rc = llmgw_guard_redact(ctx->guard, text, len, ctx->alloc,
                            ctx->alloc_data, &out, repl_len, &ctx->fired);
    if (rc < 0) {
        return -1;
    }

    *repl = out;

    return 0;
}


int
llmgw_guard_json(const llmgw_guard_t *g, const unsigned char *json,
    size_t len, int redact, llmgw_guard_alloc_pt alloc, void *alloc_data,
    unsigned char **out, size_t *out_len, uint64_t *fired)
{
    int                     rc;
    llmgw_guard_json_ctx_t  ctx;

    ctx.guard = g;
    ctx.redact = redact;
    ctx.alloc = alloc;
    ctx.alloc_data = alloc_data;
    ctx.fired = 0;

    rc = llmgw_guard_json_rewrite(json, len, LLMGW_JSON_DEPTH_LIMIT, alloc,
                                  alloc_data, llmgw_guard_json_text, &ctx,
                                  out, out_len);

    if (rc >= 0 && fired) {
        *fired |= ctx.fired;
    }

    return rc;
}
