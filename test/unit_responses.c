/*
 * llmgw unit tests: src/providers/llmgw_responses_xlate.c, OpenAI's
 * Responses API as a client format: requests in, responses out, error
 * bodies, and streams: deltas written directly, and recorded Anthropic,
 * Gemini and OpenAI streams fed whole, cut in two anywhere and byte by
 * byte, their Responses events checked event by event and against what an
 * OpenAI client reads from the same stream.
 */

#include "xstream_feed.h"


#define RSP  (&llmgw_format_responses)
#define OAI  (&llmgw_format_openai)
#define ANT  (&llmgw_format_anthropic)
#define GEM  (&llmgw_format_gemini)

#define RSP_ITEMS  64


static const char  *fixtures = "fixtures";


/*
 * What a Responses client reads from the events.  seq names them (without
 * "response."), a run of one delta event once.  bad counts what breaks the
 * protocol: an event whose name is not its type, a sequence_number not the
 * next, a delta or a done event of an item not open or of another kind, a
 * done text that is not its deltas joined, an item done twice, anything
 * after the final event, a final output that is not the items done.
 */

typedef struct {
    char          seq[2048];
    char          why[512];     /* the first thing bad */
    unsigned      bad;
    unsigned      events;
    json_t       *added;        /* output_item.added items */
    json_t       *items;        /* output_item.done items */
    json_t       *response;     /* the final event's response */
    char          final[32];    /* its name */
    char          id[128];      /* the response's id */
    unsigned      open[RSP_ITEMS];
    unsigned      text_done[RSP_ITEMS];  /* its text's done events seen */
    llmgw_out_t   acc[RSP_ITEMS];        /* its deltas joined */
    llmgw_out_t   text;         /* every message's deltas */
    llmgw_out_t   reasoning;    /* every reasoning item's */
    json_t       *calls;        /* the function_call items done */
} rsp_t;


/* when set: the model every response object must name */
static const char  *rsp_want_model = "client-model";


static void
rsp_bad(rsp_t *r, const char *fmt, const char *arg)
{
    size_t  n;

    if (r->bad++ == 0) {
        n = (size_t) snprintf(r->why, sizeof(r->why), "event %u: ",
                              r->events);
        snprintf(r->why + n, sizeof(r->why) - n, fmt, arg);
    }
}


static void
rsp_seq(rsp_t *r, const char *name)
{
    size_t       n, k;
    const char  *last;

    if (strncmp(name, "response.", 9) == 0) {
        name += 9;
    }

    n = strlen(r->seq);

    for (last = r->seq + n; last > r->seq && last[-1] != ' '; last--) {
        /* void */
    }

    k = strlen(name);

    if (strstr(name, ".delta") && strlen(last) == k
        && memcmp(last, name, k) == 0)
    {
        return;
    }

    snprintf(r->seq + n, sizeof(r->seq) - n, "%s%s", n ? " " : "", name);
}


static const char *
rsp_str(json_t *obj, const char *key)
{
    const char  *s;

    s = llmgw_json_str(obj, key, NULL);

    return s ? s : "";
}


/* the open item an event refers to, of type; NULL (bad) when not so */

static json_t *
rsp_item(rsp_t *r, json_t *ev, const char *type, unsigned id)
{
    json_t      *item;
    json_int_t   k;

    k = json_integer_value(json_object_get(ev, "output_index"));
    item = json_array_get(r->added, (size_t) k);

    if (!json_is_integer(json_object_get(ev, "output_index")) || k < 0
        || k >= RSP_ITEMS || item == NULL || !r->open[k])
    {
        rsp_bad(r, "%s: no such open item", rsp_str(ev, "type"));
        return NULL;
    }

    if (strcmp(rsp_str(item, "type"), type) != 0) {
        rsp_bad(r, "%s: an item of another type", rsp_str(ev, "type"));
        return NULL;
    }

    if (id && strcmp(rsp_str(ev, "item_id"), rsp_str(item, "id")) != 0) {
        rsp_bad(r, "%s: item_id is not the item's id", rsp_str(ev, "type"));
        return NULL;
    }

    return item;
}


static void
rsp_text_is(rsp_t *r, json_int_t k, json_t *text, const char *what)
{
    if (!json_is_string(text)
        || json_string_length(text) != r->acc[k].len
        || (r->acc[k].len
            && memcmp(json_string_value(text), r->acc[k].data,
                      r->acc[k].len) != 0))
    {
        rsp_bad(r, "%s: not the deltas joined", what);
    }
}


static void
rsp_delta(rsp_t *r, json_t *ev, const char *type)
{
    size_t       n;
    json_int_t   k;
    const char  *delta;

    if (rsp_item(r, ev, type, 1) == NULL) {
        return;
    }

    k = json_integer_value(json_object_get(ev, "output_index"));
    delta = llmgw_json_str(ev, "delta", NULL);

    if (delta == NULL || r->text_done[k]) {
        rsp_bad(r, "%s: no delta, or after its done", rsp_str(ev, "type"));
        return;
    }

    n = json_string_length(json_object_get(ev, "delta"));
    llmgw_out_raw(&r->acc[k], delta, n);

    if (strcmp(type, "message") == 0) {
        llmgw_out_raw(&r->text, delta, n);

    } else if (strcmp(type, "reasoning") == 0) {
        llmgw_out_raw(&r->reasoning, delta, n);
    }
}


static void
rsp_added(rsp_t *r, json_t *ev)
{
    json_t      *item;
    json_int_t   k;
    const char  *type, *id, *prefix;

    item = json_object_get(ev, "item");
    k = json_integer_value(json_object_get(ev, "output_index"));
    type = rsp_str(item, "type");
    id = rsp_str(item, "id");

    if (k != (json_int_t) json_array_size(r->added) || k >= RSP_ITEMS) {
        rsp_bad(r, "output_item.added: output_index %s is not the next",
                "");
        return;
    }

    prefix = strcmp(type, "message") == 0 ? "msg_"
             : strcmp(type, "reasoning") == 0 ? "rs_"
             : strcmp(type, "function_call") == 0 ? "fc_" : NULL;

    if (prefix == NULL || strncmp(id, prefix, strlen(prefix)) != 0) {
        rsp_bad(r, "output_item.added: an item of type '%s'", type);
    }

    if (strcmp(type, "reasoning") != 0
        && strcmp(rsp_str(item, "status"), "in_progress") != 0)
    {
        rsp_bad(r, "output_item.added: status %s", rsp_str(item, "status"));
    }

    json_array_append(r->added, item);
    r->open[k] = 1;
}


/* the item done: as added, with the text of its deltas */

static void
rsp_item_done(rsp_t *r, json_t *ev)
{
    json_t      *item, *was, *text;
    json_int_t   k;
    const char  *type;

    item = json_object_get(ev, "item");
    type = rsp_str(item, "type");
    was = rsp_item(r, ev, type, 0);

    if (was == NULL) {
        return;
    }

    k = json_integer_value(json_object_get(ev, "output_index"));

    if (strcmp(rsp_str(item, "id"), rsp_str(was, "id")) != 0) {
        rsp_bad(r, "output_item.done: id %s is not the added one's",
                rsp_str(item, "id"));
    }

    if (strcmp(type, "message") == 0) {
        text = json_object_get(json_array_get(json_object_get(item,
                                              "content"), 0), "text");
        rsp_text_is(r, k, text, "output_item.done message");

        if (r->text_done[k] != 2) {
            rsp_bad(r, "output_item.done: the message's text not done%s",
                    "");
        }

    } else if (strcmp(type, "reasoning") == 0) {
        text = json_object_get(json_array_get(json_object_get(item,
                                              "summary"), 0), "text");
        rsp_text_is(r, k, text, "output_item.done reasoning");

        if (r->text_done[k] != 2) {
            rsp_bad(r, "output_item.done: the summary not done%s", "");
        }

    } else {
        rsp_text_is(r, k, json_object_get(item, "arguments"),
                    "output_item.done function_call");

        if (strcmp(rsp_str(item, "call_id"), rsp_str(was, "call_id")) != 0
            || strcmp(rsp_str(item, "name"), rsp_str(was, "name")) != 0)
        {
            rsp_bad(r, "output_item.done: call_id or name changed%s", "");
        }

        if (r->text_done[k] != 1) {
            rsp_bad(r, "output_item.done: the arguments not done%s", "");
        }

        json_array_append(r->calls, item);
    }

    if (strcmp(type, "reasoning") != 0
        && strcmp(rsp_str(item, "status"), "completed") != 0
        && strcmp(rsp_str(item, "status"), "incomplete") != 0)
    {
        rsp_bad(r, "output_item.done: status %s", rsp_str(item, "status"));
    }

    r->open[k] = 0;
    json_array_append(r->items, item);
}


/* a done event of an item's text: text (or part.text) its deltas joined */

static void
rsp_text_done(rsp_t *r, json_t *ev, const char *type, const char *member,
    unsigned step)
{
    json_t      *text;
    json_int_t   k;

    if (rsp_item(r, ev, type, 1) == NULL) {
        return;
    }

    k = json_integer_value(json_object_get(ev, "output_index"));
    text = json_object_get(ev, member);

    if (json_is_object(text)) {
        text = json_object_get(text, "text");
    }

    rsp_text_is(r, k, text, rsp_str(ev, "type"));

    if (r->text_done[k] + 1 != step) {
        rsp_bad(r, "%s: out of order", rsp_str(ev, "type"));
    }

    r->text_done[k] = step;
}


static void
rsp_object(rsp_t *r, json_t *ev, const char *name)
{
    size_t   k;
    json_t  *resp;

    resp = json_object_get(ev, "response");

    if (strcmp(rsp_str(resp, "object"), "response") != 0
        || strncmp(rsp_str(resp, "id"), "resp_", 5) != 0
        || !json_is_array(json_object_get(resp, "output")))
    {
        rsp_bad(r, "%s: not a response object", name);
        return;
    }

    if (r->id[0] == '\0') {
        snprintf(r->id, sizeof(r->id), "%s", rsp_str(resp, "id"));

    } else if (strcmp(r->id, rsp_str(resp, "id")) != 0) {
        rsp_bad(r, "%s: another response id", name);
    }

    if (rsp_want_model
        && strcmp(rsp_str(resp, "model"), rsp_want_model) != 0)
    {
        rsp_bad(r, "%s: another model", name);
    }

    if (strcmp(name, "response.created") == 0
        || strcmp(name, "response.in_progress") == 0)
    {
        if (strcmp(rsp_str(resp, "status"), "in_progress") != 0
            || json_array_size(json_object_get(resp, "output")) != 0)
        {
            rsp_bad(r, "%s: not in progress", name);
        }

        return;
    }

    snprintf(r->final, sizeof(r->final), "%s", name);
    r->response = json_incref(resp);

    if (!json_equal(json_object_get(resp, "output"), r->items)) {
        rsp_bad(r, "%s: output is not the items done", name);
    }

    if (strcmp(name, "response.completed") == 0) {
        for (k = 0; k < RSP_ITEMS; k++) {
            if (r->open[k]) {
                rsp_bad(r, "%s: an item still open", name);
            }
        }

        if (strcmp(rsp_str(resp, "status"), "completed") != 0
            && strcmp(rsp_str(resp, "status"), "incomplete") != 0)
        {
            rsp_bad(r, "response.completed: status %s",
                    rsp_str(resp, "status"));
        }

    } else if (strcmp(rsp_str(resp, "status"), "failed") != 0
               || !json_is_string(json_object_get(json_object_get(resp,
                                                  "error"), "message")))
    {
        rsp_bad(r, "response.failed: status %s, or no error.message",
                rsp_str(resp, "status"));
    }
}


static void
rsp_event(rsp_t *r, const char *name, json_t *ev)
{
    json_t  *seq;

    seq = json_object_get(ev, "sequence_number");

    if (strcmp(rsp_str(ev, "type"), name) != 0) {
        rsp_bad(r, "%s: the data's type is not the event's name", name);
    }

    if (!json_is_integer(seq) || json_integer_value(seq) != r->events) {
        rsp_bad(r, "%s: sequence_number is not the next", name);
    }

    if (r->final[0]) {
        rsp_bad(r, "%s: after the final event", name);
    }

    rsp_seq(r, name);

    if (strcmp(name, "response.output_item.added") == 0) {
        rsp_added(r, ev);

    } else if (strcmp(name, "response.output_item.done") == 0) {
        rsp_item_done(r, ev);

    } else if (strcmp(name, "response.content_part.added") == 0) {
        if (rsp_item(r, ev, "message", 1)
            && (json_integer_value(json_object_get(ev, "content_index"))
                != 0
                || strcmp(rsp_str(json_object_get(ev, "part"), "type"),
                          "output_text") != 0))
        {
            rsp_bad(r, "%s: not output_text part 0", name);
        }

    } else if (strcmp(name, "response.reasoning_summary_part.added") == 0) {
        rsp_item(r, ev, "reasoning", 1);

    } else if (strcmp(name, "response.output_text.delta") == 0) {
        rsp_delta(r, ev, "message");

    } else if (strcmp(name, "response.reasoning_summary_text.delta") == 0) {
        rsp_delta(r, ev, "reasoning");

    } else if (strcmp(name, "response.function_call_arguments.delta") == 0)
    {
        rsp_delta(r, ev, "function_call");

    } else if (strcmp(name, "response.output_text.done") == 0) {
        rsp_text_done(r, ev, "message", "text", 1);

    } else if (strcmp(name, "response.content_part.done") == 0) {
        rsp_text_done(r, ev, "message", "part", 2);

    } else if (strcmp(name, "response.reasoning_summary_text.done") == 0) {
        rsp_text_done(r, ev, "reasoning", "text", 1);

    } else if (strcmp(name, "response.reasoning_summary_part.done") == 0) {
        rsp_text_done(r, ev, "reasoning", "part", 2);

    } else if (strcmp(name, "response.function_call_arguments.done") == 0) {
        rsp_text_done(r, ev, "function_call", "arguments", 1);

    } else if (strcmp(name, "response.created") == 0
               || strcmp(name, "response.in_progress") == 0
               || strcmp(name, "response.completed") == 0
               || strcmp(name, "response.failed") == 0)
    {
        rsp_object(r, ev, name);

    } else {
        rsp_bad(r, "%s: not an event this encoder writes", name);
    }

    r->events++;
}


/* "event: NAME\ndata: JSON", nothing else */

static void
rsp_text_event(void *data, char *ev)
{
    char    *nl;
    rsp_t   *r;
    json_t  *v;

    r = data;
    nl = strchr(ev, '\n');

    if (strncmp(ev, "event: ", 7) != 0 || nl == NULL
        || strncmp(nl + 1, "data: ", 6) != 0 || strchr(nl + 1, '\n'))
    {
        rsp_bad(r, "not \"event:\" and \"data:\": %.60s", ev);
        r->events++;
        return;
    }

    *nl = '\0';
    v = json_loads(nl + 7, 0, NULL);

    if (!json_is_object(v)) {
        rsp_bad(r, "%s: data is not a JSON object", ev + 7);
        r->events++;

    } else {
        rsp_event(r, ev + 7, v);
    }

    json_decref(v);
}


static void
rsp_read(rsp_t *r, const llmgw_out_t *out)
{
    memset(r, 0, sizeof(rsp_t));
    r->added = json_array();
    r->items = json_array();
    r->calls = json_array();

    if (out_events(out, rsp_text_event, r)) {
        rsp_bad(r, "the last event is not ended by a blank line%s", "");
    }

    if (r->final[0] == '\0') {
        rsp_bad(r, "no final event%s", "");
    }
}


static void
rsp_free(rsp_t *r)
{
    size_t  k;

    for (k = 0; k < RSP_ITEMS; k++) {
        llmgw_out_free(&r->acc[k]);
    }

    llmgw_out_free(&r->text);
    llmgw_out_free(&r->reasoning);
    json_decref(r->added);
    json_decref(r->items);
    json_decref(r->calls);
    json_decref(r->response);
}


static json_t *
rsp_usage(rsp_t *r)
{
    return json_object_get(r->response, "usage");
}


/* requests */

static void
req_ok(const char *what, const char *in, const char *want)
{
    json_t        *req, *canon;
    llmgw_xerr_t   err;

    req = parse(in);
    memset(&err, 0, sizeof(llmgw_xerr_t));

    canon = RSP->request_in(req, &err);

    if (canon == NULL) {
        UNIT_FAIL("%s: %d %s", what, err.status, err.message);
    }

    check_json(what, canon, want);
    json_decref(req);
}


static void
req_err(const char *in, const char *needle)
{
    json_t        *req, *canon;
    llmgw_xerr_t   err;

    req = parse(in);
    memset(&err, 0, sizeof(llmgw_xerr_t));

    canon = RSP->request_in(req, &err);
    CHECK(canon == NULL, "%s: translated", in);
    json_decref(canon);

    check_err(in, &err, 400, "invalid_request_error", needle);
    json_decref(req);
}


static void
test_request_in(void)
{
    req_ok("a string",
           "{\"model\":\"m\",\"input\":\"Hi\",\"instructions\":\"Be brief\"}",
           "{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
           "\"content\":\"Be brief\"},{\"role\":\"user\","
           "\"content\":\"Hi\"}]}");

    /* what Codex sends, null members included */
    req_ok("codex",
           "{\"model\":\"gpt-5-codex\",\"instructions\":\"You are Codex.\","
           "\"input\":["
           "{\"type\":\"message\",\"role\":\"developer\",\"content\":["
           "{\"type\":\"input_text\",\"text\":\"sandbox\"}]},"
           "{\"type\":\"message\",\"role\":\"user\",\"content\":["
           "{\"type\":\"input_text\",\"text\":\"<env/>\"},"
           "{\"type\":\"input_text\",\"text\":\"list files\"}]},"
           "{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\","
           "\"text\":\"I will run ls\"}],\"encrypted_content\":null},"
           "{\"type\":\"message\",\"role\":\"assistant\",\"content\":["
           "{\"type\":\"output_text\",\"text\":\"Listing.\"}]},"
           "{\"type\":\"function_call\",\"name\":\"shell\",\"arguments\":"
           "\"{\\\"command\\\":[\\\"ls\\\"]}\",\"call_id\":\"call_1\"},"
           "{\"type\":\"function_call_output\",\"call_id\":\"call_1\","
           "\"output\":\"a.c\\nb.c\"}],"
           "\"tools\":[{\"type\":\"function\",\"name\":\"shell\","
           "\"description\":\"Runs a command\",\"strict\":false,"
           "\"parameters\":{\"type\":\"object\",\"properties\":{}}}],"
           "\"tool_choice\":\"auto\",\"parallel_tool_calls\":false,"
           "\"reasoning\":{\"effort\":\"medium\",\"summary\":\"auto\"},"
           "\"store\":false,\"stream\":true,"
           "\"include\":[\"reasoning.encrypted_content\"],"
           "\"prompt_cache_key\":\"k\",\"text\":{\"verbosity\":\"low\"},"
           "\"service_tier\":null,\"client_metadata\":{\"a\":\"b\"},"
           "\"previous_response_id\":null}",
           "{\"model\":\"gpt-5-codex\",\"messages\":["
           "{\"role\":\"system\",\"content\":\"You are Codex.\"},"
           "{\"role\":\"system\",\"content\":\"sandbox\"},"
           "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
           "\"text\":\"<env/>\"},{\"type\":\"text\",\"text\":\"list files\"}]},"
           "{\"role\":\"assistant\",\"content\":\"Listing.\",\"tool_calls\":["
           "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
           "\"shell\",\"arguments\":\"{\\\"command\\\":[\\\"ls\\\"]}\"}}]},"
           "{\"role\":\"tool\",\"tool_call_id\":\"call_1\","
           "\"content\":\"a.c\\nb.c\"}],"
           "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"shell\","
           "\"description\":\"Runs a command\",\"parameters\":{\"type\":"
           "\"object\",\"properties\":{}},\"strict\":false}}],"
           "\"tool_choice\":\"auto\",\"parallel_tool_calls\":false,"
           "\"reasoning_effort\":\"medium\",\"stream\":true,"
           "\"stream_options\":{\"include_usage\":true}}");

    req_ok("calls merge; a user message breaks the run",
           "{\"input\":["
           "{\"role\":\"user\",\"content\":\"go\"},"
           "{\"type\":\"function_call\",\"call_id\":\"a\",\"name\":\"f\","
           "\"arguments\":\"{}\"},"
           "{\"type\":\"reasoning\",\"summary\":[]},"
           "{\"type\":\"function_call\",\"call_id\":\"b\",\"name\":\"g\","
           "\"arguments\":\"{\\\"x\\\":1}\"},"
           "{\"type\":\"function_call_output\",\"call_id\":\"a\","
           "\"output\":[{\"type\":\"input_text\",\"text\":\"one\"},"
           "{\"type\":\"input_text\",\"text\":\"two\"}]},"
           "{\"type\":\"function_call_output\",\"call_id\":\"b\","
           "\"output\":\"\"},"
           "{\"role\":\"user\",\"content\":\"more\"},"
           "{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\","
           "\"arguments\":\"{}\"}]}",
           "{\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
           "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
           "{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"f\","
           "\"arguments\":\"{}\"}},"
           "{\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":\"g\","
           "\"arguments\":\"{\\\"x\\\":1}\"}}]},"
           "{\"role\":\"tool\",\"tool_call_id\":\"a\","
           "\"content\":\"one\\ntwo\"},"
           "{\"role\":\"tool\",\"tool_call_id\":\"b\",\"content\":\"\"},"
           "{\"role\":\"user\",\"content\":\"more\"},"
           "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
           "{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\","
           "\"arguments\":\"{}\"}}]}]}");

    req_ok("assistant parts and refusals joined; two assistant messages "
           "stay two",
           "{\"input\":[{\"role\":\"assistant\",\"content\":["
           "{\"type\":\"output_text\",\"text\":\"a\"},"
           "{\"type\":\"refusal\",\"refusal\":\"b\"}]},"
           "{\"role\":\"assistant\",\"content\":\"c\"},"
           "{\"role\":\"assistant\",\"content\":[]},"
           "{\"role\":\"system\",\"content\":[{\"type\":\"input_text\","
           "\"text\":\"s\"}]}]}",
           "{\"messages\":[{\"role\":\"assistant\",\"content\":\"ab\"},"
           "{\"role\":\"assistant\",\"content\":\"c\"},"
           "{\"role\":\"system\",\"content\":\"s\"}]}");

    req_ok("images",
           "{\"input\":[{\"role\":\"user\",\"content\":["
           "{\"type\":\"input_text\",\"text\":\"what?\"},"
           "{\"type\":\"input_image\",\"image_url\":\"https://x/y.png\","
           "\"detail\":\"low\"},"
           "{\"type\":\"input_image\",\"image_url\":"
           "\"data:image/png;base64,AAAA\",\"file_id\":null}]}]}",
           "{\"messages\":[{\"role\":\"user\",\"content\":["
           "{\"type\":\"text\",\"text\":\"what?\"},"
           "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\","
           "\"detail\":\"low\"}},"
           "{\"type\":\"image_url\",\"image_url\":{\"url\":"
           "\"data:image/png;base64,AAAA\"}}]}]}");

    req_ok("parameters",
           "{\"input\":\"x\",\"max_output_tokens\":100,\"temperature\":0.5,"
           "\"top_p\":1,\"user\":\"u\",\"metadata\":{\"k\":\"v\"},"
           "\"truncation\":\"disabled\",\"background\":false,"
           "\"top_logprobs\":0,\"safety_identifier\":\"s\","
           "\"prompt_cache_retention\":\"24h\",\"stream\":false,"
           "\"stream_options\":{\"include_obfuscation\":false},"
           "\"reasoning\":{\"summary\":\"detailed\"},"
           "\"text\":{\"format\":{\"type\":\"text\"}}}",
           "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
           "\"max_completion_tokens\":100,\"temperature\":0.5,\"top_p\":1,"
           "\"user\":\"u\",\"metadata\":{\"k\":\"v\"}}");

    req_ok("json_object",
           "{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_object\"}}}",
           "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
           "\"response_format\":{\"type\":\"json_object\"}}");

    req_ok("json_schema",
           "{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\","
           "\"name\":\"out\",\"strict\":true,\"description\":\"d\","
           "\"schema\":{\"type\":\"object\"}},\"verbosity\":\"high\"}}",
           "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
           "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
           "{\"name\":\"out\",\"schema\":{\"type\":\"object\"},"
           "\"strict\":true,\"description\":\"d\"}}}");

    req_ok("tool_choice function",
           "{\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\","
           "\"parameters\":null}],\"tool_choice\":{\"type\":\"function\","
           "\"name\":\"f\"}}",
           "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
           "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
           "\"tool_choice\":{\"type\":\"function\",\"function\":"
           "{\"name\":\"f\"}}}");

    req_ok("no tools: tool_choice auto and parallel_tool_calls go",
           "{\"input\":\"x\",\"tools\":[],\"tool_choice\":\"auto\","
           "\"parallel_tool_calls\":true}",
           "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

    req_ok("instructions and reasoning only",
           "{\"instructions\":\"\",\"input\":[{\"role\":\"user\","
           "\"content\":\"q\"},{\"type\":\"reasoning\",\"summary\":[{\"type\":"
           "\"summary_text\",\"text\":\"t\"}]}]}",
           "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}");

    req_err("[1]", "JSON object");
    req_err("{\"input\":\"x\",\"seed\":1}", "seed: unknown parameter");
    req_err("{\"input\":\"x\",\"previous_response_id\":\"resp_1\"}",
            "previous_response_id: this gateway keeps no responses");
    req_err("{\"input\":\"x\",\"conversation\":\"conv_1\"}",
            "conversation: this gateway keeps no conversations");
    req_err("{\"input\":\"x\",\"prompt\":{\"id\":\"p\"}}",
            "prompt: stored prompt templates");
    req_err("{\"input\":\"x\",\"background\":true}", "background: ");
    req_err("{\"input\":\"x\",\"truncation\":\"auto\"}",
            "truncation: only \"disabled\"");
    req_err("{\"input\":\"x\",\"top_logprobs\":3}", "top_logprobs: ");
    req_err("{\"input\":\"x\",\"max_tool_calls\":3}", "max_tool_calls: ");
    req_err("{\"input\":\"x\",\"context_management\":[]}",
            "context_management: ");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":\"a\"},"
            "{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}",
            "input[1].type: 'item_reference'");
    req_err("{\"input\":[{\"type\":\"web_search_call\",\"id\":\"ws\"}]}",
            "input[0].type: 'web_search_call' items cannot be translated");
    req_err("{\"input\":[{\"type\":\"custom_tool_call\",\"call_id\":\"c\","
            "\"name\":\"apply_patch\",\"input\":\"x\"}]}",
            "input[0].type: 'custom_tool_call'");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":\"a\"},"
            "{\"type\":\"reasoning\",\"summary\":[],"
            "\"encrypted_content\":\"gAAA\"}]}",
            "input[1].encrypted_content: encrypted reasoning can't be sent");
    req_err("{\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":"
            "\"f\"},{\"type\":\"web_search\"}]}",
            "tools[1].type: 'web_search' is a hosted tool this provider "
            "does not offer");
    req_err("{\"input\":\"x\",\"tools\":[{\"type\":\"custom\",\"name\":"
            "\"apply_patch\"}]}", "tools[0].type: 'custom' tools cannot");
    req_err("{\"input\":\"x\",\"tools\":[{\"type\":\"local_shell\"}]}",
            "tools[0].type: 'local_shell' is a hosted tool");
    req_err("{\"input\":\"x\",\"tools\":[{\"type\":\"function\"}]}",
            "tools[0].name must be a string");
    req_err("{\"input\":\"x\",\"tools\":[{\"name\":\"f\"}]}",
            "tools[0].type must be a string");
    req_err("{\"input\":\"x\",\"tools\":{}}", "tools must be an array");
    req_err("{\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":"
            "\"f\",\"parameters\":[]}]}", "tools[0].parameters must be");
    req_err("{\"model\":\"m\"}", "input must be a string or an array");
    req_err("{\"input\":[]}", "input has no messages");
    req_err("{\"input\":[\"hi\"]}", "input[0] must be an object");
    req_err("{\"input\":[{\"type\":1}]}", "input[0].type must be a string");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":\"a\"},"
            "{\"role\":\"tool\",\"content\":\"b\"}]}",
            "input[1].role must be");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
            "\"input_file\",\"file_id\":\"file-1\"}]}]}",
            "input[0].content[0].type: 'input_file'");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
            "\"input_image\",\"file_id\":\"file-1\"}]}]}",
            "input[0].content[0].file_id: files uploaded to OpenAI");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
            "\"input_image\"}]}]}", "input[0].content[0].image_url must be");
    req_err("{\"input\":[{\"role\":\"developer\",\"content\":[{\"type\":"
            "\"input_image\",\"image_url\":\"https://x\"}]}]}",
            "input[0].content[0].type: a system message can hold only text");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
            "\"input_text\"}]}]}", "input[0].content[0].text must be");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}]}",
            "input[0].content[0].type must be a string");
    req_err("{\"input\":[{\"role\":\"user\",\"content\":5}]}",
            "input[0].content must be");
    req_err("{\"input\":[{\"role\":\"assistant\",\"content\":[{\"type\":"
            "\"input_image\",\"image_url\":\"https://x\"}]}]}",
            "input[0].content[0]: an assistant message can hold only");
    req_err("{\"input\":[{\"type\":\"function_call\",\"name\":\"f\","
            "\"arguments\":\"{}\"}]}",
            "input[0]: a function_call needs a string call_id and name");
    req_err("{\"input\":[{\"type\":\"function_call\",\"name\":\"f\","
            "\"call_id\":\"c\",\"arguments\":{}}]}",
            "input[0].arguments must be a string");
    req_err("{\"input\":[{\"type\":\"function_call_output\","
            "\"output\":\"x\"}]}", "input[0].call_id must be a string");
    req_err("{\"input\":[{\"type\":\"function_call_output\",\"call_id\":"
            "\"c\",\"output\":[{\"type\":\"input_image\",\"image_url\":"
            "\"https://x\"}]}]}",
            "input[0].output[0].type: 'input_image' cannot be sent in a "
            "tool result");
    req_err("{\"input\":[{\"type\":\"function_call_output\",\"call_id\":"
            "\"c\",\"output\":5}]}", "input[0].output must be");
    req_err("{\"input\":\"x\",\"temperature\":\"hot\"}",
            "temperature must be a number");
    req_err("{\"input\":\"x\",\"max_output_tokens\":1.5}",
            "max_output_tokens must be an integer");
    req_err("{\"input\":\"x\",\"model\":5}", "model must be a string");
    req_err("{\"input\":\"x\",\"metadata\":[]}",
            "metadata must be an object");
    req_err("{\"input\":\"x\",\"stream\":\"yes\"}",
            "stream must be a boolean");
    req_err("{\"input\":\"x\",\"instructions\":5}",
            "instructions must be a string");
    req_err("{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"xml\"}}}",
            "text.format.type: 'xml'");
    req_err("{\"input\":\"x\",\"text\":{\"format\":{\"type\":"
            "\"json_schema\",\"schema\":{}}}}",
            "text.format.name must be a string");
    req_err("{\"input\":\"x\",\"text\":{\"format\":{\"type\":"
            "\"json_schema\",\"name\":\"n\"}}}",
            "text.format.schema must be an object");
    req_err("{\"input\":\"x\",\"text\":5}", "text must be an object");
    req_err("{\"input\":\"x\",\"reasoning\":{\"effort\":3}}",
            "reasoning.effort must be a string");
    req_err("{\"input\":\"x\",\"reasoning\":\"high\"}",
            "reasoning must be an object");
    req_err("{\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":"
            "\"f\"}],\"tool_choice\":{\"type\":\"allowed_tools\"}}",
            "tool_choice must be");
    req_err("{\"input\":\"x\",\"tool_choice\":\"required\"}",
            "tool_choice: the request has no tools");
}


/* responses */

static json_t *
resp_out(const char *canon)
{
    json_t        *c, *r;
    llmgw_xerr_t   err;

    c = parse(canon);
    memset(&err, 0, sizeof(llmgw_xerr_t));

    r = RSP->response_out(c, &err);
    CHECK(r != NULL, "response_out: %s", err.message);

    json_decref(c);

    return r;
}


static void
test_response_out(void)
{
    json_t        *r, *c;
    llmgw_xerr_t   err;

    r = resp_out("{\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion\","
                 "\"created\":1700000001,\"model\":\"gpt-x\",\"choices\":[{"
                 "\"index\":0,\"message\":{\"role\":\"assistant\","
                 "\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],"
                 "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":7,"
                 "\"total_tokens\":27,\"prompt_tokens_details\":"
                 "{\"cached_tokens\":8},\"completion_tokens_details\":"
                 "{\"reasoning_tokens\":3}}}");

    CHECK_STR(str0(r, "id"), strlen(str0(r, "id")), "resp_abc123", "id");
    CHECK_STR(str0(r, "object"), strlen(str0(r, "object")), "response",
              "object");
    CHECK_STR(str0(r, "status"), strlen(str0(r, "status")), "completed",
              "status");
    CHECK_STR(str0(r, "model"), strlen(str0(r, "model")), "gpt-x", "model");
    CHECK_INT(json_integer_value(json_object_get(r, "created_at")),
              1700000001, "created_at");
    CHECK(json_is_null(json_object_get(r, "error"))
          && json_is_null(json_object_get(r, "incomplete_details"))
          && json_is_object(json_object_get(r, "metadata"))
          && json_is_array(json_object_get(r, "tools")),
          "error, incomplete_details, metadata, tools");
    check_json("text output", json_incref(json_object_get(r, "output")),
               "[{\"id\":\"msg_abc123_0\",\"type\":\"message\",\"status\":"
               "\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":"
               "\"output_text\",\"annotations\":[],\"logprobs\":[],"
               "\"text\":\"Hello\"}]}]");
    check_json("usage", json_incref(json_object_get(r, "usage")),
               "{\"input_tokens\":20,\"input_tokens_details\":"
               "{\"cached_tokens\":8,\"cache_write_tokens\":0},"
               "\"output_tokens\":7,\"output_tokens_details\":"
               "{\"reasoning_tokens\":3},\"total_tokens\":27}");
    json_decref(r);

    r = resp_out("{\"id\":\"msg_01XY\",\"created\":5,\"model\":\"claude\","
                 "\"choices\":[{\"index\":0,\"message\":{\"role\":"
                 "\"assistant\",\"content\":null,\"reasoning_content\":"
                 "\"think\",\"tool_calls\":[{\"id\":\"toolu_1\",\"type\":"
                 "\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
                 "\"{\\\"a\\\":1}\"}},{\"type\":\"function\",\"function\":"
                 "{\"name\":\"g\"}}]},\"finish_reason\":\"tool_calls\"}],"
                 "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}");

    check_json("reasoning and calls", json_incref(json_object_get(r,
                                                                  "output")),
               "[{\"id\":\"rs_01XY_0\",\"type\":\"reasoning\",\"summary\":"
               "[{\"type\":\"summary_text\",\"text\":\"think\"}]},"
               "{\"id\":\"fc_01XY_1\",\"type\":\"function_call\",\"status\":"
               "\"completed\",\"arguments\":\"{\\\"a\\\":1}\",\"call_id\":"
               "\"toolu_1\",\"name\":\"f\"},"
               "{\"id\":\"fc_01XY_2\",\"type\":\"function_call\",\"status\":"
               "\"completed\",\"arguments\":\"{}\",\"call_id\":"
               "\"call_01XY_1\",\"name\":\"g\"}]");
    CHECK_INT(usage_of(json_object_get(r, "usage"), "total_tokens"), 7,
              "total counted");
    json_decref(r);

    r = resp_out("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":["
                 "{\"type\":\"text\",\"text\":\"cut \"},{\"type\":\"text\","
                 "\"text\":\"off\"}]},\"finish_reason\":\"length\"}]}");

    CHECK_STR(str0(r, "status"), strlen(str0(r, "status")), "incomplete",
              "length: incomplete");
    check_json("length: details",
               json_incref(json_object_get(r, "incomplete_details")),
               "{\"reason\":\"max_output_tokens\"}");
    check_json("length: the message incomplete",
               json_incref(json_object_get(r, "output")),
               "[{\"id\":\"msg_x_0\",\"type\":\"message\",\"status\":"
               "\"incomplete\",\"role\":\"assistant\",\"content\":[{\"type\":"
               "\"output_text\",\"annotations\":[],\"logprobs\":[],"
               "\"text\":\"cut off\"}]}]");
    check_json("length: no usage, zeros", json_incref(json_object_get(r,
                                                                      "usage")),
               "{\"input_tokens\":0,\"input_tokens_details\":"
               "{\"cached_tokens\":0,\"cache_write_tokens\":0},"
               "\"output_tokens\":0,\"output_tokens_details\":"
               "{\"reasoning_tokens\":0},\"total_tokens\":0}");
    json_decref(r);

    r = resp_out("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"\","
                 "\"refusal\":\"No.\"},"
                 "\"finish_reason\":\"content_filter\"}]}");

    check_json("content_filter",
               json_incref(json_object_get(r, "incomplete_details")),
               "{\"reason\":\"content_filter\"}");
    check_json("refusal", json_incref(json_object_get(r, "output")),
               "[{\"id\":\"msg_x_0\",\"type\":\"message\",\"status\":"
               "\"incomplete\",\"role\":\"assistant\",\"content\":[{\"type\":"
               "\"refusal\",\"refusal\":\"No.\"}]}]");
    json_decref(r);

    c = parse("{\"id\":\"x\",\"choices\":[]}");
    memset(&err, 0, sizeof(llmgw_xerr_t));
    CHECK(RSP->response_out(c, &err) == NULL, "no message");
    check_err("no message", &err, 502, "api_error", "no message");
    json_decref(c);
}


static void
test_error_out(void)
{
    llmgw_out_t  o;

    memset(&o, 0, sizeof(llmgw_out_t));
    RSP->error_out(&o, "invalid_request_error", NULL, "input: bad", 10);
    llmgw_out_raw(&o, "", 1);

    check_json("error body", parse((char *) o.data),
               "{\"error\":{\"message\":\"input: bad\",\"type\":"
               "\"invalid_request_error\",\"param\":null,\"code\":null}}");
    llmgw_out_free(&o);
}


/* streams of deltas written directly */

typedef struct {
    llmgw_xstream_t  s;
    llmgw_out_t      got;
} enc_run_t;


static void
enc_init(enc_run_t *r, const char *id)
{
    llmgw_delta_t  d;

    memset(r, 0, sizeof(enc_run_t));

    if (llmgw_xstream_init(&r->s, OAI, RSP, "client-model", 12, 1700000000)
        != 0)
    {
        abort();
    }

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_START;
    d.id = id;
    d.id_len = strlen(id);
    llmgw_xstream_delta(&r->s, &d);
}


static void
enc_delta(enc_run_t *r, llmgw_delta_type_e type, unsigned tool,
    const char *id, const char *name, const char *text)
{
    llmgw_delta_t  d;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = type;
    d.tool = tool;
    d.id = id;
    d.id_len = id ? strlen(id) : 0;
    d.name = name;
    d.name_len = name ? strlen(name) : 0;
    d.text = text;
    d.text_len = text ? strlen(text) : 0;
    d.finish = type == LLMGW_DELTA_FINISH ? text : NULL;
    d.error_type = type == LLMGW_DELTA_ERROR ? "overloaded_error" : NULL;

    if (type == LLMGW_DELTA_USAGE) {
        d.usage.prompt = 10;
        d.usage.completion = 5;
        d.usage.total = -1;
        d.usage.cached = 4;
        d.usage.cache_write = -1;
    }

    llmgw_xstream_delta(&r->s, &d);

    llmgw_out_raw(&r->got, r->s.out.data, r->s.out.len);
    r->s.out.len = 0;
}


/* text of another choice than 0 */

static void
enc_choice(enc_run_t *r, unsigned choice, const char *text)
{
    llmgw_delta_t  d;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_TEXT;
    d.choice = choice;
    d.text = text;
    d.text_len = strlen(text);

    llmgw_xstream_delta(&r->s, &d);
}


static void
enc_done(enc_run_t *r)
{
    llmgw_out_raw(&r->got, r->s.out.data, r->s.out.len);
    llmgw_xstream_free(&r->s);
}


static void
test_encoder(void)
{
    rsp_t       rs;
    json_t     *calls, *resp;
    enc_run_t   r;

    enc_init(&r, "chatcmpl-E1");
    enc_delta(&r, LLMGW_DELTA_REASONING, 0, NULL, NULL, "th");
    enc_delta(&r, LLMGW_DELTA_REASONING, 0, NULL, NULL, "ink");
    enc_delta(&r, LLMGW_DELTA_TEXT, 0, NULL, NULL, "Say \"hi\"\n");
    enc_choice(&r, 1, "other choice");
    enc_delta(&r, LLMGW_DELTA_TEXT, 0, NULL, NULL, "");
    enc_delta(&r, LLMGW_DELTA_TEXT, 0, NULL, NULL, "!");
    enc_delta(&r, LLMGW_DELTA_TOOL_START, 0, "call_a", "f", NULL);
    enc_delta(&r, LLMGW_DELTA_TOOL_START, 1, NULL, "g", NULL);
    enc_delta(&r, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "{\"a\"");
    enc_delta(&r, LLMGW_DELTA_TOOL_ARGS, 1, NULL, NULL, "{}");
    enc_delta(&r, LLMGW_DELTA_TOOL_START, 0, "call_x", "h", NULL);
    enc_delta(&r, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, ":1}");
    enc_delta(&r, LLMGW_DELTA_TOOL_ARGS, 7, NULL, NULL, "never started");
    enc_delta(&r, LLMGW_DELTA_FINISH, 0, NULL, NULL, "length");
    enc_delta(&r, LLMGW_DELTA_USAGE, 0, NULL, NULL, NULL);
    enc_delta(&r, LLMGW_DELTA_END, 0, NULL, NULL, NULL);
    enc_done(&r);

    rsp_read(&rs, &r.got);
    CHECK_INT(rs.bad, 0, "encoder: %s", rs.why);
    CHECK_STR(rs.seq, strlen(rs.seq),
              "created in_progress output_item.added "
              "reasoning_summary_part.added reasoning_summary_text.delta "
              "reasoning_summary_text.done reasoning_summary_part.done "
              "output_item.done output_item.added content_part.added "
              "output_text.delta output_text.done content_part.done "
              "output_item.done output_item.added output_item.added "
              "function_call_arguments.delta "
              "function_call_arguments.done output_item.done "
              "function_call_arguments.done output_item.done completed",
              "encoder: the events");
    CHECK_STR(rs.id, strlen(rs.id), "resp_E1", "encoder: the id");
    CHECK_MEM(rs.text.data, rs.text.len, "Say \"hi\"\n!", 10,
              "encoder: the text");
    CHECK_MEM(rs.reasoning.data, rs.reasoning.len, "think", 5,
              "encoder: the reasoning");

    calls = rs.calls;
    check_json("encoder: the calls", json_incref(calls),
               "[{\"id\":\"fc_E1_2\",\"type\":\"function_call\",\"status\":"
               "\"completed\",\"arguments\":\"{\\\"a\\\":1}\",\"call_id\":"
               "\"call_a\",\"name\":\"f\"},"
               "{\"id\":\"fc_E1_3\",\"type\":\"function_call\",\"status\":"
               "\"incomplete\",\"arguments\":\"{}\",\"call_id\":"
               "\"call_E1_1\",\"name\":\"g\"}]");

    resp = rs.response;
    CHECK_STR(str0(resp, "status"), strlen(str0(resp, "status")),
              "incomplete", "encoder: length");
    check_json("encoder: details",
               json_incref(json_object_get(resp, "incomplete_details")),
               "{\"reason\":\"max_output_tokens\"}");
    check_json("encoder: usage", json_incref(rsp_usage(&rs)),
               "{\"input_tokens\":10,\"input_tokens_details\":"
               "{\"cached_tokens\":4,\"cache_write_tokens\":0},"
               "\"output_tokens\":5,\"output_tokens_details\":"
               "{\"reasoning_tokens\":0},\"total_tokens\":15}");
    CHECK_INT(json_integer_value(json_object_get(resp, "created_at")),
              1700000000, "encoder: created_at");
    rsp_free(&rs);
    llmgw_out_free(&r.got);

    /* an error: response.failed with the items done so far; the open
     * message is not closed */
    enc_init(&r, "E2");
    enc_delta(&r, LLMGW_DELTA_TOOL_START, 0, "c", "f", NULL);
    enc_delta(&r, LLMGW_DELTA_TEXT, 0, NULL, NULL, "a");
    enc_delta(&r, LLMGW_DELTA_ERROR, 0, NULL, NULL, "upstream \xff died");
    enc_delta(&r, LLMGW_DELTA_TEXT, 0, NULL, NULL, "after");
    enc_done(&r);

    rsp_read(&rs, &r.got);
    CHECK_INT(rs.bad, 0, "error: %s", rs.why);
    CHECK_STR(rs.seq, strlen(rs.seq),
              "created in_progress output_item.added "
              "function_call_arguments.done output_item.done "
              "output_item.added content_part.added output_text.delta "
              "failed", "error: the events");
    check_json("error: the error",
               json_incref(json_object_get(rs.response, "error")),
               "{\"code\":\"server_error\",\"message\":"
               "\"upstream \\ufffd died\"}");
    CHECK_INT(json_array_size(json_object_get(rs.response, "output")), 1,
              "error: the call done");
    CHECK(json_is_null(rsp_usage(&rs)), "error: no usage");
    rsp_free(&rs);
    llmgw_out_free(&r.got);

    /* an error before anything: response.failed alone */
    memset(&r, 0, sizeof(enc_run_t));
    llmgw_xstream_init(&r.s, OAI, RSP, "client-model", 12, 1);
    llmgw_xstream_fail(&r.s, "rate_limit_error", "slow down");
    enc_done(&r);

    rsp_read(&rs, &r.got);
    CHECK_INT(rs.bad, 0, "failed alone: %s", rs.why);
    CHECK_STR(rs.seq, strlen(rs.seq), "failed", "failed alone");
    CHECK_STR(str0(json_object_get(rs.response, "error"), "code"),
              strlen(str0(json_object_get(rs.response, "error"), "code")),
              "rate_limit_exceeded", "failed alone: the code");
    CHECK_STR(rs.id, strlen(rs.id), "resp_llmgw", "failed alone: an id");
    rsp_free(&rs);
    llmgw_out_free(&r.got);

    /* freed before its end: the leak checker sees nothing of its log */
    enc_init(&r, "E3");
    enc_delta(&r, LLMGW_DELTA_TEXT, 0, NULL, NULL, "a long text, kept");
    enc_delta(&r, LLMGW_DELTA_TOOL_START, 0, "c", "f", NULL);
    enc_delta(&r, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "{\"k\":");
    enc_done(&r);
    CHECK(r.got.len > 0 && !r.got.failed, "freed early: output");
    llmgw_out_free(&r.got);
}


/* a long stream: the log grows past its first allocation */

static void
test_encoder_long(void)
{
    char        piece[257];
    size_t      i;
    rsp_t       rs;
    enc_run_t   r;

    memset(piece, 'x', 256);
    piece[256] = '\0';

    enc_init(&r, "L");

    for (i = 0; i < 600; i++) {
        piece[0] = (char) ('a' + i % 26);
        enc_delta(&r, (i / 100) % 2 ? LLMGW_DELTA_REASONING
                                    : LLMGW_DELTA_TEXT, 0, NULL, NULL, piece);
    }

    enc_delta(&r, LLMGW_DELTA_END, 0, NULL, NULL, NULL);
    enc_done(&r);

    rsp_read(&rs, &r.got);
    CHECK_INT(rs.bad, 0, "long: %s", rs.why);
    CHECK_INT(rs.text.len, 300 * 256, "long: the text");
    CHECK_INT(rs.reasoning.len, 300 * 256, "long: the reasoning");
    CHECK_INT(json_array_size(rs.items), 6, "long: six items");
    CHECK_STR(str0(rs.response, "status"),
              strlen(str0(rs.response, "status")), "completed",
              "long: completed");
    rsp_free(&rs);
    llmgw_out_free(&r.got);
}


/* recorded streams */

typedef struct {
    const llmgw_format_t  *provider;
    const char            *file;
} stream_case_t;


static const stream_case_t  stream_cases[] = {
    { ANT, "anthropic-basic_response.sse" },
    { ANT, "anthropic-compaction_response.sse" },
    { ANT, "anthropic-fallback_credit_response.sse" },
    { ANT, "anthropic-fallback_response.sse" },
    { ANT, "anthropic-incomplete_partial_json_response.sse" },
    { ANT, "anthropic-refusal_response.sse" },
    { ANT, "anthropic-tool_use_response.sse" },
    { GEM, "gemini-streaming-failure-prompt-blocked-safety.sse" },
    { GEM, "gemini-streaming-failure-recitation-no-content.sse" },
    { GEM, "gemini-streaming-success-basic-reply-short.sse" },
    { GEM, "gemini-streaming-success-code-execution.sse" },
    { GEM, "gemini-streaming-success-finish-message.sse" },
    { GEM, "gemini-streaming-success-thinking-function-call-thought-"
           "summary-signature.sse" },
    { GEM, "gemini-streaming-success-thinking-reply-thought-summary.sse" },
    { GEM, "gemini-vertexai-streaming-failure-empty-content.sse" },
    { GEM, "gemini-vertexai-streaming-failure-error-mid-stream.sse" },
    { GEM, "gemini-vertexai-streaming-failure-finish-reason-safety.sse" },
    { GEM, "gemini-vertexai-streaming-failure-prompt-blocked-safety.sse" },
    { GEM, "gemini-vertexai-streaming-success-function-call-short.sse" },
    { GEM, "gemini-vertexai-streaming-success-utf8.sse" },
    { OAI, "openai-parse_max_tokens_reached.sse" },
    { OAI, "openai-parse_multiple_pydantic_tools.sse" },
    { OAI, "openai-parse_pydantic_model.sse" },
    { OAI, "openai-tools.sse" },
    { NULL, NULL }
};


/* what the Responses client read is what an OpenAI client reads from the
 * same stream: text, reasoning, calls, usage, how it ended */

static void
check_against_openai(const char *f, rsp_t *rs, oai_t *c)
{
    size_t       i;
    json_t      *call, *usage, *details;
    const char  *status, *want, *reason;

    CHECK_MEM(rs->text.data, rs->text.len, c->text.data, c->text.len,
              "%s: the text", f);
    CHECK_MEM(rs->reasoning.data, rs->reasoning.len, c->reasoning.data,
              c->reasoning.len, "%s: the reasoning", f);
    CHECK_INT(json_array_size(rs->calls), c->tools, "%s: the calls", f);

    json_array_foreach(rs->calls, i, call) {
        if (i >= 4) {
            break;
        }

        CHECK_STR(str0(call, "call_id"), strlen(str0(call, "call_id")),
                  c->id[i], "%s: call %zu's id", f, i);
        CHECK_STR(str0(call, "name"), strlen(str0(call, "name")),
                  c->name[i], "%s: call %zu's name", f, i);
        CHECK_MEM(str0(call, "arguments"), strlen(str0(call, "arguments")),
                  c->args[i].data, c->args[i].len, "%s: call %zu's args", f,
                  i);
    }

    if (c->errors) {
        CHECK_STR(rs->final, strlen(rs->final), "response.failed",
                  "%s: failed", f);
        CHECK_STR(str0(json_object_get(rs->response, "error"), "message"),
                  strlen(str0(json_object_get(rs->response, "error"),
                              "message")),
                  c->error_msg, "%s: the error", f);
        return;
    }

    CHECK_STR(rs->final, strlen(rs->final), "response.completed",
              "%s: completed", f);

    status = str0(rs->response, "status");
    reason = str0(json_object_get(rs->response, "incomplete_details"),
                  "reason");
    want = strcmp(c->finish, "length") == 0 ? "max_output_tokens"
           : strcmp(c->finish, "content_filter") == 0 ? "content_filter"
           : "";

    CHECK_STR(reason, strlen(reason), want, "%s: incomplete_details (%s)",
              f, c->finish);
    CHECK_STR(status, strlen(status), want[0] ? "incomplete" : "completed",
              "%s: status", f);

    usage = rsp_usage(rs);
    CHECK(json_is_object(usage), "%s: usage", f);

    if (c->usage == NULL) {
        UNIT_FAIL("%s: the OpenAI client read no usage", f);
        return;
    }

    details = json_object_get(c->usage, "prompt_tokens_details");

    CHECK_INT(usage_of(usage, "input_tokens"),
              usage_of(c->usage, "prompt_tokens"), "%s: input tokens", f);
    CHECK_INT(usage_of(usage, "output_tokens"),
              usage_of(c->usage, "completion_tokens"), "%s: output tokens",
              f);
    CHECK_INT(usage_of(usage, "total_tokens"),
              usage_of(c->usage, "total_tokens"), "%s: total tokens", f);
    CHECK_INT(usage_of(json_object_get(usage, "input_tokens_details"),
                       "cached_tokens"),
              details ? usage_of(details, "cached_tokens") : 0,
              "%s: cached tokens", f);
}


static void
test_stream_fixtures(void)
{
    size_t                n;
    rsp_t                 rs;
    oai_t                 c;
    llmgw_out_t           whole, chunks;
    unsigned char        *p;
    const stream_case_t  *t;

    for (t = stream_cases; t->file; t++) {
        p = unit_read_file(fixtures, t->file, &n);

        run_splits(t->file, &whole, t->provider, RSP, p, n);
        rsp_read(&rs, &whole);
        CHECK_INT(rs.bad, 0, "%s: %s", t->file, rs.why);

        run_stream(&chunks, t->provider, OAI, p, n, n, 0);
        oai_read(&c, &chunks);
        check_against_openai(t->file, &rs, &c);

        oai_free(&c);
        rsp_free(&rs);
        llmgw_out_free(&chunks);
        llmgw_out_free(&whole);
        free(p);
    }
}


/* a few streams' values written out, so that the check above is not only
 * of one encoder against another */

static void
test_stream_values(void)
{
    size_t          n;
    rsp_t           rs;
    json_t         *call;
    llmgw_out_t     got;
    unsigned char  *p;

    p = unit_read_file(fixtures, "anthropic-basic_response.sse", &n);
    run_stream(&got, ANT, RSP, p, n, n, 0);
    rsp_read(&rs, &got);

    CHECK_STR(rs.seq, strlen(rs.seq),
              "created in_progress output_item.added content_part.added "
              "output_text.delta output_text.done content_part.done "
              "output_item.done completed", "anthropic basic: the events");
    CHECK_MEM(rs.text.data, rs.text.len, "Hello there!", 12,
              "anthropic basic: the text");
    CHECK_STR(rs.id, strlen(rs.id), "resp_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK",
              "anthropic basic: the id");
    check_json("anthropic basic: usage", json_incref(rsp_usage(&rs)),
               "{\"input_tokens\":11,\"input_tokens_details\":"
               "{\"cached_tokens\":0,\"cache_write_tokens\":0},"
               "\"output_tokens\":6,\"output_tokens_details\":"
               "{\"reasoning_tokens\":0},\"total_tokens\":17}");
    rsp_free(&rs);
    llmgw_out_free(&got);
    free(p);

    p = unit_read_file(fixtures, "openai-tools.sse", &n);
    run_stream(&got, OAI, RSP, p, n, n, 0);
    rsp_read(&rs, &got);

    call = json_array_get(rs.calls, 0);
    CHECK_INT(json_array_size(rs.calls), 1, "openai tools: one call");
    CHECK_STR(str0(call, "call_id"), strlen(str0(call, "call_id")),
              "call_4XzlGBLtUe9dy3GVNV4jhq7h", "openai tools: call_id");
    CHECK_STR(str0(call, "name"), strlen(str0(call, "name")), "get_weather",
              "openai tools: name");
    CHECK_STR(str0(call, "arguments"), strlen(str0(call, "arguments")),
              "{\"city\":\"New York City\"}",
              "openai tools: arguments");
    CHECK_STR(str0(rs.response, "status"),
              strlen(str0(rs.response, "status")), "completed",
              "openai tools: completed");
    rsp_free(&rs);
    llmgw_out_free(&got);
    free(p);

    p = unit_read_file(fixtures, "openai-parse_max_tokens_reached.sse", &n);
    run_stream(&got, OAI, RSP, p, n, n, 0);
    rsp_read(&rs, &got);

    CHECK_STR(str0(rs.response, "status"),
              strlen(str0(rs.response, "status")), "incomplete",
              "openai length: incomplete");
    CHECK_STR(str0(json_array_get(rs.items, 0), "status"),
              strlen(str0(json_array_get(rs.items, 0), "status")),
              "incomplete", "openai length: the message incomplete");
    rsp_free(&rs);
    llmgw_out_free(&got);
    free(p);

    p = unit_read_file(fixtures,
                       "gemini-vertexai-streaming-failure-error-mid-stream.sse",
                       &n);
    run_stream(&got, GEM, RSP, p, n, n, 0);
    rsp_read(&rs, &got);

    CHECK_STR(rs.final, strlen(rs.final), "response.failed",
              "gemini error mid-stream: failed last");
    CHECK(strstr(rs.seq, "output_text.delta failed") != NULL,
          "gemini error mid-stream: after text: %s", rs.seq);
    CHECK_STR(str0(json_object_get(rs.response, "error"), "message"),
              strlen(str0(json_object_get(rs.response, "error"), "message")),
              "The provider's stream could not be read",
              "gemini error mid-stream: the message");
    CHECK_INT(json_array_size(json_object_get(rs.response, "output")), 0,
              "gemini error mid-stream: the open message not in output");
    rsp_free(&rs);
    llmgw_out_free(&got);
    free(p);
}


/* an Anthropic stream that fails after a tool call began */

static void
test_stream_error(void)
{
    rsp_t        rs;
    llmgw_out_t  got;

    static const char  stream[] =
        "event: message_start\n"
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_9\","
        "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
        "\"model\":\"claude\",\"usage\":{\"input_tokens\":9,"
        "\"output_tokens\":1}}}\n\n"
        "event: content_block_start\n"
        "data: {\"type\":\"content_block_start\",\"index\":0,"
        "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_9\","
        "\"name\":\"f\",\"input\":{}}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        "{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\"}}\n\n"
        "event: error\n"
        "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
        "\"message\":\"Overloaded\"}}\n\n";

    run_text(&got, ANT, RSP, stream);
    rsp_read(&rs, &got);

    CHECK_INT(rs.bad, 0, "anthropic error: %s", rs.why);
    CHECK_STR(rs.seq, strlen(rs.seq),
              "created in_progress output_item.added "
              "function_call_arguments.delta failed",
              "anthropic error: the events");
    check_json("anthropic error: the error",
               json_incref(json_object_get(rs.response, "error")),
               "{\"code\":\"server_error\",\"message\":\"Overloaded\"}");
    CHECK(json_is_object(rsp_usage(&rs))
          && usage_of(rsp_usage(&rs), "input_tokens") == 9,
          "anthropic error: the usage so far");
    rsp_free(&rs);
    llmgw_out_free(&got);

    /* cut before its end */
    run_text(&got, ANT, RSP, "event: message_start\n"
             "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
             "\"content\":[],\"usage\":{\"input_tokens\":1}}}\n\n");
    rsp_read(&rs, &got);
    CHECK_INT(rs.bad, 0, "cut: %s", rs.why);
    CHECK_STR(rs.final, strlen(rs.final), "response.failed", "cut: failed");
    rsp_free(&rs);
    llmgw_out_free(&got);
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }

    test_request_in();
    test_response_out();
    test_error_out();
    test_encoder();
    test_encoder_long();
    test_stream_fixtures();
    test_stream_values();
    test_stream_error();

    UNIT_DONE("unit_responses");
}
