/*
 * llmgw: OpenAI's Responses API (POST /v1/responses), as a client format
 * only.  A request's items become canonical chat messages; a chat
 * completion becomes a response object; stream deltas become response.*
 * events.  What needs state kept on the server (previous_response_id,
 * conversations, stored prompts, background responses) and OpenAI's
 * hosted tools are refused with a 400 naming the field.
 *
 * Output trees share values with the input tree: texts, schemas and
 * images are not copied.
 */


#include "llmgw_xlate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define LLMGW_RESPONSES_INVALID  "invalid_request_error"

/* tool calls one encoded stream may hold (the OpenAI decoder's bound) */
#define LLMGW_RESPONSES_TOOLS    1024

/* the tail of a provider's id that response and item ids carry */
#define LLMGW_RESPONSES_TAIL     64
#define LLMGW_RESPONSES_ID_LEN   (LLMGW_RESPONSES_TAIL + 32)


/* what a top-level request member is: read by its own function, copied
 * (type checked) to canon's member of that name, dropped, refused, or
 * refused unless it has its default value */
typedef enum {
    LLMGW_RESPONSES_OWN = 0,
    LLMGW_RESPONSES_NUMBER,
    LLMGW_RESPONSES_INTEGER,
    LLMGW_RESPONSES_BOOLEAN,
    LLMGW_RESPONSES_STRING,
    LLMGW_RESPONSES_OBJECT,
    LLMGW_RESPONSES_DROP,
    LLMGW_RESPONSES_REFUSE,
    LLMGW_RESPONSES_DEFAULT
} llmgw_responses_param_e;


typedef struct {
    const char  *name;
    unsigned     kind;
    const char  *arg;           /* the canonical name, or why refused */
} llmgw_responses_param_t;


/* a request's input being read: the messages, and the last one while it
 * is an assistant's that function_call items join */
typedef struct {
    json_t      *messages;
    json_t      *assistant;
} llmgw_responses_in_t;


/* the shared members of a response object */
typedef struct {
    const char  *id;
    const char  *model;
    int64_t      created;
    const char  *status;        /* in_progress, completed, incomplete,
                                   failed */
    const char  *reason;        /* incomplete_details.reason, or NULL */
    const char  *code;          /* error.code when failed */
    const char  *message;
    size_t       message_len;
} llmgw_responses_head_t;


/*
 * The client's stream.  An item is written whole again in its done events
 * and in the final response, so the encoder keeps what it wrote: a log of
 * records after this struct, in the same allocation, which grows by
 * realloc() of s->enc.  xstream has no hook to free an encoder's state,
 * only llmgw_xstream_free()'s free(s->enc): so a stream freed before its
 * END (the client went away) leaks nothing.
 *
 * The log: the items done, as their final JSON, then the records of the
 * open items.  Output items are numbered in order; the open ones are the
 * last added, items [closed, items), all of one kind: one message, one
 * reasoning item, or function calls.
 */
typedef struct {
    size_t       size;          /* bytes at s->enc; 0: this struct's */
    size_t       used;          /* bytes of the log */
    size_t       done;          /* of them, the records of items done */
    size_t       last;          /* the last record + 1, 0: none to extend */
    int64_t      seq;           /* the next sequence_number */
    uint32_t     items;         /* output items added */
    uint32_t     closed;        /* output items done */
    uint32_t     kind;          /* of the open items */
    const char  *reason;        /* incomplete_details.reason from FINISH */
    char         id[LLMGW_RESPONSES_ID_LEN];
    char         tail[LLMGW_RESPONSES_TAIL + 1];
    uint32_t     tool[LLMGW_RESPONSES_TOOLS]; /* output index + 1 of call i */
} llmgw_responses_enc_t;


/* a record of the log; the kinds of open items: */
#define LLMGW_RESPONSES_MESSAGE    1
#define LLMGW_RESPONSES_REASONING  2
#define LLMGW_RESPONSES_CALL       3    /* data: the call_id, a JSON string */
/* and */
#define LLMGW_RESPONSES_NAME       4    /* a call's name, a JSON string */
#define LLMGW_RESPONSES_TEXT       5    /* a piece of its text, escaped */
#define LLMGW_RESPONSES_DONE       6    /* an item done: its JSON */

typedef struct {
    uint32_t     item;
    uint32_t     kind;
    uint32_t     len;
} llmgw_responses_rec_t;


/* an open item as its records hold it */
typedef struct {
    uint32_t     kind;
    llmgw_out_t  call;
    llmgw_out_t  name;
    llmgw_out_t  text;
} llmgw_responses_item_t;


static json_t *llmgw_responses_request_in(json_t *req, llmgw_xerr_t *err);
static int llmgw_responses_params_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_responses_param_in(const llmgw_responses_param_t *p,
    json_t *v, json_t *canon, llmgw_xerr_t *err);
static int llmgw_responses_is_default(const char *name, json_t *v);
static int llmgw_responses_input_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_responses_item_in(llmgw_responses_in_t *in, size_t i,
    json_t *item, llmgw_xerr_t *err);
static int llmgw_responses_message_in(llmgw_responses_in_t *in, size_t i,
    json_t *item, llmgw_xerr_t *err);
static json_t *llmgw_responses_parts_in(json_t *content, size_t i,
    unsigned system, llmgw_xerr_t *err);
static json_t *llmgw_responses_image_in(json_t *part, size_t i, size_t j,
    llmgw_xerr_t *err);
static int llmgw_responses_assistant_in(llmgw_responses_in_t *in, size_t i,
    json_t *content, llmgw_xerr_t *err);
static int llmgw_responses_call_in(llmgw_responses_in_t *in, size_t i,
    json_t *item, llmgw_xerr_t *err);
static int llmgw_responses_output_in(llmgw_responses_in_t *in, size_t i,
    json_t *item, llmgw_xerr_t *err);
static int llmgw_responses_reasoning_in(size_t i, json_t *item,
    llmgw_xerr_t *err);
static int llmgw_responses_tools_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static json_t *llmgw_responses_tool_in(json_t *t, size_t i,
    llmgw_xerr_t *err);
static int llmgw_responses_tool_choice_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_responses_text_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static json_t *llmgw_responses_schema_in(json_t *format, llmgw_xerr_t *err);
static int llmgw_responses_reasoning_effort_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_responses_stream_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);

static json_t *llmgw_responses_response_out(json_t *canon,
    llmgw_xerr_t *err);
static json_t *llmgw_responses_output(json_t *message, const char *tail,
    const char *reason);
static int llmgw_responses_message_out(json_t *output, json_t *message,
    const char *tail);
static int llmgw_responses_call_out(json_t *output, json_t *call,
    const char *tail, size_t i);
static const char *llmgw_responses_reason(const char *finish);
static json_t *llmgw_responses_head(const llmgw_responses_head_t *h);
static json_t *llmgw_responses_string(const char *p, size_t len);
static json_t *llmgw_responses_usage(const llmgw_usage_t *u,
    int64_t reasoning);
static void llmgw_responses_tail(char *buf, const char *id);
static void llmgw_responses_item_id(char *buf, const char *prefix,
    const char *tail, size_t n);
static void llmgw_responses_error_out(llmgw_out_t *o, const char *type,
    const char *code, const char *msg, size_t len);

static int llmgw_responses_encode(llmgw_xstream_t *s,
    const llmgw_delta_t *d);
static void llmgw_responses_start(llmgw_xstream_t *s);
static void llmgw_responses_ids(llmgw_xstream_t *s);
static void llmgw_responses_text(llmgw_xstream_t *s, uint32_t kind,
    const llmgw_delta_t *d);
static void llmgw_responses_tool_start(llmgw_xstream_t *s,
    const llmgw_delta_t *d);
static void llmgw_responses_tool_args(llmgw_xstream_t *s,
    const llmgw_delta_t *d);
static void llmgw_responses_open(llmgw_xstream_t *s, uint32_t kind,
    const llmgw_delta_t *d);
static void llmgw_responses_delta(llmgw_xstream_t *s, uint32_t item,
    uint32_t kind, const char *text, size_t len);
static void llmgw_responses_close_all(llmgw_xstream_t *s,
    const char *last_status);
static void llmgw_responses_close(llmgw_xstream_t *s, uint32_t item,
    const char *status);
static void llmgw_responses_take(llmgw_xstream_t *s, uint32_t item,
    llmgw_responses_item_t *it);
static void llmgw_responses_done(llmgw_xstream_t *s, uint32_t item,
    const llmgw_responses_item_t *it, const char *status, llmgw_out_t *json);
static void llmgw_responses_final(llmgw_xstream_t *s,
    const llmgw_delta_t *d);
static void llmgw_responses_object_out(llmgw_xstream_t *s,
    const llmgw_responses_head_t *h);
static const char *llmgw_responses_error_code(const char *type);
static void llmgw_responses_event(llmgw_xstream_t *s, const char *name);
static void llmgw_responses_ref(llmgw_xstream_t *s, const char *prefix,
    uint32_t item);
static void llmgw_responses_quoted(llmgw_out_t *o, const llmgw_out_t *text);
static void llmgw_responses_item_head(llmgw_xstream_t *s, llmgw_out_t *o,
    const char *prefix, const char *type, uint32_t item);
static llmgw_responses_enc_t *llmgw_responses_reserve(llmgw_xstream_t *s,
    size_t len);
static void llmgw_responses_log(llmgw_xstream_t *s, uint32_t item,
    uint32_t kind, const void *data, size_t len);
static void llmgw_responses_log_done(llmgw_xstream_t *s, uint32_t item,
    const llmgw_out_t *json);
static void llmgw_responses_release(llmgw_xstream_t *s);


const llmgw_format_t  llmgw_format_responses = {
    LLMGW_FORMAT_RESPONSES, "responses",
    llmgw_responses_request_in, llmgw_responses_response_out,
    llmgw_responses_encode, llmgw_responses_error_out,
    sizeof(llmgw_responses_enc_t),
    NULL, NULL, NULL, NULL, NULL, 0,
    NULL, NULL, NULL
};


/*
 * The top-level members of a request but input and instructions.  Any
 * other is refused: a member this gateway does not know could change the
 * answer, and dropping it would hide that.
 */

static const llmgw_responses_param_t  llmgw_responses_params[] = {
    { "input", LLMGW_RESPONSES_OWN, NULL },
    { "instructions", LLMGW_RESPONSES_OWN, NULL },
    { "tools", LLMGW_RESPONSES_OWN, NULL },
    { "tool_choice", LLMGW_RESPONSES_OWN, NULL },
    { "text", LLMGW_RESPONSES_OWN, NULL },
    { "reasoning", LLMGW_RESPONSES_OWN, NULL },
    { "stream", LLMGW_RESPONSES_OWN, NULL },

    { "model", LLMGW_RESPONSES_STRING, "model" },
    { "max_output_tokens", LLMGW_RESPONSES_INTEGER,
      "max_completion_tokens" },
    { "temperature", LLMGW_RESPONSES_NUMBER, "temperature" },
    { "top_p", LLMGW_RESPONSES_NUMBER, "top_p" },
    { "parallel_tool_calls", LLMGW_RESPONSES_BOOLEAN,
      "parallel_tool_calls" },
    { "user", LLMGW_RESPONSES_STRING, "user" },
    { "metadata", LLMGW_RESPONSES_OBJECT, "metadata" },

    /*
     * store asks OpenAI to keep the response for later retrieval and for
     * previous_response_id; nothing is kept here either way, and true is
     * the API's default, which most clients send.  include names extra
     * output fields: "reasoning.encrypted_content" cannot be had from
     * another provider, so the client gets no encrypted reasoning (and
     * sends none back).  The others are hints to OpenAI's service: cache
     * routing, abuse tracking, service tier, stream padding, the client's
     * own tags (Codex's client_metadata).
     */
    { "store", LLMGW_RESPONSES_DROP, NULL },
    { "include", LLMGW_RESPONSES_DROP, NULL },
    { "prompt_cache_key", LLMGW_RESPONSES_DROP, NULL },
    { "prompt_cache_retention", LLMGW_RESPONSES_DROP, NULL },
    { "prompt_cache_options", LLMGW_RESPONSES_DROP, NULL },
    { "safety_identifier", LLMGW_RESPONSES_DROP, NULL },
    { "service_tier", LLMGW_RESPONSES_DROP, NULL },
    { "stream_options", LLMGW_RESPONSES_DROP, NULL },
    { "client_metadata", LLMGW_RESPONSES_DROP, NULL },

    { "previous_response_id", LLMGW_RESPONSES_REFUSE,
      "this gateway keeps no responses; send the whole conversation in "
      "input" },
    { "conversation", LLMGW_RESPONSES_REFUSE,
      "this gateway keeps no conversations; send the whole conversation "
      "in input" },
    { "prompt", LLMGW_RESPONSES_REFUSE,
      "stored prompt templates are not available through this gateway" },
    { "context_management", LLMGW_RESPONSES_REFUSE,
      "server-side compaction is not available through this gateway" },
    { "max_tool_calls", LLMGW_RESPONSES_REFUSE,
      "a limit on hosted tool calls cannot be kept by this gateway" },

    { "truncation", LLMGW_RESPONSES_DEFAULT,
      "only \"disabled\" is available through this gateway" },
    { "background", LLMGW_RESPONSES_DEFAULT,
      "background responses are kept on the server, which this gateway "
      "does not do" },
    { "top_logprobs", LLMGW_RESPONSES_DEFAULT,
      "log probabilities are not available through this gateway" },

    { NULL, 0, NULL }
};


/* client side: a Responses request to canonical */

static json_t *
llmgw_responses_request_in(json_t *req, llmgw_xerr_t *err)
{
    json_t  *canon;

    if (!json_is_object(req)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "The request body must be a JSON object");
        return NULL;
    }

    canon = json_object();
    if (canon == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    if (llmgw_responses_params_in(req, canon, err) != 0
        || llmgw_responses_input_in(req, canon, err) != 0
        || llmgw_responses_tools_in(req, canon, err) != 0
        || llmgw_responses_tool_choice_in(req, canon, err) != 0
        || llmgw_responses_text_in(req, canon, err) != 0
        || llmgw_responses_reasoning_effort_in(req, canon, err) != 0
        || llmgw_responses_stream_in(req, canon, err) != 0)
    {
        json_decref(canon);
        return NULL;
    }

    return canon;
}


static int
llmgw_responses_params_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    json_t                         *v;
    const char                     *key;
    const llmgw_responses_param_t  *p;

    json_object_foreach(req, key, v) {
        for (p = llmgw_responses_params; p->name; p++) {
            if (strcmp(p->name, key) == 0) {
                break;
            }
        }

        if (p->name == NULL) {
            llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                       "%.64s: unknown parameter", key);
            return -1;
        }

        if (!json_is_null(v)
            && llmgw_responses_param_in(p, v, canon, err) != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
llmgw_responses_param_in(const llmgw_responses_param_t *p, json_t *v,
    json_t *canon, llmgw_xerr_t *err)
{
    const char  *want;

    switch (p->kind) {

    case LLMGW_RESPONSES_NUMBER:
        want = json_is_number(v) ? NULL : "a number";
        break;

    case LLMGW_RESPONSES_INTEGER:
        want = json_is_integer(v) ? NULL : "an integer";
        break;

    case LLMGW_RESPONSES_BOOLEAN:
        want = json_is_boolean(v) ? NULL : "a boolean";
        break;

    case LLMGW_RESPONSES_STRING:
        want = json_is_string(v) ? NULL : "a string";
        break;

    case LLMGW_RESPONSES_OBJECT:
        want = json_is_object(v) ? NULL : "an object";
        break;

    case LLMGW_RESPONSES_REFUSE:
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID, "%s: %s", p->name,
                   p->arg);
        return -1;

    case LLMGW_RESPONSES_DEFAULT:
        if (llmgw_responses_is_default(p->name, v)) {
            return 0;
        }

        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID, "%s: %s", p->name,
                   p->arg);
        return -1;

    default:
        /* read elsewhere, or dropped */
        return 0;
    }

    if (want) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID, "%s must be %s",
                   p->name, want);
        return -1;
    }

    if (json_object_set(canon, p->arg, v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* truncation "disabled", background false, top_logprobs 0 */

static int
llmgw_responses_is_default(const char *name, json_t *v)
{
    if (strcmp(name, "truncation") == 0) {
        return json_is_string(v)
               && strcmp(json_string_value(v), "disabled") == 0;
    }

    if (strcmp(name, "background") == 0) {
        return json_is_false(v);
    }

    return json_is_integer(v) && json_integer_value(v) == 0;
}


/* instructions as the first (system) message, then input: a string, one
 * user message, or items */

static int
llmgw_responses_input_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    size_t                 i;
    json_t                *instructions, *input, *item, *msg;
    llmgw_responses_in_t   in;

    in.messages = json_array();
    in.assistant = NULL;

    if (in.messages == NULL
        || json_object_set_new(canon, "messages", in.messages) != 0)
    {
        return llmgw_xerr_nomem(err);
    }

    instructions = json_object_get(req, "instructions");

    if (json_is_string(instructions)) {
        if (json_string_length(instructions)) {
            msg = json_pack("{s:s,s:O}", "role", "system",
                            "content", instructions);

            if (llmgw_json_append(in.messages, msg, err) != 0) {
                return -1;
            }
        }

    } else if (instructions && !json_is_null(instructions)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "instructions must be a string");
        return -1;
    }

    input = json_object_get(req, "input");

    if (json_is_string(input)) {
        msg = json_pack("{s:s,s:O}", "role", "user", "content", input);
        return llmgw_json_append(in.messages, msg, err);
    }

    if (!json_is_array(input)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input must be a string or an array of items");
        return -1;
    }

    json_array_foreach(input, i, item) {
        if (llmgw_responses_item_in(&in, i, item, err) != 0) {
            return -1;
        }
    }

    if (json_array_size(in.messages) == 0) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input has no messages");
        return -1;
    }

    return 0;
}


static int
llmgw_responses_item_in(llmgw_responses_in_t *in, size_t i, json_t *item,
    llmgw_xerr_t *err)
{
    json_t      *t;
    const char  *type;

    if (!json_is_object(item)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu] must be an object", i);
        return -1;
    }

    t = json_object_get(item, "type");
    type = json_string_value(t);

    if (t && type == NULL) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].type must be a string", i);
        return -1;
    }

    if (type == NULL || strcmp(type, "message") == 0) {
        return llmgw_responses_message_in(in, i, item, err);
    }

    if (strcmp(type, "function_call") == 0) {
        return llmgw_responses_call_in(in, i, item, err);
    }

    if (strcmp(type, "function_call_output") == 0) {
        return llmgw_responses_output_in(in, i, item, err);
    }

    if (strcmp(type, "reasoning") == 0) {
        return llmgw_responses_reasoning_in(i, item, err);
    }

    if (strcmp(type, "item_reference") == 0) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].type: 'item_reference' points to an item "
                   "kept by OpenAI, which this gateway cannot read", i);
        return -1;
    }

    llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
               "input[%zu].type: '%.40s' items cannot be translated for "
               "this provider", i, type);
    return -1;
}


/* a message; developer messages are system messages */

static int
llmgw_responses_message_in(llmgw_responses_in_t *in, size_t i, json_t *item,
    llmgw_xerr_t *err)
{
    json_t      *content, *parts, *part, *msg;
    unsigned     system;
    const char  *role;

    role = llmgw_json_str(item, "role", NULL);

    if (role == NULL
        || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0
            && strcmp(role, "system") != 0
            && strcmp(role, "developer") != 0))
    {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].role must be \"user\", \"assistant\", "
                   "\"system\" or \"developer\"", i);
        return -1;
    }

    content = json_object_get(item, "content");

    if (strcmp(role, "assistant") == 0) {
        return llmgw_responses_assistant_in(in, i, content, err);
    }

    system = (role[0] != 'u');

    if (json_is_string(content)) {
        msg = json_pack("{s:s,s:O}", "role", system ? "system" : "user",
                        "content", content);

    } else if (json_is_array(content)) {
        parts = llmgw_responses_parts_in(content, i, system, err);
        if (parts == NULL) {
            return -1;
        }

        part = json_array_get(parts, 0);

        if (json_array_size(parts) == 1
            && strcmp(llmgw_json_str(part, "type", NULL), "text") == 0)
        {
            msg = json_pack("{s:s,s:O}", "role", system ? "system" : "user",
                            "content", json_object_get(part, "text"));
            json_decref(parts);

        } else {
            msg = json_pack("{s:s,s:o}", "role", system ? "system" : "user",
                            "content", parts);
        }

    } else {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].content must be a string or an array of "
                   "content parts", i);
        return -1;
    }

    in->assistant = NULL;

    return llmgw_json_append(in->messages, msg, err);
}


/* a user's or system message's parts: texts, and images for the user */

static json_t *
llmgw_responses_parts_in(json_t *content, size_t i, unsigned system,
    llmgw_xerr_t *err)
{
    size_t       j;
    json_t      *parts, *part, *text, *out;
    const char  *type;

    parts = json_array();
    if (parts == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    json_array_foreach(content, j, part) {
        type = llmgw_json_str(part, "type", NULL);

        if (type == NULL) {
            llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                       "input[%zu].content[%zu].type must be a string",
                       i, j);
            goto failed;
        }

        if (strcmp(type, "input_text") == 0
            || strcmp(type, "output_text") == 0)
        {
            text = json_object_get(part, "text");

            if (!json_is_string(text)) {
                llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                           "input[%zu].content[%zu].text must be a string",
                           i, j);
                goto failed;
            }

            out = json_pack("{s:s,s:O}", "type", "text", "text", text);

        } else if (strcmp(type, "input_image") == 0 && !system) {
            out = llmgw_responses_image_in(part, i, j, err);
            if (out == NULL) {
                goto failed;
            }

        } else if (system) {
            llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                       "input[%zu].content[%zu].type: a system message can "
                       "hold only text", i, j);
            goto failed;

        } else {
            llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                       "input[%zu].content[%zu].type: '%.40s' content "
                       "cannot be sent to this provider", i, j, type);
            goto failed;
        }

        if (llmgw_json_append(parts, out, err) != 0) {
            goto failed;
        }
    }

    return parts;

failed:

    json_decref(parts);
    return NULL;
}


/* an image by URL (a data URL too); one uploaded to OpenAI cannot be had */

static json_t *
llmgw_responses_image_in(json_t *part, size_t i, size_t j, llmgw_xerr_t *err)
{
    json_t  *url, *detail, *image, *file;

    url = json_object_get(part, "image_url");

    if (!json_is_string(url)) {
        file = json_object_get(part, "file_id");

        if (file && !json_is_null(file)) {
            llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                       "input[%zu].content[%zu].file_id: files uploaded to "
                       "OpenAI cannot be read by this provider; send "
                       "image_url", i, j);
        } else {
            llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                       "input[%zu].content[%zu].image_url must be a string",
                       i, j);
        }

        return NULL;
    }

    image = json_pack("{s:O}", "url", url);
    detail = json_object_get(part, "detail");

    if (image && json_is_string(detail)
        && json_object_set(image, "detail", detail) != 0)
    {
        json_decref(image);
        image = NULL;
    }

    image = json_pack("{s:s,s:o}", "type", "image_url", "image_url", image);

    if (image == NULL) {
        llmgw_xerr_nomem(err);
    }

    return image;
}


/* an assistant message: its texts (and refusals) joined; function_call
 * items that follow join it */

static int
llmgw_responses_assistant_in(llmgw_responses_in_t *in, size_t i,
    json_t *content, llmgw_xerr_t *err)
{
    size_t        j;
    json_t       *part, *text, *msg;
    unsigned      has_text;
    const char   *type;
    llmgw_out_t   o;

    memset(&o, 0, sizeof(llmgw_out_t));
    has_text = 0;

    if (json_is_string(content)) {
        llmgw_out_join(&o, content, NULL);
        has_text = 1;

    } else if (!json_is_array(content)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].content must be a string or an array of "
                   "content parts", i);
        return -1;
    }

    json_array_foreach(content, j, part) {
        type = llmgw_json_str(part, "type", NULL);
        text = NULL;

        if (type && (strcmp(type, "output_text") == 0
                     || strcmp(type, "input_text") == 0))
        {
            text = json_object_get(part, "text");

        } else if (type && strcmp(type, "refusal") == 0) {
            text = json_object_get(part, "refusal");
        }

        if (llmgw_out_join(&o, text, NULL) != 0) {
            llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                       "input[%zu].content[%zu]: an assistant message can "
                       "hold only output_text and refusal parts with a "
                       "string text", i, j);
            llmgw_out_free(&o);
            return -1;
        }

        has_text = 1;
    }

    if (!has_text) {
        return 0;
    }

    text = llmgw_out_string(&o);
    msg = llmgw_assistant(text, NULL, NULL);

    if (llmgw_json_append(in->messages, msg, err) != 0) {
        return -1;
    }

    in->assistant = msg;

    return 0;
}


/* a function call: a tool call of the assistant message before it, or of
 * a new one */

static int
llmgw_responses_call_in(llmgw_responses_in_t *in, size_t i, json_t *item,
    llmgw_xerr_t *err)
{
    json_t  *id, *name, *args, *call, *calls, *msg;

    id = json_object_get(item, "call_id");
    name = json_object_get(item, "name");
    args = json_object_get(item, "arguments");

    if (!json_is_string(id) || !json_is_string(name)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu]: a function_call needs a string call_id and "
                   "name", i);
        return -1;
    }

    if (!json_is_string(args)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].arguments must be a string", i);
        return -1;
    }

    if (in->assistant == NULL) {
        msg = llmgw_assistant(json_null(), NULL, NULL);

        if (llmgw_json_append(in->messages, msg, err) != 0) {
            return -1;
        }

        in->assistant = msg;
    }

    calls = json_object_get(in->assistant, "tool_calls");

    if (calls == NULL) {
        calls = json_array();

        if (llmgw_json_set(in->assistant, "tool_calls", calls) != 0) {
            return llmgw_xerr_nomem(err);
        }
    }

    call = json_pack("{s:O,s:s,s:{s:O,s:O}}", "id", id, "type", "function",
                     "function", "name", name, "arguments", args);

    return llmgw_json_append(calls, call, err);
}


/* a function's result: a tool message of its text */

static int
llmgw_responses_output_in(llmgw_responses_in_t *in, size_t i, json_t *item,
    llmgw_xerr_t *err)
{
    size_t        j;
    json_t       *id, *output, *part, *text, *msg;
    const char   *type;
    llmgw_out_t   o;

    id = json_object_get(item, "call_id");
    output = json_object_get(item, "output");

    if (!json_is_string(id)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].call_id must be a string", i);
        return -1;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    if (json_is_string(output)) {
        llmgw_out_join(&o, output, NULL);

    } else if (json_is_array(output)) {
        json_array_foreach(output, j, part) {
            type = llmgw_json_str(part, "type", NULL);

            if (type == NULL || strcmp(type, "input_text") != 0) {
                llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                           "input[%zu].output[%zu].type: '%.40s' cannot be "
                           "sent in a tool result to this provider", i, j,
                           type ? type : "");
                llmgw_out_free(&o);
                return -1;
            }

            if (llmgw_out_join(&o, json_object_get(part, "text"), "\n")
                != 0)
            {
                llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                           "input[%zu].output[%zu].text must be a string",
                           i, j);
                llmgw_out_free(&o);
                return -1;
            }
        }

    } else {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].output must be a string or an array of "
                   "input_text parts", i);
        return -1;
    }

    text = llmgw_out_string(&o);
    msg = json_pack("{s:s,s:O,s:o}", "role", "tool", "tool_call_id", id,
                    "content", text);

    in->assistant = NULL;

    return llmgw_json_append(in->messages, msg, err);
}


/*
 * A reasoning item.  Its summary is left out: it is the model's own
 * earlier summary of its reasoning, written for the user, not reasoning
 * the provider could continue from, and as text it would read as part of
 * the conversation.  Encrypted reasoning is OpenAI's, which no other
 * provider can read.
 */

static int
llmgw_responses_reasoning_in(size_t i, json_t *item, llmgw_xerr_t *err)
{
    json_t  *enc;

    enc = json_object_get(item, "encrypted_content");

    if (enc && !json_is_null(enc)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "input[%zu].encrypted_content: encrypted reasoning can't "
                   "be sent to this provider", i);
        return -1;
    }

    return 0;
}


static int
llmgw_responses_tools_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *tools, *out, *t, *tool;

    tools = json_object_get(req, "tools");

    if (tools == NULL || json_is_null(tools)) {
        return 0;
    }

    if (!json_is_array(tools)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "tools must be an array");
        return -1;
    }

    /* an empty list is no list: OpenAI's chat refuses "tools": [] */
    if (json_array_size(tools) == 0) {
        return 0;
    }

    out = json_array();

    if (out == NULL || json_object_set_new(canon, "tools", out) != 0) {
        return llmgw_xerr_nomem(err);
    }

    json_array_foreach(tools, i, t) {
        tool = llmgw_responses_tool_in(t, i, err);

        if (tool == NULL || llmgw_json_append(out, tool, err) != 0) {
            return -1;
        }
    }

    return 0;
}


/* {"type":"function","name","description","parameters","strict"} */

static json_t *
llmgw_responses_tool_in(json_t *t, size_t i, llmgw_xerr_t *err)
{
    size_t       k;
    json_t      *fn, *name, *v;
    const char  *type;

    static const char  *copied[] = { "description", "parameters", "strict" };

    type = llmgw_json_str(t, "type", NULL);

    if (type == NULL) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "tools[%zu].type must be a string", i);
        return NULL;
    }

    if (strcmp(type, "custom") == 0 || strcmp(type, "namespace") == 0) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "tools[%zu].type: '%s' tools cannot be translated for "
                   "this provider; use function tools", i, type);
        return NULL;
    }

    if (strcmp(type, "function") != 0) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "tools[%zu].type: '%.40s' is a hosted tool this provider "
                   "does not offer", i, type);
        return NULL;
    }

    name = json_object_get(t, "name");

    if (!json_is_string(name)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "tools[%zu].name must be a string", i);
        return NULL;
    }

    v = json_object_get(t, "parameters");

    if (v && !json_is_object(v) && !json_is_null(v)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "tools[%zu].parameters must be an object", i);
        return NULL;
    }

    fn = json_pack("{s:O}", "name", name);

    for (k = 0; fn && k < sizeof(copied) / sizeof(copied[0]); k++) {
        v = json_object_get(t, copied[k]);

        if (v && !json_is_null(v) && json_object_set(fn, copied[k], v) != 0)
        {
            json_decref(fn);
            fn = NULL;
        }
    }

    t = json_pack("{s:s,s:o}", "type", "function", "function", fn);

    if (t == NULL) {
        llmgw_xerr_nomem(err);
    }

    return t;
}


/* "auto", "none", "required", {"type":"function","name"}; chat refuses a
 * tool_choice or parallel_tool_calls without tools, so with none they go */

static int
llmgw_responses_tool_choice_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    json_t      *tc, *v;
    const char  *s, *type, *name;

    tc = json_object_get(req, "tool_choice");
    s = json_string_value(tc);

    if (json_object_get(canon, "tools") == NULL) {
        json_object_del(canon, "parallel_tool_calls");

        if (tc == NULL || json_is_null(tc)
            || (s && (strcmp(s, "auto") == 0 || strcmp(s, "none") == 0)))
        {
            return 0;
        }

        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "tool_choice: the request has no tools to choose from");
        return -1;
    }

    if (tc == NULL || json_is_null(tc)) {
        return 0;
    }

    type = llmgw_json_str(tc, "type", NULL);
    name = llmgw_json_str(tc, "name", NULL);

    if (s && (strcmp(s, "auto") == 0 || strcmp(s, "none") == 0
              || strcmp(s, "required") == 0))
    {
        v = json_incref(tc);

    } else if (type && strcmp(type, "function") == 0 && name) {
        v = json_pack("{s:s,s:{s:s}}", "type", "function", "function",
                      "name", name);

    } else {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "tool_choice must be \"auto\", \"none\", \"required\" or "
                   "{\"type\":\"function\",\"name\"}");
        return -1;
    }

    if (llmgw_json_set(canon, "tool_choice", v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* text.format as response_format; text.verbosity is OpenAI's alone and
 * goes */

static int
llmgw_responses_text_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    json_t      *text, *format, *rf;
    const char  *type;

    text = json_object_get(req, "text");

    if (text == NULL || json_is_null(text)) {
        return 0;
    }

    if (!json_is_object(text)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "text must be an object");
        return -1;
    }

    format = json_object_get(text, "format");

    if (format == NULL || json_is_null(format)) {
        return 0;
    }

    type = llmgw_json_str(format, "type", NULL);

    if (type == NULL) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "text.format must be an object with a string \"type\"");
        return -1;
    }

    if (strcmp(type, "text") == 0) {
        return 0;
    }

    if (strcmp(type, "json_object") == 0) {
        rf = json_pack("{s:s}", "type", "json_object");

    } else if (strcmp(type, "json_schema") == 0) {
        rf = llmgw_responses_schema_in(format, err);
        if (rf == NULL) {
            return -1;
        }

    } else {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "text.format.type: '%.40s' is not \"text\", "
                   "\"json_object\" or \"json_schema\"", type);
        return -1;
    }

    if (llmgw_json_set(canon, "response_format", rf) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* {"type":"json_schema","name","schema","strict","description"} as
 * {"type":"json_schema","json_schema":{...}} */

static json_t *
llmgw_responses_schema_in(json_t *format, llmgw_xerr_t *err)
{
    json_t  *name, *schema, *js, *v;

    name = json_object_get(format, "name");
    schema = json_object_get(format, "schema");

    if (!json_is_string(name)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "text.format.name must be a string");
        return NULL;
    }

    if (!json_is_object(schema)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "text.format.schema must be an object");
        return NULL;
    }

    js = json_pack("{s:O,s:O}", "name", name, "schema", schema);
    v = json_object_get(format, "strict");

    if (js && json_is_boolean(v) && json_object_set(js, "strict", v) != 0) {
        json_decref(js);
        js = NULL;
    }

    v = json_object_get(format, "description");

    if (js && json_is_string(v)
        && json_object_set(js, "description", v) != 0)
    {
        json_decref(js);
        js = NULL;
    }

    js = json_pack("{s:s,s:o}", "type", "json_schema", "json_schema", js);

    if (js == NULL) {
        llmgw_xerr_nomem(err);
    }

    return js;
}


/* reasoning.effort as reasoning_effort; reasoning.summary goes: what the
 * provider gives of its reasoning is sent as summary text anyway */

static int
llmgw_responses_reasoning_effort_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err)
{
    json_t  *r, *effort;

    r = json_object_get(req, "reasoning");

    if (r == NULL || json_is_null(r)) {
        return 0;
    }

    if (!json_is_object(r)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "reasoning must be an object");
        return -1;
    }

    effort = json_object_get(r, "effort");

    if (effort == NULL || json_is_null(effort)) {
        return 0;
    }

    if (!json_is_string(effort)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "reasoning.effort must be a string");
        return -1;
    }

    if (json_object_set(canon, "reasoning_effort", effort) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* a stream always reports its usage at the end: the provider is asked
 * for it */

static int
llmgw_responses_stream_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    json_t  *v;

    v = json_object_get(req, "stream");

    if (v && !json_is_boolean(v) && !json_is_null(v)) {
        llmgw_xerr(err, 400, LLMGW_RESPONSES_INVALID,
                   "stream must be a boolean");
        return -1;
    }

    if (!json_is_true(v)) {
        return 0;
    }

    if (json_object_set_new(canon, "stream", json_true()) != 0
        || llmgw_json_set(canon, "stream_options",
                          json_pack("{s:b}", "include_usage", 1))
           != 0)
    {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* client side: a canonical chat.completion as a response object */

static json_t *
llmgw_responses_response_out(json_t *canon, llmgw_xerr_t *err)
{
    char                     tail[LLMGW_RESPONSES_TAIL + 1];
    char                     id[LLMGW_RESPONSES_ID_LEN];
    json_t                  *choice, *message, *usage, *output, *resp, *v;
    const char              *model;
    llmgw_usage_t            u;
    llmgw_responses_head_t   h;

    choice = json_array_get(json_object_get(canon, "choices"), 0);
    message = json_object_get(choice, "message");

    if (!json_is_object(message)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response has no message");
        return NULL;
    }

    llmgw_responses_tail(tail, llmgw_json_str(canon, "id", NULL));
    snprintf(id, sizeof(id), "resp_%s", tail);

    model = llmgw_json_str(canon, "model", NULL);
    v = json_object_get(canon, "created");

    memset(&h, 0, sizeof(llmgw_responses_head_t));
    h.id = id;
    h.model = model ? model : "";
    h.created = json_is_integer(v) ? json_integer_value(v) : 0;
    h.reason = llmgw_responses_reason(llmgw_json_str(choice, "finish_reason",
                                                     NULL));
    h.status = h.reason ? "incomplete" : "completed";

    /* none is zeros: a response has a usage */
    usage = json_object_get(canon, "usage");
    memset(&u, 0, sizeof(llmgw_usage_t));
    llmgw_usage_from_json(usage, &u);
    usage = llmgw_responses_usage(&u, llmgw_json_count(
                json_object_get(usage, "completion_tokens_details"),
                "reasoning_tokens"));

    output = llmgw_responses_output(message, tail, h.reason);
    resp = llmgw_responses_head(&h);

    if (llmgw_json_set(resp, "output", output) != 0) {
        output = NULL;
        goto nomem;
    }

    output = NULL;

    if (llmgw_json_set(resp, "usage", usage) != 0) {
        usage = NULL;
        goto nomem;
    }

    return resp;

nomem:

    json_decref(output);
    json_decref(usage);
    json_decref(resp);
    llmgw_xerr_nomem(err);
    return NULL;
}


/* a reasoning item, a message, and a function call per tool call; when
 * the answer was cut, the last item is incomplete */

static json_t *
llmgw_responses_output(json_t *message, const char *tail, const char *reason)
{
    char     buf[LLMGW_RESPONSES_ID_LEN];
    size_t   i;
    json_t  *output, *v, *call, *last;

    output = json_array();
    if (output == NULL) {
        return NULL;
    }

    v = json_object_get(message, "reasoning_content");

    if (json_is_string(v) && json_string_length(v)) {
        llmgw_responses_item_id(buf, "rs", tail, 0);

        v = json_pack("{s:s,s:s,s:[{s:s,s:O}]}", "id", buf,
                      "type", "reasoning", "summary",
                      "type", "summary_text", "text", v);

        if (llmgw_json_push(output, v) != 0) {
            goto failed;
        }
    }

    if (llmgw_responses_message_out(output, message, tail) != 0) {
        goto failed;
    }

    json_array_foreach(json_object_get(message, "tool_calls"), i, call) {
        if (llmgw_responses_call_out(output, call, tail, i) != 0) {
            goto failed;
        }
    }

    last = json_array_get(output, json_array_size(output) - 1);

    if (reason && json_object_get(last, "status")
        && json_object_set_new(last, "status", json_string("incomplete"))
           != 0)
    {
        goto failed;
    }

    return output;

failed:

    json_decref(output);
    return NULL;
}


/* the message's text (its parts' texts joined) and refusal, when any */

static int
llmgw_responses_message_out(json_t *output, json_t *message,
    const char *tail)
{
    char          buf[LLMGW_RESPONSES_ID_LEN];
    size_t        i;
    json_t       *content, *part, *parts, *refusal, *v;
    llmgw_out_t   o;

    memset(&o, 0, sizeof(llmgw_out_t));

    content = json_object_get(message, "content");

    if (json_is_array(content)) {
        json_array_foreach(content, i, part) {
            llmgw_out_join(&o, json_object_get(part, "text"), NULL);
        }

    } else {
        llmgw_out_join(&o, content, NULL);
    }

    refusal = json_object_get(message, "refusal");

    if (!json_is_string(refusal) || json_string_length(refusal) == 0) {
        refusal = NULL;
    }

    if (o.len == 0 && !o.failed && refusal == NULL) {
        return 0;
    }

    parts = json_array();
    if (parts == NULL) {
        llmgw_out_free(&o);
        return -1;
    }

    if (o.len || o.failed) {
        v = json_pack("{s:s,s:[],s:[],s:o}", "type", "output_text",
                      "annotations", "logprobs", "text",
                      llmgw_out_string(&o));

        if (llmgw_json_push(parts, v) != 0) {
            json_decref(parts);
            return -1;
        }
    }

    if (refusal
        && llmgw_json_push(parts, json_pack("{s:s,s:O}", "type", "refusal",
                                            "refusal", refusal))
           != 0)
    {
        json_decref(parts);
        return -1;
    }

    llmgw_responses_item_id(buf, "msg", tail, json_array_size(output));

    v = json_pack("{s:s,s:s,s:s,s:o,s:s}", "id", buf, "type", "message",
                  "status", "completed", "content", parts,
                  "role", "assistant");

    return llmgw_json_push(output, v);
}


static int
llmgw_responses_call_out(json_t *output, json_t *call, const char *tail,
    size_t i)
{
    char         buf[LLMGW_RESPONSES_ID_LEN], cid[LLMGW_RESPONSES_ID_LEN];
    json_t      *fn, *v;
    const char  *id, *name, *args;

    fn = json_object_get(call, "function");
    id = llmgw_json_str(call, "id", NULL);
    name = llmgw_json_str(fn, "name", NULL);
    args = llmgw_json_str(fn, "arguments", NULL);

    if (id == NULL || id[0] == '\0') {
        llmgw_responses_item_id(cid, "call", tail, i);
        id = cid;
    }

    llmgw_responses_item_id(buf, "fc", tail, json_array_size(output));

    v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", buf,
                  "type", "function_call", "status", "completed",
                  "arguments", args ? args : "{}", "call_id", id,
                  "name", name ? name : "");

    return llmgw_json_push(output, v);
}


/* incomplete_details.reason of a finish reason; NULL: complete */

static const char *
llmgw_responses_reason(const char *finish)
{
    if (finish && strcmp(finish, "length") == 0) {
        return "max_output_tokens";
    }

    if (finish && strcmp(finish, "content_filter") == 0) {
        return "content_filter";
    }

    return NULL;
}


/*
 * A response object but for its output and usage, which the caller adds
 * last.  What comes from the request (tools, tool_choice, temperature,
 * ...) is not known here: those members have the API's defaults.
 */

static json_t *
llmgw_responses_head(const llmgw_responses_head_t *h)
{
    json_t    *model, *error, *details, *completed;
    unsigned   done;

    error = NULL;
    details = NULL;
    completed = NULL;

    model = llmgw_responses_string(h->model, strlen(h->model));

    if (h->code) {
        error = json_pack("{s:s,s:o}", "code", h->code, "message",
                          llmgw_responses_string(h->message,
                                                 h->message_len));
    }

    if (h->reason) {
        details = json_pack("{s:s}", "reason", h->reason);
    }

    done = strcmp(h->status, "completed") == 0
           || strcmp(h->status, "incomplete") == 0;

    if (done) {
        completed = json_integer(h->created);
    }

    if (model == NULL || (h->code && error == NULL)
        || (h->reason && details == NULL) || (done && completed == NULL))
    {
        json_decref(model);
        json_decref(error);
        json_decref(details);
        json_decref(completed);
        return NULL;
    }

    return json_pack("{s:s,s:s,s:I,s:s,s:b,s:o?,s:o?,s:o?,s:n,s:n,s:n,"
                     "s:o,s:b,s:n,s:n,s:{s:n,s:n},s:n,s:s,s:b,s:f,"
                     "s:{s:{s:s},s:s},s:s,s:[],s:i,s:f,s:s,s:n,s:{}}",
                     "id", h->id, "object", "response",
                     "created_at", (json_int_t) h->created,
                     "status", h->status, "background", 0,
                     "completed_at", completed, "error", error,
                     "incomplete_details", details,
                     "instructions", "max_output_tokens", "max_tool_calls",
                     "model", model, "parallel_tool_calls", 1,
                     "previous_response_id", "prompt_cache_key",
                     "reasoning", "effort", "summary",
                     "safety_identifier", "service_tier", "default",
                     "store", 0, "temperature", 1.0,
                     "text", "format", "type", "text", "verbosity", "medium",
                     "tool_choice", "auto", "tools", "top_logprobs", 0,
                     "top_p", 1.0, "truncation", "disabled", "user",
                     "metadata");
}


/* p[0..len) as a JSON string, any ill-formed UTF-8 replaced: a model
 * name or an error message need not be valid UTF-8 */

static json_t *
llmgw_responses_string(const char *p, size_t len)
{
    json_t       *v;
    llmgw_out_t   o;

    memset(&o, 0, sizeof(llmgw_out_t));
    llmgw_out_jstr(&o, p, len);

    v = o.failed ? NULL : json_loadb((const char *) o.data, o.len,
                                     JSON_DECODE_ANY, NULL);
    llmgw_out_free(&o);

    return v;
}


/* input tokens count the cached ones, output tokens the reasoning ones */

static json_t *
llmgw_responses_usage(const llmgw_usage_t *u, int64_t reasoning)
{
    int64_t  total;

    total = u->prompt + u->completion;

    if (u->total > total) {
        total = u->total;
    }

    return json_pack("{s:I,s:{s:I,s:I},s:I,s:{s:I},s:I}",
                     "input_tokens", (json_int_t) u->prompt,
                     "input_tokens_details",
                     "cached_tokens", (json_int_t) u->cached,
                     "cache_write_tokens", (json_int_t) u->cache_write,
                     "output_tokens", (json_int_t) u->completion,
                     "output_tokens_details",
                     "reasoning_tokens", (json_int_t) reasoning,
                     "total_tokens", (json_int_t) total);
}


/* the part of a provider's id after its prefix ("chatcmpl-", "msg_"):
 * [A-Za-z0-9_-] of it; "llmgw" for none */

static void
llmgw_responses_tail(char *buf, const char *id)
{
    size_t       k;
    const char  *p;

    k = 0;

    if (id) {
        p = id + strcspn(id, "-_");
        p = (*p && p[1]) ? p + 1 : id;

        for ( /* void */ ; *p && k < LLMGW_RESPONSES_TAIL; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')
            {
                buf[k++] = *p;
            }
        }
    }

    if (k == 0) {
        memcpy(buf, "llmgw", 5);
        k = 5;
    }

    buf[k] = '\0';
}


/* the id of output item n: prefix_tail_n */

static void
llmgw_responses_item_id(char *buf, const char *prefix, const char *tail,
    size_t n)
{
    snprintf(buf, LLMGW_RESPONSES_ID_LEN, "%s_%s_%zu", prefix, tail, n);
}


/* OpenAI's error body */

static void
llmgw_responses_error_out(llmgw_out_t *o, const char *type, const char *code,
    const char *msg, size_t len)
{
    llmgw_format_openai.error_out(o, type, code, msg, len);
}


/*
 * Client side: deltas as response.* events, "event: NAME" and "data:
 * {"type":NAME,"sequence_number":N,...}".  A new item closes the open
 * ones unless both are function calls; every item is closed before the
 * final event.  Only choice 0 is written.
 */

static int
llmgw_responses_encode(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_responses_enc_t  *e;

    e = s->enc;

    if (d->choice != 0 && d->type != LLMGW_DELTA_START
        && d->type != LLMGW_DELTA_END && d->type != LLMGW_DELTA_ERROR)
    {
        return 0;
    }

    switch (d->type) {

    case LLMGW_DELTA_START:
        llmgw_responses_start(s);
        break;

    case LLMGW_DELTA_TEXT:
        llmgw_responses_text(s, LLMGW_RESPONSES_MESSAGE, d);
        break;

    case LLMGW_DELTA_REASONING:
        llmgw_responses_text(s, LLMGW_RESPONSES_REASONING, d);
        break;

    case LLMGW_DELTA_TOOL_START:
        llmgw_responses_tool_start(s, d);
        break;

    case LLMGW_DELTA_TOOL_ARGS:
        llmgw_responses_tool_args(s, d);
        break;

    case LLMGW_DELTA_FINISH:
        e->reason = llmgw_responses_reason(d->finish);
        break;

    case LLMGW_DELTA_END:
    case LLMGW_DELTA_ERROR:
        llmgw_responses_final(s, d);
        break;

    default:
        break;
    }

    return s->out.failed ? -1 : 0;
}


/* response.created and response.in_progress */

static void
llmgw_responses_start(llmgw_xstream_t *s)
{
    llmgw_responses_enc_t   *e;
    llmgw_responses_head_t   h;

    llmgw_responses_ids(s);
    e = s->enc;

    memset(&h, 0, sizeof(llmgw_responses_head_t));
    h.id = e->id;
    h.model = s->model;
    h.created = s->created;
    h.status = "in_progress";

    llmgw_responses_event(s, "response.created");
    llmgw_responses_object_out(s, &h);

    llmgw_responses_event(s, "response.in_progress");
    llmgw_responses_object_out(s, &h);
}


/* the response id, and the tail item ids carry, from the stream's id */

static void
llmgw_responses_ids(llmgw_xstream_t *s)
{
    llmgw_responses_enc_t  *e;

    e = s->enc;

    if (e->id[0] == '\0') {
        llmgw_responses_tail(e->tail, s->id);
        snprintf(e->id, sizeof(e->id), "resp_%s", e->tail);
    }
}


/* text or reasoning: to the open item of that kind, or a new one */

static void
llmgw_responses_text(llmgw_xstream_t *s, uint32_t kind,
    const llmgw_delta_t *d)
{
    llmgw_responses_enc_t  *e;

    e = s->enc;

    if (d->text_len == 0) {
        return;
    }

    if (e->closed == e->items || e->kind != kind) {
        llmgw_responses_close_all(s, "completed");
        llmgw_responses_open(s, kind, d);
        e = s->enc;
    }

    llmgw_responses_delta(s, e->items - 1, kind, d->text, d->text_len);
}


/* a function call: a new item, open with the calls before it; a call
 * started again is not */

static void
llmgw_responses_tool_start(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_responses_enc_t  *e;

    e = s->enc;

    if (d->tool >= LLMGW_RESPONSES_TOOLS || e->tool[d->tool]) {
        return;
    }

    if (e->kind != LLMGW_RESPONSES_CALL) {
        llmgw_responses_close_all(s, "completed");
    }

    llmgw_responses_open(s, LLMGW_RESPONSES_CALL, d);
}


/* arguments of a call still open; of one not started, or closed since,
 * they cannot be written */

static void
llmgw_responses_tool_args(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    uint32_t                item;
    llmgw_responses_enc_t  *e;

    e = s->enc;

    if (d->tool >= LLMGW_RESPONSES_TOOLS || e->tool[d->tool] == 0
        || d->text_len == 0)
    {
        return;
    }

    item = e->tool[d->tool] - 1;

    if (item >= e->closed) {
        llmgw_responses_delta(s, item, LLMGW_RESPONSES_CALL, d->text,
                              d->text_len);
    }
}


/* response.output_item.added, and the part added to a message or a
 * reasoning item */

static void
llmgw_responses_open(llmgw_xstream_t *s, uint32_t kind,
    const llmgw_delta_t *d)
{
    char                    cid[LLMGW_RESPONSES_ID_LEN];
    size_t                  mark;
    uint32_t                item;
    llmgw_out_t            *o;
    llmgw_responses_enc_t  *e;

    llmgw_responses_ids(s);
    e = s->enc;
    o = &s->out;
    item = e->items++;
    e->kind = kind;

    llmgw_responses_event(s, "response.output_item.added");
    llmgw_out_cstr(o, ",\"output_index\":");
    llmgw_out_int(o, item);
    llmgw_out_cstr(o, ",\"item\":");

    switch (kind) {

    case LLMGW_RESPONSES_MESSAGE:
        llmgw_responses_item_head(s, o, "msg", "message", item);
        llmgw_out_cstr(o, ",\"status\":\"in_progress\",\"content\":[],"
                          "\"role\":\"assistant\"}}\n\n");

        llmgw_responses_event(s, "response.content_part.added");
        llmgw_out_cstr(o, ",\"content_index\":0");
        llmgw_responses_ref(s, "msg", item);
        llmgw_out_cstr(o, ",\"part\":{\"type\":\"output_text\","
                          "\"annotations\":[],\"logprobs\":[],\"text\":\"\"}"
                          "}\n\n");

        llmgw_responses_log(s, item, kind, NULL, 0);
        break;

    case LLMGW_RESPONSES_REASONING:
        llmgw_responses_item_head(s, o, "rs", "reasoning", item);
        llmgw_out_cstr(o, ",\"summary\":[]}}\n\n");

        llmgw_responses_event(s, "response.reasoning_summary_part.added");
        llmgw_responses_ref(s, "rs", item);
        llmgw_out_cstr(o, ",\"part\":{\"type\":\"summary_text\","
                          "\"text\":\"\"},\"summary_index\":0}\n\n");

        llmgw_responses_log(s, item, kind, NULL, 0);
        break;

    default:
        llmgw_responses_item_head(s, o, "fc", "function_call", item);
        llmgw_out_cstr(o, ",\"status\":\"in_progress\",\"arguments\":\"\","
                          "\"call_id\":");

        /* the call_id and name, as written, are kept for the done events */
        mark = o->len;

        if (d->id_len) {
            llmgw_out_jstr(o, d->id, d->id_len);

        } else {
            llmgw_responses_item_id(cid, "call", e->tail, d->tool);
            llmgw_out_jstr(o, cid, strlen(cid));
        }

        if (!o->failed) {
            llmgw_responses_log(s, item, kind, o->data + mark, o->len - mark);
        }

        llmgw_out_cstr(o, ",\"name\":");
        mark = o->len;
        llmgw_out_jstr(o, d->name ? d->name : "", d->name_len);

        if (!o->failed) {
            llmgw_responses_log(s, item, LLMGW_RESPONSES_NAME,
                                o->data + mark, o->len - mark);
        }

        llmgw_out_cstr(o, "}}\n\n");

        e = s->enc;
        e->tool[d->tool] = item + 1;
        break;
    }
}


/* a delta event of an open item; its text, as written, kept */

static void
llmgw_responses_delta(llmgw_xstream_t *s, uint32_t item, uint32_t kind,
    const char *text, size_t len)
{
    size_t        mark;
    llmgw_out_t  *o;

    o = &s->out;

    switch (kind) {

    case LLMGW_RESPONSES_MESSAGE:
        llmgw_responses_event(s, "response.output_text.delta");
        llmgw_out_cstr(o, ",\"content_index\":0,\"delta\":");
        break;

    case LLMGW_RESPONSES_REASONING:
        llmgw_responses_event(s, "response.reasoning_summary_text.delta");
        llmgw_out_cstr(o, ",\"delta\":");
        break;

    default:
        llmgw_responses_event(s, "response.function_call_arguments.delta");
        llmgw_out_cstr(o, ",\"delta\":");
        break;
    }

    mark = o->len;
    llmgw_out_jstr(o, text, len);

    if (!o->failed) {
        llmgw_responses_log(s, item, LLMGW_RESPONSES_TEXT, o->data + mark + 1,
                            o->len - mark - 2);
    }

    llmgw_responses_ref(s, kind == LLMGW_RESPONSES_MESSAGE ? "msg"
                           : kind == LLMGW_RESPONSES_REASONING ? "rs" : "fc",
                        item);

    switch (kind) {

    case LLMGW_RESPONSES_MESSAGE:
        llmgw_out_cstr(o, ",\"logprobs\":[]}\n\n");
        break;

    case LLMGW_RESPONSES_REASONING:
        llmgw_out_cstr(o, ",\"summary_index\":0}\n\n");
        break;

    default:
        llmgw_out_cstr(o, "}\n\n");
        break;
    }
}


/* every open item, in order; the last gets last_status */

static void
llmgw_responses_close_all(llmgw_xstream_t *s, const char *last_status)
{
    llmgw_responses_enc_t  *e;

    e = s->enc;

    while (e->closed < e->items && !s->out.failed) {
        llmgw_responses_close(s, e->closed,
                              e->closed + 1 == e->items ? last_status
                                                        : "completed");
        e = s->enc;
    }

    e->kind = 0;
}


/* an item's done events; its records give way to its final JSON */

static void
llmgw_responses_close(llmgw_xstream_t *s, uint32_t item, const char *status)
{
    llmgw_out_t              json;
    llmgw_responses_enc_t   *e;
    llmgw_responses_item_t   it;

    memset(&it, 0, sizeof(llmgw_responses_item_t));
    memset(&json, 0, sizeof(llmgw_out_t));

    llmgw_responses_take(s, item, &it);
    llmgw_responses_done(s, item, &it, status, &json);

    if (json.failed || it.call.failed || it.name.failed || it.text.failed) {
        s->out.failed = 1;
    }

    llmgw_responses_log_done(s, item, &json);

    e = s->enc;
    e->closed = item + 1;

    llmgw_out_free(&json);
    llmgw_out_free(&it.call);
    llmgw_out_free(&it.name);
    llmgw_out_free(&it.text);
}


/* an open item's records out of the log, into it */

static void
llmgw_responses_take(llmgw_xstream_t *s, uint32_t item,
    llmgw_responses_item_t *it)
{
    size_t                  at, to, n;
    unsigned char          *log;
    llmgw_out_t            *dst;
    llmgw_responses_rec_t   r;
    llmgw_responses_enc_t  *e;

    e = s->enc;
    log = (unsigned char *) (e + 1);

    for (at = e->done, to = e->done; at < e->used; at += n) {
        memcpy(&r, log + at, sizeof(llmgw_responses_rec_t));
        n = sizeof(llmgw_responses_rec_t) + r.len;

        if (r.item != item) {
            memmove(log + to, log + at, n);
            to += n;
            continue;
        }

        dst = r.kind == LLMGW_RESPONSES_CALL ? &it->call
              : r.kind == LLMGW_RESPONSES_NAME ? &it->name
              : r.kind == LLMGW_RESPONSES_TEXT ? &it->text : NULL;

        if (dst) {
            llmgw_out_raw(dst, log + at + sizeof(llmgw_responses_rec_t),
                          r.len);
        }

        if (r.kind != LLMGW_RESPONSES_NAME && r.kind != LLMGW_RESPONSES_TEXT)
        {
            it->kind = r.kind;
        }
    }

    e->used = to;
    e->last = 0;
}


/* the done events of an item; json: its final JSON */

static void
llmgw_responses_done(llmgw_xstream_t *s, uint32_t item,
    const llmgw_responses_item_t *it, const char *status, llmgw_out_t *json)
{
    llmgw_out_t  *o;

    o = &s->out;

    switch (it->kind) {

    case LLMGW_RESPONSES_MESSAGE:
        llmgw_responses_event(s, "response.output_text.done");
        llmgw_out_cstr(o, ",\"content_index\":0");
        llmgw_responses_ref(s, "msg", item);
        llmgw_out_cstr(o, ",\"logprobs\":[],\"text\":");
        llmgw_responses_quoted(o, &it->text);
        llmgw_out_cstr(o, "}\n\n");

        llmgw_responses_event(s, "response.content_part.done");
        llmgw_out_cstr(o, ",\"content_index\":0");
        llmgw_responses_ref(s, "msg", item);
        llmgw_out_cstr(o, ",\"part\":{\"type\":\"output_text\","
                          "\"annotations\":[],\"logprobs\":[],\"text\":");
        llmgw_responses_quoted(o, &it->text);
        llmgw_out_cstr(o, "}}\n\n");

        llmgw_responses_item_head(s, json, "msg", "message", item);
        llmgw_out_cstr(json, ",\"status\":\"");
        llmgw_out_cstr(json, status);
        llmgw_out_cstr(json, "\",\"content\":[{\"type\":\"output_text\","
                             "\"annotations\":[],\"logprobs\":[],"
                             "\"text\":");
        llmgw_responses_quoted(json, &it->text);
        llmgw_out_cstr(json, "}],\"role\":\"assistant\"}");
        break;

    case LLMGW_RESPONSES_REASONING:
        llmgw_responses_event(s, "response.reasoning_summary_text.done");
        llmgw_responses_ref(s, "rs", item);
        llmgw_out_cstr(o, ",\"summary_index\":0,\"text\":");
        llmgw_responses_quoted(o, &it->text);
        llmgw_out_cstr(o, "}\n\n");

        llmgw_responses_event(s, "response.reasoning_summary_part.done");
        llmgw_responses_ref(s, "rs", item);
        llmgw_out_cstr(o, ",\"part\":{\"type\":\"summary_text\",\"text\":");
        llmgw_responses_quoted(o, &it->text);
        llmgw_out_cstr(o, "},\"summary_index\":0}\n\n");

        llmgw_responses_item_head(s, json, "rs", "reasoning", item);
        llmgw_out_cstr(json, ",\"summary\":[{\"type\":\"summary_text\","
                             "\"text\":");
        llmgw_responses_quoted(json, &it->text);
        llmgw_out_cstr(json, "}]}");
        break;

    default:
        llmgw_responses_event(s, "response.function_call_arguments.done");
        llmgw_out_cstr(o, ",\"arguments\":");
        llmgw_responses_quoted(o, &it->text);
        llmgw_responses_ref(s, "fc", item);
        llmgw_out_cstr(o, ",\"name\":");
        llmgw_out_raw(o, it->name.data, it->name.len);
        llmgw_out_cstr(o, "}\n\n");

        llmgw_responses_item_head(s, json, "fc", "function_call", item);
        llmgw_out_cstr(json, ",\"status\":\"");
        llmgw_out_cstr(json, status);
        llmgw_out_cstr(json, "\",\"arguments\":");
        llmgw_responses_quoted(json, &it->text);
        llmgw_out_cstr(json, ",\"call_id\":");
        llmgw_out_raw(json, it->call.data, it->call.len);
        llmgw_out_cstr(json, ",\"name\":");
        llmgw_out_raw(json, it->name.data, it->name.len);
        llmgw_out_raw(json, "}", 1);
        break;
    }

    llmgw_responses_event(s, "response.output_item.done");
    llmgw_out_cstr(o, ",\"output_index\":");
    llmgw_out_int(o, item);
    llmgw_out_cstr(o, ",\"item\":");
    llmgw_out_raw(o, json->data, json->len);
    llmgw_out_cstr(o, "}\n\n");
}


/*
 * END: the open items closed, then response.completed, of status
 * incomplete when the provider cut the answer.  ERROR: response.failed,
 * with the items done so far; nothing else is closed.
 */

static void
llmgw_responses_final(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_responses_enc_t   *e;
    llmgw_responses_head_t   h;

    llmgw_responses_ids(s);
    e = s->enc;

    memset(&h, 0, sizeof(llmgw_responses_head_t));
    h.model = s->model;
    h.created = s->created;

    if (d->type == LLMGW_DELTA_ERROR) {
        h.status = "failed";
        h.code = llmgw_responses_error_code(d->error_type);
        h.message = d->text ? d->text : "";
        h.message_len = d->text ? d->text_len : 0;

        llmgw_responses_event(s, "response.failed");

    } else {
        llmgw_responses_close_all(s, e->reason ? "incomplete" : "completed");
        e = s->enc;

        h.reason = e->reason;
        h.status = e->reason ? "incomplete" : "completed";

        llmgw_responses_event(s, "response.completed");
    }

    h.id = e->id;
    llmgw_responses_object_out(s, &h);

    llmgw_responses_release(s);
}


/* the response object of h, its output the items done, and "}\n\n" */

static void
llmgw_responses_object_out(llmgw_xstream_t *s,
    const llmgw_responses_head_t *h)
{
    size_t                  at;
    json_t                 *v;
    unsigned                first;
    unsigned char          *log;
    llmgw_out_t            *o;
    llmgw_responses_rec_t   r;
    llmgw_responses_enc_t  *e;

    o = &s->out;

    v = llmgw_responses_head(h);
    if (v == NULL) {
        o->failed = 1;
        return;
    }

    llmgw_out_cstr(o, ",\"response\":");
    llmgw_out_json(o, v);
    json_decref(v);

    /* the object is open again for its output and usage */
    if (!o->failed) {
        o->len--;
    }

    llmgw_out_cstr(o, ",\"output\":[");

    e = s->enc;
    log = (unsigned char *) (e + 1);
    first = 1;

    for (at = 0; at < e->done; at += sizeof(llmgw_responses_rec_t) + r.len) {
        memcpy(&r, log + at, sizeof(llmgw_responses_rec_t));

        if (!first) {
            llmgw_out_raw(o, ",", 1);
        }

        llmgw_out_raw(o, log + at + sizeof(llmgw_responses_rec_t), r.len);
        first = 0;
    }

    llmgw_out_cstr(o, "],\"usage\":");

    /* the final response has a usage, zeros when the provider gave none;
     * one failed or in progress has one only when known */
    v = (s->usage.seen || strcmp(h->status, "completed") == 0
         || strcmp(h->status, "incomplete") == 0)
        ? llmgw_responses_usage(&s->usage, 0) : json_null();
    if (v == NULL) {
        o->failed = 1;
        return;
    }

    llmgw_out_json(o, v);
    json_decref(v);

    llmgw_out_cstr(o, "}}\n\n");
}


/* error.code of an error type, among the codes the API documents; Codex
 * retries a response that failed with any but a few */

static const char *
llmgw_responses_error_code(const char *type)
{
    if (type && strcmp(type, "rate_limit_error") == 0) {
        return "rate_limit_exceeded";
    }

    if (type && strcmp(type, "invalid_request_error") == 0) {
        return "invalid_prompt";
    }

    return "server_error";
}


/* "event: NAME\ndata: {"type":NAME,"sequence_number":N": the caller adds
 * the other members and ends the event */

static void
llmgw_responses_event(llmgw_xstream_t *s, const char *name)
{
    llmgw_out_t            *o;
    llmgw_responses_enc_t  *e;

    o = &s->out;
    e = s->enc;

    llmgw_out_cstr(o, "event: ");
    llmgw_out_cstr(o, name);
    llmgw_out_cstr(o, "\ndata: {\"type\":\"");
    llmgw_out_cstr(o, name);
    llmgw_out_cstr(o, "\",\"sequence_number\":");
    llmgw_out_int(o, e->seq++);
}


/* ,"item_id":..,"output_index":.. */

static void
llmgw_responses_ref(llmgw_xstream_t *s, const char *prefix, uint32_t item)
{
    char                    buf[LLMGW_RESPONSES_ID_LEN];
    llmgw_responses_enc_t  *e;

    e = s->enc;

    llmgw_responses_item_id(buf, prefix, e->tail, item);

    llmgw_out_cstr(&s->out, ",\"item_id\":\"");
    llmgw_out_cstr(&s->out, buf);
    llmgw_out_cstr(&s->out, "\",\"output_index\":");
    llmgw_out_int(&s->out, item);
}


/* escaped text, quoted */

static void
llmgw_responses_quoted(llmgw_out_t *o, const llmgw_out_t *text)
{
    llmgw_out_raw(o, "\"", 1);
    llmgw_out_raw(o, text->data, text->len);
    llmgw_out_raw(o, "\"", 1);
}


/* {"id":..,"type":.. of an item, to be continued */

static void
llmgw_responses_item_head(llmgw_xstream_t *s, llmgw_out_t *o,
    const char *prefix, const char *type, uint32_t item)
{
    char                    buf[LLMGW_RESPONSES_ID_LEN];
    llmgw_responses_enc_t  *e;

    e = s->enc;

    llmgw_responses_item_id(buf, prefix, e->tail, item);

    llmgw_out_cstr(o, "{\"id\":\"");
    llmgw_out_cstr(o, buf);
    llmgw_out_cstr(o, "\",\"type\":\"");
    llmgw_out_cstr(o, type);
    llmgw_out_raw(o, "\"", 1);
}


/* room for len more bytes of log: s->enc grown, or NULL with the output
 * failed */

static llmgw_responses_enc_t *
llmgw_responses_reserve(llmgw_xstream_t *s, size_t len)
{
    size_t                  size, need;
    llmgw_responses_enc_t  *e;

    e = s->enc;
    size = e->size ? e->size : sizeof(llmgw_responses_enc_t);

    if (len > (size_t) -1 / 2 - sizeof(llmgw_responses_enc_t) - e->used) {
        s->out.failed = 1;
        return NULL;
    }

    need = sizeof(llmgw_responses_enc_t) + e->used + len;

    if (need <= size) {
        return e;
    }

    while (size < need) {
        size *= 2;
    }

    e = realloc(s->enc, size);
    if (e == NULL) {
        s->out.failed = 1;
        return NULL;
    }

    s->enc = e;
    e->size = size;

    return e;
}


/* a record of an open item; a piece of text extends the last record when
 * that is of the same item's text */

static void
llmgw_responses_log(llmgw_xstream_t *s, uint32_t item, uint32_t kind,
    const void *data, size_t len)
{
    unsigned char          *log;
    llmgw_responses_rec_t   r;
    llmgw_responses_enc_t  *e;

    if (len > UINT32_MAX / 2) {
        s->out.failed = 1;
        return;
    }

    e = llmgw_responses_reserve(s, sizeof(llmgw_responses_rec_t) + len);
    if (e == NULL) {
        return;
    }

    log = (unsigned char *) (e + 1);

    if (kind == LLMGW_RESPONSES_TEXT && e->last) {
        memcpy(&r, log + e->last - 1, sizeof(llmgw_responses_rec_t));

        if (r.item == item && r.kind == kind && r.len <= UINT32_MAX / 2) {
            memcpy(log + e->used, data, len);
            e->used += len;
            r.len += (uint32_t) len;
            memcpy(log + e->last - 1, &r, sizeof(llmgw_responses_rec_t));
            return;
        }
    }

    r.item = item;
    r.kind = kind;
    r.len = (uint32_t) len;

    memcpy(log + e->used, &r, sizeof(llmgw_responses_rec_t));

    if (len) {
        memcpy(log + e->used + sizeof(llmgw_responses_rec_t), data, len);
    }

    e->last = e->used + 1;
    e->used += sizeof(llmgw_responses_rec_t) + len;
}


/* an item's final JSON after the items done before it, ahead of the open
 * items' records */

static void
llmgw_responses_log_done(llmgw_xstream_t *s, uint32_t item,
    const llmgw_out_t *json)
{
    size_t                  n;
    unsigned char          *log;
    llmgw_responses_rec_t   r;
    llmgw_responses_enc_t  *e;

    if (json->failed || json->len > UINT32_MAX / 2) {
        s->out.failed = 1;
        return;
    }

    n = sizeof(llmgw_responses_rec_t) + json->len;

    e = llmgw_responses_reserve(s, n);
    if (e == NULL) {
        return;
    }

    log = (unsigned char *) (e + 1);

    memmove(log + e->done + n, log + e->done, e->used - e->done);

    r.item = item;
    r.kind = LLMGW_RESPONSES_DONE;
    r.len = (uint32_t) json->len;

    memcpy(log + e->done, &r, sizeof(llmgw_responses_rec_t));
    memcpy(log + e->done + sizeof(llmgw_responses_rec_t), json->data,
           json->len);

    e->done += n;
    e->used += n;
    e->last = 0;
}


/* the log is no longer needed: s->enc back to its struct alone */

static void
llmgw_responses_release(llmgw_xstream_t *s)
{
    llmgw_responses_enc_t  *e;

    e = s->enc;
    e->used = 0;
    e->done = 0;
    e->last = 0;

    if (e->size > sizeof(llmgw_responses_enc_t)) {
        e = realloc(s->enc, sizeof(llmgw_responses_enc_t));

        if (e) {
            s->enc = e;
            e->size = sizeof(llmgw_responses_enc_t);
        }
    }
}
