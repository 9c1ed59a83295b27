/*
 * libFuzzer target: src/providers/llmgw_cohere_xlate.c.
 *
 * The input as a Cohere v2 SSE stream, through the splitter and an xstream
 * to OpenAI chunks and Anthropic events, fed whole and cut at a point
 * derived from the input: the output must be the same, every chunk valid
 * JSON, and the stream must end.  Then the input as JSON through every
 * whole-body translation, a canonical response on to the clients' shapes,
 * each result dumped and freed.
 */

#include "xstream.h"


static void
clients(json_t *canon)
{
    llmgw_xerr_t  err;

    if (canon == NULL) {
        return;
    }

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_anthropic.response_out(canon, &err), &err);
}


static void
whole(const uint8_t *data, size_t size)
{
    int            status;
    json_t        *v, *canon;
    llmgw_xreq_t   opt;
    llmgw_xerr_t   err;

    static const int  statuses[] = { 200, 400, 429, 498, 499, 503 };

    v = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);

    if (v == NULL) {
        return;
    }

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "command-a-03-2025";
    opt.model_len = 17;

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_cohere.request_out(v, &opt, &err), &err);

    opt.stream = 1;
    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_cohere.request_out(v, &opt, &err), &err);

    memset(&err, 0, sizeof(llmgw_xerr_t));
    canon = llmgw_format_cohere.response_in(v, &err);
    clients(canon);
    result(canon, &err);

    for (status = 0; status < 6; status++) {
        memset(&err, 0, sizeof(llmgw_xerr_t));

        if (llmgw_format_cohere.error_in(v, statuses[status], &err) == 0) {
            result(NULL, &err);
        }
    }

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_cohere.embed_out(v, &opt, &err), &err);

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_cohere.embed_in(v, "m", &err), &err);

    json_decref(v);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t  cut;

    cut = cut_point(data, size);

    stream(&llmgw_format_cohere, &llmgw_format_openai, data, size, cut);

    stream(&llmgw_format_cohere, &llmgw_format_anthropic, data, size, cut);

    whole(data, size);

    return 0;
}
