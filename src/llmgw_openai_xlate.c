/*
 * llmgw: OpenAI's chat format, the canonical one.  Its client side writes
 * deltas as chat.completion.chunk events; its provider side reads them,
 * for clients of another format.  Whole requests and responses are
 * canonical already.
 */


#include "llmgw_xlate.h"

#include <string.h>


typedef struct {
    unsigned char  head[400];   /* {"id":..,"object":..,"created":..,
                                   "model":.., */
    size_t         head_len;
} llmgw_openai_enc_t;


static json_t *llmgw_openai_request_out(json_t *canon,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int llmgw_openai_encode(llmgw_xstream_t *s, const llmgw_delta_t *d);
static void llmgw_openai_chunk(llmgw_xstream_t *s, unsigned choice,
    const void *delta, size_t len, const char *finish);
static void llmgw_openai_usage(llmgw_xstream_t *s);
static void llmgw_openai_head(llmgw_xstream_t *s);
static void llmgw_openai_error_out(llmgw_out_t *o, const char *type,
    const char *code, const char *msg, size_t len);
static int llmgw_openai_error_in(json_t *body, int status, llmgw_xerr_t *err);
static int llmgw_openai_decode(llmgw_xstream_t *s, const char *event,
    size_t elen, const char *data, size_t dlen);
static int llmgw_openai_decode_choice(llmgw_xstream_t *s, json_t *choice);
static int llmgw_openai_decode_tools(llmgw_xstream_t *s, json_t *calls);


const llmgw_format_t  llmgw_format_openai = {
    LLMGW_FORMAT_OPENAI, "openai",
    NULL, NULL, llmgw_openai_encode, llmgw_openai_error_out,
    sizeof(llmgw_openai_enc_t),
    llmgw_openai_request_out, NULL, llmgw_openai_error_in,
    llmgw_openai_decode, NULL, 0,
    NULL, NULL, NULL
};


/* a canonical request for an OpenAI-compatible provider: its model, and a
 * stream asks for the usage chunk where the provider understands it */

static json_t *
llmgw_openai_request_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    json_t  *req, *so;

    req = json_copy(canon);
    if (req == NULL) {
        goto nomem;
    }

    if (json_object_set_new(req, "model",
                            json_stringn(opt->model, opt->model_len)) != 0)
    {
        goto nomem;
    }

    json_object_del(req, "stream_options");

    if (!opt->stream) {
        json_object_del(req, "stream");
        return req;
    }

    if (json_object_set_new(req, "stream", json_true()) != 0) {
        goto nomem;
    }

    if (opt->stream_usage) {
        so = json_pack("{s:b}", "include_usage", 1);

        if (so == NULL || json_object_set_new(req, "stream_options", so) != 0)
        {
            goto nomem;
        }
    }

    return req;

nomem:

    json_decref(req);
    llmgw_xerr(err, 500, "api_error", "out of memory");
    return NULL;
}


/* client side: chunks */

static int
llmgw_openai_encode(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_out_t  delta;

    static const char  start[] = "{\"role\":\"assistant\",\"content\":\"\"}";

    memset(&delta, 0, sizeof(llmgw_out_t));

    switch (d->type) {

    case LLMGW_DELTA_START:
        llmgw_openai_chunk(s, 0, start, sizeof(start) - 1, NULL);
        break;

    case LLMGW_DELTA_TEXT:
    case LLMGW_DELTA_REASONING:
        llmgw_out_cstr(&delta, d->type == LLMGW_DELTA_TEXT
                               ? "{\"content\":" : "{\"reasoning_content\":");
        llmgw_out_jstr(&delta, d->text, d->text_len);
        llmgw_out_raw(&delta, "}", 1);
        break;

    case LLMGW_DELTA_TOOL_START:
        llmgw_out_cstr(&delta, "{\"tool_calls\":[{\"index\":");
        llmgw_out_int(&delta, d->tool);
        llmgw_out_cstr(&delta, ",\"id\":");
        llmgw_out_jstr(&delta, d->id, d->id_len);
        llmgw_out_cstr(&delta, ",\"type\":\"function\",\"function\":"
                               "{\"name\":");
        llmgw_out_jstr(&delta, d->name, d->name_len);
        llmgw_out_cstr(&delta, ",\"arguments\":\"\"}}]}");
        break;

    case LLMGW_DELTA_TOOL_ARGS:
        llmgw_out_cstr(&delta, "{\"tool_calls\":[{\"index\":");
        llmgw_out_int(&delta, d->tool);
        llmgw_out_cstr(&delta, ",\"function\":{\"arguments\":");
        llmgw_out_jstr(&delta, d->text, d->text_len);
        llmgw_out_cstr(&delta, "}}]}");
        break;

    case LLMGW_DELTA_FINISH:
        llmgw_openai_chunk(s, d->choice, "{}", 2, d->finish);
        break;

    case LLMGW_DELTA_END:
        if (s->include_usage) {
            llmgw_openai_usage(s);
        }

        llmgw_out_cstr(&s->out, "data: [DONE]\n\n");
        break;

    case LLMGW_DELTA_ERROR:
        llmgw_out_cstr(&s->out, "data: ");
        llmgw_openai_error_out(&s->out, d->error_type, "provider_stream_error",
                               d->text, d->text_len);
        llmgw_out_cstr(&s->out, "\n");
        break;

    default:
        break;
    }

    if (delta.len) {
        llmgw_openai_chunk(s, d->choice, delta.data, delta.len, NULL);
    }

    if (delta.failed) {
        s->out.failed = 1;
    }

    llmgw_out_free(&delta);

    return s->out.failed ? -1 : 0;
}


static void
llmgw_openai_chunk(llmgw_xstream_t *s, unsigned choice, const void *delta,
    size_t len, const char *finish)
{
    llmgw_out_t         *o;
    llmgw_openai_enc_t  *enc;

    o = &s->out;
    enc = s->enc;

    llmgw_openai_head(s);

    llmgw_out_cstr(o, "data: ");
    llmgw_out_raw(o, enc->head, enc->head_len);
    llmgw_out_cstr(o, "\"choices\":[{\"index\":");
    llmgw_out_int(o, choice);
    llmgw_out_cstr(o, ",\"delta\":");
    llmgw_out_raw(o, delta, len);
    llmgw_out_cstr(o, ",\"finish_reason\":");

    if (finish) {
        llmgw_out_jstr(o, finish, strlen(finish));

    } else {
        llmgw_out_cstr(o, "null");
    }

    llmgw_out_cstr(o, "}]}\n\n");
}


static void
llmgw_openai_usage(llmgw_xstream_t *s)
{
    json_t              *usage;
    llmgw_openai_enc_t  *enc;

    enc = s->enc;

    llmgw_openai_head(s);

    usage = llmgw_usage_to_json(&s->usage);
    if (usage == NULL) {
        s->out.failed = 1;
        return;
    }

    llmgw_out_cstr(&s->out, "data: ");
    llmgw_out_raw(&s->out, enc->head, enc->head_len);
    llmgw_out_cstr(&s->out, "\"choices\":[],\"usage\":");
    llmgw_out_json(&s->out, usage);
    llmgw_out_cstr(&s->out, "}\n\n");

    json_decref(usage);
}


/* the members every chunk starts with, made once */

static void
llmgw_openai_head(llmgw_xstream_t *s)
{
    llmgw_out_t          h;
    llmgw_openai_enc_t  *enc;

    enc = s->enc;

    if (enc->head_len) {
        return;
    }

    memset(&h, 0, sizeof(llmgw_out_t));

    llmgw_out_cstr(&h, "{\"id\":");
    llmgw_out_jstr(&h, s->id, strlen(s->id));
    llmgw_out_cstr(&h, ",\"object\":\"chat.completion.chunk\",\"created\":");
    llmgw_out_int(&h, s->created);
    llmgw_out_cstr(&h, ",\"model\":");
    llmgw_out_jstr(&h, s->model, strlen(s->model));
    llmgw_out_raw(&h, ",", 1);

    if (h.failed || h.len > sizeof(enc->head)) {
        s->out.failed = 1;

    } else {
        memcpy(enc->head, h.data, h.len);
        enc->head_len = h.len;
    }

    llmgw_out_free(&h);
}


static void
llmgw_openai_error_out(llmgw_out_t *o, const char *type, const char *code,
    const char *msg, size_t len)
{
    llmgw_out_cstr(o, "{\"error\":{\"message\":");
    llmgw_out_jstr(o, msg, len);
    llmgw_out_cstr(o, ",\"type\":");
    llmgw_out_jstr(o, type, strlen(type));
    llmgw_out_cstr(o, ",\"param\":null,\"code\":");

    if (code) {
        llmgw_out_jstr(o, code, strlen(code));

    } else {
        llmgw_out_cstr(o, "null");
    }

    llmgw_out_cstr(o, "}}\n");
}


/* provider side */

/* {"error":{"message","type","code"}}; some compatible servers answer
 * {"error":"text"} or {"message":"text"} */

static int
llmgw_openai_error_in(json_t *body, int status, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *e;
    const char  *msg;

    e = json_object_get(body, "error");
    msg = NULL;
    len = 0;

    if (json_is_object(e)) {
        msg = llmgw_json_str(e, "message", &len);

    } else if (json_is_string(e)) {
        msg = json_string_value(e);
        len = json_string_length(e);

    } else if (status >= 400) {
        msg = llmgw_json_str(body, "message", &len);
    }

    if (msg == NULL) {
        return -1;
    }

    llmgw_xerr(err, status >= 400 ? status : 502,
               llmgw_status_error_type(status), "%.*s",
               (int) (len > 255 ? 255 : len), msg);

    return 0;
}


/* one chunk for a client of another format: choice 0 only */

static int
llmgw_openai_decode(llmgw_xstream_t *s, const char *event, size_t elen,
    const char *data, size_t dlen)
{
    int            rc;
    size_t         i;
    json_t        *chunk, *choices, *choice, *usage;
    llmgw_xerr_t   err;
    llmgw_delta_t  d;

    (void) event;
    (void) elen;

    if (data == NULL) {
        /* not an event of the OpenAI stream: ignored, as SDKs do */
        return 0;
    }

    if (dlen == 6 && memcmp(data, "[DONE]", 6) == 0) {
        memset(&d, 0, sizeof(llmgw_delta_t));
        d.type = LLMGW_DELTA_END;
        return llmgw_xstream_delta(s, &d);
    }

    chunk = json_loadb(data, dlen, JSON_REJECT_DUPLICATES, NULL);

    if (!json_is_object(chunk)) {
        json_decref(chunk);
        return -1;
    }

    rc = 0;
    memset(&d, 0, sizeof(llmgw_delta_t));

    if (json_object_get(chunk, "error")) {
        if (llmgw_openai_error_in(chunk, 502, &err) != 0) {
            llmgw_xerr(&err, 502, "api_error", "The provider's stream "
                       "reported an error");
        }

        rc = llmgw_xstream_fail(s, err.type, err.message);
        goto done;
    }

    if (!s->started) {
        d.type = LLMGW_DELTA_START;
        d.id = llmgw_json_str(chunk, "id", &d.id_len);
        d.name = llmgw_json_str(chunk, "model", &d.name_len);

        if (llmgw_xstream_delta(s, &d) != 0) {
            rc = -1;
            goto done;
        }
    }

    choices = json_object_get(chunk, "choices");

    json_array_foreach(choices, i, choice) {
        if (json_integer_value(json_object_get(choice, "index")) == 0
            && llmgw_openai_decode_choice(s, choice) != 0)
        {
            rc = -1;
            goto done;
        }
    }

    usage = json_object_get(chunk, "usage");

    if (json_is_object(usage)) {
        memset(&d, 0, sizeof(llmgw_delta_t));
        d.type = LLMGW_DELTA_USAGE;
        llmgw_usage_from_json(usage, &d.usage);
        rc = llmgw_xstream_delta(s, &d);
    }

done:

    json_decref(chunk);
    return rc;
}


static int
llmgw_openai_decode_choice(llmgw_xstream_t *s, json_t *choice)
{
    json_t         *delta, *v;
    const char     *finish;
    llmgw_delta_t   d;

    delta = json_object_get(choice, "delta");

    if (json_is_object(delta)) {
        v = json_object_get(delta, "reasoning_content");

        if (v == NULL) {
            v = json_object_get(delta, "reasoning");
        }

        if (llmgw_xstream_text(s, LLMGW_DELTA_REASONING, 0, v) != 0
            || llmgw_xstream_text(s, LLMGW_DELTA_TEXT, 0,
                                  json_object_get(delta, "content")) != 0
            || llmgw_openai_decode_tools(s, json_object_get(delta,
                                                            "tool_calls"))
               != 0)
        {
            return -1;
        }
    }

    finish = llmgw_json_str(choice, "finish_reason", NULL);

    if (finish == NULL) {
        return 0;
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_FINISH;

    if (strcmp(finish, "length") == 0) {
        d.finish = "length";

    } else if (strcmp(finish, "tool_calls") == 0
               || strcmp(finish, "function_call") == 0)
    {
        d.finish = "tool_calls";

    } else if (strcmp(finish, "content_filter") == 0) {
        d.finish = "content_filter";

    } else {
        d.finish = "stop";
    }

    return llmgw_xstream_delta(s, &d);
}


static int
llmgw_openai_decode_tools(llmgw_xstream_t *s, json_t *calls)
{
    size_t     i;
    json_t    *call, *fn, *index, *id, *name;
    unsigned   tool;

    json_array_foreach(calls, i, call) {
        index = json_object_get(call, "index");
        fn = json_object_get(call, "function");

        if (!json_is_integer(index) || json_integer_value(index) < 0
            || json_integer_value(index) > 1023)
        {
            return -1;
        }

        tool = (unsigned) json_integer_value(index);
        id = json_object_get(call, "id");
        name = json_object_get(fn, "name");

        if ((json_is_string(id) || json_is_string(name))
            && llmgw_xstream_tool(s, tool, id, name) != 0)
        {
            return -1;
        }

        if (llmgw_xstream_text(s, LLMGW_DELTA_TOOL_ARGS, tool,
                               json_object_get(fn, "arguments"))
            != 0)
        {
            return -1;
        }
    }

    return 0;
}
