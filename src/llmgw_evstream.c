/*
 * llmgw: incremental decoder of AWS event streams.
 */

#include <stdlib.h>
#include <string.h>

#include "llmgw_evstream.h"


#define LLMGW_EVS_PRELUDE  12            /* two lengths and their CRC */
#define LLMGW_EVS_MIN      16            /* prelude and message CRC */


/* the headers whose string values a message carries by name */

static const struct {
    const char  *name;
    size_t       len;
    size_t       value;
    size_t       value_len;
} llmgw_evs_known[] = {

#define LLMGW_EVS_KNOWN(name, field)                                        \
    { name, sizeof(name) - 1, offsetof(llmgw_evs_message_t, field),         \
      offsetof(llmgw_evs_message_t, field##_len) }

    LLMGW_EVS_KNOWN(":message-type", message_type),
    LLMGW_EVS_KNOWN(":event-type", event_type),
    LLMGW_EVS_KNOWN(":exception-type", exception_type),
    LLMGW_EVS_KNOWN(":error-code", error_code),
    LLMGW_EVS_KNOWN(":error-message", error_message),
    LLMGW_EVS_KNOWN(":content-type", content_type)

#undef LLMGW_EVS_KNOWN
};


static uint32_t
llmgw_evs_be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static int
llmgw_evs_fail(llmgw_evs_t *e, const char *error)
{
    e->error = error;

    return -1;
}


void
llmgw_evs_init(llmgw_evs_t *e, llmgw_crc32_pt crc32,
    llmgw_evs_handler_pt handler, void *data)
{
    memset(e, 0, sizeof(llmgw_evs_t));

    e->crc32 = crc32;
    e->handler = handler;
    e->data = data;
}


void
llmgw_evs_free(llmgw_evs_t *e)
{
    free(e->buf);

    e->buf = NULL;
    e->cap = 0;
    e->held = 0;
}


int
llmgw_evs_idle(const llmgw_evs_t *e)
{
    return e->error == NULL && e->held == 0;
}


int
llmgw_evs_header_next(const unsigned char **pos, const unsigned char *last,
    llmgw_evs_header_t *h)
{
    size_t                n;
    const unsigned char  *p;

    static const unsigned char  sizes[] = { 0, 0, 1, 2, 4, 8, 0, 0, 8, 16 };

    p = *pos;

    if (p == last) {
        return 0;
    }

    n = *p++;

    if ((size_t) (last - p) < n + 1) {
        return -1;
    }

    h->name = p;
    h->name_len = n;
    p += n;
    h->type = *p++;

    if (h->type > LLMGW_EVS_UUID) {
        return -1;
    }

    if (h->type == LLMGW_EVS_BYTES || h->type == LLMGW_EVS_STRING) {
        if (last - p < 2) {
            return -1;
        }

        n = (size_t) p[0] << 8 | p[1];
        p += 2;

    } else {
        n = sizes[h->type];
    }

    if ((size_t) (last - p) < n) {
        return -1;
    }

    h->value = (h->type > LLMGW_EVS_BOOL_FALSE) ? p : NULL;
    h->value_len = n;
    *pos = p + n;

    return 1;
}


static void
llmgw_evs_known_header(llmgw_evs_message_t *m, const llmgw_evs_header_t *h)
{
    size_t  i;

    for (i = 0; i < sizeof(llmgw_evs_known) / sizeof(llmgw_evs_known[0]);
         i++)
    {
        if (h->name_len == llmgw_evs_known[i].len
            && memcmp(h->name, llmgw_evs_known[i].name, h->name_len) == 0)
        {
            *(const unsigned char **) ((char *) m + llmgw_evs_known[i].value)
                = h->value;
            *(size_t *) ((char *) m + llmgw_evs_known[i].value_len)
                = h->value_len;
            return;
        }
    }
}


/* sets e->total from a prelude whose CRC and lengths hold */
static int
llmgw_evs_prelude(llmgw_evs_t *e, const unsigned char *p)
{
    uint32_t  total, hlen;

    if (e->crc32(0, p, 8) != llmgw_evs_be32(p + 8)) {
        return llmgw_evs_fail(e, "Prelude checksum mismatch");
    }

    total = llmgw_evs_be32(p);
    hlen = llmgw_evs_be32(p + 4);

    if (total > LLMGW_EVS_MAX_MESSAGE) {
        return llmgw_evs_fail(e, "Message too large");
    }

    if (total < LLMGW_EVS_MIN || hlen > total - LLMGW_EVS_MIN) {
        return llmgw_evs_fail(e, "Malformed prelude");
    }

    e->total = total;

    return 0;
}


/* the e->total bytes at p, prelude checked: to the handler */
static int
llmgw_evs_message(llmgw_evs_t *e, const unsigned char *p)
{
    int                   rc;
    size_t                hlen;
    const unsigned char  *pos, *last;
    llmgw_evs_header_t    h;
    llmgw_evs_message_t   m;

    if (e->crc32(0, p, e->total - 4) != llmgw_evs_be32(p + e->total - 4)) {
        return llmgw_evs_fail(e, "Message checksum mismatch");
    }

    hlen = llmgw_evs_be32(p + 4);

    memset(&m, 0, sizeof(llmgw_evs_message_t));

    m.headers = p + LLMGW_EVS_PRELUDE;
    m.headers_len = hlen;
    m.payload = m.headers + hlen;
    m.payload_len = e->total - LLMGW_EVS_MIN - hlen;

    pos = m.headers;
    last = m.payload;

    while ((rc = llmgw_evs_header_next(&pos, last, &h)) == 1) {
        if (h.type == LLMGW_EVS_STRING) {
            llmgw_evs_known_header(&m, &h);
        }
    }

    if (rc != 0) {
        return llmgw_evs_fail(e, "Malformed headers");
    }

    if (e->handler(e->data, &m) != 0) {
        return llmgw_evs_fail(e, "Stopped by the handler");
    }

    return 0;
}


/* the messages lying whole from p on, handed out in place; returns where
 * the first incomplete one starts, or NULL */
static const unsigned char *
llmgw_evs_whole(llmgw_evs_t *e, const unsigned char *p,
    const unsigned char *last)
{
    while (last - p >= LLMGW_EVS_PRELUDE) {
        if (llmgw_evs_prelude(e, p) != 0) {
            return NULL;
        }

        if ((size_t) (last - p) < e->total) {
            break;
        }

        if (llmgw_evs_message(e, p) != 0) {
            return NULL;
        }

        p += e->total;
    }

    return p;
}


static int
llmgw_evs_grow(llmgw_evs_t *e)
{
    size_t  cap;

    if (e->cap >= e->total) {
        return 0;
    }

    for (cap = e->cap ? e->cap : 4096; cap < e->total; cap *= 2) {
        /* void */
    }

    cap = (cap < LLMGW_EVS_MAX_MESSAGE) ? cap : LLMGW_EVS_MAX_MESSAGE;

    free(e->buf);

    e->buf = malloc(cap);

    if (e->buf == NULL) {
        e->cap = 0;
        return llmgw_evs_fail(e, "Out of memory");
    }

    e->cap = cap;

    return 0;
}


/* gathers the message arriving in pieces; returns where it stopped
 * reading, or NULL */
static const unsigned char *
llmgw_evs_hold(llmgw_evs_t *e, const unsigned char *p,
    const unsigned char *last)
{
    size_t  n;

    if (e->held < LLMGW_EVS_PRELUDE) {
        n = LLMGW_EVS_PRELUDE - e->held;
        n = ((size_t) (last - p) < n) ? (size_t) (last - p) : n;

        memcpy(e->prelude + e->held, p, n);
        e->held += n;
        p += n;

        if (e->held < LLMGW_EVS_PRELUDE) {
            return p;
        }

        if (llmgw_evs_prelude(e, e->prelude) != 0 || llmgw_evs_grow(e) != 0)
        {
            return NULL;
        }

        memcpy(e->buf, e->prelude, LLMGW_EVS_PRELUDE);
    }

    n = e->total - e->held;
    n = ((size_t) (last - p) < n) ? (size_t) (last - p) : n;

    memcpy(e->buf + e->held, p, n);
    e->held += n;
    p += n;

    if (e->held < e->total) {
        return p;
    }

    e->held = 0;

    return llmgw_evs_message(e, e->buf) == 0 ? p : NULL;
}


int
llmgw_evs_feed(llmgw_evs_t *e, const unsigned char *p, size_t len)
{
    const unsigned char  *last;

    if (e->error) {
        return -1;
    }

    if (len == 0) {
        return 0;
    }

    last = p + len;

    while (p < last) {
        if (e->held == 0) {
            p = llmgw_evs_whole(e, p, last);

            if (p == NULL) {
                return -1;
            }

            if (p == last) {
                break;
            }
        }

        p = llmgw_evs_hold(e, p, last);

        if (p == NULL) {
            return -1;
        }
    }

    return 0;
}
