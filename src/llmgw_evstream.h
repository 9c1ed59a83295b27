/*
 * llmgw: incremental decoder of AWS event streams
 * (application/vnd.amazon.eventstream, what Bedrock's converse-stream
 * answers with).
 *
 * Plain C, no nginx headers.  A message is
 *
 *   total length (4 bytes, big-endian), headers length (4), prelude CRC
 *   (4, over the 8 bytes before it), headers, payload, message CRC (4,
 *   over everything before it)
 *
 * and a header is a name length (1 byte), the name, a type (1) and a value:
 * 0 true and 1 false have none; 2 byte 1 byte; 3 short 2; 4 int 4; 5 long
 * 8; 6 bytes and 7 string a 2-byte length and that many bytes; 8 timestamp
 * 8 (milliseconds); 9 uuid 16.  Numbers are big-endian, signed.
 *
 * Bytes arrive split at any point and give the same messages.  The prelude
 * CRC is checked before its lengths are trusted, the message CRC and the
 * header block before the message is handed out.  A message lying whole
 * in one fed piece is handed out in place; one arriving in pieces is
 * gathered in a buffer that grows to the largest such message and is
 * reused, so a steady stream allocates nothing.  The CRC-32 (IEEE, zlib's)
 * is the caller's.
 */

#ifndef _LLMGW_EVSTREAM_H_INCLUDED_
#define _LLMGW_EVSTREAM_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


/* 16 MiB of payload, 128 KiB of headers, prelude and message CRC */
#define LLMGW_EVS_MAX_MESSAGE  (16 * 1024 * 1024 + 128 * 1024 + 16)

#define LLMGW_EVS_BOOL_TRUE    0
#define LLMGW_EVS_BOOL_FALSE   1
#define LLMGW_EVS_BYTE         2
#define LLMGW_EVS_SHORT        3
#define LLMGW_EVS_INT          4
#define LLMGW_EVS_LONG         5
#define LLMGW_EVS_BYTES        6
#define LLMGW_EVS_STRING       7
#define LLMGW_EVS_TIMESTAMP    8
#define LLMGW_EVS_UUID         9


/* zlib-style running CRC-32: crc(crc(0, a), b) == crc(0, ab) */
typedef uint32_t (*llmgw_crc32_pt)(uint32_t crc, const unsigned char *p,
    size_t len);


/* the string values of the headers AWS defines (NULL when absent or not a
 * string), the raw header block and the payload; valid in the handler
 * only */
typedef struct {
    const unsigned char   *message_type;      /* "event", "exception",
                                                 "error" */
    size_t                 message_type_len;
    const unsigned char   *event_type;        /* ":event-type" */
    size_t                 event_type_len;
    const unsigned char   *exception_type;    /* ":exception-type" */
    size_t                 exception_type_len;
    const unsigned char   *error_code;        /* ":error-code" */
    size_t                 error_code_len;
    const unsigned char   *error_message;     /* ":error-message" */
    size_t                 error_message_len;
    const unsigned char   *content_type;      /* ":content-type" */
    size_t                 content_type_len;

    const unsigned char   *headers;           /* for llmgw_evs_header_next() */
    size_t                 headers_len;
    const unsigned char   *payload;
    size_t                 payload_len;
} llmgw_evs_message_t;


/* 0, or -1 to stop the stream */
typedef int (*llmgw_evs_handler_pt)(void *data,
    const llmgw_evs_message_t *m);


typedef struct {
    llmgw_crc32_pt         crc32;
    llmgw_evs_handler_pt   handler;
    void                  *data;

    /* why the stream stopped: "Prelude checksum mismatch", "Message
     * checksum mismatch", "Malformed prelude", "Message too large",
     * "Malformed headers", "Out of memory", "Stopped by the handler" */
    const char            *error;

    unsigned char         *buf;       /* a message arriving in pieces */
    size_t                 cap;
    size_t                 held;      /* its bytes so far */
    size_t                 total;     /* its length, once its prelude is
                                         checked */
    unsigned char          prelude[12];
} llmgw_evs_t;


void llmgw_evs_init(llmgw_evs_t *e, llmgw_crc32_pt crc32,
    llmgw_evs_handler_pt handler, void *data);

/* Calls the handler for each message completed by p.  Returns 0, or -1
 * once the stream is malformed or corrupt or the handler stopped it
 * (e->error says which); every later call returns -1 too. */
int llmgw_evs_feed(llmgw_evs_t *e, const unsigned char *p, size_t len);

/* 1 between messages, where the stream may end; 0 within one or after an
 * error */
int llmgw_evs_idle(const llmgw_evs_t *e);

void llmgw_evs_free(llmgw_evs_t *e);


typedef struct {
    const unsigned char   *name;
    size_t                 name_len;
    unsigned               type;       /* LLMGW_EVS_BOOL_TRUE... */
    const unsigned char   *value;      /* NULL for the booleans; the bytes
                                          as sent, big-endian numbers */
    size_t                 value_len;
} llmgw_evs_header_t;

/* The header at *pos, before last: 1 with *h filled and *pos moved past
 * it, 0 at last, -1 when malformed (an unknown type, or running past
 * last). */
int llmgw_evs_header_next(const unsigned char **pos,
    const unsigned char *last, llmgw_evs_header_t *h);


#endif /* _LLMGW_EVSTREAM_H_INCLUDED_ */
