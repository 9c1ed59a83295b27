/*
 * llmgw: guardrail detectors (PCRE2) and the redaction they drive.
 *
 * Plain C, no nginx headers: unit tests and fuzz targets build it alone.
 * A guard is a set of detectors compiled (and JIT-compiled) once, at
 * configuration time; matching never compiles and never allocates except
 * through the caller's allocator.  Detector i of a guard is bit i of a
 * "fired" mask, so a guard holds at most LLMGW_GUARD_MAX detectors.
 */

#ifndef _LLMGW_GUARD_H_INCLUDED_
#define _LLMGW_GUARD_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


#define LLMGW_GUARD_MAX       64
#define LLMGW_GUARD_NAME_MAX  32

/* the built-in detectors, by their bit in a create() mask */
typedef enum {
    LLMGW_GUARD_EMAIL = 0,
    LLMGW_GUARD_PHONE,      /* international formats, 7-15 digits */
    LLMGW_GUARD_CARD,       /* payment card numbers passing Luhn */
    LLMGW_GUARD_SSN,        /* US social security numbers */
    LLMGW_GUARD_IBAN,       /* passing mod-97 with the country's length */
    LLMGW_GUARD_IPV4,
    LLMGW_GUARD_IPV6,
    LLMGW_GUARD_SECRET,     /* AWS keys, private-key blocks, JWTs, API keys */
    LLMGW_GUARD_NBUILTIN
} llmgw_guard_builtin_e;


typedef void *(*llmgw_guard_alloc_pt)(void *data, size_t size);

typedef struct llmgw_guard_s         llmgw_guard_t;
typedef struct llmgw_guard_stream_s  llmgw_guard_stream_t;


/* a detector of the governance file: a PCRE2 pattern, or words matched
 * whole and case-insensitively (a deny-list) */
typedef struct {
    const char            *name;      /* [A-Za-z0-9_-], 1..32 bytes */
    const char            *pattern;   /* NULL for a word list */
    const char * const    *words;
    size_t                 nwords;
} llmgw_guard_custom_t;


/* The index of a built-in detector by its name ("EMAIL", "CARD", ...,
 * case-insensitive), or -1. */
int llmgw_guard_builtin(const char *name, size_t len);

/* Compiles the built-ins in mask (bits of llmgw_guard_builtin_e) and the
 * custom detectors, in that order.  NULL on error, with a message in err
 * naming the detector (a bad pattern, too many detectors, no memory). */
llmgw_guard_t *llmgw_guard_create(uint32_t mask,
    const llmgw_guard_custom_t *custom, size_t ncustom, char *err,
    size_t errlen);
void llmgw_guard_free(llmgw_guard_t *g);

size_t llmgw_guard_count(const llmgw_guard_t *g);
const char *llmgw_guard_name(const llmgw_guard_t *g, size_t i);

/* Sets in *fired the bits of the detectors that match text; returns the
 * number of matches, or -1 when a match failed (PCRE2 resource limits). */
int llmgw_guard_scan(const llmgw_guard_t *g, const unsigned char *text,
    size_t len, uint64_t *fired);

/* Every match replaced by "[REDACTED:NAME]" (overlaps: the leftmost, then
 * the longest).  Returns 0 and *out = NULL when nothing matched, 1 with
 * the new text in *out (from alloc), -1 on error. */
int llmgw_guard_redact(const llmgw_guard_t *g, const unsigned char *text,
    size_t len, llmgw_guard_alloc_pt alloc, void *alloc_data,
    unsigned char **out, size_t *out_len, uint64_t *fired);

/* (scan, redact and the JSON functions OR their bits into *fired, which
 * may be NULL; a pattern that needs more than PCRE2's match limit, 1e6,
 * is an error.) */


/*
 * Text that arrives in pieces (a stream's deltas).  Whatever the split,
 * the concatenation of what feed() and end() release equals
 * llmgw_guard_redact() of the whole text, and the fired bits are the same,
 * for every match not longer than max_hold bytes: the tail that could
 * still become a match (PCRE2_PARTIAL_HARD) is held back, at most
 * max_hold bytes of it.  Released text is valid until the next call.
 */
llmgw_guard_stream_t *llmgw_guard_stream_create(const llmgw_guard_t *g,
    llmgw_guard_alloc_pt alloc, void *alloc_data, size_t max_hold);
int llmgw_guard_stream_feed(llmgw_guard_stream_t *s, const unsigned char *p,
    size_t n, const unsigned char **out, size_t *out_len);
int llmgw_guard_stream_end(llmgw_guard_stream_t *s, const unsigned char **out,
    size_t *out_len);
/* (feed() and end() return 0, or -1 on an allocation or match error and
 * after end(); *out is never NULL then.  A max_hold below 4 counts as 4.
 * The text is held in the stream, so a piece's buffer may be reused.) */
uint64_t llmgw_guard_stream_fired(const llmgw_guard_stream_t *s);
/* bytes fed but not yet released */
size_t llmgw_guard_stream_held(const llmgw_guard_stream_t *s);


/*
 * Every string value of a valid JSON text, in document order (member names
 * are not values; strings that are data: URLs are skipped), decoded and
 * handed to cb.  cb may set *repl to a replacement text (decoded; it is
 * escaped into the output).  Returns 0 when no string was replaced (*out
 * NULL), 1 with the new JSON text in *out, -1 when the JSON is not valid,
 * an allocation failed or cb returned nonzero.
 */
typedef int (*llmgw_guard_text_pt)(void *data, size_t index,
    const unsigned char *text, size_t len, const unsigned char **repl,
    size_t *repl_len);

/* (max_depth above LLMGW_JSON_DEPTH_LIMIT counts as that; the top level
 * may be any value; a data: URL is recognized case-insensitively.) */
int llmgw_guard_json_rewrite(const unsigned char *json, size_t len,
    unsigned max_depth, llmgw_guard_alloc_pt alloc, void *alloc_data,
    llmgw_guard_text_pt cb, void *cb_data, unsigned char **out,
    size_t *out_len);

/* llmgw_guard_json_rewrite() with scan (redact == 0) or redact of every
 * string value; the same returns. */
/* (Nesting up to LLMGW_JSON_DEPTH_LIMIT; *fired is left alone on -1.) */
int llmgw_guard_json(const llmgw_guard_t *g, const unsigned char *json,
    size_t len, int redact, llmgw_guard_alloc_pt alloc, void *alloc_data,
    unsigned char **out, size_t *out_len, uint64_t *fired);

#endif /* _LLMGW_GUARD_H_INCLUDED_ */
