/*
 * Unit tests of src/providers/llmgw_cohere_xlate.c: canonical requests to
 * Cohere's /v2/chat, responses and errors back, embeddings both ways, and
 * recorded v2 streams through the SSE splitter and an xstream to OpenAI
 * chunks and to Anthropic events, split at every byte and cut at every
 * byte.
 */

#include "xstream_feed.h"


static const char  *fixtures = "fixtures";

#define CO   (&llmgw_format_cohere)
#define OAI  (&llmgw_format_openai)
#define ANT  (&llmgw_format_anthropic)


static json_t *
parse_file(const char *name)
{
    size_t          n;
    json_t         *v;
    unsigned char  *p;

    p = unit_read_file(fixtures, name, &n);
    v = json_loadb((char *) p, n, 0, NULL);
    free(p);

    if (v == NULL) {
        fprintf(stderr, "bad JSON in %s\n", name);
        exit(2);
    }

    return v;
}


/* requests */

static json_t *
req_out(const char *body, unsigned stream, llmgw_xerr_t *err)
{
    json_t        *canon, *req;
    llmgw_xreq_t   opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "command-a-03-2025";
    opt.model_len = strlen(opt.model);
    opt.stream = stream;
    opt.default_max_tokens = 4096;

    canon = parse(body);
    memset(err, 0, sizeof(llmgw_xerr_t));
    req = CO->request_out(canon, &opt, err);
    json_decref(canon);

    return req;
}


/* the whole request, model and stream:false added to want's members */

static void
check_out(const char *what, const char *body, const char *want)
{
    json_t        *req, *w;
    llmgw_xerr_t   err;

    req = req_out(body, 0, &err);

    if (req == NULL) {
        UNIT_FAIL("%s: refused: %s", what, err.message);
        return;
    }

    w = parse(want);
    json_object_set_new(w, "model", json_string("command-a-03-2025"));
    json_object_set_new(w, "stream", json_false());

    {
        char  *ws;

        ws = json_dumps(w, JSON_COMPACT);
        check_json(what, req, ws);
        free(ws);
    }

    json_decref(w);
}


/* a member of the request besides messages, model and stream: want NULL
 * for none */

static void
check_member(const char *what, const char *params, const char *key,
    const char *want)
{
    char          body[2048];
    json_t       *req, *v;
    llmgw_xerr_t  err;

    snprintf(body, sizeof(body), "{\"messages\":[{\"role\":\"user\","
             "\"content\":\"x\"}]%s%s}", params[0] ? "," : "", params);

    req = req_out(body, 0, &err);

    if (req == NULL) {
        UNIT_FAIL("%s: refused: %s", what, err.message);
        return;
    }

    v = json_object_get(req, key);

    if (want == NULL) {
        CHECK(v == NULL, "%s: no %s", what, key);

    } else {
        check_json(what, json_incref(v), want);
    }

    json_decref(req);
}


static void
check_bad(const char *body, unsigned stream, const char *needle)
{
    json_t        *req;
    llmgw_xerr_t   err;

    req = req_out(body, stream, &err);
    CHECK(req == NULL, "refused: %s", body);
    json_decref(req);
    check_err(body, &err, 400, "invalid_request_error", needle);
}


static void
test_request_messages(void)
{
    check_out("roles",
        "{\"model\":\"gw-model\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"developer\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Use SI units.\"}]},"
        "{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"assistant\",\"content\":\"Hello\"},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
        "\"text\":\"again, \"},{\"type\":\"refusal\",\"refusal\":\"no\"}]},"
        "{\"role\":\"assistant\",\"content\":null},"
        "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[]},"
        "{\"role\":\"user\",\"name\":\"bob\",\"content\":["
        "{\"type\":\"text\",\"text\":\"What is this?\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"https://example.com/cat.png\",\"detail\":\"low\"}},"
        "{\"type\":\"image_url\",\"image_url\":"
        "\"data:image/png;base64,iVBORw0KGgo=\"}]}]}",
        "{\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"system\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Use SI units.\"}]},"
        "{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"assistant\",\"content\":\"Hello\"},"
        "{\"role\":\"assistant\",\"content\":\"again, no\"},"
        "{\"role\":\"user\",\"content\":["
        "{\"type\":\"text\",\"text\":\"What is this?\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"https://example.com/cat.png\",\"detail\":\"low\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"data:image/png;base64,iVBORw0KGgo=\"}}]}]}");

    {
        json_t        *req;
        llmgw_xerr_t   err;

        req = req_out("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                      "\"stream\":true,\"stream_options\":{\"include_usage\":"
                      "true}}", 1, &err);
        check_json("stream", req,
                   "{\"model\":\"command-a-03-2025\",\"messages\":["
                   "{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true}");
    }

    check_bad("{\"model\":\"m\"}", 0, "messages");
    check_bad("[1]", 0, "JSON object");
    check_bad("{\"messages\":[]}", 0, "messages");
    check_bad("{\"messages\":{\"role\":\"user\"}}", 0, "messages");
    check_bad("{\"messages\":[{\"role\":\"assistant\",\"content\":null}]}", 0,
              "messages must hold");
    check_bad("{\"messages\":[\"hi\"]}", 0, "messages[0]");
    check_bad("{\"messages\":[{\"content\":\"hi\"}]}", 0, "messages[0]");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
              "{\"role\":\"function\",\"name\":\"f\",\"content\":\"1\"}]}", 0,
              "messages[1].role \"function\"");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":5}]}", 0,
              "messages[0].content");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":null}]}", 0,
              "messages[0].content");
    check_bad("{\"messages\":[{\"role\":\"system\",\"content\":["
              "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://a\"}}"
              "]},{\"role\":\"user\",\"content\":\"x\"}]}", 0,
              "messages[0].content[0]: a \"image_url\" part cannot be sent "
              "to Cohere in a system message");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":["
              "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"AA\","
              "\"format\":\"wav\"}}]}]}", 0,
              "messages[0].content[0]: a \"input_audio\" part");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":["
              "{\"type\":\"file\",\"file\":{\"file_id\":\"f\"}}]}]}", 0,
              "\"file\" part");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":["
              "{\"type\":\"text\",\"text\":1}]}]}", 0,
              "messages[0].content[0].text");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":[7]}]}", 0,
              "messages[0].content[0] must be an object");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":["
              "{\"type\":\"image_url\",\"image_url\":{}}]}]}", 0,
              "messages[0].content[0].image_url.url");
    check_bad("{\"messages\":[{\"role\":\"assistant\",\"content\":["
              "{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}", 0,
              "messages[0].content[0]: an assistant message can hold only "
              "text");
    check_bad("{\"messages\":[{\"role\":\"assistant\",\"content\":7}]}", 0,
              "messages[0].content");
}


static void
test_request_tools(void)
{
    check_out("tool calls and results",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
        "{\"role\":\"assistant\",\"content\":\"Let me check.\","
        "\"tool_calls\":["
        "{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_time\",\"arguments\":\"\"}},"
        "{\"id\":\"call_c\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_news\",\"arguments\":{\"n\":2}}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"content\":"
        "\"{\\\"temp\\\":21}\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_b\",\"content\":"
        "[{\"type\":\"text\",\"text\":\"noon\"}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_c\",\"content\":null},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
        "{\"id\":\"call_d\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_time\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_d\",\"content\":\"1\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"description\":\"Weather now\",\"parameters\":"
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
        "\"string\"}},\"required\":[\"city\"]}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}],"
        "\"tool_choice\":\"auto\",\"parallel_tool_calls\":false}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
        "{\"role\":\"assistant\",\"tool_plan\":\"Let me check.\","
        "\"tool_calls\":["
        "{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_time\",\"arguments\":\"{}\"}},"
        "{\"id\":\"call_c\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_news\",\"arguments\":\"{\\\"n\\\":2}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"content\":"
        "\"{\\\"temp\\\":21}\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_b\",\"content\":"
        "[{\"type\":\"text\",\"text\":\"noon\"}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_c\",\"content\":\"\"},"
        "{\"role\":\"assistant\",\"tool_calls\":["
        "{\"id\":\"call_d\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_time\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_d\",\"content\":\"1\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"description\":\"Weather now\",\"parameters\":"
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
        "\"string\"}},\"required\":[\"city\"]}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"get_time\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]}");

#define TOOLS2                                                              \
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","      \
    "\"parameters\":{\"type\":\"object\"}}},{\"type\":\"function\","       \
    "\"function\":{\"name\":\"g\",\"strict\":false}}]"

#define TOOLS2_OUT                                                          \
    "[{\"type\":\"function\",\"function\":{\"name\":\"f\","                \
    "\"parameters\":{\"type\":\"object\"}}},{\"type\":\"function\","       \
    "\"function\":{\"name\":\"g\",\"parameters\":{\"type\":\"object\","    \
    "\"properties\":{}}}}]"

    check_member("tool_choice auto", TOOLS2 ",\"tool_choice\":\"auto\"",
                 "tool_choice", NULL);
    check_member("tool_choice none", TOOLS2 ",\"tool_choice\":\"none\"",
                 "tool_choice", "\"NONE\"");
    check_member("tool_choice required",
                 TOOLS2 ",\"tool_choice\":\"required\"", "tool_choice",
                 "\"REQUIRED\"");
    check_member("tool_choice required: all tools",
                 TOOLS2 ",\"tool_choice\":\"required\"", "tools", TOOLS2_OUT);
    check_member("tool_choice named",
                 TOOLS2 ",\"tool_choice\":{\"type\":\"function\","
                 "\"function\":{\"name\":\"g\"}}", "tool_choice",
                 "\"REQUIRED\"");
    check_member("tool_choice named: that tool only",
                 TOOLS2 ",\"tool_choice\":{\"type\":\"function\","
                 "\"function\":{\"name\":\"g\"}}", "tools",
                 "[{\"type\":\"function\",\"function\":{\"name\":\"g\","
                 "\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]");
    check_member("tool_choice none without tools",
                 "\"tool_choice\":\"none\",\"tools\":[]", "tool_choice",
                 NULL);
    check_member("no tools", "\"tools\":null", "tools", NULL);
    check_member("not strict", TOOLS2, "strict_tools", NULL);
    check_member("strict",
                 "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
                 "\"f\",\"strict\":true,\"parameters\":{\"type\":\"object\","
                 "\"properties\":{},\"additionalProperties\":false}}}]",
                 "strict_tools", "true");

    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              TOOLS2 ",\"tool_choice\":{\"type\":\"function\",\"function\":"
              "{\"name\":\"h\"}}}", 0,
              "tool_choice names the function \"h\", which is not in tools");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              "\"tool_choice\":\"required\"}", 0,
              "tool_choice \"required\" needs tools");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              TOOLS2 ",\"tool_choice\":\"any\"}", 0, "tool_choice must be");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              TOOLS2 ",\"tool_choice\":{\"type\":\"allowed_tools\"}}", 0,
              "tool_choice must be");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              "\"tools\":[{\"type\":\"web_search\"}]}", 0, "tools[0] must be");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              "\"tools\":[{\"type\":\"function\",\"function\":{}}]}", 0,
              "tools[0] must be");
    check_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              "\"tools\":{}}", 0, "tools must be an array");
    check_bad("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":["
              "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}]}", 0,
              "messages[0].tool_calls[0] needs a string id");
    check_bad("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":["
              "{\"id\":\"c\",\"type\":\"function\",\"function\":"
              "{\"arguments\":\"{}\"}}]}]}", 0,
              "messages[0].tool_calls[0] needs a string id and "
              "function.name");
    check_bad("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":["
              "{\"id\":\"c\",\"type\":\"function\",\"function\":"
              "{\"name\":\"f\",\"arguments\":[1]}}]}]}", 0,
              "messages[0].tool_calls[0].function.arguments");
    check_bad("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":{}}]}",
              0, "messages[0].tool_calls must be an array");
    check_bad("{\"messages\":[{\"role\":\"tool\",\"content\":\"1\"}]}", 0,
              "messages[0].tool_call_id");
    check_bad("{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\","
              "\"content\":[{\"type\":\"image_url\",\"image_url\":\"x\"}]}]}",
              0, "messages[0].content[0]: a \"image_url\" part cannot be "
              "sent to Cohere in a tool result");
    check_bad("{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\","
              "\"content\":[{\"type\":\"text\",\"text\":2}]}]}",
              0, "messages[0].content[0].text must be a string");
    check_bad("{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\","
              "\"content\":3}]}", 0, "messages[0].content");
}


static void
test_request_params(void)
{
    check_member("max_completion_tokens first",
                 "\"max_completion_tokens\":100,\"max_tokens\":5",
                 "max_tokens", "100");
    check_member("max_tokens",
                 "\"max_completion_tokens\":null,\"max_tokens\":5",
                 "max_tokens", "5");
    check_member("no max_tokens", "", "max_tokens", NULL);
    check_member("temperature", "\"temperature\":0.5", "temperature", "0.5");
    check_member("temperature over 1", "\"temperature\":1.5", "temperature",
                 "1.0");
    check_member("top_p", "\"top_p\":0.9", "p", "0.9");
    check_member("top_p 1", "\"top_p\":1", "p", "0.99");
    check_member("top_p 0", "\"top_p\":0", "p", "0.01");
    check_member("no top_p", "\"top_p\":null", "p", NULL);
    check_member("top_k", "\"top_k\":40", "k", "40");
    check_member("stop string", "\"stop\":\"END\"", "stop_sequences",
                 "[\"END\"]");
    check_member("stop array", "\"stop\":[\"a\",\"b\"]", "stop_sequences",
                 "[\"a\",\"b\"]");
    check_member("stop empty", "\"stop\":[]", "stop_sequences", NULL);
    check_member("seed", "\"seed\":42", "seed", "42");
    check_member("frequency_penalty", "\"frequency_penalty\":0.25",
                 "frequency_penalty", "0.25");
    check_member("presence_penalty", "\"presence_penalty\":0.5",
                 "presence_penalty", "0.5");
    check_member("json_object",
                 "\"response_format\":{\"type\":\"json_object\"}",
                 "response_format", "{\"type\":\"json_object\"}");
    check_member("json_schema",
                 "\"response_format\":{\"type\":\"json_schema\","
                 "\"json_schema\":{\"name\":\"p\",\"strict\":true,\"schema\":"
                 "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":"
                 "\"string\"}},\"required\":[\"name\"]}}}",
                 "response_format",
                 "{\"type\":\"json_object\",\"json_schema\":{\"type\":"
                 "\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
                 "\"required\":[\"name\"]}}");
    check_member("json_schema without a schema",
                 "\"response_format\":{\"type\":\"json_schema\","
                 "\"json_schema\":{\"name\":\"p\"}}",
                 "response_format", "{\"type\":\"json_object\"}");
    check_member("text format", "\"response_format\":{\"type\":\"text\"}",
                 "response_format", NULL);
    check_member("logprobs", "\"logprobs\":true,\"top_logprobs\":0",
                 "logprobs", "true");
    check_member("logprobs false", "\"logprobs\":false", "logprobs", NULL);
    check_member("n 1", "\"n\":1", "n", NULL);
    check_member("effort none", "\"reasoning_effort\":\"none\"", "thinking",
                 "{\"type\":\"disabled\"}");
    check_member("effort minimal", "\"reasoning_effort\":\"minimal\"",
                 "thinking", "{\"type\":\"enabled\",\"token_budget\":1024}");
    check_member("effort medium", "\"reasoning_effort\":\"medium\"",
                 "thinking", "{\"type\":\"enabled\",\"token_budget\":8192}");
    check_member("effort high", "\"reasoning_effort\":\"high\"", "thinking",
                 "{\"type\":\"enabled\",\"token_budget\":24576}");
    check_member("user dropped", "\"user\":\"u1\"", "user", NULL);
    check_member("metadata dropped", "\"metadata\":{\"a\":\"b\"}",
                 "metadata", NULL);

    check_out("every parameter at once",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"max_tokens\":10,\"temperature\":0,\"top_p\":0.5,\"top_k\":3,"
        "\"stop\":\"S\",\"seed\":7,\"frequency_penalty\":0.1,"
        "\"presence_penalty\":0.2,\"logprobs\":true,\"n\":null,"
        "\"response_format\":{\"type\":\"json_object\"},"
        "\"reasoning_effort\":\"low\"}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"max_tokens\":10,\"temperature\":0,\"p\":0.5,\"k\":3,"
        "\"stop_sequences\":[\"S\"],\"seed\":7,\"frequency_penalty\":0.1,"
        "\"presence_penalty\":0.2,\"logprobs\":true,"
        "\"response_format\":{\"type\":\"json_object\"},"
        "\"thinking\":{\"type\":\"enabled\",\"token_budget\":1024}}");

#define ONE "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"

    check_bad(ONE "\"n\":2}", 0, "n: Cohere answers with one choice only");
    check_bad(ONE "\"n\":\"2\"}", 0, "n must be a positive integer");
    check_bad(ONE "\"n\":0}", 0, "n must be a positive integer");
    check_bad(ONE "\"max_tokens\":1.5}", 0, "max_tokens must be an integer");
    check_bad(ONE "\"max_completion_tokens\":\"9\"}", 0,
              "max_completion_tokens must be an integer");
    check_bad(ONE "\"temperature\":\"hot\"}", 0,
              "temperature must be a number");
    check_bad(ONE "\"top_p\":true}", 0, "top_p must be a number");
    check_bad(ONE "\"top_k\":0.5}", 0, "top_k must be an integer");
    check_bad(ONE "\"seed\":\"1\"}", 0, "seed must be an integer");
    check_bad(ONE "\"presence_penalty\":\"1\"}", 0,
              "presence_penalty must be a number");
    check_bad(ONE "\"stop\":[1]}", 0, "stop must be");
    check_bad(ONE "\"stop\":5}", 0, "stop must be");
    check_bad(ONE "\"response_format\":{\"type\":\"xml\"}}", 0,
              "response_format \"xml\" cannot be sent to Cohere");
    check_bad(ONE "\"response_format\":\"json\"}", 0,
              "response_format must be an object");
    check_bad(ONE "\"logprobs\":true,\"top_logprobs\":3}", 0,
              "top_logprobs");
    check_bad(ONE "\"logprobs\":true,\"stream\":true}", 1,
              "logprobs: the gateway cannot pass");
    check_bad(ONE "\"logprobs\":1}", 0, "logprobs must be a boolean");
    check_bad(ONE "\"reasoning_effort\":\"extreme\"}", 0,
              "reasoning_effort must be");
    check_bad(ONE "\"reasoning_effort\":3}", 0, "reasoning_effort must be");

    {
        json_t        *canon, *req;
        llmgw_xreq_t   opt;
        llmgw_xerr_t   err;

        memset(&opt, 0, sizeof(llmgw_xreq_t));
        opt.model = "bad\xff";
        opt.model_len = 4;
        canon = parse(ONE "\"seed\":1}");
        memset(&err, 0, sizeof(llmgw_xerr_t));
        req = CO->request_out(canon, &opt, &err);
        CHECK(req == NULL, "a model name not UTF-8: refused");
        check_err("a model name not UTF-8", &err, 400,
                  "invalid_request_error", "UTF-8");
        json_decref(req);
        json_decref(canon);
    }
}


/* responses */

static void
check_response(const char *what, json_t *resp, const char *want)
{
    json_t        *canon;
    llmgw_xerr_t   err;

    memset(&err, 0, sizeof(llmgw_xerr_t));
    canon = CO->response_in(resp, &err);

    if (canon == NULL) {
        UNIT_FAIL("%s: refused: %s", what, err.message);
    }

    check_json(what, canon, want);
    json_decref(resp);
}


static void
check_response_err(const char *what, const char *resp, int status,
    const char *type, const char *needle)
{
    json_t        *r, *canon;
    llmgw_xerr_t   err;

    r = parse(resp);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    canon = CO->response_in(r, &err);
    CHECK(canon == NULL, "%s: refused", what);
    json_decref(canon);
    json_decref(r);
    check_err(what, &err, status, type, needle);
}


#define RESP(msg, finish, usage)                                            \
    "{\"id\":\"r1\",\"message\":" msg ",\"finish_reason\":\"" finish "\","  \
    "\"usage\":" usage "}"

#define CANON(msg, finish, usage)                                           \
    "{\"id\":\"r1\",\"object\":\"chat.completion\",\"created\":0,"          \
    "\"model\":\"\",\"choices\":[{\"index\":0,\"message\":" msg ","         \
    "\"finish_reason\":\"" finish "\"}],\"usage\":" usage "}"

#define TEXT_MSG  "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","  \
                  "\"text\":\"Hi\"}]}"
#define TEXT_OUT  "{\"role\":\"assistant\",\"content\":\"Hi\"}"
#define USAGE_B   "{\"billed_units\":{\"input_tokens\":3,"                  \
                  "\"output_tokens\":2},\"tokens\":{\"input_tokens\":70,"   \
                  "\"output_tokens\":2}}"
#define USAGE_OUT "{\"prompt_tokens\":3,\"completion_tokens\":2,"            \
                  "\"total_tokens\":5}"


static void
test_responses(void)
{
    size_t  i;
    char    resp[512], want[512];

    static const char  *finishes[][2] = {
        { "COMPLETE", "stop" }, { "STOP_SEQUENCE", "stop" },
        { "MAX_TOKENS", "length" }, { "TOOL_CALL", "tool_calls" },
        { "NEW_REASON", "stop" }
    };

    check_response("cohere-invoke.json", parse_file("cohere-invoke.json"),
        "{\"id\":\"57bc5def-08e2-43c1-9fb6-d554900ccb36\","
        "\"object\":\"chat.completion\",\"created\":0,\"model\":\"\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\"Hi there! You're Pickle Rick? That's a fun nickname! "
        "Do you have a question or would you like some help with "
        "something?\"},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":28,"
        "\"total_tokens\":32}}");

    check_response("cohere-invoke_tool_calls.json",
        parse_file("cohere-invoke_tool_calls.json"),
        "{\"id\":\"bd32370b-684b-4de3-8f99-8a7653ffd93b\","
        "\"object\":\"chat.completion\",\"created\":0,\"model\":\"\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":null,\"reasoning_content\":\"I will use the Person "
        "tool to create a person with the name Erick and age 27, and then "
        "relay this information to the user.\",\"tool_calls\":[{\"id\":"
        "\"Person_zh3gneaxfh7q\",\"type\":\"function\",\"function\":"
        "{\"name\":\"Person\",\"arguments\":"
        "\"{\\\"age\\\":27,\\\"name\\\":\\\"Erick\\\"}\"}}]},"
        "\"finish_reason\":\"tool_calls\"}],"
        "\"usage\":{\"prompt_tokens\":23,\"completion_tokens\":41,"
        "\"total_tokens\":64}}");

    {
        json_t        *resp, *canon, *msg;
        llmgw_xerr_t   err;

        resp = parse_file("cohere-command_a_reasoning_with_tool_call.json");
        memset(&err, 0, sizeof(llmgw_xerr_t));
        canon = CO->response_in(resp, &err);
        msg = json_object_get(json_array_get(json_object_get(canon,
                                                             "choices"), 0),
                              "message");
        CHECK(json_is_null(json_object_get(msg, "content")),
              "reasoning: no text");
        CHECK(strncmp(llmgw_json_str(msg, "reasoning_content", NULL) ?
                      llmgw_json_str(msg, "reasoning_content", NULL) : "",
                      "Okay, the user is asking for the weather", 40) == 0,
              "reasoning: thinking to reasoning_content");
        CHECK_INT(json_string_length(json_object_get(msg,
                                                     "reasoning_content")),
                  1305, "reasoning: all of the thinking");
        check_json("reasoning: the call",
                   json_incref(json_object_get(msg, "tool_calls")),
                   "[{\"id\":\"get_the_weather_r8d0r2e0kw9s\",\"type\":"
                   "\"function\",\"function\":{\"name\":\"get_the_weather\","
                   "\"arguments\":\"{\\\"location\\\":\\\"Osaka\\\"}\"}}]");
        check_json("reasoning: billed usage, no cache",
                   json_incref(json_object_get(canon, "usage")),
                   "{\"prompt_tokens\":80,\"completion_tokens\":301,"
                   "\"total_tokens\":381}");
        json_decref(canon);
        json_decref(resp);
    }

    check_response("cohere-documents.json: citations left out",
        parse_file("cohere-documents.json"),
        "{\"id\":\"5ed83d88-ba2b-4069-bd72-d2621fde702b\","
        "\"object\":\"chat.completion\",\"created\":0,\"model\":\"\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\"The sky is green.\"},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":13,\"completion_tokens\":5,"
        "\"total_tokens\":18}}");

    check_response("tokens without billed_units, cached",
        parse(RESP(TEXT_MSG, "COMPLETE",
                   "{\"tokens\":{\"input_tokens\":1494.0,"
                   "\"output_tokens\":330},\"cached_tokens\":1008}")),
        CANON(TEXT_OUT, "stop",
              "{\"prompt_tokens\":1494,\"completion_tokens\":330,"
              "\"total_tokens\":1824,\"prompt_tokens_details\":"
              "{\"cached_tokens\":1008,\"cache_write_tokens\":0}}"));

    check_response("cached more than the input",
        parse(RESP(TEXT_MSG, "COMPLETE",
                   "{\"tokens\":{\"input_tokens\":10,\"output_tokens\":1},"
                   "\"cached_tokens\":50}")),
        CANON(TEXT_OUT, "stop",
              "{\"prompt_tokens\":10,\"completion_tokens\":1,"
              "\"total_tokens\":11,\"prompt_tokens_details\":"
              "{\"cached_tokens\":10,\"cache_write_tokens\":0}}"));

    check_response("no usage, bad counts",
        parse("{\"id\":\"r1\",\"message\":" TEXT_MSG ",\"finish_reason\":"
              "\"COMPLETE\",\"usage\":{\"billed_units\":{\"input_tokens\":-1,"
              "\"output_tokens\":\"2\"}}}"),
        CANON(TEXT_OUT, "stop",
              "{\"prompt_tokens\":0,\"completion_tokens\":0,"
              "\"total_tokens\":0}"));

    check_response("thinking, text, tool plan, odd calls, no id",
        parse("{\"message\":{\"role\":\"assistant\",\"content\":["
              "{\"type\":\"thinking\",\"thinking\":\"Hmm. \"},"
              "{\"type\":\"text\",\"text\":\"A\"},{\"type\":\"image\"},"
              "{\"type\":\"text\",\"text\":\"B\"},{\"text\":\"C\"}],"
              "\"tool_plan\":\"Plan.\",\"tool_calls\":["
              "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":"
              "\"f\",\"arguments\":{\"a\":1}}},{\"function\":{}}]},"
              "\"finish_reason\":\"COMPLETE\"}"),
        "{\"id\":\"\",\"object\":\"chat.completion\",\"created\":0,"
        "\"model\":\"\",\"choices\":[{\"index\":0,\"message\":"
        "{\"role\":\"assistant\",\"content\":\"AB\",\"reasoning_content\":"
        "\"Hmm. Plan.\",\"tool_calls\":["
        "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
        "\"arguments\":\"{\\\"a\\\":1}\"}},"
        "{\"id\":\"\",\"type\":\"function\",\"function\":{\"name\":\"\","
        "\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}],"
        "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,"
        "\"total_tokens\":0}}");

    check_response("logprobs",
        parse("{\"id\":\"r1\",\"message\":" TEXT_MSG ",\"finish_reason\":"
              "\"COMPLETE\",\"usage\":" USAGE_B ",\"logprobs\":["
              "{\"text\":\"H\",\"token_ids\":[1],\"logprobs\":[-0.5]},"
              "{\"text\":\"i\xc3\xa9\",\"token_ids\":[2,3],"
              "\"logprobs\":[-0.25,-1]},{\"token_ids\":[]}]}"),
        "{\"id\":\"r1\",\"object\":\"chat.completion\",\"created\":0,"
        "\"model\":\"\",\"choices\":[{\"index\":0,\"message\":" TEXT_OUT ","
        "\"finish_reason\":\"stop\",\"logprobs\":{\"content\":["
        "{\"token\":\"H\",\"logprob\":-0.5,\"bytes\":[72],"
        "\"top_logprobs\":[]},"
        "{\"token\":\"i\xc3\xa9\",\"logprob\":-1.25,\"bytes\":[105,195,169],"
        "\"top_logprobs\":[]},"
        "{\"token\":\"\",\"logprob\":0.0,\"bytes\":[],\"top_logprobs\":[]}"
        "]}}],\"usage\":" USAGE_OUT "}");

    for (i = 0; i < sizeof(finishes) / sizeof(finishes[0]); i++) {
        snprintf(resp, sizeof(resp), RESP(TEXT_MSG, "%s", USAGE_B),
                 finishes[i][0]);
        snprintf(want, sizeof(want), CANON(TEXT_OUT, "%s", USAGE_OUT),
                 finishes[i][1]);
        check_response(finishes[i][0], parse(resp), want);
    }

    check_response("no finish_reason, string content",
        parse("{\"id\":\"r1\",\"message\":{\"content\":\"Hi\"},"
              "\"usage\":" USAGE_B "}"),
        CANON(TEXT_OUT, "stop", USAGE_OUT));

    check_response_err("ERROR", RESP(TEXT_MSG, "ERROR", USAGE_B), 502,
                       "api_error", "The provider's generation failed");
    check_response_err("TIMEOUT", RESP(TEXT_MSG, "TIMEOUT", USAGE_B), 502,
                       "api_error", "The provider's generation timed out");
    check_response_err("an error in a 2xx",
                       "{\"id\":\"e1\",\"message\":\"invalid api token\"}",
                       502, "api_error", "invalid api token");
    check_response_err("not an object", "[1]", 502, "api_error",
                       "not a JSON object");
    check_response_err("no message", "{\"id\":\"r\",\"finish_reason\":"
                       "\"COMPLETE\"}", 502, "api_error", "no message");
    check_response_err("a message string with finish_reason",
                       "{\"message\":\"x\",\"finish_reason\":\"COMPLETE\"}",
                       502, "api_error", "no message");
}


/* error bodies */

static void
check_error_msg(const char *what, const char *body, int status, int rc,
    int want_status, const char *type, const char *message)
{
    int            got;
    json_t        *b;
    llmgw_xerr_t   err;

    b = parse(body);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    got = CO->error_in(b, status, &err);
    json_decref(b);

    CHECK_INT(got, rc, "%s: error_in", what);

    if (rc != 0) {
        return;
    }

    CHECK_INT(err.status, want_status, "%s: status", what);
    CHECK(err.type && strcmp(err.type, type) == 0, "%s: type %s, want %s",
          what, err.type ? err.type : "NULL", type);
    CHECK_STR(err.message, strlen(err.message), message, "%s: message",
              what);
}


static void
test_errors(void)
{
    size_t  i;
    char    body[1024], big[600], want[300];

    static const struct {
        int          status;
        int          want;
        const char  *type;
    } statuses[] = {
        { 400, 400, "invalid_request_error" },
        { 401, 401, "authentication_error" },
        { 402, 402, "permission_error" },
        { 403, 403, "permission_error" },
        { 404, 404, "not_found_error" },
        { 422, 422, "invalid_request_error" },
        { 429, 429, "rate_limit_error" },
        { 498, 400, "invalid_request_error" },
        { 499, 502, "api_error" },
        { 500, 500, "api_error" },
        { 501, 501, "api_error" },
        { 503, 503, "overloaded_error" },
        { 504, 504, "api_error" }
    };

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        snprintf(body, sizeof(body), "{\"id\":\"abc\",\"message\":"
                 "\"status %d\"}", statuses[i].status);
        snprintf(want, sizeof(want), "status %d", statuses[i].status);
        check_error_msg(want, body, statuses[i].status, 0, statuses[i].want,
                        statuses[i].type, want);
    }

    check_error_msg("a 2xx error", "{\"message\":\"internal error\"}", 200, 0,
                    502, "api_error", "internal error");
    check_error_msg("an answer", "{\"id\":\"x\",\"message\":{\"role\":"
                    "\"assistant\"},\"finish_reason\":\"COMPLETE\"}", 200, -1,
                    0, NULL, NULL);
    check_error_msg("a string message with finish_reason",
                    "{\"message\":\"x\",\"finish_reason\":\"ERROR\"}", 200,
                    -1, 0, NULL, NULL);
    check_error_msg("no message", "{\"error\":\"x\"}", 400, -1, 0, NULL,
                    NULL);
    check_error_msg("not an object", "[{\"message\":\"x\"}]", 400, -1, 0,
                    NULL, NULL);
    check_error_msg("an empty message", "{\"message\":\"\"}", 429, 0, 429,
                    "rate_limit_error", "The provider returned an error");

    memset(big, 'a', 254);
    memcpy(big + 254, "\xc3\xa9 and more", 11);
    memset(big + 265, 'b', 100);
    big[365] = '\0';
    snprintf(body, sizeof(body), "{\"message\":\"%s\"}", big);
    memset(want, 'a', 254);
    want[254] = '\0';
    check_error_msg("a long message, cut before a character", body, 400, 0,
                    400, "invalid_request_error", want);
}


/* embeddings */

static void
check_embed_out(const char *what, const char *canon, const char *want)
{
    json_t        *c, *out;
    llmgw_xreq_t   opt;
    llmgw_xerr_t   err;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "embed-v4.0";
    opt.model_len = 10;

    c = parse(canon);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    out = CO->embed_out(c, &opt, &err);
    json_decref(c);

    if (want == NULL) {
        CHECK(out == NULL, "%s: refused", what);
        json_decref(out);
        CHECK_INT(err.status, 400, "%s: status", what);
        return;
    }

    check_json(what, out, want);
}


static void
test_embeddings(void)
{
    size_t         i;
    json_t        *resp, *out, *data;
    llmgw_xerr_t   err;

    static const char  *bad[][2] = {
        { "{\"input\":[[1,2,3]]}", "input[0]: Cohere embeds text only" },
        { "{\"input\":[1,2,3]}", "input[0]: Cohere embeds text only" },
        { "{\"input\":[\"a\",[1]]}", "input[1]: Cohere embeds text only" },
        { "{\"input\":[]}", "input must be" },
        { "{\"input\":5}", "input must be" },
        { "{}", "input must be" },
        { "{\"input\":\"a\",\"dimensions\":0}", "dimensions" },
        { "{\"input\":\"a\",\"dimensions\":\"8\"}", "dimensions" },
        { "{\"input\":\"a\",\"input_type\":1}", "input_type" },
        { "{\"input\":\"a\",\"truncate\":true}", "truncate" }
    };

    check_embed_out("one text",
        "{\"model\":\"emb\",\"input\":\"hello\",\"user\":\"u\"}",
        "{\"model\":\"embed-v4.0\",\"texts\":[\"hello\"],"
        "\"input_type\":\"search_document\",\"embedding_types\":[\"float\"]}");

    check_embed_out("texts, base64, options",
        "{\"model\":\"emb\",\"input\":[\"a\",\"b\"],"
        "\"encoding_format\":\"base64\",\"dimensions\":256,"
        "\"input_type\":\"search_query\",\"truncate\":\"END\"}",
        "{\"model\":\"embed-v4.0\",\"texts\":[\"a\",\"b\"],"
        "\"input_type\":\"search_query\",\"embedding_types\":[\"float\"],"
        "\"output_dimension\":256,\"truncate\":\"END\"}");

    check_embed_out("nulls",
        "{\"input\":[\"a\"],\"dimensions\":null,\"input_type\":null,"
        "\"truncate\":null}",
        "{\"model\":\"embed-v4.0\",\"texts\":[\"a\"],"
        "\"input_type\":\"search_document\",\"embedding_types\":[\"float\"]}");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t        *c;
        llmgw_xreq_t   opt;

        memset(&opt, 0, sizeof(llmgw_xreq_t));
        opt.model = "embed-v4.0";
        opt.model_len = 10;
        c = parse(bad[i][0]);
        memset(&err, 0, sizeof(llmgw_xerr_t));
        out = CO->embed_out(c, &opt, &err);
        CHECK(out == NULL, "embed_out %s refused", bad[i][0]);
        json_decref(out);
        json_decref(c);
        check_err(bad[i][0], &err, 400, "invalid_request_error", bad[i][1]);
    }

    /* the recorded answer: two texts, 384 floats each */
    resp = parse_file("cohere-embedding_multiple_documents.json");
    memset(&err, 0, sizeof(llmgw_xerr_t));
    out = CO->embed_in(resp, "embed-english-light-v3.0", &err);
    data = json_object_get(out, "data");
    CHECK_INT(json_array_size(data), 2, "embed_in: two embeddings");
    CHECK_INT(json_array_size(json_object_get(json_array_get(data, 1),
                                              "embedding")), 384,
              "embed_in: 384 values");
    CHECK(json_equal(json_object_get(json_array_get(data, 1), "embedding"),
                     json_array_get(json_object_get(json_object_get(resp,
                                                    "embeddings"), "float"),
                                    1)),
          "embed_in: the values as they were");
    CHECK_INT(json_integer_value(json_object_get(json_array_get(data, 1),
                                                 "index")), 1,
              "embed_in: index");
    json_object_del(out, "data");
    check_json("embed_in: the list", out,
               "{\"object\":\"list\",\"model\":\"embed-english-light-v3.0\","
               "\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}");
    json_decref(resp);

    resp = parse("{\"id\":\"x\",\"embeddings\":[[0.5,-1],[2]],"
                 "\"texts\":[\"a\",\"b\"]}");
    out = CO->embed_in(resp, NULL, &err);
    check_json("embed_in: embeddings_floats, no usage", out,
               "{\"object\":\"list\",\"data\":["
               "{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.5,-1]},"
               "{\"object\":\"embedding\",\"index\":1,\"embedding\":[2]}],"
               "\"model\":\"\",\"usage\":{\"prompt_tokens\":0,"
               "\"total_tokens\":0}}");
    json_decref(resp);

    {
        static const char  *bad_in[][2] = {
            { "{}", "no float embeddings" },
            { "[]", "no float embeddings" },
            { "{\"embeddings\":{\"int8\":[[1]]}}", "no float embeddings" },
            { "{\"embeddings\":{\"float\":[[1,\"2\"]]}}", "embedding 0" },
            { "{\"embeddings\":{\"float\":[[1],{}]}}", "embedding 1" },
            { "{\"message\":\"too many texts\"}", "too many texts" }
        };

        for (i = 0; i < sizeof(bad_in) / sizeof(bad_in[0]); i++) {
            resp = parse(bad_in[i][0]);
            memset(&err, 0, sizeof(llmgw_xerr_t));
            out = CO->embed_in(resp, "m", &err);
            CHECK(out == NULL, "embed_in %s refused", bad_in[i][0]);
            json_decref(out);
            json_decref(resp);
            check_err(bad_in[i][0], &err, 502, "api_error", bad_in[i][1]);
        }
    }
}


/* streams, through xstream_feed.h; the reference: what the fixture says,
 * read by jansson line by line */

typedef struct {
    llmgw_out_t   text;
    llmgw_out_t   plan;
    llmgw_out_t   args;
    char          id[64];
} ref_t;


static void
reference(const unsigned char *p, size_t n, ref_t *ref)
{
    json_t      *ev, *msg;
    const char  *line, *end, *s, *type;

    memset(ref, 0, sizeof(ref_t));

    for (line = (const char *) p; line < (const char *) p + n;
         line = end + 1)
    {
        end = memchr(line, '\n', (const char *) p + n - line);
        end = end ? end : (const char *) p + n;

        if (end - line < 6 || strncmp(line, "data: {", 7) != 0) {
            continue;
        }

        ev = json_loadb(line + 6, end - line - 6, 0, NULL);
        type = str0(ev, "type");
        msg = json_object_get(json_object_get(ev, "delta"), "message");

        if (strcmp(type, "message-start") == 0) {
            snprintf(ref->id, sizeof(ref->id), "%s", str0(ev, "id"));

        } else if (strcmp(type, "content-delta") == 0) {
            llmgw_out_cstr(&ref->text,
                           str0(json_object_get(msg, "content"), "text"));

        } else if (strcmp(type, "tool-plan-delta") == 0) {
            llmgw_out_cstr(&ref->plan, str0(msg, "tool_plan"));

        } else if (strcmp(type, "tool-call-delta") == 0) {
            s = str0(json_object_get(json_object_get(msg, "tool_calls"),
                                     "function"), "arguments");
            llmgw_out_cstr(&ref->args, s);
        }

        json_decref(ev);
    }
}


static void
ref_free(ref_t *ref)
{
    llmgw_out_free(&ref->text);
    llmgw_out_free(&ref->plan);
    llmgw_out_free(&ref->args);
}


typedef struct {
    const char  *file;
    size_t       text_len;    /* of the reference's text, to check it */
    const char  *tool_id;
    const char  *tool_name;
    const char  *finish;      /* NULL: the stream ends in an error */
    const char  *stop_reason;
    const char  *error;
    int64_t      prompt;
    int64_t      completion;
    int64_t      cached;
    const char  *seq;
} stream_case_t;


static const stream_case_t  cohere_streams[] = {

    { "cohere-astream.sse", 182, NULL, NULL, "stop", "end_turn", NULL,
      4, 45, 0,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },

    { "cohere-streaming_tool_call.sse", 0, "Person_2fnrphbsnr66", "Person",
      "tool_calls", "tool_use", NULL, 23, 41, 0,
      "message_start start(thinking,0) delta(0) stop(0) start(tool_use,1) "
      "delta(1) stop(1) message_delta message_stop" },

    { "cohere-sql_agent.sse", 0, NULL, NULL, NULL, NULL,
      "your request resulted in an invalid tool generation. Try updating "
      "the messages or tool definitions", -1, -1, -1,
      "message_start start(thinking,0) delta(0) error" },
};


static void
check_openai_out(const char *what, const llmgw_out_t *out,
    const stream_case_t *c, const ref_t *ref)
{
    oai_t  o;

    oai_read(&o, out);

    CHECK_INT(o.bad, 0, "%s: well-formed chunks", what);
    CHECK_INT(o.after_end, 0, "%s: nothing after the end", what);
    CHECK_MEM(o.text.data, o.text.len, ref->text.data, ref->text.len,
              "%s: text", what);
    CHECK_INT(ref->text.len, c->text_len, "%s: the reference's text", what);
    CHECK_MEM(o.reasoning.data, o.reasoning.len, ref->plan.data,
              ref->plan.len, "%s: tool plan to reasoning_content", what);
    CHECK_STR(o.chunk_id, strlen(o.chunk_id), ref->id, "%s: chunk id", what);
    CHECK_INT(o.tools, c->tool_id ? 1 : 0, "%s: tool calls", what);

    if (c->tool_id) {
        CHECK(strcmp(o.id[0], c->tool_id) == 0, "%s: tool id %s", what,
              o.id[0]);
        CHECK(strcmp(o.name[0], c->tool_name) == 0, "%s: tool name %s",
              what, o.name[0]);
        CHECK_MEM(o.args[0].data, o.args[0].len, ref->args.data,
                  ref->args.len, "%s: arguments", what);
    }

    if (c->finish == NULL) {
        CHECK_INT(o.errors, 1, "%s: an error", what);
        CHECK_INT(o.done, 0, "%s: no [DONE]", what);
        CHECK_INT(o.finishes, 0, "%s: no finish", what);
        CHECK(strcmp(o.error, "api_error") == 0, "%s: error type %s", what,
              o.error);
        CHECK(strcmp(o.error_msg, c->error) == 0, "%s: error \"%s\"", what,
              o.error_msg);
        oai_free(&o);
        return;
    }

    CHECK_INT(o.errors, 0, "%s: no error (%s)", what, o.error_msg);
    CHECK_INT(o.done, 1, "%s: one [DONE]", what);
    CHECK_INT(o.finishes, 1, "%s: one finish", what);
    CHECK(strcmp(o.finish, c->finish) == 0, "%s: finish_reason %s", what,
          o.finish);
    CHECK_INT(o.usages, 1, "%s: one usage chunk", what);
    CHECK_INT(usage_of(o.usage, "prompt_tokens"), c->prompt,
              "%s: prompt_tokens", what);
    CHECK_INT(usage_of(o.usage, "completion_tokens"), c->completion,
              "%s: completion_tokens", what);
    CHECK_INT(usage_of(o.usage, "total_tokens"), c->prompt + c->completion,
              "%s: total_tokens", what);
    CHECK(json_object_get(o.usage, "prompt_tokens_details") == NULL,
          "%s: no cached tokens beside billed ones", what);

    oai_free(&o);
}


static void
check_anthropic_out(const char *what, const llmgw_out_t *out,
    const stream_case_t *c, const ref_t *ref)
{
    ant_t    a;
    json_t  *usage;

    ant_read(&a, out);

    CHECK_INT(a.bad, 0, "%s: well-formed events", what);
    CHECK(strcmp(a.seq, c->seq) == 0, "%s: events\n    got  %s\n    want %s",
          what, a.seq, c->seq);
    CHECK_MEM(a.text.data, a.text.len, ref->text.data, ref->text.len,
              "%s: text", what);
    CHECK_MEM(a.thinking.data, a.thinking.len, ref->plan.data, ref->plan.len,
              "%s: tool plan to thinking", what);
    CHECK_MEM(a.args.data, a.args.len, ref->args.data, ref->args.len,
              "%s: partial_json", what);
    CHECK(strcmp(str0(a.start, "id"), ref->id) == 0, "%s: message id %s",
          what, str0(a.start, "id"));
    CHECK(strcmp(str0(a.start, "model"), "client-model") == 0, "%s: model",
          what);

    if (c->tool_id) {
        CHECK(strcmp(str0(a.tool, "id"), c->tool_id) == 0,
              "%s: tool_use id", what);
        CHECK(strcmp(str0(a.tool, "name"), c->tool_name) == 0,
              "%s: tool_use name", what);
    }

    if (c->finish == NULL) {
        CHECK(a.error != NULL && strcmp(str0(a.error, "message"), c->error)
                                 == 0,
              "%s: the error", what);
        ant_free(&a);
        return;
    }

    CHECK(strcmp(str0(json_object_get(a.delta, "delta"), "stop_reason"),
                 c->stop_reason) == 0, "%s: stop_reason", what);

    usage = json_object_get(a.delta, "usage");
    CHECK_INT(usage_of(usage, "output_tokens"), c->completion,
              "%s: output_tokens", what);
    CHECK_INT(usage_of(usage, "input_tokens"), c->prompt,
              "%s: input_tokens", what);

    ant_free(&a);
}


static void
test_stream_fixtures(void)
{
    size_t          i, n;
    char            what[128];
    ref_t           ref;
    llmgw_out_t     whole;
    unsigned char  *p;

    for (i = 0; i < sizeof(cohere_streams) / sizeof(cohere_streams[0]); i++)
    {
        p = unit_read_file(fixtures, cohere_streams[i].file, &n);
        reference(p, n, &ref);

        snprintf(what, sizeof(what), "%s to openai", cohere_streams[i].file);
        run_splits(what, &whole, CO, OAI, p, n);
        check_openai_out(what, &whole, &cohere_streams[i], &ref);
        llmgw_out_free(&whole);

        snprintf(what, sizeof(what), "%s to anthropic",
                 cohere_streams[i].file);
        run_splits(what, &whole, CO, ANT, p, n);
        check_anthropic_out(what, &whole, &cohere_streams[i], &ref);
        llmgw_out_free(&whole);

        ref_free(&ref);
        free(p);
    }
}


/* events without names: the data's type says what they are */

static void
test_unnamed_events(void)
{
    size_t          i, n;
    unsigned char  *p;

    for (i = 0; i < sizeof(cohere_streams) / sizeof(cohere_streams[0]); i++)
    {
        p = unit_read_file(fixtures, cohere_streams[i].file, &n);
        check_unnamed(cohere_streams[i].file, CO, p, n);
        free(p);
    }
}


/*
 * Every cut before the end of message-end's data ends the client's stream
 * in one error event, after what the whole stream gives up to there and
 * before its finish; from there on, the output is the whole stream's.
 */

/* the first needle in o from from on, or (size_t) -1 */

static size_t
find(const llmgw_out_t *o, size_t from, const char *needle)
{
    size_t  i, n;

    n = strlen(needle);

    for (i = from; i + n <= o->len; i++) {
        if (memcmp(o->data + i, needle, n) == 0) {
            return i;
        }
    }

    return (size_t) -1;
}


/* 0 when got is right for a stream cut before its end (cut) or not: one
 * error event of api_error, the last, after what the whole stream gives
 * before its finish; or the whole stream's output */

static int
check_cut(const llmgw_out_t *got, const llmgw_out_t *whole, unsigned cut,
    size_t finish, const char *error)
{
    size_t  at, n;

    if (!cut) {
        return (got->len == whole->len
                && memcmp(got->data, whole->data, got->len) == 0) ? 0 : -1;
    }

    n = strlen(error);

    for (at = got->len; at > 0; at--) {
        if (at - 1 + n <= got->len
            && memcmp(got->data + at - 1, error, n) == 0)
        {
            break;
        }
    }

    if (at-- == 0 || at > finish || memcmp(got->data, whole->data, at) != 0
        || find(got, at, "api_error") == (size_t) -1)
    {
        return -1;
    }

    return find(got, at, "\n\n") + 2 == got->len ? 0 : -1;
}


static void
test_cut_streams(void)
{
    size_t          i, n, c, end, fin_oai, fin_ant;
    unsigned        bad_oai, bad_ant;
    llmgw_out_t     got, whole_oai, whole_ant;
    const char     *me;
    unsigned char  *p;

    for (i = 0; i < sizeof(cohere_streams) / sizeof(cohere_streams[0]); i++)
    {
        if (cohere_streams[i].finish == NULL) {
            continue;
        }

        p = unit_read_file(fixtures, cohere_streams[i].file, &n);

        me = strstr((char *) p, "data: {\"type\":\"message-end\"");
        end = (size_t) (strchr(me, '\n') - (char *) p);
        bad_oai = 0;
        bad_ant = 0;

        run_stream(&whole_oai, CO, OAI, p, n, n, 0);
        run_stream(&whole_ant, CO, ANT, p, n, n, 0);
        fin_oai = find(&whole_oai, 0, "\"finish_reason\":\"");
        fin_ant = find(&whole_ant, 0, "event: message_delta");
        CHECK(fin_oai < whole_oai.len && fin_ant < whole_ant.len,
              "%s: whole streams finish", cohere_streams[i].file);

        for (c = 0; c <= n; c++) {
            run_stream(&got, CO, OAI, p, c, c, 0);

            if (check_cut(&got, &whole_oai, c < end, fin_oai,
                          "data: {\"error\":")
                != 0 && bad_oai++ == 0)
            {
                UNIT_FAIL("%s: cut at %zu to openai: %.*s",
                          cohere_streams[i].file, c, (int) got.len,
                          got.data);
            }

            llmgw_out_free(&got);

            run_stream(&got, CO, ANT, p, c, c, 0);

            if (check_cut(&got, &whole_ant, c < end, fin_ant,
                          "event: error\n")
                != 0 && bad_ant++ == 0)
            {
                UNIT_FAIL("%s: cut at %zu to anthropic: %.*s",
                          cohere_streams[i].file, c, (int) got.len,
                          got.data);
            }

            llmgw_out_free(&got);
        }

        CHECK_INT(bad_oai, 0, "%s: every cut stream ends in an OpenAI "
                  "error chunk, every whole one in [DONE]",
                  cohere_streams[i].file);
        CHECK_INT(bad_ant, 0, "%s: every cut stream ends in an Anthropic "
                  "error event, every whole one in message_stop",
                  cohere_streams[i].file);

        llmgw_out_free(&whole_oai);
        llmgw_out_free(&whole_ant);
        free(p);
    }
}


#define START  "event: message-start\ndata: {\"id\":\"m-1\",\"type\":"      \
               "\"message-start\",\"delta\":{\"message\":{\"role\":"        \
               "\"assistant\"}}}\n\n"

#define END(finish)                                                         \
    "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":"        \
    "{\"finish_reason\":\"" finish "\",\"usage\":{\"billed_units\":"        \
    "{\"input_tokens\":5,\"output_tokens\":7}}}}\n\n"

#define TOOL_START(index, id, name, args)                                   \
    "event: tool-call-start\ndata: {\"type\":\"tool-call-start\","          \
    "\"index\":" index ",\"delta\":{\"message\":{\"tool_calls\":{\"id\":"   \
    "\"" id "\",\"type\":\"function\",\"function\":{\"name\":\"" name "\"," \
    "\"arguments\":\"" args "\"}}}}}\n\n"

#define TOOL_DELTA(index, args)                                             \
    "event: tool-call-delta\ndata: {\"type\":\"tool-call-delta\"" index     \
    ",\"delta\":{\"message\":{\"tool_calls\":{\"function\":{\"arguments\":" \
    "\"" args "\"}}}}}\n\n"


static void
check_oai_error(const char *what, const char *in, const char *type,
    const char *msg)
{
    oai_t        o;
    llmgw_out_t  got;

    run_text(&got, CO, OAI, in);
    oai_read(&o, &got);
    CHECK(o.errors == 1 && o.done == 0 && o.finishes == 0 && o.bad == 0
          && o.after_end == 0, "%s: an error and nothing after: %.*s", what,
          (int) got.len, got.data);
    CHECK(strcmp(o.error, type) == 0, "%s: type %s", what, o.error);
    CHECK(strcmp(o.error_msg, msg) == 0, "%s: message \"%s\"", what,
              o.error_msg);
    oai_free(&o);
    llmgw_out_free(&got);
}


static void
test_stream_events(void)
{
    oai_t        o;
    ant_t        a;
    llmgw_out_t  got;

    /* thinking in reasoning models; text in content-start; citations,
     * debug events and unknown ones ignored; comments */
    run_text(&got, CO, OAI, START
             ": keep-alive\n\n"
             "event: content-start\ndata: {\"type\":\"content-start\","
             "\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":"
             "\"thinking\",\"thinking\":\"\"}}}}\n\n"
             "event: content-delta\ndata: {\"type\":\"content-delta\","
             "\"index\":0,\"delta\":{\"message\":{\"content\":{\"thinking\":"
             "\"Let me see.\"}}}}\n\n"
             "event: content-end\ndata: {\"type\":\"content-end\","
             "\"index\":0}\n\n"
             "event: content-start\ndata: {\"type\":\"content-start\","
             "\"index\":1,\"delta\":{\"message\":{\"content\":{\"type\":"
             "\"text\",\"text\":\"He\"}}}}\n\n"
             "event: content-delta\ndata: {\"type\":\"content-delta\","
             "\"index\":1,\"delta\":{\"message\":{\"content\":{\"text\":"
             "\"llo\"}}},\"logprobs\":{\"token_ids\":[1]}}\n\n"
             "event: citation-start\ndata: {\"type\":\"citation-start\","
             "\"index\":0,\"delta\":{\"message\":{\"citations\":{\"start\":0,"
             "\"end\":5,\"text\":\"Hello\",\"sources\":[]}}}}\n\n"
             "event: citation-end\ndata: {\"type\":\"citation-end\","
             "\"index\":0}\n\n"
             "event: debug\ndata: {\"type\":\"debug\",\"prompt\":\"x\"}\n\n"
             "event: brand-new\ndata: {\"type\":\"brand-new\"}\n\n"
             "event: content-end\ndata: {\"type\":\"content-end\","
             "\"index\":1}\n\n"
             END("COMPLETE")
             "data: [DONE]\n\n");
    oai_read(&o, &got);
    CHECK_INT(o.bad + o.errors + o.after_end, 0, "thinking: no error");
    CHECK_STR(o.reasoning.data, o.reasoning.len, "Let me see.",
              "thinking to reasoning_content");
    CHECK_STR(o.text.data, o.text.len, "Hello", "text");
    CHECK(strcmp(o.finish, "stop") == 0, "thinking: stop");
    CHECK(strcmp(o.chunk_id, "m-1") == 0, "thinking: the id");
    CHECK_INT(usage_of(o.usage, "prompt_tokens"), 5, "thinking: prompt");
    CHECK_INT(usage_of(o.usage, "completion_tokens"), 7,
              "thinking: completion");
    oai_free(&o);
    llmgw_out_free(&got);

    /* two calls: indexes mapped to 0 and 1, a repeated start ignored, a
     * delta without an index to the last call, one to no call ignored */
    run_text(&got, CO, OAI, START
             TOOL_START("3", "c-a", "f", "{\\\"x\\\":")
             TOOL_DELTA(",\"index\":3", "1}")
             TOOL_START("3", "c-z", "z", "oops")
             TOOL_DELTA(",\"index\":4", "lost")
             "event: tool-call-end\ndata: {\"type\":\"tool-call-end\","
             "\"index\":3}\n\n"
             TOOL_START("7", "c-b", "g", "")
             TOOL_DELTA("", "{}")
             END("COMPLETE"));
    oai_read(&o, &got);
    CHECK_INT(o.bad + o.errors, 0, "two calls: no error");
    CHECK_INT(o.tools, 2, "two calls");
    CHECK(strcmp(o.id[0], "c-a") == 0 && strcmp(o.name[0], "f") == 0,
          "two calls: the first");
    CHECK(strcmp(o.id[1], "c-b") == 0 && strcmp(o.name[1], "g") == 0,
          "two calls: the second");
    CHECK_STR(o.args[0].data, o.args[0].len, "{\"x\":1}",
              "two calls: first arguments, from the start too");
    CHECK_STR(o.args[1].data, o.args[1].len, "{}",
              "two calls: second arguments");
    CHECK(strcmp(o.finish, "tool_calls") == 0,
          "two calls: COMPLETE with calls is tool_calls");
    oai_free(&o);
    llmgw_out_free(&got);

    run_text(&got, CO, ANT, START
             TOOL_START("0", "c-a", "f", "")
             TOOL_DELTA(",\"index\":0", "{}")
             END("TOOL_CALL"));
    ant_read(&a, &got);
    CHECK(a.bad == 0 && strcmp(a.seq, "message_start start(tool_use,0) "
                               "delta(0) stop(0) message_delta "
                               "message_stop") == 0,
          "a call to anthropic: %s", a.seq);
    CHECK(strcmp(str0(a.start, "id"), "m-1") == 0, "anthropic: the id");
    ant_free(&a);
    llmgw_out_free(&got);

    /* finishes; usage of tokens only, cached */
    run_text(&got, CO, OAI, START
             "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":"
             "{\"finish_reason\":\"MAX_TOKENS\",\"usage\":{\"tokens\":"
             "{\"input_tokens\":100.0,\"output_tokens\":3},"
             "\"cached_tokens\":60}}}\n\n");
    oai_read(&o, &got);
    CHECK(o.errors == 0 && o.done == 1 && strcmp(o.finish, "length") == 0,
          "MAX_TOKENS: length");
    CHECK_INT(usage_of(o.usage, "prompt_tokens"), 100, "tokens: prompt");
    CHECK_INT(usage_of(json_object_get(o.usage, "prompt_tokens_details"),
                       "cached_tokens"), 60, "tokens: cached");
    oai_free(&o);
    llmgw_out_free(&got);

    run_text(&got, CO, OAI, START "event: message-end\ndata: {\"type\":"
             "\"message-end\",\"delta\":{}}\n\n");
    oai_read(&o, &got);
    CHECK(o.errors == 0 && o.done == 1 && strcmp(o.finish, "stop") == 0,
          "no finish_reason: stop");
    CHECK_INT(o.usages, 1, "no usage: a usage chunk still");
    CHECK_INT(usage_of(o.usage, "total_tokens"), 0, "no usage: zeros");
    oai_free(&o);
    llmgw_out_free(&got);

    run_text(&got, CO, OAI, END("STOP_SEQUENCE"));
    oai_read(&o, &got);
    CHECK(o.errors == 0 && o.done == 1 && strcmp(o.finish, "stop") == 0,
          "STOP_SEQUENCE without message-start: stop");
    oai_free(&o);
    llmgw_out_free(&got);

    /* failures */
    check_oai_error("TIMEOUT", START END("TIMEOUT"), "api_error",
                    "The provider's generation timed out");
    check_oai_error("ERROR without a message", START END("ERROR"),
                    "api_error", "The provider's generation failed");
    check_oai_error("an error beside COMPLETE",
                    START "data: {\"type\":\"message-end\",\"delta\":"
                    "{\"finish_reason\":\"COMPLETE\",\"error\":\"boom\"}}\n\n",
                    "api_error", "boom");
    check_oai_error("an error body in the stream",
                    START "data: {\"id\":\"e\",\"message\":\"too many "
                    "tokens\"}\n\n" END("COMPLETE"),
                    "api_error", "too many tokens");
    check_oai_error("an error event",
                    START "event: error\ndata: {\"type\":\"error\"}\n\n",
                    "api_error", "The provider's stream reported an error");
    check_oai_error("malformed JSON",
                    START "event: content-delta\ndata: {\"type\":\n\n"
                    END("COMPLETE"),
                    "api_error", "The provider's stream could not be read");
    check_oai_error("data not an object",
                    START "event: content-delta\ndata: [1]\n\n"
                    END("COMPLETE"),
                    "api_error", "The provider's stream could not be read");
    check_oai_error("[DONE] before message-end",
                    START "data: [DONE]\n\n", "api_error",
                    "The provider's stream ended before it finished");
    check_oai_error("nothing", "", "api_error",
                    "The provider's stream ended before it finished");
    check_oai_error("not SSE", "{\"message\":\"oops\"}", "api_error",
                    "The provider's stream ended before it finished");
    check_oai_error("a tool index past what the gateway maps",
                    START TOOL_START("256", "c", "f", "") END("TOOL_CALL"),
                    "api_error", "The provider's answer has more tool calls "
                    "than the gateway can translate");
    check_oai_error("a negative tool index",
                    START TOOL_START("-1", "c", "f", "") END("TOOL_CALL"),
                    "api_error", "The provider's stream could not be read");
    check_oai_error("a tool index not a number",
                    START TOOL_START("\"0\"", "c", "f", "") END("TOOL_CALL"),
                    "api_error", "The provider's stream could not be read");

    /* an error to an Anthropic client */
    run_text(&got, CO, ANT, START END("TIMEOUT"));
    ant_read(&a, &got);
    CHECK(a.bad == 0 && strcmp(a.seq, "error") == 0
          && strcmp(str0(a.error, "message"),
                    "The provider's generation timed out") == 0,
          "TIMEOUT to anthropic: %s", a.seq);
    ant_free(&a);
    llmgw_out_free(&got);
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }

    test_request_messages();
    test_request_tools();
    test_request_params();
    test_responses();
    test_errors();
    test_embeddings();
    test_stream_fixtures();
    test_unnamed_events();
    test_cut_streams();
    test_stream_events();

    UNIT_DONE("unit_cohere");
}
