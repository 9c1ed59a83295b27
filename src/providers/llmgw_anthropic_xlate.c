/*
 * llmgw: Anthropic's Messages API.  Its client side reads /v1/messages
 * requests into canonical ones and writes responses and stream events
 * back; its provider side writes requests for Anthropic (and Anthropic on
 * Vertex AI) and reads its answers and streams.
 *
 * Output trees share values with the input tree (jansson counts
 * references): texts, schemas and images are not copied.
 */


#include "llmgw_xlate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* tool calls one encoded stream may hold */
#define LLMGW_ANTHROPIC_TOOLS   256

#define LLMGW_ANTHROPIC_INVALID  "invalid_request_error"
#define LLMGW_ANTHROPIC_ID_LEN   96


typedef enum {
    LLMGW_ANTHROPIC_NONE = 0,
    LLMGW_ANTHROPIC_TEXT,
    LLMGW_ANTHROPIC_THINKING,
    LLMGW_ANTHROPIC_TOOL
} llmgw_anthropic_block_e;


/* the client's stream: the content blocks written so far */
typedef struct {
    unsigned     blocks;
    unsigned     open;          /* llmgw_anthropic_block_e of the last */
    const char  *stop_reason;   /* Anthropic's, from FINISH */
    uint32_t     tool_block[LLMGW_ANTHROPIC_TOOLS]; /* block + 1 of tool i */
    unsigned     started:1;     /* message_start went out */
    unsigned     tools:1;       /* a tool_use block did */
} llmgw_anthropic_enc_t;


/* the provider's stream */
typedef struct {
    llmgw_blocks_t   blocks;
    int64_t          input;
    int64_t          cache_read;
    int64_t          cache_write;
    unsigned         input_seen:1;
} llmgw_anthropic_dec_t;


/* a request being written for Anthropic: it requires user and assistant
 * turns to alternate */
typedef struct {
    llmgw_turns_t    turns;
    llmgw_out_t      system;
} llmgw_anthropic_req_t;


static json_t *llmgw_anthropic_request_in(json_t *req, llmgw_xerr_t *err);
static int llmgw_anthropic_system_in(json_t *system, json_t *out,
    llmgw_xerr_t *err);
static int llmgw_anthropic_messages_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_anthropic_user_in(json_t *out, size_t i, json_t *content,
    llmgw_xerr_t *err);
static int llmgw_anthropic_tool_result_in(json_t *out, json_t *parts,
    const char *where, json_t *block, llmgw_xerr_t *err);
static int llmgw_anthropic_part_in(json_t *parts, const char *where,
    json_t *block, const char *type, llmgw_xerr_t *err);
static json_t *llmgw_anthropic_source_in(json_t *block, const char *where,
    llmgw_xerr_t *err);
static int llmgw_anthropic_assistant_in(json_t *out, size_t i,
    json_t *content, llmgw_xerr_t *err);
static json_t *llmgw_anthropic_call_in(json_t *block, const char *where,
    llmgw_xerr_t *err);
static int llmgw_anthropic_tools_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_anthropic_tool_choice_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_anthropic_copy_number(json_t *req, json_t *canon,
    const char *name, unsigned integer);
static int llmgw_anthropic_params_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_anthropic_thinking_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err);

static json_t *llmgw_anthropic_response_out(json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_anthropic_content_out(json_t *message, const char *id,
    json_t *content);
static const char *llmgw_anthropic_stop_reason(const char *finish,
    unsigned tools);
static json_t *llmgw_anthropic_usage_out(json_t *usage);
static void llmgw_anthropic_error_out(llmgw_out_t *o, const char *type,
    const char *code, const char *msg, size_t len);

static int llmgw_anthropic_encode(llmgw_xstream_t *s,
    const llmgw_delta_t *d);
static void llmgw_anthropic_message_start(llmgw_xstream_t *s);
static void llmgw_anthropic_open(llmgw_xstream_t *s, unsigned kind,
    const llmgw_delta_t *d);
static void llmgw_anthropic_close(llmgw_xstream_t *s);
static void llmgw_anthropic_text_delta(llmgw_xstream_t *s, unsigned block,
    const char *type, const char *field, const char *text, size_t len);
static void llmgw_anthropic_tool_id(char *buf, const char *msg_id,
    unsigned n);
static void llmgw_anthropic_end(llmgw_xstream_t *s);
static void llmgw_anthropic_usage_field(llmgw_out_t *o, const char *name,
    int64_t n, unsigned comma);

static json_t *llmgw_anthropic_request_out(json_t *canon,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int llmgw_anthropic_turns_out(llmgw_anthropic_req_t *r, json_t *msgs,
    llmgw_xerr_t *err);
static int llmgw_anthropic_system_out(llmgw_anthropic_req_t *r,
    const char *where, json_t *content, llmgw_xerr_t *err);
static int llmgw_anthropic_message_out(llmgw_anthropic_req_t *r,
    unsigned user, const char *where, json_t *content, llmgw_xerr_t *err);
static int llmgw_anthropic_part_out(json_t *part, unsigned user,
    const char *where, json_t **block, llmgw_xerr_t *err);
static json_t *llmgw_anthropic_data_url_out(const char *url, size_t len,
    const char *kind, const char *where, llmgw_xerr_t *err);
static int llmgw_anthropic_calls_out(llmgw_anthropic_req_t *r,
    const char *where, json_t *calls, llmgw_xerr_t *err);
static int llmgw_anthropic_tool_msg_out(llmgw_anthropic_req_t *r,
    const char *where, json_t *m, llmgw_xerr_t *err);
static int llmgw_anthropic_tools_out(json_t *canon, json_t *body,
    llmgw_xerr_t *err);
static int llmgw_anthropic_tool_choice_out(json_t *canon, json_t *body,
    llmgw_xerr_t *err);
static int llmgw_anthropic_params_out(llmgw_anthropic_req_t *r,
    json_t *canon, json_t *body, const llmgw_xreq_t *opt, llmgw_xerr_t *err);

static json_t *llmgw_anthropic_response_in(json_t *resp, llmgw_xerr_t *err);
static const char *llmgw_anthropic_finish(const char *stop_reason);
static int llmgw_anthropic_error_in(json_t *body, int status,
    llmgw_xerr_t *err);
static const char *llmgw_anthropic_error_type(const char *type, int status);

static int llmgw_anthropic_decode(llmgw_xstream_t *s, const char *event,
    size_t elen, const char *data, size_t dlen);
static int llmgw_anthropic_decode_start(llmgw_xstream_t *s, json_t *ev);
static int llmgw_anthropic_decode_block(llmgw_xstream_t *s, json_t *ev);
static int llmgw_anthropic_decode_delta(llmgw_xstream_t *s, json_t *ev);
static int llmgw_anthropic_decode_message(llmgw_xstream_t *s, json_t *ev);
static int llmgw_anthropic_decode_usage(llmgw_xstream_t *s, json_t *usage,
    unsigned start);
static int llmgw_anthropic_decode_error(llmgw_xstream_t *s, json_t *ev);


const llmgw_format_t  llmgw_format_anthropic = {
    LLMGW_FORMAT_ANTHROPIC, "anthropic",
    llmgw_anthropic_request_in, llmgw_anthropic_response_out,
    llmgw_anthropic_encode, llmgw_anthropic_error_out,
    sizeof(llmgw_anthropic_enc_t),
    llmgw_anthropic_request_out, llmgw_anthropic_response_in,
    llmgw_anthropic_error_in, llmgw_anthropic_decode, NULL,
    sizeof(llmgw_anthropic_dec_t),
    NULL, NULL, NULL
};


/* client side: an Anthropic request to canonical */

static json_t *
llmgw_anthropic_request_in(json_t *req, llmgw_xerr_t *err)
{
    json_t  *canon, *model;

    if (!json_is_object(req)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "The request body must be a JSON object");
        return NULL;
    }

    canon = json_object();
    if (canon == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    model = json_object_get(req, "model");

    if (model && !json_is_string(model)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "model must be a string");
        goto failed;
    }

    if (model && json_object_set(canon, "model", model) != 0) {
        llmgw_xerr_nomem(err);
        goto failed;
    }

    if (llmgw_anthropic_messages_in(req, canon, err) != 0
        || llmgw_anthropic_tools_in(req, canon, err) != 0
        || llmgw_anthropic_tool_choice_in(req, canon, err) != 0
        || llmgw_anthropic_params_in(req, canon, err) != 0
        || llmgw_anthropic_thinking_in(req, canon, err) != 0)
    {
        goto failed;
    }

    return canon;

failed:

    json_decref(canon);
    return NULL;
}


static int
llmgw_anthropic_messages_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    int      rc;
    size_t   i;
    json_t  *msgs, *out, *m, *msg;

    msgs = json_object_get(req, "messages");

    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "messages must be a non-empty array");
        return -1;
    }

    out = json_array();

    if (out == NULL || json_object_set_new(canon, "messages", out) != 0) {
        return llmgw_xerr_nomem(err);
    }

    if (llmgw_anthropic_system_in(json_object_get(req, "system"), out, err)
        != 0)
    {
        return -1;
    }

    json_array_foreach(msgs, i, m) {
        json_t      *content;
        const char  *role;

        role = llmgw_json_str(m, "role", NULL);
        content = json_object_get(m, "content");

        if (role && strcmp(role, "system") == 0) {
            /* Claude Code puts some of its instructions there; Anthropic
             * takes them as system text where they stand */
            if (llmgw_anthropic_system_in(content, out, err) != 0) {
                return -1;
            }

            continue;
        }

        if (role == NULL
            || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0))
        {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "messages[%zu].role must be \"user\", \"assistant\" "
                       "or \"system\"", i);
            return -1;
        }

        if (json_is_string(content)) {
            msg = json_pack("{s:s,s:O}", "role", role, "content", content);
            rc = llmgw_json_append(out, msg, err);

        } else if (!json_is_array(content)) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "messages[%zu].content must be a string or an array "
                       "of content blocks", i);
            return -1;

        } else if (role[0] == 'u') {
            rc = llmgw_anthropic_user_in(out, i, content, err);

        } else {
            rc = llmgw_anthropic_assistant_in(out, i, content, err);
        }

        if (rc != 0) {
            return -1;
        }
    }

    return 0;
}


/* a string, or text blocks joined by blank lines */

static int
llmgw_anthropic_system_in(json_t *system, json_t *out, llmgw_xerr_t *err)
{
    size_t        i;
    json_t       *b, *text, *msg;
    const char   *type;
    llmgw_out_t   o;

    if (system == NULL || json_is_null(system)) {
        return 0;
    }

    if (json_is_string(system)) {
        if (json_string_length(system) == 0) {
            return 0;
        }

        msg = json_pack("{s:s,s:O}", "role", "system", "content", system);
        return llmgw_json_append(out, msg, err);
    }

    if (!json_is_array(system)) {
        goto invalid;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    json_array_foreach(system, i, b) {
        type = llmgw_json_str(b, "type", NULL);

        if (type == NULL || strcmp(type, "text") != 0
            || llmgw_out_join(&o, json_object_get(b, "text"), "\n\n")
               != 0)
        {
            llmgw_out_free(&o);
            goto invalid;
        }
    }

    if (o.len == 0 && !o.failed) {
        return 0;
    }

    text = llmgw_out_string(&o);
    msg = json_pack("{s:s,s:o}", "role", "system", "content", text);

    return llmgw_json_append(out, msg, err);

invalid:

    llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
               "system must be a string or an array of text blocks");
    return -1;
}


/*
 * A user turn: a tool message for each tool_result, then one user message
 * of the other blocks (and of the images inside the tool results, which
 * tool messages cannot hold).
 */

static int
llmgw_anthropic_user_in(json_t *out, size_t i, json_t *content,
    llmgw_xerr_t *err)
{
    int          rc;
    char         where[64];
    size_t       j;
    json_t      *parts, *b, *part, *msg;
    const char  *type;

    parts = json_array();
    if (parts == NULL) {
        return llmgw_xerr_nomem(err);
    }

    json_array_foreach(content, j, b) {
        snprintf(where, sizeof(where), "messages[%zu].content[%zu]", i, j);

        type = llmgw_json_str(b, "type", NULL);

        if (type == NULL) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s must be an object with a string \"type\"", where);
            goto failed;
        }

        if (strcmp(type, "thinking") == 0
            || strcmp(type, "redacted_thinking") == 0)
        {
            continue;
        }

        if (strcmp(type, "tool_result") == 0) {
            rc = llmgw_anthropic_tool_result_in(out, parts, where, b, err);

        } else if (strcmp(type, "tool_use") == 0) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s: a tool_use block must be in an assistant "
                       "message", where);
            rc = -1;

        } else {
            rc = llmgw_anthropic_part_in(parts, where, b, type, err);
        }

        if (rc != 0) {
            goto failed;
        }
    }

    if (json_array_size(parts) == 0) {
        json_decref(parts);
        return 0;
    }

    part = json_array_get(parts, 0);

    if (json_array_size(parts) == 1
        && strcmp(llmgw_json_str(part, "type", NULL), "text") == 0)
    {
        msg = json_pack("{s:s,s:O}", "role", "user",
                        "content", json_object_get(part, "text"));
        json_decref(parts);

    } else {
        msg = json_pack("{s:s,s:o}", "role", "user", "content", parts);
    }

    return llmgw_json_append(out, msg, err);

failed:

    json_decref(parts);
    return -1;
}


/* its text blocks joined by lines; is_error noted at the start */

static int
llmgw_anthropic_tool_result_in(json_t *out, json_t *parts,
    const char *where, json_t *block, llmgw_xerr_t *err)
{
    char          inner[96];
    size_t        k;
    json_t       *id, *content, *b, *text, *msg;
    const char   *type;
    llmgw_out_t   o;

    id = json_object_get(block, "tool_use_id");

    if (!json_is_string(id)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.tool_use_id must be a string", where);
        return -1;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    if (json_is_true(json_object_get(block, "is_error"))) {
        llmgw_out_cstr(&o, "Error: ");
    }

    content = json_object_get(block, "content");

    if (json_is_string(content)) {
        llmgw_out_join(&o, content, NULL);

    } else if (json_is_array(content)) {
        json_array_foreach(content, k, b) {
            snprintf(inner, sizeof(inner), "%s.content[%zu]", where, k);

            type = llmgw_json_str(b, "type", NULL);

            if (type == NULL) {
                llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                           "%s must be an object with a string \"type\"",
                           inner);
                goto failed;
            }

            if (strcmp(type, "text") == 0) {
                if (llmgw_out_join(&o, json_object_get(b, "text"), "\n")
                    != 0)
                {
                    llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                               "%s.text must be a string", inner);
                    goto failed;
                }

            } else if (llmgw_anthropic_part_in(parts, inner, b, type, err)
                       != 0)
            {
                goto failed;
            }
        }

    } else if (content != NULL && !json_is_null(content)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.content must be a string or an array of content "
                   "blocks", where);
        goto failed;
    }

    text = llmgw_out_string(&o);
    msg = json_pack("{s:s,s:O,s:o}", "role", "tool", "tool_call_id", id,
                    "content", text);

    return llmgw_json_append(out, msg, err);

failed:

    llmgw_out_free(&o);
    return -1;
}


/* text, image and document blocks: OpenAI content parts */

static int
llmgw_anthropic_part_in(json_t *parts, const char *where, json_t *block,
    const char *type, llmgw_xerr_t *err)
{
    json_t      *text, *url, *part, *source;
    const char  *st, *title;

    if (strcmp(type, "text") == 0) {
        text = json_object_get(block, "text");

        if (!json_is_string(text)) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s.text must be a string", where);
            return -1;
        }

        part = json_pack("{s:s,s:O}", "type", "text", "text", text);
        return llmgw_json_append(parts, part, err);
    }

    if (strcmp(type, "image") == 0) {
        url = llmgw_anthropic_source_in(block, where, err);
        if (url == NULL) {
            return -1;
        }

        part = json_pack("{s:s,s:{s:o}}", "type", "image_url",
                         "image_url", "url", url);
        return llmgw_json_append(parts, part, err);
    }

    if (strcmp(type, "document") != 0) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s: unknown content block type \"%.40s\"", where, type);
        return -1;
    }

    source = json_object_get(block, "source");
    st = llmgw_json_str(source, "type", NULL);

    if (st && strcmp(st, "text") == 0) {
        text = json_object_get(source, "data");

        if (!json_is_string(text)) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s.source.data must be a string", where);
            return -1;
        }

        part = json_pack("{s:s,s:O}", "type", "text", "text", text);
        return llmgw_json_append(parts, part, err);
    }

    if (st == NULL || strcmp(st, "base64") != 0) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s: only base64 and text documents can be translated",
                   where);
        return -1;
    }

    url = llmgw_anthropic_source_in(block, where, err);
    if (url == NULL) {
        return -1;
    }

    title = llmgw_json_str(block, "title", NULL);

    part = json_pack("{s:s,s:{s:s,s:o}}", "type", "file", "file",
                     "filename", title ? title : "document.pdf",
                     "file_data", url);

    return llmgw_json_append(parts, part, err);
}


/* an image's or document's source as a URL: data:<type>;base64,<data> */

static json_t *
llmgw_anthropic_source_in(json_t *block, const char *where,
    llmgw_xerr_t *err)
{
    size_t        mlen, dlen;
    json_t       *source, *url;
    const char   *type, *mt, *data;
    llmgw_out_t   o;

    source = json_object_get(block, "source");
    type = llmgw_json_str(source, "type", NULL);

    if (type && strcmp(type, "url") == 0) {
        url = json_object_get(source, "url");

        if (json_is_string(url)) {
            return json_incref(url);
        }

        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.source.url must be a string", where);
        return NULL;
    }

    mt = llmgw_json_str(source, "media_type", &mlen);
    data = llmgw_json_str(source, "data", &dlen);

    if (type == NULL || strcmp(type, "base64") != 0 || mt == NULL
        || data == NULL)
    {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.source must be {\"type\":\"base64\",\"media_type\","
                   "\"data\"} or {\"type\":\"url\",\"url\"}", where);
        return NULL;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    llmgw_out_cstr(&o, "data:");
    llmgw_out_raw(&o, mt, mlen);
    llmgw_out_cstr(&o, ";base64,");
    llmgw_out_raw(&o, data, dlen);

    url = llmgw_out_string(&o);
    if (url == NULL) {
        llmgw_xerr_nomem(err);
    }

    return url;
}


/* an assistant turn: its texts joined, tool_use blocks as tool_calls */

static int
llmgw_anthropic_assistant_in(json_t *out, size_t i, json_t *content,
    llmgw_xerr_t *err)
{
    char          where[64];
    size_t        j;
    json_t       *b, *calls, *call, *msg, *text;
    unsigned      has_text;
    const char   *type;
    llmgw_out_t   o;

    memset(&o, 0, sizeof(llmgw_out_t));
    has_text = 0;

    calls = json_array();
    if (calls == NULL) {
        return llmgw_xerr_nomem(err);
    }

    json_array_foreach(content, j, b) {
        snprintf(where, sizeof(where), "messages[%zu].content[%zu]", i, j);

        type = llmgw_json_str(b, "type", NULL);

        if (type == NULL) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s must be an object with a string \"type\"", where);
            goto failed;
        }

        if (strcmp(type, "text") == 0) {
            if (llmgw_out_join(&o, json_object_get(b, "text"), NULL) != 0) {
                llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                           "%s.text must be a string", where);
                goto failed;
            }

            has_text = 1;

        } else if (strcmp(type, "tool_use") == 0) {
            call = llmgw_anthropic_call_in(b, where, err);

            if (call == NULL || llmgw_json_append(calls, call, err) != 0) {
                goto failed;
            }

        } else if (strcmp(type, "thinking") != 0
                   && strcmp(type, "redacted_thinking") != 0)
        {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s: a \"%.40s\" block cannot be in an assistant "
                       "message", where, type);
            goto failed;
        }
    }

    if (!has_text && json_array_size(calls) == 0) {
        json_decref(calls);
        return 0;
    }

    text = has_text ? llmgw_out_string(&o) : json_null();
    msg = llmgw_assistant(text, calls, NULL);

    json_decref(calls);

    return llmgw_json_append(out, msg, err);

failed:

    llmgw_out_free(&o);
    json_decref(calls);
    return -1;
}


static json_t *
llmgw_anthropic_call_in(json_t *block, const char *where, llmgw_xerr_t *err)
{
    json_t  *id, *name, *input, *call;

    id = json_object_get(block, "id");
    name = json_object_get(block, "name");
    input = json_object_get(block, "input");

    if (!json_is_string(id) || !json_is_string(name)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s: a tool_use block needs a string id and name", where);
        return NULL;
    }

    if (input != NULL && !json_is_object(input)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.input must be an object", where);
        return NULL;
    }

    call = llmgw_tool_call(id, name, input);

    if (call == NULL) {
        llmgw_xerr_nomem(err);
    }

    return call;
}


static int
llmgw_anthropic_tools_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *tools, *out, *t;

    tools = json_object_get(req, "tools");

    if (tools == NULL || json_is_null(tools)) {
        return 0;
    }

    if (!json_is_array(tools)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "tools must be an array");
        return -1;
    }

    out = json_array();

    if (out == NULL || json_object_set_new(canon, "tools", out) != 0) {
        return llmgw_xerr_nomem(err);
    }

    json_array_foreach(tools, i, t) {
        json_t      *name, *desc, *schema, *fn;
        const char  *type;

        type = llmgw_json_str(t, "type", NULL);

        if (type && strcmp(type, "custom") != 0) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "tools[%zu]: the server tool \"%.40s\" is not "
                       "available with this model", i, type);
            return -1;
        }

        name = json_object_get(t, "name");

        if (!json_is_string(name)) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "tools[%zu].name must be a string", i);
            return -1;
        }

        desc = json_object_get(t, "description");
        schema = json_object_get(t, "input_schema");

        if (json_is_object(schema)) {
            schema = json_incref(schema);

        } else {
            schema = json_pack("{s:s,s:{}}", "type", "object",
                               "properties");
        }

        fn = json_pack("{s:O,s:o}", "name", name, "parameters", schema);

        if (fn && json_is_string(desc)
            && json_object_set(fn, "description", desc) != 0)
        {
            json_decref(fn);
            fn = NULL;
        }

        if (fn == NULL
            || llmgw_json_append(out, json_pack("{s:s,s:o}", "type",
                                                "function", "function", fn),
                                 err)
               != 0)
        {
            return llmgw_xerr_nomem(err);
        }
    }

    return 0;
}


static int
llmgw_anthropic_tool_choice_in(json_t *req, json_t *canon,
    llmgw_xerr_t *err)
{
    json_t      *tc, *name, *v;
    const char  *type;

    tc = json_object_get(req, "tool_choice");

    if (tc == NULL || json_is_null(tc)) {
        return 0;
    }

    type = llmgw_json_str(tc, "type", NULL);
    name = json_object_get(tc, "name");

    if (type == NULL) {
        v = NULL;

    } else if (strcmp(type, "auto") == 0) {
        v = json_string("auto");

    } else if (strcmp(type, "any") == 0) {
        v = json_string("required");

    } else if (strcmp(type, "none") == 0) {
        v = json_string("none");

    } else if (strcmp(type, "tool") == 0 && json_is_string(name)) {
        v = json_pack("{s:s,s:{s:O}}", "type", "function", "function",
                      "name", name);
        if (v == NULL) {
            return llmgw_xerr_nomem(err);
        }

    } else {
        v = NULL;
    }

    if (v == NULL) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "tool_choice must be {\"type\": \"auto\", \"any\", "
                   "\"none\" or \"tool\" with a \"name\"}");
        return -1;
    }

    if (json_object_set_new(canon, "tool_choice", v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    if (json_is_true(json_object_get(tc, "disable_parallel_tool_use"))
        && json_object_set_new(canon, "parallel_tool_calls", json_false())
           != 0)
    {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* req's number name into canon: 0 (copied, or absent or null), 1 when of
 * another type, -1 when out of memory */

static int
llmgw_anthropic_copy_number(json_t *req, json_t *canon, const char *name,
    unsigned integer)
{
    json_t  *v;

    v = json_object_get(req, name);

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (integer ? !json_is_integer(v) : !json_is_number(v)) {
        return 1;
    }

    return json_object_set(canon, name, v) == 0 ? 0 : -1;
}


/* max_tokens, temperature, top_p, stop_sequences, metadata, stream; top_k
 * and every other member are dropped */

static int
llmgw_anthropic_params_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    int          rc;
    size_t       i;
    json_t      *v;
    const char  *bad;

    static const struct {
        const char  *name;
        unsigned     integer;
        const char  *bad;
    } numbers[] = {
        { "max_tokens", 1, "max_tokens must be an integer" },
        { "temperature", 0, "temperature must be a number" },
        { "top_p", 0, "top_p must be a number" }
    };

    bad = NULL;

    for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        rc = llmgw_anthropic_copy_number(req, canon, numbers[i].name,
                                         numbers[i].integer);
        if (rc < 0) {
            return llmgw_xerr_nomem(err);
        }

        if (rc > 0) {
            bad = numbers[i].bad;
        }
    }

    v = json_object_get(req, "stop_sequences");

    if (json_is_array(v)) {
        size_t   i;
        json_t  *s;

        json_array_foreach(v, i, s) {
            if (!json_is_string(s)) {
                bad = "stop_sequences must be an array of strings";
            }
        }

        if (bad == NULL && json_array_size(v)
            && json_object_set(canon, "stop", v) != 0)
        {
            return llmgw_xerr_nomem(err);
        }

    } else if (v && !json_is_null(v)) {
        bad = "stop_sequences must be an array of strings";
    }

    v = json_object_get(json_object_get(req, "metadata"), "user_id");

    if (json_is_string(v) && json_object_set(canon, "user", v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    v = json_object_get(req, "stream");

    if (json_is_true(v)) {
        if (json_object_set_new(canon, "stream", json_true()) != 0
            || json_object_set_new(canon, "stream_options",
                                   json_pack("{s:b}", "include_usage", 1))
               != 0)
        {
            return llmgw_xerr_nomem(err);
        }

    } else if (v && !json_is_boolean(v) && !json_is_null(v)) {
        bad = "stream must be a boolean";
    }

    if (bad) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID, "%s", bad);
        return -1;
    }

    return 0;
}


/* thinking budgets as OpenAI's efforts: up to 2048 tokens low, up to 8192
 * medium, more high; "adaptive" thinking medium */

static int
llmgw_anthropic_thinking_in(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    json_t      *thinking, *budget;
    json_int_t   n;
    const char  *type, *effort;

    thinking = json_object_get(req, "thinking");

    if (thinking == NULL || json_is_null(thinking)) {
        return 0;
    }

    type = llmgw_json_str(thinking, "type", NULL);

    if (type == NULL) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "thinking must be an object with a string \"type\"");
        return -1;
    }

    if (strcmp(type, "adaptive") == 0) {
        effort = "medium";

    } else if (strcmp(type, "enabled") == 0) {
        budget = json_object_get(thinking, "budget_tokens");

        if (!json_is_integer(budget)) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "thinking.budget_tokens must be an integer");
            return -1;
        }

        n = json_integer_value(budget);
        effort = n <= 2048 ? "low" : n <= 8192 ? "medium" : "high";

    } else {
        return 0;
    }

    if (json_object_set_new(canon, "reasoning_effort", json_string(effort))
        != 0)
    {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* client side: a canonical chat.completion as an Anthropic message */

static json_t *
llmgw_anthropic_response_out(json_t *canon, llmgw_xerr_t *err)
{
    json_t      *choice, *message, *content, *resp, *usage;
    const char  *id, *model, *reason;

    choice = json_array_get(json_object_get(canon, "choices"), 0);
    message = json_object_get(choice, "message");

    if (!json_is_object(message)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response has no message");
        return NULL;
    }

    id = llmgw_json_str(canon, "id", NULL);
    model = llmgw_json_str(canon, "model", NULL);
    reason = llmgw_anthropic_stop_reason(
                 llmgw_json_str(choice, "finish_reason", NULL),
                 json_array_size(json_object_get(message, "tool_calls")));

    content = json_array();
    usage = llmgw_anthropic_usage_out(json_object_get(canon, "usage"));

    if (content == NULL || usage == NULL
        || llmgw_anthropic_content_out(message, id ? id : "", content) != 0)
    {
        json_decref(content);
        json_decref(usage);
        llmgw_xerr_nomem(err);
        return NULL;
    }

    resp = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:n,s:o}",
                     "id", id ? id : "", "type", "message",
                     "role", "assistant", "model", model ? model : "",
                     "content", content, "stop_reason", reason,
                     "stop_sequence", "usage", usage);
    if (resp == NULL) {
        llmgw_xerr_nomem(err);
    }

    return resp;
}


/* thinking, text, tool_use blocks; an arguments text that is not a JSON
 * object becomes {} */

static int
llmgw_anthropic_content_out(json_t *message, const char *id, json_t *content)
{
    char          buf[LLMGW_ANTHROPIC_ID_LEN];
    size_t        i, len;
    json_t       *v, *call;
    const char   *args;
    llmgw_out_t   o;

    v = json_object_get(message, "reasoning_content");

    if (json_is_string(v) && json_string_length(v)
        && llmgw_json_append(content,
                             json_pack("{s:s,s:O,s:s}", "type", "thinking",
                                       "thinking", v, "signature", ""),
                             NULL)
           != 0)
    {
        return -1;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    v = json_object_get(message, "content");

    if (json_is_array(v)) {
        json_t  *part;

        json_array_foreach(v, i, part) {
            llmgw_out_join(&o, json_object_get(part, "text"), NULL);
        }

    } else {
        llmgw_out_join(&o, v, NULL);
    }

    if (o.len == 0) {
        llmgw_out_join(&o, json_object_get(message, "refusal"), NULL);
    }

    if (o.len || o.failed) {
        json_t  *text;

        text = llmgw_out_string(&o);

        if (llmgw_json_append(content,
                              json_pack("{s:s,s:o}", "type", "text", "text",
                                        text),
                              NULL)
            != 0)
        {
            return -1;
        }
    }

    json_array_foreach(json_object_get(message, "tool_calls"), i, call) {
        json_t      *fn, *input;
        const char  *tid, *name;

        fn = json_object_get(call, "function");
        args = llmgw_json_str(fn, "arguments", &len);
        name = llmgw_json_str(fn, "name", NULL);
        tid = llmgw_json_str(call, "id", NULL);

        input = args ? json_loadb(args, len, 0, NULL) : NULL;

        if (!json_is_object(input)) {
            json_decref(input);
            input = json_object();
        }

        if (tid == NULL || tid[0] == '\0') {
            llmgw_anthropic_tool_id(buf, id, (unsigned) i);
            tid = buf;
        }

        v = json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_use", "id", tid,
                      "name", name ? name : "", "input", input);

        if (llmgw_json_append(content, v, NULL) != 0) {
            return -1;
        }
    }

    return 0;
}


static const char *
llmgw_anthropic_stop_reason(const char *finish, unsigned tools)
{
    if (finish == NULL) {
        return tools ? "tool_use" : "end_turn";
    }

    if (strcmp(finish, "length") == 0) {
        return "max_tokens";
    }

    if (strcmp(finish, "tool_calls") == 0
        || strcmp(finish, "function_call") == 0)
    {
        return "tool_use";
    }

    if (strcmp(finish, "content_filter") == 0) {
        return "refusal";
    }

    return tools ? "tool_use" : "end_turn";
}


/* Anthropic's input_tokens count neither cache reads nor cache writes */

static json_t *
llmgw_anthropic_usage_out(json_t *usage)
{
    int64_t        input;
    llmgw_usage_t  u;

    memset(&u, 0, sizeof(llmgw_usage_t));
    llmgw_usage_from_json(usage, &u);

    input = u.prompt - u.cached - u.cache_write;

    return json_pack("{s:I,s:I,s:I,s:I}",
                     "input_tokens", (json_int_t) (input > 0 ? input : 0),
                     "output_tokens", (json_int_t) u.completion,
                     "cache_read_input_tokens", (json_int_t) u.cached,
                     "cache_creation_input_tokens",
                     (json_int_t) u.cache_write);
}


/* {"type":"error","error":{"type","message"}}; code has no place in it */

static void
llmgw_anthropic_error_out(llmgw_out_t *o, const char *type, const char *code,
    const char *msg, size_t len)
{
    (void) code;

    llmgw_out_cstr(o, "{\"type\":\"error\",\"error\":{\"type\":");
    llmgw_out_jstr(o, type, strlen(type));
    llmgw_out_cstr(o, ",\"message\":");
    llmgw_out_jstr(o, msg, len);
    llmgw_out_cstr(o, "}}\n");
}


/*
 * Client side: deltas as Anthropic's events.  message_start waits for the
 * first delta after START that is not USAGE, so that it carries the input
 * tokens a provider reports at its start.  Only choice 0 is written.
 */

static int
llmgw_anthropic_encode(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_anthropic_enc_t  *e;

    e = s->enc;

    if (d->type == LLMGW_DELTA_ERROR) {
        llmgw_out_cstr(&s->out, "event: error\ndata: ");
        llmgw_anthropic_error_out(&s->out,
                                  d->error_type ? d->error_type : "api_error",
                                  NULL, d->text ? d->text : "",
                                  d->text ? d->text_len : 0);
        llmgw_out_cstr(&s->out, "\n");
        return s->out.failed ? -1 : 0;
    }

    if (d->type == LLMGW_DELTA_START || d->type == LLMGW_DELTA_USAGE
        || (d->choice != 0 && d->type != LLMGW_DELTA_END))
    {
        return 0;
    }

    if (!e->started) {
        llmgw_anthropic_message_start(s);
    }

    switch (d->type) {

    case LLMGW_DELTA_TEXT:
    case LLMGW_DELTA_REASONING:
        if (d->text_len == 0) {
            break;
        }

        if (d->type == LLMGW_DELTA_TEXT) {
            llmgw_anthropic_open(s, LLMGW_ANTHROPIC_TEXT, d);
            llmgw_anthropic_text_delta(s, e->blocks - 1, "text_delta", "text",
                                       d->text, d->text_len);

        } else {
            llmgw_anthropic_open(s, LLMGW_ANTHROPIC_THINKING, d);
            llmgw_anthropic_text_delta(s, e->blocks - 1, "thinking_delta",
                                       "thinking", d->text, d->text_len);
        }

        break;

    case LLMGW_DELTA_TOOL_START:
        if (d->tool < LLMGW_ANTHROPIC_TOOLS && e->tool_block[d->tool] == 0) {
            llmgw_anthropic_open(s, LLMGW_ANTHROPIC_TOOL, d);
        }

        break;

    case LLMGW_DELTA_TOOL_ARGS:
        if (d->tool < LLMGW_ANTHROPIC_TOOLS && e->tool_block[d->tool]
            && d->text_len)
        {
            llmgw_anthropic_text_delta(s, e->tool_block[d->tool] - 1,
                                       "input_json_delta", "partial_json",
                                       d->text, d->text_len);
        }

        break;

    case LLMGW_DELTA_FINISH:
        e->stop_reason = llmgw_anthropic_stop_reason(d->finish, 0);
        break;

    case LLMGW_DELTA_END:
        llmgw_anthropic_end(s);
        break;

    default:
        break;
    }

    return s->out.failed ? -1 : 0;
}


static void
llmgw_anthropic_message_start(llmgw_xstream_t *s)
{
    int64_t                 input;
    llmgw_out_t            *o;
    llmgw_anthropic_enc_t  *e;

    e = s->enc;
    o = &s->out;
    e->started = 1;

    input = s->usage.prompt - s->usage.cached - s->usage.cache_write;

    llmgw_out_cstr(o, "event: message_start\ndata: {\"type\":\"message_start\""
                      ",\"message\":{\"id\":");

    if (s->id[0]) {
        llmgw_out_jstr(o, s->id, strlen(s->id));

    } else {
        llmgw_out_cstr(o, "\"msg_llmgw\"");
    }

    llmgw_out_cstr(o, ",\"type\":\"message\",\"role\":\"assistant\","
                      "\"model\":");
    llmgw_out_jstr(o, s->model, strlen(s->model));
    llmgw_out_cstr(o, ",\"content\":[],\"stop_reason\":null,"
                      "\"stop_sequence\":null,\"usage\":{");
    llmgw_anthropic_usage_field(o, "input_tokens", input > 0 ? input : 0, 0);
    llmgw_anthropic_usage_field(o, "cache_creation_input_tokens",
                                s->usage.cache_write, 1);
    llmgw_anthropic_usage_field(o, "cache_read_input_tokens",
                                s->usage.cached, 1);
    llmgw_out_cstr(o, ",\"output_tokens\":1}}}\n\n");
}


/* a new block of that kind unless the last one is of it (tool blocks are
 * always new): content_block_stop for the last, content_block_start */

static void
llmgw_anthropic_open(llmgw_xstream_t *s, unsigned kind,
    const llmgw_delta_t *d)
{
    llmgw_out_t            *o;
    llmgw_anthropic_enc_t  *e;

    e = s->enc;
    o = &s->out;

    if (e->open == kind && kind != LLMGW_ANTHROPIC_TOOL) {
        return;
    }

    llmgw_anthropic_close(s);

    llmgw_out_cstr(o, "event: content_block_start\ndata: {\"type\":"
                      "\"content_block_start\",\"index\":");
    llmgw_out_int(o, e->blocks);
    llmgw_out_cstr(o, ",\"content_block\":");

    switch (kind) {

    case LLMGW_ANTHROPIC_TEXT:
        llmgw_out_cstr(o, "{\"type\":\"text\",\"text\":\"\"}");
        break;

    case LLMGW_ANTHROPIC_THINKING:
        llmgw_out_cstr(o, "{\"type\":\"thinking\",\"thinking\":\"\","
                          "\"signature\":\"\"}");
        break;

    default:
        llmgw_out_cstr(o, "{\"type\":\"tool_use\",\"id\":");

        if (d->id_len) {
            llmgw_out_jstr(o, d->id, d->id_len);

        } else {
            char  id[LLMGW_ANTHROPIC_ID_LEN];

            llmgw_anthropic_tool_id(id, s->id, d->tool);
            llmgw_out_jstr(o, id, strlen(id));
        }

        llmgw_out_cstr(o, ",\"name\":");
        llmgw_out_jstr(o, d->name ? d->name : "", d->name_len);
        llmgw_out_cstr(o, ",\"input\":{}}");

        e->tool_block[d->tool] = e->blocks + 1;
        e->tools = 1;
        break;
    }

    llmgw_out_cstr(o, "}\n\n");

    e->open = kind;
    e->blocks++;
}


static void
llmgw_anthropic_close(llmgw_xstream_t *s)
{
    llmgw_anthropic_enc_t  *e;

    e = s->enc;

    if (e->open == LLMGW_ANTHROPIC_NONE) {
        return;
    }

    llmgw_out_cstr(&s->out, "event: content_block_stop\ndata: {\"type\":"
                            "\"content_block_stop\",\"index\":");
    llmgw_out_int(&s->out, e->blocks - 1);
    llmgw_out_cstr(&s->out, "}\n\n");

    e->open = LLMGW_ANTHROPIC_NONE;
}


static void
llmgw_anthropic_text_delta(llmgw_xstream_t *s, unsigned block,
    const char *type, const char *field, const char *text, size_t len)
{
    llmgw_out_t  *o;

    o = &s->out;

    llmgw_out_cstr(o, "event: content_block_delta\ndata: {\"type\":"
                      "\"content_block_delta\",\"index\":");
    llmgw_out_int(o, block);
    llmgw_out_cstr(o, ",\"delta\":{\"type\":\"");
    llmgw_out_cstr(o, type);
    llmgw_out_cstr(o, "\",\"");
    llmgw_out_cstr(o, field);
    llmgw_out_cstr(o, "\":");
    llmgw_out_jstr(o, text, len);
    llmgw_out_cstr(o, "}}\n\n");
}


/* an id for a call the provider gave none: [A-Za-z0-9_-] of the message
 * id and the call's index */

static void
llmgw_anthropic_tool_id(char *buf, const char *msg_id, unsigned n)
{
    size_t  i, k;

    memcpy(buf, "toolu_", 6);
    k = 6;

    for (i = 0; msg_id[i] && k < 70; i++) {
        char  c;

        c = msg_id[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '_' || c == '-')
        {
            buf[k++] = c;
        }
    }

    snprintf(buf + k, LLMGW_ANTHROPIC_ID_LEN - k, "_%u", n);
}


static void
llmgw_anthropic_end(llmgw_xstream_t *s)
{
    const char             *reason;
    llmgw_out_t            *o;
    llmgw_anthropic_enc_t  *e;

    e = s->enc;
    o = &s->out;

    llmgw_anthropic_close(s);

    reason = e->stop_reason;

    if (reason == NULL || (e->tools && strcmp(reason, "end_turn") == 0)) {
        reason = e->tools ? "tool_use" : "end_turn";
    }

    llmgw_out_cstr(o, "event: message_delta\ndata: {\"type\":\"message_delta\""
                      ",\"delta\":{\"stop_reason\":\"");
    llmgw_out_cstr(o, reason);
    llmgw_out_cstr(o, "\",\"stop_sequence\":null},\"usage\":{");

    if (s->usage.seen) {
        int64_t  input;

        input = s->usage.prompt - s->usage.cached - s->usage.cache_write;

        llmgw_anthropic_usage_field(o, "input_tokens", input > 0 ? input : 0,
                                    0);
        llmgw_anthropic_usage_field(o, "cache_creation_input_tokens",
                                    s->usage.cache_write, 1);
        llmgw_anthropic_usage_field(o, "cache_read_input_tokens",
                                    s->usage.cached, 1);
        llmgw_out_raw(o, ",", 1);
    }

    llmgw_anthropic_usage_field(o, "output_tokens", s->usage.completion, 0);
    llmgw_out_cstr(o, "}}\n\nevent: message_stop\ndata: "
                      "{\"type\":\"message_stop\"}\n\n");
}


static void
llmgw_anthropic_usage_field(llmgw_out_t *o, const char *name, int64_t n,
    unsigned comma)
{
    llmgw_out_cstr(o, comma ? ",\"" : "\"");
    llmgw_out_cstr(o, name);
    llmgw_out_cstr(o, "\":");
    llmgw_out_int(o, n > 0 ? n : 0);
}


/*
 * Provider side: a canonical request for Anthropic.  response_format asks
 * for JSON in the system prompt (Anthropic has no such member).  With
 * thinking on, temperature and top_p are dropped: Anthropic refuses them.
 */

static json_t *
llmgw_anthropic_request_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    json_t                 *body, *msgs;
    llmgw_anthropic_req_t   r;

    memset(&r, 0, sizeof(llmgw_anthropic_req_t));

    msgs = json_object_get(canon, "messages");

    if (!json_is_array(msgs)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "messages must be an array");
        return NULL;
    }

    body = json_object();
    r.turns.messages = json_array();

    if (body == NULL || r.turns.messages == NULL) {
        llmgw_xerr_nomem(err);
        goto failed;
    }

    if (opt->vertex) {
        if (json_object_set_new(body, "anthropic_version",
                                json_string("vertex-2023-10-16")) != 0)
        {
            llmgw_xerr_nomem(err);
            goto failed;
        }

    } else if (json_object_set_new(body, "model",
                                   json_stringn(opt->model, opt->model_len))
               != 0)
    {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "The model name is not valid UTF-8");
        goto failed;
    }

    if (llmgw_anthropic_turns_out(&r, msgs, err) != 0) {
        goto failed;
    }

    if (json_array_size(r.turns.messages) == 0) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "messages must hold a user or assistant message");
        goto failed;
    }

    llmgw_json_prompt(&r.system, canon, "\n\n");

    if (r.system.len || r.system.failed) {
        if (json_object_set_new(body, "system", llmgw_out_string(&r.system))
            != 0)
        {
            llmgw_xerr_nomem(err);
            goto failed;
        }
    }

    if (json_object_set(body, "messages", r.turns.messages) != 0) {
        llmgw_xerr_nomem(err);
        goto failed;
    }

    if (llmgw_anthropic_tools_out(canon, body, err) != 0
        || llmgw_anthropic_params_out(&r, canon, body, opt, err) != 0)
    {
        goto failed;
    }

    json_decref(r.turns.messages);

    return body;

failed:

    llmgw_out_free(&r.system);
    json_decref(r.turns.messages);
    json_decref(body);
    return NULL;
}


static int
llmgw_anthropic_turns_out(llmgw_anthropic_req_t *r, json_t *msgs,
    llmgw_xerr_t *err)
{
    int      rc;
    char     where[64];
    size_t   i;
    json_t  *m;

    json_array_foreach(msgs, i, m) {
        json_t      *content;
        const char  *role;

        snprintf(where, sizeof(where), "messages[%zu]", i);

        role = llmgw_json_str(m, "role", NULL);
        content = json_object_get(m, "content");

        if (role == NULL) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s.role must be a string", where);
            return -1;
        }

        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            rc = llmgw_anthropic_system_out(r, where, content, err);

        } else if (strcmp(role, "user") == 0) {
            rc = llmgw_anthropic_message_out(r, 1, where, content, err);

        } else if (strcmp(role, "assistant") == 0) {
            rc = llmgw_anthropic_message_out(r, 0, where, content, err);

            if (rc == 0) {
                rc = llmgw_anthropic_calls_out(r, where,
                                               json_object_get(m,
                                                               "tool_calls"),
                                               err);
            }

        } else if (strcmp(role, "tool") == 0) {
            rc = llmgw_anthropic_tool_msg_out(r, where, m, err);

        } else {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s.role \"%.40s\" cannot be sent to Anthropic",
                       where, role);
            return -1;
        }

        if (rc != 0) {
            return -1;
        }
    }

    return 0;
}


static int
llmgw_anthropic_system_out(llmgw_anthropic_req_t *r, const char *where,
    json_t *content, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *part;

    if (json_is_string(content)) {
        llmgw_out_join(&r->system, content, "\n\n");
        return 0;
    }

    json_array_foreach(content, i, part) {
        const char  *type;

        type = llmgw_json_str(part, "type", NULL);

        if (type == NULL || strcmp(type, "text") != 0
            || llmgw_out_join(&r->system, json_object_get(part, "text"),
                              "\n\n")
               != 0)
        {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s.content[%zu]: a system message can hold only "
                       "text", where, i);
            return -1;
        }
    }

    if (content && !json_is_array(content) && !json_is_null(content)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.content must be a string or an array of text parts",
                   where);
        return -1;
    }

    return 0;
}


/* a user's or assistant's content: text, image and file blocks; empty
 * texts are left out (Anthropic refuses them) */

static int
llmgw_anthropic_message_out(llmgw_anthropic_req_t *r, unsigned user,
    const char *where, json_t *content, llmgw_xerr_t *err)
{
    char     inner[96];
    size_t   i;
    json_t  *part, *block;

    if (content == NULL || json_is_null(content)) {
        return 0;
    }

    if (json_is_string(content)) {
        if (json_string_length(content) == 0) {
            return 0;
        }

        block = json_pack("{s:s,s:O}", "type", "text", "text", content);
        return llmgw_turn_add(&r->turns, user, block, 0, err);
    }

    if (!json_is_array(content)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.content must be a string, an array of parts or null",
                   where);
        return -1;
    }

    json_array_foreach(content, i, part) {
        snprintf(inner, sizeof(inner), "%s.content[%zu]", where, i);

        if (llmgw_anthropic_part_out(part, user, inner, &block, err) != 0
            || (block && llmgw_turn_add(&r->turns, user, block, 0, err) != 0))
        {
            return -1;
        }
    }

    return 0;
}


/* one content part as an Anthropic block; *block NULL: nothing to send */

static int
llmgw_anthropic_part_out(json_t *part, unsigned user, const char *where,
    json_t **block, llmgw_xerr_t *err)
{
    size_t       len;
    const char  *type, *url;

    *block = NULL;
    type = llmgw_json_str(part, "type", NULL);

    if (type == NULL) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s must be an object with a string \"type\"", where);
        return -1;
    }

    if (strcmp(type, "text") == 0 || strcmp(type, "refusal") == 0) {
        json_t  *text;

        text = json_object_get(part, type);

        if (!json_is_string(text)) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s.%s must be a string", where, type);
            return -1;
        }

        if (json_string_length(text) == 0) {
            return 0;
        }

        *block = json_pack("{s:s,s:O}", "type", "text", "text", text);
        return *block ? 0 : llmgw_xerr_nomem(err);
    }

    if (strcmp(type, "image_url") == 0 && user) {
        json_t  *iu;

        iu = json_object_get(part, "image_url");
        url = json_is_string(iu) ? json_string_value(iu)
                                 : llmgw_json_str(iu, "url", NULL);

        if (url == NULL) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "%s.image_url.url must be a string", where);
            return -1;
        }

        len = strlen(url);

        if (len > 5 && strncmp(url, "data:", 5) == 0) {
            *block = llmgw_anthropic_data_url_out(url, len, "image", where,
                                                  err);
            return *block ? 0 : -1;
        }

        if (strncmp(url, "https://", 8) == 0
            || strncmp(url, "http://", 7) == 0)
        {
            *block = json_pack("{s:s,s:{s:s,s:s}}", "type", "image",
                               "source", "type", "url", "url", url);
            return *block ? 0 : llmgw_xerr_nomem(err);
        }

        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s: an image URL must be http(s) or a base64 data URL",
                   where);
        return -1;
    }

    if (strcmp(type, "file") == 0 && user) {
        json_t  *file;

        file = json_object_get(part, "file");
        url = llmgw_json_str(file, "file_data", &len);

        if (url && len > 28
            && strncmp(url, "data:application/pdf;base64,", 28) == 0)
        {
            *block = llmgw_anthropic_data_url_out(url, len, "document",
                                                  where, err);
            return *block ? 0 : -1;
        }

        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s: only PDF files given as base64 file_data can be "
                   "sent to Anthropic", where);
        return -1;
    }

    llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
               "%s: a \"%.40s\" part cannot be sent to Anthropic%s", where,
               type, user ? "" : " in an assistant message");
    return -1;
}


/* data:<media type>[;params];base64,<data> as a base64 source */

static json_t *
llmgw_anthropic_data_url_out(const char *url, size_t len, const char *kind,
    const char *where, llmgw_xerr_t *err)
{
    json_t            *block;
    llmgw_data_url_t   du;

    if (llmgw_data_url(url, len, &du) != 0) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s: a data URL must be data:<media type>;base64,<data>",
                   where);
        return NULL;
    }

    block = json_pack("{s:s,s:{s:s,s:s%,s:s%}}", "type", kind, "source",
                      "type", "base64", "media_type", du.type, du.type_len,
                      "data", du.data, du.data_len);
    if (block == NULL) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s: the data URL cannot be read", where);
    }

    return block;
}


/* tool calls as tool_use blocks: their arguments must be a JSON object
 * (an empty text is taken for {}) */

static int
llmgw_anthropic_calls_out(llmgw_anthropic_req_t *r, const char *where,
    json_t *calls, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *call, *id, *name;

    if (calls == NULL || json_is_null(calls)) {
        return 0;
    }

    if (!json_is_array(calls)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.tool_calls must be an array", where);
        return -1;
    }

    json_array_foreach(calls, i, call) {
        json_t  *input;

        input = llmgw_tool_call_out(call, where, i, &id, &name, err);

        if (input == NULL) {
            return -1;
        }

        if (llmgw_turn_add(&r->turns, 0,
                           json_pack("{s:s,s:O,s:O,s:o}", "type", "tool_use",
                                     "id", id, "name", name, "input", input),
                           LLMGW_TURN_CALL, err)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
llmgw_anthropic_tool_msg_out(llmgw_anthropic_req_t *r, const char *where,
    json_t *m, llmgw_xerr_t *err)
{
    char     inner[96];
    size_t   i;
    json_t  *id, *content, *part, *block, *out;

    id = json_object_get(m, "tool_call_id");
    content = json_object_get(m, "content");

    if (!json_is_string(id)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.tool_call_id must be a string", where);
        return -1;
    }

    if (json_is_string(content)) {
        out = json_incref(content);

    } else if (content == NULL || json_is_null(content)) {
        out = json_string("");

    } else if (json_is_array(content)) {
        out = json_array();
        if (out == NULL) {
            return llmgw_xerr_nomem(err);
        }

        json_array_foreach(content, i, part) {
            snprintf(inner, sizeof(inner), "%s.content[%zu]", where, i);

            if (llmgw_anthropic_part_out(part, 1, inner, &block, err) != 0
                || (block && llmgw_json_append(out, block, err) != 0))
            {
                json_decref(out);
                return -1;
            }
        }

    } else {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "%s.content must be a string or an array of parts", where);
        return -1;
    }

    block = json_pack("{s:s,s:O,s:o}", "type", "tool_result",
                      "tool_use_id", id, "content", out);

    return llmgw_turn_add(&r->turns, 1, block, LLMGW_TURN_RESULT, err);
}


static int
llmgw_anthropic_tools_out(json_t *canon, json_t *body, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *tools, *out, *t;

    tools = json_object_get(canon, "tools");

    if (tools == NULL || json_is_null(tools)) {
        return 0;
    }

    if (!json_is_array(tools)) {
        llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                   "tools must be an array");
        return -1;
    }

    if (json_array_size(tools) == 0) {
        return 0;
    }

    out = json_array();

    if (out == NULL || json_object_set_new(body, "tools", out) != 0) {
        return llmgw_xerr_nomem(err);
    }

    json_array_foreach(tools, i, t) {
        json_t  *fn, *desc, *tool;

        fn = llmgw_tool_function(t, i, err);

        if (fn == NULL) {
            return -1;
        }

        desc = json_object_get(fn, "description");
        tool = json_pack("{s:O}", "name", json_object_get(fn, "name"));

        if (tool && json_is_string(desc)
            && json_object_set(tool, "description", desc) != 0)
        {
            json_decref(tool);
            tool = NULL;
        }

        if (tool
            && json_object_set_new(tool, "input_schema",
                                   llmgw_tool_params(fn)) != 0)
        {
            json_decref(tool);
            tool = NULL;
        }

        if (llmgw_json_append(out, tool, err) != 0) {
            return -1;
        }
    }

    return llmgw_anthropic_tool_choice_out(canon, body, err);
}


/* tool_choice only with tools: Anthropic refuses it alone */

static int
llmgw_anthropic_tool_choice_out(json_t *canon, json_t *body,
    llmgw_xerr_t *err)
{
    json_t      *v;
    const char  *c, *name;

    if (llmgw_tool_choice(json_object_get(canon, "tool_choice"), &c, &name,
                          err)
        != 0)
    {
        return -1;
    }

    v = NULL;

    if (name) {
        v = json_pack("{s:s,s:s}", "type", "tool", "name", name);

    } else if (c) {
        v = json_pack("{s:s}", "type", strcmp(c, "required") == 0 ? "any" : c);
    }

    if (json_is_false(json_object_get(canon, "parallel_tool_calls"))
        && (c == NULL || strcmp(c, "none") != 0))
    {
        if (v == NULL) {
            v = json_pack("{s:s}", "type", "auto");
        }

        if (v == NULL
            || json_object_set_new(v, "disable_parallel_tool_use",
                                   json_true()) != 0)
        {
            json_decref(v);
            return llmgw_xerr_nomem(err);
        }
    }

    if (v && json_object_set_new(body, "tool_choice", v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/*
 * max_tokens (required by Anthropic), thinking, stop_sequences,
 * temperature (Anthropic's range is 0 to 1: higher is taken for 1), top_p,
 * metadata.user_id, stream; n, seed, logprobs, stream_options and the
 * other OpenAI-only members are dropped.  Anthropic refuses thinking when
 * the last assistant turn calls tools without its signed thinking blocks,
 * which canonical requests never carry: no thinking then.
 */

static int
llmgw_anthropic_params_out(llmgw_anthropic_req_t *r, json_t *canon,
    json_t *body, const llmgw_xreq_t *opt, llmgw_xerr_t *err)
{
    int          rc;
    json_t      *v, *stop;
    int64_t      max, dflt, budget;
    const char  *effort;

    dflt = opt->default_max_tokens > 0 ? opt->default_max_tokens : 4096;
    max = llmgw_max_tokens(canon, dflt);

    effort = llmgw_json_str(canon, "reasoning_effort", NULL);
    budget = 0;

    if (effort && r->turns.calls == 0) {
        budget = llmgw_effort_budget(&llmgw_effort_anthropic, effort,
                                     strlen(effort));
        budget = budget > 0 ? budget : 0;
    }

    if (budget && max <= budget) {
        max = budget + dflt;
    }

    rc = json_object_set_new(body, "max_tokens", json_integer(max));

    if (budget) {
        rc |= json_object_set_new(body, "thinking",
                                  json_pack("{s:s,s:I}", "type", "enabled",
                                            "budget_tokens",
                                            (json_int_t) budget));
    }

    v = json_object_get(canon, "stop");

    if (json_is_string(v) || json_array_size(v)) {
        if (llmgw_stop_list(v, 0, &stop) != 0) {
            llmgw_xerr(err, 400, LLMGW_ANTHROPIC_INVALID,
                       "stop must be a string or an array of strings");
            return -1;
        }

        rc |= json_object_set_new(body, "stop_sequences", stop);
    }

    v = json_object_get(canon, "temperature");

    if (json_is_number(v) && budget == 0) {
        rc |= json_object_set_new(body, "temperature",
                                  json_number_value(v) > 1.0
                                  ? json_real(1.0) : json_incref(v));
    }

    v = json_object_get(canon, "top_p");

    if (json_is_number(v) && budget == 0) {
        rc |= json_object_set(body, "top_p", v);
    }

    v = json_object_get(canon, "user");

    if (json_is_string(v)) {
        rc |= json_object_set_new(body, "metadata",
                                  json_pack("{s:O}", "user_id", v));
    }

    rc |= json_object_set_new(body, "stream", json_boolean(opt->stream));

    return rc ? llmgw_xerr_nomem(err) : 0;
}


/* provider side: an Anthropic message as a canonical chat.completion */

static json_t *
llmgw_anthropic_response_in(json_t *resp, llmgw_xerr_t *err)
{
    size_t         i;
    json_t        *content, *b, *calls, *call, *msg, *usage, *canon;
    unsigned       has_text;
    const char    *type, *id, *model;
    llmgw_out_t    text, reasoning;
    llmgw_usage_t  u;

    if (!json_is_object(resp)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response is not a JSON object");
        return NULL;
    }

    type = llmgw_json_str(resp, "type", NULL);

    if (type && strcmp(type, "error") == 0) {
        if (llmgw_anthropic_error_in(resp, 502, err) != 0) {
            llmgw_xerr(err, 502, "api_error", "The provider failed");
        }

        return NULL;
    }

    content = json_object_get(resp, "content");

    if (!json_is_array(content)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response has no content");
        return NULL;
    }

    memset(&text, 0, sizeof(llmgw_out_t));
    memset(&reasoning, 0, sizeof(llmgw_out_t));
    has_text = 0;

    calls = json_array();
    if (calls == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    json_array_foreach(content, i, b) {
        type = llmgw_json_str(b, "type", NULL);

        if (type == NULL) {
            continue;
        }

        if (strcmp(type, "text") == 0) {
            if (llmgw_out_join(&text, json_object_get(b, "text"), NULL) == 0) {
                has_text = 1;
            }

        } else if (strcmp(type, "thinking") == 0) {
            llmgw_out_join(&reasoning, json_object_get(b, "thinking"), NULL);

        } else if (strcmp(type, "tool_use") == 0) {
            call = llmgw_anthropic_call_in(b, "content", err);

            if (call == NULL) {
                llmgw_xerr(err, 502, "api_error",
                           "The provider's response has a malformed "
                           "tool_use block");
                goto failed;
            }

            if (llmgw_json_append(calls, call, err) != 0) {
                goto failed;
            }
        }
    }

    msg = llmgw_assistant(has_text ? llmgw_out_string(&text) : json_null(),
                          calls, &reasoning);

    id = llmgw_json_str(resp, "id", NULL);
    model = llmgw_json_str(resp, "model", NULL);

    llmgw_usage_uncached(json_object_get(resp, "usage"), &u, "input_tokens",
                         "output_tokens", "cache_read_input_tokens",
                         "cache_creation_input_tokens");
    usage = llmgw_usage_to_json(&u);

    canon = json_pack("{s:s,s:s,s:i,s:s,s:[{s:i,s:o,s:s}],s:o}",
                      "id", id ? id : "", "object", "chat.completion",
                      "created", 0, "model", model ? model : "",
                      "choices", "index", 0, "message", msg,
                      "finish_reason",
                      llmgw_anthropic_finish(llmgw_json_str(resp,
                                                            "stop_reason",
                                                            NULL)),
                      "usage", usage);

    json_decref(calls);
    llmgw_out_free(&text);
    llmgw_out_free(&reasoning);

    if (canon == NULL) {
        llmgw_xerr_nomem(err);
    }

    return canon;

failed:

    json_decref(calls);
    llmgw_out_free(&text);
    llmgw_out_free(&reasoning);
    return NULL;
}


static const char *
llmgw_anthropic_finish(const char *stop_reason)
{
    if (stop_reason == NULL) {
        return "stop";
    }

    if (strcmp(stop_reason, "max_tokens") == 0
        || strcmp(stop_reason, "model_context_window_exceeded") == 0)
    {
        return "length";
    }

    if (strcmp(stop_reason, "tool_use") == 0) {
        return "tool_calls";
    }

    if (strcmp(stop_reason, "refusal") == 0) {
        return "content_filter";
    }

    return "stop";
}


/* {"type":"error","error":{"type","message"}}, and the {"error":{"code",
 * "message","status"}} of Google's front end on Vertex AI */

static int
llmgw_anthropic_error_in(json_t *body, int status, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *e;
    const char  *type, *msg;

    e = json_object_get(body, "error");
    msg = llmgw_json_str(e, "message", &len);
    type = llmgw_json_str(body, "type", NULL);

    if (msg == NULL || (type && strcmp(type, "error") != 0)) {
        return -1;
    }

    llmgw_xerr(err, status >= 400 ? status : 502,
               llmgw_anthropic_error_type(llmgw_json_str(e, "type", NULL),
                                          status),
               "%.*s", (int) (len > 255 ? 255 : len), msg);

    return 0;
}


static const char *
llmgw_anthropic_error_type(const char *type, int status)
{
    size_t  i;

    static const char  *types[] = {
        "invalid_request_error", "authentication_error", "permission_error",
        "not_found_error", "rate_limit_error", "api_error",
        "overloaded_error"
    };

    if (type == NULL) {
        return llmgw_status_error_type(status);
    }

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(type, types[i]) == 0) {
            return types[i];
        }
    }

    if (strcmp(type, "request_too_large") == 0) {
        return "invalid_request_error";
    }

    if (strcmp(type, "billing_error") == 0) {
        return "permission_error";
    }

    return "api_error";
}


/*
 * Provider side: one event of Anthropic's stream.  The event's name says
 * what it is, or the "type" of its data when it has none (Bedrock's
 * chunks); events of unknown types are ignored, as Anthropic asks.
 */

static int
llmgw_anthropic_decode(llmgw_xstream_t *s, const char *event, size_t elen,
    const char *data, size_t dlen)
{
    int            rc;
    char           name[32];
    size_t         len;
    json_t        *ev;
    const char    *type;
    llmgw_delta_t  d;

    if (data == NULL || dlen == 0) {
        return 0;
    }

    ev = json_loadb(data, dlen, 0, NULL);

    if (!json_is_object(ev)) {
        json_decref(ev);
        return -1;
    }

    if (event == NULL || elen == 0) {
        event = llmgw_json_str(ev, "type", &elen);
    }

    len = (event && elen < sizeof(name)) ? elen : 0;
    memcpy(name, event ? event : "", len);
    name[len] = '\0';
    type = name;

    memset(&d, 0, sizeof(llmgw_delta_t));
    rc = 0;

    if (strcmp(type, "content_block_delta") == 0) {
        rc = llmgw_anthropic_decode_delta(s, ev);

    } else if (strcmp(type, "content_block_start") == 0) {
        rc = llmgw_anthropic_decode_block(s, ev);

    } else if (strcmp(type, "message_start") == 0) {
        rc = llmgw_anthropic_decode_start(s, ev);

    } else if (strcmp(type, "message_delta") == 0) {
        rc = llmgw_anthropic_decode_message(s, ev);

    } else if (strcmp(type, "message_stop") == 0) {
        d.type = LLMGW_DELTA_END;
        rc = llmgw_xstream_delta(s, &d);

    } else if (strcmp(type, "error") == 0) {
        rc = llmgw_anthropic_decode_error(s, ev);
    }

    json_decref(ev);

    return rc;
}


static int
llmgw_anthropic_decode_start(llmgw_xstream_t *s, json_t *ev)
{
    json_t         *msg;
    llmgw_delta_t   d;

    msg = json_object_get(ev, "message");

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_START;
    d.id = llmgw_json_str(msg, "id", &d.id_len);
    d.name = llmgw_json_str(msg, "model", &d.name_len);

    if (llmgw_xstream_delta(s, &d) != 0) {
        return -1;
    }

    return llmgw_anthropic_decode_usage(s, json_object_get(msg, "usage"), 1);
}


/* content_block_start: a text or thinking block may start with text; a
 * tool_use block is the next tool call */

static int
llmgw_anthropic_decode_block(llmgw_xstream_t *s, json_t *ev)
{
    int                     rc;
    char                   *args;
    json_t                 *block, *input;
    const char             *type;
    llmgw_delta_t           d;
    llmgw_anthropic_dec_t  *dec;

    dec = s->dec;
    block = json_object_get(ev, "content_block");
    type = llmgw_json_str(block, "type", NULL);

    if (type == NULL) {
        return 0;
    }

    if (strcmp(type, "text") == 0) {
        return llmgw_xstream_text(s, LLMGW_DELTA_TEXT, 0,
                                  json_object_get(block, "text"));
    }

    if (strcmp(type, "thinking") == 0) {
        return llmgw_xstream_text(s, LLMGW_DELTA_REASONING, 0,
                                  json_object_get(block, "thinking"));
    }

    if (strcmp(type, "tool_use") != 0) {
        return 0;
    }

    rc = llmgw_blocks_start(s, &dec->blocks, json_object_get(ev, "index"),
                            json_object_get(block, "id"),
                            json_object_get(block, "name"), 0);

    if (rc != 0) {
        return rc < 0 ? -1 : 0;
    }

    input = json_object_get(block, "input");

    if (!json_is_object(input) || json_object_size(input) == 0) {
        return 0;
    }

    args = json_dumps(input, JSON_COMPACT);
    if (args == NULL) {
        return -1;
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_TOOL_ARGS;
    d.tool = dec->blocks.tools - 1;
    d.text = args;
    d.text_len = strlen(args);

    rc = llmgw_xstream_delta(s, &d);
    free(args);

    return rc ? -1 : 0;
}


static int
llmgw_anthropic_decode_delta(llmgw_xstream_t *s, json_t *ev)
{
    json_t                 *delta;
    unsigned                tool;
    const char             *type;
    llmgw_anthropic_dec_t  *dec;

    dec = s->dec;
    delta = json_object_get(ev, "delta");
    type = llmgw_json_str(delta, "type", NULL);

    if (type == NULL) {
        return 0;
    }

    if (strcmp(type, "text_delta") == 0) {
        return llmgw_xstream_text(s, LLMGW_DELTA_TEXT, 0,
                                  json_object_get(delta, "text"));
    }

    if (strcmp(type, "thinking_delta") == 0) {
        return llmgw_xstream_text(s, LLMGW_DELTA_REASONING, 0,
                                  json_object_get(delta, "thinking"));
    }

    if (strcmp(type, "input_json_delta") != 0) {
        return 0;
    }

    tool = llmgw_blocks_get(&dec->blocks, json_object_get(ev, "index"));

    if (tool == 0) {
        return 0;
    }

    return llmgw_xstream_text(s, LLMGW_DELTA_TOOL_ARGS, tool - 1,
                              json_object_get(delta, "partial_json"));
}


static int
llmgw_anthropic_decode_message(llmgw_xstream_t *s, json_t *ev)
{
    const char     *reason;
    llmgw_delta_t   d;

    reason = llmgw_json_str(json_object_get(ev, "delta"), "stop_reason",
                            NULL);

    if (reason) {
        memset(&d, 0, sizeof(llmgw_delta_t));
        d.type = LLMGW_DELTA_FINISH;
        d.finish = llmgw_anthropic_finish(reason);

        if (llmgw_xstream_delta(s, &d) != 0) {
            return -1;
        }
    }

    return llmgw_anthropic_decode_usage(s, json_object_get(ev, "usage"), 0);
}


/* message_start's usage, and message_delta's: output tokens so far, and
 * in newer answers the input counts again */

static int
llmgw_anthropic_decode_usage(llmgw_xstream_t *s, json_t *usage,
    unsigned start)
{
    size_t                  i;
    int64_t                *counts[3];
    unsigned                input;
    llmgw_delta_t           d;
    llmgw_anthropic_dec_t  *dec;

    static const char  *keys[] = {
        "input_tokens", "cache_read_input_tokens",
        "cache_creation_input_tokens"
    };

    if (!json_is_object(usage)) {
        return 0;
    }

    dec = s->dec;
    counts[0] = &dec->input;
    counts[1] = &dec->cache_read;
    counts[2] = &dec->cache_write;
    input = start;

    for (i = 0; i < 3; i++) {
        if (json_is_integer(json_object_get(usage, keys[i]))) {
            *counts[i] = llmgw_json_count(usage, keys[i]);
            input = 1;
        }
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_USAGE;
    d.usage.prompt = -1;
    d.usage.completion = -1;
    d.usage.total = -1;
    d.usage.cached = -1;
    d.usage.cache_write = -1;

    if (input) {
        dec->input_seen = 1;
        d.usage.prompt = dec->input + dec->cache_read + dec->cache_write;
        d.usage.cached = dec->cache_read;
        d.usage.cache_write = dec->cache_write;
    }

    if (json_is_integer(json_object_get(usage, "output_tokens"))) {
        d.usage.completion = llmgw_json_count(usage, "output_tokens");

        /* a total that may go down: the last count is the true one */
        if (dec->input_seen) {
            d.usage.total = dec->input + dec->cache_read + dec->cache_write
                            + d.usage.completion;
        }
    }

    return llmgw_xstream_delta(s, &d);
}


static int
llmgw_anthropic_decode_error(llmgw_xstream_t *s, json_t *ev)
{
    llmgw_xerr_t  err;

    if (llmgw_anthropic_error_in(ev, 502, &err) != 0) {
        llmgw_xerr(&err, 502, "api_error",
                   "The provider's stream reported an error");
    }

    return llmgw_xstream_fail(s, err.type, err.message);
}
