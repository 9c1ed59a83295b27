/*
 * llmgw: incremental server-sent events splitter.
 *
 * Plain C, no nginx headers.  Bytes arrive split at any point; complete
 * events come out whole.  An event lying entirely inside one fed piece is
 * handed out in place; the unfinished tail of a piece is copied into a hold
 * buffer that grows through the caller's allocator, up to max_event bytes.
 */

#ifndef _LLMGW_SSE_H_INCLUDED_
#define _LLMGW_SSE_H_INCLUDED_

#include <stddef.h>


typedef void *(*llmgw_sse_alloc_pt)(void *data, size_t size);

/* raw: the event's bytes as received, terminating blank line included, so
 * an event passed on unchanged is byte-exact */
typedef int (*llmgw_sse_event_pt)(void *data, const unsigned char *raw,
    size_t len);

typedef enum {
    LLMGW_SSE_OK = 0,
    LLMGW_SSE_TOO_LONG,     /* an event, finished or not, exceeded max_event */
    LLMGW_SSE_NOMEM,
    LLMGW_SSE_ABORT         /* the event callback returned nonzero */
} llmgw_sse_rc_e;


typedef struct {
    llmgw_sse_alloc_pt    alloc;
    void                 *alloc_data;
    llmgw_sse_event_pt    event;
    void                 *event_data;
    size_t                max_event;

    unsigned char        *hold;
    size_t                hold_len;
    size_t                hold_cap;
    unsigned              state;       /* line-ending state machine */
} llmgw_sse_t;


/* Resets the hold buffer and state; alloc, event and max_event are the
 * caller's to set, before or after. */
void llmgw_sse_init(llmgw_sse_t *sse);

/* Splits at blank lines: "\n\n", "\r\n\r\n", "\r\r" and mixes of them
 * (WHATWG: a line ends at CRLF, LF or CR; an empty line ends the event).
 * An event longer than max_event fails even when it lies in one piece, so
 * the outcome never depends on the split.  An event whose blank line ends
 * with CR is handed out only at the next byte, which may be its LF.  After
 * an error the splitter must not be fed again. */
llmgw_sse_rc_e llmgw_sse_feed(llmgw_sse_t *sse, const unsigned char *p,
    size_t n);

/* At the end of the stream: the held bytes of an event that never got its
 * blank line, or whose blank line was a final CR (0 if none). */
size_t llmgw_sse_pending(const llmgw_sse_t *sse,
    const unsigned char **raw);


/* One event's fields.  data is the concatenation of its data lines joined
 * by "\n" (WHATWG): in place when the event has a single data line,
 * otherwise written to buf (which must hold len bytes).  Lines starting
 * with ':' are comments; "field" without ':' has an empty value; a single
 * space after ':' is dropped. */
typedef struct {
    const unsigned char  *event;      /* the event: field, or NULL */
    size_t                event_len;
    const unsigned char  *data;       /* NULL when the event has no data */
    size_t                data_len;
    unsigned              data_lines;
} llmgw_sse_fields_t;

void llmgw_sse_parse_fields(const unsigned char *raw, size_t len,
    unsigned char *buf, llmgw_sse_fields_t *fields);

#endif /* _LLMGW_SSE_H_INCLUDED_ */
