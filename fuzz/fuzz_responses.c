/*
 * libFuzzer target: src/providers/llmgw_responses_xlate.c, OpenAI's
 * Responses API as a client format.
 *
 * (a) The input as JSON through request_in and response_out; a response
 * that Anthropic's response_in reads, response_out must write.
 *
 * (b) Its first byte picks a provider ('a' Anthropic, 'g' Gemini, any
 * other OpenAI); the rest, as that provider's SSE stream, through the
 * splitter and an xstream to a Responses client, fed whole, cut in two at
 * a point the input picks and (when short) byte by byte: the output must
 * not depend on the cuts, and must be well formed: "event: NAME" and
 * "data: {JSON of type NAME}" each, sequence_number 0, 1, 2, ..., items
 * added in order of output_index, item events only to open items, each
 * item done once, and one final event last: response.completed with every
 * item done and in its output, or response.failed.
 *
 * Everything is freed: the leak checker runs.
 */

/* the longest event the splitter takes, so that longer ones fail streams */
#define FUZZ_MAX_EVENT  4096

#include "xstream.h"


#define RSP  (&llmgw_format_responses)
#define ANT  (&llmgw_format_anthropic)
#define GEM  (&llmgw_format_gemini)
#define OAI  (&llmgw_format_openai)


/* the items of a Responses stream: 1 open, 2 done */
typedef struct {
    unsigned char  *item;
    size_t          items;
    size_t          size;
    size_t          done;
    json_int_t      seq;
    unsigned        final;
} rstate_t;


static void
check_item_event(rstate_t *st, const char *name, json_t *ev)
{
    json_t      *index;
    json_int_t   k;

    index = json_object_get(ev, "output_index");
    k = json_integer_value(index);

    if (strcmp(name, "response.output_item.added") == 0) {
        CHECK(json_is_integer(index) && k == (json_int_t) st->items);

        if (st->items == st->size) {
            st->size = st->size ? 2 * st->size : 16;
            st->item = realloc(st->item, st->size);
            CHECK(st->item != NULL);
        }

        st->item[st->items++] = 1;
        return;
    }

    CHECK(json_is_integer(index) && k >= 0 && (size_t) k < st->items);
    CHECK(st->item[k] == 1);

    if (strcmp(name, "response.output_item.done") == 0) {
        CHECK(json_is_object(json_object_get(ev, "item")));
        st->item[k] = 2;
        st->done++;
    }
}


static void
check_event(rstate_t *st, const char *name, json_t *ev)
{
    size_t   i;
    json_t  *resp, *output;

    CHECK(!st->final);
    CHECK(json_integer_value(json_object_get(ev, "sequence_number"))
          == st->seq++);

    resp = json_object_get(ev, "response");
    output = json_object_get(resp, "output");

    if (strcmp(name, "response.created") == 0
        || strcmp(name, "response.in_progress") == 0)
    {
        CHECK(st->items == 0 && json_array_size(output) == 0);
        return;
    }

    if (strcmp(name, "response.completed") == 0) {
        for (i = 0; i < st->items; i++) {
            CHECK(st->item[i] == 2);
        }
    }

    if (strcmp(name, "response.completed") == 0
        || strcmp(name, "response.failed") == 0)
    {
        CHECK(json_is_array(output) && json_array_size(output) == st->done);
        st->final = 1;
        return;
    }

    check_item_event(st, name, ev);
}


/* "event: NAME\ndata: {JSON of type NAME}\n\n" each, in order */

static void
check_responses(const llmgw_out_t *o)
{
    char         name[64];
    size_t       i, end, nl, n;
    json_t      *v;
    rstate_t     st;
    const char  *p, *type;

    p = (const char *) o->data;
    memset(&st, 0, sizeof(rstate_t));

    for (i = 0; i < o->len; i = end + 2) {
        CHECK(o->len - i > 7 && memcmp(p + i, "event: ", 7) == 0);

        for (nl = i + 7; nl < o->len && p[nl] != '\n'; nl++) { /* void */ }

        n = nl - i - 7;
        CHECK(nl < o->len && n < sizeof(name));
        memcpy(name, p + i + 7, n);
        name[n] = '\0';

        CHECK(o->len - nl > 7 && memcmp(p + nl + 1, "data: ", 6) == 0);

        for (end = nl + 7; end + 1 < o->len
                           && !(p[end] == '\n' && p[end + 1] == '\n');
             end++)
        {
            /* void */
        }

        CHECK(end + 1 < o->len);

        v = json_loadb(p + nl + 7, end - nl - 7, 0, NULL);
        CHECK(json_is_object(v));
        type = json_string_value(json_object_get(v, "type"));
        CHECK(type != NULL && strcmp(type, name) == 0);
        check_event(&st, name, v);
        json_decref(v);
    }

    CHECK(st.final);
    free(st.item);
}


static void
fuzz_stream(const llmgw_format_t *provider, const uint8_t *data,
    size_t size)
{
    size_t       cut;
    llmgw_out_t  whole, got;

    cut = size ? (size_t) data[size / 2] * size / 255 : 0;

    run(&whole, provider, RSP, data, size, size, 0);
    check_responses(&whole);

    run(&got, provider, RSP, data, size, cut, 0);
    check_same(&got, &whole);
    llmgw_out_free(&got);

    if (size <= 512) {
        run(&got, provider, RSP, data, size, 0, 1);
        check_same(&got, &whole);
        llmgw_out_free(&got);
    }

    llmgw_out_free(&whole);
}


static void
fuzz_json(const uint8_t *data, size_t size)
{
    json_t        *v, *canon;
    llmgw_xerr_t   err;

    v = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        return;
    }

    canon = RSP->request_in(v, &err);

    if (canon) {
        CHECK(json_array_size(json_object_get(canon, "messages")) > 0);
        dump_check(canon);
        json_decref(canon);

    } else {
        check_err(&err);
        CHECK(err.status == 400 || err.status == 500);
    }

    result(RSP->response_out(v, &err), &err);

    canon = ANT->response_in(v, &err);

    if (canon) {
        json_t  *resp;

        resp = RSP->response_out(canon, &err);
        CHECK(resp != NULL);
        CHECK(json_is_array(json_object_get(resp, "output")));
        dump_check(resp);
        json_decref(resp);
        json_decref(canon);
    }

    json_decref(v);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_json(data, size);

    if (size) {
        fuzz_stream(data[0] == 'a' ? ANT : data[0] == 'g' ? GEM : OAI,
                    data + 1, size - 1);
    }

    return 0;
}
