/*
 * Unit tests of src/providers/llmgw_bedrock_xlate.c: Converse requests,
 * answers and errors, embeddings both ways, and streams: every recorded
 * ConverseStream (the .decoded.jsonl files of fixtures/bedrock/, one
 * event-stream message a line) through an xstream to OpenAI chunks and to
 * Anthropic events, cut after every message; exceptions.
 *
 * The JSON written in this file uses ' for " (see parse()).
 */

#define FEED_OWN_PARSE  1

#include "xstream_feed.h"
#include "json_quoted.h"
#include "crc32.h"
#include "llmgw_evstream.h"


static const char  *fixtures = "fixtures";

#define BED  (&llmgw_format_bedrock)
#define ANT  (&llmgw_format_anthropic)
#define OAI  (&llmgw_format_openai)

#define CLAUDE  "us.anthropic.claude-sonnet-4-20250514-v1:0"
#define NOVA    "amazon.nova-lite-v1:0"


static char *
dup(const char *s)
{
    char    *p;
    size_t   n;

    n = strlen(s) + 1;
    p = malloc(n);

    if (p == NULL) {
        abort();
    }

    return memcpy(p, s, n);
}


/* requests */

static json_t *
req_out(const char *model, int64_t dflt, const char *body, llmgw_xerr_t *err)
{
    json_t        *canon, *out;
    llmgw_xreq_t   opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = model;
    opt.model_len = strlen(model);
    opt.default_max_tokens = dflt;
    opt.stream = 1;

    canon = parse(body);
    memset(err, 0, sizeof(llmgw_xerr_t));
    out = BED->request_out(canon, &opt, err);
    json_decref(canon);

    return out;
}


static void
check_out(const char *what, const char *model, const char *body,
    const char *want)
{
    json_t        *out;
    llmgw_xerr_t   err;

    out = req_out(model, 1000, body, &err);
    CHECK(out != NULL, "%s: refused: %s", what, err.message);
    check_json(what, out, want);
}


static void
check_out_bad(const char *model, const char *body, const char *needle)
{
    json_t        *out;
    llmgw_xerr_t   err;

    out = req_out(model, 1000, body, &err);
    CHECK(out == NULL, "request_out took %s", body);
    json_decref(out);
    check_err(body, &err, 400, "invalid_request_error", needle);
}


#define HI  "'messages':[{'role':'user','content':'Hi'}]"
#define HI_OUT  "'messages':[{'role':'user','content':[{'text':'Hi'}]}]"

static void
test_request_out(void)
{
    json_t        *out;
    llmgw_xerr_t   err;

    check_out("system, developer, the default maxTokens", NOVA,
        "{'model':'m','messages':["
        "{'role':'system','content':'Be brief.'},"
        "{'role':'developer','content':[{'type':'text','text':'Use'},"
        "{'type':'text','text':''},{'type':'text','text':'metric.'}]},"
        "{'role':'user','content':'Hi'}],'stream':true,"
        "'stream_options':{'include_usage':true}}",
        "{'system':[{'text':'Be brief.'},{'text':'Use'},{'text':'metric.'}],"
        HI_OUT ",'inferenceConfig':{'maxTokens':1000}}");

    out = req_out(NOVA, 0, "{" HI "}", &err);
    check_json("no default: no maxTokens, no inferenceConfig", out,
               "{" HI_OUT "}");

    check_out("multi-turn: tool calls, results, merged roles", NOVA,
        "{'messages':["
        "{'role':'user','content':'Weather?'},"
        "{'role':'user','content':[{'type':'text','text':'In Paris.'}]},"
        "{'role':'assistant','content':'Checking.','tool_calls':["
        "{'id':'call_1','type':'function','function':{'name':'weather',"
        "'arguments':'{\\'city\\':\\'Paris\\'}'}},"
        "{'id':'call_2','type':'function','function':{'name':'time',"
        "'arguments':' '}}]},"
        "{'role':'tool','tool_call_id':'call_1','content':'20C'},"
        "{'role':'tool','tool_call_id':'call_2','content':[{'type':'text',"
        "'text':'noon'}]},"
        "{'role':'user','content':'Thanks'},"
        "{'role':'tool','tool_call_id':'call_3','content':''},"
        "{'role':'assistant','content':''},"
        "{'role':'assistant','content':[{'type':'text','text':'Sunny.'},"
        "{'type':'refusal','refusal':'No.'}]}],"
        "'tools':[{'type':'function','function':{'name':'weather',"
        "'description':'Weather of a city','parameters':{'type':'object',"
        "'properties':{'city':{'type':'string'}}}}},"
        "{'type':'function','function':{'name':'time','description':''}}],"
        "'tool_choice':'auto','parallel_tool_calls':false,'max_tokens':50}",
        "{'messages':["
        "{'role':'user','content':[{'text':'Weather?'},{'text':'In Paris.'}]},"
        "{'role':'assistant','content':[{'text':'Checking.'},"
        "{'toolUse':{'toolUseId':'call_1','name':'weather',"
        "'input':{'city':'Paris'}}},"
        "{'toolUse':{'toolUseId':'call_2','name':'time','input':{}}}]},"
        "{'role':'user','content':["
        "{'toolResult':{'toolUseId':'call_1','content':[{'text':'20C'}]}},"
        "{'toolResult':{'toolUseId':'call_2','content':[{'text':'noon'}]}},"
        "{'toolResult':{'toolUseId':'call_3','content':[]}},"
        "{'text':'Thanks'}]},"
        "{'role':'assistant','content':[{'text':'Sunny.'},{'text':'No.'}]}],"
        "'toolConfig':{'tools':["
        "{'toolSpec':{'name':'weather','description':'Weather of a city',"
        "'inputSchema':{'json':{'type':'object',"
        "'properties':{'city':{'type':'string'}}}}}},"
        "{'toolSpec':{'name':'time','inputSchema':{'json':{'type':'object',"
        "'properties':{}}}}}],'toolChoice':{'auto':{}}},"
        "'inferenceConfig':{'maxTokens':50}}");

    check_out("images as bytes, documents, params", NOVA,
        "{'messages':[{'role':'user','content':["
        "{'type':'text','text':'What is it?'},"
        "{'type':'image_url','image_url':{'url':"
        "'data:image/png;base64,iVBORw0KGgo=','detail':'high'}},"
        "{'type':'image_url','image_url':'data:image/jpg;base64,/9j/'},"
        "{'type':'file','file':{'filename':'My report_v2.final.pdf',"
        "'file_data':'data:application/pdf;base64,JVBERi0='}},"
        "{'type':'file','file':{'file_data':"
        "'data:text/csv;charset=utf-8;base64,YSxi'}}]}],"
        "'max_completion_tokens':300,'max_tokens':100,'temperature':1.5,"
        "'top_p':0.9,'top_k':40,'stop':'END','n':2,'logprobs':true,"
        "'seed':7,'user':'u1','frequency_penalty':0.5}",
        "{'messages':[{'role':'user','content':[{'text':'What is it?'},"
        "{'image':{'format':'png','source':{'bytes':'iVBORw0KGgo='}}},"
        "{'image':{'format':'jpeg','source':{'bytes':'/9j/'}}},"
        "{'document':{'format':'pdf','name':'My report-v2-final',"
        "'source':{'bytes':'JVBERi0='}}},"
        "{'document':{'format':'csv','name':'document-2',"
        "'source':{'bytes':'YSxi'}}}]}],"
        "'inferenceConfig':{'maxTokens':300,'temperature':1.0,'topP':0.9,"
        "'stopSequences':['END']},"
        "'additionalModelRequestFields':{'top_k':40}}");

    check_out("stop as an array, empty stops dropped", NOVA,
        "{" HI ",'stop':['a','','b']}",
        "{" HI_OUT ",'inferenceConfig':{'maxTokens':1000,"
        "'stopSequences':['a','b']}}");
    check_out("stop empty", NOVA, "{" HI ",'stop':''}",
        "{" HI_OUT ",'inferenceConfig':{'maxTokens':1000}}");

    check_out("tool_choice required", NOVA,
        "{" HI ",'tools':[{'type':'function','function':{'name':'f'}}],"
        "'tool_choice':'required'}",
        "{" HI_OUT ",'toolConfig':{'tools':[{'toolSpec':{'name':'f',"
        "'inputSchema':{'json':{'type':'object','properties':{}}}}}],"
        "'toolChoice':{'any':{}}},'inferenceConfig':{'maxTokens':1000}}");
    check_out("tool_choice named", NOVA,
        "{" HI ",'tools':[{'type':'function','function':{'name':'f'}}],"
        "'tool_choice':{'type':'function','function':{'name':'f'}}}",
        "{" HI_OUT ",'toolConfig':{'tools':[{'toolSpec':{'name':'f',"
        "'inputSchema':{'json':{'type':'object','properties':{}}}}}],"
        "'toolChoice':{'tool':{'name':'f'}}},"
        "'inferenceConfig':{'maxTokens':1000}}");
    check_out("tool_choice none: no tools", NOVA,
        "{" HI ",'tools':[{'type':'function','function':{'name':'f'}}],"
        "'tool_choice':'none'}",
        "{" HI_OUT ",'inferenceConfig':{'maxTokens':1000}}");
    check_out("no tool_choice: tools without a choice", NOVA,
        "{" HI ",'tools':[{'type':'function','function':{'name':'f'}}],"
        "'tool_choice':null}",
        "{" HI_OUT ",'toolConfig':{'tools':[{'toolSpec':{'name':'f',"
        "'inputSchema':{'json':{'type':'object','properties':{}}}}}]},"
        "'inferenceConfig':{'maxTokens':1000}}");
    check_out("tool_choice without tools is ignored", NOVA,
        "{" HI ",'tools':[],'tool_choice':'required'}",
        "{" HI_OUT ",'inferenceConfig':{'maxTokens':1000}}");

    check_out("response_format json_schema in the system prompt", NOVA,
        "{'messages':[{'role':'system','content':'Be brief.'},"
        "{'role':'user','content':'Hi'}],'response_format':{'type':"
        "'json_schema','json_schema':{'name':'x','schema':{'type':"
        "'object'}}}}",
        "{'system':[{'text':'Be brief.'},{'text':'Answer with a single JSON "
        "object and no other text. The object must conform to this JSON "
        "schema: {\\'type\\':\\'object\\'}'}]," HI_OUT ","
        "'inferenceConfig':{'maxTokens':1000}}");

    check_out("reasoning_effort for Claude: thinking", CLAUDE,
        "{" HI ",'reasoning_effort':'medium','max_tokens':2000,"
        "'temperature':0.5,'top_p':0.5,'top_k':5}",
        "{" HI_OUT ",'inferenceConfig':{'maxTokens':5096},"
        "'additionalModelRequestFields':{'thinking':{'type':'enabled',"
        "'budget_tokens':4096}}}");
    check_out("reasoning_effort high, the budget above max_tokens", CLAUDE,
        "{" HI ",'reasoning_effort':'high','max_tokens':20000}",
        "{" HI_OUT ",'inferenceConfig':{'maxTokens':20000},"
        "'additionalModelRequestFields':{'thinking':{'type':'enabled',"
        "'budget_tokens':16384}}}");
    check_out("reasoning_effort minimal: no thinking", NOVA,
        "{" HI ",'reasoning_effort':'minimal','temperature':0.2}",
        "{" HI_OUT ",'inferenceConfig':{'maxTokens':1000,"
        "'temperature':0.2}}");
    check_out("reasoning_effort in a tool loop: no thinking", CLAUDE,
        "{'messages':[{'role':'user','content':'Go'},"
        "{'role':'assistant','tool_calls':[{'id':'c1','type':'function',"
        "'function':{'name':'f','arguments':'{}'}}]},"
        "{'role':'tool','tool_call_id':'c1','content':'ok'}],"
        "'tools':[{'type':'function','function':{'name':'f'}}],"
        "'reasoning_effort':'low','temperature':0.3}",
        "{'messages':[{'role':'user','content':[{'text':'Go'}]},"
        "{'role':'assistant','content':[{'toolUse':{'toolUseId':'c1',"
        "'name':'f','input':{}}}]},"
        "{'role':'user','content':[{'toolResult':{'toolUseId':'c1',"
        "'content':[{'text':'ok'}]}}]}],"
        "'toolConfig':{'tools':[{'toolSpec':{'name':'f','inputSchema':"
        "{'json':{'type':'object','properties':{}}}}}]},"
        "'inferenceConfig':{'maxTokens':1000,'temperature':0.3}}");
    check_out_bad(NOVA, "{" HI ",'reasoning_effort':'high'}",
                  "reasoning_effort");

    out = req_out(CLAUDE, 0, "{" HI ",'reasoning_effort':'low'}", &err);
    check_json("thinking without a default", out,
               "{" HI_OUT ",'inferenceConfig':{'maxTokens':5120},"
               "'additionalModelRequestFields':{'thinking':{'type':"
               "'enabled','budget_tokens':1024}}}");

    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':[{'type':'image_url',"
        "'image_url':{'url':'https://example.com/cat.png'}}]}]}",
        "messages[0].content[0]: Bedrock takes images as bytes");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':[{'type':'image_url',"
        "'image_url':{'url':'data:image/bmp;base64,Qk0='}}]}]}",
        "messages[0].content[0]: an image must be");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':[{'type':'image_url',"
        "'image_url':{'url':'data:image/png,abc'}}]}]}",
        "messages[0].content[0]: an image must be");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':[{'type':'file',"
        "'file':{'file_id':'file-1'}}]}]}",
        "messages[0].content[0]: only files");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':'Hi'},"
        "{'role':'assistant','content':[{'type':'image_url',"
        "'image_url':{'url':'data:image/png;base64,AA=='}}]}]}",
        "messages[1].content[0]: a \"image_url\" part cannot be sent to "
        "Bedrock in an assistant message");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':[{'type':'input_audio',"
        "'input_audio':{'data':'AA==','format':'wav'}}]}]}",
        "a \"input_audio\" part cannot be sent to Bedrock");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':'Hi'},"
        "{'role':'assistant','tool_calls':[{'id':'c','type':'function',"
        "'function':{'name':'f','arguments':'[1]'}}]}]}",
        "messages[1].tool_calls[0].function.arguments is not a JSON object");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':'Hi'},"
        "{'role':'assistant','tool_calls':[{'id':'c','type':'function',"
        "'function':{'name':'f','arguments':'{\\'a\\':'}}]}]}",
        "messages[1].tool_calls[0].function.arguments");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':'Hi'},"
        "{'role':'assistant','tool_calls':[{'type':'function',"
        "'function':{'name':'f'}}]}]}",
        "messages[1].tool_calls[0] needs a string id");
    check_out_bad(NOVA,
        "{'messages':[{'role':'tool','content':'x'}]}",
        "messages[0].tool_call_id must be a string");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':'Go'},"
        "{'role':'assistant','tool_calls':[{'id':'c1','type':'function',"
        "'function':{'name':'f','arguments':'{}'}}]},"
        "{'role':'tool','tool_call_id':'c1','content':'ok'}],"
        "'tools':[{'type':'function','function':{'name':'f'}}],"
        "'tool_choice':'none'}",
        "tool_choice \"none\"");
    check_out_bad(NOVA,
        "{" HI ",'tools':[{'type':'function','function':{'name':'f'}}],"
        "'tool_choice':'sometimes'}",
        "tool_choice must be");
    check_out_bad(NOVA,
        "{" HI ",'tools':[{'type':'function','function':{'name':'f'}}],"
        "'tool_choice':{'type':'function'}}",
        "tool_choice must be");
    check_out_bad(NOVA, "{" HI ",'tools':[{'type':'code_interpreter'}]}",
                  "tools[0] must be");
    check_out_bad(NOVA, "{" HI ",'tools':{}}", "tools must be an array");
    check_out_bad(NOVA, "{" HI ",'stop':['a',1]}",
                  "stop must be a string or an array of strings");
    check_out_bad(NOVA, "{" HI ",'stop':5}",
                  "stop must be a string or an array of strings");
    check_out_bad(NOVA,
        "{'messages':[{'role':'system','content':[{'type':'image_url',"
        "'image_url':{'url':'data:image/png;base64,AA=='}}]},"
        "{'role':'user','content':'Hi'}]}",
        "messages[0].content[0]: a system message can hold only text");
    check_out_bad(NOVA,
        "{'messages':[{'role':'function','content':'x'}]}",
        "messages[0].role \"function\" cannot be sent to Bedrock");
    check_out_bad(NOVA, "{'messages':[{'content':'x'}]}",
                  "messages[0].role must be a string");
    check_out_bad(NOVA,
        "{'messages':[{'role':'system','content':'Only this.'}]}",
        "messages must hold a user or assistant message");
    check_out_bad(NOVA, "{'messages':{}}", "messages must be an array");
    check_out_bad(NOVA, "{'messages':[{'role':'user','content':5}]}",
                  "messages[0].content must be");
    check_out_bad(NOVA,
        "{'messages':[{'role':'user','content':[{'text':'no type'}]}]}",
        "messages[0].content[0] must be an object with a string \"type\"");
}


/* answers */

static void
check_response_in(const char *what, const char *resp, const char *want)
{
    json_t        *r, *canon;
    llmgw_xerr_t   err;

    r = parse(resp);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    canon = BED->response_in(r, &err);
    CHECK(canon != NULL, "%s: refused: %s", what, err.message);
    check_json(what, canon, want);
    json_decref(r);
}


static void
check_response_bad(const char *resp, const char *needle)
{
    json_t        *r, *canon;
    llmgw_xerr_t   err;

    r = parse(resp);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    canon = BED->response_in(r, &err);
    CHECK(canon == NULL, "response_in took %s", resp);
    json_decref(canon);
    check_err(resp, &err, 502, "api_error", needle);
    json_decref(r);
}


static void
check_finish(const char *reason, const char *finish)
{
    char  resp[256], want[512];

    snprintf(resp, sizeof(resp), "{'output':{'message':{'role':'assistant',"
             "'content':[{'text':'a'}]}},'stopReason':'%s','usage':"
             "{'inputTokens':1,'outputTokens':1,'totalTokens':2}}", reason);
    snprintf(want, sizeof(want), "{'object':'chat.completion','created':0,"
             "'choices':[{'index':0,'message':{'role':'assistant',"
             "'content':'a'},'finish_reason':'%s'}],'usage':"
             "{'prompt_tokens':1,'completion_tokens':1,'total_tokens':2}}",
             finish);
    check_response_in(reason, resp, want);
}


static void
test_response_in(void)
{
    json_t        *r, *canon, *out;
    llmgw_xerr_t   err;

    check_response_in("text",
        "{'output':{'message':{'role':'assistant','content':[{'text':"
        "'Hello'},{'text':' there.'}]}},'stopReason':'end_turn','usage':"
        "{'inputTokens':10,'outputTokens':5,'totalTokens':15},"
        "'metrics':{'latencyMs':100}}",
        "{'object':'chat.completion','created':0,'choices':[{'index':0,"
        "'message':{'role':'assistant','content':'Hello there.'},"
        "'finish_reason':'stop'}],'usage':{'prompt_tokens':10,"
        "'completion_tokens':5,'total_tokens':15}}");

    check_response_in("reasoning, tool use, cache usage",
        "{'output':{'message':{'role':'assistant','content':["
        "{'reasoningContent':{'reasoningText':{'text':'Think.',"
        "'signature':'sig'}}},"
        "{'reasoningContent':{'redactedContent':'cmVk'}},"
        "{'text':'Calling.'},"
        "{'toolUse':{'toolUseId':'tooluse_1','name':'weather','input':"
        "{'city':'Paris','days':[1,2]}}},"
        "{'toolUse':{'toolUseId':'tooluse_2','name':'now'}}]}},"
        "'stopReason':'tool_use','usage':{'inputTokens':10,"
        "'outputTokens':20,'totalTokens':330,'cacheReadInputTokens':100,"
        "'cacheWriteInputTokens':200}}",
        "{'object':'chat.completion','created':0,'choices':[{'index':0,"
        "'message':{'role':'assistant','content':'Calling.',"
        "'reasoning_content':'Think.','tool_calls':["
        "{'id':'tooluse_1','type':'function','function':{'name':'weather',"
        "'arguments':'{\\'city\\':\\'Paris\\',\\'days\\':[1,2]}'}},"
        "{'id':'tooluse_2','type':'function','function':{'name':'now',"
        "'arguments':'{}'}}]},'finish_reason':'tool_calls'}],"
        "'usage':{'prompt_tokens':310,'completion_tokens':20,"
        "'total_tokens':330,'prompt_tokens_details':{'cached_tokens':100,"
        "'cache_write_tokens':200}}}");

    check_response_in("tools only, a server tool left out",
        "{'output':{'message':{'role':'assistant','content':["
        "{'toolUse':{'toolUseId':'t0','name':'nova_code_interpreter',"
        "'type':'server_tool_use','input':{'snippet':'1+1'}}},"
        "{'toolResult':{'toolUseId':'t0','content':[{'json':{'x':2}}]}},"
        "{'toolUse':{'toolUseId':'t1','name':'final','input':{}}}]}},"
        "'stopReason':'tool_use','usage':{'inputTokens':3,"
        "'outputTokens':4}}",
        "{'object':'chat.completion','created':0,'choices':[{'index':0,"
        "'message':{'role':'assistant','content':null,'tool_calls':["
        "{'id':'t1','type':'function','function':{'name':'final',"
        "'arguments':'{}'}}]},'finish_reason':'tool_calls'}],"
        "'usage':{'prompt_tokens':3,'completion_tokens':4,"
        "'total_tokens':7}}");

    check_response_in("a guardrail, nothing said, no usage",
        "{'output':{'message':{'role':'assistant','content':[]}},"
        "'stopReason':'guardrail_intervened'}",
        "{'object':'chat.completion','created':0,'choices':[{'index':0,"
        "'message':{'role':'assistant','content':null},"
        "'finish_reason':'content_filter'}],'usage':{'prompt_tokens':0,"
        "'completion_tokens':0,'total_tokens':0}}");

    check_finish("end_turn", "stop");
    check_finish("stop_sequence", "stop");
    check_finish("max_tokens", "length");
    check_finish("model_context_window_exceeded", "length");
    check_finish("tool_use", "tool_calls");
    check_finish("guardrail_intervened", "content_filter");
    check_finish("content_filtered", "content_filter");
    check_finish("something_new", "stop");

    check_response_bad("{'stopReason':'end_turn'}", "no output message");
    check_response_bad("{'output':{'message':{'role':'assistant'}}}",
                       "no output message");
    check_response_bad("[1]", "not a JSON object");
    check_response_bad("{'output':{'message':{'content':[{'toolUse':"
                       "{'name':'f'}}]}}}", "malformed toolUse");

    /* and on to an Anthropic client */
    r = parse("{'output':{'message':{'role':'assistant','content':["
              "{'text':'Hi'},{'toolUse':{'toolUseId':'t1','name':'f',"
              "'input':{'a':1}}}]}},'stopReason':'tool_use','usage':"
              "{'inputTokens':7,'outputTokens':3,"
              "'cacheReadInputTokens':5}}");
    canon = BED->response_in(r, &err);
    out = canon ? ANT->response_out(canon, &err) : NULL;
    check_json("to an Anthropic message", out,
               "{'id':'','type':'message','role':'assistant','model':'',"
               "'content':[{'type':'text','text':'Hi'},{'type':'tool_use',"
               "'id':'t1','name':'f','input':{'a':1}}],"
               "'stop_reason':'tool_use','stop_sequence':null,'usage':"
               "{'input_tokens':7,'output_tokens':3,"
               "'cache_read_input_tokens':5,"
               "'cache_creation_input_tokens':0}}");
    json_decref(canon);
    json_decref(r);
}


static void
test_error_in(void)
{
    char          body[600];
    json_t       *b;
    llmgw_xerr_t  err;

    check_error_in(BED,
                   "{'message':'The provided model identifier is invalid.'}",
                   400, 0, 400, "invalid_request_error",
                   "The provided model identifier is invalid.");
    check_error_in(BED, "{'Message':'User is not authorized'}", 403, 0, 403,
                        "permission_error", "not authorized");
    check_error_in(BED, "{'message':'Model not found'}", 404, 0, 404,
                        "not_found_error", "Model not found");
    check_error_in(BED, "{'message':'Too many requests, please wait'}", 429, 0,
                        429, "rate_limit_error", "Too many requests");
    check_error_in(BED, "{'message':'Internal'}", 500, 0, 500, "api_error",
                        "Internal");
    check_error_in(BED, "{'message':'Unavailable'}", 503, 0, 503,
                        "overloaded_error", "Unavailable");
    check_error_in(BED, "{'message':'Model failed','originalStatusCode':500}",
                        424, 0, 424, "api_error", "Model failed");
    check_error_in(BED, "{'message':''}", 400, 0, 400, "invalid_request_error",
                        "The provider returned an error");
    check_error_in(BED, "{'message':'odd'}", 200, 0, 502, "api_error", "odd");
    check_error_in(BED, "{'error':'x'}", 400, -1, 0, NULL, NULL);
    check_error_in(BED, "[]", 500, -1, 0, NULL, NULL);
    check_error_in(BED, "{'output':{'message':{'content':[]}},'message':'x'}",
                        200, -1, 0, NULL, NULL);
    check_error_in(BED, "{'embedding':[0.1],'inputTextTokenCount':2}", 200, -1,
                        0, NULL, NULL);

    /* a long message is cut before 256 bytes, never inside a character */
    memset(body, 0, sizeof(body));
    memcpy(body, "{\"message\":\"", 12);

    while (strlen(body) < 12 + 2 * 200) {
        strcat(body, "\xc3\xa9");
    }

    strcat(body, "\"}");
    b = json_loads(body, 0, NULL);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    CHECK_INT(BED->error_in(b, 400, &err), 0, "error_in long");
    CHECK_INT(strlen(err.message), 254, "a long message cut at a character");
    json_decref(b);
}


/* embeddings */

static json_t *
embed_out(const char *model, const char *body, llmgw_xerr_t *err)
{
    json_t        *canon, *out;
    llmgw_xreq_t   opt;

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = model;
    opt.model_len = strlen(model);

    canon = parse(body);
    memset(err, 0, sizeof(llmgw_xerr_t));
    out = BED->embed_out(canon, &opt, err);
    json_decref(canon);

    return out;
}


static void
check_embed_out(const char *model, const char *body, const char *want)
{
    json_t        *out;
    llmgw_xerr_t   err;

    out = embed_out(model, body, &err);
    CHECK(out != NULL, "embed_out %s: refused: %s", body, err.message);
    check_json(body, out, want);
}


static void
check_embed_bad(const char *model, const char *body, const char *needle)
{
    json_t        *out;
    llmgw_xerr_t   err;

    out = embed_out(model, body, &err);
    CHECK(out == NULL, "embed_out took %s", body);
    json_decref(out);
    check_err(body, &err, 400, "invalid_request_error", needle);
}


static void
check_embed_in(const char *resp, const char *want)
{
    json_t        *r, *list;
    llmgw_xerr_t   err;

    r = parse(resp);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    list = BED->embed_in(r, "emb-model", &err);
    CHECK(list != NULL, "embed_in %s: refused: %s", resp, err.message);
    check_json(resp, list, want);
    json_decref(r);
}


static void
check_embed_in_bad(const char *resp, const char *needle)
{
    json_t        *r, *list;
    llmgw_xerr_t   err;

    r = parse(resp);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    list = BED->embed_in(r, "emb-model", &err);
    CHECK(list == NULL, "embed_in took %s", resp);
    json_decref(list);
    check_err(resp, &err, 502, "api_error", needle);
    json_decref(r);
}


#define TITAN2  "amazon.titan-embed-text-v2:0"
#define TITAN1  "amazon.titan-embed-text-v1"
#define COHERE3 "cohere.embed-english-v3"
#define COHERE4 "us.cohere.embed-v4:0"

static void
test_embeddings(void)
{
    check_embed_out(TITAN2, "{'input':'hello','model':'x','dimensions':256,"
                    "'encoding_format':'base64','user':'u'}",
                    "{'inputText':'hello','dimensions':256,"
                    "'normalize':true}");
    check_embed_out(TITAN2, "{'input':['hello']}",
                    "{'inputText':'hello','normalize':true}");
    check_embed_out(TITAN1, "{'input':'hello','dimensions':null}",
                    "{'inputText':'hello'}");
    check_embed_bad(TITAN2, "{'input':['a','b']}",
                    "Titan embedding models take one input per request");
    check_embed_bad(TITAN2, "{'input':[[1,2,3]]}",
                    "input[0]: Bedrock embeds text only");
    check_embed_bad(TITAN2, "{'input':[1,2,3]}",
                    "input[0]: Bedrock embeds text only");
    check_embed_bad(TITAN2, "{'input':[]}", "input must be a string");
    check_embed_bad(TITAN2, "{'input':5}", "input must be a string");
    check_embed_bad(TITAN2, "{'input':'a','dimensions':0}",
                    "dimensions must be a positive integer");
    check_embed_bad(TITAN1, "{'input':'a','dimensions':512}",
                    "dimensions: the model \"" TITAN1 "\"");

    check_embed_out(COHERE3, "{'input':['a','b'],'encoding_format':"
                    "'base64'}",
                    "{'texts':['a','b'],'input_type':'search_document',"
                    "'embedding_types':['float']}");
    check_embed_out(COHERE3, "{'input':'q','input_type':'search_query',"
                    "'truncate':'END'}",
                    "{'texts':['q'],'input_type':'search_query',"
                    "'embedding_types':['float'],'truncate':'END'}");
    check_embed_out(COHERE4, "{'input':'q','dimensions':512}",
                    "{'texts':['q'],'input_type':'search_document',"
                    "'embedding_types':['float'],'output_dimension':512}");
    check_embed_bad(COHERE3, "{'input':'q','dimensions':512}",
                    "dimensions: the model \"" COHERE3 "\"");
    check_embed_bad(COHERE3, "{'input':['a',[1]]}",
                    "input[1]: Bedrock embeds text only");
    check_embed_bad("meta.llama3-8b-instruct-v1:0", "{'input':'a'}",
                    "\"meta.llama3-8b-instruct-v1:0\" cannot embed");

    check_embed_in("{'embedding':[0.5,-1,2e-3],'inputTextTokenCount':3}",
                   "{'object':'list','model':'emb-model','data':[{'object':"
                   "'embedding','index':0,'embedding':[0.5,-1,2e-3]}],"
                   "'usage':{'prompt_tokens':3,'total_tokens':3}}");
    check_embed_in("{'embeddings':[[0.1,0.2],[0.3,0.4]],'id':'e1',"
                   "'response_type':'embeddings_floats','texts':['a','b']}",
                   "{'object':'list','model':'emb-model','data':["
                   "{'object':'embedding','index':0,'embedding':[0.1,0.2]},"
                   "{'object':'embedding','index':1,'embedding':[0.3,0.4]}"
                   "]}");
    check_embed_in("{'embeddings':{'float':[[1,2]]},'id':'e2',"
                   "'response_type':'embeddings_by_type','texts':['a']}",
                   "{'object':'list','model':'emb-model','data':["
                   "{'object':'embedding','index':0,'embedding':[1,2]}]}");
    check_embed_in_bad("{'embeddings':[['x']]}", "embedding 0 has no values");
    check_embed_in_bad("{'embeddings':{'int8':[[1]]}}", "no embeddings");
    check_embed_in_bad("{'message':'x'}", "no embeddings");
}


/*
 * Streams: one frame a line of a decoded recording, {"headers":
 * {":event-type",":message-type",...},"payload":{...}}: its name and its
 * payload as compact JSON, as the caller hands them to the decoder.
 */

#define FRAMES  128

typedef struct {
    char    *event[FRAMES];
    char    *data[FRAMES];
    json_t  *payload[FRAMES];
    size_t   n;
} frames_t;


static void
frames_push(frames_t *fr, const char *event, json_t *payload)
{
    if (fr->n == FRAMES) {
        fprintf(stderr, "too many frames\n");
        exit(2);
    }

    fr->event[fr->n] = dup(event);
    fr->payload[fr->n] = payload;
    fr->data[fr->n] = json_dumps(payload, JSON_COMPACT);
    fr->n++;
}


static void
frames_load(frames_t *fr, const char *file)
{
    char            *line, *nl;
    size_t           n;
    json_t          *v, *h;
    const char      *type, *name;
    unsigned char   *p;

    memset(fr, 0, sizeof(frames_t));
    p = unit_read_file(fixtures, file, &n);

    for (line = (char *) p; *line; line = nl + 1) {
        nl = strchr(line, '\n');

        if (nl == NULL) {
            nl = line + strlen(line) - 1;
        }

        v = json_loadb(line, nl - line, 0, NULL);

        if (v == NULL) {
            fprintf(stderr, "%s: a bad line\n", file);
            exit(2);
        }

        h = json_object_get(v, "headers");
        type = llmgw_json_str(h, ":message-type", NULL);
        name = llmgw_json_str(h, type && strcmp(type, "exception") == 0
                                 ? ":exception-type" : ":event-type", NULL);

        frames_push(fr, name ? name : "",
                    json_incref(json_object_get(v, "payload")));
        json_decref(v);
    }

    free(p);
}


/* frames written here: "name {payload}" with ' for " */

static void
frames_add(frames_t *fr, const char *event, const char *payload)
{
    frames_push(fr, event, parse(payload));
}


static void
frames_free(frames_t *fr)
{
    size_t  i;

    for (i = 0; i < fr->n; i++) {
        free(fr->event[i]);
        free(fr->data[i]);
        json_decref(fr->payload[i]);
    }

    fr->n = 0;
}


/* the first n frames, then the end; got: the client's output */

static void
run_frames(llmgw_out_t *got, const llmgw_format_t *client,
    const frames_t *fr, size_t n)
{
    size_t           i;
    llmgw_xstream_t  s;

    memset(got, 0, sizeof(llmgw_out_t));

    if (llmgw_xstream_init(&s, BED, client, "client-model", 12, 1700000000)
        != 0)
    {
        abort();
    }

    s.include_usage = 1;
    strcpy(s.id, "chatcmpl-gw1");

    for (i = 0; i < n; i++) {
        llmgw_xstream_event(&s, fr->event[i], strlen(fr->event[i]),
                            fr->data[i], strlen(fr->data[i]));
        llmgw_out_raw(got, s.out.data, s.out.len);
        s.out.len = 0;
    }

    llmgw_xstream_end(&s);
    llmgw_out_raw(got, s.out.data, s.out.len);
    llmgw_xstream_free(&s);
}


/* what a recording says, read from its frames */

typedef struct {
    llmgw_out_t   text;
    llmgw_out_t   reasoning;
    llmgw_out_t   args;         /* of the first client tool */
    char          id[64];
    char          name[64];
    unsigned      tools;
    const char   *stop_reason;
    int64_t       input;
    int64_t       output;
    size_t        stop;         /* the index of messageStop */
} expect_t;


static void
expect_of(expect_t *e, const frames_t *fr)
{
    size_t       i;
    json_t      *p, *d, *tu;
    json_int_t   block, tool_block;
    const char  *ev, *s;

    memset(e, 0, sizeof(expect_t));
    tool_block = -1;

    for (i = 0; i < fr->n; i++) {
        ev = fr->event[i];
        p = fr->payload[i];
        block = json_integer_value(json_object_get(p, "contentBlockIndex"));

        if (strcmp(ev, "contentBlockStart") == 0) {
            tu = json_object_get(json_object_get(p, "start"), "toolUse");
            s = llmgw_json_str(tu, "type", NULL);

            if (tu && (s == NULL || strcmp(s, "server_tool_use") != 0)) {
                if (e->tools++ == 0) {
                    tool_block = block;
                    oai_copy(e->id, 64, llmgw_json_str(tu, "toolUseId",
                                                       NULL));
                    oai_copy(e->name, 64, llmgw_json_str(tu, "name", NULL));
                }
            }

        } else if (strcmp(ev, "contentBlockDelta") == 0) {
            d = json_object_get(p, "delta");

            if ((s = llmgw_json_str(d, "text", NULL)) != NULL) {
                llmgw_out_cstr(&e->text, s);
            }

            s = llmgw_json_str(json_object_get(d, "reasoningContent"),
                               "text", NULL);
            if (s) {
                llmgw_out_cstr(&e->reasoning, s);
            }

            s = llmgw_json_str(json_object_get(d, "toolUse"), "input", NULL);
            if (s && block == tool_block) {
                llmgw_out_cstr(&e->args, s);
            }

        } else if (strcmp(ev, "messageStop") == 0) {
            e->stop = i;
            e->stop_reason = llmgw_json_str(p, "stopReason", NULL);

        } else if (strcmp(ev, "metadata") == 0) {
            d = json_object_get(p, "usage");
            e->input = json_integer_value(json_object_get(d, "inputTokens"));
            e->output = json_integer_value(json_object_get(d,
                                                           "outputTokens"));
        }
    }
}


static void
expect_free(expect_t *e)
{
    llmgw_out_free(&e->text);
    llmgw_out_free(&e->reasoning);
    llmgw_out_free(&e->args);
}


typedef struct {
    const char  *file;
    const char  *finish;        /* OpenAI's */
    const char  *stop_reason;   /* Anthropic's */
    const char  *tool_name;
    int64_t      prompt;
    int64_t      completion;
    unsigned     has_reasoning;
    const char  *seq;
} recording_t;


static const recording_t  recordings[] = {

    { "bedrock/test_bedrock_model_stream.decoded.jsonl", "stop", "end_turn",
      NULL, 13, 82, 0,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },

    { "bedrock/test_stream_cancel.decoded.jsonl", "stop", "end_turn",
      NULL, 13, 85, 0,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },

    { "bedrock/test_bedrock_model_iter_stream.0.decoded.jsonl",
      "tool_calls", "tool_use", "get_temperature", 471, 91, 0,
      "message_start start(text,0) delta(0) stop(0) start(tool_use,1) "
      "delta(1) stop(1) message_delta message_stop" },

    { "bedrock/test_bedrock_model_iter_stream.1.decoded.jsonl", "stop",
      "end_turn", NULL, 577, 18, 0,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },

    { "bedrock/test_bedrock_model_code_execution_tool_stream.decoded.jsonl",
      "tool_calls", "tool_use", "final_result", 1002, 59, 0,
      "message_start start(tool_use,0) delta(0) stop(0) message_delta "
      "message_stop" },

    { "bedrock/test_bedrock_model_stream_empty_text_delta.decoded.jsonl",
      "stop", "end_turn", NULL, 70, 43, 1,
      "message_start start(thinking,0) delta(0) stop(0) start(text,1) "
      "delta(1) stop(1) message_delta message_stop" },

    { "bedrock/test_bedrock_model_thinking_part_stream.decoded.jsonl",
      "stop", "end_turn", NULL, 36, 73, 1,
      "message_start start(thinking,0) delta(0) stop(0) start(text,1) "
      "delta(1) stop(1) message_delta message_stop" },

    { "bedrock/test_bedrock_model_thinking_part_redacted_stream.decoded."
      "jsonl", "stop", "end_turn", NULL, 92, 253, 0,
      "message_start start(text,0) delta(0) stop(0) message_delta "
      "message_stop" },
};


static void check_recording_body(const char *jsonl, const frames_t *fr);


static void
check_recording_openai(const char *what, const frames_t *fr,
    const expect_t *e, const recording_t *rc)
{
    oai_t        o;
    llmgw_out_t  got;

    run_frames(&got, OAI, fr, fr->n);
    oai_read(&o, &got);

    CHECK_INT(o.bad, 0, "%s: every chunk valid JSON, with the id and model",
              what);
    CHECK_INT(o.errors, 0, "%s: no error (%s)", what, o.error_msg);
    CHECK_INT(o.done, 1, "%s: one [DONE]", what);
    CHECK_INT(o.after_end, 0, "%s: nothing after [DONE]", what);
    CHECK(got.len > 14 && memcmp(got.data + got.len - 14,
                                 "data: [DONE]\n\n", 14) == 0,
          "%s: ends with data: [DONE]", what);
    CHECK(e->text.len > 0 || rc->tool_name, "%s: the recording has text",
          what);
    CHECK_MEM(o.text.data, o.text.len, e->text.data, e->text.len,
              "%s: text", what);
    CHECK_MEM(o.reasoning.data, o.reasoning.len, e->reasoning.data,
              e->reasoning.len, "%s: reasoning", what);
    CHECK_INT(e->reasoning.len > 0, rc->has_reasoning,
              "%s: the recording's reasoning", what);
    CHECK_INT(o.tools, e->tools, "%s: tool calls", what);
    CHECK_INT(o.tools, rc->tool_name ? 1 : 0, "%s: tool calls", what);

    if (rc->tool_name) {
        CHECK(strcmp(o.id[0], e->id) == 0 && e->id[0], "%s: tool id %s",
              what, o.id[0]);
        CHECK(strcmp(o.name[0], rc->tool_name) == 0, "%s: tool name %s",
              what, o.name[0]);
        CHECK(e->args.len > 0, "%s: the recording has arguments", what);
        CHECK_MEM(o.args[0].data, o.args[0].len, e->args.data, e->args.len,
                  "%s: arguments", what);
    }

    CHECK(strcmp(o.finish, rc->finish) == 0, "%s: finish_reason %s", what,
          o.finish);
    CHECK_INT(o.finishes, 1, "%s: one finish_reason", what);
    CHECK_INT(o.usage_last, 1, "%s: the usage chunk last", what);
    CHECK_INT(usage_of(o.usage, "prompt_tokens"), rc->prompt,
              "%s: prompt_tokens", what);
    CHECK_INT(usage_of(o.usage, "prompt_tokens"), e->input,
              "%s: prompt_tokens as recorded", what);
    CHECK_INT(usage_of(o.usage, "completion_tokens"), rc->completion,
              "%s: completion_tokens", what);
    CHECK_INT(usage_of(o.usage, "completion_tokens"), e->output,
              "%s: completion_tokens as recorded", what);
    CHECK_INT(usage_of(o.usage, "total_tokens"), rc->prompt + rc->completion,
              "%s: total_tokens", what);
    CHECK(json_object_get(o.usage, "prompt_tokens_details") == NULL,
          "%s: nothing cached", what);

    oai_free(&o);
    llmgw_out_free(&got);
}


static void
check_recording_anthropic(const char *what, const frames_t *fr,
    const expect_t *e, const recording_t *rc)
{
    ant_t        a;
    json_t      *usage;
    llmgw_out_t  got;

    run_frames(&got, ANT, fr, fr->n);
    ant_read(&a, &got);

    CHECK_INT(a.bad, 0, "%s: well-formed events", what);
    CHECK(strcmp(a.seq, rc->seq) == 0, "%s: events\n    got  %s\n    want %s",
          what, a.seq, rc->seq);
    CHECK_MEM(a.text.data, a.text.len, e->text.data, e->text.len,
              "%s: text", what);
    CHECK_MEM(a.thinking.data, a.thinking.len, e->reasoning.data,
              e->reasoning.len, "%s: thinking", what);
    CHECK_MEM(a.args.data, a.args.len, e->args.data, e->args.len,
              "%s: input_json_delta", what);

    if (rc->tool_name) {
        CHECK(strcmp(llmgw_json_str(a.tool, "id", NULL), e->id) == 0,
              "%s: tool_use id", what);
        CHECK(strcmp(llmgw_json_str(a.tool, "name", NULL), rc->tool_name)
              == 0, "%s: tool_use name", what);
    }

    CHECK(strcmp(llmgw_json_str(json_object_get(a.delta, "delta"),
                                "stop_reason", NULL), rc->stop_reason) == 0,
          "%s: stop_reason", what);

    usage = json_object_get(a.delta, "usage");
    CHECK_INT(usage_of(usage, "input_tokens"), rc->prompt,
              "%s: message_delta input_tokens", what);
    CHECK_INT(usage_of(usage, "output_tokens"), rc->completion,
              "%s: message_delta output_tokens", what);
    CHECK_INT(usage_of(usage, "cache_read_input_tokens"), 0,
              "%s: message_delta cache_read_input_tokens", what);

    ant_free(&a);
    llmgw_out_free(&got);
}


/* every cut before messageStop ends in an error, never [DONE] or
 * message_stop; a cut after it (metadata lost) ends well */

static void
check_recording_cuts(const char *what, const frames_t *fr, const expect_t *e)
{
    size_t       c;
    oai_t        o;
    ant_t        a;
    unsigned     bad_oai, bad_ant;
    llmgw_out_t  got;

    bad_oai = 0;
    bad_ant = 0;

    for (c = 0; c <= e->stop; c++) {
        run_frames(&got, OAI, fr, c);
        oai_read(&o, &got);

        if ((o.errors != 1 || o.done || o.after_end || o.bad
             || strcmp(o.error, "api_error") != 0
             || strstr(o.error_msg, "ended before it finished") == NULL)
            && bad_oai++ == 0)
        {
            UNIT_FAIL("%s: cut after %zu to openai: %u errors, %u [DONE]: "
                      "%.*s", what, c, o.errors, o.done, (int) got.len,
                      got.data);
        }

        oai_free(&o);
        llmgw_out_free(&got);

        run_frames(&got, ANT, fr, c);
        ant_read(&a, &got);

        if ((a.bad || a.error == NULL
             || strcmp(a.seq + strlen(a.seq) - 5, "error") != 0
             || strstr(a.seq, "message_stop") != NULL)
            && bad_ant++ == 0)
        {
            UNIT_FAIL("%s: cut after %zu to anthropic: %s", what, c, a.seq);
        }

        ant_free(&a);
        llmgw_out_free(&got);
    }

    CHECK_INT(bad_oai, 0, "%s: every cut ends in an OpenAI error chunk",
              what);
    CHECK_INT(bad_ant, 0, "%s: every cut ends in an Anthropic error event",
              what);

    run_frames(&got, OAI, fr, e->stop + 1);
    oai_read(&o, &got);
    CHECK(o.errors == 0 && o.done == 1 && o.bad == 0,
          "%s: without metadata the stream still ends", what);
    CHECK_INT(usage_of(o.usage, "prompt_tokens"), 0,
              "%s: without metadata no usage", what);
    oai_free(&o);
    llmgw_out_free(&got);
}


static void
test_recordings(void)
{
    size_t    i;
    char      what[160];
    expect_t  e;
    frames_t  fr;

    for (i = 0; i < sizeof(recordings) / sizeof(recordings[0]); i++) {
        frames_load(&fr, recordings[i].file);
        expect_of(&e, &fr);

        CHECK(e.stop > 0 && e.stop + 2 == fr.n,
              "%s: messageStop then metadata last", recordings[i].file);

        snprintf(what, sizeof(what), "%s to openai", recordings[i].file);
        check_recording_openai(what, &fr, &e, &recordings[i]);

        snprintf(what, sizeof(what), "%s to anthropic", recordings[i].file);
        check_recording_anthropic(what, &fr, &e, &recordings[i]);

        check_recording_cuts(recordings[i].file, &fr, &e);
        check_recording_body(recordings[i].file, &fr);

        expect_free(&e);
        frames_free(&fr);
    }
}


/*
 * The recorded bodies themselves, as the gateway gets them: the binary
 * event stream through llmgw_evstream.c into the decoder, whole and split
 * in two at every byte, give what the decoded frames give.
 */

typedef struct {
    llmgw_xstream_t  s;
    llmgw_out_t      got;
} evs_run_t;


static int
evs_message(void *data, const llmgw_evs_message_t *m)
{
    evs_run_t  *run = data;

    if (m->message_type_len == 9
        && memcmp(m->message_type, "exception", 9) == 0)
    {
        llmgw_xstream_event(&run->s, (const char *) m->exception_type,
                            m->exception_type_len,
                            (const char *) m->payload, m->payload_len);

    } else {
        llmgw_xstream_event(&run->s, (const char *) m->event_type,
                            m->event_type_len, (const char *) m->payload,
                            m->payload_len);
    }

    llmgw_out_raw(&run->got, run->s.out.data, run->s.out.len);
    run->s.out.len = 0;

    return 0;
}


/* the body in two pieces, at split; got: the client's output */

static void
run_body(llmgw_out_t *got, const unsigned char *body, size_t len,
    size_t split)
{
    evs_run_t    run;
    llmgw_evs_t  e;

    memset(&run, 0, sizeof(evs_run_t));

    if (llmgw_xstream_init(&run.s, BED, OAI, "client-model", 12, 1700000000)
        != 0)
    {
        abort();
    }

    run.s.include_usage = 1;
    strcpy(run.s.id, "chatcmpl-gw1");

    llmgw_evs_init(&e, test_crc32, evs_message, &run);

    CHECK(llmgw_evs_feed(&e, body, split) == 0
          && llmgw_evs_feed(&e, body + split, len - split) == 0
          && llmgw_evs_idle(&e), "split at %zu: the body decodes", split);

    llmgw_xstream_end(&run.s);
    llmgw_out_raw(&run.got, run.s.out.data, run.s.out.len);
    llmgw_xstream_free(&run.s);
    llmgw_evs_free(&e);

    *got = run.got;
}


static void
check_recording_body(const char *jsonl, const frames_t *fr)
{
    char           file[256];
    size_t         len, split, differ;
    unsigned char *body;
    llmgw_out_t    want, got;

    snprintf(file, sizeof(file), "%.*s.eventstream.bin",
             (int) (strlen(jsonl) - sizeof(".decoded.jsonl") + 1), jsonl);

    body = (unsigned char *) unit_read_file(fixtures, file, &len);
    if (body == NULL) {
        UNIT_FAIL("%s: cannot read", file);
        return;
    }

    run_frames(&want, OAI, fr, fr->n);
    differ = 0;

    for (split = 0; split <= len; split++) {
        run_body(&got, body, len, split);

        if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
        {
            differ++;
        }

        llmgw_out_free(&got);
    }

    CHECK_INT(differ, 0, "%s: split anywhere, the client's stream is the "
              "decoded frames'", file);

    llmgw_out_free(&want);
    free(body);
}


/* streams written here */

static void
open_stream(llmgw_xstream_t *s)
{
    if (llmgw_xstream_init(s, BED, OAI, "client-model", 12, 1700000000)
        != 0)
    {
        abort();
    }

    strcpy(s->id, "chatcmpl-gw1");
}


#define START   "messageStart", "{'p':'abc','role':'assistant'}"
#define TEXT(t) "contentBlockDelta",                                        \
                "{'contentBlockIndex':0,'delta':{'text':'" t "'},'p':'x'}"
#define STOP(r) "messageStop", "{'p':'ab','stopReason':'" r "'}"

static void
run_case(llmgw_out_t *got, const llmgw_format_t *client, frames_t *fr)
{
    run_frames(got, client, fr, fr->n);
    frames_free(fr);
}


static void
test_stream_cases(void)
{
    oai_t        o;
    ant_t        a;
    frames_t     fr;
    llmgw_out_t  got;

    /* a throttling exception mid-stream */
    memset(&fr, 0, sizeof(frames_t));
    frames_add(&fr, START);
    frames_add(&fr, TEXT("Hel"));
    frames_add(&fr, "throttlingException",
               "{'message':'Too many tokens, please wait before trying "
               "again.'}");
    frames_add(&fr, TEXT("lo"));
    frames_add(&fr, STOP("end_turn"));
    run_frames(&got, OAI, &fr, fr.n);
    oai_read(&o, &got);
    CHECK(o.errors == 1 && o.done == 0 && o.after_end == 0 && o.bad == 0,
          "throttling: one error chunk, last: %.*s", (int) got.len, got.data);
    CHECK(strcmp(o.error, "rate_limit_error") == 0, "throttling: type %s",
          o.error);
    CHECK(strcmp(o.error_msg, "Too many tokens, please wait before trying "
                 "again.") == 0, "throttling: message %s", o.error_msg);
    CHECK_STR(o.text.data, o.text.len, "Hel", "throttling: text before");
    oai_free(&o);
    llmgw_out_free(&got);

    run_case(&got, ANT, &fr);
    ant_read(&a, &got);
    CHECK(strcmp(a.seq, "message_start start(text,0) delta(0) error") == 0,
          "throttling to anthropic: %s", a.seq);
    CHECK(strcmp(llmgw_json_str(a.error, "type", NULL), "rate_limit_error")
          == 0, "throttling to anthropic: type");
    ant_free(&a);
    llmgw_out_free(&got);

#define EXCEPTION(name, payload, type, msg)                                 \
    memset(&fr, 0, sizeof(frames_t));                                       \
    frames_add(&fr, START);                                                 \
    frames_add(&fr, name, payload);                                         \
    run_case(&got, OAI, &fr);                                               \
    oai_read(&o, &got);                                                     \
    CHECK(o.errors == 1 && o.done == 0 && strcmp(o.error, type) == 0       \
          && strcmp(o.error_msg, msg) == 0,                                 \
          "%s: %s %s", name, o.error, o.error_msg);                         \
    oai_free(&o);                                                           \
    llmgw_out_free(&got)

    EXCEPTION("validationException", "{'message':'Bad input'}",
              "invalid_request_error", "Bad input");
    EXCEPTION("serviceUnavailableException", "{'Message':'Busy'}",
              "overloaded_error", "Busy");
    EXCEPTION("accessDeniedException", "{'message':'No'}",
              "permission_error", "No");
    EXCEPTION("resourceNotFoundException", "{'message':'Gone'}",
              "not_found_error", "Gone");
    EXCEPTION("internalServerException", "{'message':'Oops'}",
              "api_error", "Oops");
    EXCEPTION("modelStreamErrorException",
              "{'message':'','originalStatusCode':500,"
              "'originalMessage':'Model broke'}", "api_error", "Model broke");
    EXCEPTION("ThrottlingException", "{'message':'Slow'}",
              "rate_limit_error", "Slow");
    EXCEPTION("brandNewException", "{'p':'x'}", "api_error",
              "brandNewException");

    /* an exception whose payload is not JSON still names itself */
    {
        llmgw_xstream_t  s;

        open_stream(&s);
        llmgw_xstream_event(&s, "throttlingException", 19, "not json", 8);
        llmgw_xstream_end(&s);
        oai_read(&o, &s.out);
        CHECK(o.errors == 1 && strcmp(o.error, "rate_limit_error") == 0
              && strcmp(o.error_msg, "throttlingException") == 0,
              "an unreadable exception: %s %s", o.error, o.error_msg);
        oai_free(&o);
        llmgw_xstream_free(&s);

        /* a known event that is not JSON fails the stream */
        open_stream(&s);
        CHECK_INT(llmgw_xstream_event(&s, "contentBlockDelta", 17, "{", 1),
                  -1, "a malformed payload");
        CHECK_INT(llmgw_xstream_event(&s, "messageStop", 11,
                                      "{\"stopReason\":\"end_turn\"}", 25),
                  -1, "nothing after a malformed payload");
        llmgw_xstream_end(&s);
        oai_read(&o, &s.out);
        CHECK(o.errors == 1 && o.done == 0 && o.after_end == 0
              && strcmp(o.error, "api_error") == 0,
              "a malformed payload: %s", o.error);
        oai_free(&o);
        llmgw_xstream_free(&s);

        /* unknown events and empty unknown payloads are ignored */
        open_stream(&s);
        CHECK_INT(llmgw_xstream_event(&s, "somethingNew", 12, "", 0), 0,
                  "an unknown event");
        CHECK_INT(llmgw_xstream_event(&s, "contentBlockStop", 16,
                                      "{\"contentBlockIndex\":0}", 23),
                  0, "contentBlockStop");
        CHECK_INT(llmgw_xstream_event(&s, "messageStop", 11,
                                      "{\"stopReason\":\"max_tokens\"}", 27),
                  0, "messageStop");
        CHECK_INT(llmgw_xstream_end(&s), 0, "the end");
        oai_read(&o, &s.out);
        CHECK(o.errors == 0 && o.done == 1 && o.bad == 0
              && strcmp(o.finish, "length") == 0,
              "unknown events ignored: %s", o.finish);
        oai_free(&o);
        llmgw_xstream_free(&s);
    }

    /* cache usage; two tools; nothing after messageStop */
    memset(&fr, 0, sizeof(frames_t));
    frames_add(&fr, START);
    frames_add(&fr, TEXT("Calling."));
    frames_add(&fr, "contentBlockStop", "{'contentBlockIndex':0}");
    frames_add(&fr, "contentBlockStart",
               "{'contentBlockIndex':1,'start':{'toolUse':{'toolUseId':"
               "'tu_a','name':'a'}}}");
    frames_add(&fr, "contentBlockDelta",
               "{'contentBlockIndex':1,'delta':{'toolUse':{'input':'{\\'x'}}}");
    frames_add(&fr, "contentBlockDelta",
               "{'contentBlockIndex':1,'delta':{'toolUse':{'input':"
               "'\\':1}'}}}");
    frames_add(&fr, "contentBlockStop", "{'contentBlockIndex':1}");
    frames_add(&fr, "contentBlockStart",
               "{'contentBlockIndex':2,'start':{'toolUse':{'toolUseId':"
               "'tu_b','name':'b'}}}");
    frames_add(&fr, "contentBlockDelta",
               "{'contentBlockIndex':2,'delta':{'toolUse':{'input':'{}'}}}");
    frames_add(&fr, "contentBlockDelta",
               "{'contentBlockIndex':7,'delta':{'toolUse':{'input':'lost'}}}");
    frames_add(&fr, STOP("tool_use"));
    frames_add(&fr, TEXT("late"));
    frames_add(&fr, STOP("end_turn"));
    frames_add(&fr, "metadata",
               "{'usage':{'inputTokens':10,'outputTokens':5,"
               "'totalTokens':315,'cacheReadInputTokens':100,"
               "'cacheWriteInputTokens':200},'metrics':{'latencyMs':9}}");
    run_frames(&got, OAI, &fr, fr.n);
    oai_read(&o, &got);
    CHECK(o.errors == 0 && o.done == 1 && o.bad == 0 && o.after_end == 0,
          "two tools: a whole stream");
    CHECK_STR(o.text.data, o.text.len, "Calling.", "two tools: no late text");
    CHECK_INT(o.tools, 2, "two tools");
    CHECK_STR(o.args[0].data, o.args[0].len, "{\"x\":1}",
              "two tools: arguments of a");
    CHECK_STR(o.args[1].data, o.args[1].len, "{}",
              "two tools: arguments of b");
    CHECK(strcmp(o.id[1], "tu_b") == 0 && strcmp(o.name[1], "b") == 0,
          "two tools: b");
    CHECK(strcmp(o.finish, "tool_calls") == 0 && o.finishes == 1,
          "two tools: one finish %s", o.finish);
    check_json("cache usage in the usage chunk", json_incref(o.usage),
               "{'prompt_tokens':310,'completion_tokens':5,"
               "'total_tokens':315,'prompt_tokens_details':{"
               "'cached_tokens':100,'cache_write_tokens':200}}");
    oai_free(&o);
    llmgw_out_free(&got);

    run_case(&got, ANT, &fr);
    ant_read(&a, &got);
    CHECK_INT(a.bad, 0, "two tools to anthropic: well formed");
    CHECK(strcmp(a.seq, "message_start start(text,0) delta(0) stop(0) "
                 "start(tool_use,1) delta(1) stop(1) start(tool_use,2) "
                 "delta(2) stop(2) message_delta message_stop") == 0,
          "two tools to anthropic: %s", a.seq);
    check_json("cache usage in message_delta",
               json_incref(json_object_get(a.delta, "usage")),
               "{'input_tokens':10,'cache_creation_input_tokens':200,"
               "'cache_read_input_tokens':100,'output_tokens':5}");
    ant_free(&a);
    llmgw_out_free(&got);

    /* stop reasons to the client */
    memset(&fr, 0, sizeof(frames_t));
    frames_add(&fr, START);
    frames_add(&fr, TEXT("x"));
    frames_add(&fr, STOP("guardrail_intervened"));
    run_case(&got, ANT, &fr);
    ant_read(&a, &got);
    CHECK(strcmp(llmgw_json_str(json_object_get(a.delta, "delta"),
                                "stop_reason", NULL), "refusal") == 0,
          "a guardrail is a refusal");
    ant_free(&a);
    llmgw_out_free(&got);

    /* a stream of nothing but messageStart: cut */
    memset(&fr, 0, sizeof(frames_t));
    frames_add(&fr, START);
    frames_add(&fr, "metadata", "{'usage':{'inputTokens':1}}");
    run_case(&got, OAI, &fr);
    oai_read(&o, &got);
    CHECK(o.errors == 1 && o.done == 0, "no messageStop: an error");
    oai_free(&o);
    llmgw_out_free(&got);

    /* a toolUse start without an index is malformed */
    memset(&fr, 0, sizeof(frames_t));
    frames_add(&fr, START);
    frames_add(&fr, "contentBlockStart",
               "{'start':{'toolUse':{'toolUseId':'t','name':'f'}}}");
    run_case(&got, OAI, &fr);
    oai_read(&o, &got);
    CHECK(o.errors == 1 && o.done == 0 && o.tools == 0,
          "a toolUse block without an index");
    oai_free(&o);
    llmgw_out_free(&got);

    /* a block index beyond what is kept */
    memset(&fr, 0, sizeof(frames_t));
    frames_add(&fr, START);
    frames_add(&fr, "contentBlockStart",
               "{'contentBlockIndex':256,'start':{'toolUse':{'toolUseId':"
               "'t','name':'f'}}}");
    run_case(&got, OAI, &fr);
    oai_read(&o, &got);
    CHECK(o.errors == 1 && strstr(o.error_msg, "more content blocks"),
          "too many blocks: %s", o.error_msg);
    oai_free(&o);
    llmgw_out_free(&got);
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }

    test_request_out();
    test_response_in();
    test_error_in();
    test_embeddings();

    /* the id and model of every stream's chunks: run_frames() and
     * open_stream() give them */
    oai_want_id = "chatcmpl-gw1";
    oai_want_model = "client-model";

    test_recordings();
    test_stream_cases();

    UNIT_DONE("unit_bedrock");
}
