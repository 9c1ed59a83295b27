/*
 * llmgw: what every translator shares: output buffers, the stream of
 * deltas between a provider's decoder and a client's encoder, usage; and
 * what several of them read or write alike: tool calls, data URLs, stop
 * sequences, thinking budgets, alternating turns, errors.
 */


#include "llmgw_xlate.h"
#include "llmgw_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void llmgw_usage_merge(llmgw_usage_t *u, const llmgw_usage_t *d);


const llmgw_effort_t  llmgw_effort_anthropic = { 0, 1024, 4096, 16384 };
const llmgw_effort_t  llmgw_effort_google = { 1024, 1024, 8192, 24576 };


const llmgw_format_t *
llmgw_format(llmgw_format_e f)
{
    switch (f) {
    case LLMGW_FORMAT_ANTHROPIC:
        return &llmgw_format_anthropic;
    case LLMGW_FORMAT_GEMINI:
        return &llmgw_format_gemini;
    case LLMGW_FORMAT_RESPONSES:
        return &llmgw_format_responses;
    default:
        return &llmgw_format_openai;
    }
}


void
llmgw_xerr(llmgw_xerr_t *err, int status, const char *type,
    const char *fmt, ...)
{
    va_list  args;

    err->status = status;
    err->type = type;

    va_start(args, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, args);
    va_end(args);
}


/* output buffers */

static int
llmgw_out_reserve(llmgw_out_t *o, size_t len)
{
    size_t          size;
    unsigned char  *p;

    if (o->failed) {
        return -1;
    }

    if (o->size - o->len >= len) {
        return 0;
    }

    size = o->size ? o->size : 256;

    while (size - o->len < len) {
        if (size > ((size_t) -1) / 2) {
            o->failed = 1;
            return -1;
        }

        size *= 2;
    }

    p = realloc(o->data, size);
    if (p == NULL) {
        o->failed = 1;
        return -1;
    }

    o->data = p;
    o->size = size;

    return 0;
}


void
llmgw_out_raw(llmgw_out_t *o, const void *p, size_t len)
{
    if (len == 0 || llmgw_out_reserve(o, len) != 0) {
        return;
    }

    memcpy(o->data + o->len, p, len);
    o->len += len;
}


void
llmgw_out_cstr(llmgw_out_t *o, const char *s)
{
    llmgw_out_raw(o, s, strlen(s));
}


void
llmgw_out_jstr(llmgw_out_t *o, const char *p, size_t len)
{
    size_t  n;

    n = llmgw_json_escape_len((const unsigned char *) p, len);

    if (llmgw_out_reserve(o, n + 2) != 0) {
        return;
    }

    o->data[o->len++] = '"';
    llmgw_json_escape(o->data + o->len, (const unsigned char *) p, len);
    o->len += n;
    o->data[o->len++] = '"';
}


void
llmgw_out_int(llmgw_out_t *o, int64_t n)
{
    char  buf[24];
    int   len;

    len = snprintf(buf, sizeof(buf), "%lld", (long long) n);
    llmgw_out_raw(o, buf, len);
}


static int
llmgw_out_dump_cb(const char *buffer, size_t size, void *data)
{
    llmgw_out_t  *o = data;

    llmgw_out_raw(o, buffer, size);

    return o->failed ? -1 : 0;
}


/* reals with 15 significant digits: what a decimal number read from text
 * survives as a double, so a provider's 0.1 stays 0.1 */

void
llmgw_out_json(llmgw_out_t *o, json_t *v)
{
    if (json_dump_callback(v, llmgw_out_dump_cb, o,
                           JSON_COMPACT | JSON_ENCODE_ANY
                           | JSON_REAL_PRECISION(15)) != 0)
    {
        o->failed = 1;
    }
}


void
llmgw_out_free(llmgw_out_t *o)
{
    free(o->data);
    o->data = NULL;
    o->len = 0;
    o->size = 0;
}


int
llmgw_out_join(llmgw_out_t *o, json_t *text, const char *sep)
{
    if (!json_is_string(text)) {
        return -1;
    }

    if (json_string_length(text) == 0) {
        return 0;
    }

    if (sep && o->len) {
        llmgw_out_cstr(o, sep);
    }

    llmgw_out_raw(o, json_string_value(text), json_string_length(text));

    return 0;
}


json_t *
llmgw_out_string(llmgw_out_t *o)
{
    json_t  *v;

    v = o->failed ? NULL
                  : json_stringn_nocheck(o->len ? (const char *) o->data : "",
                                         o->len);

    llmgw_out_free(o);
    o->failed = 0;

    return v;
}


/* streams */

int
llmgw_xstream_init(llmgw_xstream_t *s, const llmgw_format_t *provider,
    const llmgw_format_t *client, const char *model, size_t model_len,
    int64_t created)
{
    memset(s, 0, sizeof(llmgw_xstream_t));

    s->provider = provider;
    s->client = client;
    s->created = created;

    if (model_len >= sizeof(s->model)) {
        model_len = sizeof(s->model) - 1;
    }

    memcpy(s->model, model, model_len);

    if (provider->dec_size) {
        s->dec = calloc(1, provider->dec_size);
        if (s->dec == NULL) {
            return -1;
        }
    }

    if (client->enc_size) {
        s->enc = calloc(1, client->enc_size);
        if (s->enc == NULL) {
            free(s->dec);
            s->dec = NULL;
            return -1;
        }
    }

    return 0;
}


void
llmgw_xstream_free(llmgw_xstream_t *s)
{
    if (s->client && s->client->enc_free && s->enc) {
        s->client->enc_free(s);
    }

    free(s->dec);
    free(s->enc);
    s->dec = NULL;
    s->enc = NULL;
    llmgw_out_free(&s->out);
}


int
llmgw_xstream_event(llmgw_xstream_t *s, const char *event, size_t elen,
    const char *data, size_t dlen)
{
    if (s->ended) {
        return s->failed ? -1 : 0;
    }

    if (s->provider->decode(s, event, elen, data, dlen) != 0) {
        if (!s->ended) {
            llmgw_xstream_fail(s, "api_error",
                               "The provider's stream could not be read");
        }

        return -1;
    }

    return s->failed ? -1 : 0;
}


int
llmgw_xstream_end(llmgw_xstream_t *s)
{
    if (!s->ended && s->provider->decode_end) {
        s->provider->decode_end(s);
    }

    if (!s->ended) {
        llmgw_xstream_fail(s, "api_error",
                           "The provider's stream ended before it finished");
    }

    return s->failed ? -1 : 0;
}


int
llmgw_xstream_fail(llmgw_xstream_t *s, const char *type, const char *msg)
{
    llmgw_delta_t  d;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_ERROR;
    d.error_type = type;
    d.text = msg;
    d.text_len = strlen(msg);

    return llmgw_xstream_delta(s, &d);
}


int
llmgw_xstream_delta(llmgw_xstream_t *s, const llmgw_delta_t *d)
{
    llmgw_delta_t  start;

    if (s->ended) {
        return 0;
    }

    if (!s->started && d->type != LLMGW_DELTA_START
        && d->type != LLMGW_DELTA_ERROR)
    {
        memset(&start, 0, sizeof(llmgw_delta_t));
        start.type = LLMGW_DELTA_START;

        if (llmgw_xstream_delta(s, &start) != 0) {
            return -1;
        }
    }

    switch (d->type) {

    case LLMGW_DELTA_START:
        if (s->started) {
            return 0;
        }

        s->started = 1;

        if (d->id_len && d->id_len < sizeof(s->id)) {
            memcpy(s->id, d->id, d->id_len);
            s->id[d->id_len] = '\0';
        }

        break;

    case LLMGW_DELTA_TEXT:
    case LLMGW_DELTA_REASONING:
    case LLMGW_DELTA_TOOL_ARGS:
        s->text_bytes += d->text_len;
        break;

    case LLMGW_DELTA_USAGE:
        llmgw_usage_merge(&s->usage, &d->usage);
        break;

    case LLMGW_DELTA_FINISH:
        s->finished = 1;
        break;

    case LLMGW_DELTA_ERROR:
        s->failed = 1;
        s->ended = 1;
        break;

    case LLMGW_DELTA_END:
        s->ended = 1;
        break;

    default:
        break;
    }

    return s->client->encode(s, d);
}


int
llmgw_xstream_text(llmgw_xstream_t *s, llmgw_delta_type_e type,
    unsigned tool, json_t *text)
{
    llmgw_delta_t  d;

    if (!json_is_string(text) || json_string_length(text) == 0) {
        return 0;
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = type;
    d.tool = tool;
    d.text = json_string_value(text);
    d.text_len = json_string_length(text);

    return llmgw_xstream_delta(s, &d);
}


int
llmgw_xstream_tool(llmgw_xstream_t *s, unsigned tool, json_t *id,
    json_t *name)
{
    llmgw_delta_t  d;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_TOOL_START;
    d.tool = tool;
    d.id = json_is_string(id) ? json_string_value(id) : "";
    d.id_len = json_is_string(id) ? json_string_length(id) : 0;
    d.name = json_is_string(name) ? json_string_value(name) : "";
    d.name_len = json_is_string(name) ? json_string_length(name) : 0;

    return llmgw_xstream_delta(s, &d);
}


int
llmgw_blocks_start(llmgw_xstream_t *s, llmgw_blocks_t *b, json_t *index,
    json_t *id, json_t *name, unsigned skip)
{
    json_int_t  n;

    if (!json_is_integer(index) || json_integer_value(index) < 0) {
        return -1;
    }

    n = json_integer_value(index);

    if (n >= LLMGW_BLOCKS) {
        llmgw_xstream_fail(s, "api_error", "The provider's answer has more "
                           "content blocks than the gateway can translate");
        return -1;
    }

    if (b->tool[n]) {
        return 1;
    }

    if (skip) {
        b->tool[n] = LLMGW_BLOCK_SKIP;
        return 1;
    }

    b->tool[n] = (uint16_t) ++b->tools;

    return llmgw_xstream_tool(s, b->tools - 1, id, name) != 0 ? -1 : 0;
}


unsigned
llmgw_blocks_get(const llmgw_blocks_t *b, json_t *index)
{
    json_int_t  n;

    n = json_is_integer(index) ? json_integer_value(index) : -1;

    return (n >= 0 && n < LLMGW_BLOCKS) ? b->tool[n] : 0;
}


static void
llmgw_usage_merge(llmgw_usage_t *u, const llmgw_usage_t *d)
{
    if (d->prompt >= 0) {
        u->prompt = d->prompt;
    }

    if (d->completion >= 0) {
        u->completion = d->completion;
    }

    if (d->cached >= 0) {
        u->cached = d->cached;
    }

    if (d->cache_write >= 0) {
        u->cache_write = d->cache_write;
    }

    if (d->total >= 0) {
        u->total = d->total;
    }

    if (u->total < u->prompt + u->completion) {
        u->total = u->prompt + u->completion;
    }

    u->seen = 1;
}


/* usage */

void
llmgw_usage_from_json(json_t *usage, llmgw_usage_t *u)
{
    int64_t  n;
    json_t  *details;

    if (!json_is_object(usage)) {
        return;
    }

    u->prompt = llmgw_json_count(usage, "prompt_tokens");
    u->completion = llmgw_json_count(usage, "completion_tokens");
    u->total = llmgw_json_count(usage, "total_tokens");
    u->cached = 0;
    u->cache_write = 0;

    details = json_object_get(usage, "prompt_tokens_details");

    if (json_is_object(details)) {
        u->cached = llmgw_json_count(details, "cached_tokens");
        u->cache_write = llmgw_json_count(details, "cache_write_tokens");
    }

    n = u->prompt + u->completion;

    if (u->total < n) {
        u->total = n;
    }

    u->seen = 1;
}


void
llmgw_usage_uncached(json_t *usage, llmgw_usage_t *u, const char *input,
    const char *output, const char *read, const char *write)
{
    u->cached = llmgw_json_count(usage, read);
    u->cache_write = llmgw_json_count(usage, write);
    u->prompt = llmgw_json_count(usage, input) + u->cached + u->cache_write;
    u->completion = llmgw_json_count(usage, output);
    u->total = u->prompt + u->completion;
    u->seen = 1;
}


json_t *
llmgw_usage_to_json(const llmgw_usage_t *u)
{
    json_t  *usage;

    usage = json_pack("{s:I,s:I,s:I}",
                      "prompt_tokens", (json_int_t) u->prompt,
                      "completion_tokens", (json_int_t) u->completion,
                      "total_tokens",
                      (json_int_t) (u->total > u->prompt + u->completion
                                    ? u->total : u->prompt + u->completion));
    if (usage == NULL) {
        return NULL;
    }

    if (u->cached || u->cache_write) {
        json_t  *details;

        details = json_pack("{s:I,s:I}",
                            "cached_tokens", (json_int_t) u->cached,
                            "cache_write_tokens",
                            (json_int_t) u->cache_write);

        if (details == NULL
            || json_object_set_new(usage, "prompt_tokens_details", details)
               != 0)
        {
            json_decref(usage);
            return NULL;
        }
    }

    return usage;
}


/* helpers */

const char *
llmgw_status_error_type(int status)
{
    switch (status) {
    case 400:
    case 413:
    case 422:
        return "invalid_request_error";
    case 401:
        return "authentication_error";
    case 402:
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 429:
        return "rate_limit_error";
    case 503:
    case 529:
        return "overloaded_error";
    default:
        return "api_error";
    }
}


const char *
llmgw_json_str(json_t *obj, const char *key, size_t *len)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (!json_is_string(v)) {
        return NULL;
    }

    if (len) {
        *len = json_string_length(v);
    }

    return json_string_value(v);
}


int64_t
llmgw_json_count(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        return json_integer_value(v);
    }

    return 0;
}


int
llmgw_json_set(json_t *obj, const char *key, json_t *v)
{
    if (v == NULL || obj == NULL) {
        json_decref(v);
        return -1;
    }

    return json_object_set_new(obj, key, v);
}


int
llmgw_json_push(json_t *arr, json_t *v)
{
    if (v == NULL) {
        return -1;
    }

    return json_array_append_new(arr, v);
}


int
llmgw_json_append(json_t *arr, json_t *v, llmgw_xerr_t *err)
{
    if (llmgw_json_push(arr, v) != 0) {
        return llmgw_xerr_nomem(err);
    }

    return 0;
}


int
llmgw_str_is(const char *p, size_t len, const char *lit)
{
    return p != NULL && strlen(lit) == len && memcmp(p, lit, len) == 0;
}


int
llmgw_model_path_safe(const char *p, size_t len)
{
    size_t  i;

    if (len == 0 || (len == 1 && p[0] == '.')
        || (len == 2 && p[0] == '.' && p[1] == '.'))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        char  c;

        c = p[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
              || c == '@'))
        {
            return 0;
        }
    }

    return 1;
}


/* errors */

int
llmgw_xerr_nomem(llmgw_xerr_t *err)
{
    if (err) {
        llmgw_xerr(err, 500, "api_error", "out of memory");
    }

    return -1;
}


void
llmgw_xerr_text(llmgw_xerr_t *err, int status, const char *type,
    const char *msg, size_t len)
{
    err->status = status;
    err->type = type;

    if (msg == NULL || len == 0) {
        msg = "The provider returned an error";
        len = strlen(msg);
    }

    llmgw_text_copy(err->message, sizeof(err->message), msg, len);
}


void
llmgw_text_copy(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size) {
        len = size - 1;

        while (len > 0 && ((unsigned char) src[len] & 0xc0) == 0x80) {
            len--;
        }
    }

    memcpy(dst, src, len);
    dst[len] = '\0';
}


/* requests */

int
llmgw_data_url(const char *url, size_t len, llmgw_data_url_t *du)
{
    const char  *mt, *comma, *semi;

    if (len < 5 || memcmp(url, "data:", 5) != 0) {
        return -1;
    }

    mt = url + 5;
    comma = memchr(mt, ',', len - 5);

    if (comma == NULL || comma - mt < 7
        || memcmp(comma - 7, ";base64", 7) != 0)
    {
        return -1;
    }

    /* found: the one of ";base64" at the latest */
    semi = memchr(mt, ';', comma - mt);

    if (semi == mt) {
        return -1;
    }

    du->type = mt;
    du->type_len = semi - mt;
    du->data = comma + 1;
    du->data_len = len - (size_t) (comma + 1 - url);

    return 0;
}


int64_t
llmgw_effort_budget(const llmgw_effort_t *e, const char *effort, size_t len)
{
    if (llmgw_str_is(effort, len, "none")) {
        return 0;
    }

    if (llmgw_str_is(effort, len, "minimal")) {
        return e->minimal;
    }

    if (llmgw_str_is(effort, len, "low")) {
        return e->low;
    }

    if (llmgw_str_is(effort, len, "medium")) {
        return e->medium;
    }

    if (llmgw_str_is(effort, len, "high")) {
        return e->high;
    }

    return -1;
}


int64_t
llmgw_max_tokens(json_t *canon, int64_t dflt)
{
    json_t  *v;

    v = json_object_get(canon, "max_completion_tokens");

    if (!json_is_integer(v)) {
        v = json_object_get(canon, "max_tokens");
    }

    return json_is_integer(v) && json_integer_value(v) > 0
           ? json_integer_value(v) : dflt;
}


int
llmgw_stop_list(json_t *stop, unsigned nonempty, json_t **list)
{
    size_t   i;
    json_t  *s;

    *list = NULL;

    if (json_is_string(stop)) {
        *list = (nonempty && json_string_length(stop) == 0)
                ? json_array() : json_pack("[O]", stop);
        return 0;
    }

    if (!json_is_array(stop)) {
        return -1;
    }

    json_array_foreach(stop, i, s) {
        if (!json_is_string(s)) {
            return -1;
        }
    }

    if (!nonempty) {
        *list = json_incref(stop);
        return 0;
    }

    *list = json_array();

    json_array_foreach(stop, i, s) {
        if (json_string_length(s)
            && llmgw_json_push(*list, json_incref(s)) != 0)
        {
            json_decref(*list);
            *list = NULL;
            break;
        }
    }

    return 0;
}


int
llmgw_json_prompt(llmgw_out_t *o, json_t *canon, const char *sep)
{
    json_t      *rf, *schema;
    const char  *type;

    rf = json_object_get(canon, "response_format");
    type = llmgw_json_str(rf, "type", NULL);

    if (type == NULL || strcmp(type, "text") == 0) {
        return 0;
    }

    if (sep && o->len) {
        llmgw_out_cstr(o, sep);
    }

    llmgw_out_cstr(o, "Answer with a single JSON object and no other text.");

    schema = json_object_get(json_object_get(rf, "json_schema"), "schema");

    if (strcmp(type, "json_schema") == 0 && json_is_object(schema)) {
        llmgw_out_cstr(o, " The object must conform to this JSON schema: ");
        llmgw_out_json(o, schema);
    }

    return 1;
}


/* tools */

json_t *
llmgw_tool_function(json_t *tool, size_t i, llmgw_xerr_t *err)
{
    json_t      *fn;
    const char  *type;

    type = llmgw_json_str(tool, "type", NULL);
    fn = json_object_get(tool, "function");

    if (type == NULL || strcmp(type, "function") != 0
        || !json_is_string(json_object_get(fn, "name")))
    {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "tools[%zu] must be {\"type\":\"function\","
                   "\"function\":{\"name\"}}", i);
        return NULL;
    }

    return fn;
}


json_t *
llmgw_tool_params(json_t *fn)
{
    json_t  *params;

    params = json_object_get(fn, "parameters");

    if (json_is_object(params)) {
        return json_incref(params);
    }

    return json_pack("{s:s,s:{}}", "type", "object", "properties");
}


int
llmgw_tool_choice(json_t *tc, const char **choice, const char **name,
    llmgw_xerr_t *err)
{
    const char  *s;

    s = json_string_value(tc);
    *choice = NULL;
    *name = NULL;

    if (tc == NULL || json_is_null(tc)) {
        return 0;
    }

    if (s && (strcmp(s, "auto") == 0 || strcmp(s, "required") == 0
              || strcmp(s, "none") == 0))
    {
        *choice = s;
        return 0;
    }

    if (!json_is_object(tc)) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "tool_choice must be \"auto\", \"required\", \"none\" "
                   "or an object");
        return -1;
    }

    *name = llmgw_json_str(json_object_get(tc, "function"), "name", NULL);

    if (*name == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "tool_choice must be \"auto\", \"required\", \"none\" "
                   "or {\"type\":\"function\",\"function\":{\"name\"}}");
        return -1;
    }

    *choice = "function";

    return 0;
}


json_t *
llmgw_tool_args(const char *args, size_t len, size_t flags)
{
    json_t        *v;
    json_error_t   jerr;

    while (args && len && (args[len - 1] == ' ' || args[len - 1] == '\n'
                           || args[len - 1] == '\r' || args[len - 1] == '\t'))
    {
        len--;
    }

    if (args == NULL || len == 0) {
        return json_object();
    }

    v = json_loadb(args, len, flags, &jerr);

    if (!json_is_object(v)) {
        json_decref(v);
        return NULL;
    }

    return v;
}


json_t *
llmgw_tool_call_out(json_t *call, const char *where, size_t i, json_t **id,
    json_t **name, llmgw_xerr_t *err)
{
    size_t       len;
    json_t      *fn, *input;
    const char  *args;

    len = 0;
    fn = json_object_get(call, "function");
    *id = json_object_get(call, "id");
    *name = json_object_get(fn, "name");
    args = llmgw_json_str(fn, "arguments", &len);

    if (!json_is_string(*id) || !json_is_string(*name)) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "%s.tool_calls[%zu] needs a string id and function.name",
                   where, i);
        return NULL;
    }

    input = llmgw_tool_args(args, len, JSON_REJECT_DUPLICATES);

    if (input == NULL) {
        llmgw_xerr(err, 400, "invalid_request_error",
                   "%s.tool_calls[%zu].function.arguments is not a JSON "
                   "object", where, i);
    }

    return input;
}


json_t *
llmgw_tool_call(json_t *id, json_t *name, json_t *input)
{
    char    *args;
    json_t  *call;

    if (!json_is_string(id) || !json_is_string(name)) {
        return NULL;
    }

    args = input ? json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    if (input && args == NULL) {
        return NULL;
    }

    call = json_pack("{s:O,s:s,s:{s:O,s:s}}", "id", id, "type", "function",
                     "function", "name", name, "arguments",
                     args ? args : "{}");
    free(args);

    return call;
}


/* answers */

json_t *
llmgw_assistant(json_t *content, json_t *calls, llmgw_out_t *reasoning)
{
    json_t  *msg;

    msg = json_pack("{s:s,s:o}", "role", "assistant", "content", content);

    if (msg && json_array_size(calls)
        && json_object_set(msg, "tool_calls", calls) != 0)
    {
        json_decref(msg);
        msg = NULL;
    }

    if (msg && reasoning && reasoning->len
        && json_object_set_new(msg, "reasoning_content",
                               llmgw_out_string(reasoning)) != 0)
    {
        json_decref(msg);
        msg = NULL;
    }

    return msg;
}


json_t *
llmgw_embedding(json_t *values, size_t i)
{
    size_t  k;

    if (!json_is_array(values)) {
        return NULL;
    }

    for (k = 0; k < json_array_size(values); k++) {
        if (!json_is_number(json_array_get(values, k))) {
            return NULL;
        }
    }

    return json_pack("{s:s,s:I,s:O}", "object", "embedding",
                     "index", (json_int_t) i, "embedding", values);
}


/* turns */

int
llmgw_turn_add(llmgw_turns_t *t, unsigned user, json_t *block, unsigned kind,
    llmgw_xerr_t *err)
{
    if (block == NULL) {
        return llmgw_xerr_nomem(err);
    }

    if (t->content == NULL || t->user != user) {
        json_t  *turn;

        t->content = json_array();
        turn = json_pack("{s:s,s:o}", "role", user ? "user" : "assistant",
                         "content", t->content);

        if (json_array_append_new(t->messages, turn) != 0) {
            t->content = NULL;
            json_decref(block);
            return llmgw_xerr_nomem(err);
        }

        t->user = user;
        t->results = 0;

        if (!user) {
            t->calls = 0;
        }
    }

    if (json_array_insert_new(t->content,
                              kind == LLMGW_TURN_RESULT
                              ? t->results : json_array_size(t->content),
                              block)
        != 0)
    {
        return llmgw_xerr_nomem(err);
    }

    t->results += (kind == LLMGW_TURN_RESULT);
    t->calls += (kind == LLMGW_TURN_CALL);

    return 0;
}
