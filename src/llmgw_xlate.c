/*
 * llmgw: what every translator shares: output buffers, the stream of
 * deltas between a provider's decoder and a client's encoder, usage.
 */


#include "llmgw_xlate.h"
#include "llmgw_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void llmgw_usage_merge(llmgw_usage_t *u, const llmgw_usage_t *d);
static int64_t llmgw_json_count(json_t *obj, const char *key);


const llmgw_format_t *
llmgw_format(llmgw_format_e f)
{
    switch (f) {
    case LLMGW_FORMAT_ANTHROPIC:
        return &llmgw_format_anthropic;
    case LLMGW_FORMAT_GEMINI:
        return &llmgw_format_gemini;
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


static int64_t
llmgw_json_count(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        return json_integer_value(v);
    }

    return 0;
}


json_t *
llmgw_usage_to_json(const llmgw_usage_t *u)
{
    json_t  *usage, *details;

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


int
llmgw_model_path_safe(const char *p, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || (len == 1 && p[0] == '.')
        || (len == 2 && p[0] == '.' && p[1] == '.'))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
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
