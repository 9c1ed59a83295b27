/*
 * llmgw: incremental server-sent events splitter.
 */

#include <string.h>

#include "llmgw_sse.h"


#define LLMGW_SSE_BOL       0   /* at the start of a line */
#define LLMGW_SSE_TEXT      1   /* inside a line */
#define LLMGW_SSE_CR        2   /* a line ended with CR: LF would be its end */
#define LLMGW_SSE_BLANK_CR  3   /* an empty line ended with CR: the event is
                                   complete, with the LF if one follows */

#define LLMGW_SSE_HOLD_MIN  1024


static llmgw_sse_rc_e llmgw_sse_hold(llmgw_sse_t *sse, const unsigned char *p,
    size_t n);
static llmgw_sse_rc_e llmgw_sse_emit(llmgw_sse_t *sse, const unsigned char *p,
    size_t n);
static const unsigned char *llmgw_sse_eol(const unsigned char *p,
    const unsigned char *end, const unsigned char **lf,
    const unsigned char **cr);
static void llmgw_sse_data(llmgw_sse_fields_t *fields, unsigned char *buf,
    const unsigned char *v, size_t n);


void
llmgw_sse_init(llmgw_sse_t *sse)
{
    sse->hold = NULL;
    sse->hold_len = 0;
    sse->hold_cap = 0;
    sse->state = LLMGW_SSE_BOL;
}


static llmgw_sse_rc_e
llmgw_sse_hold(llmgw_sse_t *sse, const unsigned char *p, size_t n)
{
    size_t          cap, need;
    unsigned char  *hold;

    if (n > sse->max_event - sse->hold_len) {
        return LLMGW_SSE_TOO_LONG;
    }

    need = sse->hold_len + n;

    if (need > sse->hold_cap) {
        cap = sse->hold_cap ? sse->hold_cap : LLMGW_SSE_HOLD_MIN;

        while (cap < need) {
            if (cap > sse->max_event / 2) {
                cap = sse->max_event;
                break;
            }

            cap *= 2;
        }

        if (cap > sse->max_event) {
            cap = sse->max_event;
        }

        hold = sse->alloc(sse->alloc_data, cap);
        if (hold == NULL) {
            return LLMGW_SSE_NOMEM;
        }

        if (sse->hold_len) {
            memcpy(hold, sse->hold, sse->hold_len);
        }

        sse->hold = hold;
        sse->hold_cap = cap;
    }

    if (n) {
        memcpy(sse->hold + sse->hold_len, p, n);
        sse->hold_len += n;
    }

    return LLMGW_SSE_OK;
}


/*
 * The first '\n' or '\r' in p..end, or end.  *lf and *cr remember the next
 * of each found so far (NULL before the first search), so each is looked
 * for in any byte at most once however short the lines.
 */

static const unsigned char *
llmgw_sse_eol(const unsigned char *p, const unsigned char *end,
    const unsigned char **lf, const unsigned char **cr)
{
    if (*lf == NULL || *lf < p) {
        *lf = memchr(p, '\n', (size_t) (end - p));
        if (*lf == NULL) {
            *lf = end;
        }
    }

    if (*cr == NULL || *cr < p) {
        *cr = memchr(p, '\r', (size_t) (end - p));
        if (*cr == NULL) {
            *cr = end;
        }
    }

    return (*lf < *cr) ? *lf : *cr;
}


/* the event ends with p[0..n): in place unless its start is held */

static llmgw_sse_rc_e
llmgw_sse_emit(llmgw_sse_t *sse, const unsigned char *p, size_t n)
{
    llmgw_sse_rc_e  rc;

    if (sse->hold_len == 0) {
        if (n > sse->max_event) {
            return LLMGW_SSE_TOO_LONG;
        }

        return sse->event(sse->event_data, p, n) ? LLMGW_SSE_ABORT
                                                  : LLMGW_SSE_OK;
    }

    rc = llmgw_sse_hold(sse, p, n);
    if (rc != LLMGW_SSE_OK) {
        return rc;
    }

    n = sse->hold_len;
    sse->hold_len = 0;

    return sse->event(sse->event_data, sse->hold, n) ? LLMGW_SSE_ABORT
                                                      : LLMGW_SSE_OK;
}


llmgw_sse_rc_e
llmgw_sse_feed(llmgw_sse_t *sse, const unsigned char *p, size_t n)
{
    unsigned              state;
    llmgw_sse_rc_e        rc;
    const unsigned char  *start, *end, *lf, *cr;

    if (n == 0) {
        return LLMGW_SSE_OK;
    }

    start = p;
    end = p + n;
    state = sse->state;
    lf = NULL;
    cr = NULL;

    while (p < end) {

        switch (state) {

        case LLMGW_SSE_TEXT:
            p = llmgw_sse_eol(p, end, &lf, &cr);

            if (p == end) {
                continue;
            }

            state = (*p++ == '\n') ? LLMGW_SSE_BOL : LLMGW_SSE_CR;
            continue;

        case LLMGW_SSE_CR:
            if (*p == '\n') {
                state = LLMGW_SSE_BOL;
                p++;
                continue;
            }

            break;

        case LLMGW_SSE_BLANK_CR:
            if (*p == '\n') {
                p++;
            }

            state = LLMGW_SSE_BOL;

            rc = llmgw_sse_emit(sse, start, (size_t) (p - start));
            if (rc != LLMGW_SSE_OK) {
                return rc;
            }

            start = p;
            continue;
        }

        /* at the start of a line */

        if (*p == '\n') {
            p++;

            rc = llmgw_sse_emit(sse, start, (size_t) (p - start));
            if (rc != LLMGW_SSE_OK) {
                return rc;
            }

            start = p;
            state = LLMGW_SSE_BOL;

        } else if (*p == '\r') {
            p++;
            state = LLMGW_SSE_BLANK_CR;

        } else {
            p++;
            state = LLMGW_SSE_TEXT;
        }
    }

    sse->state = state;

    return llmgw_sse_hold(sse, start, (size_t) (end - start));
}


size_t
llmgw_sse_pending(const llmgw_sse_t *sse, const unsigned char **raw)
{
    *raw = sse->hold;
    return sse->hold_len;
}


static void
llmgw_sse_data(llmgw_sse_fields_t *fields, unsigned char *buf,
    const unsigned char *v, size_t n)
{
    if (fields->data_lines++ == 0) {
        fields->data = v;
        fields->data_len = n;
        return;
    }

    if (fields->data != buf) {
        memcpy(buf, fields->data, fields->data_len);
        fields->data = buf;
    }

    buf[fields->data_len++] = '\n';
    memcpy(buf + fields->data_len, v, n);
    fields->data_len += n;
}


void
llmgw_sse_parse_fields(const unsigned char *raw, size_t len,
    unsigned char *buf, llmgw_sse_fields_t *fields)
{
    size_t                name_len;
    const unsigned char  *p, *end, *line, *eol, *v, *lf, *cr;

    fields->event = NULL;
    fields->event_len = 0;
    fields->data = NULL;
    fields->data_len = 0;
    fields->data_lines = 0;

    if (len == 0) {
        return;
    }

    p = raw;
    end = raw + len;
    lf = NULL;
    cr = NULL;

    while (p < end) {
        line = p;
        p = llmgw_sse_eol(p, end, &lf, &cr);
        eol = p;

        if (p < end) {
            p += (*p == '\r' && end - p > 1 && p[1] == '\n') ? 2 : 1;
        }

        if (eol == line || *line == ':') {
            continue;
        }

        v = memchr(line, ':', (size_t) (eol - line));

        if (v) {
            name_len = (size_t) (v - line);
            v++;

            if (v < eol && *v == ' ') {
                v++;
            }

        } else {
            name_len = (size_t) (eol - line);
            v = eol;
        }

        if (name_len == 5 && memcmp(line, "event", 5) == 0) {
            fields->event = v;
            fields->event_len = (size_t) (eol - v);

        } else if (name_len == 4 && memcmp(line, "data", 4) == 0) {
            llmgw_sse_data(fields, buf, v, (size_t) (eol - v));
        }
    }
}
