/*
 * libFuzzer target: src/llmgw_openai_xlate.c (and the small
 * src/providers/llmgw_vertex_xlate.c).
 *
 * The input as an OpenAI SSE stream, through the splitter and an xstream
 * to OpenAI chunks and Anthropic events, fed
 * whole and cut at a point derived from the input: the output must be the
 * same, every chunk valid JSON, and the stream must end.  Then the input
 * as JSON through every whole-body translation, each result dumped and
 * freed.
 */

#include "xstream.h"


static void
whole(const uint8_t *data, size_t size)
{
    json_t        *v;
    llmgw_xreq_t   opt;
    llmgw_xerr_t   err;

    v = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);

    if (v == NULL) {
        return;
    }

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "gpt-4o-mini";
    opt.model_len = 11;
    opt.stream = size & 1;
    opt.stream_usage = (size >> 1) & 1;

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_openai.request_out(v, &opt, &err), &err);

    memset(&err, 0, sizeof(llmgw_xerr_t));
    if (llmgw_format_openai.error_in(v, 400, &err) == 0) {
        result(NULL, &err);
    }

    memset(&err, 0, sizeof(llmgw_xerr_t));
    if (llmgw_format_openai.error_in(v, 200, &err) == 0) {
        result(NULL, &err);
    }

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_vertex_predict.embed_out(v, &opt, &err), &err);

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_vertex_predict.embed_in(v, "m", &err), &err);

    json_decref(v);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t  cut;

    cut = cut_point(data, size);

    stream(&llmgw_format_openai, &llmgw_format_openai, data, size, cut);
    stream(&llmgw_format_openai, &llmgw_format_anthropic, data, size, cut);

    whole(data, size);

    return 0;
}
