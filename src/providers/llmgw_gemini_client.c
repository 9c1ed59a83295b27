/*
 * llmgw: Google Gemini's generateContent API as a client format (Gemini
 * CLI, the google-genai SDKs): GenerateContentRequest to canonical,
 * canonical answers to GenerateContentResponse, deltas to the events of
 * :streamGenerateContent?alt=sse, errors as google.rpc.Status.
 *
 * Google's JSON parser takes a member by its lowerCamelCase name or its
 * proto (snake_case) name, and its REST examples use both: so does this.
 */


#include "llmgw_gemini_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define LLMGW_GEMINI_INVALID  "invalid_request_error"

/* how deep a Gemini schema may nest */
#define LLMGW_GEMINI_SCHEMA_DEPTH  64


/* a function call of the request's model turns */
typedef struct {
    json_t      *id;          /* the canonical call's, a JSON string */
    const char  *name;
    unsigned     answered;
} llmgw_gemini_call_t;


/* a request being read */
typedef struct {
    json_t               *messages;
    llmgw_gemini_call_t  *calls;
    size_t                ncalls;
    size_t                size;
    llmgw_xerr_t         *err;
} llmgw_gemini_in_t;


typedef enum {
    LLMGW_GEMINI_SKIP = 0,    /* metadata only, or a thought */
    LLMGW_GEMINI_TEXT,
    LLMGW_GEMINI_INLINE,
    LLMGW_GEMINI_CALL,
    LLMGW_GEMINI_RESULT
} llmgw_gemini_kind_e;


typedef struct {
    const char  *type;
    int          code;
    const char  *status;
} llmgw_gemini_status_t;


static json_t *llmgw_gemini_in_get(json_t *obj, const char *name);
static int llmgw_gemini_in_key(const char *key, const char *name);
static int llmgw_gemini_in_fields(json_t *req, llmgw_xerr_t *err);
static int llmgw_gemini_in_system(json_t *req, json_t *messages,
    llmgw_xerr_t *err);
static int llmgw_gemini_in_contents(llmgw_gemini_in_t *st, json_t *req);
static int llmgw_gemini_in_kind(json_t *part, const char *where,
    json_t **data, llmgw_xerr_t *err);
static int llmgw_gemini_in_user(llmgw_gemini_in_t *st, size_t i,
    json_t *parts);
static int llmgw_gemini_in_model(llmgw_gemini_in_t *st, size_t i,
    json_t *parts);
static int llmgw_gemini_in_media(json_t *blob, const char *where,
    json_t *parts, llmgw_xerr_t *err);
static int llmgw_gemini_in_call(llmgw_gemini_in_t *st, const char *where,
    json_t *fc, size_t turn, json_t *calls);
static int llmgw_gemini_in_result(llmgw_gemini_in_t *st, const char *where,
    json_t *fr, json_t *parts);
static int llmgw_gemini_in_result_parts(llmgw_gemini_in_t *st,
    const char *where, json_t *list, json_t *parts);
static llmgw_gemini_call_t *llmgw_gemini_in_match(llmgw_gemini_in_t *st,
    json_t *id, const char *name);
static int llmgw_gemini_in_tools(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_gemini_in_decls(json_t *decls, size_t i, json_t *out,
    llmgw_xerr_t *err);
static json_t *llmgw_gemini_in_decl(json_t *decl, const char *where,
    llmgw_xerr_t *err);
static json_t *llmgw_gemini_in_schema(json_t *schema, unsigned depth);
static int llmgw_gemini_in_schema_member(json_t *out, const char *key,
    json_t *v, json_t *nullable, unsigned depth);
static json_t *llmgw_gemini_in_schema_type(json_t *type, json_t *nullable);
static json_t *llmgw_gemini_in_schema_list(json_t *v, unsigned depth);
static json_t *llmgw_gemini_in_schema_map(json_t *v, unsigned depth);
static int llmgw_gemini_in_tool_choice(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_gemini_in_config(json_t *req, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_gemini_in_number(json_t *gc, const char *name,
    json_t *canon, const char *to, unsigned integer, llmgw_xerr_t *err);
static int llmgw_gemini_in_stop(json_t *gc, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_gemini_in_logprobs(json_t *gc, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_gemini_in_output(json_t *gc, llmgw_xerr_t *err);
static int llmgw_gemini_in_format(json_t *gc, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_gemini_in_thinking(json_t *gc, json_t *canon,
    llmgw_xerr_t *err);
static int llmgw_gemini_in_budget(json_t *tc, json_t *canon,
    llmgw_xerr_t *err);

static json_t *llmgw_gemini_out_candidate(json_t *choice, size_t pos,
    llmgw_xerr_t *err);
static int llmgw_gemini_out_parts(json_t *msg, unsigned length,
    json_t *parts, llmgw_xerr_t *err);
static int llmgw_gemini_out_calls(json_t *msg, unsigned length,
    json_t *parts, llmgw_xerr_t *err);
static const char *llmgw_gemini_out_finish(const char *finish);
static json_t *llmgw_gemini_out_usage(json_t *usage);

static void llmgw_gemini_enc_text(llmgw_xstream_t *s,
    const llmgw_delta_t *d);
static void llmgw_gemini_enc_tool(llmgw_xstream_t *s,
    const llmgw_delta_t *d);
static void llmgw_gemini_enc_args(llmgw_xstream_t *s,
    const llmgw_delta_t *d);
static void llmgw_gemini_enc_begin(llmgw_gemini_enc_t *e, unsigned tool,
    const llmgw_delta_t *d);
static int llmgw_gemini_enc_flush(llmgw_xstream_t *s);
static void llmgw_gemini_enc_end(llmgw_xstream_t *s);
static void llmgw_gemini_enc_head(llmgw_xstream_t *s);
static void llmgw_gemini_enc_tail(llmgw_xstream_t *s, const char *finish);
static void llmgw_gemini_enc_usage(llmgw_xstream_t *s);
static void llmgw_gemini_enc_fail(llmgw_xstream_t *s, const char *type,
    const char *msg);
static void llmgw_gemini_enc_reset(llmgw_gemini_enc_t *e);

static const llmgw_gemini_status_t *llmgw_gemini_status(const char *type);


/* the HTTP status and google.rpc.Code of each of the README's error
 * types; a budget the gateway keeps is a quota to the client */
static const llmgw_gemini_status_t  llmgw_gemini_statuses[] = {
    { "invalid_request_error", 400, "INVALID_ARGUMENT" },
    { "request_too_large", 413, "INVALID_ARGUMENT" },
    { "guardrail_blocked", 400, "INVALID_ARGUMENT" },
    { "authentication_error", 401, "UNAUTHENTICATED" },
    { "permission_error", 403, "PERMISSION_DENIED" },
    { "not_found_error", 404, "NOT_FOUND" },
    { "rate_limit_error", 429, "RESOURCE_EXHAUSTED" },
    { "budget_exceeded", 429, "RESOURCE_EXHAUSTED" },
    { "overloaded_error", 503, "UNAVAILABLE" },
    { "api_error", 500, "INTERNAL" },
    { NULL, 500, "INTERNAL" }
};


/* members of a request part that carry no data of their own */
static const char  *llmgw_gemini_part_meta[] = {
    "thought", "thoughtSignature", "videoMetadata", "partMetadata",
    "mediaResolution", NULL
};


/*
 * Client side: a GenerateContentRequest to canonical.  The model comes
 * from the URL; a "model" member (countTokens' generateContentRequest has
 * one) is ignored.
 */

json_t *
llmgw_gemini_client_request_in(json_t *req, llmgw_xerr_t *err)
{
    json_t             *canon;
    llmgw_gemini_in_t   st;

    if (!json_is_object(req)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "The request body must be a JSON object");
        return NULL;
    }

    if (llmgw_gemini_in_fields(req, err) != 0) {
        return NULL;
    }

    memset(&st, 0, sizeof(llmgw_gemini_in_t));
    st.err = err;
    st.messages = json_array();
    canon = json_object();

    if (llmgw_json_set(canon, "messages", st.messages) != 0) {
        json_decref(canon);
        llmgw_xerr_nomem(err);
        return NULL;
    }

    if (llmgw_gemini_in_system(req, st.messages, err) != 0
        || llmgw_gemini_in_contents(&st, req) != 0
        || llmgw_gemini_in_tools(req, canon, err) != 0
        || llmgw_gemini_in_tool_choice(req, canon, err) != 0
        || llmgw_gemini_in_config(req, canon, err) != 0)
    {
        free(st.calls);
        json_decref(canon);
        return NULL;
    }

    free(st.calls);

    return canon;
}


/* obj's member name (lowerCamelCase), or the same by its snake_case
 * name */

static json_t *
llmgw_gemini_in_get(json_t *obj, const char *name)
{
    char     snake[64];
    size_t   k;
    json_t  *v;

    v = json_object_get(obj, name);

    if (v != NULL || !json_is_object(obj)) {
        return v;
    }

    for (k = 0; *name && k < sizeof(snake) - 2; name++) {
        if (*name >= 'A' && *name <= 'Z') {
            snake[k++] = '_';
            snake[k++] = (char) (*name - 'A' + 'a');

        } else {
            snake[k++] = *name;
        }
    }

    snake[k] = '\0';

    return *name ? NULL : json_object_get(obj, snake);
}


/* key spells name, in either case */

static int
llmgw_gemini_in_key(const char *key, const char *name)
{
    if (strcmp(key, name) == 0) {
        return 1;
    }

    for ( /* void */ ; *name; name++, key++) {
        if (*name >= 'A' && *name <= 'Z') {
            if (key[0] != '_' || key[1] != *name - 'A' + 'a') {
                return 0;
            }

            key++;

        } else if (*key != *name) {
            return 0;
        }
    }

    return *key == '\0';
}


/*
 * The members of the request: what a canonical request cannot carry is
 * refused, but safetySettings (Google's own filter thresholds, with no
 * equivalent elsewhere), labels (billing tags) and serviceTier, which are
 * dropped.
 */

static int
llmgw_gemini_in_fields(json_t *req, llmgw_xerr_t *err)
{
    size_t       i;
    json_t      *v;
    unsigned     known;
    const char  *key;

    static const char  *fields[] = {
        "contents", "systemInstruction", "tools", "toolConfig",
        "generationConfig", "safetySettings", "labels", "serviceTier",
        "model", NULL
    };

    json_object_foreach(req, key, v) {
        known = 0;

        for (i = 0; fields[i]; i++) {
            known |= llmgw_gemini_in_key(key, fields[i]);
        }

        if (llmgw_gemini_in_key(key, "cachedContent")) {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "cachedContent: cached contents are kept by Google; "
                       "send the contents themselves");
            return -1;
        }

        if (!known) {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "%.64s: unknown field of a generateContent request",
                       key);
            return -1;
        }
    }

    v = json_object_get(req, "model");

    if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID, "model must be a string");
        return -1;
    }

    return 0;
}


/* systemInstruction: a Content of text parts (its role is ignored), or a
 * string; the texts joined by blank lines */

static int
llmgw_gemini_in_system(json_t *req, json_t *messages, llmgw_xerr_t *err)
{
    size_t        k;
    json_t       *si, *parts, *part, *msg, *text;
    llmgw_out_t   o;

    si = llmgw_gemini_in_get(req, "systemInstruction");

    if (si == NULL || json_is_null(si)) {
        return 0;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    if (json_is_string(si)) {
        llmgw_out_join(&o, si, NULL);

    } else {
        parts = llmgw_gemini_in_get(si, "parts");

        if (!json_is_array(parts)) {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "systemInstruction must be a Content with \"parts\" "
                       "or a string");
            return -1;
        }

        json_array_foreach(parts, k, part) {
            text = llmgw_gemini_in_get(part, "text");

            if (json_is_true(llmgw_gemini_in_get(part, "thought"))) {
                continue;
            }

            if (llmgw_out_join(&o, text, "\n\n") != 0) {
                llmgw_out_free(&o);
                llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                           "systemInstruction.parts[%zu]: a system "
                           "instruction can hold text only", k);
                return -1;
            }
        }
    }

    if (o.len == 0 && !o.failed) {
        return 0;
    }

    msg = json_pack("{s:s,s:o}", "role", "system",
                    "content", llmgw_out_string(&o));

    return llmgw_json_append(messages, msg, err);
}


static int
llmgw_gemini_in_contents(llmgw_gemini_in_t *st, json_t *req)
{
    int          rc;
    size_t       i, len;
    json_t      *contents, *c, *parts, *v;
    const char  *role;

    contents = llmgw_gemini_in_get(req, "contents");

    if (!json_is_array(contents) || json_array_size(contents) == 0) {
        llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                   "contents must be a non-empty array");
        return -1;
    }

    json_array_foreach(contents, i, c) {
        if (!json_is_object(c)) {
            llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                       "contents[%zu] must be a Content object", i);
            return -1;
        }

        v = json_object_get(c, "role");
        role = json_string_value(v);
        len = role ? json_string_length(v) : 0;
        parts = llmgw_gemini_in_get(c, "parts");

        /* a missing role is the user's */
        if ((v != NULL && !json_is_null(v) && role == NULL)
            || (len && !llmgw_str_is(role, len, "user")
                && !llmgw_str_is(role, len, "model")))
        {
            llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                       "contents[%zu].role must be \"user\" or \"model\"",
                       i);
            return -1;
        }

        if (!json_is_array(parts)) {
            llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                       "contents[%zu].parts must be an array", i);
            return -1;
        }

        if (llmgw_str_is(role, len, "model")) {
            rc = llmgw_gemini_in_model(st, i, parts);

        } else {
            rc = llmgw_gemini_in_user(st, i, parts);
        }

        if (rc != 0) {
            return -1;
        }
    }

    v = json_array_get(st->messages, json_array_size(st->messages) - 1);

    if (v == NULL || strcmp(llmgw_json_str(v, "role", NULL), "system") == 0) {
        llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                   "contents: no part holds anything to send");
        return -1;
    }

    return 0;
}


/*
 * What a part holds: *data its data member.  A part of metadata only (a
 * thoughtSignature, say) is skipped, and so is a thought (thought: true):
 * the model's own reasoning in its earlier turns, which canonical
 * requests do not carry back.  Members beside the data are not looked at.
 */

static int
llmgw_gemini_in_kind(json_t *part, const char *where, json_t **data,
    llmgw_xerr_t *err)
{
    size_t       i;
    json_t      *v;
    unsigned     meta;
    const char  *key;

    static const struct {
        const char           *name;
        llmgw_gemini_kind_e   kind;
    } kinds[] = {
        { "text", LLMGW_GEMINI_TEXT },
        { "inlineData", LLMGW_GEMINI_INLINE },
        { "functionCall", LLMGW_GEMINI_CALL },
        { "functionResponse", LLMGW_GEMINI_RESULT }
    };

    *data = NULL;

    if (!json_is_object(part)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "%s must be a Part object", where);
        return -1;
    }

    if (json_is_true(llmgw_gemini_in_get(part, "thought"))) {
        return LLMGW_GEMINI_SKIP;
    }

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        v = llmgw_gemini_in_get(part, kinds[i].name);

        if (v != NULL && !json_is_null(v)) {
            *data = v;
            return kinds[i].kind;
        }
    }

    json_object_foreach(part, key, v) {
        meta = 0;

        for (i = 0; llmgw_gemini_part_meta[i]; i++) {
            meta |= llmgw_gemini_in_key(key, llmgw_gemini_part_meta[i]);
        }

        if (meta || json_is_null(v)) {
            continue;
        }

        if (llmgw_gemini_in_key(key, "fileData")) {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "%s.fileData: files by URI cannot be translated; "
                       "send the data inline", where);

        } else if (llmgw_gemini_in_key(key, "executableCode")
                   || llmgw_gemini_in_key(key, "codeExecutionResult"))
        {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "%s.%s: code execution is a Google-hosted tool this "
                       "provider does not offer", where, key);

        } else {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "%s.%.64s: this part cannot be translated", where,
                       key);
        }

        return -1;
    }

    return LLMGW_GEMINI_SKIP;
}


/*
 * A user turn: a tool message for each functionResponse, then one user
 * message of the other parts (and of the media inside the function
 * responses, which tool messages cannot hold).
 */

static int
llmgw_gemini_in_user(llmgw_gemini_in_t *st, size_t i, json_t *parts)
{
    int      kind, rc;
    char     where[64];
    size_t   k;
    json_t  *out, *part, *data, *msg, *first;

    out = json_array();
    if (out == NULL) {
        return llmgw_xerr_nomem(st->err);
    }

    json_array_foreach(parts, k, part) {
        snprintf(where, sizeof(where), "contents[%zu].parts[%zu]", i, k);

        kind = llmgw_gemini_in_kind(part, where, &data, st->err);

        switch (kind) {

        case LLMGW_GEMINI_TEXT:
            if (!json_is_string(data)) {
                llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                           "%s.text must be a string", where);
                rc = -1;

            } else if (json_string_length(data) == 0) {
                rc = 0;

            } else {
                rc = llmgw_json_append(out,
                                       json_pack("{s:s,s:O}", "type", "text",
                                                 "text", data),
                                       st->err);
            }

            break;

        case LLMGW_GEMINI_INLINE:
            rc = llmgw_gemini_in_media(data, where, out, st->err);
            break;

        case LLMGW_GEMINI_RESULT:
            rc = llmgw_gemini_in_result(st, where, data, out);
            break;

        case LLMGW_GEMINI_CALL:
            llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                       "%s: a functionCall must be in a \"model\" turn",
                       where);
            rc = -1;
            break;

        case LLMGW_GEMINI_SKIP:
            rc = 0;
            break;

        default:
            rc = -1;
            break;
        }

        if (rc != 0) {
            json_decref(out);
            return -1;
        }
    }

    if (json_array_size(out) == 0) {
        json_decref(out);
        return 0;
    }

    first = json_array_get(out, 0);

    if (json_array_size(out) == 1
        && strcmp(llmgw_json_str(first, "type", NULL), "text") == 0)
    {
        msg = json_pack("{s:s,s:O}", "role", "user",
                        "content", json_object_get(first, "text"));
        json_decref(out);

    } else {
        msg = json_pack("{s:s,s:o}", "role", "user", "content", out);
    }

    return llmgw_json_append(st->messages, msg, st->err);
}


/* a model turn: its texts joined, its function calls as tool_calls */

static int
llmgw_gemini_in_model(llmgw_gemini_in_t *st, size_t i, json_t *parts)
{
    int           kind;
    char          where[64];
    size_t        k;
    json_t       *part, *data, *calls, *msg;
    unsigned      has_text;
    llmgw_out_t   text;

    memset(&text, 0, sizeof(llmgw_out_t));
    has_text = 0;

    calls = json_array();
    if (calls == NULL) {
        return llmgw_xerr_nomem(st->err);
    }

    json_array_foreach(parts, k, part) {
        snprintf(where, sizeof(where), "contents[%zu].parts[%zu]", i, k);

        kind = llmgw_gemini_in_kind(part, where, &data, st->err);

        if (kind < 0) {
            goto failed;
        }

        if (kind == LLMGW_GEMINI_TEXT) {
            if (llmgw_out_join(&text, data, NULL) != 0) {
                llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                           "%s.text must be a string", where);
                goto failed;
            }

            has_text |= (json_string_length(data) != 0);

        } else if (kind == LLMGW_GEMINI_CALL) {
            if (llmgw_gemini_in_call(st, where, data, i, calls) != 0) {
                goto failed;
            }

        } else if (kind != LLMGW_GEMINI_SKIP) {
            llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                       "%s: a \"model\" turn can hold text and functionCall "
                       "parts only", where);
            goto failed;
        }
    }

    if (!has_text && json_array_size(calls) == 0) {
        llmgw_out_free(&text);
        json_decref(calls);
        return 0;
    }

    msg = llmgw_assistant(has_text ? llmgw_out_string(&text) : json_null(),
                          calls, NULL);
    json_decref(calls);

    return llmgw_json_append(st->messages, msg, st->err);

failed:

    llmgw_out_free(&text);
    json_decref(calls);
    return -1;
}


/* an inlineData Blob: an image, or a PDF (canonical "file" parts carry
 * PDFs, and Gemini CLI's read_file sends them so) */

static int
llmgw_gemini_in_media(json_t *blob, const char *where, json_t *parts,
    llmgw_xerr_t *err)
{
    size_t        mlen, dlen;
    json_t       *part, *url, *v;
    const char   *mime, *data, *name;
    llmgw_out_t   o;

    v = llmgw_gemini_in_get(blob, "mimeType");
    mime = json_string_value(v);
    mlen = mime ? json_string_length(v) : 0;

    v = llmgw_gemini_in_get(blob, "data");
    data = json_string_value(v);
    dlen = data ? json_string_length(v) : 0;

    if (mime == NULL || data == NULL) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "%s.inlineData needs a string mimeType and data", where);
        return -1;
    }

    if (!(mlen > 6 && memcmp(mime, "image/", 6) == 0)
        && !llmgw_str_is(mime, mlen, "application/pdf"))
    {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "%s.inlineData: the media type \"%.64s\" cannot be "
                   "translated (images and PDF only)", where, mime);
        return -1;
    }

    if (strcspn(mime, ";, \t\r\n") != mlen) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "%s.inlineData.mimeType is not a media type", where);
        return -1;
    }

    memset(&o, 0, sizeof(llmgw_out_t));
    llmgw_out_cstr(&o, "data:");
    llmgw_out_raw(&o, mime, mlen);
    llmgw_out_cstr(&o, ";base64,");
    llmgw_out_raw(&o, data, dlen);

    url = llmgw_out_string(&o);
    if (url == NULL) {
        return llmgw_xerr_nomem(err);
    }

    if (mime[0] == 'i') {
        part = json_pack("{s:s,s:{s:o}}", "type", "image_url",
                         "image_url", "url", url);

    } else {
        name = json_string_value(llmgw_gemini_in_get(blob, "displayName"));
        part = json_pack("{s:s,s:{s:s,s:o}}", "type", "file", "file",
                         "filename", name ? name : "document.pdf",
                         "file_data", url);
    }

    return llmgw_json_append(parts, part, err);
}


/* a functionCall: its id, else call_<turn>_<n>, the same on every
 * request of a conversation */

static int
llmgw_gemini_in_call(llmgw_gemini_in_t *st, const char *where, json_t *fc,
    size_t turn, json_t *calls)
{
    char                  buf[48];
    json_t               *id, *name, *args, *call;
    llmgw_gemini_call_t  *c;

    name = llmgw_gemini_in_get(fc, "name");
    args = llmgw_gemini_in_get(fc, "args");
    id = llmgw_gemini_in_get(fc, "id");

    if (!json_is_string(name) || json_string_length(name) == 0) {
        llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                   "%s.functionCall.name must be a non-empty string", where);
        return -1;
    }

    if (args != NULL && !json_is_null(args) && !json_is_object(args)) {
        llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                   "%s.functionCall.args must be an object", where);
        return -1;
    }

    if (st->ncalls == st->size) {
        c = realloc(st->calls, (st->size * 2 + 8) * sizeof(*c));
        if (c == NULL) {
            return llmgw_xerr_nomem(st->err);
        }

        st->calls = c;
        st->size = st->size * 2 + 8;
    }

    if (!json_is_string(id) || json_string_length(id) == 0) {
        snprintf(buf, sizeof(buf), "call_%zu_%zu", turn,
                 json_array_size(calls));
        id = json_string(buf);

    } else {
        id = json_incref(id);
    }

    call = llmgw_tool_call(id, name, json_is_object(args) ? args : NULL);
    json_decref(id);

    if (llmgw_json_append(calls, call, st->err) != 0) {
        return -1;
    }

    c = &st->calls[st->ncalls++];
    c->id = json_object_get(call, "id");
    c->name = json_string_value(name);
    c->answered = 0;

    return 0;
}


/* a functionResponse: a tool message answering the call of its id, else
 * the earliest unanswered call of its name; the response as JSON text */

static int
llmgw_gemini_in_result(llmgw_gemini_in_t *st, const char *where,
    json_t *fr, json_t *parts)
{
    char                 *text;
    json_t               *name, *id, *resp, *msg;
    llmgw_gemini_call_t  *c;

    name = llmgw_gemini_in_get(fr, "name");
    id = llmgw_gemini_in_get(fr, "id");
    resp = llmgw_gemini_in_get(fr, "response");

    if (!json_is_string(name)) {
        llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                   "%s.functionResponse.name must be a string", where);
        return -1;
    }

    c = llmgw_gemini_in_match(st, id, json_string_value(name));

    if (c == NULL) {
        llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                   "%s.functionResponse: no earlier functionCall of \"%.64s\" "
                   "is left unanswered", where, json_string_value(name));
        return -1;
    }

    c->answered = 1;

    text = (resp == NULL || json_is_null(resp))
           ? NULL : json_dumps(resp, JSON_COMPACT | JSON_ENCODE_ANY);

    if (resp != NULL && !json_is_null(resp) && text == NULL) {
        return llmgw_xerr_nomem(st->err);
    }

    msg = json_pack("{s:s,s:O,s:s}", "role", "tool", "tool_call_id", c->id,
                    "content", text ? text : "{}");
    free(text);

    if (llmgw_json_append(st->messages, msg, st->err) != 0) {
        return -1;
    }

    return llmgw_gemini_in_result_parts(st, where,
                                        llmgw_gemini_in_get(fr, "parts"),
                                        parts);
}


/* a function response's own parts (multimodal function responses) */

static int
llmgw_gemini_in_result_parts(llmgw_gemini_in_t *st, const char *where,
    json_t *list, json_t *parts)
{
    char     inner[128];
    size_t   k;
    json_t  *part, *blob;

    if (list == NULL || json_is_null(list)) {
        return 0;
    }

    if (!json_is_array(list)) {
        llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                   "%s.functionResponse.parts must be an array", where);
        return -1;
    }

    json_array_foreach(list, k, part) {
        snprintf(inner, sizeof(inner), "%s.functionResponse.parts[%zu]",
                 where, k);

        blob = llmgw_gemini_in_get(part, "inlineData");

        if (!json_is_object(blob)) {
            llmgw_xerr(st->err, 400, LLMGW_GEMINI_INVALID,
                       "%s: only inlineData can be translated", inner);
            return -1;
        }

        if (llmgw_gemini_in_media(blob, inner, parts, st->err) != 0) {
            return -1;
        }
    }

    return 0;
}


static llmgw_gemini_call_t *
llmgw_gemini_in_match(llmgw_gemini_in_t *st, json_t *id, const char *name)
{
    size_t  k;

    if (json_is_string(id)) {
        for (k = 0; k < st->ncalls; k++) {
            if (!st->calls[k].answered && json_equal(st->calls[k].id, id)) {
                return &st->calls[k];
            }
        }
    }

    for (k = 0; k < st->ncalls; k++) {
        if (!st->calls[k].answered && strcmp(st->calls[k].name, name) == 0) {
            return &st->calls[k];
        }
    }

    return NULL;
}


/* tools: function declarations only; Google's own tools (search, code
 * execution, URL context, ...) run at Google */

static int
llmgw_gemini_in_tools(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    size_t       i;
    json_t      *tools, *out, *t, *v;
    const char  *key;

    tools = llmgw_gemini_in_get(req, "tools");

    if (tools == NULL || json_is_null(tools)) {
        return 0;
    }

    if (!json_is_array(tools)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID, "tools must be an array");
        return -1;
    }

    out = json_array();

    if (llmgw_json_set(canon, "tools", out) != 0) {
        return llmgw_xerr_nomem(err);
    }

    json_array_foreach(tools, i, t) {
        if (!json_is_object(t)) {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "tools[%zu] must be a Tool object", i);
            return -1;
        }

        json_object_foreach(t, key, v) {
            if (json_is_null(v)) {
                continue;
            }

            if (llmgw_gemini_in_key(key, "functionDeclarations")) {
                if (llmgw_gemini_in_decls(v, i, out, err) != 0) {
                    return -1;
                }

            } else {
                llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                           "tools[%zu].%.64s: a Google-hosted tool this "
                           "provider does not offer", i, key);
                return -1;
            }
        }
    }

    if (json_array_size(out) == 0) {
        json_object_del(canon, "tools");
    }

    return 0;
}


static int
llmgw_gemini_in_decls(json_t *decls, size_t i, json_t *out,
    llmgw_xerr_t *err)
{
    char     where[96];
    size_t   k;
    json_t  *decl, *tool;

    if (!json_is_array(decls)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "tools[%zu].functionDeclarations must be an array", i);
        return -1;
    }

    json_array_foreach(decls, k, decl) {
        snprintf(where, sizeof(where), "tools[%zu].functionDeclarations[%zu]",
                 i, k);

        tool = llmgw_gemini_in_decl(decl, where, err);

        if (tool == NULL || llmgw_json_append(out, tool, err) != 0) {
            return -1;
        }
    }

    return 0;
}


/* parametersJsonSchema is JSON Schema already; parameters, Google's
 * OpenAPI subset, is made JSON Schema; response schemas and behavior have
 * no canonical place */

static json_t *
llmgw_gemini_in_decl(json_t *decl, const char *where, llmgw_xerr_t *err)
{
    json_t  *name, *desc, *params, *fn;

    name = llmgw_gemini_in_get(decl, "name");
    desc = llmgw_gemini_in_get(decl, "description");

    if (!json_is_string(name) || json_string_length(name) == 0) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "%s.name must be a non-empty string", where);
        return NULL;
    }

    params = llmgw_gemini_in_get(decl, "parametersJsonSchema");

    if (params != NULL && !json_is_null(params)) {
        params = json_incref(params);

    } else {
        params = llmgw_gemini_in_get(decl, "parameters");
        params = (params == NULL || json_is_null(params))
                 ? NULL : llmgw_gemini_in_schema(params, 0);

        if (params == NULL && llmgw_gemini_in_get(decl, "parameters")
            && !json_is_null(llmgw_gemini_in_get(decl, "parameters")))
        {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "%s.parameters: the schema nests too deep", where);
            return NULL;
        }
    }

    if (params != NULL && !json_is_object(params)) {
        json_decref(params);
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "%s: the parameters' schema must be an object", where);
        return NULL;
    }

    fn = json_pack("{s:O}", "name", name);

    if (fn && json_is_string(desc)
        && json_object_set(fn, "description", desc) != 0)
    {
        json_decref(fn);
        fn = NULL;
    }

    if (fn && params && json_object_set(fn, "parameters", params) != 0) {
        json_decref(fn);
        fn = NULL;
    }

    json_decref(params);

    if (fn == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    return json_pack("{s:s,s:o}", "type", "function", "function", fn);
}


/*
 * Google's Schema (OpenAPI 3.0's subset) as JSON Schema: its types in
 * lower case ("OBJECT" is "object"), nullable as a "null" type,
 * propertyOrdering dropped, example as examples, int64 counts given as
 * strings ("minItems": "1") as numbers; members by their camelCase
 * names.  NULL when it nests too deep or memory runs out.
 */

static json_t *
llmgw_gemini_in_schema(json_t *schema, unsigned depth)
{
    json_t      *out, *v, *nullable;
    const char  *key;

    if (!json_is_object(schema)) {
        return json_incref(schema);
    }

    if (depth >= LLMGW_GEMINI_SCHEMA_DEPTH) {
        return NULL;
    }

    out = json_object();
    nullable = llmgw_gemini_in_get(schema, "nullable");

    json_object_foreach(schema, key, v) {
        if (llmgw_gemini_in_schema_member(out, key, v, nullable, depth) != 0)
        {
            json_decref(out);
            return NULL;
        }
    }

    return out;
}


static int
llmgw_gemini_in_schema_member(json_t *out, const char *key, json_t *v,
    json_t *nullable, unsigned depth)
{
    char         name[64], *p;
    size_t       k, len;
    const char  *n;

    static const char  *counts[] = {
        "minItems", "maxItems", "minLength", "maxLength", "minProperties",
        "maxProperties", NULL
    };

    for (p = name, k = 0; key[k] && p < name + sizeof(name) - 1; k++) {
        if (key[k] == '_' && key[k + 1] >= 'a' && key[k + 1] <= 'z') {
            k++;
            *p++ = (char) (key[k] - 'a' + 'A');

        } else {
            *p++ = key[k];
        }
    }

    *p = '\0';

    if (key[k] != '\0') {
        return json_object_set(out, key, v);
    }

    if (strcmp(name, "nullable") == 0 || strcmp(name, "propertyOrdering") == 0)
    {
        return 0;
    }

    if (strcmp(name, "type") == 0 && json_is_string(v)) {
        if (llmgw_str_is(json_string_value(v), json_string_length(v),
                         "TYPE_UNSPECIFIED"))
        {
            return 0;
        }

        return llmgw_json_set(out, name,
                              llmgw_gemini_in_schema_type(v, nullable));
    }

    if (strcmp(name, "properties") == 0) {
        return llmgw_json_set(out, name, llmgw_gemini_in_schema_map(v, depth));
    }

    if (strcmp(name, "items") == 0) {
        return llmgw_json_set(out, name, llmgw_gemini_in_schema(v, depth + 1));
    }

    if (strcmp(name, "anyOf") == 0) {
        return llmgw_json_set(out, name,
                              llmgw_gemini_in_schema_list(v, depth));
    }

    if (strcmp(name, "example") == 0) {
        return llmgw_json_set(out, "examples", json_pack("[O]", v));
    }

    for (k = 0; counts[k]; k++) {
        n = json_string_value(v);
        len = n ? json_string_length(v) : 0;

        if (strcmp(name, counts[k]) == 0 && len > 0 && len < 16
            && strspn(n, "0123456789") == len)
        {
            return llmgw_json_set(out, name,
                                  json_integer(strtoll(n, NULL, 10)));
        }
    }

    return json_object_set(out, name, v);
}


/* "OBJECT" is "object"; nullable adds "null" */

static json_t *
llmgw_gemini_in_schema_type(json_t *type, json_t *nullable)
{
    char         buf[32];
    size_t       k, len;
    const char  *t;

    t = json_string_value(type);
    len = json_string_length(type);

    if (len >= sizeof(buf)) {
        return json_incref(type);
    }

    for (k = 0; k < len; k++) {
        buf[k] = (t[k] >= 'A' && t[k] <= 'Z') ? (char) (t[k] - 'A' + 'a')
                                               : t[k];
    }

    if (json_is_true(nullable) && !llmgw_str_is(buf, len, "null")) {
        return json_pack("[s%,s]", buf, len, "null");
    }

    return json_stringn(buf, len);
}


static json_t *
llmgw_gemini_in_schema_list(json_t *v, unsigned depth)
{
    size_t   k;
    json_t  *out, *s;

    if (!json_is_array(v)) {
        return json_incref(v);
    }

    out = json_array();

    json_array_foreach(v, k, s) {
        if (out != NULL
            && llmgw_json_push(out, llmgw_gemini_in_schema(s, depth + 1))
               != 0)
        {
            json_decref(out);
            out = NULL;
        }
    }

    return out;
}


/* a map of property names to schemas */

static json_t *
llmgw_gemini_in_schema_map(json_t *v, unsigned depth)
{
    json_t      *out, *s;
    const char  *key;

    if (!json_is_object(v)) {
        return json_incref(v);
    }

    out = json_object();

    json_object_foreach(v, key, s) {
        if (out != NULL
            && llmgw_json_set(out, key, llmgw_gemini_in_schema(s, depth + 1))
               != 0)
        {
            json_decref(out);
            out = NULL;
        }
    }

    return out;
}


/*
 * toolConfig.functionCallingConfig: ANY with one allowed function names
 * it; ANY with several is "required" (the choice among them is lost);
 * VALIDATED (calls checked against their schemas) is "auto".
 * retrievalConfig, for Google's Maps tool, is dropped.
 */

static int
llmgw_gemini_in_tool_choice(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *fcc, *names, *v;
    const char  *mode;

    fcc = llmgw_gemini_in_get(llmgw_gemini_in_get(req, "toolConfig"),
                              "functionCallingConfig");

    if (fcc == NULL || json_is_null(fcc)) {
        return 0;
    }

    v = llmgw_gemini_in_get(fcc, "mode");
    mode = json_string_value(v);
    len = mode ? json_string_length(v) : 0;
    names = llmgw_gemini_in_get(fcc, "allowedFunctionNames");

    if (v == NULL || json_is_null(v)
        || llmgw_str_is(mode, len, "MODE_UNSPECIFIED"))
    {
        return 0;
    }

    if (llmgw_str_is(mode, len, "AUTO")
        || llmgw_str_is(mode, len, "VALIDATED"))
    {
        v = json_string("auto");

    } else if (llmgw_str_is(mode, len, "NONE")) {
        v = json_string("none");

    } else if (llmgw_str_is(mode, len, "ANY")) {
        if (json_array_size(names) == 1
            && json_is_string(json_array_get(names, 0)))
        {
            v = json_pack("{s:s,s:{s:O}}", "type", "function", "function",
                          "name", json_array_get(names, 0));

        } else {
            v = json_string("required");
        }

    } else {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "toolConfig.functionCallingConfig.mode must be AUTO, ANY, "
                   "NONE or VALIDATED");
        return -1;
    }

    if (llmgw_json_set(canon, "tool_choice", v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/*
 * generationConfig.  topK is dropped: OpenAI's API refuses top_k, which
 * its provider side would pass on, and Gemini CLI sends topK on every
 * chat request.  Options of Google's serving with no canonical equivalent
 * (mediaResolution, enableEnhancedCivicAnswers, ...) are dropped too; an
 * output a canonical answer cannot hold (speech, images) is refused.
 */

static int
llmgw_gemini_in_config(json_t *req, json_t *canon, llmgw_xerr_t *err)
{
    json_t  *gc;

    gc = llmgw_gemini_in_get(req, "generationConfig");

    if (gc == NULL || json_is_null(gc)) {
        return 0;
    }

    if (!json_is_object(gc)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig must be an object");
        return -1;
    }

    if (llmgw_gemini_in_number(gc, "temperature", canon, "temperature", 0,
                               err) != 0
        || llmgw_gemini_in_number(gc, "topP", canon, "top_p", 0, err) != 0
        || llmgw_gemini_in_number(gc, "maxOutputTokens", canon,
                                  "max_completion_tokens", 1, err) != 0
        || llmgw_gemini_in_number(gc, "candidateCount", canon, "n", 1, err)
           != 0
        || llmgw_gemini_in_number(gc, "seed", canon, "seed", 1, err) != 0
        || llmgw_gemini_in_number(gc, "presencePenalty", canon,
                                  "presence_penalty", 0, err) != 0
        || llmgw_gemini_in_number(gc, "frequencyPenalty", canon,
                                  "frequency_penalty", 0, err) != 0
        || llmgw_gemini_in_stop(gc, canon, err) != 0
        || llmgw_gemini_in_logprobs(gc, canon, err) != 0
        || llmgw_gemini_in_output(gc, err) != 0
        || llmgw_gemini_in_format(gc, canon, err) != 0
        || llmgw_gemini_in_thinking(gc, canon, err) != 0)
    {
        return -1;
    }

    return 0;
}


static int
llmgw_gemini_in_number(json_t *gc, const char *name, json_t *canon,
    const char *to, unsigned integer, llmgw_xerr_t *err)
{
    json_t  *v;

    v = llmgw_gemini_in_get(gc, name);

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (integer ? !json_is_integer(v) : !json_is_number(v)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.%s must be %s", name,
                   integer ? "an integer" : "a number");
        return -1;
    }

    if (json_object_set(canon, to, v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


static int
llmgw_gemini_in_stop(json_t *gc, json_t *canon, llmgw_xerr_t *err)
{
    size_t   k;
    json_t  *v, *s;

    v = llmgw_gemini_in_get(gc, "stopSequences");

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    json_array_foreach(v, k, s) {
        if (!json_is_string(s)) {
            v = NULL;
            break;
        }
    }

    if (!json_is_array(v)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.stopSequences must be an array of "
                   "strings");
        return -1;
    }

    if (json_array_size(v) && json_object_set(canon, "stop", v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* responseLogprobs: logprobs; logprobs, the count of alternatives:
 * top_logprobs */

static int
llmgw_gemini_in_logprobs(json_t *gc, json_t *canon, llmgw_xerr_t *err)
{
    json_t  *v, *n;

    v = llmgw_gemini_in_get(gc, "responseLogprobs");
    n = llmgw_gemini_in_get(gc, "logprobs");

    if ((v != NULL && !json_is_null(v) && !json_is_boolean(v))
        || (n != NULL && !json_is_null(n) && !json_is_integer(n)))
    {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.responseLogprobs must be a boolean and "
                   "logprobs an integer");
        return -1;
    }

    if (json_is_integer(n)
        && (json_object_set(canon, "top_logprobs", n) != 0
            || json_object_set_new(canon, "logprobs", json_true()) != 0))
    {
        return llmgw_xerr_nomem(err);
    }

    if (json_is_true(v)
        && json_object_set_new(canon, "logprobs", json_true()) != 0)
    {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


static int
llmgw_gemini_in_output(json_t *gc, llmgw_xerr_t *err)
{
    size_t       k;
    json_t      *v, *m;
    const char  *bad;

    bad = NULL;

    v = llmgw_gemini_in_get(gc, "responseModalities");

    json_array_foreach(v, k, m) {
        if (!llmgw_str_is(json_string_value(m), json_string_length(m),
                          "TEXT"))
        {
            bad = "responseModalities: only TEXT can be answered";
        }
    }

    v = llmgw_gemini_in_get(gc, "speechConfig");

    if (v != NULL && !json_is_null(v)) {
        bad = "speechConfig: speech cannot be answered";
    }

    v = llmgw_gemini_in_get(gc, "imageConfig");

    if (v != NULL && !json_is_null(v)) {
        bad = "imageConfig: images cannot be answered";
    }

    if (bad) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID, "generationConfig.%s",
                   bad);
        return -1;
    }

    return 0;
}


/* responseMimeType application/json: json_object, or json_schema with
 * responseJsonSchema as it is or responseSchema made JSON Schema */

static int
llmgw_gemini_in_format(json_t *gc, json_t *canon, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *mt, *js, *gs, *schema, *rf;
    const char  *type;

    mt = llmgw_gemini_in_get(gc, "responseMimeType");
    js = llmgw_gemini_in_get(gc, "responseJsonSchema");
    gs = llmgw_gemini_in_get(gc, "responseSchema");

    js = json_is_null(js) ? NULL : js;
    gs = json_is_null(gs) ? NULL : gs;
    type = json_string_value(mt);
    len = type ? json_string_length(mt) : 0;

    if (mt != NULL && !json_is_null(mt) && type == NULL) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.responseMimeType must be a string");
        return -1;
    }

    if (type == NULL || len == 0 || llmgw_str_is(type, len, "text/plain")) {
        if (js || gs) {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "generationConfig: a response schema needs "
                       "responseMimeType \"application/json\"");
            return -1;
        }

        return 0;
    }

    if (!llmgw_str_is(type, len, "application/json")) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.responseMimeType \"%.64s\" cannot be "
                   "translated", type);
        return -1;
    }

    schema = js ? json_incref(js) : gs ? llmgw_gemini_in_schema(gs, 0) : NULL;

    if (gs && !js && schema == NULL) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.responseSchema nests too deep");
        return -1;
    }

    rf = schema ? json_pack("{s:s,s:{s:s,s:o}}", "type", "json_schema",
                            "json_schema", "name", "response",
                            "schema", schema)
                : json_pack("{s:s}", "type", "json_object");

    if (llmgw_json_set(canon, "response_format", rf) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/*
 * thinkingConfig as reasoning_effort: thinkingLevel in lower case, else
 * thinkingBudget.  includeThoughts has no canonical place: reasoning the
 * provider gives comes back as thought parts.
 */

static int
llmgw_gemini_in_thinking(json_t *gc, json_t *canon, llmgw_xerr_t *err)
{
    char         buf[16];
    size_t       k, len;
    json_t      *tc, *v;
    const char  *level, *effort;

    static const char  *levels[] = { "minimal", "low", "medium", "high" };

    tc = llmgw_gemini_in_get(gc, "thinkingConfig");

    if (tc == NULL || json_is_null(tc)) {
        return 0;
    }

    if (!json_is_object(tc)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.thinkingConfig must be an object");
        return -1;
    }

    v = llmgw_gemini_in_get(tc, "thinkingLevel");
    level = json_string_value(v);
    len = level ? json_string_length(v) : 0;

    if (level == NULL
        || llmgw_str_is(level, len, "THINKING_LEVEL_UNSPECIFIED"))
    {
        return llmgw_gemini_in_budget(tc, canon, err);
    }

    for (k = 0; k < len && k < sizeof(buf); k++) {
        buf[k] = (level[k] >= 'A' && level[k] <= 'Z')
                 ? (char) (level[k] - 'A' + 'a') : level[k];
    }

    effort = NULL;

    for (k = 0; len < sizeof(buf) && k < sizeof(levels) / sizeof(levels[0]);
         k++)
    {
        if (llmgw_str_is(buf, len, levels[k])) {
            effort = levels[k];
        }
    }

    if (effort == NULL) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.thinkingConfig.thinkingLevel must be "
                   "MINIMAL, LOW, MEDIUM or HIGH");
        return -1;
    }

    if (llmgw_json_set(canon, "reasoning_effort", json_string(effort)) != 0)
    {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/*
 * thinkingBudget: 0 is "none"; -1 (dynamic) leaves the effort to the
 * provider; another is the effort whose budget of Google's own
 * (llmgw_effort_google: low 1024, medium 8192, high 24576) is nearest,
 * the midpoints between those the thresholds, and under the low budget
 * "minimal".
 */

static int
llmgw_gemini_in_budget(json_t *tc, json_t *canon, llmgw_xerr_t *err)
{
    json_t                *v;
    json_int_t             n;
    const char            *effort;
    const llmgw_effort_t  *e;

    v = llmgw_gemini_in_get(tc, "thinkingBudget");

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (!json_is_integer(v) || json_integer_value(v) < -1) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "generationConfig.thinkingConfig.thinkingBudget must be "
                   "an integer, -1 or more");
        return -1;
    }

    n = json_integer_value(v);
    e = &llmgw_effort_google;

    if (n < 0) {
        return 0;
    }

    effort = n == 0 ? "none"
             : n < e->low ? "minimal"
             : n <= (e->low + e->medium) / 2 ? "low"
             : n <= (e->medium + e->high) / 2 ? "medium" : "high";

    if (llmgw_json_set(canon, "reasoning_effort", json_string(effort)) != 0)
    {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


/* client side: a canonical chat.completion as a GenerateContentResponse */

json_t *
llmgw_gemini_client_response_out(json_t *canon, llmgw_xerr_t *err)
{
    size_t   k;
    json_t  *choices, *cands, *resp, *cand, *usage, *v;

    choices = json_object_get(canon, "choices");

    if (!json_is_array(choices) || json_array_size(choices) == 0) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response has no choices");
        return NULL;
    }

    cands = json_array();
    resp = json_pack("{s:o}", "candidates", cands);

    if (resp == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    json_array_foreach(choices, k, v) {
        cand = llmgw_gemini_out_candidate(v, k, err);

        if (cand == NULL || llmgw_json_append(cands, cand, err) != 0) {
            json_decref(resp);
            return NULL;
        }
    }

    usage = json_object_get(canon, "usage");

    if (json_is_object(usage)
        && llmgw_json_set(resp, "usageMetadata",
                          llmgw_gemini_out_usage(usage)) != 0)
    {
        goto nomem;
    }

    v = json_object_get(canon, "model");

    if (json_is_string(v) && json_object_set(resp, "modelVersion", v) != 0) {
        goto nomem;
    }

    v = json_object_get(canon, "id");

    if (json_is_string(v) && json_string_length(v)
        && json_object_set(resp, "responseId", v) != 0)
    {
        goto nomem;
    }

    return resp;

nomem:

    json_decref(resp);
    llmgw_xerr_nomem(err);
    return NULL;
}


static json_t *
llmgw_gemini_out_candidate(json_t *choice, size_t pos, llmgw_xerr_t *err)
{
    json_t      *msg, *parts, *index, *cand;
    const char  *finish;

    msg = json_object_get(choice, "message");

    if (!json_is_object(msg)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response has no message");
        return NULL;
    }

    finish = llmgw_json_str(choice, "finish_reason", NULL);
    index = json_object_get(choice, "index");

    parts = json_array();
    if (parts == NULL) {
        llmgw_xerr_nomem(err);
        return NULL;
    }

    if (llmgw_gemini_out_parts(msg, finish && strcmp(finish, "length") == 0,
                               parts, err)
        != 0)
    {
        json_decref(parts);
        return NULL;
    }

    cand = json_pack("{s:{s:o,s:s},s:s,s:I}",
                     "content", "parts", parts, "role", "model",
                     "finishReason", llmgw_gemini_out_finish(finish),
                     "index", json_is_integer(index)
                              ? json_integer_value(index) : (json_int_t) pos);
    if (cand == NULL) {
        llmgw_xerr_nomem(err);
    }

    return cand;
}


/* the reasoning as a thought, the text, the calls */

static int
llmgw_gemini_out_parts(json_t *msg, unsigned length, json_t *parts,
    llmgw_xerr_t *err)
{
    size_t        k;
    json_t       *v, *part;
    llmgw_out_t   o;

    v = json_object_get(msg, "reasoning_content");

    if (json_is_string(v) && json_string_length(v)
        && llmgw_json_append(parts,
                             json_pack("{s:O,s:b}", "text", v, "thought", 1),
                             err)
           != 0)
    {
        return -1;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    v = json_object_get(msg, "content");

    if (json_is_array(v)) {
        json_array_foreach(v, k, part) {
            llmgw_out_join(&o, json_object_get(part, "text"), NULL);
        }

    } else {
        llmgw_out_join(&o, v, NULL);
    }

    if (o.len == 0) {
        llmgw_out_join(&o, json_object_get(msg, "refusal"), NULL);
    }

    if ((o.len || o.failed)
        && llmgw_json_append(parts,
                             json_pack("{s:o}", "text", llmgw_out_string(&o)),
                             err)
           != 0)
    {
        return -1;
    }

    return llmgw_gemini_out_calls(msg, length, parts, err);
}


/* a call whose arguments are not a JSON object is an error of the
 * provider's, unless the answer was cut short (finish "length"): it is
 * left out then */

static int
llmgw_gemini_out_calls(json_t *msg, unsigned length, json_t *parts,
    llmgw_xerr_t *err)
{
    size_t       k, len;
    json_t      *call, *fn, *args, *fc, *id;
    const char  *text, *name;

    json_array_foreach(json_object_get(msg, "tool_calls"), k, call) {
        fn = json_object_get(call, "function");
        name = llmgw_json_str(fn, "name", NULL);
        text = llmgw_json_str(fn, "arguments", &len);
        id = json_object_get(call, "id");

        args = llmgw_tool_args(text, text ? len : 0, 0);

        if (args == NULL || name == NULL) {
            json_decref(args);

            if (length) {
                continue;
            }

            llmgw_xerr(err, 502, "api_error",
                       "The provider's tool call %zu is malformed (its "
                       "arguments are not a JSON object)", k);
            return -1;
        }

        fc = json_pack("{s:s,s:o}", "name", name, "args", args);

        if (fc && json_is_string(id) && json_string_length(id)
            && json_object_set(fc, "id", id) != 0)
        {
            json_decref(fc);
            fc = NULL;
        }

        if (llmgw_json_append(parts, json_pack("{s:o}", "functionCall", fc),
                              err)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


static const char *
llmgw_gemini_out_finish(const char *finish)
{
    if (finish == NULL) {
        return "STOP";
    }

    if (strcmp(finish, "length") == 0) {
        return "MAX_TOKENS";
    }

    if (strcmp(finish, "content_filter") == 0) {
        return "SAFETY";
    }

    return "STOP";
}


/* candidatesTokenCount leaves the thoughts out, which
 * thoughtsTokenCount counts */

static json_t *
llmgw_gemini_out_usage(json_t *usage)
{
    int64_t        reasoning;
    json_t        *meta;
    llmgw_usage_t  u;

    memset(&u, 0, sizeof(llmgw_usage_t));
    llmgw_usage_from_json(usage, &u);

    reasoning = llmgw_json_count(json_object_get(usage,
                                                 "completion_tokens_details"),
                                 "reasoning_tokens");

    if (reasoning > u.completion) {
        reasoning = u.completion;
    }

    meta = json_pack("{s:I,s:I,s:I}",
                     "promptTokenCount", (json_int_t) u.prompt,
                     "candidatesTokenCount",
                     (json_int_t) (u.completion - reasoning),
                     "totalTokenCount", (json_int_t) u.total);

    if (meta && u.cached
        && llmgw_json_set(meta, "cachedContentTokenCount",
                          json_integer(u.cached)) != 0)
    {
        json_decref(meta);
        return NULL;
    }

    if (meta && reasoning
        && llmgw_json_set(meta, "thoughtsTokenCount",
                          json_integer(reasoning)) != 0)
    {
        json_decref(meta);
        return NULL;
    }

    return meta;
}


/*
 * Errors: google.rpc.Status as Google's APIs write it, and like the
 * gateway's own errors for Gemini clients: the gateway's code as an
 * ErrorInfo reason.
 */

void
llmgw_gemini_client_error_out(llmgw_out_t *o, const char *type,
    const char *code, const char *msg, size_t len)
{
    const llmgw_gemini_status_t  *st;

    st = llmgw_gemini_status(type);

    llmgw_out_cstr(o, "{\"error\":{\"code\":");
    llmgw_out_int(o, st->code);
    llmgw_out_cstr(o, ",\"message\":");
    llmgw_out_jstr(o, msg ? msg : "", msg ? len : 0);
    llmgw_out_cstr(o, ",\"status\":\"");
    llmgw_out_cstr(o, st->status);
    llmgw_out_raw(o, "\"", 1);

    if (code) {
        llmgw_out_cstr(o, ",\"details\":[{\"@type\":\"type.googleapis.com/"
                          "google.rpc.ErrorInfo\",\"reason\":");
        llmgw_out_jstr(o, code, strlen(code));
        llmgw_out_cstr(o, ",\"domain\":\"llmgw\",\"metadata\":{\"type\":");
        llmgw_out_jstr(o, type ? type : "api_error",
                       type ? strlen(type) : 9);
        llmgw_out_cstr(o, "}}]");
    }

    llmgw_out_cstr(o, "}}\n");
}


static const llmgw_gemini_status_t *
llmgw_gemini_status(const char *type)
{
    const llmgw_gemini_status_t  *st;

    for (st = llmgw_gemini_statuses; st->type; st++) {
        if (type && strcmp(type, st->type) == 0) {
            break;
        }
    }

    return st;
}


/*
 * Client side: deltas as alt=sse events, "data: <GenerateContentResponse>"
 * ended by CRLF CRLF as Google ends them, each with modelVersion and
 * responseId.  Text and thoughts go out as they come; a function call is
 * gathered and goes out whole, as Gemini sends calls, when it ends: at
 * the next call, text, FINISH or END.  The last event holds the
 * finishReason and usageMetadata.  Only choice 0 is written.
 *
 * An error goes out as Google writes one into a broken stream: the Status
 * JSON alone on a line, no "data:" (the google-genai SDKs raise it as an
 * API error; as a data: event they would take it for an empty answer),
 * and no blank line after it, so that a reader who did not see it alone
 * is left with an unended event.
 */

int
llmgw_gemini_client_encode(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_gemini_enc_t  *e;

    e = s->enc;

    if (d->choice != 0 && d->type != LLMGW_DELTA_END
        && d->type != LLMGW_DELTA_ERROR)
    {
        return 0;
    }

    switch (d->type) {

    case LLMGW_DELTA_TEXT:
    case LLMGW_DELTA_REASONING:
        if (d->text_len && llmgw_gemini_enc_flush(s) == 0) {
            llmgw_gemini_enc_text(s, d);
        }

        break;

    case LLMGW_DELTA_TOOL_START:
        llmgw_gemini_enc_tool(s, d);
        break;

    case LLMGW_DELTA_TOOL_ARGS:
        llmgw_gemini_enc_args(s, d);
        break;

    case LLMGW_DELTA_FINISH:
        e->finish = llmgw_gemini_out_finish(d->finish);
        llmgw_gemini_enc_flush(s);
        break;

    case LLMGW_DELTA_END:
        if (llmgw_gemini_enc_flush(s) == 0) {
            llmgw_gemini_enc_end(s);
        }

        break;

    case LLMGW_DELTA_ERROR:
        llmgw_gemini_client_error_out(&s->out,
                                      d->error_type ? d->error_type
                                                    : "api_error",
                                      "provider_stream_error",
                                      d->text ? d->text : "",
                                      d->text ? d->text_len : 0);
        llmgw_gemini_enc_reset(e);
        break;

    default:
        break;
    }

    return s->out.failed ? -1 : 0;
}


static void
llmgw_gemini_enc_text(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_gemini_enc_head(s);
    llmgw_out_cstr(&s->out, "{\"text\":");
    llmgw_out_jstr(&s->out, d->text, d->text_len);
    llmgw_out_cstr(&s->out, d->type == LLMGW_DELTA_REASONING
                            ? ",\"thought\":true}" : "}");
    llmgw_gemini_enc_tail(s, NULL);
}


/* a call of a new index ends the one gathered; a TOOL_START again for
 * the call gathered (some providers repeat the id and name) fills in
 * what it had not */

static void
llmgw_gemini_enc_tool(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_gemini_enc_t  *e;

    e = s->enc;

    if (d->tool >= e->tools) {
        if (llmgw_gemini_enc_flush(s) == 0) {
            llmgw_gemini_enc_begin(e, d->tool, d);
        }

        return;
    }

    if (e->pending && d->tool == e->tool) {
        if (e->id.len == 0 && d->id_len) {
            llmgw_out_raw(&e->id, d->id, d->id_len);
        }

        if (e->name.len == 0 && d->name_len) {
            llmgw_out_raw(&e->name, d->name, d->name_len);
        }
    }
}


static void
llmgw_gemini_enc_args(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_gemini_enc_t  *e;

    e = s->enc;

    if (d->tool >= e->tools) {
        if (llmgw_gemini_enc_flush(s) != 0) {
            return;
        }

        llmgw_gemini_enc_begin(e, d->tool, NULL);
    }

    if (e->pending && d->tool == e->tool) {
        llmgw_out_raw(&e->args, d->text, d->text_len);
        return;
    }

    llmgw_gemini_enc_fail(s, "api_error", "The provider's stream added to a "
                          "tool call after the next one began");
}


static void
llmgw_gemini_enc_begin(llmgw_gemini_enc_t *e, unsigned tool,
    const llmgw_delta_t *d)
{
    e->id.len = 0;
    e->name.len = 0;
    e->args.len = 0;
    e->tool = tool;
    e->tools = tool + 1;
    e->pending = 1;

    if (d) {
        llmgw_out_raw(&e->id, d->id, d->id_len);
        llmgw_out_raw(&e->name, d->name, d->name_len);
    }
}


/* the call gathered as an event: 0, or -1 when the stream failed; a call
 * whose arguments are not a JSON object fails the stream, unless the
 * answer was cut short (MAX_TOKENS): it is left out then */

static int
llmgw_gemini_enc_flush(llmgw_xstream_t *s)
{
    json_t              *args;
    llmgw_gemini_enc_t  *e;

    e = s->enc;

    if (s->failed || s->out.failed) {
        return -1;
    }

    if (!e->pending) {
        return 0;
    }

    e->pending = 0;

    if (e->args.failed || e->id.failed || e->name.failed) {
        s->out.failed = 1;
        return -1;
    }

    args = llmgw_tool_args((char *) e->args.data, e->args.len, 0);

    if (args == NULL) {
        if (e->finish && strcmp(e->finish, "MAX_TOKENS") == 0) {
            return 0;
        }

        llmgw_gemini_enc_fail(s, "api_error", "The provider's tool call "
                              "arguments are not a JSON object");
        return -1;
    }

    llmgw_gemini_enc_head(s);
    llmgw_out_cstr(&s->out, "{\"functionCall\":{\"name\":");
    llmgw_out_jstr(&s->out, (char *) e->name.data, e->name.len);
    llmgw_out_cstr(&s->out, ",\"args\":");
    llmgw_out_json(&s->out, args);

    if (e->id.len) {
        llmgw_out_cstr(&s->out, ",\"id\":");
        llmgw_out_jstr(&s->out, (char *) e->id.data, e->id.len);
    }

    llmgw_out_cstr(&s->out, "}}");
    llmgw_gemini_enc_tail(s, NULL);

    json_decref(args);

    return s->out.failed ? -1 : 0;
}


static void
llmgw_gemini_enc_end(llmgw_xstream_t *s)
{
    llmgw_gemini_enc_t  *e;

    e = s->enc;

    llmgw_gemini_enc_head(s);
    llmgw_gemini_enc_tail(s, e->finish ? e->finish : "STOP");
    llmgw_gemini_enc_reset(e);
}


static void
llmgw_gemini_enc_head(llmgw_xstream_t *s)
{
    llmgw_out_cstr(&s->out, "data: {\"candidates\":[{\"content\":"
                            "{\"parts\":[");
}


static void
llmgw_gemini_enc_tail(llmgw_xstream_t *s, const char *finish)
{
    llmgw_out_t  *o;

    o = &s->out;

    llmgw_out_cstr(o, "],\"role\":\"model\"}");

    if (finish) {
        llmgw_out_cstr(o, ",\"finishReason\":\"");
        llmgw_out_cstr(o, finish);
        llmgw_out_raw(o, "\"", 1);
    }

    llmgw_out_cstr(o, ",\"index\":0}]");

    if (finish && s->usage.seen) {
        llmgw_gemini_enc_usage(s);
    }

    llmgw_out_cstr(o, ",\"modelVersion\":");
    llmgw_out_jstr(o, s->model, strlen(s->model));

    if (s->id[0]) {
        llmgw_out_cstr(o, ",\"responseId\":");
        llmgw_out_jstr(o, s->id, strlen(s->id));
    }

    llmgw_out_cstr(o, "}\r\n\r\n");
}


/* the stream's usage knows no reasoning tokens apart: the candidates'
 * count holds them */

static void
llmgw_gemini_enc_usage(llmgw_xstream_t *s)
{
    llmgw_out_t    *o;
    llmgw_usage_t  *u;

    o = &s->out;
    u = &s->usage;

    llmgw_out_cstr(o, ",\"usageMetadata\":{\"promptTokenCount\":");
    llmgw_out_int(o, u->prompt > 0 ? u->prompt : 0);
    llmgw_out_cstr(o, ",\"candidatesTokenCount\":");
    llmgw_out_int(o, u->completion > 0 ? u->completion : 0);
    llmgw_out_cstr(o, ",\"totalTokenCount\":");
    llmgw_out_int(o, u->total > 0 ? u->total : 0);

    if (u->cached > 0) {
        llmgw_out_cstr(o, ",\"cachedContentTokenCount\":");
        llmgw_out_int(o, u->cached);
    }

    llmgw_out_raw(o, "}", 1);
}


/* the stream fails here: the error event, and nothing after it */

static void
llmgw_gemini_enc_fail(llmgw_xstream_t *s, const char *type, const char *msg)
{
    llmgw_gemini_client_error_out(&s->out, type, "provider_stream_error",
                                  msg, strlen(msg));
    llmgw_gemini_enc_reset(s->enc);

    s->failed = 1;
    s->ended = 1;
}


static void
llmgw_gemini_enc_reset(llmgw_gemini_enc_t *e)
{
    llmgw_out_free(&e->id);
    llmgw_out_free(&e->name);
    llmgw_out_free(&e->args);
    e->id.failed = 0;
    e->name.failed = 0;
    e->args.failed = 0;
    e->pending = 0;
}


void
llmgw_gemini_client_free(llmgw_xstream_t *s)
{
    if (s->enc && s->client && s->client->encode == llmgw_gemini_client_encode)
    {
        llmgw_gemini_enc_reset(s->enc);
    }
}


/* countTokens: {"contents"} is a generateContent request as it is */

json_t *
llmgw_gemini_count_request(json_t *req, llmgw_xerr_t *err)
{
    json_t  *gcr, *contents;

    if (!json_is_object(req)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "The request body must be a JSON object");
        return NULL;
    }

    gcr = llmgw_gemini_in_get(req, "generateContentRequest");
    contents = llmgw_gemini_in_get(req, "contents");

    if (gcr != NULL && !json_is_null(gcr)) {
        if (contents != NULL && !json_is_null(contents)) {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "contents and generateContentRequest: give one of "
                       "them");
            return NULL;
        }

        if (!json_is_object(gcr) || json_object_size(req) != 1) {
            llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                       "generateContentRequest must be an object, alone in "
                       "the body");
            return NULL;
        }

        return json_incref(gcr);
    }

    if (contents == NULL || json_is_null(contents)) {
        llmgw_xerr(err, 400, LLMGW_GEMINI_INVALID,
                   "A countTokens request needs contents or "
                   "generateContentRequest");
        return NULL;
    }

    return json_incref(req);
}
