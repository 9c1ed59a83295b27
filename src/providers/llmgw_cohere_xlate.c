/*
 * llmgw: Cohere's v2 API, as a provider: canonical chat requests to
 * POST /v2/chat, its responses, errors and SSE streams back, and
 * embeddings (POST /v2/embed).
 *
 * Plain C on jansson and libc (llmgw_xlate.h).  Output trees share values
 * with the input tree: texts, schemas and images are not copied.
 */


#include "llmgw_xlate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define LLMGW_COHERE_INVALID  "invalid_request_error"

/* the tool-call indexes one decoded stream may use */
#define LLMGW_COHERE_TOOLS    256

#define LLMGW_COHERE_FAILED    "The provider's generation failed"
#define LLMGW_COHERE_TIMEOUT   "The provider's generation timed out"


/* the provider's stream */
typedef struct {
    uint32_t     index_tool[LLMGW_COHERE_TOOLS]; /* tool + 1 of index i */
    unsigned     tools;
    unsigned     last;          /* tool + 1 of the last tool-call-start */
} llmgw_cohere_dec_t;


static json_t *llmgw_cohere_request_out(json_t *canon,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int llmgw_cohere_messages(json_t *msgs, json_t *body,
    llmgw_xerr_t *err);
static int llmgw_cohere_message(json_t *m, size_t i, json_t **msg,
    llmgw_xerr_t *err);
static json_t *llmgw_cohere_parts(json_t *content, const char *where,
    const char *in, llmgw_xerr_t *err);
static json_t *llmgw_cohere_part(json_t *part, const char *where,
    const char *in, llmgw_xerr_t *err);
static json_t *llmgw_cohere_text_of(json_t *content, const char *where,
    llmgw_xerr_t *err);
static json_t *llmgw_cohere_text_part(json_t *part);
static int llmgw_cohere_assistant(json_t *m, const char *where,
    json_t **msg, llmgw_xerr_t *err);
static json_t *llmgw_cohere_call_out(json_t *call, const char *where,
    size_t k, llmgw_xerr_t *err);
static json_t *llmgw_cohere_args(json_t *args);
static json_t *llmgw_cohere_tool_msg(json_t *m, const char *where,
    llmgw_xerr_t *err);
static int llmgw_cohere_tools(json_t *canon, json_t *body,
    llmgw_xerr_t *err);
static int llmgw_cohere_tool_choice(json_t *choice, const char **mode,
    json_t **name, llmgw_xerr_t *err);
static int llmgw_cohere_tool_out(json_t *tool, size_t k, json_t *only,
    json_t *out, unsigned *strict, llmgw_xerr_t *err);
static int llmgw_cohere_params(json_t *canon, json_t *body,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int llmgw_cohere_copy(json_t *canon, const char *from, json_t *body,
    const char *to, unsigned integer, llmgw_xerr_t *err);
static int llmgw_cohere_clamp(json_t *canon, const char *from, json_t *body,
    const char *to, double min, double max, llmgw_xerr_t *err);
static int llmgw_cohere_stop(json_t *stop, json_t *body, llmgw_xerr_t *err);
static int llmgw_cohere_format(json_t *format, json_t *body,
    llmgw_xerr_t *err);
static int llmgw_cohere_logprobs(json_t *canon, json_t *body,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int llmgw_cohere_thinking(json_t *effort, json_t *body,
    llmgw_xerr_t *err);

static json_t *llmgw_cohere_response_in(json_t *resp, llmgw_xerr_t *err);
static json_t *llmgw_cohere_message_in(json_t *msg, unsigned *calls);
static void llmgw_cohere_content_in(json_t *block, llmgw_out_t *answer,
    llmgw_out_t *reasoning);
static json_t *llmgw_cohere_call_in(json_t *call);
static json_t *llmgw_cohere_logprobs_in(json_t *items);
static json_t *llmgw_cohere_logprob_in(json_t *item);
static const char *llmgw_cohere_finish(json_t *reason, unsigned calls);
static void llmgw_cohere_usage(json_t *usage, llmgw_usage_t *u,
    int64_t absent);
static int64_t llmgw_cohere_count(json_t *obj, const char *key);

static int llmgw_cohere_error_in(json_t *body, int status,
    llmgw_xerr_t *err);

static int llmgw_cohere_decode(llmgw_xstream_t *s, const char *event,
    size_t elen, const char *data, size_t dlen);
static int llmgw_cohere_decode_json(llmgw_xstream_t *s, const char *type,
    size_t len, json_t *ev);
static int llmgw_cohere_decode_start(llmgw_xstream_t *s, json_t *ev);
static int llmgw_cohere_decode_content(llmgw_xstream_t *s, json_t *msg);
static int llmgw_cohere_decode_call(llmgw_xstream_t *s, json_t *ev,
    json_t *msg);
static int llmgw_cohere_decode_args(llmgw_xstream_t *s, json_t *ev,
    json_t *msg);
static int llmgw_cohere_decode_message_end(llmgw_xstream_t *s, json_t *ev);
static int llmgw_cohere_decode_error(llmgw_xstream_t *s, json_t *ev);
static int llmgw_cohere_fail(llmgw_xstream_t *s, const char *type,
    json_t *text, const char *dflt);

static json_t *llmgw_cohere_embed_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err);
static int llmgw_cohere_embed_opts(json_t *canon, json_t *body,
    llmgw_xerr_t *err);
static json_t *llmgw_cohere_embed_in(json_t *resp, const char *model,
    llmgw_xerr_t *err);
static json_t *llmgw_cohere_embedding(json_t *values, size_t k,
    llmgw_xerr_t *err);

static int llmgw_cohere_add(json_t *arr, json_t *v, llmgw_xerr_t *err);
static int llmgw_cohere_nomem(llmgw_xerr_t *err);


const llmgw_format_t  llmgw_format_cohere = {
    LLMGW_FORMAT_COHERE,
    "cohere",

    NULL,
    NULL,
    NULL,
    NULL,
    0,

    llmgw_cohere_request_out,
    llmgw_cohere_response_in,
    llmgw_cohere_error_in,
    llmgw_cohere_decode,
    NULL,
    sizeof(llmgw_cohere_dec_t),

    llmgw_cohere_embed_out,
    llmgw_cohere_embed_in,
    NULL
};


/*
 * The request.  OpenAI members Cohere has no counterpart for (user,
 * parallel_tool_calls, stream_options, metadata, store, ...) are dropped,
 * as the Anthropic translator drops them.
 */

static json_t *
llmgw_cohere_request_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    json_t  *body, *msgs;

    if (!json_is_object(canon)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "The request body must be a JSON object");
        return NULL;
    }

    msgs = json_object_get(canon, "messages");

    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "messages must be a non-empty array");
        return NULL;
    }

    body = json_object();
    if (body == NULL) {
        llmgw_cohere_nomem(err);
        return NULL;
    }

    if (llmgw_json_set(body, "model",
                       json_stringn(opt->model ? opt->model : "",
                                    opt->model_len))
        != 0)
    {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "The model name is not valid UTF-8");
        goto failed;
    }

    if (llmgw_cohere_messages(msgs, body, err) != 0
        || llmgw_cohere_tools(canon, body, err) != 0
        || llmgw_cohere_params(canon, body, opt, err) != 0)
    {
        goto failed;
    }

    return body;

failed:

    json_decref(body);
    return NULL;
}


static int
llmgw_cohere_messages(json_t *msgs, json_t *body, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *out, *msg;

    out = json_array();

    if (llmgw_json_set(body, "messages", out) != 0) {
        return llmgw_cohere_nomem(err);
    }

    for (i = 0; i < json_array_size(msgs); i++) {
        if (llmgw_cohere_message(json_array_get(msgs, i), i, &msg, err)
            != 0)
        {
            return -1;
        }

        if (msg && llmgw_json_push(out, msg) != 0) {
            return llmgw_cohere_nomem(err);
        }
    }

    if (json_array_size(out) == 0) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "messages must hold a message with content");
        return -1;
    }

    return 0;
}


/* one message for Cohere; *msg NULL: nothing to send (an assistant
 * message with neither text nor tool calls) */

static int
llmgw_cohere_message(json_t *m, size_t i, json_t **msg, llmgw_xerr_t *err)
{
    char         where[32];
    size_t       len;
    json_t      *content;
    const char  *role;

    snprintf(where, sizeof(where), "messages[%zu]", i);
    *msg = NULL;
    len = 0;

    role = json_is_object(m) ? llmgw_json_str(m, "role", &len) : NULL;

    if (role == NULL) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s must be an object with a string role", where);
        return -1;
    }

    if (llmgw_str_is(role, len, "assistant")) {
        return llmgw_cohere_assistant(m, where, msg, err);
    }

    if (llmgw_str_is(role, len, "tool")) {
        *msg = llmgw_cohere_tool_msg(m, where, err);
        return *msg ? 0 : -1;
    }

    if (llmgw_str_is(role, len, "developer")) {
        role = "system";

    } else if (!llmgw_str_is(role, len, "system")
               && !llmgw_str_is(role, len, "user"))
    {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s.role \"%.*s\" cannot be sent to Cohere", where,
                   (int) (len > 40 ? 40 : len), role);
        return -1;
    }

    content = llmgw_cohere_parts(json_object_get(m, "content"), where,
                                 role[0] == 'u' ? NULL : "a system message",
                                 err);
    if (content == NULL) {
        return -1;
    }

    *msg = json_pack("{s:s,s:o}", "role", role, "content", content);

    return *msg ? 0 : llmgw_cohere_nomem(err);
}


/* a message's content: a string stays one, an array becomes Cohere's
 * content blocks: text, and images but in (a system message or a tool
 * result) */

static json_t *
llmgw_cohere_parts(json_t *content, const char *where, const char *in,
    llmgw_xerr_t *err)
{
    char     inner[64];
    size_t   k;
    json_t  *out;

    if (json_is_string(content)) {
        return json_incref(content);
    }

    if (!json_is_array(content)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s.content must be a string or an array of parts", where);
        return NULL;
    }

    out = json_array();
    if (out == NULL) {
        llmgw_cohere_nomem(err);
        return NULL;
    }

    for (k = 0; k < json_array_size(content); k++) {
        snprintf(inner, sizeof(inner), "%s.content[%zu]", where, k);

        if (llmgw_cohere_add(out, llmgw_cohere_part(json_array_get(content,
                                                                   k),
                                                    inner, in, err), err)
            != 0)
        {
            json_decref(out);
            return NULL;
        }
    }

    return out;
}


static json_t *
llmgw_cohere_part(json_t *part, const char *where, const char *in,
    llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *text, *iu, *url, *detail, *block;
    const char  *type;

    len = 0;
    type = json_is_object(part) ? llmgw_json_str(part, "type", &len) : NULL;

    if (type == NULL) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s must be an object with a string type", where);
        return NULL;
    }

    text = json_object_get(part, "text");

    if (llmgw_str_is(type, len, "text")) {
        if (!json_is_string(text)) {
            llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                       "%s.text must be a string", where);
            return NULL;
        }

        block = json_pack("{s:s,s:O}", "type", "text", "text", text);

    } else if (in == NULL && llmgw_str_is(type, len, "image_url")) {
        iu = json_object_get(part, "image_url");
        url = json_is_string(iu) ? iu : json_object_get(iu, "url");
        detail = json_object_get(iu, "detail");

        if (!json_is_string(url)) {
            llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                       "%s.image_url.url must be a string", where);
            return NULL;
        }

        block = json_is_string(detail)
                ? json_pack("{s:s,s:{s:O,s:O}}", "type", "image_url",
                            "image_url", "url", url, "detail", detail)
                : json_pack("{s:s,s:{s:O}}", "type", "image_url",
                            "image_url", "url", url);

    } else {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s: a \"%.*s\" part cannot be sent to Cohere%s%s",
                   where, (int) (len > 40 ? 40 : len), type,
                   in ? " in " : "", in ? in : "");
        return NULL;
    }

    if (block == NULL) {
        llmgw_cohere_nomem(err);
    }

    return block;
}


/* an assistant's content, a string or text parts, as one string; NULL
 * content: "" */

static json_t *
llmgw_cohere_text_of(json_t *content, const char *where, llmgw_xerr_t *err)
{
    size_t       k;
    json_t      *text;
    llmgw_out_t  o;

    if (content == NULL || json_is_null(content)) {
        return json_string("");
    }

    if (json_is_string(content)) {
        return json_incref(content);
    }

    if (!json_is_array(content)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s.content must be a string, an array of text parts or "
                   "null", where);
        return NULL;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    for (k = 0; k < json_array_size(content); k++) {
        text = llmgw_cohere_text_part(json_array_get(content, k));

        if (text == NULL) {
            llmgw_out_free(&o);
            llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                       "%s.content[%zu]: an assistant message can hold only "
                       "text parts", where, k);
            return NULL;
        }

        llmgw_out_raw(&o, json_string_value(text), json_string_length(text));
    }

    text = llmgw_out_string(&o);

    if (text == NULL) {
        llmgw_cohere_nomem(err);
    }

    return text;
}


/* the text of a "text" or "refusal" part, a JSON string, or NULL */

static json_t *
llmgw_cohere_text_part(json_t *part)
{
    json_t      *text;
    const char  *type;

    type = llmgw_json_str(part, "type", NULL);

    if (type == NULL
        || (strcmp(type, "text") != 0 && strcmp(type, "refusal") != 0))
    {
        return NULL;
    }

    text = json_object_get(part, type);

    return json_is_string(text) ? text : NULL;
}


/*
 * Cohere refuses text beside tool calls ("text content is not allowed
 * when tool_calls are provided"): it wants the text before the calls as
 * the message's tool_plan, which is what its own answers put there.
 */

static int
llmgw_cohere_assistant(json_t *m, const char *where, json_t **msg,
    llmgw_xerr_t *err)
{
    size_t   k;
    json_t  *text, *calls, *out;

    text = llmgw_cohere_text_of(json_object_get(m, "content"), where, err);
    if (text == NULL) {
        return -1;
    }

    calls = json_object_get(m, "tool_calls");

    if (calls != NULL && !json_is_null(calls) && !json_is_array(calls)) {
        json_decref(text);
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s.tool_calls must be an array", where);
        return -1;
    }

    if (json_array_size(calls) == 0) {
        if (json_string_length(text) == 0) {
            json_decref(text);
            return 0;
        }

        *msg = json_pack("{s:s,s:o}", "role", "assistant", "content", text);

        return *msg ? 0 : llmgw_cohere_nomem(err);
    }

    out = json_array();
    if (out == NULL) {
        json_decref(text);
        return llmgw_cohere_nomem(err);
    }

    for (k = 0; k < json_array_size(calls); k++) {
        if (llmgw_cohere_add(out,
                             llmgw_cohere_call_out(json_array_get(calls, k),
                                                   where, k, err), err)
            != 0)
        {
            json_decref(out);
            json_decref(text);
            return -1;
        }
    }

    *msg = json_pack("{s:s,s:o}", "role", "assistant", "tool_calls", out);

    if (*msg && json_string_length(text)
        && json_object_set(*msg, "tool_plan", text) != 0)
    {
        json_decref(*msg);
        *msg = NULL;
    }

    json_decref(text);

    return *msg ? 0 : llmgw_cohere_nomem(err);
}


/* arguments as JSON text: a string as it is, an empty one or none as "{}",
 * an object (some clients send one) dumped */

static json_t *
llmgw_cohere_call_out(json_t *call, const char *where, size_t k,
    llmgw_xerr_t *err)
{
    json_t  *fn, *id, *name, *args, *out;

    fn = json_object_get(call, "function");
    id = json_object_get(call, "id");
    name = json_object_get(fn, "name");
    args = json_object_get(fn, "arguments");

    if (!json_is_string(id) || !json_is_string(name)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s.tool_calls[%zu] needs a string id and function.name",
                   where, k);
        return NULL;
    }

    if (args != NULL && !json_is_null(args) && !json_is_string(args)
        && !json_is_object(args))
    {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s.tool_calls[%zu].function.arguments must be a string",
                   where, k);
        return NULL;
    }

    out = json_pack("{s:O,s:s,s:{s:O,s:o}}", "id", id, "type", "function",
                    "function", "name", name, "arguments",
                    llmgw_cohere_args(args));

    if (out == NULL) {
        llmgw_cohere_nomem(err);
    }

    return out;
}


/* arguments as JSON text: a string as it is, an object dumped, anything
 * else (an empty string, none) "{}"; NULL when out of memory */

static json_t *
llmgw_cohere_args(json_t *args)
{
    char    *dump;
    json_t  *text;

    if (json_is_string(args) && json_string_length(args)) {
        return json_incref(args);
    }

    if (!json_is_object(args)) {
        return json_string("{}");
    }

    dump = json_dumps(args, JSON_COMPACT);
    text = dump ? json_string(dump) : NULL;
    free(dump);

    return text;
}


/* a tool result: a string, or its text parts as Cohere's text blocks */

static json_t *
llmgw_cohere_tool_msg(json_t *m, const char *where, llmgw_xerr_t *err)
{
    json_t  *id, *content, *msg;

    id = json_object_get(m, "tool_call_id");
    content = json_object_get(m, "content");

    if (!json_is_string(id)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "%s.tool_call_id must be a string", where);
        return NULL;
    }

    if (content == NULL || json_is_null(content)) {
        content = json_string("");

    } else {
        content = llmgw_cohere_parts(content, where, "a tool result", err);

        if (content == NULL) {
            return NULL;
        }
    }

    msg = json_pack("{s:s,s:O,s:o}", "role", "tool", "tool_call_id", id,
                    "content", content);

    if (msg == NULL) {
        llmgw_cohere_nomem(err);
    }

    return msg;
}


/*
 * tools, and tool_choice: Cohere knows only REQUIRED and NONE, "auto"
 * being its default.  A named function is REQUIRED with the tools cut
 * down to that one: Cohere must call a tool, and it has only that one.
 * strict_tools is Cohere's strict for all tools at once: it is set when
 * any tool asks for it.
 */

static int
llmgw_cohere_tools(json_t *canon, json_t *body, llmgw_xerr_t *err)
{
    size_t       k;
    json_t      *tools, *out, *name;
    unsigned     strict;
    const char  *mode;

    tools = json_object_get(canon, "tools");

    if (tools != NULL && !json_is_null(tools) && !json_is_array(tools)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID, "tools must be an array");
        return -1;
    }

    if (llmgw_cohere_tool_choice(json_object_get(canon, "tool_choice"), &mode,
                                 &name, err)
        != 0)
    {
        return -1;
    }

    out = json_array();
    if (out == NULL) {
        return llmgw_cohere_nomem(err);
    }

    strict = 0;

    for (k = 0; k < json_array_size(tools); k++) {
        if (llmgw_cohere_tool_out(json_array_get(tools, k), k, name, out,
                                  &strict, err)
            != 0)
        {
            json_decref(out);
            return -1;
        }
    }

    if (json_array_size(out) == 0) {
        json_decref(out);

        if (name) {
            llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                       "tool_choice names the function \"%.64s\", which is "
                       "not in tools", json_string_value(name));
            return -1;
        }

        if (mode && strcmp(mode, "REQUIRED") == 0) {
            llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                       "tool_choice \"required\" needs tools");
            return -1;
        }

        return 0;
    }

    if (llmgw_json_set(body, "tools", out) != 0
        || (strict && llmgw_json_set(body, "strict_tools", json_true()) != 0)
        || (mode && llmgw_json_set(body, "tool_choice", json_string(mode))
                    != 0))
    {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


static int
llmgw_cohere_tool_choice(json_t *choice, const char **mode, json_t **name,
    llmgw_xerr_t *err)
{
    size_t       len;
    const char  *c;

    *mode = NULL;
    *name = NULL;

    if (choice == NULL || json_is_null(choice)) {
        return 0;
    }

    c = json_is_string(choice) ? json_string_value(choice) : NULL;
    len = c ? json_string_length(choice) : 0;

    if (c && llmgw_str_is(c, len, "auto")) {
        return 0;
    }

    if (c && llmgw_str_is(c, len, "none")) {
        *mode = "NONE";
        return 0;
    }

    if (c && llmgw_str_is(c, len, "required")) {
        *mode = "REQUIRED";
        return 0;
    }

    c = llmgw_json_str(choice, "type", &len);
    *name = json_object_get(json_object_get(choice, "function"), "name");

    if (c == NULL || !llmgw_str_is(c, len, "function")
        || !json_is_string(*name))
    {
        *name = NULL;
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "tool_choice must be \"auto\", \"required\", \"none\" or "
                   "{\"type\":\"function\",\"function\":{\"name\"}}");
        return -1;
    }

    *mode = "REQUIRED";

    return 0;
}


/* one tool, appended to out unless only names another; Cohere requires
 * parameters: an empty object schema when none is given */

static int
llmgw_cohere_tool_out(json_t *tool, size_t k, json_t *only, json_t *out,
    unsigned *strict, llmgw_xerr_t *err)
{
    json_t  *fn, *name, *desc, *t;

    fn = llmgw_tool_function(tool, k, err);

    if (fn == NULL) {
        return -1;
    }

    name = json_object_get(fn, "name");

    if (only && !json_equal(only, name)) {
        return 0;
    }

    desc = json_object_get(fn, "description");

    t = json_pack("{s:s,s:{s:O,s:o}}", "type", "function", "function",
                  "name", name, "parameters", llmgw_tool_params(fn));

    if (t && json_is_string(desc)
        && json_object_set(json_object_get(t, "function"), "description",
                           desc)
           != 0)
    {
        json_decref(t);
        t = NULL;
    }

    if (t == NULL || json_array_append_new(out, t) != 0) {
        return llmgw_cohere_nomem(err);
    }

    if (json_is_true(json_object_get(fn, "strict"))) {
        *strict = 1;
    }

    return 0;
}


/*
 * temperature: Cohere's range is 0 to 1, higher is taken for 1 (as for
 * Anthropic); top_p becomes p, whose range is 0.01 to 0.99, so that the
 * top_p 1 many clients send means "all but the least likely 1%".
 */

static int
llmgw_cohere_params(json_t *canon, json_t *body, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    json_t      *v;
    const char  *max;

    v = json_object_get(canon, "n");

    if (v != NULL && !json_is_null(v)
        && !(json_is_integer(v) && json_integer_value(v) == 1))
    {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID, "%s",
                   json_is_integer(v) && json_integer_value(v) > 1
                   ? "n: Cohere answers with one choice only"
                   : "n must be a positive integer");
        return -1;
    }

    v = json_object_get(canon, "max_completion_tokens");
    max = (v == NULL || json_is_null(v)) ? "max_tokens"
                                         : "max_completion_tokens";

    if (llmgw_cohere_copy(canon, max, body, "max_tokens", 1, err) != 0
        || llmgw_cohere_clamp(canon, "temperature", body, "temperature", 0.0,
                              1.0, err) != 0
        || llmgw_cohere_clamp(canon, "top_p", body, "p", 0.01, 0.99, err)
           != 0
        || llmgw_cohere_copy(canon, "top_k", body, "k", 1, err) != 0
        || llmgw_cohere_copy(canon, "seed", body, "seed", 1, err) != 0
        || llmgw_cohere_copy(canon, "frequency_penalty", body,
                             "frequency_penalty", 0, err) != 0
        || llmgw_cohere_copy(canon, "presence_penalty", body,
                             "presence_penalty", 0, err) != 0
        || llmgw_cohere_stop(json_object_get(canon, "stop"), body, err) != 0
        || llmgw_cohere_format(json_object_get(canon, "response_format"),
                               body, err) != 0
        || llmgw_cohere_logprobs(canon, body, opt, err) != 0
        || llmgw_cohere_thinking(json_object_get(canon, "reasoning_effort"),
                                 body, err) != 0)
    {
        return -1;
    }

    if (llmgw_json_set(body, "stream", json_boolean(opt->stream)) != 0) {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


static int
llmgw_cohere_copy(json_t *canon, const char *from, json_t *body,
    const char *to, unsigned integer, llmgw_xerr_t *err)
{
    json_t  *v;

    v = json_object_get(canon, from);

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (integer ? !json_is_integer(v) : !json_is_number(v)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID, "%s must be %s", from,
                   integer ? "an integer" : "a number");
        return -1;
    }

    if (json_object_set(body, to, v) != 0) {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


static int
llmgw_cohere_clamp(json_t *canon, const char *from, json_t *body,
    const char *to, double min, double max, llmgw_xerr_t *err)
{
    double   n;
    json_t  *v;

    if (llmgw_cohere_copy(canon, from, body, to, 0, err) != 0) {
        return -1;
    }

    v = json_object_get(body, to);

    if (v == NULL) {
        return 0;
    }

    n = json_number_value(v);

    if (n >= min && n <= max) {
        return 0;
    }

    if (llmgw_json_set(body, to, json_real(n < min ? min : max)) != 0) {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


static int
llmgw_cohere_stop(json_t *stop, json_t *body, llmgw_xerr_t *err)
{
    json_t  *seqs;

    if (stop == NULL || json_is_null(stop)) {
        return 0;
    }

    if (llmgw_stop_list(stop, 0, &seqs) != 0) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "stop must be a string or an array of strings");
        return -1;
    }

    if (seqs && json_array_size(seqs) == 0) {
        json_decref(seqs);
        return 0;
    }

    if (llmgw_json_set(body, "stop_sequences", seqs) != 0) {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


/* json_schema: the schema goes as it is to json_schema, which takes JSON
 * Schema (with constraints of Cohere's: it answers if they are not met) */

static int
llmgw_cohere_format(json_t *format, json_t *body, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *schema, *rf;
    const char  *type;

    if (format == NULL || json_is_null(format)) {
        return 0;
    }

    type = llmgw_json_str(format, "type", &len);

    if (type == NULL) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "response_format must be an object with a string type");
        return -1;
    }

    if (llmgw_str_is(type, len, "text")) {
        return 0;
    }

    schema = json_object_get(json_object_get(format, "json_schema"),
                             "schema");

    if (llmgw_str_is(type, len, "json_object")
        || (llmgw_str_is(type, len, "json_schema")
            && !json_is_object(schema)))
    {
        rf = json_pack("{s:s}", "type", "json_object");

    } else if (llmgw_str_is(type, len, "json_schema")) {
        rf = json_pack("{s:s,s:O}", "type", "json_object", "json_schema",
                       schema);

    } else {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "response_format \"%.*s\" cannot be sent to Cohere",
                   (int) (len > 32 ? 32 : len), type);
        return -1;
    }

    if (llmgw_json_set(body, "response_format", rf) != 0) {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


/*
 * Cohere gives the log probability of each piece of text it answers with,
 * no alternatives, and in a stream alongside text deltas, which have no
 * place for them: top_logprobs and logprobs in a stream are refused.
 */

static int
llmgw_cohere_logprobs(json_t *canon, json_t *body, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    json_t  *v, *top;

    v = json_object_get(canon, "logprobs");
    top = json_object_get(canon, "top_logprobs");

    if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "logprobs must be a boolean");
        return -1;
    }

    if (!json_is_true(v)) {
        return 0;
    }

    if (json_is_integer(top) && json_integer_value(top) > 0) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "top_logprobs: Cohere gives no alternative tokens");
        return -1;
    }

    if (opt->stream) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "logprobs: the gateway cannot pass Cohere's log "
                   "probabilities on in a stream");
        return -1;
    }

    if (llmgw_json_set(body, "logprobs", json_true()) != 0) {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


/* reasoning_effort "none" turns thinking off, the others set its budget
 * as for Gemini (llmgw_effort_google) */

static int
llmgw_cohere_thinking(json_t *effort, json_t *body, llmgw_xerr_t *err)
{
    json_t   *th;
    int64_t   budget;

    if (effort == NULL || json_is_null(effort)) {
        return 0;
    }

    budget = llmgw_effort_budget(&llmgw_effort_google,
                                 json_string_value(effort),
                                 json_string_length(effort));

    if (budget < 0) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "reasoning_effort must be none, minimal, low, medium or "
                   "high");
        return -1;
    }

    th = budget ? json_pack("{s:s,s:I}", "type", "enabled", "token_budget",
                            (json_int_t) budget)
                : json_pack("{s:s}", "type", "disabled");

    if (llmgw_json_set(body, "thinking", th) != 0) {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


/*
 * The whole response.  Thinking content and the tool_plan (the text
 * Cohere writes before its tool calls) are the reasoning.  ERROR and
 * TIMEOUT are failed generations, not answers: errors.
 */

static json_t *
llmgw_cohere_response_in(json_t *resp, llmgw_xerr_t *err)
{
    json_t         *msg, *canon, *choice, *lp;
    unsigned        calls;
    const char     *id, *finish;
    llmgw_usage_t   u;

    if (!json_is_object(resp)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response is not a JSON object");
        return NULL;
    }

    if (llmgw_cohere_error_in(resp, 200, err) == 0) {
        return NULL;
    }

    if (!json_is_object(json_object_get(resp, "message"))) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response has no message");
        return NULL;
    }

    msg = llmgw_cohere_message_in(json_object_get(resp, "message"), &calls);
    if (msg == NULL) {
        llmgw_cohere_nomem(err);
        return NULL;
    }

    finish = llmgw_cohere_finish(json_object_get(resp, "finish_reason"),
                                 calls);

    if (finish == NULL) {
        json_decref(msg);
        llmgw_xerr(err, 502, "api_error", "%s",
                   strcmp(llmgw_json_str(resp, "finish_reason", NULL),
                          "TIMEOUT") == 0
                   ? LLMGW_COHERE_TIMEOUT : LLMGW_COHERE_FAILED);
        return NULL;
    }

    memset(&u, 0, sizeof(llmgw_usage_t));
    llmgw_cohere_usage(json_object_get(resp, "usage"), &u, 0);

    id = llmgw_json_str(resp, "id", NULL);
    choice = json_pack("{s:i,s:o,s:s}", "index", 0, "message", msg,
                       "finish_reason", finish);

    lp = json_object_get(resp, "logprobs");

    if (choice && json_is_array(lp)
        && llmgw_json_set(choice, "logprobs", llmgw_cohere_logprobs_in(lp))
           != 0)
    {
        json_decref(choice);
        choice = NULL;
    }

    canon = choice ? json_pack("{s:s,s:s,s:i,s:s,s:[o],s:o}",
                               "id", id ? id : "",
                               "object", "chat.completion",
                               "created", 0,
                               "model", "",
                               "choices", choice,
                               "usage", llmgw_usage_to_json(&u))
                   : NULL;

    if (canon == NULL) {
        llmgw_cohere_nomem(err);
    }

    return canon;
}


static json_t *
llmgw_cohere_message_in(json_t *m, unsigned *calls)
{
    int           rc;
    size_t        k, len;
    json_t       *content, *b, *list, *msg;
    const char   *text;
    llmgw_out_t   answer, reasoning;

    memset(&answer, 0, sizeof(llmgw_out_t));
    memset(&reasoning, 0, sizeof(llmgw_out_t));

    content = json_object_get(m, "content");

    if (json_is_string(content)) {
        llmgw_out_raw(&answer, json_string_value(content),
                      json_string_length(content));
    }

    for (k = 0; k < json_array_size(content); k++) {
        llmgw_cohere_content_in(json_array_get(content, k), &answer,
                                &reasoning);
    }

    text = llmgw_json_str(m, "tool_plan", &len);

    if (text) {
        llmgw_out_raw(&reasoning, text, len);
    }

    list = json_array();
    b = json_object_get(m, "tool_calls");

    for (k = 0; list && k < json_array_size(b); k++) {
        if (llmgw_json_push(list, llmgw_cohere_call_in(json_array_get(b, k)))
            != 0)
        {
            json_decref(list);
            list = NULL;
        }
    }

    *calls = (unsigned) json_array_size(list);

    msg = json_pack("{s:s,s:o}", "role", "assistant", "content",
                    answer.len ? llmgw_out_string(&answer) : json_null());

    rc = (msg == NULL || list == NULL) ? -1 : 0;

    if (rc == 0 && (reasoning.len || reasoning.failed)) {
        rc = llmgw_json_set(msg, "reasoning_content",
                            llmgw_out_string(&reasoning));
    }

    if (rc == 0 && *calls) {
        rc = json_object_set(msg, "tool_calls", list);
    }

    llmgw_out_free(&answer);
    llmgw_out_free(&reasoning);
    json_decref(list);

    if (rc != 0) {
        json_decref(msg);
        return NULL;
    }

    return msg;
}


/* a text block to answer, a thinking block to reasoning */

static void
llmgw_cohere_content_in(json_t *block, llmgw_out_t *answer,
    llmgw_out_t *reasoning)
{
    size_t       len;
    const char  *type, *text;

    type = llmgw_json_str(block, "type", NULL);

    if (type == NULL
        || (strcmp(type, "text") != 0 && strcmp(type, "thinking") != 0))
    {
        return;
    }

    text = llmgw_json_str(block, type, &len);

    if (text) {
        llmgw_out_raw(type[1] == 'e' ? answer : reasoning, text, len);
    }
}


static json_t *
llmgw_cohere_call_in(json_t *call)
{
    size_t       ilen, nlen;
    json_t      *fn, *args;
    const char  *id, *name;

    fn = json_object_get(call, "function");
    id = llmgw_json_str(call, "id", &ilen);
    name = llmgw_json_str(fn, "name", &nlen);
    args = llmgw_cohere_args(json_object_get(fn, "arguments"));

    if (args == NULL) {
        return NULL;
    }

    return json_pack("{s:s%,s:s,s:{s:s%,s:o}}",
                     "id", id ? id : "", id ? ilen : 0,
                     "type", "function",
                     "function",
                     "name", name ? name : "", name ? nlen : 0,
                     "arguments", args);
}


/* Cohere's logprobs: one item per piece of text, with the log probability
 * of each of its tokens.  A piece becomes one OpenAI entry, whose logprob
 * is the sum of its tokens': the piece's own. */

static json_t *
llmgw_cohere_logprobs_in(json_t *items)
{
    size_t   k;
    json_t  *content;

    content = json_array();

    for (k = 0; content && k < json_array_size(items); k++) {
        if (llmgw_json_push(content,
                            llmgw_cohere_logprob_in(json_array_get(items,
                                                                   k)))
            != 0)
        {
            json_decref(content);
            content = NULL;
        }
    }

    return content ? json_pack("{s:o}", "content", content) : NULL;
}


static json_t *
llmgw_cohere_logprob_in(json_t *item)
{
    size_t       i, len;
    double       sum;
    json_t      *lps, *bytes;
    const char  *text;

    text = llmgw_json_str(item, "text", &len);
    lps = json_object_get(item, "logprobs");

    if (text == NULL) {
        text = "";
        len = 0;
    }

    for (i = 0, sum = 0.0; i < json_array_size(lps); i++) {
        sum += json_number_value(json_array_get(lps, i));
    }

    bytes = json_array();

    for (i = 0; bytes && i < len; i++) {
        if (json_array_append_new(bytes,
                                  json_integer((unsigned char) text[i]))
            != 0)
        {
            json_decref(bytes);
            bytes = NULL;
        }
    }

    return bytes ? json_pack("{s:s%,s:f,s:o,s:[]}", "token", text, len,
                             "logprob", sum, "bytes", bytes, "top_logprobs")
                 : NULL;
}


/* NULL: ERROR or TIMEOUT */

static const char *
llmgw_cohere_finish(json_t *reason, unsigned calls)
{
    size_t       len;
    const char  *r;

    r = json_is_string(reason) ? json_string_value(reason) : "";
    len = json_is_string(reason) ? json_string_length(reason) : 0;

    if (llmgw_str_is(r, len, "ERROR") || llmgw_str_is(r, len, "TIMEOUT")) {
        return NULL;
    }

    if (llmgw_str_is(r, len, "MAX_TOKENS")) {
        return "length";
    }

    if (llmgw_str_is(r, len, "TOOL_CALL") || calls) {
        return "tool_calls";
    }

    return "stop";
}


/*
 * Usage for billing: billed_units is what Cohere charges; tokens counts
 * also the prompt template Cohere wraps the messages in, and is taken only
 * when billed_units is missing.  cached_tokens is a part of
 * tokens.input_tokens (it can exceed the billed input), so it is kept only
 * with tokens.  absent: what a count missing from usage is.
 */

static void
llmgw_cohere_usage(json_t *usage, llmgw_usage_t *u, int64_t absent)
{
    json_t   *units;
    int64_t   in, out, cached;

    units = json_object_get(usage, "billed_units");
    in = llmgw_cohere_count(units, "input_tokens");
    out = llmgw_cohere_count(units, "output_tokens");
    cached = 0;

    if (in < 0 && out < 0) {
        units = json_object_get(usage, "tokens");
        in = llmgw_cohere_count(units, "input_tokens");
        out = llmgw_cohere_count(units, "output_tokens");
        cached = llmgw_cohere_count(usage, "cached_tokens");

        if (in >= 0 && cached > in) {
            cached = in;
        }
    }

    u->prompt = in < 0 ? absent : in;
    u->completion = out < 0 ? absent : out;
    u->cached = cached < 0 ? absent : cached;
    u->cache_write = absent;
    u->total = (in < 0 || out < 0) ? absent : in + out;
    u->seen = 1;
}


/* a count (Cohere's are JSON numbers, integral or not), -1 when missing
 * or not a count */

static int64_t
llmgw_cohere_count(json_t *obj, const char *key)
{
    double   n;
    json_t  *v;

    v = json_object_get(obj, key);

    if (json_is_integer(v)) {
        return (json_integer_value(v) >= 0
                && json_integer_value(v) <= (json_int_t) 1 << 53)
               ? json_integer_value(v) : -1;
    }

    if (!json_is_real(v)) {
        return -1;
    }

    n = json_real_value(v);

    return (n >= 0.0 && n <= 9007199254740992.0) ? (int64_t) n : -1;
}


/*
 * Errors are {"message": "..."} (with an "id" at times).  Cohere's own
 * statuses 498 (a deny-listed token in the request or the answer) and 499
 * (the request cancelled) are not HTTP's: the client gets 400 and 502.
 * A 2xx body is an error when its message is a string and it has no
 * finish_reason (an answer's message is an object).
 */

static int
llmgw_cohere_error_in(json_t *body, int status, llmgw_xerr_t *err)
{
    size_t       len;
    const char  *msg;

    msg = llmgw_json_str(body, "message", &len);

    if (msg == NULL || json_object_get(body, "finish_reason") != NULL) {
        return -1;
    }

    if (status == 498) {
        status = 400;

    } else if (status < 400 || status == 499) {
        status = 502;
    }

    llmgw_xerr_text(err, status, llmgw_status_error_type(status), msg, len);

    return 0;
}


/*
 * The stream: "event: <type>" and "data: {"type": "<type>", ...}", the
 * data's type saying what it is when the event has no name.  Events of
 * types not known here (citations, debug) are ignored; so is the
 * "data: [DONE]" Cohere ends with, after message-end, which ends the
 * stream for the client.  A data object without a type but with a string
 * message is an error written into the stream.
 */

static int
llmgw_cohere_decode(llmgw_xstream_t *s, const char *event, size_t elen,
    const char *data, size_t dlen)
{
    int            rc;
    size_t         len;
    json_t        *ev;
    const char    *type;
    json_error_t   jerr;

    if (data == NULL || dlen == 0 || llmgw_str_is(data, dlen, "[DONE]")) {
        return 0;
    }

    ev = json_loadb(data, dlen, JSON_ALLOW_NUL, &jerr);

    if (!json_is_object(ev)) {
        json_decref(ev);
        return -1;
    }

    if (event && elen) {
        type = event;
        len = elen;

    } else {
        type = llmgw_json_str(ev, "type", &len);
    }

    if (type == NULL) {
        rc = json_is_string(json_object_get(ev, "message"))
             ? llmgw_cohere_decode_error(s, ev) : 0;

    } else {
        rc = llmgw_cohere_decode_json(s, type, len, ev);
    }

    json_decref(ev);

    return rc;
}


static int
llmgw_cohere_decode_json(llmgw_xstream_t *s, const char *type, size_t len,
    json_t *ev)
{
    json_t  *msg;

    msg = json_object_get(json_object_get(ev, "delta"), "message");

    if (llmgw_str_is(type, len, "content-delta")
        || llmgw_str_is(type, len, "content-start"))
    {
        return llmgw_cohere_decode_content(s, msg);
    }

    if (llmgw_str_is(type, len, "tool-call-delta")) {
        return llmgw_cohere_decode_args(s, ev, msg);
    }

    if (llmgw_str_is(type, len, "tool-plan-delta")) {
        return llmgw_xstream_text(s, LLMGW_DELTA_REASONING, 0,
                                  json_object_get(msg, "tool_plan"));
    }

    if (llmgw_str_is(type, len, "tool-call-start")) {
        return llmgw_cohere_decode_call(s, ev, msg);
    }

    if (llmgw_str_is(type, len, "message-start")) {
        return llmgw_cohere_decode_start(s, ev);
    }

    if (llmgw_str_is(type, len, "message-end")) {
        return llmgw_cohere_decode_message_end(s, ev);
    }

    if (llmgw_str_is(type, len, "error")) {
        return llmgw_cohere_decode_error(s, ev);
    }

    return 0;
}


static int
llmgw_cohere_decode_start(llmgw_xstream_t *s, json_t *ev)
{
    llmgw_delta_t  d;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_START;
    d.id = llmgw_json_str(ev, "id", &d.id_len);

    if (d.id == NULL) {
        d.id_len = 0;
    }

    return llmgw_xstream_delta(s, &d);
}


/* content-start and content-delta: text, or thinking in reasoning
 * models */

static int
llmgw_cohere_decode_content(llmgw_xstream_t *s, json_t *msg)
{
    json_t  *content;

    content = json_object_get(msg, "content");

    if (llmgw_xstream_text(s, LLMGW_DELTA_REASONING, 0,
                           json_object_get(content, "thinking"))
        != 0)
    {
        return -1;
    }

    return llmgw_xstream_text(s, LLMGW_DELTA_TEXT, 0,
                              json_object_get(content, "text"));
}


/* tool-call-start: the next tool call, its index mapped to 0, 1, ..; a
 * start of an index already seen is ignored */

static int
llmgw_cohere_decode_call(llmgw_xstream_t *s, json_t *ev, json_t *msg)
{
    json_t              *index, *call, *fn;
    json_int_t           n;
    llmgw_cohere_dec_t  *dec;

    dec = s->dec;
    index = json_object_get(ev, "index");
    n = json_integer_value(index);

    if (index != NULL && (!json_is_integer(index) || n < 0)) {
        return -1;
    }

    if (n >= LLMGW_COHERE_TOOLS || dec->tools >= UINT32_MAX - 1) {
        llmgw_xstream_fail(s, "api_error", "The provider's answer has more "
                           "tool calls than the gateway can translate");
        return -1;
    }

    if (index != NULL && dec->index_tool[n]) {
        return 0;
    }

    dec->last = ++dec->tools;

    if (index != NULL) {
        dec->index_tool[n] = dec->last;
    }

    call = json_object_get(msg, "tool_calls");
    fn = json_object_get(call, "function");

    if (llmgw_xstream_tool(s, dec->last - 1, json_object_get(call, "id"),
                           json_object_get(fn, "name"))
        != 0)
    {
        return -1;
    }

    return llmgw_xstream_text(s, LLMGW_DELTA_TOOL_ARGS, dec->last - 1,
                              json_object_get(fn, "arguments"));
}


/* tool-call-delta: arguments of the call of its index, or of the last
 * call started when it has none */

static int
llmgw_cohere_decode_args(llmgw_xstream_t *s, json_t *ev, json_t *msg)
{
    json_t              *index, *call;
    json_int_t           n;
    unsigned             tool;
    llmgw_cohere_dec_t  *dec;

    dec = s->dec;
    index = json_object_get(ev, "index");
    n = json_integer_value(index);

    if (index == NULL) {
        tool = dec->last;

    } else if (json_is_integer(index) && n >= 0 && n < LLMGW_COHERE_TOOLS) {
        tool = dec->index_tool[n];

    } else {
        tool = 0;
    }

    if (tool == 0) {
        return 0;
    }

    call = json_object_get(msg, "tool_calls");

    return llmgw_xstream_text(s, LLMGW_DELTA_TOOL_ARGS, tool - 1,
                              json_object_get(json_object_get(call,
                                                              "function"),
                                              "arguments"));
}


/* message-end: FINISH, USAGE, END; or, for ERROR and TIMEOUT, ERROR with
 * the error Cohere gives */

static int
llmgw_cohere_decode_message_end(llmgw_xstream_t *s, json_t *ev)
{
    json_t              *delta, *reason, *error, *usage;
    const char          *finish;
    llmgw_delta_t        d;
    llmgw_cohere_dec_t  *dec;

    dec = s->dec;
    delta = json_object_get(ev, "delta");
    reason = json_object_get(delta, "finish_reason");
    error = json_object_get(delta, "error");

    finish = llmgw_cohere_finish(reason, dec->tools);

    if (finish == NULL || (json_is_string(error) && json_string_length(error)))
    {
        return llmgw_cohere_fail(s, "api_error", error,
                                 json_is_string(reason)
                                 && strcmp(json_string_value(reason),
                                           "TIMEOUT") == 0
                                 ? LLMGW_COHERE_TIMEOUT
                                 : LLMGW_COHERE_FAILED);
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_FINISH;
    d.finish = finish;

    if (llmgw_xstream_delta(s, &d) != 0) {
        return -1;
    }

    usage = json_object_get(delta, "usage");

    if (json_is_object(usage)) {
        memset(&d, 0, sizeof(llmgw_delta_t));
        d.type = LLMGW_DELTA_USAGE;
        llmgw_cohere_usage(usage, &d.usage, -1);

        if (llmgw_xstream_delta(s, &d) != 0) {
            return -1;
        }
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_END;

    return llmgw_xstream_delta(s, &d);
}


static int
llmgw_cohere_decode_error(llmgw_xstream_t *s, json_t *ev)
{
    llmgw_xerr_t  err;

    if (llmgw_cohere_error_in(ev, 502, &err) != 0) {
        return llmgw_cohere_fail(s, "api_error", NULL,
                                 "The provider's stream reported an error");
    }

    return llmgw_xstream_fail(s, err.type, err.message) ? -1 : 0;
}


/* ERROR with text, a JSON string, or dflt when it is none or empty */

static int
llmgw_cohere_fail(llmgw_xstream_t *s, const char *type, json_t *text,
    const char *dflt)
{
    char  msg[256];

    if (json_is_string(text) && json_string_length(text)) {
        llmgw_text_copy(msg, sizeof(msg), json_string_value(text),
                        json_string_length(text));
        dflt = msg;
    }

    return llmgw_xstream_fail(s, type, dflt) ? -1 : 0;
}


/* embeddings */

/*
 * Floats are asked for whatever the client's encoding_format: the caller
 * turns them into base64 when asked.  input_type is Cohere's (required
 * by its v3 models and later): the client's when it gives one, else
 * "search_document", what OpenAI's embeddings are mostly made for.
 */

static json_t *
llmgw_cohere_embed_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    size_t   k;
    json_t  *input, *texts, *body;

    input = json_object_get(canon, "input");

    if (json_is_string(input)) {
        texts = json_pack("[O]", input);

    } else if (json_is_array(input) && json_array_size(input)) {
        for (k = 0; k < json_array_size(input); k++) {
            if (!json_is_string(json_array_get(input, k))) {
                llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                           "input[%zu]: Cohere embeds text only, not token "
                           "arrays", k);
                return NULL;
            }
        }

        texts = json_incref(input);

    } else {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "input must be a string or a non-empty array of strings");
        return NULL;
    }

    body = json_pack("{s:o,s:s,s:[s]}", "texts", texts,
                     "input_type", "search_document",
                     "embedding_types", "float");

    if (body == NULL) {
        llmgw_cohere_nomem(err);
        return NULL;
    }

    if (llmgw_json_set(body, "model",
                       json_stringn(opt && opt->model ? opt->model : "",
                                    opt && opt->model ? opt->model_len : 0))
        != 0)
    {
        json_decref(body);
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "The model name is not valid UTF-8");
        return NULL;
    }

    if (llmgw_cohere_embed_opts(canon, body, err) != 0) {
        json_decref(body);
        return NULL;
    }

    return body;
}


static int
llmgw_cohere_embed_opts(json_t *canon, json_t *body, llmgw_xerr_t *err)
{
    json_t  *v;

    v = json_object_get(canon, "input_type");

    if (json_is_string(v)) {
        if (json_object_set(body, "input_type", v) != 0) {
            return llmgw_cohere_nomem(err);
        }

    } else if (v != NULL && !json_is_null(v)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "input_type must be a string");
        return -1;
    }

    v = json_object_get(canon, "dimensions");

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        if (json_object_set(body, "output_dimension", v) != 0) {
            return llmgw_cohere_nomem(err);
        }

    } else if (v != NULL && !json_is_null(v)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "dimensions must be a positive integer");
        return -1;
    }

    v = json_object_get(canon, "truncate");

    if (json_is_string(v)) {
        if (json_object_set(body, "truncate", v) != 0) {
            return llmgw_cohere_nomem(err);
        }

    } else if (v != NULL && !json_is_null(v)) {
        llmgw_xerr(err, 400, LLMGW_COHERE_INVALID,
                   "truncate must be a string");
        return -1;
    }

    return 0;
}


/* {"embeddings": {"float": [[...], ...]}}, or the bare array of the
 * embeddings_floats responses; the billed input tokens are the usage */

static json_t *
llmgw_cohere_embed_in(json_t *resp, const char *model, llmgw_xerr_t *err)
{
    size_t    k;
    json_t   *embs, *list, *data;
    int64_t   n;

    if (llmgw_cohere_error_in(resp, 200, err) == 0) {
        return NULL;
    }

    embs = json_object_get(resp, "embeddings");

    if (!json_is_array(embs)) {
        embs = json_object_get(embs, "float");
    }

    if (!json_is_array(embs)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's embedding response has no float "
                   "embeddings");
        return NULL;
    }

    n = llmgw_cohere_count(json_object_get(json_object_get(resp, "meta"),
                                           "billed_units"),
                           "input_tokens");
    n = n < 0 ? 0 : n;

    data = json_array();
    list = json_pack("{s:s,s:o,s:s,s:{s:I,s:I}}",
                     "object", "list",
                     "data", data,
                     "model", model ? model : "",
                     "usage", "prompt_tokens", (json_int_t) n,
                     "total_tokens", (json_int_t) n);

    if (list == NULL) {
        llmgw_cohere_nomem(err);
        return NULL;
    }

    for (k = 0; k < json_array_size(embs); k++) {
        if (llmgw_cohere_add(data,
                             llmgw_cohere_embedding(json_array_get(embs, k),
                                                    k, err), err)
            != 0)
        {
            json_decref(list);
            return NULL;
        }
    }

    return list;
}


static json_t *
llmgw_cohere_embedding(json_t *values, size_t k, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *one;

    for (i = 0; i < json_array_size(values); i++) {
        if (!json_is_number(json_array_get(values, i))) {
            break;
        }
    }

    if (!json_is_array(values) || i < json_array_size(values)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's embedding %zu has no values", k);
        return NULL;
    }

    one = json_pack("{s:s,s:I,s:O}", "object", "embedding",
                    "index", (json_int_t) k, "embedding", values);

    if (one == NULL) {
        llmgw_cohere_nomem(err);
    }

    return one;
}


/* helpers */

/* appends v, made by a function that set err when it gave NULL */

static int
llmgw_cohere_add(json_t *arr, json_t *v, llmgw_xerr_t *err)
{
    if (v == NULL) {
        return -1;
    }

    if (json_array_append_new(arr, v) != 0) {
        return llmgw_cohere_nomem(err);
    }

    return 0;
}


static int
llmgw_cohere_nomem(llmgw_xerr_t *err)
{
    llmgw_xerr(err, 500, "api_error", "Out of memory");

    return -1;
}
