/*
 * llmgw: token usage as the providers report it in what passes through: a
 * whole response's "usage" member (Gemini's "usageMetadata") or a stream's
 * events.
 */


#include "llmgw.h"


typedef struct llmgw_usage_fields_s  llmgw_usage_fields_t;

static void llmgw_usage_fields(llmgw_usage_fields_t *f, ngx_uint_t gemini);
static void llmgw_usage_read(llmgw_usage_t *u, llmgw_usage_fields_t *f);
static void llmgw_usage_read_gemini(llmgw_usage_t *u, llmgw_json_span_t *s);
static void llmgw_usage_object(llmgw_usage_t *u, const u_char *p, size_t len,
    ngx_uint_t gemini);
static llmgw_json_rc_e llmgw_usage_members(const u_char *p, size_t len,
    llmgw_json_field_t *fields, size_t nfields);
static void llmgw_usage_count(llmgw_json_span_t *v, int64_t *n);
static const char *llmgw_usage_member(llmgw_ctx_t *ctx, size_t *n);
static ngx_int_t llmgw_usage_text_name(const u_char *start, const u_char *q);
static ngx_inline ngx_int_t llmgw_usage_name_is(const u_char *start,
    const u_char *q, const char *name, size_t n);


/*
 * The members of a usage object that count: OpenAI's (Chat Completions),
 * Anthropic's and the Responses API's in one set, Gemini's in another.
 */

enum {
    LLMGW_USAGE_PROMPT = 0,
    LLMGW_USAGE_COMPLETION,
    LLMGW_USAGE_TOTAL,
    LLMGW_USAGE_DETAILS,
    LLMGW_USAGE_INPUT,
    LLMGW_USAGE_OUTPUT,
    LLMGW_USAGE_CACHE_READ,
    LLMGW_USAGE_CACHE_WRITE,
    LLMGW_USAGE_INPUT_DETAILS,
    LLMGW_USAGE_FIELDS
};

enum {
    LLMGW_USAGE_GEMINI_PROMPT = 0,
    LLMGW_USAGE_GEMINI_CANDIDATES,
    LLMGW_USAGE_GEMINI_TOTAL,
    LLMGW_USAGE_GEMINI_CACHED,
    LLMGW_USAGE_GEMINI_THOUGHTS,
    LLMGW_USAGE_GEMINI_FIELDS
};

static ngx_str_t  llmgw_usage_names[] = {
    ngx_string("prompt_tokens"),
    ngx_string("completion_tokens"),
    ngx_string("total_tokens"),
    ngx_string("prompt_tokens_details"),
    ngx_string("input_tokens"),
    ngx_string("output_tokens"),
    ngx_string("cache_read_input_tokens"),
    ngx_string("cache_creation_input_tokens"),
    ngx_string("input_tokens_details")
};

static ngx_str_t  llmgw_usage_gemini_names[] = {
    ngx_string("promptTokenCount"),
    ngx_string("candidatesTokenCount"),
    ngx_string("totalTokenCount"),
    ngx_string("cachedContentTokenCount"),
    ngx_string("thoughtsTokenCount")
};


struct llmgw_usage_fields_s {
    llmgw_json_span_t   span[LLMGW_USAGE_FIELDS];
    llmgw_json_field_t  field[LLMGW_USAGE_FIELDS];
    size_t              n;
    ngx_uint_t          gemini;
};


static void
llmgw_usage_fields(llmgw_usage_fields_t *f, ngx_uint_t gemini)
{
    size_t      i;
    ngx_str_t  *names;

    names = gemini ? llmgw_usage_gemini_names : llmgw_usage_names;

    f->n = gemini ? LLMGW_USAGE_GEMINI_FIELDS : LLMGW_USAGE_FIELDS;
    f->gemini = gemini;

    for (i = 0; i < f->n; i++) {
        f->field[i].name = (const char *) names[i].data;
        f->field[i].name_len = names[i].len;
        f->field[i].value = &f->span[i];
    }
}


/* what the members found say, in the provider's terms */

static void
llmgw_usage_read(llmgw_usage_t *u, llmgw_usage_fields_t *f)
{
    int64_t             input, cache_read, cache_write;
    llmgw_json_scan_t   scan;
    llmgw_json_span_t  *s, cached;

    llmgw_json_field_t  detail_fields[] = {
        { "cached_tokens", 13, &cached },
    };

    s = f->span;

    if (f->gemini) {
        llmgw_usage_read_gemini(u, s);
        return;
    }

    llmgw_usage_count(&s[LLMGW_USAGE_PROMPT], &u->prompt);
    llmgw_usage_count(&s[LLMGW_USAGE_COMPLETION], &u->completion);
    llmgw_usage_count(&s[LLMGW_USAGE_TOTAL], &u->total);

    if (s[LLMGW_USAGE_DETAILS].type == LLMGW_JSON_OBJECT
        && llmgw_json_scan_members(&s[LLMGW_USAGE_DETAILS], detail_fields, 1,
                                   &scan)
           == LLMGW_JSON_OK)
    {
        llmgw_usage_count(&cached, &u->cached);
    }

    /* Anthropic's: input_tokens leaves out what the cache read or wrote */

    llmgw_usage_count(&s[LLMGW_USAGE_OUTPUT], &u->completion);

    if (s[LLMGW_USAGE_INPUT].type == LLMGW_JSON_NUMBER) {
        input = 0;
        cache_read = 0;
        cache_write = 0;

        llmgw_usage_count(&s[LLMGW_USAGE_INPUT], &input);
        llmgw_usage_count(&s[LLMGW_USAGE_CACHE_READ], &cache_read);
        llmgw_usage_count(&s[LLMGW_USAGE_CACHE_WRITE], &cache_write);

        u->prompt = input + cache_read + cache_write;
        u->cached = cache_read;
        u->cache_write = cache_write;
        u->total = 0;
    }

    /* the Responses API's: input_tokens counts the cached ones */

    if (s[LLMGW_USAGE_INPUT_DETAILS].type == LLMGW_JSON_OBJECT
        && llmgw_json_scan_members(&s[LLMGW_USAGE_INPUT_DETAILS],
                                   detail_fields, 1, &scan)
           == LLMGW_JSON_OK)
    {
        llmgw_usage_count(&cached, &u->cached);
    }

    if (u->total < u->prompt + u->completion) {
        u->total = u->prompt + u->completion;
    }

    u->seen = 1;
}


/* Gemini's usageMetadata: the prompt counts the cached tokens; the
 * thoughts are output beside the candidates' */

static void
llmgw_usage_read_gemini(llmgw_usage_t *u, llmgw_json_span_t *s)
{
    int64_t  candidates, thoughts;

    candidates = 0;
    thoughts = 0;

    llmgw_usage_count(&s[LLMGW_USAGE_GEMINI_PROMPT], &u->prompt);
    llmgw_usage_count(&s[LLMGW_USAGE_GEMINI_CACHED], &u->cached);
    llmgw_usage_count(&s[LLMGW_USAGE_GEMINI_TOTAL], &u->total);
    llmgw_usage_count(&s[LLMGW_USAGE_GEMINI_CANDIDATES], &candidates);
    llmgw_usage_count(&s[LLMGW_USAGE_GEMINI_THOUGHTS], &thoughts);

    u->completion = candidates + thoughts;

    if (u->total < u->prompt + u->completion) {
        u->total = u->prompt + u->completion;
    }

    u->seen = 1;
}


/* a usage object in the provider's terms */

static void
llmgw_usage_object(llmgw_usage_t *u, const u_char *p, size_t len,
    ngx_uint_t gemini)
{
    llmgw_usage_fields_t  f;

    llmgw_usage_fields(&f, gemini);

    if (llmgw_usage_members(p, len, f.field, f.n) == LLMGW_JSON_OK) {
        llmgw_usage_read(u, &f);
    }
}


void
llmgw_usage_parse(llmgw_usage_t *u, const u_char *p, size_t len)
{
    llmgw_usage_object(u, p, len, 0);
}


void
llmgw_usage_parse_gemini(llmgw_usage_t *u, const u_char *p, size_t len)
{
    llmgw_usage_object(u, p, len, 1);
}


/*
 * A whole JSON response in one piece: its usage member found from the end
 * (the providers put it among the last), by its name (and read in the same
 * pass) or member by member, else by the span walker from the start.  One
 * none can read as an object goes through the capture, which takes what it
 * can.  A usage member that appears twice (never from a provider we know)
 * counts the last when found from the end, the first otherwise.
 */

#define LLMGW_USAGE_LAST_MEMBERS  8

ngx_int_t
llmgw_usage_whole(ngx_http_request_t *r, llmgw_ctx_t *ctx, const u_char *p,
    size_t len)
{
    size_t                 n;
    ngx_uint_t             gemini;
    const char            *name;
    llmgw_json_span_t      usage;
    llmgw_usage_fields_t   f;

    name = llmgw_usage_member(ctx, &n);
    gemini = ctx->pformat->format == LLMGW_FORMAT_GEMINI;

    llmgw_usage_fields(&f, gemini);

    if (llmgw_json_scan_member_last(p, len, name, n, f.field, f.n, &usage)
        == LLMGW_JSON_OK)
    {
        llmgw_usage_read(&ctx->usage, &f);
        return NGX_OK;
    }

    if (llmgw_json_find_member_back(p, len, name, n,
                                    LLMGW_USAGE_LAST_MEMBERS, &usage)
        != LLMGW_JSON_OK
        && llmgw_json_find_member(p, len, name, n, &usage) != LLMGW_JSON_OK)
    {
        if (llmgw_usage_piece(r, ctx, p, len) != NGX_OK) {
            return NGX_ERROR;
        }

        llmgw_usage_captured(ctx);

        return NGX_OK;
    }

    if (usage.type == LLMGW_JSON_OBJECT) {
        llmgw_usage_object(&ctx->usage, usage.start, usage.len, gemini);
    }

    return NGX_OK;
}


/* the member that holds a whole answer's usage in the provider's format */

static const char *
llmgw_usage_member(llmgw_ctx_t *ctx, size_t *n)
{
    if (ctx->pformat->format == LLMGW_FORMAT_GEMINI) {
        *n = sizeof("usageMetadata") - 1;
        return "usageMetadata";
    }

    *n = sizeof("usage") - 1;
    return "usage";
}


/* a piece of a JSON response arriving in several: the capture reads it */

ngx_int_t
llmgw_usage_piece(ngx_http_request_t *r, llmgw_ctx_t *ctx, const u_char *p,
    size_t len)
{
    size_t                 n;
    const char            *name;
    llmgw_json_capture_t  *cap;

    cap = ctx->capture;

    if (cap == NULL) {
        cap = ngx_palloc(r->pool, sizeof(llmgw_json_capture_t));
        if (cap == NULL) {
            return NGX_ERROR;
        }

        name = llmgw_usage_member(ctx, &n);
        llmgw_json_capture_init(cap, name, n);

        ctx->capture = cap;
    }

    llmgw_json_capture_feed(cap, p, len);

    return NGX_OK;
}


/* what the capture of a whole response found */

void
llmgw_usage_captured(llmgw_ctx_t *ctx)
{
    llmgw_json_capture_t  *cap = ctx->capture;

    if (cap == NULL || !cap->done || cap->overflow) {
        return;
    }

    llmgw_usage_object(&ctx->usage, cap->value, cap->value_len,
                       ctx->pformat->format == LLMGW_FORMAT_GEMINI);
}


/* Anthropic's stream: message_start's message has the input's usage,
 * message_delta the output's; only then is the usage known, and a stream
 * cut before is billed for its prompt and the text it delivered */

void
llmgw_usage_from_anthropic_event(llmgw_ctx_t *ctx, const u_char *data,
    size_t len)
{
    ngx_uint_t          seen;
    llmgw_json_scan_t   scan;
    llmgw_json_span_t   usage, message;

    llmgw_json_field_t  fields[] = {
        { "usage", 5, &usage },
        { "message", 7, &message },
    };

    llmgw_json_field_t  message_fields[] = {
        { "usage", 5, &usage },
    };

    if (llmgw_json_scan_object(data, len, LLMGW_MAX_DEPTH, fields, 2, &scan)
        != LLMGW_JSON_OK)
    {
        return;
    }

    if (usage.type != LLMGW_JSON_OBJECT && message.type == LLMGW_JSON_OBJECT
        && llmgw_json_scan_members(&message, message_fields, 1, &scan)
           != LLMGW_JSON_OK)
    {
        return;
    }

    if (usage.type != LLMGW_JSON_OBJECT) {
        return;
    }

    seen = ctx->usage.seen;

    llmgw_usage_parse(&ctx->usage, usage.start, usage.len);

    ctx->usage.seen = seen || message.type != LLMGW_JSON_OBJECT;
}


void
llmgw_usage_from_gemini_event(llmgw_ctx_t *ctx, const u_char *data,
    size_t len)
{
    llmgw_json_scan_t   scan;
    llmgw_json_span_t   usage;
    llmgw_json_field_t  fields[] = {
        { "usageMetadata", 13, &usage },
    };

    if (llmgw_json_scan_object(data, len, LLMGW_MAX_DEPTH, fields, 1, &scan)
        == LLMGW_JSON_OK
        && usage.type == LLMGW_JSON_OBJECT)
    {
        llmgw_usage_parse_gemini(&ctx->usage, usage.start, usage.len);
    }
}


/*
 * A usage object's members.  It is whole (the capture kept its brackets
 * balanced, or it is a span of a validated event) but not validated: the
 * walker checks the shape it reads and stays inside, and a count is only
 * taken from a plain number (llmgw_json_uint).
 */

static llmgw_json_rc_e
llmgw_usage_members(const u_char *p, size_t len, llmgw_json_field_t *fields,
    size_t nfields)
{
    llmgw_json_scan_t  scan;
    llmgw_json_span_t  object;

    object.start = p;
    object.len = len;
    object.type = LLMGW_JSON_OBJECT;
    object.name_off = 0;

    return llmgw_json_scan_members(&object, fields, nfields, &scan);
}


static void
llmgw_usage_count(llmgw_json_span_t *v, int64_t *n)
{
    int64_t  value;

    if (v->type == LLMGW_JSON_NUMBER && llmgw_json_uint(v, &value) == 0) {
        *n = value;
    }
}


/*
 * One stream event's data.  The usage chunk is {"choices":[],"usage":{..}};
 * Groq also puts it under "x_groq".  *drop is set for the usage chunk the
 * gateway asked for on the client's behalf.
 */

void
llmgw_usage_from_event(llmgw_ctx_t *ctx, const u_char *data, size_t len,
    ngx_uint_t *drop)
{
    llmgw_json_scan_t   scan;
    llmgw_json_span_t   usage, choices, groq, response, *u, *in;

    llmgw_json_field_t  fields[] = {
        { "usage", 5, &usage },
        { "choices", 7, &choices },
        { "x_groq", 6, &groq },
        { "response", 8, &response },
    };

    llmgw_json_field_t  inner_fields[] = {
        { "usage", 5, &usage },
    };

    if (llmgw_json_scan_object(data, len, LLMGW_MAX_DEPTH, fields, 4, &scan)
        != LLMGW_JSON_OK)
    {
        return;
    }

    u = &usage;

    /* Groq's x_groq.usage; the Responses API's response.usage, in
     * response.completed (and .incomplete, .failed) */
    in = (groq.type == LLMGW_JSON_OBJECT) ? &groq : &response;

    if (usage.type != LLMGW_JSON_OBJECT && in->type == LLMGW_JSON_OBJECT
        && llmgw_json_scan_members(in, inner_fields, 1, &scan)
           != LLMGW_JSON_OK)
    {
        return;
    }

    if (u->type != LLMGW_JSON_OBJECT) {
        return;
    }

    llmgw_usage_parse(&ctx->usage, u->start, u->len);

    if (ctx->drop_usage_chunk && choices.type == LLMGW_JSON_ARRAY
        && llmgw_json_array_count(&choices) == 0)
    {
        *drop = 1;
    }
}


/*
 * The text a stream has delivered (contents, tool-call arguments,
 * refusals, reasoning), counted until its usage arrives: a stream cut
 * before its usage chunk is billed for that.  One pass over the event's
 * colons before a string, checking the member name before each.
 */

void
llmgw_usage_count_text(llmgw_ctx_t *ctx, const u_char *p, size_t len)
{
    size_t         n;
    const u_char  *start, *last, *q;

    start = p;
    last = p + len;

    for (q = p; q < last; q++) {
        q = llmgw_json_find_pair(q, last, ':', '"');

        if (q == NULL) {
            return;
        }

        if (q - start < 3 || q[-1] != '"' || !llmgw_usage_text_name(start, q)) {
            continue;
        }

        /* the string's bytes, an escape counting as one */
        for (n = 0, q += 2; q < last && *q != '"'; q++, n++) {
            if (*q == '\\' && q + 1 < last) {
                q++;
            }
        }

        ctx->streamed_text += n;
    }
}


/*
 * The member name that ends just before the colon q is "content",
 * "arguments", "refusal", "reasoning_content", Anthropic's "text",
 * "partial_json" or "thinking", the Responses API's "delta": picked by its
 * last letter, then its length and bytes.
 */

static ngx_int_t
llmgw_usage_text_name(const u_char *start, const u_char *q)
{
    switch (q[-2]) {

    case 't':
        return llmgw_usage_name_is(start, q, "content", 7)
               || llmgw_usage_name_is(start, q, "text", 4)
               || llmgw_usage_name_is(start, q, "reasoning_content", 17);

    case 'l':
        return llmgw_usage_name_is(start, q, "refusal", 7);

    case 'a':
        return llmgw_usage_name_is(start, q, "delta", 5);

    case 'g':
        return llmgw_usage_name_is(start, q, "thinking", 8);

    case 's':
        return llmgw_usage_name_is(start, q, "arguments", 9);

    case 'n':
        return llmgw_usage_name_is(start, q, "partial_json", 12);
    }

    return 0;
}


/* "name": stands before the colon q, its opening quote at or after start */

static ngx_inline ngx_int_t
llmgw_usage_name_is(const u_char *start, const u_char *q, const char *name,
    size_t n)
{
    return (size_t) (q - start) >= n + 2 && *(q - (n + 2)) == '"'
           && ngx_memcmp(q - (n + 1), name, n) == 0;
}
