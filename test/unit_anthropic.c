/*
 * Unit tests of src/providers/llmgw_anthropic_xlate.c: requests and
 * responses both ways, provider error bodies, and streams: every recorded
 * Anthropic stream to OpenAI chunks and to Anthropic events, split at
 * every byte, OpenAI streams to Anthropic events, cut streams, errors.
 */

#include "xstream_feed.h"


static const char  *fixtures = "fixtures";

#define ANT  (&llmgw_format_anthropic)
#define OAI  (&llmgw_format_openai)


/* client side requests */

static json_t *
req_in(const char *body, llmgw_xerr_t *err)
{
    json_t  *req, *canon;

    req = parse(body);
    memset(err, 0, sizeof(llmgw_xerr_t));
    canon = ANT->request_in(req, err);
    json_decref(req);

    return canon;
}


static void
check_in(const char *what, const char *body, const char *want)
{
    json_t        *canon;
    llmgw_xerr_t   err;

    canon = req_in(body, &err);
    CHECK(canon != NULL, "%s: refused: %s", what, err.message);
    check_json(what, canon, want);
}


/* the member key of the canonical request */

static void
check_in_member(const char *what, const char *body, const char *key,
    const char *want)
{
    json_t        *canon;
    llmgw_xerr_t   err;

    canon = req_in(body, &err);
    CHECK(canon != NULL, "%s: refused: %s", what, err.message);

    if (canon == NULL) {
        return;
    }

    if (want == NULL) {
        CHECK(json_object_get(canon, key) == NULL, "%s: has %s", what, key);

    } else {
        check_json(what, json_incref(json_object_get(canon, key)), want);
    }

    json_decref(canon);
}


static void
check_in_bad(const char *body, const char *needle)
{
    json_t        *canon;
    llmgw_xerr_t   err;

    canon = req_in(body, &err);
    CHECK(canon == NULL, "request_in took %s", body);
    json_decref(canon);
    check_err(body, &err, 400, "invalid_request_error", needle);
}


#define MSG  "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]"

static void
test_request_in(void)
{
    check_in("request_in: everything",
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,"
        "\"system\":[{\"type\":\"text\",\"text\":\"You are a helper.\","
        "\"cache_control\":{\"type\":\"ephemeral\"}},"
        "{\"type\":\"text\",\"text\":\"Be brief.\"}],"
        "\"messages\":["
        "{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"},"
        "{\"role\":\"assistant\",\"content\":["
        "{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"s\"},"
        "{\"type\":\"redacted_thinking\",\"data\":\"x\"},"
        "{\"type\":\"text\",\"text\":\"Let me check.\"},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\","
        "\"input\":{\"city\":\"Paris\",\"days\":[1,2]}}]},"
        "{\"role\":\"user\",\"content\":["
        "{\"type\":\"text\",\"text\":\"Here:\"},"
        "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":["
        "{\"type\":\"text\",\"text\":\"18C\"},"
        "{\"type\":\"text\",\"text\":\"sunny\"}]},"
        "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\","
        "\"content\":\"boom\",\"is_error\":true},"
        "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_3\"},"
        "{\"type\":\"text\",\"text\":\"And Rome?\"}]}],"
        "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\","
        "\"input_schema\":{\"type\":\"object\",\"properties\":"
        "{\"city\":{\"type\":\"string\"}}},"
        "\"cache_control\":{\"type\":\"ephemeral\"}},"
        "{\"type\":\"custom\",\"name\":\"noschema\"}],"
        "\"tool_choice\":{\"type\":\"any\","
        "\"disable_parallel_tool_use\":true},"
        "\"stop_sequences\":[\"END\"],\"temperature\":0.2,\"top_p\":0.9,"
        "\"top_k\":5,\"metadata\":{\"user_id\":\"u-42\"},\"stream\":true,"
        "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":4096},"
        "\"service_tier\":\"auto\",\"unknown_field\":{\"a\":1}}",

        "{\"model\":\"claude-sonnet-4-5\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"You are a helper.\\n\\n"
        "Be brief.\"},"
        "{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"},"
        "{\"role\":\"assistant\",\"content\":\"Let me check.\","
        "\"tool_calls\":[{\"id\":\"toolu_1\",\"type\":\"function\","
        "\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"days\\\":[1,2]}\"}}"
        "]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"toolu_1\","
        "\"content\":\"18C\\nsunny\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"toolu_2\","
        "\"content\":\"Error: boom\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"toolu_3\",\"content\":\"\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Here:\"},{\"type\":\"text\",\"text\":\"And Rome?\"}]}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{"
        "\"name\":\"get_weather\",\"description\":\"Weather\","
        "\"parameters\":{\"type\":\"object\",\"properties\":"
        "{\"city\":{\"type\":\"string\"}}}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"noschema\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{}}}}],"
        "\"tool_choice\":\"required\",\"parallel_tool_calls\":false,"
        "\"max_tokens\":1024,\"temperature\":0.2,\"top_p\":0.9,"
        "\"stop\":[\"END\"],\"user\":\"u-42\",\"stream\":true,"
        "\"stream_options\":{\"include_usage\":true},"
        "\"reasoning_effort\":\"medium\"}");

    check_in("request_in: system string, assistant text only",
        "{\"model\":\"m\",\"system\":\"Be kind.\",\"messages\":["
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Hel\"},{\"type\":\"text\",\"text\":\"lo\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\","
        "\"thinking\":\"only this\"}]}],\"stream\":false}",

        "{\"model\":\"m\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be kind.\"},"
        "{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"assistant\",\"content\":\"Hello\"}]}");

    check_in("request_in: system entries in messages stay where they are",
        "{\"model\":\"m\",\"system\":\"First.\",\"messages\":["
        "{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"system\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Second.\",\"cache_control\":{\"type\":\"ephemeral\"}}]},"
        "{\"role\":\"user\",\"content\":\"Again\"}]}",

        "{\"model\":\"m\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"First.\"},"
        "{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"system\",\"content\":\"Second.\"},"
        "{\"role\":\"user\",\"content\":\"Again\"}]}");

    check_in_member("request_in: images", "{\"model\":\"m\","
        "\"messages\":[{\"role\":\"user\",\"content\":["
        "{\"type\":\"text\",\"text\":\"What is this?\"},"
        "{\"type\":\"image\",\"source\":{\"type\":\"base64\","
        "\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}},"
        "{\"type\":\"image\",\"source\":{\"type\":\"url\","
        "\"url\":\"https://example.com/a.jpg\"}},"
        "{\"type\":\"document\",\"title\":\"r.pdf\",\"source\":"
        "{\"type\":\"base64\",\"media_type\":\"application/pdf\","
        "\"data\":\"JVBERi0=\"}},"
        "{\"type\":\"document\",\"source\":{\"type\":\"text\","
        "\"media_type\":\"text/plain\",\"data\":\"plain doc\"}}]}]}",
        "messages",
        "[{\"role\":\"user\",\"content\":["
        "{\"type\":\"text\",\"text\":\"What is this?\"},"
        "{\"type\":\"image_url\",\"image_url\":"
        "{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}},"
        "{\"type\":\"image_url\",\"image_url\":"
        "{\"url\":\"https://example.com/a.jpg\"}},"
        "{\"type\":\"file\",\"file\":{\"filename\":\"r.pdf\","
        "\"file_data\":\"data:application/pdf;base64,JVBERi0=\"}},"
        "{\"type\":\"text\",\"text\":\"plain doc\"}]}]");

    check_in_member("request_in: an image in a tool result", "{"
        "\"messages\":[{\"role\":\"user\",\"content\":["
        "{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":["
        "{\"type\":\"text\",\"text\":\"screenshot:\"},"
        "{\"type\":\"image\",\"source\":{\"type\":\"base64\","
        "\"media_type\":\"image/jpeg\",\"data\":\"/9j/\"}}]}]}]}",
        "messages",
        "[{\"role\":\"tool\",\"tool_call_id\":\"t1\","
        "\"content\":\"screenshot:\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        "\"image_url\":{\"url\":\"data:image/jpeg;base64,/9j/\"}}]}]");

    check_in_member("tool_choice auto",
        "{" MSG ",\"tool_choice\":{\"type\":\"auto\"}}", "tool_choice",
        "\"auto\"");
    check_in_member("tool_choice none",
        "{" MSG ",\"tool_choice\":{\"type\":\"none\"}}", "tool_choice",
        "\"none\"");
    check_in_member("tool_choice tool",
        "{" MSG ",\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"}}",
        "tool_choice",
        "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}");
    check_in_member("no parallel_tool_calls by default",
        "{" MSG ",\"tool_choice\":{\"type\":\"any\"}}",
        "parallel_tool_calls", NULL);

    check_in_member("budget 1024", "{" MSG ",\"thinking\":{\"type\":"
        "\"enabled\",\"budget_tokens\":1024}}", "reasoning_effort",
        "\"low\"");
    check_in_member("budget 2048", "{" MSG ",\"thinking\":{\"type\":"
        "\"enabled\",\"budget_tokens\":2048}}", "reasoning_effort",
        "\"low\"");
    check_in_member("budget 2049", "{" MSG ",\"thinking\":{\"type\":"
        "\"enabled\",\"budget_tokens\":2049}}", "reasoning_effort",
        "\"medium\"");
    check_in_member("budget 8192", "{" MSG ",\"thinking\":{\"type\":"
        "\"enabled\",\"budget_tokens\":8192}}", "reasoning_effort",
        "\"medium\"");
    check_in_member("budget 8193", "{" MSG ",\"thinking\":{\"type\":"
        "\"enabled\",\"budget_tokens\":8193}}", "reasoning_effort",
        "\"high\"");
    check_in_member("thinking disabled", "{" MSG ",\"thinking\":{\"type\":"
        "\"disabled\"}}", "reasoning_effort", NULL);
    check_in_member("no stream_options without stream", "{" MSG
        ",\"stream\":false}", "stream_options", NULL);
    check_in_member("top_k dropped", "{" MSG ",\"top_k\":3}", "top_k", NULL);

    check_in_bad("[1]", "JSON object");
    check_in_bad("{\"model\":\"m\"}", "messages");
    check_in_bad("{\"messages\":{}}", "messages");
    check_in_bad("{\"messages\":[]}", "messages");
    check_in_bad("{\"model\":3," MSG "}", "model");
    check_in_bad("{\"messages\":[\"hi\"]}", "messages[0].role");
    check_in_bad("{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}",
                 "messages[0].role");
    check_in_bad("{\"messages\":[{\"role\":\"system\",\"content\":5}]}",
                 "system");
    check_in_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                 "{\"role\":\"user\",\"content\":5}]}",
                 "messages[1].content");
    check_in_bad("{\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"type\":\"video\"}]}]}", "messages[0].content[0]");
    check_in_bad("{\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"text\":\"no type\"}]}]}", "messages[0].content[0]");
    check_in_bad("{\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"type\":\"text\",\"text\":1}]}]}",
                 "messages[0].content[0].text");
    check_in_bad("{\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"type\":\"image\",\"source\":{\"type\":\"file\"}}]}]}",
                 "messages[0].content[0].source");
    check_in_bad("{\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"type\":\"tool_result\"}]}]}",
                 "messages[0].content[0].tool_use_id");
    check_in_bad("{\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
                 "\"content\":[{\"type\":\"audio\"}]}]}]}",
                 "messages[0].content[0].content[0]");
    check_in_bad("{\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"b\"}]}]}",
                 "assistant");
    check_in_bad("{\"messages\":[{\"role\":\"assistant\",\"content\":"
                 "[{\"type\":\"tool_use\",\"name\":\"b\"}]}]}",
                 "messages[0].content[0]");
    check_in_bad("{\"messages\":[{\"role\":\"assistant\",\"content\":"
                 "[{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"b\","
                 "\"input\":[1]}]}]}", "messages[0].content[0].input");
    check_in_bad("{\"messages\":[{\"role\":\"assistant\",\"content\":"
                 "[{\"type\":\"image\",\"source\":{}}]}]}",
                 "messages[0].content[0]");
    check_in_bad("{\"system\":5," MSG "}", "system");
    check_in_bad("{\"max_tokens\":1.5," MSG "}",
                 "max_tokens must be an integer");
    check_in_bad("{\"temperature\":\"hot\"," MSG "}",
                 "temperature must be a number");
    check_in_bad("{\"top_p\":true," MSG "}", "top_p must be a number");
    check_in_bad("{\"stream\":1," MSG "}", "stream must be a boolean");
    check_in_bad("{\"system\":[{\"type\":\"image\"}]," MSG "}", "system");
    check_in_bad("{" MSG ",\"tools\":{}}", "tools");
    check_in_bad("{" MSG ",\"tools\":[{\"description\":\"x\"}]}",
                 "tools[0].name");
    check_in_bad("{" MSG ",\"tools\":[{\"type\":\"web_search_20250305\","
                 "\"name\":\"web_search\"}]}", "tools[0]");
    check_in_bad("{" MSG ",\"tool_choice\":{\"type\":\"tool\"}}",
                 "tool_choice");
    check_in_bad("{" MSG ",\"tool_choice\":\"auto\"}", "tool_choice");
    check_in_bad("{" MSG ",\"max_tokens\":\"10\"}", "max_tokens");
    check_in_bad("{" MSG ",\"temperature\":\"hot\"}", "temperature");
    check_in_bad("{" MSG ",\"top_p\":[]}", "top_p");
    check_in_bad("{" MSG ",\"stop_sequences\":\"x\"}", "stop_sequences");
    check_in_bad("{" MSG ",\"stop_sequences\":[1]}", "stop_sequences");
    check_in_bad("{" MSG ",\"stream\":\"yes\"}", "stream");
    check_in_bad("{" MSG ",\"thinking\":{\"type\":\"enabled\"}}",
                 "thinking.budget_tokens");
    check_in_bad("{" MSG ",\"thinking\":true}", "thinking");
}


/* provider side requests */

static json_t *
req_out(const char *body, unsigned stream, unsigned vertex,
    llmgw_xerr_t *err)
{
    json_t        *canon, *out;
    llmgw_xreq_t   opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "claude-sonnet-4-5";
    opt.model_len = strlen(opt.model);
    opt.default_max_tokens = 4096;
    opt.stream = stream;
    opt.vertex = vertex;

    canon = parse(body);
    memset(err, 0, sizeof(llmgw_xerr_t));
    out = ANT->request_out(canon, &opt, err);
    json_decref(canon);

    return out;
}


static void
check_out(const char *what, const char *body, const char *want)
{
    json_t        *out;
    llmgw_xerr_t   err;

    out = req_out(body, 0, 0, &err);
    CHECK(out != NULL, "%s: refused: %s", what, err.message);
    check_json(what, out, want);
}


static void
check_out_member(const char *what, const char *body, const char *key,
    const char *want)
{
    json_t        *out;
    llmgw_xerr_t   err;

    out = req_out(body, 0, 0, &err);
    CHECK(out != NULL, "%s: refused: %s", what, err.message);

    if (out == NULL) {
        return;
    }

    if (want == NULL) {
        CHECK(json_object_get(out, key) == NULL, "%s: has %s", what, key);

    } else {
        check_json(what, json_incref(json_object_get(out, key)), want);
    }

    json_decref(out);
}


static void
check_out_bad(const char *body, const char *needle)
{
    json_t        *out;
    llmgw_xerr_t   err;

    out = req_out(body, 0, 0, &err);
    CHECK(out == NULL, "request_out took %s", body);
    json_decref(out);
    check_err(body, &err, 400, "invalid_request_error", needle);
}


static void
test_request_out(void)
{
    json_t        *out;
    llmgw_xerr_t   err;

    check_out("request_out: system, merged users, dropped members",
        "{\"model\":\"gpt\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"developer\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Use\"},{\"type\":\"text\",\"text\":\"metric.\"}]},"
        "{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"there\"},{\"type\":\"text\",\"text\":\"\"}]},"
        "{\"role\":\"assistant\",\"content\":\"Hello!\"},"
        "{\"role\":\"user\",\"content\":\"Bye\"}],"
        "\"n\":2,\"seed\":1,\"logprobs\":true,\"stream\":true,"
        "\"stream_options\":{\"include_usage\":true},"
        "\"frequency_penalty\":0.5,\"response_format\":{\"type\":\"text\"},"
        "\"user\":\"u1\",\"stop\":\"END\",\"temperature\":1.5,"
        "\"top_p\":0.9}",

        "{\"model\":\"claude-sonnet-4-5\","
        "\"system\":\"Be brief.\\n\\nUse\\n\\nmetric.\","
        "\"messages\":["
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"},"
        "{\"type\":\"text\",\"text\":\"there\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Hello!\"}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Bye\"}]}],"
        "\"max_tokens\":4096,\"stop_sequences\":[\"END\"],"
        "\"temperature\":1.0,\"top_p\":0.9,"
        "\"metadata\":{\"user_id\":\"u1\"},\"stream\":false}");

    check_out("request_out: tools, calls, results merged",
        "{\"messages\":["
        "{\"role\":\"user\",\"content\":\"Weather in Paris and Rome?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
        "{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_2\",\"type\":\"function\",\"function\":"
        "{\"name\":\"get_weather\",\"arguments\":\" \"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"18C\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":"
        "[{\"type\":\"text\",\"text\":\"21C\"}]},"
        "{\"role\":\"user\",\"content\":\"Which is warmer?\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":"
        "{\"name\":\"get_weather\",\"description\":\"Weather\","
        "\"parameters\":{\"type\":\"object\",\"properties\":"
        "{\"city\":{\"type\":\"string\"}}},\"strict\":true}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"noargs\"}}],"
        "\"tool_choice\":\"required\",\"max_completion_tokens\":100,"
        "\"max_tokens\":50,\"parallel_tool_calls\":false}",

        "{\"model\":\"claude-sonnet-4-5\",\"messages\":["
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Weather in Paris and Rome?\"}]},"
        "{\"role\":\"assistant\",\"content\":["
        "{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"get_weather\","
        "\"input\":{\"city\":\"Paris\"}},"
        "{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"get_weather\","
        "\"input\":{}}]},"
        "{\"role\":\"user\",\"content\":["
        "{\"type\":\"tool_result\",\"tool_use_id\":\"call_1\","
        "\"content\":\"18C\"},"
        "{\"type\":\"tool_result\",\"tool_use_id\":\"call_2\","
        "\"content\":[{\"type\":\"text\",\"text\":\"21C\"}]},"
        "{\"type\":\"text\",\"text\":\"Which is warmer?\"}]}],"
        "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\","
        "\"input_schema\":{\"type\":\"object\",\"properties\":"
        "{\"city\":{\"type\":\"string\"}}}},"
        "{\"name\":\"noargs\",\"input_schema\":{\"type\":\"object\","
        "\"properties\":{}}}],"
        "\"tool_choice\":{\"type\":\"any\",\"disable_parallel_tool_use\":true},"
        "\"max_tokens\":100,\"stream\":false}");

    check_out_member("request_out: a tool result goes before user text",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"go\"},"
        "{\"role\":\"assistant\",\"content\":\"Calling.\",\"tool_calls\":["
        "{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\","
        "\"arguments\":\"{}\"}}]},"
        "{\"role\":\"user\",\"content\":\"hurry\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"done\"}]}",
        "messages",
        "[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"go\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Calling.\"},{\"type\":\"tool_use\",\"id\":\"c\","
        "\"name\":\"f\",\"input\":{}}]},"
        "{\"role\":\"user\",\"content\":["
        "{\"type\":\"tool_result\",\"tool_use_id\":\"c\",\"content\":"
        "\"done\"},{\"type\":\"text\",\"text\":\"hurry\"}]}]");

    check_out_member("tool_choice auto", "{\"messages\":[{\"role\":\"user\","
        "\"content\":\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":"
        "{\"name\":\"f\"}}],\"tool_choice\":\"auto\"}", "tool_choice",
        "{\"type\":\"auto\"}");
    check_out_member("tool_choice none", "{\"messages\":[{\"role\":\"user\","
        "\"content\":\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":"
        "{\"name\":\"f\"}}],\"tool_choice\":\"none\","
        "\"parallel_tool_calls\":false}", "tool_choice",
        "{\"type\":\"none\"}");
    check_out_member("tool_choice named", "{\"messages\":[{\"role\":"
        "\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\","
        "\"function\":{\"name\":\"f\"}}],\"tool_choice\":{\"type\":"
        "\"function\",\"function\":{\"name\":\"f\"}}}", "tool_choice",
        "{\"type\":\"tool\",\"name\":\"f\"}");
    check_out_member("parallel_tool_calls false alone", "{\"messages\":"
        "[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":"
        "\"function\",\"function\":{\"name\":\"f\"}}],"
        "\"parallel_tool_calls\":false}", "tool_choice",
        "{\"type\":\"auto\",\"disable_parallel_tool_use\":true}");
    check_out_member("tool_choice without tools", "{\"messages\":"
        "[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"auto\"}",
        "tool_choice", NULL);

    check_out_member("request_out: images and a PDF",
        "{\"messages\":[{\"role\":\"user\",\"content\":["
        "{\"type\":\"text\",\"text\":\"What are these?\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"data:image/png;base64,iVBORw0KGgo=\",\"detail\":\"high\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"https://example.com/a.jpg\"}},"
        "{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\","
        "\"file_data\":\"data:application/pdf;base64,JVBERi0=\"}}]}]}",
        "messages",
        "[{\"role\":\"user\",\"content\":["
        "{\"type\":\"text\",\"text\":\"What are these?\"},"
        "{\"type\":\"image\",\"source\":{\"type\":\"base64\","
        "\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}},"
        "{\"type\":\"image\",\"source\":{\"type\":\"url\","
        "\"url\":\"https://example.com/a.jpg\"}},"
        "{\"type\":\"document\",\"source\":{\"type\":\"base64\","
        "\"media_type\":\"application/pdf\",\"data\":\"JVBERi0=\"}}]}]");

    check_out("request_out: reasoning_effort high",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"reasoning_effort\":\"high\",\"max_tokens\":1000,"
        "\"temperature\":0.5,\"top_p\":0.5}",
        "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\","
        "\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}],"
        "\"max_tokens\":20480,\"thinking\":{\"type\":\"enabled\","
        "\"budget_tokens\":16384},\"stream\":false}");
    check_out_member("reasoning_effort low keeps a larger max_tokens",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"reasoning_effort\":\"low\",\"max_tokens\":8000}", "max_tokens",
        "8000");
    check_out_member("reasoning_effort medium",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"reasoning_effort\":\"medium\"}", "thinking",
        "{\"type\":\"enabled\",\"budget_tokens\":4096}");
    check_out_member("reasoning_effort medium: max_tokens above the budget",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"reasoning_effort\":\"medium\"}", "max_tokens", "8192");
    check_out_member("reasoning_effort minimal: no thinking",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"reasoning_effort\":\"minimal\"}", "thinking", NULL);
    check_out_member("reasoning_effort in a tool loop: no thinking",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
        "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
        "\"type\":\"function\",\"function\":{\"name\":\"f\","
        "\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":"
        "\"c\",\"content\":\"r\"}],\"reasoning_effort\":\"high\","
        "\"temperature\":0.5}", "thinking", NULL);
    check_out_member("reasoning_effort after a tool loop ended: thinking",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
        "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
        "\"type\":\"function\",\"function\":{\"name\":\"f\","
        "\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":"
        "\"c\",\"content\":\"r\"},{\"role\":\"assistant\",\"content\":"
        "\"done\"},{\"role\":\"user\",\"content\":\"more\"}],"
        "\"reasoning_effort\":\"low\"}", "thinking",
        "{\"type\":\"enabled\",\"budget_tokens\":1024}");
    check_out_member("stop array", "{\"messages\":[{\"role\":\"user\","
        "\"content\":\"x\"}],\"stop\":[\"a\",\"b\"]}", "stop_sequences",
        "[\"a\",\"b\"]");

    check_out_member("response_format json_schema",
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":"
        "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\","
        "\"schema\":{\"type\":\"object\"}}}}", "system",
        "\"Be brief.\\n\\nAnswer with a single JSON object and no other "
        "text. The object must conform to this JSON schema: "
        "{\\\"type\\\":\\\"object\\\"}\"");
    check_out_member("response_format json_object",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"response_format\":{\"type\":\"json_object\"}}", "system",
        "\"Answer with a single JSON object and no other text.\"");

    out = req_out("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 1,
                  1, &err);
    check_json("request_out: Vertex AI, streamed", out,
        "{\"anthropic_version\":\"vertex-2023-10-16\",\"messages\":"
        "[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"x\"}]}],\"max_tokens\":4096,\"stream\":true}");

    check_out_bad("{}", "messages");
    check_out_bad("{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}",
                  "messages");
    check_out_bad("{\"messages\":[{\"content\":\"x\"}]}", "messages[0].role");
    check_out_bad("{\"messages\":[{\"role\":\"function\",\"name\":\"f\","
                  "\"content\":\"x\"}]}", "messages[0].role");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                  "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
                  "\"type\":\"function\",\"function\":{\"name\":\"f\","
                  "\"arguments\":\"{not json\"}}]}]}",
                  "messages[1].tool_calls[0].function.arguments");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                  "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
                  "\"type\":\"function\",\"function\":{\"name\":\"f\","
                  "\"arguments\":\"[1]\"}}]}]}",
                  "messages[1].tool_calls[0].function.arguments");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                  "{\"role\":\"assistant\",\"tool_calls\":[{\"type\":"
                  "\"function\",\"function\":{\"name\":\"f\"}}]}]}",
                  "messages[1].tool_calls[0]");
    check_out_bad("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
                  "messages[0].tool_call_id");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"x\","
                  "\"format\":\"wav\"}}]}]}", "messages[0].content[0]");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                  "\"ftp://x/y.png\"}}]}]}", "messages[0].content[0]");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                  "\"data:image/png,rawbytes\"}}]}]}",
                  "messages[0].content[0]");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"file\",\"file\":{\"file_id\":\"file-1\"}}]}]}",
                  "messages[0].content[0]");
    check_out_bad("{\"messages\":[{\"role\":\"assistant\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                  "\"https://x/y.png\"}}]}]}", "assistant");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":5}]}",
                  "messages[0].content");
    check_out_bad("{\"messages\":[{\"role\":\"system\",\"content\":["
                  "{\"type\":\"image_url\"}]},{\"role\":\"user\","
                  "\"content\":\"x\"}]}", "messages[0].content[0]");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"tools\":[{\"type\":\"custom\",\"custom\":{}}]}",
                  "tools[0]");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
                  "\"f\"}}],\"tool_choice\":{\"type\":\"function\"}}",
                  "tool_choice");
    check_out_bad("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"stop\":[1]}", "stop");
}


/* Anthropic -> canonical -> Anthropic keeps a conversation */

static void
test_round_trip(void)
{
    json_t        *req, *canon, *out;
    llmgw_xerr_t   err;
    llmgw_xreq_t   opt;

    static const char  body[] =
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":512,"
        "\"system\":\"Be brief.\",\"messages\":["
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Weather?\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\","
        "\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_2\","
        "\"name\":\"get_weather\",\"input\":{\"city\":\"Rome\"}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
        "\"tool_use_id\":\"toolu_1\",\"content\":\"18C\"},"
        "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\","
        "\"content\":\"21C\"},{\"type\":\"text\",\"text\":\"Warmer?\"}]}],"
        "\"tools\":[{\"name\":\"get_weather\",\"input_schema\":"
        "{\"type\":\"object\"}}],\"tool_choice\":{\"type\":\"tool\","
        "\"name\":\"get_weather\"},\"stop_sequences\":[\"X\"],"
        "\"metadata\":{\"user_id\":\"u\"},\"stream\":true}";

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "claude-sonnet-4-5";
    opt.model_len = strlen(opt.model);
    opt.default_max_tokens = 1000;
    opt.stream = 1;

    req = parse(body);
    canon = ANT->request_in(req, &err);
    CHECK(canon != NULL, "round trip: request_in: %s", err.message);

    out = canon ? ANT->request_out(canon, &opt, &err) : NULL;
    CHECK(out != NULL, "round trip: request_out: %s", err.message);

    /* Anthropic's own request, but every content as blocks */
    check_json("round trip", out,
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":512,"
        "\"system\":\"Be brief.\",\"messages\":["
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Weather?\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\","
        "\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_2\","
        "\"name\":\"get_weather\",\"input\":{\"city\":\"Rome\"}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
        "\"tool_use_id\":\"toolu_1\",\"content\":\"18C\"},"
        "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\","
        "\"content\":\"21C\"},{\"type\":\"text\",\"text\":\"Warmer?\"}]}],"
        "\"tools\":[{\"name\":\"get_weather\",\"input_schema\":"
        "{\"type\":\"object\"}}],\"tool_choice\":{\"type\":\"tool\","
        "\"name\":\"get_weather\"},\"stop_sequences\":[\"X\"],"
        "\"metadata\":{\"user_id\":\"u\"},\"stream\":true}");

    json_decref(canon);
    json_decref(req);
}


/* responses */

static void
check_response_out(const char *what, const char *canon, const char *want)
{
    json_t        *c;
    llmgw_xerr_t   err;

    c = parse(canon);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    check_json(what, ANT->response_out(c, &err), want);
    json_decref(c);
}


static void
check_response_in(const char *what, const char *resp, const char *want)
{
    json_t        *r;
    llmgw_xerr_t   err;

    r = parse(resp);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    check_json(what, ANT->response_in(r, &err), want);
    json_decref(r);
}


static void
check_stop(const char *finish, const char *stop_reason)
{
    char  canon[512], want[512];

    snprintf(canon, sizeof(canon), "{\"id\":\"c\",\"model\":\"m\","
             "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
             "\"content\":\"x\"},\"finish_reason\":%s}]}", finish);
    snprintf(want, sizeof(want), "{\"id\":\"c\",\"type\":\"message\","
             "\"role\":\"assistant\",\"model\":\"m\",\"content\":"
             "[{\"type\":\"text\",\"text\":\"x\"}],\"stop_reason\":\"%s\","
             "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,"
             "\"output_tokens\":0,\"cache_read_input_tokens\":0,"
             "\"cache_creation_input_tokens\":0}}", stop_reason);

    check_response_out(finish, canon, want);
}


static void
check_finish(const char *stop_reason, const char *finish)
{
    char  resp[512], want[512];

    snprintf(resp, sizeof(resp), "{\"id\":\"msg\",\"type\":\"message\","
             "\"role\":\"assistant\",\"model\":\"m\",\"content\":[],"
             "\"stop_reason\":%s,\"usage\":{\"input_tokens\":3,"
             "\"output_tokens\":0}}", stop_reason);
    snprintf(want, sizeof(want), "{\"id\":\"msg\",\"object\":"
             "\"chat.completion\",\"created\":0,\"model\":\"m\",\"choices\":"
             "[{\"index\":0,\"message\":{\"role\":\"assistant\","
             "\"content\":null},\"finish_reason\":\"%s\"}],\"usage\":"
             "{\"prompt_tokens\":3,\"completion_tokens\":0,"
             "\"total_tokens\":3}}", finish);

    check_response_in(stop_reason, resp, want);
}


static void
test_responses(void)
{
    json_t        *r;
    llmgw_xerr_t   err;

    check_response_out("response_out: thinking, text, tools, cache usage",
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
        "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":"
        "{\"role\":\"assistant\",\"content\":\"Hello\","
        "\"reasoning_content\":\"Let me think\",\"tool_calls\":["
        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
        "{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_2\",\"type\":\"function\",\"function\":"
        "{\"name\":\"f\",\"arguments\":\"not json\"}},"
        "{\"type\":\"function\",\"function\":"
        "{\"name\":\"g\",\"arguments\":\"[1]\"}}]},"
        "\"finish_reason\":\"tool_calls\"}],"
        "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20,"
        "\"total_tokens\":120,\"prompt_tokens_details\":"
        "{\"cached_tokens\":30,\"cache_write_tokens\":10}}}",

        "{\"id\":\"chatcmpl-1\",\"type\":\"message\",\"role\":\"assistant\","
        "\"model\":\"gpt-4o\",\"content\":["
        "{\"type\":\"thinking\",\"thinking\":\"Let me think\","
        "\"signature\":\"\"},"
        "{\"type\":\"text\",\"text\":\"Hello\"},"
        "{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"get_weather\","
        "\"input\":{\"city\":\"Paris\"}},"
        "{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"f\","
        "\"input\":{}},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_chatcmpl-1_2\",\"name\":\"g\","
        "\"input\":{}}],"
        "\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
        "\"usage\":{\"input_tokens\":60,\"output_tokens\":20,"
        "\"cache_read_input_tokens\":30,"
        "\"cache_creation_input_tokens\":10}}");

    check_response_out("response_out: no content, a refusal",
        "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":null,"
        "\"refusal\":\"I can't.\"},\"finish_reason\":\"content_filter\"}],"
        "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
        "\"prompt_tokens_details\":{\"cached_tokens\":9}}}",
        "{\"id\":\"c\",\"type\":\"message\",\"role\":\"assistant\","
        "\"model\":\"m\",\"content\":[{\"type\":\"text\","
        "\"text\":\"I can't.\"}],\"stop_reason\":\"refusal\","
        "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,"
        "\"output_tokens\":2,\"cache_read_input_tokens\":9,"
        "\"cache_creation_input_tokens\":0}}");

    check_response_out("response_out: empty content, tool call, stop",
        "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"\","
        "\"tool_calls\":[{\"id\":\"t\",\"type\":\"function\",\"function\":"
        "{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
        "\"finish_reason\":\"stop\"}]}",
        "{\"id\":\"c\",\"type\":\"message\",\"role\":\"assistant\","
        "\"model\":\"m\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\","
        "\"name\":\"f\",\"input\":{}}],\"stop_reason\":\"tool_use\","
        "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,"
        "\"output_tokens\":0,\"cache_read_input_tokens\":0,"
        "\"cache_creation_input_tokens\":0}}");

    check_stop("\"stop\"", "end_turn");
    check_stop("\"length\"", "max_tokens");
    check_stop("\"tool_calls\"", "tool_use");
    check_stop("\"content_filter\"", "refusal");
    check_stop("\"something_new\"", "end_turn");
    check_stop("null", "end_turn");

    r = parse("{\"choices\":[]}");
    CHECK(ANT->response_out(r, &err) == NULL, "response_out: no choices");
    CHECK_INT(err.status, 502, "response_out: no choices: status");
    json_decref(r);

    check_response_in("response_in: thinking, text, tool_use, cache usage",
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
        "\"model\":\"claude-sonnet-4\",\"content\":["
        "{\"type\":\"thinking\",\"thinking\":\"Hmm\",\"signature\":\"sig\"},"
        "{\"type\":\"redacted_thinking\",\"data\":\"xx\"},"
        "{\"type\":\"text\",\"text\":\"Let me \"},"
        "{\"type\":\"text\",\"text\":\"check.\",\"citations\":[]},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\","
        "\"input\":{\"city\":\"Paris\",\"days\":2}},"
        "{\"type\":\"server_tool_use\",\"id\":\"srv\",\"name\":\"web_search\","
        "\"input\":{}}],"
        "\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
        "\"usage\":{\"input_tokens\":50,\"cache_creation_input_tokens\":20,"
        "\"cache_read_input_tokens\":100,\"output_tokens\":30,"
        "\"service_tier\":\"standard\"}}",

        "{\"id\":\"msg_1\",\"object\":\"chat.completion\",\"created\":0,"
        "\"model\":\"claude-sonnet-4\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"Let me check.\","
        "\"tool_calls\":[{\"id\":\"toolu_1\",\"type\":\"function\","
        "\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"days\\\":2}\"}}],"
        "\"reasoning_content\":\"Hmm\"},\"finish_reason\":\"tool_calls\"}],"
        "\"usage\":{\"prompt_tokens\":170,\"completion_tokens\":30,"
        "\"total_tokens\":200,\"prompt_tokens_details\":"
        "{\"cached_tokens\":100,\"cache_write_tokens\":20}}}");

    check_response_in("response_in: an empty text, no usage",
        "{\"id\":\"msg_2\",\"type\":\"message\",\"model\":\"m\",\"content\":"
        "[{\"type\":\"text\",\"text\":\"\"}],\"stop_reason\":\"end_turn\"}",
        "{\"id\":\"msg_2\",\"object\":\"chat.completion\",\"created\":0,"
        "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":"
        "{\"role\":\"assistant\",\"content\":\"\"},"
        "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":0,"
        "\"completion_tokens\":0,\"total_tokens\":0}}");

    check_finish("\"end_turn\"", "stop");
    check_finish("\"stop_sequence\"", "stop");
    check_finish("\"max_tokens\"", "length");
    check_finish("\"tool_use\"", "tool_calls");
    check_finish("\"refusal\"", "content_filter");
    check_finish("\"pause_turn\"", "stop");
    check_finish("\"model_context_window_exceeded\"", "length");

    r = parse("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
              "\"message\":\"Overloaded\"}}");
    memset(&err, 0, sizeof(llmgw_xerr_t));
    CHECK(ANT->response_in(r, &err) == NULL, "response_in: an error body");
    check_err("response_in: an error body", &err, 502, "overloaded_error",
              "Overloaded");
    json_decref(r);

    r = parse("{\"type\":\"message\",\"content\":{}}");
    CHECK(ANT->response_in(r, &err) == NULL, "response_in: no content");
    check_err("response_in: bad content", &err, 502, "api_error", "content");
    json_decref(r);

    r = parse("{\"type\":\"message\",\"content\":[{\"type\":\"tool_use\","
              "\"id\":\"t\",\"name\":\"f\",\"input\":3}]}");
    CHECK(ANT->response_in(r, &err) == NULL, "response_in: bad tool_use");
    check_err("response_in: bad tool_use", &err, 502, "api_error",
              "tool_use");
    json_decref(r);
}


static void
test_errors(void)
{
    llmgw_out_t  o;

    check_error_in(ANT, "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"overloaded_error\",\"message\":\"Overloaded\"}}",
                        529, 0, 529, "overloaded_error", "Overloaded");
    check_error_in(ANT, "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"invalid_request_error\",\"message\":\"max_tokens: "
                        "Field required\"},\"request_id\":\"req_1\"}", 400,
                        0, 400, "invalid_request_error", "max_tokens");
    check_error_in(ANT, "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"authentication_error\",\"message\":\"bad key\"}}",
                        401, 0, 401, "authentication_error", "bad key");
    check_error_in(ANT, "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"rate_limit_error\",\"message\":\"slow\"}}", 429,
                        0, 429, "rate_limit_error", "slow");
    check_error_in(ANT, "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"request_too_large\",\"message\":\"big\"}}", 413,
                        0, 413, "invalid_request_error", "big");
    check_error_in(ANT, "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"brand_new_error\",\"message\":\"new\"}}", 500,
                        0, 500, "api_error", "new");
    check_error_in(ANT, "{\"type\":\"error\",\"error\":{\"type\":"
                        "\"api_error\",\"message\":\"in a 200\"}}", 200,
                        0, 502, "api_error", "in a 200");
    check_error_in(ANT, "{\"error\":{\"code\":429,\"message\":"
                        "\"Quota exceeded\",\"status\":"
                        "\"RESOURCE_EXHAUSTED\"}}", 429, 0, 429,
                        "rate_limit_error", "Quota exceeded");
    check_error_in(ANT, "{\"type\":\"message\",\"content\":[]}", 500, -1, 0,
                        NULL, NULL);
    check_error_in(ANT, "{\"error\":\"text\"}", 500, -1, 0, NULL, NULL);
    check_error_in(ANT, "{\"type\":\"message\",\"error\":{\"message\":\"x\"}}",
                        500, -1, 0, NULL, NULL);
    check_error_in(ANT, "[]", 500, -1, 0, NULL, NULL);

    memset(&o, 0, sizeof(llmgw_out_t));
    ANT->error_out(&o, "rate_limit_error", "rate_limit_exceeded",
                   "Slow \"down\"", 11);
    CHECK_STR(o.data, o.len, "{\"type\":\"error\",\"error\":{\"type\":"
              "\"rate_limit_error\",\"message\":\"Slow \\\"down\\\"\"}}\n",
              "error_out");
    llmgw_out_free(&o);
}


/* streams, through xstream_feed.h: each recorded Anthropic stream */

typedef struct {
    const char  *file;
    const char  *text;
    const char  *tool_id;
    const char  *tool_name;
    const char  *args;
    const char  *finish;
    const char  *stop_reason;
    int64_t      prompt;
    int64_t      completion;
    const char  *seq;
} stream_case_t;


static const stream_case_t  anthropic_streams[] = {

    { "anthropic-basic_response.sse", "Hello there!", NULL, NULL, NULL,
      "stop", "end_turn", 11, 6,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },

    { "anthropic-tool_use_response.sse",
      "I'll check the current weather in Paris for you.",
      "toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather",
      "{\"location\": \"Paris\"}", "tool_calls", "tool_use", 377, 65,
      "message_start start(text,0) delta(0) stop(0) start(tool_use,1) "
      "delta(1) stop(1) message_delta message_stop" },

    { "anthropic-incomplete_partial_json_response.sse",
      "I'll create a comprehensive tax guide for someone with multiple W2s "
      "and save it in a file called taxes.txt. Let me do that for you now.",
      "toolu_01EKqbqmZrGRXy18eN7m9kvY", "make_file",
      "{\"filename\": \"taxes.txt\", \"lines_of_text\": [\n"
      "\"# COMPREHENSIVE TAX GUIDE FOR INDIVIDUALS WITH MULTIPLE W-2s\",\n"
      "\"\",\n\"## INTRODUCTION\",\n\"\",\n\"Filing taxes",
      "length", "max_tokens", 450, 124,
      "message_start start(text,0) delta(0) stop(0) start(tool_use,1) "
      "delta(1) stop(1) message_delta message_stop" },

    { "anthropic-refusal_response.sse", "", NULL, NULL, NULL,
      "content_filter", "refusal", 20, 0,
      "message_start message_delta message_stop" },

    { "anthropic-compaction_response.sse", "Hello there!", NULL, NULL, NULL,
      "stop", "end_turn", 30, 8,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },

    { "anthropic-fallback_response.sse", "Hello there!", NULL, NULL, NULL,
      "stop", "end_turn", 25, 8,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },

    { "anthropic-fallback_credit_response.sse", "Hello there!", NULL, NULL,
      NULL, "stop", "end_turn", 25, 8,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },
};


static void
check_openai_out(const char *what, const llmgw_out_t *out,
    const stream_case_t *c)
{
    oai_t  o;

    oai_read(&o, out);

    CHECK_INT(o.bad, 0, "%s: well-formed chunks", what);
    CHECK_INT(o.errors, 0, "%s: no error (%s)", what, o.error);
    CHECK_INT(o.done, 1, "%s: one [DONE]", what);
    CHECK_INT(o.after_end, 0, "%s: nothing after [DONE]", what);
    CHECK_STR(o.text.data, o.text.len, c->text, "%s: text", what);
    CHECK_INT(o.tools, c->tool_id ? 1 : 0, "%s: tool calls", what);

    if (c->tool_id) {
        CHECK(strcmp(o.id[0], c->tool_id) == 0, "%s: tool id %s", what,
              o.id[0]);
        CHECK(strcmp(o.name[0], c->tool_name) == 0, "%s: tool name %s", what,
              o.name[0]);
        CHECK_STR(o.args[0].data, o.args[0].len, c->args, "%s: arguments",
                  what);
    }

    CHECK(strcmp(o.finish, c->finish) == 0, "%s: finish_reason %s", what,
          o.finish);
    CHECK_INT(usage_of(o.usage, "prompt_tokens"), c->prompt,
              "%s: prompt_tokens", what);
    CHECK_INT(usage_of(o.usage, "completion_tokens"), c->completion,
              "%s: completion_tokens", what);
    CHECK_INT(usage_of(o.usage, "total_tokens"), c->prompt + c->completion,
              "%s: total_tokens", what);

    oai_free(&o);
}


static void
check_anthropic_out(const char *what, const llmgw_out_t *out,
    const stream_case_t *c, const char *id, int64_t start_input)
{
    ant_t    a;
    json_t  *usage;

    ant_read(&a, out);

    CHECK_INT(a.bad, 0, "%s: well-formed events", what);
    CHECK(strcmp(a.seq, c->seq) == 0, "%s: events\n    got  %s\n    want %s",
          what, a.seq, c->seq);
    CHECK_STR(a.text.data, a.text.len, c->text, "%s: text", what);
    CHECK_STR(a.args.data, a.args.len, c->args ? c->args : "",
              "%s: partial_json", what);

    CHECK(strcmp(str0(a.start, "id"), id) == 0,
          "%s: message id", what);
    CHECK(strcmp(str0(a.start, "model"),
                 "client-model") == 0, "%s: model", what);
    CHECK_INT(usage_of(json_object_get(a.start, "usage"), "input_tokens"),
              start_input, "%s: message_start input_tokens", what);

    if (c->tool_id) {
        CHECK(strcmp(str0(a.tool, "id"),
                     c->tool_id) == 0, "%s: tool_use id", what);
        CHECK(strcmp(str0(a.tool, "name"),
                     c->tool_name) == 0, "%s: tool_use name", what);
    }

    CHECK(strcmp(str0(json_object_get(a.delta, "delta"),
                                "stop_reason"),
                 c->stop_reason) == 0, "%s: stop_reason", what);

    usage = json_object_get(a.delta, "usage");
    CHECK_INT(usage_of(usage, "output_tokens"), c->completion,
              "%s: output_tokens", what);
    CHECK_INT(usage_of(usage, "input_tokens"), c->prompt,
              "%s: message_delta input_tokens", what);

    ant_free(&a);
}


static const char *
msg_id(const unsigned char *p)
{
    static char  id[64];
    const char  *s;

    s = strstr((const char *) p, "\"id\":\"");
    snprintf(id, sizeof(id), "%.*s", (int) strcspn(s + 6, "\""), s + 6);

    return id;
}


static void
test_anthropic_streams(void)
{
    size_t          i, n;
    char            what[128];
    llmgw_out_t     whole;
    unsigned char  *p;

    for (i = 0; i < sizeof(anthropic_streams) / sizeof(anthropic_streams[0]);
         i++)
    {
        p = unit_read_file(fixtures, anthropic_streams[i].file, &n);

        snprintf(what, sizeof(what), "%s to openai",
                 anthropic_streams[i].file);
        run_splits(what, &whole, ANT, OAI, p, n);
        check_openai_out(what, &whole, &anthropic_streams[i]);
        llmgw_out_free(&whole);

        snprintf(what, sizeof(what), "%s to anthropic",
                 anthropic_streams[i].file);
        run_splits(what, &whole, ANT, ANT, p, n);
        check_anthropic_out(what, &whole, &anthropic_streams[i], msg_id(p),
                            anthropic_streams[i].prompt);
        llmgw_out_free(&whole);

        free(p);
    }
}


/* Bedrock's chunks carry no event names: the data's type says */

static void
test_unnamed_events(void)
{
    size_t          n;
    unsigned char  *p;

    p = unit_read_file(fixtures, "anthropic-tool_use_response.sse", &n);
    check_unnamed("anthropic-tool_use_response.sse", ANT, p, n);
    free(p);
}


/* every cut before message_stop ends the client's stream in an error */

static void
test_cut_streams(void)
{
    size_t          n, c, stop;
    oai_t           o;
    ant_t           a;
    unsigned        bad_oai, bad_ant;
    llmgw_out_t     got;
    unsigned char  *p;

    p = unit_read_file(fixtures, "anthropic-tool_use_response.sse", &n);
    stop = (size_t) ((unsigned char *) strstr((char *) p,
                                              "event: message_stop") - p);
    bad_oai = 0;
    bad_ant = 0;

    for (c = 0; c < stop; c++) {
        run_stream(&got, ANT, OAI, p, c, c, 0);
        oai_read(&o, &got);

        if ((o.errors != 1 || o.done || o.after_end || o.bad
             || strcmp(o.error, "api_error") != 0)
            && bad_oai++ == 0)
        {
            UNIT_FAIL("cut at %zu to openai: %u errors, %u [DONE]: %.*s", c,
                      o.errors, o.done, (int) got.len, got.data);
        }

        oai_free(&o);
        llmgw_out_free(&got);

        run_stream(&got, ANT, ANT, p, c, c, 0);
        ant_read(&a, &got);

        if ((a.bad || a.error == NULL
             || strcmp(a.seq + strlen(a.seq) - 5, "error") != 0
             || strstr(a.seq, "message_stop") != NULL)
            && bad_ant++ == 0)
        {
            UNIT_FAIL("cut at %zu to anthropic: %s", c, a.seq);
        }

        ant_free(&a);
        llmgw_out_free(&got);
    }

    CHECK_INT(bad_oai, 0, "every cut stream ends in an OpenAI error chunk");
    CHECK_INT(bad_ant, 0, "every cut stream ends in an Anthropic error event");

    /* and the whole stream does not */
    run_stream(&got, ANT, ANT, p, n, n, 0);
    ant_read(&a, &got);
    CHECK(a.error == NULL, "the whole stream has no error");
    ant_free(&a);
    llmgw_out_free(&got);

    free(p);
}


#define START_EV                                                            \
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"  \
    "{\"id\":\"msg_x\",\"type\":\"message\",\"role\":\"assistant\","        \
    "\"model\":\"claude-x\",\"content\":[],\"stop_reason\":null,"           \
    "\"usage\":{\"input_tokens\":5,\"cache_read_input_tokens\":100,"        \
    "\"cache_creation_input_tokens\":20,\"output_tokens\":1}}}\n\n"

#define STOP_EV                                                             \
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"


static void
test_stream_events(void)
{
    oai_t        o;
    ant_t        a;
    json_t      *u;
    llmgw_out_t  got;

    /* the provider's error event */
    run_text(&got, ANT, OAI, START_EV
             "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
             "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
    oai_read(&o, &got);
    CHECK_INT(o.errors, 1, "error event to openai");
    CHECK(strcmp(o.error, "overloaded_error") == 0, "error type %s", o.error);
    CHECK_INT(o.done, 0, "error event: no [DONE]");
    oai_free(&o);
    llmgw_out_free(&got);

    run_text(&got, ANT, ANT,
             "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
             "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
    CHECK_STR(got.data, got.len, "event: error\ndata: {\"type\":\"error\","
              "\"error\":{\"type\":\"overloaded_error\","
              "\"message\":\"Overloaded\"}}\n\n",
              "a first error event to anthropic: only it");
    llmgw_out_free(&got);

    /* malformed data, data that is no object */
    run_text(&got, ANT, OAI, START_EV "event: content_block_delta\n"
             "data: {\"type\":\"content_block_delta\",\n\n" STOP_EV);
    oai_read(&o, &got);
    CHECK(o.errors == 1 && o.done == 0 && o.after_end == 0,
          "malformed JSON: an error, nothing after");
    oai_free(&o);
    llmgw_out_free(&got);

    run_text(&got, ANT, ANT, START_EV "event: ping\ndata: [1]\n\n" STOP_EV);
    ant_read(&a, &got);
    CHECK(a.error != NULL && strstr(a.seq, "message_stop") == NULL,
          "data not an object: %s", a.seq);
    ant_free(&a);
    llmgw_out_free(&got);

    /* unknown events, deltas and blocks are ignored; cache usage; an
     * input_json_delta to a block that is no tool; comments */
    run_text(&got, ANT, OAI, START_EV
             ": a comment\n\n"
             "event: brand_new\ndata: {\"type\":\"brand_new\"}\n\n"
             "event: content_block_start\ndata: {\"type\":"
             "\"content_block_start\",\"index\":0,\"content_block\":"
             "{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
             "event: content_block_delta\ndata: {\"type\":"
             "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
             "\"thinking_delta\",\"thinking\":\"Let me see.\"}}\n\n"
             "event: content_block_delta\ndata: {\"type\":"
             "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
             "\"signature_delta\",\"signature\":\"abc\"}}\n\n"
             "event: content_block_delta\ndata: {\"type\":"
             "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
             "\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n"
             "event: content_block_start\ndata: {\"type\":"
             "\"content_block_start\",\"index\":1,\"content_block\":"
             "{\"type\":\"text\",\"text\":\"Hi\"}}\n\n"
             "event: content_block_delta\ndata: {\"type\":"
             "\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
             "\"future_delta\",\"x\":1}}\n\n"
             "event: message_delta\ndata: {\"type\":\"message_delta\","
             "\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":"
             "{\"input_tokens\":6,\"output_tokens\":9}}\n\n"
             STOP_EV);
    oai_read(&o, &got);
    CHECK_INT(o.bad + o.errors, 0, "unknowns: no error");
    CHECK_STR(o.reasoning.data, o.reasoning.len, "Let me see.",
              "thinking to reasoning_content");
    CHECK_STR(o.text.data, o.text.len, "Hi", "a block's initial text");
    CHECK_INT(o.tools, 0, "no tool call from a thinking block");
    u = o.usage;
    CHECK_INT(usage_of(u, "prompt_tokens"), 126,
              "prompt: input of message_delta and cache of message_start");
    CHECK_INT(usage_of(u, "completion_tokens"), 9, "completion");
    CHECK_INT(usage_of(json_object_get(u, "prompt_tokens_details"),
                       "cached_tokens"), 100, "cached");
    CHECK_INT(usage_of(json_object_get(u, "prompt_tokens_details"),
                       "cache_write_tokens"), 20, "cache written");
    oai_free(&o);
    llmgw_out_free(&got);

    /* cache usage to an Anthropic client */
    run_text(&got, ANT, ANT, START_EV
             "event: content_block_start\ndata: {\"type\":"
             "\"content_block_start\",\"index\":0,\"content_block\":"
             "{\"type\":\"text\",\"text\":\"Hi\"}}\n\n"
             "event: message_delta\ndata: {\"type\":\"message_delta\","
             "\"delta\":{\"stop_reason\":\"stop_sequence\","
             "\"stop_sequence\":\"X\"},\"usage\":{\"output_tokens\":9}}\n\n"
             STOP_EV);
    CHECK_STR(got.data, got.len,
        "event: message_start\ndata: {\"type\":\"message_start\","
        "\"message\":{\"id\":\"msg_x\",\"type\":\"message\","
        "\"role\":\"assistant\",\"model\":\"client-model\",\"content\":[],"
        "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
        "{\"input_tokens\":5,\"cache_creation_input_tokens\":20,"
        "\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\","
        "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
        "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\","
        "\"index\":0}\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\","
        "\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
        "\"usage\":{\"input_tokens\":5,\"cache_creation_input_tokens\":20,"
        "\"cache_read_input_tokens\":100,\"output_tokens\":9}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        "anthropic to anthropic, byte for byte");
    llmgw_out_free(&got);

    /* a tool_use block past what the decoder can index */
    run_text(&got, ANT, OAI, START_EV
             "event: content_block_start\ndata: {\"type\":"
             "\"content_block_start\",\"index\":300,\"content_block\":"
             "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\","
             "\"input\":{}}}\n\n" STOP_EV);
    oai_read(&o, &got);
    CHECK(o.errors == 1 && o.done == 0, "block 300: an error");
    CHECK(contains(&got, "content blocks"),
          "block 300: says why");
    oai_free(&o);
    llmgw_out_free(&got);

    /* a tool_use block that brings its whole input at once */
    run_text(&got, ANT, OAI, START_EV
             "event: content_block_start\ndata: {\"type\":"
             "\"content_block_start\",\"index\":0,\"content_block\":"
             "{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\","
             "\"input\":{\"a\":1}}}\n\n"
             "event: content_block_start\ndata: {\"type\":"
             "\"content_block_start\",\"index\":1,\"content_block\":"
             "{\"type\":\"tool_use\",\"id\":\"u\",\"name\":\"g\","
             "\"input\":{}}}\n\n"
             "event: content_block_delta\ndata: {\"type\":"
             "\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
             "\"input_json_delta\",\"partial_json\":\"{\\\"b\\\":2}\"}}\n\n"
             STOP_EV);
    oai_read(&o, &got);
    CHECK_INT(o.tools, 2, "two tools");
    CHECK_STR(o.args[0].data, o.args[0].len, "{\"a\":1}", "input at once");
    CHECK_STR(o.args[1].data, o.args[1].len, "{\"b\":2}", "second tool");
    CHECK(strcmp(o.id[1], "u") == 0 && strcmp(o.name[1], "g") == 0,
          "second tool: id and name");
    oai_free(&o);
    llmgw_out_free(&got);
}


/* OpenAI streams to an Anthropic client */

static void
test_openai_to_anthropic(void)
{
    size_t          n;
    ant_t           a;
    llmgw_out_t     whole, got;
    unsigned char  *p;

    static const stream_case_t  two = {
        "openai-parse_multiple_pydantic_tools.sse", "",
        "call_JMW1whyEaYG438VE1OIflxA2", "GetWeatherArgs",
        "{\"city\": \"Edinburgh\", \"country\": \"GB\", \"units\": \"c\"}"
        "{\"ticker\": \"AAPL\", \"exchange\": \"NASDAQ\"}", NULL,
        "tool_use", 149, 60,
        "message_start start(tool_use,0) delta(0) stop(0) "
        "start(tool_use,1) delta(1) stop(1) message_delta message_stop"
    };

    static const stream_case_t  length = {
        "openai-parse_max_tokens_reached.sse", "{\"", NULL, NULL, NULL, NULL,
        "max_tokens", 79, 1,
        "message_start start(text,0) delta(0) stop(0) message_delta "
        "message_stop"
    };

    static const stream_case_t  tools = {
        "openai-tools.sse", "", "call_4XzlGBLtUe9dy3GVNV4jhq7h",
        "get_weather", "{\"city\":\"New York City\"}", NULL, "tool_use", 44,
        16, "message_start start(tool_use,0) delta(0) stop(0) message_delta "
        "message_stop"
    };

    static const stream_case_t  text = {
        "openai-parse_pydantic_model.sse",
        "{\"city\":\"San Francisco\",\"temperature\":61,\"units\":\"f\"}",
        NULL, NULL, NULL, NULL, "end_turn", 79, 14,
        "message_start start(text,0) delta(0) stop(0) message_delta "
        "message_stop"
    };

    p = unit_read_file(fixtures, tools.file, &n);
    run_splits("openai-tools.sse to anthropic", &whole, OAI, ANT, p, n);
    check_anthropic_out("openai-tools.sse to anthropic", &whole, &tools,
                        "chatcmpl-ABfwERreu9s99xXsVuOWtIB2UOx62", 0);
    llmgw_out_free(&whole);

    /* cut before [DONE]: an error event, no message_stop */
    run_stream(&got, OAI, ANT, p, n - 15, n - 15, 0);
    CHECK(contains(&got, "event: error\n")
          && !contains(&got, "message_stop"),
          "openai stream cut before [DONE]: an error event");
    llmgw_out_free(&got);
    free(p);

    p = unit_read_file(fixtures, text.file, &n);
    run_splits("openai-parse_pydantic_model.sse to anthropic", &whole, OAI,
               ANT, p, n);
    check_anthropic_out("openai-parse_pydantic_model.sse to anthropic",
                        &whole, &text,
                        "chatcmpl-ABfw1e5abtU8OwGr15vOreYVb2MiF", 0);
    llmgw_out_free(&whole);
    free(p);

    p = unit_read_file(fixtures, two.file, &n);
    run_splits("openai-parse_multiple_pydantic_tools.sse to anthropic",
               &whole, OAI, ANT, p, n);
    check_anthropic_out("openai-parse_multiple_pydantic_tools.sse to "
                        "anthropic", &whole, &two,
                        "chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63", 0);
    ant_read(&a, &whole);
    CHECK(contains(&whole, "\"index\":1,\"content_block\":{\"type\":"
                   "\"tool_use\",\"id\":\"call_DNYTawLBoN8fj3KN6qU9N1Ou\","
                   "\"name\":\"get_stock_price\",\"input\":{}}"),
          "the second tool_use block");
    ant_free(&a);
    llmgw_out_free(&whole);
    free(p);

    p = unit_read_file(fixtures, length.file, &n);
    run_splits("openai-parse_max_tokens_reached.sse to anthropic", &whole,
               OAI, ANT, p, n);
    check_anthropic_out("openai-parse_max_tokens_reached.sse to anthropic",
                        &whole, &length,
                        "chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh", 0);
    llmgw_out_free(&whole);
    free(p);
}


/* the encoder alone: deltas as a gateway's decoder sends them */

static void
send_delta(llmgw_xstream_t *s, llmgw_delta_type_e type, unsigned tool,
    const char *id, const char *text)
{
    llmgw_delta_t  d;

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = type;
    d.tool = tool;

    if (type == LLMGW_DELTA_START || type == LLMGW_DELTA_TOOL_START) {
        d.id = id;
        d.id_len = strlen(id);
        d.name = text;
        d.name_len = strlen(text);

    } else if (type == LLMGW_DELTA_FINISH) {
        d.finish = text;

    } else if (text) {
        d.text = text;
        d.text_len = strlen(text);
    }

    llmgw_xstream_delta(s, &d);
}


static void
test_encoder(void)
{
    ant_t            a;
    llmgw_delta_t    d;
    llmgw_xstream_t  s;

    llmgw_xstream_init(&s, OAI, ANT, "m", 1, 0);

    send_delta(&s, LLMGW_DELTA_START, 0, "chatcmpl-9", "gpt");
    CHECK_INT(s.out.len, 0, "message_start waits for the first delta");

    send_delta(&s, LLMGW_DELTA_REASONING, 0, NULL, "Think.");
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, "");
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, "Calling ");
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, "two.");
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "call_a", "f");
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, "{\"x\":");
    send_delta(&s, LLMGW_DELTA_TOOL_START, 1, "", "g");
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 1, NULL, "{}");
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, "1}");
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 7, NULL, "lost");
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 4000, NULL, "lost");
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "call_a", "f");

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_TEXT;
    d.choice = 1;
    d.text = "other choice";
    d.text_len = 12;
    llmgw_xstream_delta(&s, &d);

    send_delta(&s, LLMGW_DELTA_FINISH, 0, NULL, "stop");

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_USAGE;
    d.usage.prompt = 100;
    d.usage.completion = 7;
    d.usage.cached = 40;
    d.usage.cache_write = -1;
    d.usage.total = -1;
    llmgw_xstream_delta(&s, &d);

    send_delta(&s, LLMGW_DELTA_END, 0, NULL, NULL);

    /* the late delta to tool 0 goes to its block, closed by then: the
     * one delta the reader counts as bad */
    ant_read(&a, &s.out);
    CHECK_INT(a.bad, 1, "encoder: only the late delta is out of place");
    CHECK(strcmp(a.seq, "message_start start(thinking,0) delta(0) stop(0) "
                 "start(text,1) delta(1) stop(1) start(tool_use,2) delta(2) "
                 "stop(2) start(tool_use,3) delta(3) stop(3) message_delta "
                 "message_stop") == 0, "encoder: events %s", a.seq);
    CHECK(contains(&s.out, "\"index\":2,\"delta\":{\"type\":"
                   "\"input_json_delta\",\"partial_json\":\"1}\"}"),
          "encoder: the late delta goes to its tool's block");
    CHECK_STR(a.thinking.data, a.thinking.len, "Think.", "encoder: thinking");
    CHECK_STR(a.text.data, a.text.len, "Calling two.", "encoder: text");
    CHECK_STR(a.args.data, a.args.len, "{\"x\":{}", "encoder: arguments "
              "of open blocks");
    CHECK(strcmp(llmgw_json_str(a.tool, "id", NULL), "call_a") == 0,
          "encoder: tool id");
    CHECK(strcmp(llmgw_json_str(json_object_get(a.delta, "delta"),
                                "stop_reason", NULL), "tool_use") == 0,
          "encoder: stop with tool calls is tool_use");
    CHECK_INT(usage_of(json_object_get(a.delta, "usage"), "input_tokens"), 60,
              "encoder: input_tokens without cache reads");
    CHECK_INT(usage_of(json_object_get(a.delta, "usage"),
                       "cache_read_input_tokens"), 40,
              "encoder: cache_read_input_tokens");
    CHECK_INT(usage_of(json_object_get(a.start, "usage"), "input_tokens"), 0,
              "encoder: input unknown at message_start");
    CHECK(contains(&s.out, "\"id\":\"toolu_chatcmpl-9_1\""),
          "encoder: an id for a call without one");
    CHECK(!contains(&s.out, "other choice"),
          "encoder: choice 1 dropped");
    ant_free(&a);
    llmgw_xstream_free(&s);

    /* nothing but the end */
    llmgw_xstream_init(&s, OAI, ANT, "m", 1, 0);
    send_delta(&s, LLMGW_DELTA_END, 0, NULL, NULL);
    CHECK_STR(s.out.data, s.out.len,
        "event: message_start\ndata: {\"type\":\"message_start\","
        "\"message\":{\"id\":\"msg_llmgw\",\"type\":\"message\","
        "\"role\":\"assistant\",\"model\":\"m\",\"content\":[],"
        "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
        "{\"input_tokens\":0,\"cache_creation_input_tokens\":0,"
        "\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\","
        "\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
        "\"usage\":{\"output_tokens\":0}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        "encoder: an empty stream");
    llmgw_xstream_free(&s);

    /* length */
    llmgw_xstream_init(&s, OAI, ANT, "m", 1, 0);
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, "a");
    send_delta(&s, LLMGW_DELTA_FINISH, 0, NULL, "length");
    send_delta(&s, LLMGW_DELTA_END, 0, NULL, NULL);
    CHECK(contains(&s.out, "\"stop_reason\":\"max_tokens\""),
          "encoder: length is max_tokens");
    llmgw_xstream_free(&s);

    /* an error after content */
    llmgw_xstream_init(&s, OAI, ANT, "m", 1, 0);
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, "a");
    llmgw_xstream_fail(&s, "rate_limit_error", "slow");
    ant_read(&a, &s.out);
    CHECK(strcmp(a.seq, "message_start start(text,0) delta(0) error") == 0,
          "encoder: error after text: %s", a.seq);
    CHECK(strcmp(llmgw_json_str(a.error, "type", NULL), "rate_limit_error")
          == 0, "encoder: error type");
    ant_free(&a);
    llmgw_xstream_free(&s);
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }

    test_request_in();
    test_request_out();
    test_round_trip();
    test_responses();
    test_errors();
    test_anthropic_streams();
    test_unnamed_events();
    test_cut_streams();
    test_stream_events();
    test_openai_to_anthropic();
    test_encoder();

    UNIT_DONE("unit_anthropic");
}
