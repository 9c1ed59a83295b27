/*
 * llmgw parser bench: runs one parser over one input ITER times, for
 * callgrind (make bench) or perf stat.
 *
 *   bench DIR scan|chat|emb-b64|emb-float|sse|sse-fields [ITER]
 *
 * The work is done in bench_run(), so `callgrind --toggle-collect=bench_run`
 * counts only the parsers; the program prints the bytes and events per
 * iteration to divide by.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmgw_json.h"
#include "llmgw_sse.h"
#include "read_file.h"


typedef struct {
    unsigned char  *hold;
    size_t          events;
    int             fields;
    unsigned char   buf[65536];
} bench_sse_t;


static void *
bench_alloc(void *data, size_t size)
{
    return malloc(size);
}


static int
bench_event(void *data, const unsigned char *raw, size_t len)
{
    bench_sse_t         *b;
    llmgw_sse_fields_t   f;

    b = data;
    b->events++;

    if (b->fields && len <= sizeof(b->buf)) {
        llmgw_sse_parse_fields(raw, len, b->buf, &f);
    }

    return 0;
}


static size_t  bench_sink;


static void __attribute__((noinline))
bench_run(const char *what, const unsigned char *buf, size_t len,
    unsigned iter, bench_sse_t *b)
{
    unsigned               i;
    llmgw_sse_t            sse;
    llmgw_json_scan_t      scan;
    llmgw_json_span_t      v[8];
    llmgw_json_capture_t  *cap;
    llmgw_json_field_t     fields[] = {
        { "model", 5, &v[0] },
        { "stream", 6, &v[1] },
        { "stream_options", 14, &v[2] },
        { "messages", 8, &v[3] },
        { "input", 5, &v[4] },
        { "max_tokens", 10, &v[5] },
        { "max_completion_tokens", 21, &v[6] },
        { "user", 4, &v[7] },
    };

    cap = malloc(sizeof(llmgw_json_capture_t));

    for (i = 0; i < iter; i++) {

        if (strcmp(what, "scan") == 0) {
            bench_sink += llmgw_json_scan_object(buf, len, 64, fields, 8,
                                                 &scan);

        } else if (strncmp(what, "sse", 3) == 0) {
            sse.alloc = bench_alloc;
            sse.alloc_data = NULL;
            sse.event = bench_event;
            sse.event_data = b;
            sse.max_event = 1 << 20;
            llmgw_sse_init(&sse);
            bench_sink += llmgw_sse_feed(&sse, buf, len);

        } else {
            llmgw_json_capture_init(cap, "usage", 5);
            llmgw_json_capture_feed(cap, buf, len);
            bench_sink += cap->value_len;
        }
    }

    free(cap);
}


int
main(int argc, char **argv)
{
    size_t          len;
    unsigned        iter;
    const char     *what, *name;
    bench_sse_t    *b;
    unsigned char  *buf;

    if (argc < 3) {
        fprintf(stderr, "usage: bench DIR scan|chat|emb-b64|emb-float|sse"
                        "|sse-fields [ITER]\n");
        return 2;
    }

    what = argv[2];
    iter = argc > 3 ? (unsigned) atoi(argv[3]) : 100;

    if (strcmp(what, "scan") == 0) {
        name = "body.json";
    } else if (strcmp(what, "chat") == 0) {
        name = "chat.json";
    } else if (strcmp(what, "emb-b64") == 0) {
        name = "emb-b64.json";
    } else if (strcmp(what, "emb-float") == 0) {
        name = "emb-float.json";
    } else {
        name = "stream.sse";
    }

    buf = unit_read_file(argv[1], name, &len);
    b = calloc(1, sizeof(bench_sse_t));
    b->fields = (strcmp(what, "sse-fields") == 0);

    bench_run(what, buf, len, iter, b);

    printf("%s: %zu bytes, %zu events, %u iterations (%zu)\n", what, len,
           b->events / (iter ? iter : 1), iter, bench_sink);

    free(b);
    free(buf);

    return 0;
}
