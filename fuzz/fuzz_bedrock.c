/*
 * libFuzzer target: src/providers/llmgw_bedrock_xlate.c.
 *
 * (a) The input as the messages of a ConverseStream, one a line:
 * "<name>\t<payload>" (a line without a tab: a name, no payload), each
 * handed to an xstream as the gateway hands a decoded event-stream
 * message (the :event-type, or the :exception-type), to an OpenAI client
 * and to an Anthropic client, then the end.  The deltas must begin with
 * START (or an ERROR), hold at most one FINISH with nothing but USAGE
 * after it, arguments only for calls started, and end with END or ERROR
 * exactly once, nothing after; OpenAI chunks must be valid JSON ending in
 * [DONE] or an error; Anthropic events well formed and in order.
 *
 * (b) The input as JSON through request_out (for Claude and for Nova),
 * response_in (and its result through Anthropic's response_out),
 * error_in, embed_out (Titan, Cohere, others) and embed_in.
 *
 * Everything is freed: the leak checker runs.
 */

#include "xstream.h"


#define BED  (&llmgw_format_bedrock)
#define ANT  (&llmgw_format_anthropic)
#define OAI  (&llmgw_format_openai)


/* the deltas a client's encoder gets, checked on their way */

typedef struct {
    const llmgw_format_t  *real;
    unsigned               deltas;
    unsigned               ends;      /* END and ERROR */
    unsigned               finishes;
    unsigned               tools;     /* TOOL_STARTs */
} spy_t;


static spy_t           spy;
static llmgw_format_t  spy_format;


static int
spy_encode(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    CHECK(spy.ends == 0);
    CHECK(spy.deltas++ > 0 || d->type == LLMGW_DELTA_START
          || d->type == LLMGW_DELTA_ERROR);
    CHECK(d->type != LLMGW_DELTA_START || spy.deltas == 1);
    CHECK(d->choice == 0);

    switch (d->type) {

    case LLMGW_DELTA_TEXT:
    case LLMGW_DELTA_REASONING:
        CHECK(spy.finishes == 0);
        CHECK(d->text != NULL && d->text_len > 0);
        break;

    case LLMGW_DELTA_TOOL_START:
        CHECK(spy.finishes == 0);
        CHECK(d->tool == spy.tools);
        CHECK(d->id != NULL && d->name != NULL);
        spy.tools++;
        break;

    case LLMGW_DELTA_TOOL_ARGS:
        CHECK(spy.finishes == 0);
        CHECK(d->tool < spy.tools);
        CHECK(d->text != NULL && d->text_len > 0);
        break;

    case LLMGW_DELTA_FINISH:
        CHECK(spy.finishes++ == 0);
        CHECK(d->finish != NULL);
        break;

    case LLMGW_DELTA_USAGE:
        CHECK(d->usage.prompt >= -1 && d->usage.completion >= -1);
        break;

    case LLMGW_DELTA_ERROR:
        CHECK(d->error_type != NULL && d->text != NULL);
        spy.ends++;
        break;

    case LLMGW_DELTA_END:
        CHECK(spy.finishes == 1);
        spy.ends++;
        break;

    default:
        break;
    }

    return spy.real->encode(s, d);
}


/* the lines of the input as messages, then the end */

static void
run_stream(llmgw_out_t *got, const llmgw_format_t *client,
    const uint8_t *data, size_t size)
{
    char             *name, *payload;
    size_t            i, end, tab, nlen, plen;
    llmgw_xstream_t   s;

    memset(&spy, 0, sizeof(spy_t));
    spy.real = client;
    spy_format = *client;
    spy_format.encode = spy_encode;

    memset(got, 0, sizeof(llmgw_out_t));
    CHECK(llmgw_xstream_init(&s, BED, &spy_format, "m", 1, 1) == 0);
    s.include_usage = 1;

    for (i = 0; i < size; i = end + 1) {
        for (end = i; end < size && data[end] != '\n'; end++) { /* void */ }
        for (tab = i; tab < end && data[tab] != '\t'; tab++) { /* void */ }

        /* each of its exact length, not terminated, for the address
         * checker */
        nlen = tab - i;
        plen = tab < end ? end - tab - 1 : 0;
        name = malloc(nlen ? nlen : 1);
        payload = tab < end ? malloc(plen ? plen : 1) : NULL;
        CHECK(name != NULL && (tab == end || payload != NULL));
        memcpy(name, data + i, nlen);

        if (payload) {
            memcpy(payload, data + tab + 1, plen);
        }

        llmgw_xstream_event(&s, name, nlen, payload, plen);
        free(name);
        free(payload);

        llmgw_out_raw(got, s.out.data, s.out.len);
        s.out.len = 0;
    }

    llmgw_xstream_end(&s);
    llmgw_out_raw(got, s.out.data, s.out.len);

    CHECK(s.ended);
    CHECK(spy.ends == 1);
    CHECK(!got->failed);

    llmgw_xstream_free(&s);
}


static void
fuzz_stream(const uint8_t *data, size_t size)
{
    llmgw_out_t  got;

    run_stream(&got, OAI, data, size);
    check_openai(&got);
    llmgw_out_free(&got);

    run_stream(&got, ANT, data, size);
    check_anthropic(&got);
    llmgw_out_free(&got);
}


/* whole bodies */

static void
request_out(json_t *v, const char *model, int64_t dflt)
{
    json_t        *out;
    llmgw_xerr_t   err;
    llmgw_xreq_t   opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = model;
    opt.model_len = strlen(model);
    opt.default_max_tokens = dflt;
    opt.stream = 1;

    memset(&err, 0, sizeof(llmgw_xerr_t));
    out = BED->request_out(v, &opt, &err);

    if (out == NULL) {
        check_err(&err);
        return;
    }

    CHECK(json_array_size(json_object_get(out, "messages")) > 0);
    CHECK(json_object_get(out, "model") == NULL);
    dump_check(out);
    json_decref(out);
}


static void
embed_out(json_t *v, const char *model)
{
    json_t        *out;
    llmgw_xerr_t   err;
    llmgw_xreq_t   opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = model;
    opt.model_len = strlen(model);

    memset(&err, 0, sizeof(llmgw_xerr_t));
    out = BED->embed_out(v, &opt, &err);

    if (out == NULL) {
        check_err(&err);
        return;
    }

    dump_check(out);
    json_decref(out);
}


static void
fuzz_json(const uint8_t *data, size_t size)
{
    json_t        *v, *canon, *out;
    llmgw_xerr_t   err;

    v = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return;
    }

    request_out(v, "us.anthropic.claude-sonnet-4-20250514-v1:0", 4096);
    request_out(v, "amazon.nova-lite-v1:0", 0);

    memset(&err, 0, sizeof(llmgw_xerr_t));
    canon = BED->response_in(v, &err);

    if (canon) {
        dump_check(canon);
        CHECK(json_is_object(json_object_get(json_array_get(
                  json_object_get(canon, "choices"), 0), "message")));

        out = ANT->response_out(canon, &err);
        CHECK(out != NULL);
        dump_check(out);
        json_decref(out);
        json_decref(canon);

    } else {
        check_err(&err);
    }

    memset(&err, 0, sizeof(llmgw_xerr_t));
    if (BED->error_in(v, 429, &err) == 0) {
        check_err(&err);
    }

    memset(&err, 0, sizeof(llmgw_xerr_t));
    if (BED->error_in(v, 200, &err) == 0) {
        check_err(&err);
    }

    embed_out(v, "amazon.titan-embed-text-v2:0");
    embed_out(v, "amazon.titan-embed-text-v1");
    embed_out(v, "cohere.embed-multilingual-v3");
    embed_out(v, "cohere.embed-v4:0");
    embed_out(v, "meta.llama3");

    memset(&err, 0, sizeof(llmgw_xerr_t));
    out = BED->embed_in(v, "m", &err);

    if (out) {
        dump_check(out);
        json_decref(out);

    } else {
        check_err(&err);
    }

    json_decref(v);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream(data, size);
    fuzz_json(data, size);

    return 0;
}
