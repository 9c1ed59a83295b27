/*
 * llmgw: Amazon Bedrock's Converse API, as a provider: canonical chat
 * requests to Converse bodies (POST /model/{id}/converse, or
 * /converse-stream: the same body), answers, errors and the messages of
 * the event stream back; embeddings through InvokeModel, whose body is the
 * model's own (Titan, Cohere).
 *
 * Plain C on jansson and libc (llmgw_xlate.h).  The model never goes into
 * a body: it is in the URL, which the caller builds.  Output trees share
 * values with the input tree: texts, schemas and images are not copied.
 */


#include "llmgw_xlate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define LLMGW_BEDROCK_INVALID  "invalid_request_error"
#define LLMGW_BEDROCK_CUT      "The provider's stream ended before it finished"


typedef struct {
    const char  *name;
    const char  *value;
} llmgw_bedrock_map_t;


/* the provider's stream: blocks of tools Bedrock runs itself skipped */
typedef struct {
    llmgw_blocks_t   blocks;
    unsigned         stopped:1;     /* messageStop came */
} llmgw_bedrock_dec_t;


/* a request being written: Converse requires user and assistant turns to
 * alternate */
typedef struct {
    llmgw_turns_t    turns;
    json_t          *system;
    unsigned         tool_blocks;   /* toolUse and toolResult blocks */
    unsigned         documents;
} llmgw_bedrock_req_t;


typedef enum {
    LLMGW_BEDROCK_EV_UNKNOWN = 0,
    LLMGW_BEDROCK_EV_START,
    LLMGW_BEDROCK_EV_BLOCK,
    LLMGW_BEDROCK_EV_DELTA,
    LLMGW_BEDROCK_EV_BLOCK_STOP,
    LLMGW_BEDROCK_EV_STOP,
    LLMGW_BEDROCK_EV_METADATA,
    LLMGW_BEDROCK_EV_EXCEPTION
} llmgw_bedrock_event_e;


static json_t *llmgw_bedrock_request_out(json_t *canon,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int llmgw_bedrock_turns_out(llmgw_bedrock_req_t *r, json_t *msgs,
    llmgw_xerr_t *err);
static int llmgw_bedrock_system_out(llmgw_bedrock_req_t *r,
    const char *where, json_t *content, llmgw_xerr_t *err);
static int llmgw_bedrock_message_out(llmgw_bedrock_req_t *r, unsigned user,
    const char *where, json_t *content, llmgw_xerr_t *err);
static int llmgw_bedrock_part_out(llmgw_bedrock_req_t *r, json_t *part,
    unsigned user, const char *where, json_t **block, llmgw_xerr_t *err);
static json_t *llmgw_bedrock_image_out(json_t *part, const char *where,
    llmgw_xerr_t *err);
static json_t *llmgw_bedrock_document_out(llmgw_bedrock_req_t *r,
    json_t *part, const char *where, llmgw_xerr_t *err);
static size_t llmgw_bedrock_document_name(char *name, size_t size,
    const char *fname, size_t len);
static char llmgw_bedrock_name_char(char c);
static const char *llmgw_bedrock_data_url(const char *url, size_t len,
    const llmgw_bedrock_map_t *types, llmgw_data_url_t *du);
static int llmgw_bedrock_calls_out(llmgw_bedrock_req_t *r,
    const char *where, json_t *calls, llmgw_xerr_t *err);
static int llmgw_bedrock_tool_msg_out(llmgw_bedrock_req_t *r,
    const char *where, json_t *m, llmgw_xerr_t *err);
static int llmgw_bedrock_format_out(llmgw_bedrock_req_t *r, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_bedrock_tools_out(llmgw_bedrock_req_t *r, json_t *canon,
    json_t *body, llmgw_xerr_t *err);
static int llmgw_bedrock_tool_choice(llmgw_bedrock_req_t *r, json_t *canon,
    json_t **choice, llmgw_xerr_t *err);
static json_t *llmgw_bedrock_tool_spec(json_t *t, size_t i,
    llmgw_xerr_t *err);
static int llmgw_bedrock_params_out(llmgw_bedrock_req_t *r, json_t *canon,
    json_t *body, const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int64_t llmgw_bedrock_budget(llmgw_bedrock_req_t *r, json_t *canon,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int llmgw_bedrock_stop_out(json_t *canon, json_t *config,
    llmgw_xerr_t *err);

static json_t *llmgw_bedrock_response_in(json_t *resp, llmgw_xerr_t *err);
static void llmgw_bedrock_usage(json_t *usage, llmgw_usage_t *u);
static const char *llmgw_bedrock_finish(const char *reason);
static int llmgw_bedrock_error_in(json_t *body, int status,
    llmgw_xerr_t *err);
static const char *llmgw_bedrock_message(json_t *body, size_t *len);

static int llmgw_bedrock_decode(llmgw_xstream_t *s, const char *event,
    size_t elen, const char *data, size_t dlen);
static llmgw_bedrock_event_e llmgw_bedrock_event(const char *event,
    size_t elen);
static int llmgw_bedrock_decode_block(llmgw_xstream_t *s, json_t *ev);
static int llmgw_bedrock_decode_delta(llmgw_xstream_t *s, json_t *ev);
static int llmgw_bedrock_decode_stop(llmgw_xstream_t *s, json_t *ev);
static int llmgw_bedrock_decode_usage(llmgw_xstream_t *s, json_t *ev);
static int llmgw_bedrock_decode_exception(llmgw_xstream_t *s,
    const char *event, size_t elen, json_t *ev);
static const char *llmgw_bedrock_exception_type(const char *name,
    size_t len);
static int llmgw_bedrock_decode_end(llmgw_xstream_t *s);

static json_t *llmgw_bedrock_embed_out(json_t *canon,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static json_t *llmgw_bedrock_titan_out(json_t *canon, const char *model,
    size_t len, llmgw_xerr_t *err);
static json_t *llmgw_bedrock_cohere_out(json_t *canon, const char *model,
    size_t len, llmgw_xerr_t *err);
static int llmgw_bedrock_dimensions(json_t *canon, json_t *body,
    const char *key, const char *model, size_t len, llmgw_xerr_t *err);
static int llmgw_bedrock_texts(json_t *input, llmgw_xerr_t *err);
static json_t *llmgw_bedrock_embed_in(json_t *resp, const char *model,
    llmgw_xerr_t *err);

static int llmgw_bedrock_has(const char *p, size_t len, const char *s);
static int llmgw_bedrock_set(json_t *obj, const char *key, json_t *v,
    llmgw_xerr_t *err);


const llmgw_format_t  llmgw_format_bedrock = {
    LLMGW_FORMAT_BEDROCK,
    "bedrock",

    NULL,
    NULL,
    NULL,
    NULL,
    0,

    llmgw_bedrock_request_out,
    llmgw_bedrock_response_in,
    llmgw_bedrock_error_in,
    llmgw_bedrock_decode,
    llmgw_bedrock_decode_end,
    sizeof(llmgw_bedrock_dec_t),

    llmgw_bedrock_embed_out,
    llmgw_bedrock_embed_in,
    NULL
};


static const llmgw_bedrock_map_t  llmgw_bedrock_images[] = {
    { "image/png", "png" },
    { "image/jpeg", "jpeg" },
    { "image/jpg", "jpeg" },
    { "image/gif", "gif" },
    { "image/webp", "webp" },
    { NULL, NULL }
};


static const llmgw_bedrock_map_t  llmgw_bedrock_documents[] = {
    { "application/pdf", "pdf" },
    { "text/csv", "csv" },
    { "application/msword", "doc" },
    { "application/vnd.openxmlformats-officedocument.wordprocessingml."
      "document", "docx" },
    { "application/vnd.ms-excel", "xls" },
    { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "xlsx" },
    { "text/html", "html" },
    { "text/plain", "txt" },
    { "text/markdown", "md" },
    { NULL, NULL }
};


static const llmgw_bedrock_map_t  llmgw_bedrock_finishes[] = {
    { "tool_use", "tool_calls" },
    { "max_tokens", "length" },
    { "model_context_window_exceeded", "length" },
    { "guardrail_intervened", "content_filter" },
    { "content_filtered", "content_filter" },
    { NULL, NULL }
};


/* exception names as the event stream has them; the first letter is
 * compared without case (InvokeModel's errors name them capitalized) */
static const llmgw_bedrock_map_t  llmgw_bedrock_exceptions[] = {
    { "throttlingException", "rate_limit_error" },
    { "validationException", "invalid_request_error" },
    { "serviceUnavailableException", "overloaded_error" },
    { "accessDeniedException", "permission_error" },
    { "resourceNotFoundException", "not_found_error" },
    { NULL, NULL }
};


/*
 * The request.  response_format asks for JSON in the system prompt, as for
 * Anthropic (Converse has no such member).  tool_choice "none" sends no
 * tools, since Converse has no such choice; it is refused when the
 * conversation holds tool calls, which Bedrock takes only with the tools
 * declared.  n, seed, logprobs, user, parallel_tool_calls and the other
 * OpenAI-only members are dropped, as for Anthropic.
 */

static json_t *
llmgw_bedrock_request_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    json_t               *body, *msgs;
    llmgw_bedrock_req_t   r;

    memset(&r, 0, sizeof(llmgw_bedrock_req_t));

    msgs = json_object_get(canon, "messages");

    if (!json_is_array(msgs)) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "messages must be an array");
        return NULL;
    }

    body = json_object();
    r.turns.messages = json_array();
    r.system = json_array();

    if (body == NULL || r.turns.messages == NULL || r.system == NULL) {
        llmgw_xerr_nomem(err);
        goto failed;
    }

    if (llmgw_bedrock_turns_out(&r, msgs, err) != 0) {
        goto failed;
    }

    if (json_array_size(r.turns.messages) == 0) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "messages must hold a user or assistant message");
        goto failed;
    }

    if (llmgw_bedrock_format_out(&r, canon, err) != 0
        || llmgw_bedrock_set(body, "messages", json_incref(r.turns.messages),
                             err) != 0
        || (json_array_size(r.system)
            && llmgw_bedrock_set(body, "system", json_incref(r.system), err)
               != 0)
        || llmgw_bedrock_tools_out(&r, canon, body, err) != 0
        || llmgw_bedrock_params_out(&r, canon, body, opt, err) != 0)
    {
        goto failed;
    }

    json_decref(r.turns.messages);
    json_decref(r.system);

    return body;

failed:

    json_decref(r.turns.messages);
    json_decref(r.system);
    json_decref(body);
    return NULL;
}


static int
llmgw_bedrock_turns_out(llmgw_bedrock_req_t *r, json_t *msgs,
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
            llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                       "%s.role must be a string", where);
            return -1;
        }

        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            rc = llmgw_bedrock_system_out(r, where, content, err);

        } else if (strcmp(role, "user") == 0) {
            rc = llmgw_bedrock_message_out(r, 1, where, content, err);

        } else if (strcmp(role, "assistant") == 0) {
            rc = llmgw_bedrock_message_out(r, 0, where, content, err);

            if (rc == 0) {
                rc = llmgw_bedrock_calls_out(r, where,
                                             json_object_get(m, "tool_calls"),
                                             err);
            }

        } else if (strcmp(role, "tool") == 0) {
            rc = llmgw_bedrock_tool_msg_out(r, where, m, err);

        } else {
            llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                       "%s.role \"%.40s\" cannot be sent to Bedrock", where,
                       role);
            return -1;
        }

        if (rc != 0) {
            return -1;
        }
    }

    return 0;
}


static int
llmgw_bedrock_system_out(llmgw_bedrock_req_t *r, const char *where,
    json_t *content, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *part;

    if (json_is_string(content)) {
        if (json_string_length(content) == 0) {
            return 0;
        }

        return llmgw_json_append(r->system,
                                 json_pack("{s:O}", "text", content), err);
    }

    if (content && !json_is_array(content) && !json_is_null(content)) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s.content must be a string or an array of text parts",
                   where);
        return -1;
    }

    json_array_foreach(content, i, part) {
        json_t      *text;
        const char  *type;

        type = llmgw_json_str(part, "type", NULL);
        text = json_object_get(part, "text");

        if (type == NULL || strcmp(type, "text") != 0
            || !json_is_string(text))
        {
            llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                       "%s.content[%zu]: a system message can hold only "
                       "text", where, i);
            return -1;
        }

        if (json_string_length(text)
            && llmgw_json_append(r->system, json_pack("{s:O}", "text", text),
                                 err)
               != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* a user's or assistant's content: text, image and document blocks; empty
 * texts are left out (Converse refuses them) */

static int
llmgw_bedrock_message_out(llmgw_bedrock_req_t *r, unsigned user,
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

        return llmgw_turn_add(&r->turns, user,
                              json_pack("{s:O}", "text", content), 0, err);
    }

    if (!json_is_array(content)) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s.content must be a string, an array of parts or null",
                   where);
        return -1;
    }

    json_array_foreach(content, i, part) {
        snprintf(inner, sizeof(inner), "%s.content[%zu]", where, i);

        if (llmgw_bedrock_part_out(r, part, user, inner, &block, err) != 0
            || (block && llmgw_turn_add(&r->turns, user, block, 0, err) != 0))
        {
            return -1;
        }
    }

    return 0;
}


/* one content part as a Converse block; *block NULL: nothing to send */

static int
llmgw_bedrock_part_out(llmgw_bedrock_req_t *r, json_t *part, unsigned user,
    const char *where, json_t **block, llmgw_xerr_t *err)
{
    const char  *type;

    *block = NULL;
    type = llmgw_json_str(part, "type", NULL);

    if (type == NULL) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s must be an object with a string \"type\"", where);
        return -1;
    }

    if (strcmp(type, "text") == 0 || strcmp(type, "refusal") == 0) {
        json_t  *text;

        text = json_object_get(part, type);

        if (!json_is_string(text)) {
            llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                       "%s.%s must be a string", where, type);
            return -1;
        }

        if (json_string_length(text) == 0) {
            return 0;
        }

        *block = json_pack("{s:O}", "text", text);
        return *block ? 0 : llmgw_xerr_nomem(err);
    }

    if (strcmp(type, "image_url") == 0 && user) {
        *block = llmgw_bedrock_image_out(part, where, err);
        return *block ? 0 : -1;
    }

    if (strcmp(type, "file") == 0 && user) {
        *block = llmgw_bedrock_document_out(r, part, where, err);
        return *block ? 0 : -1;
    }

    llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
               "%s: a \"%.40s\" part cannot be sent to Bedrock%s", where,
               type, user ? "" : " in an assistant message");
    return -1;
}


/* Converse takes images as bytes only (or from S3): data: URLs */

static json_t *
llmgw_bedrock_image_out(json_t *part, const char *where, llmgw_xerr_t *err)
{
    size_t             len;
    json_t            *iu, *block;
    const char        *url, *format;
    llmgw_data_url_t   du;

    iu = json_object_get(part, "image_url");
    url = json_is_string(iu) ? json_string_value(iu)
                             : llmgw_json_str(iu, "url", NULL);

    if (url == NULL) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s.image_url.url must be a string", where);
        return NULL;
    }

    len = strlen(url);

    if (len < 5 || strncmp(url, "data:", 5) != 0) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s: Bedrock takes images as bytes, not by URL: send a "
                   "base64 data URL", where);
        return NULL;
    }

    format = llmgw_bedrock_data_url(url, len, llmgw_bedrock_images, &du);

    if (format == NULL) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s: an image must be a data:image/(png|jpeg|gif|webp);"
                   "base64,<data> URL", where);
        return NULL;
    }

    block = json_pack("{s:{s:s,s:{s:s%}}}", "image", "format", format,
                      "source", "bytes", du.data, du.data_len);
    if (block == NULL) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s: the data URL cannot be read", where);
    }

    return block;
}


/*
 * A file given as file_data.  Converse wants a name of letters, digits,
 * single spaces, hyphens, parentheses and brackets: the file's name
 * without its extension, its other characters as hyphens, or
 * "document-N".
 */

static json_t *
llmgw_bedrock_document_out(llmgw_bedrock_req_t *r, json_t *part,
    const char *where, llmgw_xerr_t *err)
{
    char               name[64];
    size_t             len, n;
    json_t            *file, *block;
    const char        *url, *format, *fname;
    llmgw_data_url_t   du;

    len = 0;
    file = json_object_get(part, "file");
    url = llmgw_json_str(file, "file_data", &len);

    format = url ? llmgw_bedrock_data_url(url, len, llmgw_bedrock_documents,
                                          &du)
                 : NULL;

    if (format == NULL) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s: only files given as base64 file_data of PDF, CSV, "
                   "Word, Excel, HTML, text or Markdown can be sent to "
                   "Bedrock", where);
        return NULL;
    }

    fname = llmgw_json_str(file, "filename", &n);
    n = fname ? llmgw_bedrock_document_name(name, sizeof(name), fname, n) : 0;

    r->documents++;

    if (n == 0) {
        n = snprintf(name, sizeof(name), "document-%u", r->documents);
    }

    block = json_pack("{s:{s:s,s:s%,s:{s:s%}}}", "document", "format", format,
                      "name", name, n, "source", "bytes", du.data,
                      du.data_len);
    if (block == NULL) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s: the data URL cannot be read", where);
    }

    return block;
}


/* the name without its extension: letters, digits, hyphens, parentheses
 * and brackets kept, runs of blanks as one space, the rest as hyphens */

static size_t
llmgw_bedrock_document_name(char *name, size_t size, const char *fname,
    size_t len)
{
    size_t  i, n;

    for (i = len; i > 0; i--) {
        if (fname[i - 1] == '.') {
            len = i - 1;
            break;
        }
    }

    n = 0;

    for (i = 0; i < len && n < size - 1; i++) {
        if (fname[i] != ' ' && fname[i] != '\t') {
            name[n++] = llmgw_bedrock_name_char(fname[i]);

        } else if (n && name[n - 1] != ' ') {
            name[n++] = ' ';
        }
    }

    while (n && name[n - 1] == ' ') {
        n--;
    }

    return n;
}


static char
llmgw_bedrock_name_char(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || c == '-' || c == '(' || c == ')'
        || c == '[' || c == ']')
    {
        return c;
    }

    return '-';
}


/* a data URL: the format of its media type in types; NULL if not so */

static const char *
llmgw_bedrock_data_url(const char *url, size_t len,
    const llmgw_bedrock_map_t *types, llmgw_data_url_t *du)
{
    if (llmgw_data_url(url, len, du) != 0) {
        return NULL;
    }

    for ( /* void */ ; types->name; types++) {
        if (llmgw_str_is(du->type, du->type_len, types->name)) {
            return types->value;
        }
    }

    return NULL;
}


/* tool calls as toolUse blocks: their arguments must be a JSON object (an
 * empty text is taken for {}) */

static int
llmgw_bedrock_calls_out(llmgw_bedrock_req_t *r, const char *where,
    json_t *calls, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *call, *id, *name;

    if (calls == NULL || json_is_null(calls)) {
        return 0;
    }

    if (!json_is_array(calls)) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s.tool_calls must be an array", where);
        return -1;
    }

    json_array_foreach(calls, i, call) {
        json_t  *input;

        input = llmgw_tool_call_out(call, where, i, &id, &name, err);

        if (input == NULL) {
            return -1;
        }

        r->tool_blocks++;

        if (llmgw_turn_add(&r->turns, 0,
                           json_pack("{s:{s:O,s:O,s:o}}", "toolUse",
                                     "toolUseId", id, "name", name,
                                     "input", input),
                           LLMGW_TURN_CALL, err)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* a tool's answer: a toolResult block in a user turn; an empty one has no
 * content blocks, since Converse refuses empty texts */

static int
llmgw_bedrock_tool_msg_out(llmgw_bedrock_req_t *r, const char *where,
    json_t *m, llmgw_xerr_t *err)
{
    char     inner[96];
    size_t   i;
    json_t  *id, *content, *part, *block, *out;

    id = json_object_get(m, "tool_call_id");
    content = json_object_get(m, "content");

    if (!json_is_string(id)) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s.tool_call_id must be a string", where);
        return -1;
    }

    if (content && !json_is_string(content) && !json_is_array(content)
        && !json_is_null(content))
    {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "%s.content must be a string or an array of parts", where);
        return -1;
    }

    out = json_array();
    if (out == NULL) {
        return llmgw_xerr_nomem(err);
    }

    if (json_is_string(content) && json_string_length(content)
        && llmgw_json_append(out, json_pack("{s:O}", "text", content), err)
           != 0)
    {
        json_decref(out);
        return -1;
    }

    json_array_foreach(content, i, part) {
        snprintf(inner, sizeof(inner), "%s.content[%zu]", where, i);

        if (llmgw_bedrock_part_out(r, part, 1, inner, &block, err) != 0
            || (block && llmgw_json_append(out, block, err) != 0))
        {
            json_decref(out);
            return -1;
        }
    }

    r->tool_blocks++;

    block = json_pack("{s:{s:O,s:o}}", "toolResult", "toolUseId", id,
                      "content", out);

    return llmgw_turn_add(&r->turns, 1, block, LLMGW_TURN_RESULT, err);
}


static int
llmgw_bedrock_format_out(llmgw_bedrock_req_t *r, json_t *canon,
    llmgw_xerr_t *err)
{
    llmgw_out_t  o;

    memset(&o, 0, sizeof(llmgw_out_t));

    if (llmgw_json_prompt(&o, canon, NULL) == 0) {
        return 0;
    }

    return llmgw_json_append(r->system,
                             json_pack("{s:o}", "text", llmgw_out_string(&o)),
                             err);
}


static int
llmgw_bedrock_tools_out(llmgw_bedrock_req_t *r, json_t *canon, json_t *body,
    llmgw_xerr_t *err)
{
    int      rc;
    size_t   i;
    json_t  *tools, *t, *out, *config, *choice;

    tools = json_object_get(canon, "tools");

    if (tools == NULL || json_is_null(tools)) {
        return 0;
    }

    if (!json_is_array(tools)) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID, "tools must be an array");
        return -1;
    }

    if (json_array_size(tools) == 0) {
        return 0;
    }

    rc = llmgw_bedrock_tool_choice(r, canon, &choice, err);

    if (rc != 0) {
        return rc < 0 ? -1 : 0;
    }

    out = json_array();
    config = json_pack("{s:o}", "tools", out);

    if (config && choice
        && json_object_set_new(config, "toolChoice", choice) != 0)
    {
        json_decref(config);
        return llmgw_xerr_nomem(err);
    }

    if (config == NULL) {
        json_decref(choice);
    }

    if (llmgw_bedrock_set(body, "toolConfig", config, err) != 0) {
        return -1;
    }

    json_array_foreach(tools, i, t) {
        json_t  *spec;

        spec = llmgw_bedrock_tool_spec(t, i, err);

        if (spec == NULL || llmgw_json_append(out, spec, err) != 0) {
            return -1;
        }
    }

    return 0;
}


/* {"toolSpec":{"name","description","inputSchema":{"json"}}} */

static json_t *
llmgw_bedrock_tool_spec(json_t *t, size_t i, llmgw_xerr_t *err)
{
    json_t  *fn, *desc, *spec, *tool;

    fn = llmgw_tool_function(t, i, err);

    if (fn == NULL) {
        return NULL;
    }

    desc = json_object_get(fn, "description");

    spec = json_pack("{s:O,s:{s:o}}", "name", json_object_get(fn, "name"),
                     "inputSchema", "json", llmgw_tool_params(fn));

    if (spec && json_is_string(desc) && json_string_length(desc)
        && json_object_set(spec, "description", desc) != 0)
    {
        json_decref(spec);
        spec = NULL;
    }

    tool = spec ? json_pack("{s:o}", "toolSpec", spec) : NULL;

    if (tool == NULL) {
        llmgw_xerr_nomem(err);
    }

    return tool;
}


/* *choice: the toolChoice, NULL when none is given; 1: no tools are to be
 * sent */

static int
llmgw_bedrock_tool_choice(llmgw_bedrock_req_t *r, json_t *canon,
    json_t **choice, llmgw_xerr_t *err)
{
    const char  *c, *name;

    *choice = NULL;

    if (llmgw_tool_choice(json_object_get(canon, "tool_choice"), &c, &name,
                          err)
        != 0)
    {
        return -1;
    }

    if (c == NULL) {
        return 0;
    }

    if (strcmp(c, "none") == 0) {
        if (r->tool_blocks) {
            llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                       "tool_choice \"none\" cannot be sent to Bedrock in a "
                       "conversation with tool calls: Converse has no such "
                       "choice, and takes tool calls only with the tools "
                       "declared");
            return -1;
        }

        return 1;
    }

    *choice = name ? json_pack("{s:{s:s}}", "tool", "name", name)
                   : json_pack("{s:{}}", strcmp(c, "auto") == 0 ? "auto"
                                                                : "any");

    return *choice ? 0 : llmgw_xerr_nomem(err);
}


/*
 * inferenceConfig: maxTokens (the default when not given), temperature
 * (Converse's range is 0 to 1: higher is taken for 1), topP,
 * stopSequences; additionalModelRequestFields: Claude's thinking, and
 * top_k (not OpenAI's, but some clients send it).  With thinking on,
 * temperature, topP and top_k are dropped: Claude refuses them.
 */

static int
llmgw_bedrock_params_out(llmgw_bedrock_req_t *r, json_t *canon, json_t *body,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err)
{
    int       rc;
    json_t   *v, *config, *extra;
    int64_t   max, dflt, budget;

    budget = llmgw_bedrock_budget(r, canon, opt, err);

    if (budget < 0) {
        return -1;
    }

    dflt = opt->default_max_tokens > 0 ? opt->default_max_tokens : 0;
    max = llmgw_max_tokens(canon, dflt);

    if (budget && max <= budget) {
        max = budget + (dflt ? dflt : 4096);
    }

    config = json_object();
    extra = json_object();
    rc = (config == NULL || extra == NULL);

    if (max && config) {
        rc |= json_object_set_new(config, "maxTokens", json_integer(max));
    }

    if (budget && extra) {
        rc |= json_object_set_new(extra, "thinking",
                                  json_pack("{s:s,s:I}", "type", "enabled",
                                            "budget_tokens",
                                            (json_int_t) budget));
    }

    v = json_object_get(canon, "temperature");

    if (json_is_number(v) && budget == 0 && config) {
        rc |= json_object_set_new(config, "temperature",
                                  json_number_value(v) > 1.0
                                  ? json_real(1.0) : json_incref(v));
    }

    v = json_object_get(canon, "top_p");

    if (json_is_number(v) && budget == 0 && config) {
        rc |= json_object_set(config, "topP", v);
    }

    v = json_object_get(canon, "top_k");

    if (json_is_integer(v) && json_integer_value(v) > 0 && budget == 0
        && extra)
    {
        rc |= json_object_set(extra, "top_k", v);
    }

    if (rc) {
        json_decref(config);
        json_decref(extra);
        return llmgw_xerr_nomem(err);
    }

    if (llmgw_bedrock_stop_out(canon, config, err) != 0) {
        json_decref(config);
        json_decref(extra);
        return -1;
    }

    if (json_object_size(config) == 0) {
        json_decref(config);
        config = NULL;
    }

    if (json_object_size(extra) == 0) {
        json_decref(extra);
        extra = NULL;
    }

    if (config && llmgw_bedrock_set(body, "inferenceConfig", config, err)
                  != 0)
    {
        json_decref(extra);
        return -1;
    }

    if (extra
        && llmgw_bedrock_set(body, "additionalModelRequestFields", extra,
                             err) != 0)
    {
        return -1;
    }

    return 0;
}


/*
 * reasoning_effort as Claude's thinking budget, as for Anthropic
 * (llmgw_effort_anthropic; other words none).  Bedrock takes it for Claude
 * models only (other models have settings of their own, or none):
 * elsewhere it is refused.  Claude refuses thinking when the last
 * assistant turn calls tools without its signed reasoning, which canonical
 * requests never carry: no thinking then.  -1: refused.
 */

static int64_t
llmgw_bedrock_budget(llmgw_bedrock_req_t *r, json_t *canon,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err)
{
    int64_t      budget;
    const char  *effort;

    effort = llmgw_json_str(canon, "reasoning_effort", NULL);

    if (effort == NULL) {
        return 0;
    }

    budget = llmgw_effort_budget(&llmgw_effort_anthropic, effort,
                                 strlen(effort));

    if (budget <= 0) {
        return 0;
    }

    if (!llmgw_bedrock_has(opt->model, opt->model_len, "anthropic.")
        && !llmgw_bedrock_has(opt->model, opt->model_len, "claude"))
    {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "reasoning_effort: Bedrock takes a reasoning setting for "
                   "Anthropic's Claude models only, not for \"%.*s\"",
                   (int) (opt->model_len > 100 ? 100 : opt->model_len),
                   opt->model ? opt->model : "");
        return -1;
    }

    return r->turns.calls ? 0 : budget;
}


/* stop: a string or an array of strings; empty ones stop nothing */

static int
llmgw_bedrock_stop_out(json_t *canon, json_t *config, llmgw_xerr_t *err)
{
    json_t  *v, *stop;

    v = json_object_get(canon, "stop");

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (llmgw_stop_list(v, 1, &stop) != 0) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "stop must be a string or an array of strings");
        return -1;
    }

    if (stop == NULL) {
        return llmgw_xerr_nomem(err);
    }

    if (json_array_size(stop) == 0) {
        json_decref(stop);
        return 0;
    }

    return llmgw_bedrock_set(config, "stopSequences", stop, err);
}


/*
 * The whole answer: text blocks joined, toolUse blocks as tool calls (not
 * those Bedrock ran itself), reasoningContent as reasoning_content (its
 * signature and redacted blocks have no place in it).  Bedrock names
 * neither the response nor the model: the caller fills in id and model.
 */

static json_t *
llmgw_bedrock_response_in(json_t *resp, llmgw_xerr_t *err)
{
    size_t         i;
    json_t        *content, *b, *tu, *calls, *call, *msg, *usage, *canon;
    unsigned       has_text;
    const char    *type;
    llmgw_out_t    text, reasoning;
    llmgw_usage_t  u;

    if (!json_is_object(resp)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response is not a JSON object");
        return NULL;
    }

    content = json_object_get(json_object_get(json_object_get(resp,
                                                              "output"),
                                              "message"),
                              "content");

    if (!json_is_array(content)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response has no output message");
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
        tu = json_object_get(b, "toolUse");

        if (llmgw_out_join(&text, json_object_get(b, "text"), NULL) == 0) {
            has_text = 1;

        } else if (json_is_object(tu)) {
            type = llmgw_json_str(tu, "type", NULL);

            if (type && strcmp(type, "server_tool_use") == 0) {
                continue;
            }

            call = llmgw_tool_call(json_object_get(tu, "toolUseId"),
                                   json_object_get(tu, "name"),
                                   json_object_get(tu, "input"));

            if (call == NULL) {
                llmgw_xerr(err, 502, "api_error",
                           "The provider's response has a malformed toolUse "
                           "block");
                goto failed;
            }

            if (llmgw_json_append(calls, call, err) != 0) {
                goto failed;
            }

        } else {
            llmgw_out_join(&reasoning,
                           json_object_get(json_object_get(
                               json_object_get(b, "reasoningContent"),
                               "reasoningText"), "text"),
                           NULL);
        }
    }

    msg = llmgw_assistant(has_text ? llmgw_out_string(&text) : json_null(),
                          calls, &reasoning);

    memset(&u, 0, sizeof(llmgw_usage_t));
    llmgw_bedrock_usage(json_object_get(resp, "usage"), &u);
    usage = llmgw_usage_to_json(&u);

    canon = json_pack("{s:s,s:i,s:[{s:i,s:o,s:s}],s:o}",
                      "object", "chat.completion", "created", 0,
                      "choices", "index", 0, "message", msg,
                      "finish_reason",
                      llmgw_bedrock_finish(llmgw_json_str(resp, "stopReason",
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


/* Bedrock's inputTokens count neither cache reads nor cache writes;
 * canonical prompt tokens count both */

static void
llmgw_bedrock_usage(json_t *usage, llmgw_usage_t *u)
{
    llmgw_usage_uncached(usage, u, "inputTokens", "outputTokens",
                         "cacheReadInputTokens", "cacheWriteInputTokens");
}


static const char *
llmgw_bedrock_finish(const char *reason)
{
    const llmgw_bedrock_map_t  *m;

    for (m = llmgw_bedrock_finishes; reason && m->name; m++) {
        if (strcmp(reason, m->name) == 0) {
            return m->value;
        }
    }

    return "stop";
}


/* {"message":"..."} (or "Message"); the type by the status.  A 2xx body
 * is an error only when it has a message and no output. */

static int
llmgw_bedrock_error_in(json_t *body, int status, llmgw_xerr_t *err)
{
    size_t       len;
    const char  *msg;

    msg = llmgw_bedrock_message(body, &len);

    if (msg == NULL
        || (status < 400 && json_object_get(body, "output") != NULL))
    {
        return -1;
    }

    if (status < 400) {
        status = 502;
    }

    llmgw_xerr_text(err, status, llmgw_status_error_type(status), msg, len);

    return 0;
}


static const char *
llmgw_bedrock_message(json_t *body, size_t *len)
{
    const char  *msg;

    msg = llmgw_json_str(body, "message", len);

    if (msg == NULL) {
        msg = llmgw_json_str(body, "Message", len);
    }

    return msg;
}


/*
 * The stream: one call per message of the event stream, named by its
 * :event-type, or by its :exception-type for an exception.  Text and
 * reasoning blocks have no contentBlockStart, tool blocks do.  FINISH goes
 * at messageStop, USAGE at metadata (after it), END when the stream is
 * over; anything but usage and exceptions after messageStop is ignored, as
 * a client's stream has nothing after its finish.
 */

static int
llmgw_bedrock_decode(llmgw_xstream_t *s, const char *event, size_t elen,
    const char *data, size_t dlen)
{
    int                     rc;
    json_t                 *ev;
    llmgw_delta_t           d;
    llmgw_bedrock_dec_t    *dec;
    llmgw_bedrock_event_e   type;

    dec = s->dec;
    type = llmgw_bedrock_event(event, elen);

    if (type == LLMGW_BEDROCK_EV_UNKNOWN) {
        return 0;
    }

    ev = (data && dlen) ? json_loadb(data, dlen, JSON_ALLOW_NUL, NULL) : NULL;

    if (type == LLMGW_BEDROCK_EV_EXCEPTION) {
        rc = llmgw_bedrock_decode_exception(s, event, elen, ev);
        json_decref(ev);
        return rc;
    }

    if (!json_is_object(ev)) {
        json_decref(ev);
        return -1;
    }

    rc = 0;

    if (type == LLMGW_BEDROCK_EV_METADATA) {
        rc = llmgw_bedrock_decode_usage(s, ev);

    } else if (dec->stopped) {
        /* void */

    } else if (type == LLMGW_BEDROCK_EV_DELTA) {
        rc = llmgw_bedrock_decode_delta(s, ev);

    } else if (type == LLMGW_BEDROCK_EV_BLOCK) {
        rc = llmgw_bedrock_decode_block(s, ev);

    } else if (type == LLMGW_BEDROCK_EV_START) {
        memset(&d, 0, sizeof(llmgw_delta_t));
        d.type = LLMGW_DELTA_START;
        rc = llmgw_xstream_delta(s, &d);

    } else if (type == LLMGW_BEDROCK_EV_STOP) {
        rc = llmgw_bedrock_decode_stop(s, ev);
    }

    json_decref(ev);

    return rc;
}


static llmgw_bedrock_event_e
llmgw_bedrock_event(const char *event, size_t elen)
{
    if (event == NULL) {
        return LLMGW_BEDROCK_EV_UNKNOWN;
    }

    if (llmgw_str_is(event, elen, "contentBlockDelta")) {
        return LLMGW_BEDROCK_EV_DELTA;
    }

    if (llmgw_str_is(event, elen, "contentBlockStart")) {
        return LLMGW_BEDROCK_EV_BLOCK;
    }

    if (llmgw_str_is(event, elen, "contentBlockStop")) {
        return LLMGW_BEDROCK_EV_BLOCK_STOP;
    }

    if (llmgw_str_is(event, elen, "messageStart")) {
        return LLMGW_BEDROCK_EV_START;
    }

    if (llmgw_str_is(event, elen, "messageStop")) {
        return LLMGW_BEDROCK_EV_STOP;
    }

    if (llmgw_str_is(event, elen, "metadata")) {
        return LLMGW_BEDROCK_EV_METADATA;
    }

    if (elen > 9 && memcmp(event + elen - 9, "Exception", 9) == 0) {
        return LLMGW_BEDROCK_EV_EXCEPTION;
    }

    return LLMGW_BEDROCK_EV_UNKNOWN;
}


/* contentBlockStart: a toolUse block is the next tool call, unless
 * Bedrock runs the tool itself (server_tool_use: its input and result
 * blocks are Bedrock's business) */

static int
llmgw_bedrock_decode_block(llmgw_xstream_t *s, json_t *ev)
{
    int                   rc;
    json_t               *tu;
    const char           *type;
    llmgw_bedrock_dec_t  *dec;

    dec = s->dec;
    tu = json_object_get(json_object_get(ev, "start"), "toolUse");

    if (!json_is_object(tu)) {
        return 0;
    }

    type = llmgw_json_str(tu, "type", NULL);

    rc = llmgw_blocks_start(s, &dec->blocks,
                            json_object_get(ev, "contentBlockIndex"),
                            json_object_get(tu, "toolUseId"),
                            json_object_get(tu, "name"),
                            type && strcmp(type, "server_tool_use") == 0);

    return rc < 0 ? -1 : 0;
}


/* contentBlockDelta: text, reasoningContent.text, or a piece of a tool's
 * input; signatures and redacted reasoning have no text */

static int
llmgw_bedrock_decode_delta(llmgw_xstream_t *s, json_t *ev)
{
    json_t               *delta, *tu;
    unsigned              tool;
    llmgw_bedrock_dec_t  *dec;

    dec = s->dec;
    delta = json_object_get(ev, "delta");
    tool = llmgw_blocks_get(&dec->blocks,
                            json_object_get(ev, "contentBlockIndex"));

    if (tool == LLMGW_BLOCK_SKIP) {
        return 0;
    }

    if (llmgw_xstream_text(s, LLMGW_DELTA_TEXT, 0,
                           json_object_get(delta, "text"))
        != 0
        || llmgw_xstream_text(s, LLMGW_DELTA_REASONING, 0,
                              json_object_get(json_object_get(delta,
                                                          "reasoningContent"),
                                              "text"))
           != 0)
    {
        return -1;
    }

    tu = json_object_get(delta, "toolUse");

    if (tu == NULL || tool == 0) {
        return 0;
    }

    return llmgw_xstream_text(s, LLMGW_DELTA_TOOL_ARGS, tool - 1,
                              json_object_get(tu, "input"));
}


static int
llmgw_bedrock_decode_stop(llmgw_xstream_t *s, json_t *ev)
{
    llmgw_delta_t         d;
    llmgw_bedrock_dec_t  *dec;

    dec = s->dec;
    dec->stopped = 1;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_FINISH;
    d.finish = llmgw_bedrock_finish(llmgw_json_str(ev, "stopReason", NULL));

    return llmgw_xstream_delta(s, &d);
}


/* metadata: the usage, of which a count not given is not known */

static int
llmgw_bedrock_decode_usage(llmgw_xstream_t *s, json_t *ev)
{
    json_t         *usage;
    llmgw_delta_t   d;

    usage = json_object_get(ev, "usage");

    if (!json_is_object(usage)) {
        return 0;
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_USAGE;
    llmgw_bedrock_usage(usage, &d.usage);

    if (!json_is_integer(json_object_get(usage, "inputTokens"))) {
        d.usage.prompt = -1;
        d.usage.cached = -1;
        d.usage.cache_write = -1;
        d.usage.total = -1;
    }

    if (!json_is_integer(json_object_get(usage, "outputTokens"))) {
        d.usage.completion = -1;
        d.usage.total = -1;
    }

    return llmgw_xstream_delta(s, &d);
}


/* an exception ends the stream: its message, or its name */

static int
llmgw_bedrock_decode_exception(llmgw_xstream_t *s, const char *event,
    size_t elen, json_t *ev)
{
    llmgw_delta_t  d;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_ERROR;
    d.error_type = llmgw_bedrock_exception_type(event, elen);
    d.text = llmgw_bedrock_message(ev, &d.text_len);

    if (d.text == NULL || d.text_len == 0) {
        d.text = llmgw_json_str(ev, "originalMessage", &d.text_len);
    }

    if (d.text == NULL || d.text_len == 0) {
        d.text = event;
        d.text_len = elen;
    }

    return llmgw_xstream_delta(s, &d);
}


static const char *
llmgw_bedrock_exception_type(const char *name, size_t len)
{
    const llmgw_bedrock_map_t  *m;

    for (m = llmgw_bedrock_exceptions; m->name; m++) {
        if (strlen(m->name) == len && (name[0] | 0x20) == m->name[0]
            && memcmp(name + 1, m->name + 1, len - 1) == 0)
        {
            return m->value;
        }
    }

    return "api_error";
}


/* the stream ended: properly if messageStop came (metadata may not) */

static int
llmgw_bedrock_decode_end(llmgw_xstream_t *s)
{
    llmgw_delta_t         d;
    llmgw_bedrock_dec_t  *dec;

    dec = s->dec;

    if (s->ended) {
        return 0;
    }

    if (!dec->stopped) {
        return llmgw_xstream_fail(s, "api_error", LLMGW_BEDROCK_CUT);
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_END;

    return llmgw_xstream_delta(s, &d);
}


/*
 * Embeddings, through InvokeModel: the body is the model's.  Titan takes
 * one text per request; Cohere a list.  encoding_format is the caller's
 * business (it turns the floats into base64).
 */

static json_t *
llmgw_bedrock_embed_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    size_t       len;
    const char  *model;

    model = (opt && opt->model) ? opt->model : "";
    len = (opt && opt->model) ? opt->model_len : 0;

    if (llmgw_bedrock_has(model, len, "amazon.titan-embed")) {
        return llmgw_bedrock_titan_out(canon, model, len, err);
    }

    if (llmgw_bedrock_has(model, len, "cohere.embed")) {
        return llmgw_bedrock_cohere_out(canon, model, len, err);
    }

    llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
               "The model \"%.*s\" cannot embed through Bedrock: the gateway "
               "knows the embedding bodies of Titan (amazon.titan-embed-*) "
               "and Cohere (cohere.embed-*) only",
               (int) (len > 100 ? 100 : len), model);
    return NULL;
}


/* {"inputText"}; v2: "dimensions", and "normalize" as OpenAI's vectors
 * are */

static json_t *
llmgw_bedrock_titan_out(json_t *canon, const char *model, size_t len,
    llmgw_xerr_t *err)
{
    json_t  *input, *body;

    input = json_object_get(canon, "input");

    if (llmgw_bedrock_texts(input, err) != 0) {
        return NULL;
    }

    if (json_is_array(input)) {
        if (json_array_size(input) != 1) {
            llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                       "input: Titan embedding models take one input per "
                       "request");
            return NULL;
        }

        input = json_array_get(input, 0);
    }

    body = json_pack("{s:O}", "inputText", input);

    if (body == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    if (llmgw_bedrock_has(model, len, "titan-embed-text-v2")) {
        if (llmgw_bedrock_dimensions(canon, body, "dimensions", NULL, 0, err)
            != 0
            || llmgw_bedrock_set(body, "normalize", json_true(), err) != 0)
        {
            json_decref(body);
            return NULL;
        }

    } else if (llmgw_bedrock_dimensions(canon, body, NULL, model, len, err)
               != 0)
    {
        json_decref(body);
        return NULL;
    }

    return body;
}


/* {"texts","input_type","embedding_types":["float"]}, "truncate" when
 * given; v4: "output_dimension" */

static json_t *
llmgw_bedrock_cohere_out(json_t *canon, const char *model, size_t len,
    llmgw_xerr_t *err)
{
    int          rc;
    json_t      *input, *body, *truncate;
    const char  *type;

    input = json_object_get(canon, "input");

    if (llmgw_bedrock_texts(input, err) != 0) {
        return NULL;
    }

    type = llmgw_json_str(canon, "input_type", NULL);
    truncate = json_object_get(canon, "truncate");

    body = json_pack("{s:o,s:s,s:[s]}", "texts",
                     json_is_array(input) ? json_incref(input)
                                          : json_pack("[O]", input),
                     "input_type", type ? type : "search_document",
                     "embedding_types", "float");

    if (body == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    if (json_is_string(truncate)
        && json_object_set(body, "truncate", truncate) != 0)
    {
        json_decref(body);
        llmgw_xerr_nomem(err);
        return NULL;
    }

    rc = llmgw_bedrock_has(model, len, "cohere.embed-v4")
         ? llmgw_bedrock_dimensions(canon, body, "output_dimension", NULL, 0,
                                    err)
         : llmgw_bedrock_dimensions(canon, body, NULL, model, len, err);

    if (rc != 0) {
        json_decref(body);
        return NULL;
    }

    return body;
}


/* canon's "dimensions" as key; a model without such a setting (key NULL)
 * refuses it, as its vectors would not have the length asked for */

static int
llmgw_bedrock_dimensions(json_t *canon, json_t *body, const char *key,
    const char *model, size_t len, llmgw_xerr_t *err)
{
    json_t  *dims;

    dims = json_object_get(canon, "dimensions");

    if (dims == NULL || json_is_null(dims)) {
        return 0;
    }

    if (!json_is_integer(dims) || json_integer_value(dims) <= 0) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "dimensions must be a positive integer");
        return -1;
    }

    if (key == NULL) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "dimensions: the model \"%.*s\" has no such setting",
                   (int) (len > 100 ? 100 : len), model);
        return -1;
    }

    return llmgw_bedrock_set(body, key, json_incref(dims), err);
}


/* a string or a non-empty array of strings */

static int
llmgw_bedrock_texts(json_t *input, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *v;

    if (json_is_string(input)) {
        return 0;
    }

    if (!json_is_array(input) || json_array_size(input) == 0) {
        llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                   "input must be a string or a non-empty array of strings");
        return -1;
    }

    json_array_foreach(input, i, v) {
        if (!json_is_string(v)) {
            llmgw_xerr(err, 400, LLMGW_BEDROCK_INVALID,
                       "input[%zu]: Bedrock embeds text only, not token "
                       "arrays", i);
            return -1;
        }
    }

    return 0;
}


/* Titan's {"embedding","inputTextTokenCount"}; Cohere's {"embeddings":
 * [[...]]} or {"embeddings":{"float":[[...]]}}, whose count the caller
 * takes from a header */

static json_t *
llmgw_bedrock_embed_in(json_t *resp, const char *model, llmgw_xerr_t *err)
{
    size_t    k, n;
    json_t   *list, *data, *embs, *one;
    int64_t   count;

    one = json_object_get(resp, "embedding");
    embs = json_object_get(resp, "embeddings");

    if (json_is_object(embs)) {
        embs = json_object_get(embs, "float");
    }

    if (!json_is_array(one) && !json_is_array(embs)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's embedding response has no embeddings");
        return NULL;
    }

    n = json_is_array(one) ? 1 : json_array_size(embs);

    data = json_array();
    list = json_pack("{s:s,s:o,s:s}", "object", "list", "data", data,
                     "model", model ? model : "");

    for (k = 0; list && k < n; k++) {
        one = llmgw_embedding(json_is_array(one)
                              ? one : json_array_get(embs, k), k);

        if (one == NULL) {
            json_decref(list);
            llmgw_xerr(err, 502, "api_error",
                       "The provider's embedding %zu has no values", k);
            return NULL;
        }

        if (json_array_append_new(data, one) != 0) {
            json_decref(list);
            list = NULL;
        }
    }

    count = llmgw_json_count(resp, "inputTextTokenCount");

    if (list && json_is_integer(json_object_get(resp, "inputTextTokenCount"))
        && json_object_set_new(list, "usage",
                               json_pack("{s:I,s:I}",
                                         "prompt_tokens", (json_int_t) count,
                                         "total_tokens", (json_int_t) count))
           != 0)
    {
        json_decref(list);
        list = NULL;
    }

    if (list == NULL) {
        llmgw_xerr_nomem(err);
    }

    return list;
}


/* helpers */

/* s occurs in p[0..len) */

static int
llmgw_bedrock_has(const char *p, size_t len, const char *s)
{
    size_t  i, n;

    n = strlen(s);

    for (i = 0; p && i + n <= len; i++) {
        if (memcmp(p + i, s, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/* sets and steals v */

static int
llmgw_bedrock_set(json_t *obj, const char *key, json_t *v, llmgw_xerr_t *err)
{
    if (llmgw_json_set(obj, key, v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}
