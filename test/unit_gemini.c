/*
 * Unit tests of src/providers/llmgw_gemini_xlate.c: canonical requests to
 * GenerateContentRequest, responses and errors back, embeddings both ways,
 * and recorded streams through the SSE splitter and an xstream to OpenAI
 * chunks, cut at every byte.
 */

#include "xstream_feed.h"


static const char  *fixtures = "fixtures";

#define GEM  (&llmgw_format_gemini)
#define OAI  (&llmgw_format_openai)

static char  dumped[8192];


/* got equals the JSON text want (member order aside); dumps got */

static int
same(json_t *got, const char *want)
{
    int           eq;
    char         *s;
    json_t       *w;
    json_error_t  e;

    w = json_loads(want, 0, &e);
    if (w == NULL) {
        fprintf(stderr, "bad JSON in a test: %s: %s\n", e.text, want);
        abort();
    }

    eq = got != NULL && json_equal(got, w);
    s = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    snprintf(dumped, sizeof(dumped), "%s", s ? s : "(null)");

    free(s);
    json_decref(w);

    return eq;
}


static llmgw_xreq_t
opt_for(const char *model)
{
    llmgw_xreq_t  opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = model;
    opt.model_len = strlen(model);

    return opt;
}


/* request_out on text; the Gemini request, or NULL with err */

static json_t *
req_out(const char *text, llmgw_xerr_t *err)
{
    json_t        *canon, *req;
    llmgw_xreq_t   opt;

    opt = opt_for("gemini-2.5-flash");
    canon = parse(text);
    memset(err, 0, sizeof(llmgw_xerr_t));

    req = llmgw_format_gemini.request_out(canon, &opt, err);

    json_decref(canon);

    return req;
}


static void
check_req(const char *what, const char *canon, const char *want)
{
    json_t        *req;
    llmgw_xerr_t   err;

    req = req_out(canon, &err);
    CHECK(same(req, want), "%s: got %s (error: %s)", what, dumped,
          req ? "" : err.message);
    json_decref(req);
}


/* the request is refused with 400 and a message holding needle */

static void
check_req_400(const char *what, const char *canon, const char *needle)
{
    json_t        *req;
    llmgw_xerr_t   err;

    req = req_out(canon, &err);
    CHECK(req == NULL, "%s: refused", what);
    json_decref(req);

    CHECK_INT(err.status, 400, "%s: status", what);
    CHECK(err.type && strcmp(err.type, "invalid_request_error") == 0,
          "%s: type %s", what, err.type ? err.type : "(null)");
    CHECK(strstr(err.message, needle) != NULL, "%s: message \"%s\" names "
          "\"%s\"", what, err.message, needle);
}


static void
test_request_roles(void)
{
    check_req("roles",
        "{\"model\":\"m\",\"stream\":true,\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"developer\",\"content\":[{\"type\":\"text\","
        "\"text\":\"Use SI units.\"}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"there\"}]},"
        "{\"role\":\"assistant\",\"content\":\"Hello\"},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
        "\"text\":\"again\"}]},"
        "{\"role\":\"user\",\"content\":\"Bye\"}]}",
        "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"},"
        "{\"text\":\"Use SI units.\"}]},"
        "\"contents\":["
        "{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"},"
        "{\"text\":\"there\"}]},"
        "{\"role\":\"model\",\"parts\":[{\"text\":\"Hello\"},"
        "{\"text\":\"again\"}]},"
        "{\"role\":\"user\",\"parts\":[{\"text\":\"Bye\"}]}]}");

    check_req("no system, empty content dropped",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"assistant\",\"content\":null},"
        "{\"role\":\"assistant\",\"content\":\"\"},"
        "{\"role\":\"user\",\"content\":\"Again\"}]}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"},"
        "{\"text\":\"Again\"}]}]}");

    check_req_400("no messages", "{\"model\":\"m\"}", "messages");
    check_req_400("messages not an array",
                  "{\"messages\":{\"role\":\"user\"}}", "messages");
    check_req_400("empty messages", "{\"messages\":[]}", "messages");
    check_req_400("message not an object", "{\"messages\":[\"hi\"]}",
                  "messages[0]");
    check_req_400("no role", "{\"messages\":[{\"content\":\"hi\"}]}",
                  "messages[0].role");
    check_req_400("function role",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                  "{\"role\":\"function\",\"name\":\"f\",\"content\":\"1\"}]}",
                  "role 'function'");
    check_req_400("content a number",
                  "{\"messages\":[{\"role\":\"user\",\"content\":5}]}",
                  "messages[0].content");
    check_req_400("image in a system message",
                  "{\"messages\":[{\"role\":\"system\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                  "\"https://a.b/c.png\"}}]},"
                  "{\"role\":\"user\",\"content\":\"x\"}]}",
                  "system message");
    check_req_400("unknown part",
                  "{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"video_url\",\"video_url\":\"x\"}]}]}",
                  "'video_url'");
    check_req_400("text part not a string",
                  "{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"text\",\"text\":1}]}]}",
                  "content[0].text");
}


static void
test_request_media(void)
{
    check_req("images and audio",
        "{\"messages\":[{\"role\":\"user\",\"content\":["
        "{\"type\":\"text\",\"text\":\"What is this?\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"data:image/png;base64,iVBORw0KGgo=\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"https://example.com/a/cat.PNG?size=2#x\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"https://example.com/photo\",\"detail\":\"high\"}},"
        "{\"type\":\"image_url\",\"image_url\":"
        "\"http://example.com/x.webp\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"gs://bucket/doc.pdf\"}},"
        "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"UklGRg==\","
        "\"format\":\"wav\"}},"
        "{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\",\"file_data\":"
        "\"data:application/pdf;base64,JVBERi0=\"}}]}]}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":["
        "{\"text\":\"What is this?\"},"
        "{\"inlineData\":{\"mimeType\":\"image/png\","
        "\"data\":\"iVBORw0KGgo=\"}},"
        "{\"fileData\":{\"mimeType\":\"image/png\",\"fileUri\":"
        "\"https://example.com/a/cat.PNG?size=2#x\"}},"
        "{\"fileData\":{\"mimeType\":\"image/jpeg\",\"fileUri\":"
        "\"https://example.com/photo\"}},"
        "{\"fileData\":{\"mimeType\":\"image/webp\",\"fileUri\":"
        "\"http://example.com/x.webp\"}},"
        "{\"fileData\":{\"mimeType\":\"application/pdf\",\"fileUri\":"
        "\"gs://bucket/doc.pdf\"}},"
        "{\"inlineData\":{\"mimeType\":\"audio/wav\",\"data\":"
        "\"UklGRg==\"}},"
        "{\"inlineData\":{\"mimeType\":\"application/pdf\",\"data\":"
        "\"JVBERi0=\"}}]}]}");

    check_req_400("ftp image",
                  "{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                  "\"ftp://a/b.png\"}}]}]}", "image URL");
    check_req_400("data URL not base64",
                  "{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                  "\"data:image/png,abc\"}}]}]}", "base64");
    check_req_400("data URL without a type",
                  "{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                  "\"data:;base64,abc\"}}]}]}", "media type");
    check_req_400("image without url",
                  "{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":{}}]}]}",
                  "image_url.url");
    check_req_400("flac audio",
                  "{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"AA\","
                  "\"format\":\"flac\"}}]}]}", "audio format 'flac'");
    check_req_400("file by id",
                  "{\"messages\":[{\"role\":\"user\",\"content\":["
                  "{\"type\":\"file\",\"file\":{\"file_id\":\"file-1\"}}]}]}",
                  "file_id");
}


static void
test_request_tools(void)
{
    check_req("tool calls and results",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
        "{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_time\",\"arguments\":\"\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"content\":"
        "\"{\\\"temp\\\":21}\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_b\",\"content\":"
        "[{\"type\":\"text\",\"text\":\"no\"},{\"type\":\"text\","
        "\"text\":\"on\"}]},"
        "{\"role\":\"user\",\"content\":\"Thanks\"},"
        "{\"role\":\"assistant\",\"content\":\"Again:\",\"tool_calls\":["
        "{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_news\",\"arguments\":\"{}\"},\"extra_content\":{\"google\":"
        "{\"thought_signature\":\"c2ln\"}}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"content\":"
        "\"[1,2]\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"description\":\"Weather now\",\"strict\":true,"
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":"
        "{\"type\":\"string\"}},\"required\":[\"city\"],"
        "\"additionalProperties\":false}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}],"
        "\"tool_choice\":\"required\",\"parallel_tool_calls\":true}",
        "{\"contents\":["
        "{\"role\":\"user\",\"parts\":[{\"text\":\"Weather?\"}]},"
        "{\"role\":\"model\",\"parts\":["
        "{\"functionCall\":{\"name\":\"get_weather\",\"args\":"
        "{\"city\":\"Paris\"}},\"thoughtSignature\":"
        "\"skip_thought_signature_validator\"},"
        "{\"functionCall\":{\"name\":\"get_time\",\"args\":{}}}]},"
        "{\"role\":\"user\",\"parts\":["
        "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":"
        "{\"temp\":21}}},"
        "{\"functionResponse\":{\"name\":\"get_time\",\"response\":"
        "{\"content\":\"noon\"}}},"
        "{\"text\":\"Thanks\"}]},"
        "{\"role\":\"model\",\"parts\":[{\"text\":\"Again:\"},"
        "{\"functionCall\":{\"name\":\"get_news\",\"args\":{}},"
        "\"thoughtSignature\":\"c2ln\"}]},"
        "{\"role\":\"user\",\"parts\":["
        "{\"functionResponse\":{\"name\":\"get_news\",\"response\":"
        "{\"content\":\"[1,2]\"}}}]}],"
        "\"tools\":[{\"functionDeclarations\":["
        "{\"name\":\"get_weather\",\"description\":\"Weather now\","
        "\"parametersJsonSchema\":{\"type\":\"object\",\"properties\":"
        "{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"],"
        "\"additionalProperties\":false}},"
        "{\"name\":\"get_time\"}]}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\"}}}");

    check_req("tool_choice auto",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
        "\"tool_choice\":\"auto\"}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\"}]}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"AUTO\"}}}");

    check_req("tool_choice none",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
        "\"tool_choice\":\"none\"}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\"}]}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"NONE\"}}}");

    check_req("tool_choice named",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"g\"}}],"
        "\"tool_choice\":{\"type\":\"function\",\"function\":"
        "{\"name\":\"g\"}}}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\"},"
        "{\"name\":\"g\"}]}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\","
        "\"allowedFunctionNames\":[\"g\"]}}}");

    check_req("tool name from the message when no call has the id",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"zz\",\"name\":\"f\","
        "\"content\":\"ok\"}]}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"},"
        "{\"functionResponse\":{\"name\":\"f\",\"response\":"
        "{\"content\":\"ok\"}}}]}]}");

    check_req_400("unparseable arguments",
                  "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":["
                  "{\"id\":\"c\",\"type\":\"function\",\"function\":"
                  "{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}]}",
                  "tool_calls[0].function.arguments");
    check_req_400("arguments an array",
                  "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":["
                  "{\"id\":\"c\",\"type\":\"function\",\"function\":"
                  "{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}",
                  "arguments");
    check_req_400("call without a name",
                  "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":["
                  "{\"id\":\"c\",\"type\":\"function\",\"function\":"
                  "{\"arguments\":\"{}\"}}]}]}", "function.name");
    check_req_400("result of no call",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                  "{\"role\":\"tool\",\"tool_call_id\":\"nope\","
                  "\"content\":\"1\"}]}", "'nope'");
    check_req_400("result without an id",
                  "{\"messages\":[{\"role\":\"tool\",\"content\":\"1\"}]}",
                  "tool_call_id");
    check_req_400("result with an image",
                  "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":["
                  "{\"id\":\"c\",\"type\":\"function\",\"function\":"
                  "{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                  "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":["
                  "{\"type\":\"image_url\",\"image_url\":\"x\"}]}]}",
                  "messages[1].content");
    check_req_400("a built-in tool",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"tools\":[{\"type\":\"web_search\"}]}", "tools[0]");
    check_req_400("tools not an array",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"tools\":{}}", "'tools'");
    check_req_400("tool_choice unknown",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"tool_choice\":\"any\"}", "tool_choice");
}


static void
test_request_config(void)
{
    check_req("generationConfig",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"max_completion_tokens\":100,\"max_tokens\":5,"
        "\"temperature\":0.5,\"top_p\":0.9,\"stop\":\"END\",\"n\":2,"
        "\"seed\":42,\"presence_penalty\":0.25,\"frequency_penalty\":-0.5,"
        "\"response_format\":{\"type\":\"json_object\"},"
        "\"reasoning_effort\":\"low\",\"user\":\"u1\","
        "\"stream_options\":{\"include_usage\":true}}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"generationConfig\":{\"maxOutputTokens\":100,\"temperature\":0.5,"
        "\"topP\":0.9,\"stopSequences\":[\"END\"],\"candidateCount\":2,"
        "\"seed\":42,\"presencePenalty\":0.25,\"frequencyPenalty\":-0.5,"
        "\"responseMimeType\":\"application/json\","
        "\"thinkingConfig\":{\"thinkingBudget\":1024,"
        "\"includeThoughts\":true}}}");

    check_req("max_tokens, stop array, json_schema, medium",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"max_tokens\":5,\"max_completion_tokens\":null,"
        "\"stop\":[\"a\",\"b\"],\"temperature\":1,"
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
        "{\"name\":\"r\",\"strict\":true,\"schema\":{\"type\":\"object\","
        "\"properties\":{\"a\":{\"type\":[\"string\",\"null\"]}}}}},"
        "\"reasoning_effort\":\"medium\"}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"generationConfig\":{\"maxOutputTokens\":5,\"temperature\":1,"
        "\"stopSequences\":[\"a\",\"b\"],"
        "\"responseMimeType\":\"application/json\","
        "\"responseJsonSchema\":{\"type\":\"object\",\"properties\":"
        "{\"a\":{\"type\":[\"string\",\"null\"]}}},"
        "\"thinkingConfig\":{\"thinkingBudget\":8192,"
        "\"includeThoughts\":true}}}");

    check_req("high, text format",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"reasoning_effort\":\"high\",\"response_format\":{\"type\":"
        "\"text\"}}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":24576,"
        "\"includeThoughts\":true}}}");

    check_req("thinking off",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"reasoning_effort\":\"none\"}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":0}}}");

    check_req("minimal as low",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
        "\"reasoning_effort\":\"minimal\"}",
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
        "\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":1024,"
        "\"includeThoughts\":true}}}");

    check_req_400("temperature a string",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"temperature\":\"hot\"}", "'temperature'");
    check_req_400("max_tokens a float",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"max_tokens\":1.5}", "'max_tokens'");
    check_req_400("stop of numbers",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"stop\":[1]}", "'stop'");
    check_req_400("xml format",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"response_format\":{\"type\":\"xml\"}}", "'xml'");
    check_req_400("effort unknown",
                  "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                  "\"reasoning_effort\":\"extreme\"}", "reasoning_effort");
}


/* response_in */

static json_t *
resp_in(const char *text, llmgw_xerr_t *err)
{
    json_t  *resp, *canon;

    resp = parse(text);
    memset(err, 0, sizeof(llmgw_xerr_t));
    canon = llmgw_format_gemini.response_in(resp, err);
    json_decref(resp);

    return canon;
}


static void
check_resp(const char *what, const char *resp, const char *want)
{
    json_t        *canon;
    llmgw_xerr_t   err;

    canon = resp_in(resp, &err);
    CHECK(same(canon, want), "%s: got %s (error: %s)", what, dumped,
          canon ? "" : err.message);
    json_decref(canon);
}


static void
check_resp_err(const char *what, const char *resp, int status,
    const char *type, const char *message)
{
    json_t        *canon;
    llmgw_xerr_t   err;

    canon = resp_in(resp, &err);
    CHECK(canon == NULL, "%s: refused", what);
    json_decref(canon);
    CHECK_INT(err.status, status, "%s: status", what);
    CHECK(err.type && strcmp(err.type, type) == 0, "%s: type %s", what,
          err.type ? err.type : "(null)");
    CHECK_STR(err.message, strlen(err.message), message, "%s: message",
              what);
}


static void
test_response(void)
{
    size_t         i;
    char           resp[512], want[512];

    static const char  *finishes[][2] = {
        { "STOP", "stop" }, { "MAX_TOKENS", "length" },
        { "SAFETY", "content_filter" }, { "RECITATION", "content_filter" },
        { "BLOCKLIST", "content_filter" },
        { "PROHIBITED_CONTENT", "content_filter" },
        { "SPII", "content_filter" }, { "IMAGE_SAFETY", "content_filter" },
        { "LANGUAGE", "content_filter" }, { "OTHER", "stop" },
        { "MALFORMED_FUNCTION_CALL", "stop" },
        { "FINISH_REASON_UNSPECIFIED", "stop" }, { "NEW_ENUM", "stop" }
    };

    check_resp("text, thoughts, usage",
        "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
        "{\"text\":\"Let me \",\"thought\":true},{\"text\":\"Hello\"},"
        "{\"text\":\"think.\",\"thought\":true},{\"text\":\" world\"},"
        "{\"text\":\"\"}]},\"finishReason\":\"STOP\",\"index\":0}],"
        "\"usageMetadata\":{\"promptTokenCount\":10,"
        "\"candidatesTokenCount\":5,\"thoughtsTokenCount\":7,"
        "\"cachedContentTokenCount\":4,\"totalTokenCount\":22},"
        "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"abc\"}",
        "{\"id\":\"abc\",\"object\":\"chat.completion\",\"created\":0,"
        "\"model\":\"gemini-2.5-flash\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"Hello world\","
        "\"reasoning_content\":\"Let me think.\"},"
        "\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":12,"
        "\"total_tokens\":22,\"prompt_tokens_details\":"
        "{\"cached_tokens\":4,\"cache_write_tokens\":0}}}");

    check_resp("function calls",
        "{\"candidates\":[{\"content\":{\"parts\":["
        "{\"functionCall\":{\"name\":\"get_weather\",\"args\":"
        "{\"city\":\"Paris\",\"n\":[1,2.5,null]}},"
        "\"thoughtSignature\":\"c2ln\"},"
        "{\"functionCall\":{\"name\":\"get_time\",\"id\":\"fc-7\"}}]},"
        "\"finishReason\":\"STOP\"}],"
        "\"usageMetadata\":{\"promptTokenCount\":3,"
        "\"candidatesTokenCount\":4,\"totalTokenCount\":7}}",
        "{\"id\":\"\",\"object\":\"chat.completion\",\"created\":0,"
        "\"model\":\"\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
        "\"assistant\",\"content\":null,\"tool_calls\":["
        "{\"id\":\"call_0\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"arguments\":"
        "\"{\\\"city\\\":\\\"Paris\\\",\\\"n\\\":[1,2.5,null]}\"},"
        "\"extra_content\":{\"google\":{\"thought_signature\":\"c2ln\"}}},"
        "{\"id\":\"fc-7\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_time\",\"arguments\":\"{}\"}}]},"
        "\"finish_reason\":\"tool_calls\"}],"
        "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,"
        "\"total_tokens\":7}}");

    check_resp("two candidates, code execution tokens, no finish",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"A\"}]}},"
        "{\"content\":{\"parts\":[{\"text\":\"B\"},{\"functionCall\":"
        "{\"name\":\"f\",\"args\":{}}}]},\"index\":1,"
        "\"finishReason\":\"MAX_TOKENS\"}],"
        "\"usageMetadata\":{\"promptTokenCount\":21,"
        "\"toolUsePromptTokenCount\":243,\"candidatesTokenCount\":126,"
        "\"thoughtsTokenCount\":95,\"totalTokenCount\":485}}",
        "{\"id\":\"\",\"object\":\"chat.completion\",\"created\":0,"
        "\"model\":\"\",\"choices\":["
        "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A\"},"
        "\"finish_reason\":\"stop\"},"
        "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":\"B\","
        "\"tool_calls\":[{\"id\":\"call_0\",\"type\":\"function\","
        "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
        "\"finish_reason\":\"length\"}],"
        "\"usage\":{\"prompt_tokens\":264,\"completion_tokens\":221,"
        "\"total_tokens\":485}}");

    check_resp("safety stop without content is an answer",
        "{\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0,"
        "\"safetyRatings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\","
        "\"probability\":\"HIGH\",\"blocked\":true}]}],"
        "\"usageMetadata\":{\"promptTokenCount\":5,\"totalTokenCount\":5}}",
        "{\"id\":\"\",\"object\":\"chat.completion\",\"created\":0,"
        "\"model\":\"\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
        "\"assistant\",\"content\":null},\"finish_reason\":"
        "\"content_filter\"}],\"usage\":{\"prompt_tokens\":5,"
        "\"completion_tokens\":0,\"total_tokens\":5}}");

    for (i = 0; i < sizeof(finishes) / sizeof(finishes[0]); i++) {
        snprintf(resp, sizeof(resp),
                 "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},"
                 "\"finishReason\":\"%s\"}]}", finishes[i][0]);
        snprintf(want, sizeof(want),
                 "{\"id\":\"\",\"object\":\"chat.completion\",\"created\":0,"
                 "\"model\":\"\",\"choices\":[{\"index\":0,\"message\":"
                 "{\"role\":\"assistant\",\"content\":\"x\"},"
                 "\"finish_reason\":\"%s\"}],\"usage\":{\"prompt_tokens\":0,"
                 "\"completion_tokens\":0,\"total_tokens\":0}}",
                 finishes[i][1]);
        check_resp(finishes[i][0], resp, want);
    }

    check_resp_err("prompt blocked",
        "{\"promptFeedback\":{\"blockReason\":\"SAFETY\",\"safetyRatings\":"
        "[]},\"usageMetadata\":{\"promptTokenCount\":8}}",
        400, "invalid_request_error",
        "The prompt was blocked by the provider's safety filter (SAFETY)");
    check_resp_err("prompt blocked, empty candidates",
        "{\"candidates\":[],\"promptFeedback\":{\"blockReason\":"
        "\"PROHIBITED_CONTENT\"}}",
        400, "invalid_request_error",
        "The prompt was blocked by the provider's safety filter "
        "(PROHIBITED_CONTENT)");
    check_resp_err("no candidates", "{\"usageMetadata\":{}}", 502,
                   "api_error", "The provider's response has no candidates");
    check_resp_err("an error in a 2xx",
        "{\"error\":{\"code\":429,\"message\":\"Quota exceeded\","
        "\"status\":\"RESOURCE_EXHAUSTED\"}}",
        429, "rate_limit_error", "Quota exceeded");
    check_resp_err("not an object", "[1]", 502, "api_error",
                   "The provider's response is not a JSON object");
}


/* error_in */

static void
check_error(const char *what, const char *body, int status, int want_status,
    const char *type, const char *message)
{
    int            rc;
    json_t        *b;
    llmgw_xerr_t   err;

    b = parse(body);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    rc = llmgw_format_gemini.error_in(b, status, &err);
    json_decref(b);

    if (type == NULL) {
        CHECK_INT(rc, -1, "%s: not a Gemini error", what);
        return;
    }

    CHECK_INT(rc, 0, "%s: an error", what);
    CHECK_INT(err.status, want_status, "%s: status", what);
    CHECK(err.type && strcmp(err.type, type) == 0, "%s: type %s, want %s",
          what, err.type ? err.type : "(null)", type);
    CHECK_STR(err.message, strlen(err.message), message, "%s: message",
              what);
}


static void
test_errors(void)
{
    size_t  i;
    char    body[1024], big[600], want[300];

    static const char  *types[][2] = {
        { "INVALID_ARGUMENT", "invalid_request_error" },
        { "FAILED_PRECONDITION", "invalid_request_error" },
        { "OUT_OF_RANGE", "invalid_request_error" },
        { "UNAUTHENTICATED", "authentication_error" },
        { "PERMISSION_DENIED", "permission_error" },
        { "NOT_FOUND", "not_found_error" },
        { "RESOURCE_EXHAUSTED", "rate_limit_error" },
        { "UNAVAILABLE", "overloaded_error" },
        { "DEADLINE_EXCEEDED", "api_error" },
        { "INTERNAL", "api_error" },
        { "CANCELLED", "api_error" },
        { "UNKNOWN", "api_error" }
    };

    check_error("API key",
        "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please "
        "pass a valid API key.\",\"status\":\"INVALID_ARGUMENT\","
        "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc."
        "ErrorInfo\",\"reason\":\"API_KEY_INVALID\"}]}}",
        400, 400, "invalid_request_error",
        "API key not valid. Please pass a valid API key.");

    check_error("array form",
        "[{\"error\":{\"code\":503,\"message\":\"The model is overloaded. "
        "Please try again later.\",\"status\":\"UNAVAILABLE\"}}]",
        503, 503, "overloaded_error",
        "The model is overloaded. Please try again later.");

    check_error("2xx: status from the code",
        "{\"error\":{\"code\":429,\"message\":\"Resource exhausted\","
        "\"status\":\"RESOURCE_EXHAUSTED\"}}", 200, 429, "rate_limit_error",
        "Resource exhausted");

    check_error("2xx, no code", "{\"error\":{\"message\":\"m\"}}", 200, 502,
                "api_error", "m");

    check_error("no message", "{\"error\":{\"code\":404,\"status\":"
                "\"NOT_FOUND\"}}", 404, 404, "not_found_error", "NOT_FOUND");

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        snprintf(body, sizeof(body), "{\"error\":{\"code\":500,\"message\":"
                 "\"m\",\"status\":\"%s\"}}", types[i][0]);
        check_error(types[i][0], body, 500, 500, types[i][1], "m");
    }

    check_error("not an error", "{\"candidates\":[]}", 400, 0, NULL, NULL);
    check_error("error a string", "{\"error\":\"x\"}", 400, 0, NULL, NULL);
    check_error("empty array", "[]", 400, 0, NULL, NULL);
    check_error("array of two", "[{\"error\":{}},{\"error\":{}}]", 400, 0,
                NULL, NULL);

    /* truncated to the buffer, not in the middle of a character */
    memset(big, 'a', 254);
    memcpy(big + 254, "\xc3\xa9 and more and more", 20);
    memset(big + 274, 'b', 100);
    big[374] = '\0';

    snprintf(body, sizeof(body), "{\"error\":{\"code\":400,\"message\":"
             "\"%s\",\"status\":\"INVALID_ARGUMENT\"}}", big);
    memset(want, 'a', 254);
    want[254] = '\0';
    check_error("long message", body, 400, 400, "invalid_request_error",
                want);
}


/* embeddings */

static void
test_embeddings(void)
{
    json_t        *canon, *out;
    llmgw_xreq_t   opt;
    llmgw_xerr_t   err;

    opt = opt_for("text-embedding-004");

    canon = parse("{\"model\":\"emb\",\"input\":\"hello\","
                  "\"dimensions\":256,\"encoding_format\":\"float\"}");
    out = llmgw_format_gemini.embed_out(canon, &opt, &err);
    CHECK(same(out, "{\"content\":{\"parts\":[{\"text\":\"hello\"}]},"
               "\"outputDimensionality\":256}"), "one text: %s", dumped);
    json_decref(out);
    json_decref(canon);

    canon = parse("{\"model\":\"emb\",\"input\":[\"a\",\"b\"]}");
    out = llmgw_format_gemini.embed_out(canon, &opt, &err);
    CHECK(same(out, "{\"requests\":["
               "{\"model\":\"models/text-embedding-004\",\"content\":"
               "{\"parts\":[{\"text\":\"a\"}]}},"
               "{\"model\":\"models/text-embedding-004\",\"content\":"
               "{\"parts\":[{\"text\":\"b\"}]}}]}"), "a batch: %s", dumped);
    json_decref(out);
    json_decref(canon);

    canon = parse("{\"input\":[\"a\"],\"dimensions\":8}");
    out = llmgw_format_gemini.embed_out(canon, &opt, &err);
    CHECK(same(out, "{\"requests\":["
               "{\"model\":\"models/text-embedding-004\",\"content\":"
               "{\"parts\":[{\"text\":\"a\"}]},\"outputDimensionality\":8}]}"),
          "a batch of one: %s", dumped);
    json_decref(out);
    json_decref(canon);

    {
        size_t  i;

        static const char  *bad[][2] = {
            { "{\"input\":[[1,2,3]]}", "token arrays" },
            { "{\"input\":[1,2,3]}", "input[0]" },
            { "{\"input\":[\"a\",[1]]}", "input[1]" },
            { "{\"input\":[]}", "'input'" },
            { "{\"input\":5}", "'input'" },
            { "{}", "'input'" },
            { "{\"input\":\"a\",\"dimensions\":0}", "'dimensions'" },
            { "{\"input\":\"a\",\"dimensions\":\"8\"}", "'dimensions'" }
        };

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            canon = parse(bad[i][0]);
            memset(&err, 0, sizeof(llmgw_xerr_t));
            out = llmgw_format_gemini.embed_out(canon, &opt, &err);
            CHECK(out == NULL, "embed_out %s refused", bad[i][0]);
            CHECK_INT(err.status, 400, "embed_out %s: status", bad[i][0]);
            CHECK(strstr(err.message, bad[i][1]) != NULL,
                  "embed_out %s: \"%s\" names %s", bad[i][0], err.message,
                  bad[i][1]);
            json_decref(out);
            json_decref(canon);
        }
    }

    canon = parse("{\"embedding\":{\"values\":[0.5,-0.25,0]}}");
    out = llmgw_format_gemini.embed_in(canon, "text-embedding-004", &err);
    CHECK(same(out, "{\"object\":\"list\",\"data\":[{\"object\":"
               "\"embedding\",\"index\":0,\"embedding\":[0.5,-0.25,0]}],"
               "\"model\":\"text-embedding-004\",\"usage\":"
               "{\"prompt_tokens\":0,\"total_tokens\":0}}"),
          "embed_in one: %s", dumped);
    json_decref(out);
    json_decref(canon);

    canon = parse("{\"embeddings\":[{\"values\":[1]},{\"values\":[2,3]}]}");
    out = llmgw_format_gemini.embed_in(canon, "m", &err);
    CHECK(same(out, "{\"object\":\"list\",\"data\":["
               "{\"object\":\"embedding\",\"index\":0,\"embedding\":[1]},"
               "{\"object\":\"embedding\",\"index\":1,\"embedding\":[2,3]}],"
               "\"model\":\"m\",\"usage\":{\"prompt_tokens\":0,"
               "\"total_tokens\":0}}"), "embed_in batch: %s", dumped);
    json_decref(out);
    json_decref(canon);

    {
        size_t  i;

        static const char  *bad[] = {
            "{}", "[]", "{\"embedding\":{}}",
            "{\"embeddings\":[{\"values\":\"x\"}]}",
            "{\"embeddings\":[{\"values\":[1,\"2\"]}]}",
            "{\"embeddings\":[{}]}"
        };

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            canon = parse(bad[i]);
            memset(&err, 0, sizeof(llmgw_xerr_t));
            out = llmgw_format_gemini.embed_in(canon, "m", &err);
            CHECK(out == NULL, "embed_in %s refused", bad[i]);
            CHECK_INT(err.status, 502, "embed_in %s: status", bad[i]);
            json_decref(out);
            json_decref(canon);
        }
    }
}


/* streams, through xstream_feed.h, gemini to openai; the reference: texts
 * of candidate 0 from every data: line, by jansson */

static void
reference(const char *p, size_t n, llmgw_out_t *text, llmgw_out_t *thought)
{
    size_t       i, len;
    json_t      *ev, *parts, *part;
    const char  *line, *end, *s;

    for (line = p; line < p + n; line = end + 1) {
        end = memchr(line, '\n', p + n - line);
        end = end ? end : p + n;

        if (end - line < 6 || strncmp(line, "data: ", 6) != 0) {
            continue;
        }

        ev = json_loadb(line + 6, end - line - 6, 0, NULL);
        parts = json_object_get(json_object_get(json_array_get(
                    json_object_get(ev, "candidates"), 0), "content"),
                    "parts");

        for (i = 0; i < json_array_size(parts); i++) {
            part = json_array_get(parts, i);
            s = llmgw_json_str(part, "text", &len);

            if (s) {
                llmgw_out_raw(json_is_true(json_object_get(part, "thought"))
                              ? thought : text, s, len);
            }
        }

        json_decref(ev);
    }
}


typedef struct {
    const char  *file;
    const char  *text;        /* NULL: the reference's */
    const char  *finish;      /* NULL: the stream ends in an error */
    const char  *error_type;
    const char  *error;       /* the start of the message */
    int64_t      prompt;
    int64_t      completion;
    int64_t      total;
    const char  *tool;
    const char  *args;
    const char  *id;          /* the chunks' id */
    size_t       reasoning;   /* its length */
} stream_case_t;


static const char  blocked[] =
    "The prompt was blocked by the provider's safety filter (SAFETY)";


static const stream_case_t  stream_cases[] = {

    { "gemini-streaming-success-basic-reply-short.sse",
      "The capital of Wyoming is **Cheyenne**.\n", "stop", NULL, NULL,
      7, 10, 17, NULL, NULL, "", 0 },

    { "gemini-streaming-success-thinking-reply-thought-summary.sse",
      NULL, "stop", NULL, NULL, 10, 588, 598, NULL, NULL, NULL, 1133 },

    { "gemini-streaming-success-thinking-function-call-thought-summary-"
      "signature.sse",
      "", "tool_calls", NULL, NULL, 38, 174, 212, "now", "{}",
      "48SHaPHpHKbG-8YPtZCawAk", 765 },

    { "gemini-vertexai-streaming-success-function-call-short.sse",
      "", "tool_calls", NULL, NULL, 0, 0, 0, "getTemperature",
      "{\"city\":\"San Jose\"}", "", 0 },

    { "gemini-streaming-success-code-execution.sse",
      NULL, "stop", NULL, NULL, 264, 221, 485, NULL, NULL,
      "RUy4aObyJcTujrEPqtKYKQ", 0 },

    { "gemini-streaming-success-finish-message.sse",
      "Hello world!", "stop", NULL, NULL, 0, 0, 0, NULL, NULL, "", 0 },

    { "gemini-vertexai-streaming-success-utf8.sse",
      NULL, "stop", NULL, NULL, 0, 0, 0, NULL, NULL, "", 0 },

    { "gemini-streaming-failure-recitation-no-content.sse",
      "text1text2text3text4text5text6text7text8", "content_filter", NULL,
      NULL, 9, 261, 270, NULL, NULL, "", 0 },

    { "gemini-vertexai-streaming-failure-finish-reason-safety.sse",
      "<redacted>", "content_filter", NULL, NULL, 10, 66, 76, NULL, NULL,
      "", 0 },

    { "gemini-streaming-failure-prompt-blocked-safety.sse",
      "", NULL, "invalid_request_error", blocked, -1, -1, -1, NULL, NULL,
      NULL, 0 },

    { "gemini-vertexai-streaming-failure-prompt-blocked-safety.sse",
      "", NULL, "invalid_request_error", blocked, -1, -1, -1, NULL, NULL,
      NULL, 0 },

    { "gemini-vertexai-streaming-failure-error-mid-stream.sse",
      "First Second ", NULL, "api_error",
      "The provider's stream could not be read", -1, -1, -1, NULL, NULL,
      "", 0 },

    { "gemini-vertexai-streaming-failure-empty-content.sse",
      "", NULL, "api_error", "The provider's stream ended before it "
      "finished", -1, -1, -1, NULL, NULL, "", 0 },

    { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};


static void
check_client(const stream_case_t *t, const oai_t *c, const char *text,
    size_t text_len)
{
    const char  *f;

    f = t->file;

    CHECK_INT(c->bad, 0, "%s: every event a chunk", f);
    CHECK_INT(c->after_end, 0, "%s: nothing after the end", f);
    CHECK_MEM(c->text.data, c->text.len, text, text_len, "%s: text", f);

    if (t->reasoning) {
        CHECK_INT(c->reasoning.len, t->reasoning, "%s: reasoning", f);
    }

    if (t->id) {
        CHECK_STR(c->chunk_id, strlen(c->chunk_id), t->id, "%s: chunk id",
                  f);
    }

    if (t->tool) {
        CHECK_INT(c->tools, 1, "%s: one tool call", f);
        CHECK_STR(c->name[0], strlen(c->name[0]), t->tool, "%s: tool", f);
        CHECK_STR(c->id[0], strlen(c->id[0]), "call_0", "%s: tool id", f);
        CHECK_STR(c->args[0].data, c->args[0].len, t->args, "%s: args", f);

    } else {
        CHECK_INT(c->tools, 0, "%s: no tool call", f);
    }

    if (t->finish == NULL) {
        CHECK_INT(c->errors, 1, "%s: ends in an error", f);
        CHECK_INT(c->done, 0, "%s: no [DONE]", f);
        CHECK_INT(c->finishes, 0, "%s: no finish", f);
        CHECK_STR(c->error, strlen(c->error), t->error_type,
                  "%s: error type", f);
        CHECK(strncmp(c->error_msg, t->error, strlen(t->error)) == 0,
              "%s: error \"%s\"", f, c->error_msg);
        return;
    }

    CHECK_INT(c->errors, 0, "%s: no error (%s)", f, c->error_msg);
    CHECK_INT(c->done, 1, "%s: [DONE]", f);
    CHECK_INT(c->finishes, 1, "%s: one finish", f);
    CHECK_STR(c->finish, strlen(c->finish), t->finish, "%s: finish", f);
    CHECK_INT(c->usages, 1, "%s: one usage chunk", f);
    CHECK_INT(usage_of(c->usage, "prompt_tokens"), t->prompt,
              "%s: prompt tokens", f);
    CHECK_INT(usage_of(c->usage, "completion_tokens"), t->completion,
              "%s: completion tokens", f);
    CHECK_INT(usage_of(c->usage, "total_tokens"), t->total,
              "%s: total tokens", f);
}


static void
test_stream_fixtures(void)
{
    char                 *in;
    size_t                n;
    oai_t                 c;
    llmgw_out_t           text, thought, whole;
    const stream_case_t  *t;

    for (t = stream_cases; t->file; t++) {
        in = (char *) unit_read_file(fixtures, t->file, &n);

        memset(&text, 0, sizeof(llmgw_out_t));
        memset(&thought, 0, sizeof(llmgw_out_t));
        reference(in, n, &text, &thought);

        if (t->text) {
            CHECK_MEM(text.data, text.len, t->text, strlen(t->text),
                      "%s: the reference reads the fixture", t->file);
        }

        run_splits(t->file, &whole, GEM, OAI, (unsigned char *) in, n);
        oai_read(&c, &whole);
        check_client(t, &c, (char *) text.data, text.len);
        oai_free(&c);

        llmgw_out_free(&whole);
        llmgw_out_free(&text);
        llmgw_out_free(&thought);
        free(in);
    }
}


/*
 * A stream cut anywhere before the end of its last event, which holds the
 * finishReason, ends in an error; from there on it ends properly.
 */

static void
test_stream_cut(void)
{
    char         *in;
    size_t        n, len, end, bad, i;
    oai_t         c;
    const char   *last;
    llmgw_out_t   got;

    static const char  *files[] = {
        "gemini-streaming-success-basic-reply-short.sse",
        ("gemini-streaming-success-thinking-function-call-thought-summary-"
         "signature.sse"),
        "gemini-streaming-failure-recitation-no-content.sse"
    };

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        in = (char *) unit_read_file(fixtures, files[i], &n);

        /* the end of the last event's JSON */
        for (end = n; end > 0 && in[end - 1] != '}'; end--) {
            /* void */
        }

        last = strstr(in, "finishReason");
        CHECK(last != NULL && (size_t) (last - in) < end,
              "%s: has a finishReason", files[i]);

        bad = 0;

        for (len = 0; len <= n; len++) {
            run_stream(&got, GEM, OAI, (unsigned char *) in, len, len, 0);
            oai_read(&c, &got);

            if (len < end
                ? (c.errors != 1 || c.done != 0 || c.finishes != 0)
                : (c.errors != 0 || c.done != 1 || c.finishes != 1))
            {
                if (bad++ == 0) {
                    UNIT_FAIL("%s: cut at %zu: %u errors, %u [DONE]",
                              files[i], len, c.errors, c.done);
                }
            }

            if (c.bad || c.after_end) {
                bad++;
            }

            oai_free(&c);
            llmgw_out_free(&got);
        }

        CHECK_INT(bad, 0, "%s: every cut ends in an error, every whole "
                  "stream properly", files[i]);
        free(in);
    }
}


static void
check_synthetic(const char *what, const char *in, const char *text,
    const char *finish, const char *error_type, const char *error)
{
    oai_t        c;
    llmgw_out_t  got;

    run_text(&got, GEM, OAI, in);
    oai_read(&c, &got);

    CHECK_INT(c.bad, 0, "%s: every event a chunk: %s", what,
              (char *) got.data);
    CHECK_INT(c.after_end, 0, "%s: nothing after the end", what);
    CHECK_STR(c.text.data, c.text.len, text, "%s: text", what);

    if (finish) {
        CHECK_INT(c.errors, 0, "%s: no error: %s", what, c.error_msg);
        CHECK_STR(c.finish, strlen(c.finish), finish, "%s: finish", what);
        CHECK_INT(c.done, 1, "%s: [DONE]", what);

    } else {
        CHECK_INT(c.errors, 1, "%s: an error", what);
        CHECK_INT(c.finishes, 0, "%s: no finish", what);
        CHECK_STR(c.error, strlen(c.error), error_type, "%s: error type",
                  what);
        CHECK_STR(c.error_msg, strlen(c.error_msg), error, "%s: error",
                  what);
    }

    oai_free(&c);
    llmgw_out_free(&got);
}


static void
test_stream_synthetic(void)
{
    oai_t        c;
    const char  *in;
    llmgw_out_t  got;

    check_synthetic("an error object mid-stream",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},"
        "\"finishReason\":\"STOP\"}]}\r\n\r\n"
        "data: {\"error\":{\"code\":429,\"message\":\"Quota exceeded\","
        "\"status\":\"RESOURCE_EXHAUSTED\"}}\r\n\r\n",
        "Hi", NULL, "rate_limit_error", "Quota exceeded");

    check_synthetic("an error array",
        "data: [{\"error\":{\"code\":500,\"message\":\"Internal error\","
        "\"status\":\"INTERNAL\"}}]\n\n",
        "", NULL, "api_error", "Internal error");

    check_synthetic("invalid JSON",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}]}"
        "\n\ndata: {\"candidates\":\n\n",
        "Hi", NULL, "api_error", "The provider's stream could not be read");

    check_synthetic("not an object", "data: 42\n\n", "", NULL, "api_error",
                    "The provider's stream could not be read");

    check_synthetic("an array of responses", "data: [{\"candidates\":[]}]\n\n",
                    "", NULL, "api_error",
                    "The provider's stream could not be read");

    check_synthetic("an event without data",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},"
        "\"finishReason\":\"STOP\"}]}\n\n: keep-alive\n\n",
        "Hi", NULL, "api_error", "The provider's stream could not be read");

    check_synthetic("other candidates and empty parts ignored",
        "data: {\"candidates\":[{\"index\":1,\"content\":{\"parts\":"
        "[{\"text\":\"B\"}]}},{\"content\":{\"parts\":[{\"text\":\"A\"},"
        "{\"text\":\"\"},{\"inlineData\":{}}]}}]}\n\n"
        "data: {\"candidates\":[{\"index\":0,\"content\":{\"parts\":[]}},"
        "{\"index\":1,\"finishReason\":\"SAFETY\"}]}\n\n"
        "data: {\"candidates\":[{\"content\":{},\"finishReason\":"
        "\"MAX_TOKENS\"}]}\n\n",
        "A", "length", NULL, NULL);

    check_synthetic("the last finishReason counts",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},"
        "\"finishReason\":\"STOP\"}]}\n\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]},"
        "\"finishReason\":\"RECITATION\"}]}\n\n",
        "ab", "content_filter", NULL, NULL);

    check_synthetic("blocked with other reason",
        "data: {\"promptFeedback\":{\"blockReason\":\"OTHER\"}}\n\n",
        "", NULL, "invalid_request_error",
        "The prompt was blocked by the provider's safety filter (OTHER)");

    /* two calls, running usage with a cache, the id of the response */
    in = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
        "\"Checking.\"},{\"functionCall\":{\"name\":\"a\",\"args\":"
        "{\"x\":[1,{\"y\":\"\\u00e9\\\"\"}]}}}]}}],\"usageMetadata\":"
        "{\"promptTokenCount\":100,\"cachedContentTokenCount\":60,"
        "\"totalTokenCount\":100},\"responseId\":\"r-1\","
        "\"modelVersion\":\"gemini-2.5-pro\"}\n\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":"
        "{\"name\":\"b\",\"id\":\"given\"}}]},\"finishReason\":\"STOP\"}],"
        "\"usageMetadata\":{\"promptTokenCount\":100,"
        "\"candidatesTokenCount\":20,\"thoughtsTokenCount\":5,"
        "\"totalTokenCount\":125},\"responseId\":\"r-1\"}\n\n";

    run_text(&got, GEM, OAI, in);
    oai_read(&c, &got);

    /* the calls' arguments one after the other */
    llmgw_out_raw(&c.args[0], c.args[1].data, c.args[1].len);

    CHECK_INT(c.bad, 0, "two calls: chunks");
    CHECK_STR(c.text.data, c.text.len, "Checking.", "two calls: text");
    CHECK_INT(c.tools, 2, "two calls: two starts");
    CHECK_STR(c.id[1], strlen(c.id[1]), "given", "two calls: given id");
    CHECK_STR(c.args[0].data, c.args[0].len,
              "{\"x\":[1,{\"y\":\"\xc3\xa9\\\"\"}]}{}", "two calls: args");
    CHECK_STR(c.finish, strlen(c.finish), "tool_calls", "two calls: finish");
    CHECK_STR(c.chunk_id, strlen(c.chunk_id), "r-1",
              "two calls: response id");
    CHECK_INT(usage_of(c.usage, "prompt_tokens"), 100, "two calls: prompt");
    CHECK_INT(usage_of(c.usage, "completion_tokens"), 25,
              "two calls: completion");
    CHECK_INT(usage_of(c.usage, "total_tokens"), 125, "two calls: total");
    CHECK(contains(&got, "\"index\":0,\"id\":\"call_0\""),
          "two calls: the first is call_0: %s", (char *) got.data);
    CHECK(contains(&got, "\"index\":1,\"id\":\"given\""),
          "two calls: the second is tool 1");
    CHECK(contains(&got, "\"cached_tokens\":60"),
          "two calls: cached tokens kept from the first event");
    oai_free(&c);
    llmgw_out_free(&got);
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }

    test_request_roles();
    test_request_media();
    test_request_tools();
    test_request_config();
    test_response();
    test_errors();
    test_embeddings();
    test_stream_fixtures();
    test_stream_cut();
    test_stream_synthetic();

    UNIT_DONE("unit_gemini");
}
