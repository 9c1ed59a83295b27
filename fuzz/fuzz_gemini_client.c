/*
 * libFuzzer target: src/providers/llmgw_gemini_client.c, Gemini's client
 * side.
 *
 * The input as JSON through request_in (and countTokens' unwrapping),
 * response_out and error_out, each result dumped and freed.  Then as a
 * provider's SSE stream, the provider chosen by the first byte ('o'
 * OpenAI, 'a' Anthropic, else Gemini), through the splitter and an
 * xstream to a Gemini client, fed whole and cut at a point derived from
 * the input (and byte by byte when short): the output must be the same
 * every way, and well formed: "data: <GenerateContentResponse>" events
 * ended by CRLF CRLF, calls whole with object arguments, and one end, the
 * event with the finishReason or the error line, last.
 */

#include "xstream.h"
#include "providers/llmgw_gemini_client.h"


#define BYTEWISE_MAX  512


static void
whole(const uint8_t *data, size_t size)
{
    json_t        *v, *req;
    llmgw_out_t    o;
    llmgw_xerr_t   err;

    v = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);

    if (v == NULL) {
        return;
    }

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_gemini.request_in(v, &err), &err);

    memset(&err, 0, sizeof(llmgw_xerr_t));
    result(llmgw_format_gemini.response_out(v, &err), &err);

    memset(&err, 0, sizeof(llmgw_xerr_t));
    req = llmgw_gemini_count_request(v, &err);

    if (req == NULL) {
        check_err(&err);

    } else {
        memset(&err, 0, sizeof(llmgw_xerr_t));
        result(llmgw_format_gemini.request_in(req, &err), &err);
        json_decref(req);
    }

    if (json_is_string(v)) {
        memset(&o, 0, sizeof(llmgw_out_t));
        llmgw_format_gemini.error_out(&o, json_string_value(v), NULL,
                                      json_string_value(v),
                                      json_string_length(v));
        CHECK(!o.failed && o.len > 0 && o.data[o.len - 1] == '\n');

        req = json_loadb((char *) o.data, o.len, 0, NULL);
        CHECK(json_is_object(json_object_get(req, "error")));
        json_decref(req);
        llmgw_out_free(&o);
    }

    json_decref(v);
}


/* a part: text (a thought or not), or a whole call */

static void
check_part(json_t *part)
{
    json_t  *fc, *thought;

    thought = json_object_get(part, "thought");
    fc = json_object_get(part, "functionCall");

    if (fc == NULL) {
        CHECK(json_is_string(json_object_get(part, "text")));
        CHECK(json_string_length(json_object_get(part, "text")) > 0);
        CHECK(json_object_size(part) == 1u + (thought != NULL));
        CHECK(thought == NULL || json_is_true(thought));
        return;
    }

    CHECK(json_object_size(part) == 1);
    CHECK(json_is_string(json_object_get(fc, "name")));
    CHECK(json_is_object(json_object_get(fc, "args")));
}


/* one event's JSON: 1 when it holds the finishReason */

static unsigned
check_event(const char *p, size_t len)
{
    size_t       k;
    json_t      *ev, *cands, *cand, *parts, *part;
    unsigned     last;
    const char  *finish, *model;

    ev = json_loadb(p, len, JSON_ALLOW_NUL, NULL);
    CHECK(json_is_object(ev));

    cands = json_object_get(ev, "candidates");
    cand = json_array_get(cands, 0);
    parts = json_object_get(json_object_get(cand, "content"), "parts");
    finish = json_string_value(json_object_get(cand, "finishReason"));

    CHECK(json_array_size(cands) == 1 && json_is_array(parts));
    model = json_string_value(json_object_get(ev, "modelVersion"));
    CHECK(model != NULL && strcmp(model, "fuzz") == 0);

    last = (finish != NULL);

    if (last) {
        CHECK(strcmp(finish, "STOP") == 0 || strcmp(finish, "MAX_TOKENS") == 0
              || strcmp(finish, "SAFETY") == 0);
        CHECK(json_array_size(parts) == 0);

    } else {
        CHECK(json_array_size(parts) == 1);
        CHECK(json_object_get(ev, "usageMetadata") == NULL);
    }

    json_array_foreach(parts, k, part) {
        check_part(part);
    }

    json_decref(ev);

    return last;
}


static void
check_gemini(const llmgw_out_t *o)
{
    json_t      *v, *e;
    unsigned     ended;
    const char  *p, *end, *q;

    p = (const char *) o->data;
    end = p + o->len;
    ended = 0;

    while (p < end) {
        CHECK(!ended);

        if (*p == '{') {
            q = memchr(p, '\n', end - p);
            CHECK(q != NULL && q + 1 == end);

            v = json_loadb(p, q - p, 0, NULL);
            e = json_object_get(v, "error");
            CHECK(json_is_integer(json_object_get(e, "code")));
            CHECK(json_is_string(json_object_get(e, "message")));
            CHECK(json_is_string(json_object_get(e, "status")));
            json_decref(v);

            ended = 1;
            break;
        }

        CHECK(end - p > 6 && memcmp(p, "data: ", 6) == 0);

        for (q = p + 6; q + 4 <= end && memcmp(q, "\r\n\r\n", 4) != 0; q++) {
            /* void */
        }

        CHECK(q + 4 <= end);
        CHECK(memchr(p, '\n', q - p) == NULL);
        CHECK(memchr(p, '\r', q - p) == NULL);

        ended = check_event(p + 6, q - p - 6);
        p = q + 4;
    }

    CHECK(ended);
}


static void
to_gemini(const llmgw_format_t *provider, const uint8_t *data, size_t size,
    size_t cut)
{
    llmgw_out_t  all, split;

    run(&all, provider, &llmgw_format_gemini, data, size, size, 0);
    run(&split, provider, &llmgw_format_gemini, data, size, cut, 0);

    check_same(&all, &split);
    check_gemini(&all);
    llmgw_out_free(&split);

    if (size <= BYTEWISE_MAX) {
        run(&split, provider, &llmgw_format_gemini, data, size, 0, 1);
        check_same(&all, &split);
        llmgw_out_free(&split);
    }

    llmgw_out_free(&all);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const llmgw_format_t  *provider;

    whole(data, size);

    if (size == 0) {
        return 0;
    }

    provider = data[0] == 'o' ? &llmgw_format_openai
               : data[0] == 'a' ? &llmgw_format_anthropic
               : &llmgw_format_gemini;

    to_gemini(provider, data + 1, size - 1, cut_point(data + 1, size - 1));

    return 0;
}
