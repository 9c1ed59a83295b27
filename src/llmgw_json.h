/*
 * llmgw: the one JSON reader we write ourselves (DESIGN.md, "cost budget").
 *
 * Plain C, no nginx headers: the fuzz targets and unit tests build it alone.
 * Nothing here allocates; every span points into the caller's buffer.
 */

#ifndef _LLMGW_JSON_H_INCLUDED_
#define _LLMGW_JSON_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


typedef enum {
    LLMGW_JSON_NONE = 0,            /* member absent */
    LLMGW_JSON_STRING,
    LLMGW_JSON_NUMBER,
    LLMGW_JSON_OBJECT,
    LLMGW_JSON_ARRAY,
    LLMGW_JSON_TRUE,
    LLMGW_JSON_FALSE,
    LLMGW_JSON_NULL
} llmgw_json_type_e;


typedef enum {
    LLMGW_JSON_OK = 0,
    LLMGW_JSON_ERR_SYNTAX,          /* not valid JSON (RFC 8259) */
    LLMGW_JSON_ERR_NOT_OBJECT,      /* valid, but the top level is not an object */
    LLMGW_JSON_ERR_DEPTH,           /* nesting deeper than max_depth */
    LLMGW_JSON_ERR_DUPLICATE        /* a captured member name appears twice */
} llmgw_json_rc_e;


/* a value as it stands in the input: a string keeps its quotes */
typedef struct {
    const unsigned char  *start;
    size_t                len;
    llmgw_json_type_e     type;
    size_t                name_off;  /* offset of the member name's opening quote */
} llmgw_json_span_t;


typedef struct {
    const char           *name;     /* decoded member name to capture */
    size_t                name_len;
    llmgw_json_span_t    *value;    /* filled when found; type NONE otherwise */
} llmgw_json_field_t;


typedef struct {
    size_t                open_off;  /* offset of the top-level '{' */
    size_t                close_off; /* offset of the top-level '}' */
    size_t                members;   /* number of top-level members */
    size_t                err_off;   /* offset of the first bad byte on error */
} llmgw_json_scan_t;


/* max_depth is capped at this: the nesting stack is a fixed bit array */
#define LLMGW_JSON_DEPTH_LIMIT  1024

/*
 * Validates that buf[0..len) holds exactly one JSON value, an object, with
 * optional surrounding whitespace, nesting at most max_depth deep (the top
 * object is depth 1).  The whole input is checked: strings (escapes,
 * \u escapes with surrogate pairs, no raw control characters, valid UTF-8),
 * numbers, literals.  Member names of the top level are compared after
 * decoding their escapes ("mod\u0065l" is "model").  Each top-level member
 * named in fields[] has its value span stored; a second member of that
 * name is LLMGW_JSON_ERR_DUPLICATE (a provider might read the other one).
 * On any error, fields[] are all NONE and scan holds only err_off (for
 * NOT_OBJECT, the offset of the value; for DUPLICATE, of the second name).
 */
llmgw_json_rc_e llmgw_json_scan_object(const unsigned char *buf, size_t len,
    unsigned max_depth, llmgw_json_field_t *fields, size_t nfields,
    llmgw_json_scan_t *scan);

/* Like llmgw_json_scan_object() on an already validated value span, e.g. a
 * nested object: captures its members without rechecking the whole body.
 * Offsets in scan and name_off are relative to object->start. */
llmgw_json_rc_e llmgw_json_scan_members(const llmgw_json_span_t *object,
    llmgw_json_field_t *fields, size_t nfields, llmgw_json_scan_t *scan);

/*
 * The value of the top-level member `name` of a whole object in
 * buf[0..len) (whitespace around it allowed), read by the span walker
 * without validating the rest: OK with value->type NONE when the object has
 * no such member; an error when the walker cannot read it as one object or
 * the name appears twice.  Where it answers OK it agrees with the capture
 * below on what the capture can hold (a value of up to
 * LLMGW_JSON_CAPTURE_MAX bytes, a name of up to LLMGW_JSON_NAME_MAX bytes
 * as written; fuzz_json_capture checks), so a whole response read here
 * needs no capture.
 */
llmgw_json_rc_e llmgw_json_find_member(const unsigned char *buf, size_t len,
    const char *name, size_t name_len, llmgw_json_span_t *value);

/*
 * The same read from the object's end, member by member, for at most
 * max_members members: OK with the value when one of them is `name` (the
 * last such, as most JSON readers take), OK with type NONE when the walk
 * reached the object's start without it, an error otherwise (not read, or
 * further in).  It reads backward only what it walks over, so a long
 * answer whose usage comes last costs what its usage costs.  It agrees
 * with llmgw_json_scan_object() on valid JSON (fuzz_json_capture checks).
 */
llmgw_json_rc_e llmgw_json_find_member_back(const unsigned char *buf,
    size_t len, const char *name, size_t name_len, size_t max_members,
    llmgw_json_span_t *value);

/*
 * The same read, fast, for an object member whose last mention is the
 * outermost object's: found by its quoted name from the end, its members
 * captured as llmgw_json_scan_members() does, and the members after it
 * read forward to the outermost object's closing brace.  Any other shape
 * (a value that is not an object, the name written with an escape, the
 * last mention nested or in a malformed tail, the same name after it
 * written with an escape) is an error, and llmgw_json_find_member_back()
 * decides.
 */
llmgw_json_rc_e llmgw_json_scan_member_last(const unsigned char *buf,
    size_t len, const char *name, size_t name_len, llmgw_json_field_t *fields,
    size_t nfields, llmgw_json_span_t *value);

/* The first byte a in p..end that byte b follows, or NULL: 16 places at a
 * time where SSE2 is there (the streams' searches for "usage" and for
 * ":" before a string). */
const unsigned char *llmgw_json_find_pair(const unsigned char *p,
    const unsigned char *end, unsigned char a, unsigned char b);

/* Calls cb for each element of an already validated array span; stops and
 * returns the callback's nonzero value. */
typedef int (*llmgw_json_each_pt)(const llmgw_json_span_t *elt, void *arg);
int llmgw_json_array_each(const llmgw_json_span_t *array,
    llmgw_json_each_pt cb, void *arg);
size_t llmgw_json_array_count(const llmgw_json_span_t *array);

/* Whether an already validated array span has no elements ("[ ]"),
 * without walking them (it looks past the whitespace after '[' only):
 * nonzero iff llmgw_json_array_count() would be 0, so also for a span that
 * is not an array. */
int llmgw_json_array_empty(const llmgw_json_span_t *array);

/* The first byte of an already validated array span's first element (so
 * '{' for an object), without walking it; -1 when llmgw_json_array_empty()
 * holds. */
int llmgw_json_array_first(const llmgw_json_span_t *array);

/* Decodes a validated string span (with its quotes) into out, which must
 * hold span->len bytes; returns the decoded length. */
size_t llmgw_json_string_decode(const llmgw_json_span_t *span,
    unsigned char *out);

/* Decoded string equals s[0..n)?  No allocation. */
int llmgw_json_string_eq(const llmgw_json_span_t *span, const char *s,
    size_t n);

/* A validated number span that is an integer in [0, INT64_MAX]: stores it
 * and returns 0; otherwise returns -1 (fraction, exponent, sign, range). */
int llmgw_json_uint(const llmgw_json_span_t *span, int64_t *value);

/* Length of s[0..n) once escaped as a JSON string body (no quotes), and the
 * escaping itself; returns the end of what was written.  Each byte of
 * ill-formed UTF-8 becomes \ufffd, so the result is always valid JSON. */
size_t llmgw_json_escape_len(const unsigned char *s, size_t n);
unsigned char *llmgw_json_escape(unsigned char *dst, const unsigned char *s,
    size_t n);


/*
 * Streaming capture of one top-level member of a JSON object whose bytes
 * arrive in pieces split anywhere (a provider's whole response, read as it
 * passes through).  Only tracks strings, escapes and depth; it does not
 * validate: the bytes go to the client unchanged either way.  The value of
 * the first top-level member called `name` (compared after decoding
 * escapes) is copied into value[] (a value longer than
 * LLMGW_JSON_CAPTURE_MAX sets overflow instead).  done is set once no
 * further byte matters; the value is complete iff done && !overflow &&
 * value_len != 0.  cap->name must outlive the capture.
 */
#define LLMGW_JSON_CAPTURE_MAX  4096
#define LLMGW_JSON_NAME_MAX     32

typedef struct {
    const char           *name;
    size_t                name_len;
    unsigned              depth;
    unsigned              state;
    unsigned              in_string:1;
    unsigned              escape:1;
    unsigned              expect_name:1;
    unsigned              done:1;
    unsigned              overflow:1;
    size_t                cur_len;
    unsigned char         cur[LLMGW_JSON_NAME_MAX];
    size_t                value_len;
    unsigned char         value[LLMGW_JSON_CAPTURE_MAX];
} llmgw_json_capture_t;

void llmgw_json_capture_init(llmgw_json_capture_t *cap, const char *name,
    size_t name_len);
void llmgw_json_capture_feed(llmgw_json_capture_t *cap,
    const unsigned char *p, size_t n);

#endif /* _LLMGW_JSON_H_INCLUDED_ */
