/*
 * llmgw: Google Gemini's generateContent API (Google AI and Vertex AI), as
 * a provider: canonical chat requests to GenerateContentRequest, responses,
 * errors and :streamGenerateContent?alt=sse events back, and embeddings.
 *
 * Plain C on jansson and libc (llmgw_xlate.h).  The model never goes into a
 * body: it is in the URL, which the caller builds.
 */


#include "llmgw_xlate.h"
#include "llmgw_gemini_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define LLMGW_GEMINI_BLOCKED                                                  \
    "The prompt was blocked by the provider's safety filter (%.64s)"

/*
 * Gemini 3 refuses a history whose function calls lack the thought
 * signature they came with; OpenAI clients do not keep one unless they
 * echo extra_content.google.thought_signature (what Google's OpenAI
 * endpoint and response_in below hand out).  Google documents this value
 * for calls it did not sign.
 */
#define LLMGW_GEMINI_NO_SIGNATURE  "skip_thought_signature_validator"


typedef struct {
    const char  *finish;      /* the last finishReason, mapped */
    unsigned     tools;       /* function calls so far */
} llmgw_gemini_dec_t;


typedef struct {
    const char  *name;
    size_t       len;
    const char  *value;
} llmgw_gemini_map_t;


static json_t *llmgw_gemini_request_out(json_t *canon,
    const llmgw_xreq_t *opt, llmgw_xerr_t *err);
static int llmgw_gemini_messages(json_t *messages, json_t *req,
    llmgw_xerr_t *err);
static int llmgw_gemini_message(json_t *messages, size_t i, json_t *sys,
    json_t *contents, llmgw_xerr_t *err);
static int llmgw_gemini_system(json_t *m, size_t i, json_t *sys,
    llmgw_xerr_t *err);
static int llmgw_gemini_parts(json_t *content, size_t i, json_t *parts,
    llmgw_xerr_t *err);
static int llmgw_gemini_part(json_t *part, size_t i, size_t k,
    json_t *parts, llmgw_xerr_t *err);
static json_t *llmgw_gemini_image(json_t *image, size_t i, size_t k,
    llmgw_xerr_t *err);
static json_t *llmgw_gemini_audio(json_t *audio, size_t i, size_t k,
    llmgw_xerr_t *err);
static json_t *llmgw_gemini_file(json_t *file, size_t i, size_t k,
    llmgw_xerr_t *err);
static json_t *llmgw_gemini_data_url(const char *url, size_t len);
static const char *llmgw_gemini_mime_guess(const char *url, size_t len);
static int llmgw_gemini_calls(json_t *m, size_t i, json_t *parts,
    llmgw_xerr_t *err);
static json_t *llmgw_gemini_call(json_t *call, size_t i, size_t k,
    int first, llmgw_xerr_t *err);
static int llmgw_gemini_result(json_t *messages, size_t i, json_t *parts,
    llmgw_xerr_t *err);
static const char *llmgw_gemini_call_name(json_t *messages, size_t i,
    const char *id, size_t len);
static json_t *llmgw_gemini_text_of(json_t *content);
static int llmgw_gemini_turn(json_t *contents, const char *role,
    json_t *parts);
static int llmgw_gemini_config(json_t *canon, json_t *req,
    llmgw_xerr_t *err);
static int llmgw_gemini_copy(json_t *canon, const char *from, json_t *gc,
    const char *to, int integer, llmgw_xerr_t *err);
static int llmgw_gemini_stop(json_t *stop, json_t *gc, llmgw_xerr_t *err);
static int llmgw_gemini_format(json_t *format, json_t *gc,
    llmgw_xerr_t *err);
static int llmgw_gemini_thinking(json_t *effort, json_t *gc,
    llmgw_xerr_t *err);
static int llmgw_gemini_tools(json_t *canon, json_t *req, llmgw_xerr_t *err);
static int llmgw_gemini_tool_choice(json_t *choice, json_t *req,
    llmgw_xerr_t *err);

static json_t *llmgw_gemini_response_in(json_t *resp, llmgw_xerr_t *err);
static json_t *llmgw_gemini_choice(json_t *cand, size_t pos);
static json_t *llmgw_gemini_tool_call(json_t *fc, json_t *part, unsigned n);
static const char *llmgw_gemini_finish(json_t *cand, int calls);
static const char *llmgw_gemini_blocked(json_t *resp);
static void llmgw_gemini_usage(json_t *meta, llmgw_usage_t *u,
    int64_t absent);
static int64_t llmgw_gemini_count(json_t *meta, const char *key);

static int llmgw_gemini_error_in(json_t *body, int status,
    llmgw_xerr_t *err);
static json_t *llmgw_gemini_error_of(json_t *body);
static const char *llmgw_gemini_error_type(json_t *error);

static int llmgw_gemini_decode(llmgw_xstream_t *s, const char *event,
    size_t elen, const char *data, size_t dlen);
static int llmgw_gemini_decode_json(llmgw_xstream_t *s, json_t *ev);
static int llmgw_gemini_decode_parts(llmgw_xstream_t *s, json_t *parts);
static int llmgw_gemini_decode_call(llmgw_xstream_t *s, json_t *fc);
static int llmgw_gemini_decode_error(llmgw_xstream_t *s, json_t *body);
static int llmgw_gemini_decode_end(llmgw_xstream_t *s);
static json_t *llmgw_gemini_embed_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err);
static json_t *llmgw_gemini_embed_content(json_t *text, json_t *dims);
static json_t *llmgw_gemini_embed_in(json_t *resp, const char *model,
    llmgw_xerr_t *err);

static int llmgw_gemini_nomem(llmgw_xerr_t *err);


const llmgw_format_t  llmgw_format_gemini = {
    LLMGW_FORMAT_GEMINI,
    "gemini",

    llmgw_gemini_client_request_in,
    llmgw_gemini_client_response_out,
    llmgw_gemini_client_encode,
    llmgw_gemini_client_error_out,
    sizeof(llmgw_gemini_enc_t),

    llmgw_gemini_request_out,
    llmgw_gemini_response_in,
    llmgw_gemini_error_in,
    llmgw_gemini_decode,
    llmgw_gemini_decode_end,
    sizeof(llmgw_gemini_dec_t),

    llmgw_gemini_embed_out,
    llmgw_gemini_embed_in,

    llmgw_gemini_client_free
};


static const llmgw_gemini_map_t  llmgw_gemini_finishes[] = {
    { "MAX_TOKENS", 10, "length" },
    { "SAFETY", 6, "content_filter" },
    { "RECITATION", 10, "content_filter" },
    { "BLOCKLIST", 9, "content_filter" },
    { "PROHIBITED_CONTENT", 18, "content_filter" },
    { "SPII", 4, "content_filter" },
    { "IMAGE_SAFETY", 12, "content_filter" },
    { "LANGUAGE", 8, "content_filter" },
    { NULL, 0, NULL }
};


static const llmgw_gemini_map_t  llmgw_gemini_errors[] = {
    { "INVALID_ARGUMENT", 16, "invalid_request_error" },
    { "FAILED_PRECONDITION", 19, "invalid_request_error" },
    { "OUT_OF_RANGE", 12, "invalid_request_error" },
    { "UNAUTHENTICATED", 15, "authentication_error" },
    { "PERMISSION_DENIED", 17, "permission_error" },
    { "NOT_FOUND", 9, "not_found_error" },
    { "RESOURCE_EXHAUSTED", 18, "rate_limit_error" },
    { "UNAVAILABLE", 11, "overloaded_error" },
    { NULL, 0, NULL }
};


static const llmgw_gemini_map_t  llmgw_gemini_mimes[] = {
    { "jpg", 3, "image/jpeg" },
    { "jpeg", 4, "image/jpeg" },
    { "png", 3, "image/png" },
    { "gif", 3, "image/gif" },
    { "webp", 4, "image/webp" },
    { "heic", 4, "image/heic" },
    { "heif", 4, "image/heif" },
    { "pdf", 3, "application/pdf" },
    { NULL, 0, NULL }
};


/* the request */

static json_t *
llmgw_gemini_request_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    json_t  *req, *messages;

    (void) opt;

    if (!json_is_object(canon)) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "The request body must be a JSON object");
        return NULL;
    }

    messages = json_object_get(canon, "messages");

    if (!json_is_array(messages) || json_array_size(messages) == 0) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "'messages' must be a non-empty array");
        return NULL;
    }

    req = json_object();
    if (req == NULL) {
        llmgw_gemini_nomem(err);
        return NULL;
    }

    if (llmgw_gemini_messages(messages, req, err) != 0
        || llmgw_gemini_config(canon, req, err) != 0
        || llmgw_gemini_tools(canon, req, err) != 0)
    {
        json_decref(req);
        return NULL;
    }

    return req;
}


static int
llmgw_gemini_messages(json_t *messages, json_t *req, llmgw_xerr_t *err)
{
    size_t   i;
    json_t  *sys, *contents, *instr;

    sys = json_array();
    contents = json_array();

    if (llmgw_json_set(req, "contents", contents) != 0 || sys == NULL) {
        json_decref(sys);
        return llmgw_gemini_nomem(err);
    }

    for (i = 0; i < json_array_size(messages); i++) {
        if (llmgw_gemini_message(messages, i, sys, contents, err) != 0) {
            json_decref(sys);
            return -1;
        }
    }

    if (json_array_size(sys) == 0) {
        json_decref(sys);
        return 0;
    }

    instr = json_object();

    if (llmgw_json_set(instr, "parts", sys) != 0
        || llmgw_json_set(req, "systemInstruction", instr) != 0)
    {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


/*
 * system and developer messages go to systemInstruction, wherever they
 * are; user turns stay "user", assistant turns become "model", and tool
 * results are "user" turns of functionResponse parts.  A turn of the same
 * role as the one before it joins it: Gemini wants one turn per side.
 */

static int
llmgw_gemini_message(json_t *messages, size_t i, json_t *sys,
    json_t *contents, llmgw_xerr_t *err)
{
    int          rc;
    size_t       len;
    json_t      *m, *parts;
    const char  *role;

    m = json_array_get(messages, i);

    if (!json_is_object(m)) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu] must be an object", i);
        return -1;
    }

    role = llmgw_json_str(m, "role", &len);

    if (role == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].role must be a string", i);
        return -1;
    }

    if (llmgw_str_is(role, len, "system")
        || llmgw_str_is(role, len, "developer"))
    {
        return llmgw_gemini_system(m, i, sys, err);
    }

    parts = json_array();
    if (parts == NULL) {
        return llmgw_gemini_nomem(err);
    }

    if (llmgw_str_is(role, len, "user")) {
        rc = llmgw_gemini_parts(json_object_get(m, "content"), i, parts, err);
        role = "user";

    } else if (llmgw_str_is(role, len, "assistant")) {
        rc = llmgw_gemini_parts(json_object_get(m, "content"), i, parts, err);

        if (rc == 0) {
            rc = llmgw_gemini_calls(m, i, parts, err);
        }

        role = "model";

    } else if (llmgw_str_is(role, len, "tool")) {
        rc = llmgw_gemini_result(messages, i, parts, err);
        role = "user";

    } else {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu]: the role '%.*s' is not supported by "
                   "Gemini", i, (int) (len > 64 ? 64 : len), role);
        rc = -1;
    }

    if (rc != 0) {
        json_decref(parts);
        return -1;
    }

    if (llmgw_gemini_turn(contents, role, parts) != 0) {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


static int
llmgw_gemini_system(json_t *m, size_t i, json_t *sys, llmgw_xerr_t *err)
{
    size_t   k, n;
    json_t  *content;

    content = json_object_get(m, "content");
    n = json_array_size(sys);

    if (llmgw_gemini_parts(content, i, sys, err) != 0) {
        return -1;
    }

    for (k = n; k < json_array_size(sys); k++) {
        json_t  *part;

        part = json_array_get(sys, k);

        if (json_object_get(part, "text") == NULL) {
            llmgw_xerr(err, 400, "invalid_request_error",
                       "messages[%zu]: a system message may hold text only",
                       i);
            return -1;
        }
    }

    return 0;
}


/* a message's content (a string, an array of parts or null) to parts */

static int
llmgw_gemini_parts(json_t *content, size_t i, json_t *parts,
    llmgw_xerr_t *err)
{
    size_t  k;

    if (content == NULL || json_is_null(content)) {
        return 0;
    }

    if (json_is_string(content)) {
        json_t  *part;

        if (json_string_length(content) == 0) {
            return 0;
        }

        part = json_object();

        if (llmgw_json_set(part, "text", json_incref(content)) != 0
            || llmgw_json_push(parts, part) != 0)
        {
            return llmgw_gemini_nomem(err);
        }

        return 0;
    }

    if (!json_is_array(content)) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content must be a string or an array", i);
        return -1;
    }

    for (k = 0; k < json_array_size(content); k++) {
        if (llmgw_gemini_part(json_array_get(content, k), i, k, parts, err)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
llmgw_gemini_part(json_t *part, size_t i, size_t k, json_t *parts,
    llmgw_xerr_t *err)
{
    size_t       len = 0;
    json_t      *out;
    const char  *type;

    type = json_is_object(part) ? llmgw_json_str(part, "type", &len) : NULL;

    if (type == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content[%zu] must be an object with a "
                   "'type'", i, k);
        return -1;
    }

    if (llmgw_str_is(type, len, "text")
        || llmgw_str_is(type, len, "refusal"))
    {
        json_t  *text;

        text = json_object_get(part, type);

        if (!json_is_string(text)) {
            llmgw_xerr(err, 400, "invalid_request_error",
                       "messages[%zu].content[%zu].%s must be a string", i,
                       k, type);
            return -1;
        }

        if (json_string_length(text) == 0) {
            return 0;
        }

        out = json_object();

        if (llmgw_json_set(out, "text", json_incref(text)) != 0) {
            return llmgw_gemini_nomem(err);
        }

    } else if (llmgw_str_is(type, len, "image_url")) {
        out = llmgw_gemini_image(json_object_get(part, "image_url"), i, k,
                                 err);

    } else if (llmgw_str_is(type, len, "input_audio")) {
        out = llmgw_gemini_audio(json_object_get(part, "input_audio"), i, k,
                                 err);

    } else if (llmgw_str_is(type, len, "file")) {
        out = llmgw_gemini_file(json_object_get(part, "file"), i, k, err);

    } else {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content[%zu]: the part type '%.*s' is not "
                   "supported by Gemini", i, k, (int) (len > 64 ? 64 : len),
                   type);
        return -1;
    }

    if (out == NULL) {
        return -1;
    }

    if (llmgw_json_push(parts, out) != 0) {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


/* data: URLs go inline; http(s) and gs:// URLs as fileData */

static json_t *
llmgw_gemini_image(json_t *image, size_t i, size_t k, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *part, *fd;
    const char  *url;

    if (json_is_string(image)) {
        url = json_string_value(image);
        len = json_string_length(image);

    } else {
        url = llmgw_json_str(image, "url", &len);
    }

    if (url == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content[%zu].image_url.url must be a "
                   "string", i, k);
        return NULL;
    }

    if (len > 5 && strncmp(url, "data:", 5) == 0) {
        part = llmgw_gemini_data_url(url, len);

        if (part == NULL) {
            llmgw_xerr(err, 400, "invalid_request_error",
                       "messages[%zu].content[%zu]: an image data: URL must "
                       "be base64 with a media type", i, k);
        }

        return part;
    }

    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0
        && strncmp(url, "gs://", 5) != 0)
    {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content[%zu]: an image URL must be "
                   "data:, http(s): or gs:", i, k);
        return NULL;
    }

    part = json_object();
    fd = json_pack("{s:s,s:s%}", "mimeType",
                   llmgw_gemini_mime_guess(url, len), "fileUri", url, len);

    if (llmgw_json_set(part, "fileData", fd) != 0) {
        llmgw_gemini_nomem(err);
        return NULL;
    }

    return part;
}


static json_t *
llmgw_gemini_audio(json_t *audio, size_t i, size_t k, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *part, *data, *inl;
    const char  *format, *mime;

    data = json_object_get(audio, "data");
    format = llmgw_json_str(audio, "format", &len);

    if (!json_is_string(data) || format == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content[%zu].input_audio needs 'data' and "
                   "'format'", i, k);
        return NULL;
    }

    if (llmgw_str_is(format, len, "wav")) {
        mime = "audio/wav";

    } else if (llmgw_str_is(format, len, "mp3")) {
        mime = "audio/mp3";

    } else {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content[%zu]: the audio format '%.*s' is "
                   "not supported (wav, mp3)", i, k,
                   (int) (len > 32 ? 32 : len), format);
        return NULL;
    }

    part = json_object();
    inl = json_pack("{s:s,s:O}", "mimeType", mime, "data", data);

    if (llmgw_json_set(part, "inlineData", inl) != 0) {
        llmgw_gemini_nomem(err);
        return NULL;
    }

    return part;
}


static json_t *
llmgw_gemini_file(json_t *file, size_t i, size_t k, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *part;
    const char  *url;

    url = llmgw_json_str(file, "file_data", &len);

    if (url == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content[%zu]: a file part needs "
                   "'file_data' (file_id is not supported by Gemini)", i, k);
        return NULL;
    }

    part = llmgw_gemini_data_url(url, len);

    if (part == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content[%zu].file.file_data must be a "
                   "base64 data: URL with a media type", i, k);
    }

    return part;
}


/* "data:<type>[;params];base64,<data>" to {inlineData}; NULL if not so */

static json_t *
llmgw_gemini_data_url(const char *url, size_t len)
{
    json_t            *part, *inl;
    llmgw_data_url_t   du;

    if (llmgw_data_url(url, len, &du) != 0
        || memchr(du.type, '/', du.type_len) == NULL)
    {
        return NULL;
    }

    part = json_object();
    inl = json_pack("{s:s%,s:s%}", "mimeType", du.type, du.type_len,
                    "data", du.data, du.data_len);

    /* the media type or the data may not be UTF-8: no part then */
    if (llmgw_json_set(part, "inlineData", inl) != 0) {
        json_decref(part);
        return NULL;
    }

    return part;
}


static const char *
llmgw_gemini_mime_guess(const char *url, size_t len)
{
    char                       ext[8];
    size_t                     i, end, dot;
    const llmgw_gemini_map_t  *m;

    for (end = 0; end < len && url[end] != '?' && url[end] != '#'; end++) {
        /* void */
    }

    for (dot = end; dot > 0 && url[dot - 1] != '.' && url[dot - 1] != '/';
         dot--)
    {
        /* void */
    }

    if (dot == 0 || url[dot - 1] != '.' || end - dot >= sizeof(ext)) {
        return "image/jpeg";
    }

    for (i = 0; i < end - dot; i++) {
        ext[i] = (url[dot + i] >= 'A' && url[dot + i] <= 'Z')
                 ? url[dot + i] + ('a' - 'A') : url[dot + i];
    }

    for (m = llmgw_gemini_mimes; m->name; m++) {
        if (m->len == end - dot && memcmp(ext, m->name, m->len) == 0) {
            return m->value;
        }
    }

    return "image/jpeg";
}


static int
llmgw_gemini_calls(json_t *m, size_t i, json_t *parts, llmgw_xerr_t *err)
{
    size_t   k;
    json_t  *calls;

    calls = json_object_get(m, "tool_calls");

    if (calls == NULL || json_is_null(calls)) {
        return 0;
    }

    if (!json_is_array(calls)) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].tool_calls must be an array", i);
        return -1;
    }

    for (k = 0; k < json_array_size(calls); k++) {
        json_t  *part;

        part = llmgw_gemini_call(json_array_get(calls, k), i, k, k == 0, err);

        if (part == NULL) {
            return -1;
        }

        if (llmgw_json_push(parts, part) != 0) {
            return llmgw_gemini_nomem(err);
        }
    }

    return 0;
}


static json_t *
llmgw_gemini_call(json_t *call, size_t i, size_t k, int first,
    llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *fn, *name, *args, *part, *sig;
    const char  *text;

    fn = json_object_get(call, "function");
    name = json_object_get(fn, "name");

    if (!json_is_string(name)) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].tool_calls[%zu].function.name must be a "
                   "string", i, k);
        return NULL;
    }

    args = json_object_get(fn, "arguments");
    text = json_is_string(args) ? json_string_value(args) : NULL;
    len = text ? json_string_length(args) : 0;

    args = text ? llmgw_tool_args(text, len, JSON_ALLOW_NUL)
                : json_incref(json_is_object(args) ? args : NULL);

    if (args == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].tool_calls[%zu].function.arguments must be "
                   "a JSON object", i, k);
        return NULL;
    }

    part = json_pack("{s:{s:O,s:o}}", "functionCall", "name", name,
                     "args", args);

    sig = json_object_get(json_object_get(json_object_get(call,
                                                          "extra_content"),
                                          "google"),
                          "thought_signature");

    if (part != NULL && json_is_string(sig)) {
        json_object_set(part, "thoughtSignature", sig);

    } else if (part != NULL && first) {
        json_object_set_new(part, "thoughtSignature",
                            json_string(LLMGW_GEMINI_NO_SIGNATURE));
    }

    if (part == NULL) {
        llmgw_gemini_nomem(err);
    }

    return part;
}


/*
 * A tool result: Gemini wants the function's name, found in the earlier
 * assistant call of the same id, and a JSON object: the content when it is
 * one, else {"content": text}.
 */

static int
llmgw_gemini_result(json_t *messages, size_t i, json_t *parts,
    llmgw_xerr_t *err)
{
    size_t        len;
    json_t       *m, *text, *resp, *part;
    const char   *id, *name;
    json_error_t  jerr;

    m = json_array_get(messages, i);
    id = llmgw_json_str(m, "tool_call_id", &len);

    if (id == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].tool_call_id must be a string", i);
        return -1;
    }

    name = llmgw_gemini_call_name(messages, i, id, len);

    if (name == NULL) {
        name = llmgw_json_str(m, "name", NULL);
    }

    if (name == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu]: no earlier assistant tool call has the id "
                   "'%.*s'", i, (int) (len > 64 ? 64 : len), id);
        return -1;
    }

    text = llmgw_gemini_text_of(json_object_get(m, "content"));

    if (text == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "messages[%zu].content must be a string or text parts", i);
        return -1;
    }

    resp = json_loadb(json_string_value(text), json_string_length(text), 0,
                      &jerr);

    if (!json_is_object(resp)) {
        json_decref(resp);
        resp = json_pack("{s:O}", "content", text);
    }

    json_decref(text);

    part = json_pack("{s:{s:s,s:o}}", "functionResponse", "name", name,
                     "response", resp);

    if (llmgw_json_push(parts, part) != 0) {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


/* the nearest earlier assistant call with this id */

static const char *
llmgw_gemini_call_name(json_t *messages, size_t i, const char *id,
    size_t len)
{
    size_t       k, n;
    json_t      *call;
    const char  *cid;

    while (i-- > 0) {
        json_t  *m, *calls;

        m = json_array_get(messages, i);
        calls = json_object_get(m, "tool_calls");

        if (!json_is_array(calls)) {
            continue;
        }

        for (k = 0; k < json_array_size(calls); k++) {
            call = json_array_get(calls, k);
            cid = llmgw_json_str(call, "id", &n);

            if (cid && n == len && memcmp(cid, id, len) == 0) {
                return llmgw_json_str(json_object_get(call, "function"),
                                      "name", NULL);
            }
        }
    }

    return NULL;
}


/* a string, or the text parts of an array joined, as a new string */

static json_t *
llmgw_gemini_text_of(json_t *content)
{
    size_t       k, len;
    llmgw_out_t  o;

    if (json_is_string(content)) {
        return json_incref(content);
    }

    if (!json_is_array(content)) {
        return NULL;
    }

    memset(&o, 0, sizeof(llmgw_out_t));

    for (k = 0; k < json_array_size(content); k++) {
        const char  *p;

        p = llmgw_json_str(json_array_get(content, k), "text", &len);

        if (p == NULL) {
            llmgw_out_free(&o);
            return NULL;
        }

        llmgw_out_raw(&o, p, len);
    }

    return llmgw_out_string(&o);
}


/* appends parts as a turn of role, or to the last turn if of that role;
 * takes parts; a turn without parts is dropped */

static int
llmgw_gemini_turn(json_t *contents, const char *role, json_t *parts)
{
    size_t       n;
    json_t      *last, *turn;
    const char  *lrole;

    if (json_array_size(parts) == 0) {
        json_decref(parts);
        return 0;
    }

    n = json_array_size(contents);
    last = n ? json_array_get(contents, n - 1) : NULL;
    lrole = llmgw_json_str(last, "role", NULL);

    if (lrole && strcmp(lrole, role) == 0) {
        int  rc;

        rc = json_array_extend(json_object_get(last, "parts"), parts);
        json_decref(parts);
        return rc;
    }

    turn = json_pack("{s:s,s:o}", "role", role, "parts", parts);

    return llmgw_json_push(contents, turn);
}


static int
llmgw_gemini_config(json_t *canon, json_t *req, llmgw_xerr_t *err)
{
    json_t      *gc, *max;
    const char  *from;

    gc = json_object();
    if (gc == NULL) {
        return llmgw_gemini_nomem(err);
    }

    from = "max_completion_tokens";
    max = json_object_get(canon, from);

    if (max == NULL || json_is_null(max)) {
        from = "max_tokens";
    }

    if (llmgw_gemini_copy(canon, from, gc, "maxOutputTokens", 1, err) != 0
        || llmgw_gemini_copy(canon, "temperature", gc, "temperature", 0, err)
        || llmgw_gemini_copy(canon, "top_p", gc, "topP", 0, err)
        || llmgw_gemini_copy(canon, "n", gc, "candidateCount", 1, err)
        || llmgw_gemini_copy(canon, "seed", gc, "seed", 1, err)
        || llmgw_gemini_copy(canon, "presence_penalty", gc,
                             "presencePenalty", 0, err)
        || llmgw_gemini_copy(canon, "frequency_penalty", gc,
                             "frequencyPenalty", 0, err)
        || llmgw_gemini_stop(json_object_get(canon, "stop"), gc, err)
        || llmgw_gemini_format(json_object_get(canon, "response_format"), gc,
                               err)
        || llmgw_gemini_thinking(json_object_get(canon, "reasoning_effort"),
                                 gc, err))
    {
        json_decref(gc);
        return -1;
    }

    if (json_object_size(gc) == 0) {
        json_decref(gc);
        return 0;
    }

    if (llmgw_json_set(req, "generationConfig", gc) != 0) {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


static int
llmgw_gemini_copy(json_t *canon, const char *from, json_t *gc,
    const char *to, int integer, llmgw_xerr_t *err)
{
    json_t  *v;

    v = json_object_get(canon, from);

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (integer ? !json_is_integer(v) : !json_is_number(v)) {
        llmgw_xerr(err, 400, "invalid_request_error", "'%s' must be %s",
                   from, integer ? "an integer" : "a number");
        return -1;
    }

    if (json_object_set(gc, to, v) != 0) {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


static int
llmgw_gemini_stop(json_t *stop, json_t *gc, llmgw_xerr_t *err)
{
    json_t  *seqs;

    if (stop == NULL || json_is_null(stop)) {
        return 0;
    }

    if (llmgw_stop_list(stop, 0, &seqs) != 0) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "'stop' must be a string or an array of strings");
        return -1;
    }

    if (llmgw_json_set(gc, "stopSequences", seqs) != 0) {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


/*
 * json_schema: the schema goes as is to responseJsonSchema, which takes
 * JSON Schema; responseSchema would take only Google's OpenAPI subset.
 */

static int
llmgw_gemini_format(json_t *format, json_t *gc, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *schema;
    const char  *type;

    if (format == NULL || json_is_null(format)) {
        return 0;
    }

    type = llmgw_json_str(format, "type", &len);

    if (type == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "'response_format' must be an object with a 'type'");
        return -1;
    }

    if (llmgw_str_is(type, len, "text")) {
        return 0;
    }

    if (!llmgw_str_is(type, len, "json_object")
        && !llmgw_str_is(type, len, "json_schema"))
    {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "response_format '%.*s' is not supported by Gemini",
                   (int) (len > 32 ? 32 : len), type);
        return -1;
    }

    if (llmgw_json_set(gc, "responseMimeType",
                       json_string("application/json")) != 0)
    {
        return llmgw_gemini_nomem(err);
    }

    schema = json_object_get(json_object_get(format, "json_schema"),
                             "schema");

    if (schema == NULL || llmgw_str_is(type, len, "json_object")) {
        return 0;
    }

    if (json_object_set(gc, "responseJsonSchema", schema) != 0) {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


/*
 * reasoning_effort: the thinking budgets of Google's OpenAI endpoint, and
 * "none" turns thinking off; "minimal" is taken as "low", the least that
 * models which cannot stop thinking accept.  Thought summaries are asked
 * for: they come back as reasoning_content.
 */

static int
llmgw_gemini_thinking(json_t *effort, json_t *gc, llmgw_xerr_t *err)
{
    json_t   *tc;
    int64_t   budget;

    if (effort == NULL || json_is_null(effort)) {
        return 0;
    }

    budget = llmgw_effort_budget(&llmgw_effort_google,
                                 json_string_value(effort),
                                 json_string_length(effort));

    if (budget < 0) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "'reasoning_effort' must be none, minimal, low, medium "
                   "or high");
        return -1;
    }

    tc = budget ? json_pack("{s:I,s:b}", "thinkingBudget",
                            (json_int_t) budget, "includeThoughts", 1)
                : json_pack("{s:I}", "thinkingBudget", (json_int_t) 0);

    if (llmgw_json_set(gc, "thinkingConfig", tc) != 0) {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


/*
 * tools: each function's parameters go as is to parametersJsonSchema,
 * which takes JSON Schema; "parameters" would take only Google's OpenAPI
 * subset and refuse much of what clients send.
 */

static int
llmgw_gemini_tools(json_t *canon, json_t *req, llmgw_xerr_t *err)
{
    size_t   k, len;
    json_t  *tools, *decls;

    tools = json_object_get(canon, "tools");

    if (tools != NULL && !json_is_null(tools) && !json_is_array(tools)) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "'tools' must be an array");
        return -1;
    }

    decls = json_array();
    if (decls == NULL) {
        return llmgw_gemini_nomem(err);
    }

    for (k = 0; k < json_array_size(tools); k++) {
        json_t      *tool, *fn, *decl, *v;
        const char  *type;

        tool = json_array_get(tools, k);
        type = llmgw_json_str(tool, "type", &len);
        fn = json_object_get(tool, "function");

        if (type == NULL || !llmgw_str_is(type, len, "function")
            || !json_is_string(json_object_get(fn, "name")))
        {
            json_decref(decls);
            llmgw_xerr(err, 400, "invalid_request_error",
                       "tools[%zu]: Gemini takes function tools only, each "
                       "with a function.name", k);
            return -1;
        }

        decl = json_pack("{s:O}", "name", json_object_get(fn, "name"));
        v = json_object_get(fn, "description");

        if (decl && json_is_string(v)) {
            json_object_set(decl, "description", v);
        }

        v = json_object_get(fn, "parameters");

        if (decl && json_is_object(v)) {
            json_object_set(decl, "parametersJsonSchema", v);
        }

        if (llmgw_json_push(decls, decl) != 0) {
            json_decref(decls);
            return llmgw_gemini_nomem(err);
        }
    }

    if (json_array_size(decls) == 0) {
        json_decref(decls);

    } else if (llmgw_json_set(req, "tools",
                              json_pack("[{s:o}]", "functionDeclarations",
                                        decls))
               != 0)
    {
        return llmgw_gemini_nomem(err);
    }

    return llmgw_gemini_tool_choice(json_object_get(canon, "tool_choice"),
                                    req, err);
}


static int
llmgw_gemini_tool_choice(json_t *choice, json_t *req, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *fcc, *name;
    const char  *mode, *c;

    if (choice == NULL || json_is_null(choice)) {
        return 0;
    }

    name = NULL;
    c = json_is_string(choice) ? json_string_value(choice) : NULL;
    len = c ? json_string_length(choice) : 0;

    if (c && llmgw_str_is(c, len, "auto")) {
        mode = "AUTO";

    } else if (c && llmgw_str_is(c, len, "none")) {
        mode = "NONE";

    } else if (c && llmgw_str_is(c, len, "required")) {
        mode = "ANY";

    } else {
        c = llmgw_json_str(choice, "type", &len);
        name = json_object_get(json_object_get(choice, "function"), "name");

        if (c == NULL || !llmgw_str_is(c, len, "function")
            || !json_is_string(name))
        {
            llmgw_xerr(err, 400, "invalid_request_error",
                       "'tool_choice' must be auto, none, required or "
                       "{\"type\":\"function\",\"function\":{\"name\":...}}");
            return -1;
        }

        mode = "ANY";
    }

    fcc = name ? json_pack("{s:s,s:[O]}", "mode", mode,
                           "allowedFunctionNames", name)
               : json_pack("{s:s}", "mode", mode);

    if (llmgw_json_set(req, "toolConfig",
                       json_pack("{s:o}", "functionCallingConfig", fcc))
        != 0)
    {
        return llmgw_gemini_nomem(err);
    }

    return 0;
}


/* the whole response */

/*
 * A prompt blocked before any candidate is the client's request refused:
 * an error (400), as there is no answer to give.  A candidate that stopped
 * for SAFETY and the like is an answer: what it said (maybe nothing) with
 * finish_reason "content_filter", as OpenAI reports its own filter.
 */

static json_t *
llmgw_gemini_response_in(json_t *resp, llmgw_xerr_t *err)
{
    size_t         k;
    json_t        *cands, *choices, *canon, *usage;
    const char    *id, *model, *reason;
    llmgw_usage_t  u;

    if (!json_is_object(resp)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's response is not a JSON object");
        return NULL;
    }

    if (llmgw_gemini_error_in(resp, 200, err) == 0) {
        return NULL;
    }

    cands = json_object_get(resp, "candidates");
    reason = llmgw_gemini_blocked(resp);

    if (json_array_size(cands) == 0) {
        if (reason) {
            llmgw_xerr(err, 400, "invalid_request_error",
                       LLMGW_GEMINI_BLOCKED, reason);
        } else {
            llmgw_xerr(err, 502, "api_error",
                       "The provider's response has no candidates");
        }

        return NULL;
    }

    memset(&u, 0, sizeof(llmgw_usage_t));
    llmgw_gemini_usage(json_object_get(resp, "usageMetadata"), &u, 0);

    id = llmgw_json_str(resp, "responseId", NULL);
    model = llmgw_json_str(resp, "modelVersion", NULL);
    choices = json_array();
    usage = llmgw_usage_to_json(&u);

    canon = json_pack("{s:s,s:s,s:i,s:s,s:o,s:o}",
                      "id", id ? id : "",
                      "object", "chat.completion",
                      "created", 0,
                      "model", model ? model : "",
                      "choices", choices,
                      "usage", usage);

    if (canon == NULL) {
        llmgw_gemini_nomem(err);
        return NULL;
    }

    for (k = 0; k < json_array_size(cands); k++) {
        if (llmgw_json_push(choices,
                            llmgw_gemini_choice(json_array_get(cands, k),
                                                k))
            != 0)
        {
            json_decref(canon);
            llmgw_gemini_nomem(err);
            return NULL;
        }
    }

    return canon;
}


static json_t *
llmgw_gemini_choice(json_t *cand, size_t pos)
{
    int          rc;
    size_t       k, len;
    json_t      *parts, *msg, *calls, *index, *choice;
    unsigned     n;
    const char  *text;
    llmgw_out_t  content, reasoning;

    memset(&content, 0, sizeof(llmgw_out_t));
    memset(&reasoning, 0, sizeof(llmgw_out_t));

    calls = json_array();
    parts = json_object_get(json_object_get(cand, "content"), "parts");
    n = 0;

    for (k = 0; k < json_array_size(parts); k++) {
        json_t  *part, *fc;

        part = json_array_get(parts, k);
        fc = json_object_get(part, "functionCall");

        if (json_is_object(fc)) {
            llmgw_json_push(calls, llmgw_gemini_tool_call(fc, part, n++));
            continue;
        }

        text = llmgw_json_str(part, "text", &len);

        if (text && json_is_true(json_object_get(part, "thought"))) {
            llmgw_out_raw(&reasoning, text, len);

        } else if (text) {
            llmgw_out_raw(&content, text, len);
        }
    }

    index = json_object_get(cand, "index");
    msg = json_pack("{s:s,s:o}", "role", "assistant", "content",
                    content.len ? json_stringn_nocheck((char *) content.data,
                                                       content.len)
                                : json_null());
    rc = (msg == NULL || content.failed || reasoning.failed || calls == NULL
          || json_array_size(calls) != n) ? -1 : 0;

    if (rc == 0 && reasoning.len) {
        rc = llmgw_json_set(msg, "reasoning_content",
                            json_stringn_nocheck((char *) reasoning.data,
                                                 reasoning.len));
    }

    if (rc == 0 && n) {
        rc = llmgw_json_set(msg, "tool_calls", json_incref(calls));
    }

    llmgw_out_free(&content);
    llmgw_out_free(&reasoning);
    json_decref(calls);

    if (rc != 0) {
        json_decref(msg);
        return NULL;
    }

    choice = json_pack("{s:I,s:o,s:s}",
                       "index", json_is_integer(index)
                                ? json_integer_value(index) : (json_int_t) pos,
                       "message", msg,
                       "finish_reason", llmgw_gemini_finish(cand, n != 0));

    return choice;
}


/* {id, type, function: {name, arguments}}, and the call's thought
 * signature where Google's OpenAI endpoint puts it */

static json_t *
llmgw_gemini_tool_call(json_t *fc, json_t *part, unsigned n)
{
    char     id[32];
    char    *args;
    json_t  *call, *v, *sig;

    v = json_object_get(fc, "args");
    args = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
    snprintf(id, sizeof(id), "call_%u", n);
    v = json_object_get(fc, "id");

    call = json_pack("{s:s,s:s,s:{s:s,s:s}}",
                     "id", json_is_string(v) ? json_string_value(v) : id,
                     "type", "function",
                     "function",
                     "name", llmgw_json_str(fc, "name", NULL)
                             ? llmgw_json_str(fc, "name", NULL) : "",
                     "arguments", args ? args : "{}");

    free(args);

    sig = json_object_get(part, "thoughtSignature");

    if (call && json_is_string(sig)) {
        if (llmgw_json_set(call, "extra_content",
                           json_pack("{s:{s:O}}", "google",
                                     "thought_signature", sig))
            != 0)
        {
            json_decref(call);
            return NULL;
        }
    }

    return call;
}


static const char *
llmgw_gemini_finish(json_t *cand, int calls)
{
    size_t                     len;
    const char                *reason;
    const llmgw_gemini_map_t  *m;

    reason = llmgw_json_str(cand, "finishReason", &len);

    if (reason && llmgw_str_is(reason, len, "STOP")) {
        return calls ? "tool_calls" : "stop";
    }

    for (m = llmgw_gemini_finishes; reason && m->name; m++) {
        if (m->len == len && memcmp(reason, m->name, len) == 0) {
            return m->value;
        }
    }

    return "stop";
}


static const char *
llmgw_gemini_blocked(json_t *resp)
{
    size_t       len;
    const char  *reason;

    reason = llmgw_json_str(json_object_get(resp, "promptFeedback"),
                            "blockReason", &len);

    if (reason == NULL || len == 0
        || strcmp(reason, "BLOCK_REASON_UNSPECIFIED") == 0)
    {
        return NULL;
    }

    return reason;
}


/*
 * promptTokenCount counts cached tokens already; the tokens a built-in tool
 * (code execution) fed back are input too, and totalTokenCount counts
 * them, so prompt holds them.  Output is the answer and the thoughts.
 * absent: what a count missing from meta is.
 */

static void
llmgw_gemini_usage(json_t *meta, llmgw_usage_t *u, int64_t absent)
{
    int64_t  n, t;

    if (!json_is_object(meta)) {
        return;
    }

    n = llmgw_gemini_count(meta, "promptTokenCount");
    t = llmgw_gemini_count(meta, "toolUsePromptTokenCount");
    u->prompt = (n < 0 && t < 0) ? absent : (n > 0 ? n : 0) + (t > 0 ? t : 0);

    n = llmgw_gemini_count(meta, "candidatesTokenCount");
    t = llmgw_gemini_count(meta, "thoughtsTokenCount");
    u->completion = (n < 0 && t < 0) ? absent
                                     : (n > 0 ? n : 0) + (t > 0 ? t : 0);

    n = llmgw_gemini_count(meta, "cachedContentTokenCount");
    u->cached = n < 0 ? absent : n;

    n = llmgw_gemini_count(meta, "totalTokenCount");
    u->total = n < 0 ? absent : n;

    u->cache_write = absent;
    u->seen = 1;
}


/* a count, -1 when missing or not a count */

static int64_t
llmgw_gemini_count(json_t *meta, const char *key)
{
    json_t  *v;

    v = json_object_get(meta, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0
        || json_integer_value(v) > (json_int_t) 1 << 53)
    {
        return -1;
    }

    return json_integer_value(v);
}


/* errors */

static int
llmgw_gemini_error_in(json_t *body, int status, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *error, *code;
    const char  *msg;

    error = llmgw_gemini_error_of(body);

    if (error == NULL) {
        return -1;
    }

    code = json_object_get(error, "code");

    if (status < 400 && json_is_integer(code)
        && json_integer_value(code) >= 400 && json_integer_value(code) < 600)
    {
        status = (int) json_integer_value(code);

    } else if (status < 400) {
        status = 502;
    }

    len = 0;
    msg = llmgw_json_str(error, "message", &len);

    if (msg == NULL || len == 0) {
        msg = llmgw_json_str(error, "status", &len);
    }

    llmgw_xerr_text(err, status, llmgw_gemini_error_type(error), msg, len);

    return 0;
}


/* {"error": {...}} or [{"error": {...}}]: the inner object */

static json_t *
llmgw_gemini_error_of(json_t *body)
{
    json_t  *error;

    if (json_is_array(body) && json_array_size(body) == 1) {
        body = json_array_get(body, 0);
    }

    error = json_object_get(body, "error");

    return json_is_object(error) ? error : NULL;
}


static const char *
llmgw_gemini_error_type(json_t *error)
{
    size_t                     len;
    const char                *st;
    const llmgw_gemini_map_t  *m;

    st = llmgw_json_str(error, "status", &len);

    for (m = llmgw_gemini_errors; st && m->name; m++) {
        if (m->len == len && memcmp(st, m->name, len) == 0) {
            return m->value;
        }
    }

    return "api_error";
}


/* the stream */

/*
 * Each data: is a whole GenerateContentResponse.  Only candidate 0 makes
 * deltas: a stream carries one choice (n > 1 is for whole responses).
 *
 * FINISH waits for the end of the stream: some responses (Vertex AI)
 * carry finishReason "STOP" in every event, and the last one seen is the
 * one that counts; text after a FINISH would break the client's stream.
 *
 * Gemini sends nothing but data: lines: an event without one is text
 * that is not SSE, such as an error body written into the stream when it
 * broke off, so the stream fails rather than end as if whole.
 */

static int
llmgw_gemini_decode(llmgw_xstream_t *s, const char *event, size_t elen,
    const char *data, size_t dlen)
{
    int           rc;
    json_t       *ev;
    json_error_t  jerr;

    (void) event;
    (void) elen;

    if (data == NULL) {
        return -1;
    }

    ev = json_loadb(data, dlen, JSON_ALLOW_NUL, &jerr);

    if (ev == NULL) {
        return -1;
    }

    if (json_is_object(ev)) {
        rc = llmgw_gemini_decode_json(s, ev);

    } else if (llmgw_gemini_error_of(ev) != NULL) {
        rc = llmgw_gemini_decode_error(s, ev);

    } else {
        rc = -1;
    }

    json_decref(ev);

    return rc;
}


static int
llmgw_gemini_decode_json(llmgw_xstream_t *s, json_t *ev)
{
    size_t               k, idlen, nlen;
    json_t              *cands, *content;
    const char          *reason;
    llmgw_delta_t        d;
    llmgw_gemini_dec_t  *dec;

    dec = s->dec;

    if (llmgw_gemini_error_of(ev) != NULL) {
        return llmgw_gemini_decode_error(s, ev);
    }

    cands = json_object_get(ev, "candidates");
    reason = llmgw_gemini_blocked(ev);

    if (reason && json_array_size(cands) == 0) {
        char  msg[128];

        snprintf(msg, sizeof(msg), LLMGW_GEMINI_BLOCKED, reason);

        return llmgw_xstream_fail(s, "invalid_request_error", msg) ? -1 : 0;
    }

    if (!s->started) {
        memset(&d, 0, sizeof(llmgw_delta_t));
        d.type = LLMGW_DELTA_START;
        d.id = llmgw_json_str(ev, "responseId", &idlen);
        d.id_len = d.id ? idlen : 0;
        d.name = llmgw_json_str(ev, "modelVersion", &nlen);
        d.name_len = d.name ? nlen : 0;

        if (llmgw_xstream_delta(s, &d) != 0) {
            return -1;
        }
    }

    for (k = 0; k < json_array_size(cands); k++) {
        json_t  *cand, *index;

        cand = json_array_get(cands, k);
        index = json_object_get(cand, "index");

        if (index != NULL && !(json_is_integer(index)
                               && json_integer_value(index) == 0))
        {
            continue;
        }

        content = json_object_get(cand, "content");

        if (llmgw_gemini_decode_parts(s, json_object_get(content, "parts"))
            != 0)
        {
            return -1;
        }

        if (json_is_string(json_object_get(cand, "finishReason"))) {
            dec->finish = llmgw_gemini_finish(cand, dec->tools != 0);
        }

        break;
    }

    if (json_is_object(json_object_get(ev, "usageMetadata"))) {
        memset(&d, 0, sizeof(llmgw_delta_t));
        d.type = LLMGW_DELTA_USAGE;
        llmgw_gemini_usage(json_object_get(ev, "usageMetadata"), &d.usage,
                           -1);

        if (llmgw_xstream_delta(s, &d) != 0) {
            return -1;
        }
    }

    return 0;
}


static int
llmgw_gemini_decode_parts(llmgw_xstream_t *s, json_t *parts)
{
    size_t  k;

    for (k = 0; k < json_array_size(parts); k++) {
        json_t  *part, *fc;

        part = json_array_get(parts, k);
        fc = json_object_get(part, "functionCall");

        if (json_is_object(fc)) {
            if (llmgw_gemini_decode_call(s, fc) != 0) {
                return -1;
            }

            continue;
        }

        if (llmgw_xstream_text(s, json_is_true(json_object_get(part,
                                                               "thought"))
                                  ? LLMGW_DELTA_REASONING : LLMGW_DELTA_TEXT,
                               0, json_object_get(part, "text"))
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* Gemini sends a call whole: its start, then its arguments in one piece */

static int
llmgw_gemini_decode_call(llmgw_xstream_t *s, json_t *fc)
{
    int                  rc;
    char                 id[32], *args;
    size_t               len;
    json_t              *v;
    llmgw_delta_t        d;
    llmgw_gemini_dec_t  *dec;

    dec = s->dec;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_TOOL_START;
    d.tool = dec->tools++;

    v = json_object_get(fc, "id");

    if (json_is_string(v)) {
        d.id = json_string_value(v);
        d.id_len = json_string_length(v);

    } else {
        d.id = id;
        d.id_len = snprintf(id, sizeof(id), "call_%u", d.tool);
    }

    d.name = llmgw_json_str(fc, "name", &len);
    d.name_len = d.name ? len : 0;
    d.name = d.name ? d.name : "";

    if (llmgw_xstream_delta(s, &d) != 0) {
        return -1;
    }

    v = json_object_get(fc, "args");
    args = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;

    if (json_is_object(v) && args == NULL) {
        return -1;
    }

    d.type = LLMGW_DELTA_TOOL_ARGS;
    d.text = args ? args : "{}";
    d.text_len = strlen(d.text);
    d.id = NULL;
    d.id_len = 0;
    d.name = NULL;
    d.name_len = 0;

    rc = llmgw_xstream_delta(s, &d);
    free(args);

    return rc;
}


static int
llmgw_gemini_decode_error(llmgw_xstream_t *s, json_t *body)
{
    llmgw_xerr_t  err;

    if (llmgw_gemini_error_in(body, 502, &err) != 0) {
        return -1;
    }

    return llmgw_xstream_fail(s, err.type, err.message) ? -1 : 0;
}


static int
llmgw_gemini_decode_end(llmgw_xstream_t *s)
{
    llmgw_delta_t        d;
    llmgw_gemini_dec_t  *dec;

    dec = s->dec;

    if (s->ended) {
        return 0;
    }

    if (dec->finish == NULL) {
        return llmgw_xstream_fail(s, "api_error",
                                  "The provider's stream ended before it "
                                  "finished");
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_FINISH;
    d.finish = dec->finish;

    if (llmgw_xstream_delta(s, &d) != 0) {
        return -1;
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_END;

    return llmgw_xstream_delta(s, &d);
}


/* embeddings */

/*
 * A string is one EmbedContentRequest (:embedContent), an array of strings
 * one BatchEmbedContentsRequest (:batchEmbedContents), whose requests each
 * name the model.  The caller picks the URL by the same rule.
 */

static json_t *
llmgw_gemini_embed_out(json_t *canon, const llmgw_xreq_t *opt,
    llmgw_xerr_t *err)
{
    int          mlen;
    size_t       k;
    json_t      *input, *dims, *req, *reqs;
    const char  *model;

    model = (opt && opt->model) ? opt->model : "";
    mlen = (opt && opt->model) ? (int) opt->model_len : 0;
    input = json_object_get(canon, "input");
    dims = json_object_get(canon, "dimensions");

    if (dims != NULL && !json_is_null(dims)
        && !(json_is_integer(dims) && json_integer_value(dims) > 0))
    {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "'dimensions' must be a positive integer");
        return NULL;
    }

    if (json_is_string(input)) {
        req = llmgw_gemini_embed_content(input, dims);

        if (req == NULL) {
            llmgw_gemini_nomem(err);
        }

        return req;
    }

    if (!json_is_array(input) || json_array_size(input) == 0) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "'input' must be a string or a non-empty array of "
                   "strings");
        return NULL;
    }

    reqs = json_array();
    req = json_pack("{s:o}", "requests", reqs);

    for (k = 0; req && k < json_array_size(input); k++) {
        json_t  *one;

        if (!json_is_string(json_array_get(input, k))) {
            json_decref(req);
            llmgw_xerr(err, 400, "invalid_request_error",
                       "input[%zu]: Gemini embeds text only, not token "
                       "arrays", k);
            return NULL;
        }

        one = llmgw_gemini_embed_content(json_array_get(input, k), dims);

        if (one == NULL
            || llmgw_json_set(one, "model",
                              json_sprintf("models/%.*s", mlen, model))
            || llmgw_json_push(reqs, one) != 0)
        {
            json_decref(one);
            json_decref(req);
            req = NULL;
        }
    }

    if (req == NULL) {
        llmgw_gemini_nomem(err);
    }

    return req;
}


static json_t *
llmgw_gemini_embed_content(json_t *text, json_t *dims)
{
    json_t  *req;

    req = json_pack("{s:{s:[{s:O}]}}", "content", "parts", "text", text);

    if (req && json_is_integer(dims)
        && json_object_set(req, "outputDimensionality", dims) != 0)
    {
        json_decref(req);
        return NULL;
    }

    return req;
}


/* Gemini's embedding responses carry no token counts: the usage is 0
 * (Vertex AI's :predict has statistics.token_count, another shape) */

static json_t *
llmgw_gemini_embed_in(json_t *resp, const char *model, llmgw_xerr_t *err)
{
    size_t   k, n;
    json_t  *list, *data, *embs, *one;

    embs = json_object_get(resp, "embeddings");
    one = json_object_get(resp, "embedding");
    n = json_is_array(embs) ? json_array_size(embs) : 1;

    if (!json_is_array(embs) && !json_is_object(one)) {
        llmgw_xerr(err, 502, "api_error",
                   "The provider's embedding response has no embeddings");
        return NULL;
    }

    data = json_array();
    list = json_pack("{s:s,s:o,s:s,s:{s:i,s:i}}",
                     "object", "list",
                     "data", data,
                     "model", model ? model : "",
                     "usage", "prompt_tokens", 0, "total_tokens", 0);

    for (k = 0; list && k < n; k++) {
        one = llmgw_embedding(json_object_get(json_is_array(embs)
                                              ? json_array_get(embs, k) : one,
                                              "values"),
                              k);

        if (one == NULL) {
            json_decref(list);
            llmgw_xerr(err, 502, "api_error",
                       "The provider's embedding %zu has no values", k);
            return NULL;
        }

        if (llmgw_json_push(data, one) != 0) {
            json_decref(list);
            list = NULL;
        }
    }

    if (list == NULL) {
        llmgw_gemini_nomem(err);
    }

    return list;
}


/* helpers */

static int
llmgw_gemini_nomem(llmgw_xerr_t *err)
{
    llmgw_xerr(err, 500, "api_error", "Out of memory");

    return -1;
}
