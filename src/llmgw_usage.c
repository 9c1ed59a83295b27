/*
 * llmgw: token usage as the OpenAI-compatible providers report it, in a
 * whole response's "usage" member or in a stream's last chunk.
 */


#include "llmgw.h"


static void llmgw_usage_count(llmgw_json_span_t *v, int64_t *n);


void
llmgw_usage_parse(llmgw_usage_t *u, const u_char *p, size_t len)
{
    llmgw_json_scan_t   scan;
    llmgw_json_span_t   prompt, completion, total, details, cached;

    llmgw_json_field_t  fields[] = {
        { "prompt_tokens", 13, &prompt },
        { "completion_tokens", 17, &completion },
        { "total_tokens", 12, &total },
        { "prompt_tokens_details", 21, &details },
    };

    llmgw_json_field_t  detail_fields[] = {
        { "cached_tokens", 13, &cached },
    };

    if (llmgw_json_scan_object(p, len, 8, fields, 4, &scan) != LLMGW_JSON_OK)
    {
        return;
    }

    llmgw_usage_count(&prompt, &u->prompt);
    llmgw_usage_count(&completion, &u->completion);
    llmgw_usage_count(&total, &u->total);

    if (details.type == LLMGW_JSON_OBJECT
        && llmgw_json_scan_members(&details, detail_fields, 1, &scan)
           == LLMGW_JSON_OK)
    {
        llmgw_usage_count(&cached, &u->cached);
    }

    if (u->total == 0) {
        u->total = u->prompt + u->completion;
    }

    u->seen = 1;
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
    llmgw_json_span_t   usage, choices, groq, *u;

    llmgw_json_field_t  fields[] = {
        { "usage", 5, &usage },
        { "choices", 7, &choices },
        { "x_groq", 6, &groq },
    };

    llmgw_json_field_t  groq_fields[] = {
        { "usage", 5, &usage },
    };

    if (llmgw_json_scan_object(data, len, LLMGW_MAX_DEPTH, fields, 3, &scan)
        != LLMGW_JSON_OK)
    {
        return;
    }

    u = &usage;

    if (usage.type != LLMGW_JSON_OBJECT && groq.type == LLMGW_JSON_OBJECT
        && llmgw_json_scan_members(&groq, groq_fields, 1, &scan)
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
 * colons, checking the member name before each.
 */

void
llmgw_usage_count_text(llmgw_ctx_t *ctx, const u_char *p, size_t len)
{
    size_t         n;
    ngx_uint_t     i;
    const u_char  *start, *last, *q, *name;

    static ngx_str_t  fields[] = {
        ngx_string("\"content\""),
        ngx_string("\"arguments\""),
        ngx_string("\"refusal\""),
        ngx_string("\"reasoning_content\""),
        ngx_null_string
    };

    start = p;
    last = p + len;

    for (q = p; q < last; q++) {
        q = memchr(q, ':', last - q);

        if (q == NULL || q + 1 == last) {
            return;
        }

        /* "content":", "arguments":", "refusal":", "reasoning_content":" */
        if (q - start < 3 || q[1] != '"' || q[-1] != '"'
            || (q[-2] != 't' && q[-2] != 's' && q[-2] != 'l'))
        {
            continue;
        }

        for (i = 0; fields[i].len; i++) {
            name = q - fields[i].len;

            if (name >= start
                && ngx_memcmp(name, fields[i].data, fields[i].len) == 0)
            {
                break;
            }
        }

        if (fields[i].len == 0) {
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
