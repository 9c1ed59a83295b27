/*
 * libFuzzer target: src/providers/llmgw_anthropic_xlate.c.
 *
 * (a) The input as an Anthropic SSE stream, through the splitter and an
 * xstream to an OpenAI client and to an Anthropic client, fed whole, cut
 * in two at a point the input picks and (when short) byte by byte: the
 * client's output must not depend on the cuts, and must be well formed
 * (xstream.h): valid JSON chunks ending in [DONE] or an error, or
 * Anthropic events in order ending in message_stop or an error.
 *
 * (b) The input as JSON through request_in, request_out, response_in,
 * response_out and error_in, and each output through the next stage; a
 * response that response_in reads, response_out must write.
 *
 * Everything is freed: the leak checker runs.
 */

/* the longest event the splitter takes, so that longer ones fail streams */
#define FUZZ_MAX_EVENT  4096

#include "xstream.h"


#define ANT  (&llmgw_format_anthropic)
#define OAI  (&llmgw_format_openai)


static void
fuzz_stream(const uint8_t *data, size_t size, const llmgw_format_t *client)
{
    size_t       cut;
    llmgw_out_t  whole, got;

    cut = size ? (size_t) data[size / 2] * size / 255 : 0;

    run(&whole, ANT, client, data, size, size, 0);
    check_client(client, &whole);

    run(&got, ANT, client, data, size, cut, 0);
    check_same(&got, &whole);
    llmgw_out_free(&got);

    if (size <= 512) {
        run(&got, ANT, client, data, size, 0, 1);
        check_same(&got, &whole);
        llmgw_out_free(&got);
    }

    llmgw_out_free(&whole);
}


static json_t *
request_out(json_t *canon, unsigned vertex, unsigned stream)
{
    json_t        *out;
    llmgw_xerr_t   err;
    llmgw_xreq_t   opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "claude-sonnet-4-5";
    opt.model_len = 17;
    opt.default_max_tokens = vertex ? 0 : 4096;
    opt.vertex = vertex;
    opt.stream = stream;

    out = ANT->request_out(canon, &opt, &err);

    if (out == NULL) {
        check_err(&err);
        return NULL;
    }

    CHECK(json_is_array(json_object_get(out, "messages")));
    CHECK(json_integer_value(json_object_get(out, "max_tokens")) > 0);
    dump_check(out);

    return out;
}


static void
fuzz_json(const uint8_t *data, size_t size)
{
    json_t        *v, *canon, *out, *resp;
    llmgw_xerr_t   err;

    v = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return;
    }

    canon = ANT->request_in(v, &err);

    if (canon) {
        dump_check(canon);
        json_decref(request_out(canon, 0, 1));
        json_decref(canon);

    } else {
        check_err(&err);
    }

    json_decref(request_out(v, 0, 0));
    json_decref(request_out(v, 1, 1));

    canon = ANT->response_in(v, &err);

    if (canon) {
        dump_check(canon);
        resp = ANT->response_out(canon, &err);
        CHECK(resp != NULL);
        dump_check(resp);
        json_decref(resp);
        json_decref(canon);

    } else {
        check_err(&err);
    }

    out = ANT->response_out(v, &err);

    if (out) {
        dump_check(out);
        json_decref(out);

    } else {
        check_err(&err);
    }

    if (ANT->error_in(v, 400, &err) == 0) {
        check_err(&err);
    }

    if (ANT->error_in(v, 200, &err) == 0) {
        check_err(&err);
    }

    json_decref(v);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream(data, size, OAI);
    fuzz_stream(data, size, ANT);
    fuzz_json(data, size);

    return 0;
}
