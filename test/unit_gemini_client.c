/*
 * Unit tests of src/providers/llmgw_gemini_client.c, Gemini's client side:
 * GenerateContentRequests (Gemini CLI's among them) to canonical,
 * canonical answers and errors back, and recorded provider streams
 * (OpenAI, Anthropic, Gemini, Cohere) through the SSE splitter and an
 * xstream to alt=sse events, whole, cut at every byte and byte by byte,
 * checked against what an OpenAI client reads of the same stream.
 *
 * The JSON written in this file uses ' for " (see parse()).
 */

#define FEED_OWN_PARSE  1

#include "xstream_feed.h"
#include "json_quoted.h"
#include "providers/llmgw_gemini_client.h"


static const char  *fixtures = "fixtures";

#define GEM  (&llmgw_format_gemini)
#define OAI  (&llmgw_format_openai)
#define ANT  (&llmgw_format_anthropic)
#define COH  (&llmgw_format_cohere)

#define GEM_CALLS  8


/* requests */

static json_t *
req_in(const char *body, llmgw_xerr_t *err)
{
    json_t  *req, *canon;

    req = parse(body);
    memset(err, 0, sizeof(llmgw_xerr_t));

    canon = llmgw_format_gemini.request_in(req, err);
    json_decref(req);

    return canon;
}


static void
check_in(const char *what, const char *body, const char *want)
{
    json_t        *canon;
    llmgw_xerr_t   err;

    canon = req_in(body, &err);

    if (canon == NULL) {
        UNIT_FAIL("%s: refused: %s", what, err.message);
        return;
    }

    check_json(what, canon, want);
}


/* canonical member key of the request body, as the JSON want; "-" for
 * none */

static void
check_in_member(const char *what, const char *body, const char *key,
    const char *want)
{
    json_t        *canon, *v;
    llmgw_xerr_t   err;

    canon = req_in(body, &err);

    if (canon == NULL) {
        UNIT_FAIL("%s: refused: %s", what, err.message);
        return;
    }

    v = json_object_get(canon, key);

    if (strcmp(want, "-") == 0) {
        CHECK(v == NULL, "%s: no %s", what, key);

    } else {
        check_json(what, json_incref(v), want);
    }

    json_decref(canon);
}


static void
check_in_bad(const char *body, const char *needle)
{
    json_t        *canon;
    llmgw_xerr_t   err;

    canon = req_in(body, &err);
    CHECK(canon == NULL, "refused: %s", body);
    json_decref(canon);

    check_err(body, &err, 400, "invalid_request_error", needle);
}


/* a body of contents c and members m (may be "") */

static void
body_of(char *buf, size_t size, const char *c, const char *m)
{
    snprintf(buf, size, "{'contents':%s%s%s}", c, m[0] ? "," : "", m);
}


static const char  hi[] = "[{'role':'user','parts':[{'text':'hi'}]}]";


static void
test_gemini_cli(void)
{
    /* as Gemini CLI sends a turn of its agent loop (packages/core
     * geminiChat.ts through @google/genai) */
    check_in("Gemini CLI",
        "{'contents':["
        "{'role':'user','parts':[{'text':'<session_context>cwd: /p'},"
        "{'text':'List the files.'}]},"
        "{'role':'model','parts':["
        "{'text':'**Planning**\\nI will look.','thought':true},"
        "{'text':'I will list them.','thoughtSignature':'c2ln'},"
        "{'functionCall':{'id':'list_directory__abc','name':"
        "'list_directory','args':{'dir_path':'.'}},"
        "'thoughtSignature':'c2ln'},"
        "{'functionCall':{'name':'read_file','args':"
        "{'file_path':'a.txt'}}}]},"
        "{'role':'user','parts':["
        "{'functionResponse':{'id':'list_directory__abc','name':"
        "'list_directory','response':{'output':'a.txt\\nb.txt'}}},"
        "{'functionResponse':{'id':'read_file__x','name':'read_file',"
        "'response':{'output':'hello'}}}]},"
        "{'role':'model','parts':[{'text':'Two '},{'text':'files.'},"
        "{'thoughtSignature':'c2ln'}]},"
        "{'role':'user','parts':[{'text':'Thanks'}]}],"
        "'systemInstruction':{'role':'user','parts':"
        "[{'text':'You are an interactive CLI agent.'}]},"
        "'tools':[{'functionDeclarations':[{'name':'list_directory',"
        "'description':'Lists a directory.','parametersJsonSchema':"
        "{'type':'object','properties':{'dir_path':{'type':'string'},"
        "'wait_for_previous':{'type':'boolean'}},'required':['dir_path']}},"
        "{'name':'read_file','parametersJsonSchema':{'type':'object'}}]}],"
        "'generationConfig':{'temperature':1,'topP':0.95,'topK':64,"
        "'thinkingConfig':{'includeThoughts':true,'thinkingBudget':8192}}}",

        "{'messages':["
        "{'role':'system','content':'You are an interactive CLI agent.'},"
        "{'role':'user','content':[{'type':'text','text':"
        "'<session_context>cwd: /p'},{'type':'text','text':"
        "'List the files.'}]},"
        "{'role':'assistant','content':'I will list them.','tool_calls':["
        "{'id':'list_directory__abc','type':'function','function':{'name':"
        "'list_directory','arguments':'{\\'dir_path\\':\\'.\\'}'}},"
        "{'id':'call_1_1','type':'function','function':{'name':'read_file',"
        "'arguments':'{\\'file_path\\':\\'a.txt\\'}'}}]},"
        "{'role':'tool','tool_call_id':'list_directory__abc','content':"
        "'{\\'output\\':\\'a.txt\\\\nb.txt\\'}'},"
        "{'role':'tool','tool_call_id':'call_1_1','content':"
        "'{\\'output\\':\\'hello\\'}'},"
        "{'role':'assistant','content':'Two files.'},"
        "{'role':'user','content':'Thanks'}],"
        "'tools':[{'type':'function','function':{'name':'list_directory',"
        "'description':'Lists a directory.','parameters':{'type':'object',"
        "'properties':{'dir_path':{'type':'string'},'wait_for_previous':"
        "{'type':'boolean'}},'required':['dir_path']}}},"
        "{'type':'function','function':{'name':'read_file','parameters':"
        "{'type':'object'}}}],"
        "'temperature':1,'top_p':0.95,'reasoning_effort':'medium'}");

    /* its generateJson (next-speaker check, edit correction) */
    check_in("Gemini CLI generateJson",
        "{'contents':[{'role':'user','parts':[{'text':'Who speaks next?'}]}],"
        "'systemInstruction':{'role':'user','parts':[{'text':'Judge.'}]},"
        "'generationConfig':{'temperature':0,'topP':1,'thinkingConfig':"
        "{'thinkingBudget':0},'responseJsonSchema':{'type':'object',"
        "'properties':{'next_speaker':{'type':'string','enum':['user',"
        "'model']}}},'responseMimeType':'application/json'}}",
        "{'messages':[{'role':'system','content':'Judge.'},"
        "{'role':'user','content':'Who speaks next?'}],"
        "'temperature':0,'top_p':1,'reasoning_effort':'none',"
        "'response_format':{'type':'json_schema','json_schema':{'name':"
        "'response','schema':{'type':'object','properties':{'next_speaker':"
        "{'type':'string','enum':['user','model']}}}}}}");

    /* Gemini 3's chat config */
    check_in_member("Gemini CLI, Gemini 3",
        "{'contents':[{'parts':[{'text':'hi'}]}],'generationConfig':"
        "{'temperature':1,'topP':0.95,'topK':64,'thinkingConfig':"
        "{'includeThoughts':true,'thinkingLevel':'HIGH'}}}",
        "reasoning_effort", "'high'");

    /* web search and web fetch are Google's own tools */
    check_in_bad("{'contents':[{'role':'user','parts':[{'text':'q'}]}],"
                 "'tools':[{'googleSearch':{}}],"
                 "'generationConfig':{'temperature':0,'topP':1}}",
                 "tools[0].googleSearch: a Google-hosted tool this provider "
                 "does not offer");
    check_in_bad("{'contents':[{'role':'user','parts':[{'text':'q'}]}],"
                 "'tools':[{'urlContext':{}}]}",
                 "tools[0].urlContext: a Google-hosted tool");
}


static void
test_parts(void)
{
    check_in("system as a string, role left out, parts of metadata",
        "{'systemInstruction':'Be brief.','contents':["
        "{'parts':[{'text':'a'},{'thoughtSignature':'x'},"
        "{'videoMetadata':{},'partMetadata':{}},{'text':''}]}]}",
        "{'messages':[{'role':'system','content':'Be brief.'},"
        "{'role':'user','content':'a'}]}");

    check_in("system parts joined, thoughts and empty texts out",
        "{'systemInstruction':{'parts':[{'text':'A'},{'text':'B',"
        "'thought':true},{'text':''},{'text':'C'}]},'contents':"
        "[{'role':'user','parts':[{'text':'x'}]}]}",
        "{'messages':[{'role':'system','content':'A\\n\\nC'},"
        "{'role':'user','content':'x'}]}");

    check_in("an empty system instruction",
        "{'systemInstruction':{'parts':[]},'contents':"
        "[{'role':'user','parts':[{'text':'x'}]}]}",
        "{'messages':[{'role':'user','content':'x'}]}");

    check_in("images and a PDF",
        "{'contents':[{'role':'user','parts':[{'text':'What is it?'},"
        "{'inlineData':{'mimeType':'image/png','data':'iVBORw0KGgo='}},"
        "{'inlineData':{'mimeType':'application/pdf','data':'JVBERi0='}},"
        "{'inlineData':{'mimeType':'application/pdf','data':'JVBE',"
        "'displayName':'tax.pdf'}}]}]}",
        "{'messages':[{'role':'user','content':["
        "{'type':'text','text':'What is it?'},"
        "{'type':'image_url','image_url':{'url':"
        "'data:image/png;base64,iVBORw0KGgo='}},"
        "{'type':'file','file':{'filename':'document.pdf','file_data':"
        "'data:application/pdf;base64,JVBERi0='}},"
        "{'type':'file','file':{'filename':'tax.pdf','file_data':"
        "'data:application/pdf;base64,JVBE'}}]}]}");

    check_in("a model turn of thoughts only is left out",
        "{'contents':[{'role':'user','parts':[{'text':'a'}]},"
        "{'role':'model','parts':[{'text':'hm','thought':true}]},"
        "{'role':'model','parts':[]},"
        "{'role':'user','parts':[{'text':'b'}]}]}",
        "{'messages':[{'role':'user','content':'a'},"
        "{'role':'user','content':'b'}]}");

    check_in("a call without args, text after calls",
        "{'contents':[{'role':'user','parts':[{'text':'a'}]},"
        "{'role':'model','parts':[{'functionCall':{'name':'now'}},"
        "{'text':'Done.'}]}]}",
        "{'messages':[{'role':'user','content':'a'},"
        "{'role':'assistant','content':'Done.','tool_calls':[{'id':"
        "'call_1_0','type':'function','function':{'name':'now',"
        "'arguments':'{}'}}]}]}");

    /* results first, then the rest of the turn, with the media of a
     * multimodal function response */
    check_in("function response with parts, media beside it",
        "{'contents':[{'role':'user','parts':[{'text':'a'}]},"
        "{'role':'model','parts':[{'functionCall':{'id':'r1','name':'read',"
        "'args':{'p':'x.png'}}}]},"
        "{'role':'user','parts':[{'text':'see'},"
        "{'functionResponse':{'id':'r1','name':'read','response':"
        "{'output':'Binary content provided (1 item(s)).'},'parts':"
        "[{'inlineData':{'mimeType':'image/png','data':'iVBO'}}]}},"
        "{'inlineData':{'mimeType':'image/jpeg','data':'/9j/'}}]}]}",
        "{'messages':[{'role':'user','content':'a'},"
        "{'role':'assistant','content':null,'tool_calls':[{'id':'r1',"
        "'type':'function','function':{'name':'read','arguments':"
        "'{\\'p\\':\\'x.png\\'}'}}]},"
        "{'role':'tool','tool_call_id':'r1','content':"
        "'{\\'output\\':\\'Binary content provided (1 item(s)).\\'}'},"
        "{'role':'user','content':[{'type':'text','text':'see'},"
        "{'type':'image_url','image_url':{'url':"
        "'data:image/png;base64,iVBO'}},"
        "{'type':'image_url','image_url':{'url':"
        "'data:image/jpeg;base64,/9j/'}}]}]}");

    check_in("a response without response",
        "{'contents':[{'role':'model','parts':[{'functionCall':{'name':"
        "'f'}}]},{'role':'user','parts':[{'functionResponse':{'name':"
        "'f'}}]}]}",
        "{'messages':[{'role':'assistant','content':null,'tool_calls':["
        "{'id':'call_0_0','type':'function','function':{'name':'f',"
        "'arguments':'{}'}}]},"
        "{'role':'tool','tool_call_id':'call_0_0','content':'{}'}]}");

    /* the snake_case names of Google's REST examples */
    check_in("snake_case",
        "{'system_instruction':{'parts':[{'text':'S'}]},'contents':["
        "{'parts':[{'text':'hi'},{'inline_data':{'mime_type':'image/jpeg',"
        "'data':'/9j/'}}]},"
        "{'role':'model','parts':[{'function_call':{'name':'f','args':"
        "{'a_b':1}}}]},"
        "{'role':'user','parts':[{'function_response':{'name':'f',"
        "'response':{'x_y':2}}}]}],"
        "'generation_config':{'max_output_tokens':100,'stop_sequences':"
        "['END'],'response_mime_type':'application/json','thinking_config':"
        "{'thinking_budget':30000}},"
        "'tool_config':{'function_calling_config':{'mode':'ANY',"
        "'allowed_function_names':['f']}},"
        "'tools':[{'function_declarations':[{'name':'f','parameters':"
        "{'type':'OBJECT','properties':{'a_b':{'type':'STRING',"
        "'max_length':'9'}}}}]}],'safety_settings':[]}",
        "{'messages':[{'role':'system','content':'S'},"
        "{'role':'user','content':[{'type':'text','text':'hi'},"
        "{'type':'image_url','image_url':{'url':"
        "'data:image/jpeg;base64,/9j/'}}]},"
        "{'role':'assistant','content':null,'tool_calls':[{'id':'call_1_0',"
        "'type':'function','function':{'name':'f','arguments':"
        "'{\\'a_b\\':1}'}}]},"
        "{'role':'tool','tool_call_id':'call_1_0','content':"
        "'{\\'x_y\\':2}'}],"
        "'tools':[{'type':'function','function':{'name':'f','parameters':"
        "{'type':'object','properties':{'a_b':{'type':'string',"
        "'maxLength':9}}}}}],"
        "'tool_choice':{'type':'function','function':{'name':'f'}},"
        "'max_completion_tokens':100,'stop':['END'],"
        "'response_format':{'type':'json_object'},"
        "'reasoning_effort':'high'}");

    /* members beside a part's data are not looked at (Gemini CLI's own
     * callIndex, should one slip through) */
    check_in("a member beside the data",
        "{'contents':[{'parts':[{'callIndex':0,'text':'x'}]}]}",
        "{'messages':[{'role':'user','content':'x'}]}");

    /* the model is in the URL; countTokens' inner request names it */
    check_in("model ignored",
        "{'model':'models/gemini-2.5-flash','contents':[{'parts':"
        "[{'text':'x'}]}],'labels':{'team':'a'},'serviceTier':'standard',"
        "'safetySettings':[{'category':'HARM_CATEGORY_HARASSMENT',"
        "'threshold':'BLOCK_NONE'}]}",
        "{'messages':[{'role':'user','content':'x'}]}");
}


static void
test_call_ids(void)
{
    /* no ids: call_<turn>_<n>, answered by name in order */
    check_in("by name, in order",
        "{'contents':[{'role':'user','parts':[{'text':'go'}]},"
        "{'role':'model','parts':[{'functionCall':{'name':'f','args':"
        "{'n':1}}},{'functionCall':{'name':'f','args':{'n':2}}},"
        "{'functionCall':{'name':'g'}}]},"
        "{'role':'user','parts':[{'functionResponse':{'name':'g',"
        "'response':{'r':'g'}}},{'functionResponse':{'name':'f',"
        "'response':{'r':1}}},{'functionResponse':{'name':'f','response':"
        "{'r':2}}}]}]}",
        "{'messages':[{'role':'user','content':'go'},"
        "{'role':'assistant','content':null,'tool_calls':["
        "{'id':'call_1_0','type':'function','function':{'name':'f',"
        "'arguments':'{\\'n\\':1}'}},"
        "{'id':'call_1_1','type':'function','function':{'name':'f',"
        "'arguments':'{\\'n\\':2}'}},"
        "{'id':'call_1_2','type':'function','function':{'name':'g',"
        "'arguments':'{}'}}]},"
        "{'role':'tool','tool_call_id':'call_1_2','content':"
        "'{\\'r\\':\\'g\\'}'},"
        "{'role':'tool','tool_call_id':'call_1_0','content':'{\\'r\\':1}'},"
        "{'role':'tool','tool_call_id':'call_1_1','content':'{\\'r\\':2}'}]}");

    /* ids: answered by id whatever the order; an id of no call falls back
     * to the name */
    check_in("by id",
        "{'contents':[{'role':'user','parts':[{'text':'go'}]},"
        "{'role':'model','parts':[{'functionCall':{'id':'a','name':'f'}},"
        "{'functionCall':{'id':'b','name':'f'}},"
        "{'functionCall':{'id':'c','name':'f'}}]},"
        "{'role':'user','parts':[{'functionResponse':{'id':'b','name':'f',"
        "'response':{'r':'b'}}},{'functionResponse':{'id':'zz','name':'f',"
        "'response':{'r':'zz'}}},{'functionResponse':{'id':'c','name':'f',"
        "'response':{'r':'c'}}}]}]}",
        "{'messages':[{'role':'user','content':'go'},"
        "{'role':'assistant','content':null,'tool_calls':["
        "{'id':'a','type':'function','function':{'name':'f','arguments':"
        "'{}'}},"
        "{'id':'b','type':'function','function':{'name':'f','arguments':"
        "'{}'}},"
        "{'id':'c','type':'function','function':{'name':'f','arguments':"
        "'{}'}}]},"
        "{'role':'tool','tool_call_id':'b','content':'{\\'r\\':\\'b\\'}'},"
        "{'role':'tool','tool_call_id':'a','content':'{\\'r\\':\\'zz\\'}'},"
        "{'role':'tool','tool_call_id':'c','content':'{\\'r\\':\\'c\\'}'}]}");

    /* calls of earlier turns stay answerable; the same call not twice */
    check_in("across turns",
        "{'contents':[{'role':'model','parts':[{'functionCall':{'name':"
        "'f'}}]},{'role':'model','parts':[{'functionCall':{'name':'f'}}]},"
        "{'role':'user','parts':[{'functionResponse':{'name':'f',"
        "'response':{}}},{'functionResponse':{'name':'f','response':"
        "[1]}}]}]}",
        "{'messages':[{'role':'assistant','content':null,'tool_calls':["
        "{'id':'call_0_0','type':'function','function':{'name':'f',"
        "'arguments':'{}'}}]},"
        "{'role':'assistant','content':null,'tool_calls':["
        "{'id':'call_1_0','type':'function','function':{'name':'f',"
        "'arguments':'{}'}}]},"
        "{'role':'tool','tool_call_id':'call_0_0','content':'{}'},"
        "{'role':'tool','tool_call_id':'call_1_0','content':'[1]'}]}");

    check_in_bad("{'contents':[{'role':'model','parts':[{'functionCall':"
                 "{'name':'f'}}]},{'role':'user','parts':[{'functionResponse':"
                 "{'name':'f','response':{}}},{'functionResponse':{'name':"
                 "'f','response':{}}}]}]}",
                 "contents[1].parts[1].functionResponse: no earlier "
                 "functionCall of \"f\" is left unanswered");
    check_in_bad("{'contents':[{'role':'user','parts':[{'functionResponse':"
                 "{'name':'g','response':{}}}]}]}",
                 "contents[0].parts[0].functionResponse: no earlier");
}


static void
test_schemas(void)
{
    check_in_member("Gemini schema to JSON Schema",
        "{'contents':[{'parts':[{'text':'x'}]}],'tools':[{"
        "'functionDeclarations':[{'name':'f','description':'F',"
        "'behavior':'NON_BLOCKING','response':{'type':'STRING'},"
        "'parameters':{'type':'OBJECT','nullable':false,"
        "'properties':{"
        "'name':{'type':'STRING','description':'d','enum':['a','b'],"
        "'example':'a'},"
        "'tags':{'type':'ARRAY','items':{'type':'STRING'},"
        "'min_items':'1','maxItems':'5'},"
        "'n':{'type':'INTEGER','nullable':true,'minimum':0,"
        "'format':'int32'},"
        "'any':{'anyOf':[{'type':'NUMBER'},{'type':'BOOLEAN'},"
        "{'type':'NULL'}]},"
        "'obj':{'type':'OBJECT','properties':{'type':{'type':'STRING'}},"
        "'required':['type'],'propertyOrdering':['type']},"
        "'u':{'type':'TYPE_UNSPECIFIED','description':'x'},"
        "'z':{'type':'string','nullable':true,'minLength':2}},"
        "'required':['name'],'propertyOrdering':['name','tags']}}]}]}",
        "tools",
        "[{'type':'function','function':{'name':'f','description':'F',"
        "'parameters':{'type':'object','properties':{"
        "'name':{'type':'string','description':'d','enum':['a','b'],"
        "'examples':['a']},"
        "'tags':{'type':'array','items':{'type':'string'},'minItems':1,"
        "'maxItems':5},"
        "'n':{'type':['integer','null'],'minimum':0,'format':'int32'},"
        "'any':{'anyOf':[{'type':'number'},{'type':'boolean'},"
        "{'type':'null'}]},"
        "'obj':{'type':'object','properties':{'type':{'type':'string'}},"
        "'required':['type']},"
        "'u':{'description':'x'},"
        "'z':{'type':['string','null'],'minLength':2}},"
        "'required':['name']}}}]");

    check_in_member("parametersJsonSchema as it is",
        "{'contents':[{'parts':[{'text':'x'}]}],'tools':[{"
        "'functionDeclarations':[{'name':'f','parametersJsonSchema':"
        "{'type':'object','properties':{'a':{'type':'STRING',"
        "'propertyOrdering':[]}},'additionalProperties':false},"
        "'parameters':{'type':'OBJECT'}}]},{'functionDeclarations':"
        "[{'name':'g'}]},{'functionDeclarations':[]}]}",
        "tools",
        "[{'type':'function','function':{'name':'f','parameters':"
        "{'type':'object','properties':{'a':{'type':'STRING',"
        "'propertyOrdering':[]}},'additionalProperties':false}}},"
        "{'type':'function','function':{'name':'g'}}]");

    check_in_member("no declarations: no tools",
        "{'contents':[{'parts':[{'text':'x'}]}],'tools':[{"
        "'functionDeclarations':[]},{'googleSearch':null}]}",
        "tools", "-");

    check_in_member("responseSchema made JSON Schema",
        "{'contents':[{'parts':[{'text':'x'}]}],'generationConfig':{"
        "'responseMimeType':'application/json','responseSchema':{'type':"
        "'ARRAY','items':{'type':'OBJECT','properties':{'a':{'type':"
        "'INTEGER'}},'propertyOrdering':['a']}}}}",
        "response_format",
        "{'type':'json_schema','json_schema':{'name':'response','schema':"
        "{'type':'array','items':{'type':'object','properties':{'a':"
        "{'type':'integer'}}}}}}");

    {
        int     i;
        char    body[8192];
        size_t  n;

        n = (size_t) snprintf(body, sizeof(body),
                              "{'contents':[{'parts':[{'text':'x'}]}],"
                              "'tools':[{'functionDeclarations':[{'name':"
                              "'f','parameters':");

        for (i = 0; i < 70; i++) {
            n += (size_t) snprintf(body + n, sizeof(body) - n,
                                   "{'type':'ARRAY','items':");
        }

        n += (size_t) snprintf(body + n, sizeof(body) - n, "{}");

        for (i = 0; i < 70; i++) {
            n += (size_t) snprintf(body + n, sizeof(body) - n, "}");
        }

        snprintf(body + n, sizeof(body) - n, "}]}]}");

        check_in_bad(body, "tools[0].functionDeclarations[0].parameters: "
                     "the schema nests too deep");
    }
}


static void
test_tool_config(void)
{
    size_t  i;
    char    body[512];

    static const char  *modes[][2] = {
        { "{'mode':'AUTO'}", "'auto'" },
        { "{'mode':'VALIDATED','allowedFunctionNames':['f']}", "'auto'" },
        { "{'mode':'NONE'}", "'none'" },
        { "{'mode':'ANY'}", "'required'" },
        { "{'mode':'ANY','allowedFunctionNames':['f','g']}", "'required'" },
        { "{'mode':'ANY','allowedFunctionNames':['f']}",
          "{'type':'function','function':{'name':'f'}}" },
        { "{'mode':'MODE_UNSPECIFIED'}", "-" },
        { "{}", "-" }
    };

    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        snprintf(body, sizeof(body),
                 "{'contents':%s,'tools':[{'functionDeclarations':[{'name':"
                 "'f'},{'name':'g'}]}],'toolConfig':{"
                 "'functionCallingConfig':%s,'retrievalConfig':{}}}",
                 hi, modes[i][0]);
        check_in_member(modes[i][0], body, "tool_choice", modes[i][1]);
    }

    snprintf(body, sizeof(body), "{'contents':%s,'toolConfig':{"
             "'functionCallingConfig':{'mode':'SOMETIMES'}}}", hi);
    check_in_bad(body, "toolConfig.functionCallingConfig.mode must be AUTO");
}


static void
test_config(void)
{
    size_t  i;
    char    body[1024], gc[256];

    static const char  *budgets[][2] = {
        { "0", "'none'" }, { "-1", "-" }, { "1", "'minimal'" },
        { "512", "'minimal'" }, { "1023", "'minimal'" }, { "1024", "'low'" },
        { "4608", "'low'" }, { "4609", "'medium'" }, { "8192", "'medium'" },
        { "16384", "'medium'" }, { "16385", "'high'" }, { "24576", "'high'" },
        { "32768", "'high'" }
    };

    static const char  *levels[][2] = {
        { "'MINIMAL'", "'minimal'" }, { "'LOW'", "'low'" },
        { "'MEDIUM'", "'medium'" }, { "'HIGH'", "'high'" },
        { "'THINKING_LEVEL_UNSPECIFIED','thinkingBudget':1024", "'low'" },
        { "'THINKING_LEVEL_UNSPECIFIED'", "-" }
    };

    check_in("every member",
        "{'contents':[{'parts':[{'text':'x'}]}],'generationConfig':{"
        "'temperature':0.25,'topP':0.5,'topK':40,'maxOutputTokens':512,"
        "'stopSequences':['x','y'],'candidateCount':2,'seed':7,"
        "'presencePenalty':0.5,'frequencyPenalty':-0.5,"
        "'responseMimeType':'application/json','responseJsonSchema':"
        "{'type':'object'},'responseLogprobs':true,'logprobs':3,"
        "'thinkingConfig':{'thinkingLevel':'LOW','includeThoughts':true},"
        "'mediaResolution':'MEDIA_RESOLUTION_LOW','responseModalities':"
        "['TEXT'],'enableEnhancedCivicAnswers':false}}",
        "{'messages':[{'role':'user','content':'x'}],"
        "'temperature':0.25,'top_p':0.5,'max_completion_tokens':512,"
        "'stop':['x','y'],'n':2,'seed':7,'presence_penalty':0.5,"
        "'frequency_penalty':-0.5,'response_format':{'type':'json_schema',"
        "'json_schema':{'name':'response','schema':{'type':'object'}}},"
        "'logprobs':true,'top_logprobs':3,'reasoning_effort':'low'}");

    check_in("nothing set",
        "{'contents':[{'parts':[{'text':'x'}]}],'generationConfig':{"
        "'stopSequences':[],'responseMimeType':'text/plain',"
        "'responseLogprobs':false,'thinkingConfig':{'includeThoughts':"
        "true}}}",
        "{'messages':[{'role':'user','content':'x'}]}");

    for (i = 0; i < sizeof(budgets) / sizeof(budgets[0]); i++) {
        snprintf(body, sizeof(body), "{'contents':%s,'generationConfig':"
                 "{'thinkingConfig':{'thinkingBudget':%s}}}", hi,
                 budgets[i][0]);
        snprintf(gc, sizeof(gc), "thinkingBudget %s", budgets[i][0]);
        check_in_member(gc, body, "reasoning_effort", budgets[i][1]);
    }

    for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        snprintf(body, sizeof(body), "{'contents':%s,'generationConfig':"
                 "{'thinkingConfig':{'thinkingLevel':%s}}}", hi,
                 levels[i][0]);
        snprintf(gc, sizeof(gc), "thinkingLevel %s", levels[i][0]);
        check_in_member(gc, body, "reasoning_effort", levels[i][1]);
    }
}


static void
test_bad_requests(void)
{
    size_t  i;
    char    body[1024];

    static const char  *contents[][2] = {
        { "5", "contents must be a non-empty array" },
        { "[]", "contents must be a non-empty array" },
        { "['hi']", "contents[0] must be a Content object" },
        { "[{'role':'system','parts':[]}]",
          "contents[0].role must be \"user\" or \"model\"" },
        { "[{'role':1,'parts':[]}]", "contents[0].role must be" },
        { "[{'role':'user'}]", "contents[0].parts must be an array" },
        { "[{'parts':[{'text':''},{'thoughtSignature':'x'}]}]",
          "contents: no part holds anything to send" },
        { "[{'role':'model','parts':[{'text':'x','thought':true}]}]",
          "contents: no part holds anything to send" },
        { "[{'role':'user','parts':{}}]",
          "contents[0].parts must be an array" },
        { "[{'parts':['x']}]", "contents[0].parts[0] must be a Part object" },
        { "[{'parts':[{'text':1}]}]", "contents[0].parts[0].text must be a "
          "string" },
        { "[{'role':'model','parts':[{'text':1}]}]",
          "contents[0].parts[0].text must be a string" },
        { "[{'parts':[{'fileData':{'mimeType':'image/png','fileUri':"
          "'gs://b/a.png'}}]}]",
          "contents[0].parts[0].fileData: files by URI cannot be "
          "translated" },
        { "[{'parts':[{'text':'a'}]},{'role':'model','parts':["
          "{'executableCode':{'language':'PYTHON','code':'1'}}]}]",
          "contents[1].parts[0].executableCode: code execution is a "
          "Google-hosted tool" },
        { "[{'parts':[{'codeExecutionResult':{'outcome':'OUTCOME_OK'}}]}]",
          "contents[0].parts[0].codeExecutionResult: code execution" },
        { "[{'parts':[{'toolCall':{}}]}]",
          "contents[0].parts[0].toolCall: this part cannot be translated" },
        { "[{'parts':[{'inlineData':{'mimeType':'audio/wav','data':'UklG'}}"
          "]}]", "contents[0].parts[0].inlineData: the media type "
          "\"audio/wav\" cannot be translated (images and PDF only)" },
        { "[{'parts':[{'inlineData':{'mimeType':'image/png'}}]}]",
          "contents[0].parts[0].inlineData needs a string mimeType and "
          "data" },
        { "[{'parts':[{'inlineData':{'mimeType':'image/png;x,y','data':"
          "'a'}}]}]", "contents[0].parts[0].inlineData.mimeType is not a "
          "media type" },
        { "[{'parts':[{'functionCall':{'name':'f'}}]}]",
          "contents[0].parts[0]: a functionCall must be in a \"model\" "
          "turn" },
        { "[{'role':'model','parts':[{'functionResponse':{'name':'f'}}]}]",
          "contents[0].parts[0]: a \"model\" turn can hold text and "
          "functionCall parts only" },
        { "[{'role':'model','parts':[{'inlineData':{'mimeType':'image/png',"
          "'data':'a'}}]}]", "contents[0].parts[0]: a \"model\" turn" },
        { "[{'role':'model','parts':[{'functionCall':{'args':{}}}]}]",
          "contents[0].parts[0].functionCall.name must be a non-empty "
          "string" },
        { "[{'role':'model','parts':[{'functionCall':{'name':'f','args':"
          "[1]}}]}]", "contents[0].parts[0].functionCall.args must be an "
          "object" },
        { "[{'parts':[{'functionResponse':{'response':{}}}]}]",
          "contents[0].parts[0].functionResponse.name must be a string" },
        { "[{'role':'model','parts':[{'functionCall':{'name':'f'}}]},"
          "{'parts':[{'functionResponse':{'name':'f','parts':{}}}]}]",
          "contents[1].parts[0].functionResponse.parts must be an array" },
        { "[{'role':'model','parts':[{'functionCall':{'name':'f'}}]},"
          "{'parts':[{'functionResponse':{'name':'f','parts':[{'fileData':"
          "{}}]}}]}]", "contents[1].parts[0].functionResponse.parts[0]: "
          "only inlineData can be translated" }
    };

    static const char  *members[][2] = {
        { "'cachedContent':'cachedContents/abc'",
          "cachedContent: cached contents are kept by Google" },
        { "'cached_content':'cachedContents/abc'", "cachedContent:" },
        { "'messages':[]", "messages: unknown field of a generateContent "
          "request" },
        { "'stream':true", "stream: unknown field" },
        { "'model':5", "model must be a string" },
        { "'systemInstruction':5", "systemInstruction must be a Content" },
        { "'systemInstruction':{'parts':[{'inlineData':{}}]}",
          "systemInstruction.parts[0]: a system instruction can hold text "
          "only" },
        { "'tools':{}", "tools must be an array" },
        { "'tools':[5]", "tools[0] must be a Tool object" },
        { "'tools':[{'functionDeclarations':{}}]",
          "tools[0].functionDeclarations must be an array" },
        { "'tools':[{'functionDeclarations':[{'description':'x'}]}]",
          "tools[0].functionDeclarations[0].name must be a non-empty "
          "string" },
        { "'tools':[{'functionDeclarations':[{'name':'f','parameters':"
          "'x'}]}]", "tools[0].functionDeclarations[0]: the parameters' "
          "schema must be an object" },
        { "'tools':[{'functionDeclarations':[{'name':'f'}],'codeExecution':"
          "{}}]", "tools[0].codeExecution: a Google-hosted tool this "
          "provider does not offer" },
        { "'tools':[{'functionDeclarations':[]},{'googleSearchRetrieval':"
          "{}}]", "tools[1].googleSearchRetrieval: a Google-hosted tool" },
        { "'tools':[{'fileSearch':{}}]", "tools[0].fileSearch: a "
          "Google-hosted tool" },
        { "'tools':[{'computerUse':{'environment':'ENVIRONMENT_BROWSER'}}]",
          "tools[0].computerUse: a Google-hosted tool" },
        { "'tools':[{'googleMaps':{}}]", "tools[0].googleMaps:" },
        { "'generationConfig':[]", "generationConfig must be an object" },
        { "'generationConfig':{'maxOutputTokens':'100'}",
          "generationConfig.maxOutputTokens must be an integer" },
        { "'generationConfig':{'temperature':'hot'}",
          "generationConfig.temperature must be a number" },
        { "'generationConfig':{'candidateCount':1.5}",
          "generationConfig.candidateCount must be an integer" },
        { "'generationConfig':{'stopSequences':'x'}",
          "generationConfig.stopSequences must be an array of strings" },
        { "'generationConfig':{'stopSequences':['x',1]}",
          "generationConfig.stopSequences must be an array of strings" },
        { "'generationConfig':{'responseLogprobs':1}",
          "generationConfig.responseLogprobs must be a boolean" },
        { "'generationConfig':{'logprobs':true}",
          "generationConfig.responseLogprobs must be a boolean and logprobs "
          "an integer" },
        { "'generationConfig':{'responseMimeType':'text/x.enum'}",
          "generationConfig.responseMimeType \"text/x.enum\" cannot be "
          "translated" },
        { "'generationConfig':{'responseMimeType':5}",
          "generationConfig.responseMimeType must be a string" },
        { "'generationConfig':{'responseSchema':{'type':'STRING'}}",
          "generationConfig: a response schema needs responseMimeType "
          "\"application/json\"" },
        { "'generationConfig':{'responseMimeType':'text/plain',"
          "'responseJsonSchema':{}}", "a response schema needs" },
        { "'generationConfig':{'responseModalities':['TEXT','IMAGE']}",
          "generationConfig.responseModalities: only TEXT can be "
          "answered" },
        { "'generationConfig':{'speechConfig':{}}",
          "generationConfig.speechConfig: speech cannot be answered" },
        { "'generationConfig':{'imageConfig':{}}",
          "generationConfig.imageConfig: images cannot be answered" },
        { "'generationConfig':{'thinkingConfig':true}",
          "generationConfig.thinkingConfig must be an object" },
        { "'generationConfig':{'thinkingConfig':{'thinkingLevel':'MAX'}}",
          "generationConfig.thinkingConfig.thinkingLevel must be MINIMAL, "
          "LOW, MEDIUM or HIGH" },
        { "'generationConfig':{'thinkingConfig':{'thinkingLevel':"
          "'VERY_HIGH_INDEED'}}", "thinkingLevel must be" },
        { "'generationConfig':{'thinkingConfig':{'thinkingBudget':-2}}",
          "generationConfig.thinkingConfig.thinkingBudget must be an "
          "integer, -1 or more" },
        { "'generationConfig':{'thinkingConfig':{'thinkingBudget':'1'}}",
          "thinkingBudget must be an integer" }
    };

    check_in_bad("[1]", "The request body must be a JSON object");
    check_in_bad("{}", "contents must be a non-empty array");

    for (i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
        body_of(body, sizeof(body), contents[i][0], "");
        check_in_bad(body, contents[i][1]);
    }

    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        body_of(body, sizeof(body), hi, members[i][0]);
        check_in_bad(body, members[i][1]);
    }
}


static void
test_count_tokens(void)
{
    json_t        *req, *got;
    llmgw_xerr_t   err;

    static const char  *bad[][2] = {
        { "[]", "The request body must be a JSON object" },
        { "{}", "A countTokens request needs contents or "
          "generateContentRequest" },
        { "{'contents':[],'generateContentRequest':{}}",
          "contents and generateContentRequest: give one of them" },
        { "{'generateContentRequest':[]}",
          "generateContentRequest must be an object, alone in the body" },
        { "{'generateContentRequest':{},'x':1}", "alone in the body" }
    };

    req = parse("{'contents':[{'parts':[{'text':'x'}]}]}");
    got = llmgw_gemini_count_request(req, &err);
    CHECK(got == req, "countTokens contents: the body itself");
    json_decref(got);
    json_decref(req);

    req = parse("{'generateContentRequest':{'model':'models/gemini-2.5-pro',"
                "'contents':[{'role':'user','parts':[{'text':'x'}]}],"
                "'systemInstruction':{'parts':[{'text':'S'}]},'tools':[{"
                "'functionDeclarations':[{'name':'f'}]}],"
                "'generationConfig':{'maxOutputTokens':5}}}");
    got = llmgw_gemini_count_request(req, &err);
    CHECK(got == json_object_get(req, "generateContentRequest"),
          "countTokens generateContentRequest: the inner request");

    if (got) {
        json_t  *canon;

        canon = llmgw_format_gemini.request_in(got, &err);
        check_json("countTokens generateContentRequest translated", canon,
                   "{'messages':[{'role':'system','content':'S'},"
                   "{'role':'user','content':'x'}],'tools':[{'type':"
                   "'function','function':{'name':'f'}}],"
                   "'max_completion_tokens':5}");
    }

    json_decref(got);
    json_decref(req);

    req = parse("{'generate_content_request':{'contents':[{'parts':"
                "[{'text':'x'}]}]}}");
    got = llmgw_gemini_count_request(req, &err);
    CHECK(got != NULL && json_object_get(got, "contents") != NULL,
          "countTokens generate_content_request");
    json_decref(got);
    json_decref(req);

    {
        size_t  i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            req = parse(bad[i][0]);
            memset(&err, 0, sizeof(llmgw_xerr_t));
            got = llmgw_gemini_count_request(req, &err);
            CHECK(got == NULL, "countTokens %s refused", bad[i][0]);
            check_err(bad[i][0], &err, 400, "invalid_request_error",
                      bad[i][1]);
            json_decref(got);
            json_decref(req);
        }
    }
}


/* the canonical request, through Gemini's provider side: a Gemini client
 * to a Gemini provider */

static void
test_round_trip(void)
{
    json_t        *canon, *out;
    llmgw_xreq_t   opt;
    llmgw_xerr_t   err;

    canon = req_in("{'contents':[{'role':'user','parts':[{'text':'go'}]},"
                   "{'role':'model','parts':[{'functionCall':{'name':'f',"
                   "'args':{'a':1}}}]},"
                   "{'role':'user','parts':[{'functionResponse':{'name':'f',"
                   "'response':{'output':'ok'}}}]}],"
                   "'systemInstruction':{'parts':[{'text':'S'}]},"
                   "'tools':[{'functionDeclarations':[{'name':'f',"
                   "'parameters':{'type':'OBJECT'}}]}],"
                   "'generationConfig':{'thinkingConfig':{'thinkingBudget':"
                   "0},'maxOutputTokens':9}}", &err);
    CHECK(canon != NULL, "round trip: request_in (%s)", err.message);

    memset(&opt, 0, sizeof(llmgw_xreq_t));
    opt.model = "gemini-2.5-flash";
    opt.model_len = 16;

    out = canon ? llmgw_format_gemini.request_out(canon, &opt, &err) : NULL;
    check_json("round trip: Gemini again", out,
               "{'contents':[{'role':'user','parts':[{'text':'go'}]},"
               "{'role':'model','parts':[{'functionCall':{'name':'f',"
               "'args':{'a':1}},'thoughtSignature':"
               "'skip_thought_signature_validator'}]},"
               "{'role':'user','parts':[{'functionResponse':{'name':'f',"
               "'response':{'output':'ok'}}}]}],"
               "'systemInstruction':{'parts':[{'text':'S'}]},"
               "'tools':[{'functionDeclarations':[{'name':'f',"
               "'parametersJsonSchema':{'type':'object'}}]}],"
               "'generationConfig':{'maxOutputTokens':9,'thinkingConfig':"
               "{'thinkingBudget':0}}}");

    json_decref(canon);
}


/* answers */

static void
check_out(const char *what, const char *canon, const char *want)
{
    json_t        *c, *resp;
    llmgw_xerr_t   err;

    c = parse(canon);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    resp = llmgw_format_gemini.response_out(c, &err);
    json_decref(c);

    if (resp == NULL) {
        UNIT_FAIL("%s: failed: %s", what, err.message);
        return;
    }

    check_json(what, resp, want);
}


static void
check_out_bad(const char *canon, const char *needle)
{
    json_t        *c, *resp;
    llmgw_xerr_t   err;

    c = parse(canon);
    memset(&err, 0, sizeof(llmgw_xerr_t));
    resp = llmgw_format_gemini.response_out(c, &err);
    json_decref(c);

    CHECK(resp == NULL, "response_out refuses %s", canon);
    json_decref(resp);
    check_err(canon, &err, 502, "api_error", needle);
}


static void
test_responses(void)
{
    check_out("text, reasoning, calls, usage",
        "{'id':'chatcmpl-1','object':'chat.completion','created':1,"
        "'model':'gpt-x','choices':[{'index':0,'message':{'role':"
        "'assistant','content':'Hello','reasoning_content':'Think',"
        "'tool_calls':[{'id':'call_1','type':'function','function':{'name':"
        "'f','arguments':'{\\'a\\':[1,{\\'b\\':null}]}'}},{'id':'call_2',"
        "'type':'function','function':{'name':'g','arguments':' '}}]},"
        "'finish_reason':'tool_calls'}],'usage':{'prompt_tokens':10,"
        "'completion_tokens':20,'total_tokens':30,'prompt_tokens_details':"
        "{'cached_tokens':4},'completion_tokens_details':"
        "{'reasoning_tokens':5}}}",
        "{'candidates':[{'content':{'parts':[{'text':'Think','thought':true},"
        "{'text':'Hello'},{'functionCall':{'name':'f','args':{'a':[1,"
        "{'b':null}]},'id':'call_1'}},{'functionCall':{'name':'g','args':{},"
        "'id':'call_2'}}],'role':'model'},'finishReason':'STOP','index':0}],"
        "'usageMetadata':{'promptTokenCount':10,'candidatesTokenCount':15,"
        "'totalTokenCount':30,'cachedContentTokenCount':4,"
        "'thoughtsTokenCount':5},'modelVersion':'gpt-x','responseId':"
        "'chatcmpl-1'}");

    check_out("choices, finishes, content parts, refusal",
        "{'id':'','model':'m','choices':["
        "{'index':0,'message':{'role':'assistant','content':[{'type':'text',"
        "'text':'a'},{'type':'text','text':'b'}]},'finish_reason':'length'},"
        "{'index':1,'message':{'role':'assistant','content':null,"
        "'refusal':'No.'},'finish_reason':'content_filter'},"
        "{'message':{'role':'assistant','content':''},'finish_reason':null},"
        "{'index':3,'message':{'role':'assistant','content':'x'},"
        "'finish_reason':'stop'}]}",
        "{'candidates':["
        "{'content':{'parts':[{'text':'ab'}],'role':'model'},'finishReason':"
        "'MAX_TOKENS','index':0},"
        "{'content':{'parts':[{'text':'No.'}],'role':'model'},"
        "'finishReason':'SAFETY','index':1},"
        "{'content':{'parts':[],'role':'model'},'finishReason':'STOP',"
        "'index':2},"
        "{'content':{'parts':[{'text':'x'}],'role':'model'},'finishReason':"
        "'STOP','index':3}],'modelVersion':'m'}");

    check_out("arguments cut by the length are left out",
        "{'model':'m','choices':[{'index':0,'message':{'role':'assistant',"
        "'content':'Writing','tool_calls':[{'id':'c','type':'function',"
        "'function':{'name':'w','arguments':'{\\'text\\':\\'abc'}}]},"
        "'finish_reason':'length'}],'usage':{'prompt_tokens':1,"
        "'completion_tokens':2,'total_tokens':3}}",
        "{'candidates':[{'content':{'parts':[{'text':'Writing'}],'role':"
        "'model'},'finishReason':'MAX_TOKENS','index':0}],'usageMetadata':"
        "{'promptTokenCount':1,'candidatesTokenCount':2,'totalTokenCount':"
        "3},'modelVersion':'m'}");

    check_out_bad("{'choices':[{'index':0,'message':{'role':'assistant',"
                  "'content':null,'tool_calls':[{'id':'c','type':'function',"
                  "'function':{'name':'w','arguments':'[1]'}}]},"
                  "'finish_reason':'tool_calls'}]}",
                  "The provider's tool call 0 is malformed");
    check_out_bad("{'choices':[]}", "The provider's response has no choices");
    check_out_bad("{}", "The provider's response has no choices");
    check_out_bad("{'choices':[{'index':0}]}",
                  "The provider's response has no message");
}


static void
check_error_out(const char *type, const char *code, const char *want)
{
    llmgw_out_t  o;

    memset(&o, 0, sizeof(llmgw_out_t));
    llmgw_format_gemini.error_out(&o, type, code, "Bad \"thing\"", 11);
    llmgw_out_raw(&o, "", 1);

    CHECK_STR(o.data, o.len - 1, want, "error_out %s", type);
    llmgw_out_free(&o);
}


static void
test_errors(void)
{
    size_t  i;
    char    want[512];

    static const char  *types[][3] = {
        { "invalid_request_error", "400", "INVALID_ARGUMENT" },
        { "request_too_large", "413", "INVALID_ARGUMENT" },
        { "guardrail_blocked", "400", "INVALID_ARGUMENT" },
        { "authentication_error", "401", "UNAUTHENTICATED" },
        { "permission_error", "403", "PERMISSION_DENIED" },
        { "not_found_error", "404", "NOT_FOUND" },
        { "rate_limit_error", "429", "RESOURCE_EXHAUSTED" },
        { "budget_exceeded", "429", "RESOURCE_EXHAUSTED" },
        { "api_error", "500", "INTERNAL" },
        { "overloaded_error", "503", "UNAVAILABLE" },
        { "something_else", "500", "INTERNAL" }
    };

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        snprintf(want, sizeof(want), "{\"error\":{\"code\":%s,\"message\":"
                 "\"Bad \\\"thing\\\"\",\"status\":\"%s\"}}\n", types[i][1],
                 types[i][2]);
        check_error_out(types[i][0], NULL, want);
    }

    check_error_out("rate_limit_error", "rate_limit_exceeded",
        "{\"error\":{\"code\":429,\"message\":\"Bad \\\"thing\\\"\","
        "\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
        "\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":"
        "\"rate_limit_exceeded\",\"domain\":\"llmgw\",\"metadata\":"
        "{\"type\":\"rate_limit_error\"}}]}}\n");
}


/*
 * Streams.  What a Gemini client reads of the events: each "data: <JSON>"
 * ended by CRLF CRLF, a GenerateContentResponse of one candidate with the
 * model's content; the last one with a finishReason and no parts, or an
 * error: the Status JSON on a line of its own, last.
 */

typedef struct {
    llmgw_out_t   text;
    llmgw_out_t   thought;
    unsigned      calls;
    char          name[GEM_CALLS][64];
    char          id[GEM_CALLS][96];
    json_t       *args[GEM_CALLS];
    char          finish[32];
    unsigned      finishes;
    json_t       *usage;
    unsigned      usages;
    json_t       *error;
    char          rid[96];
    unsigned      events;
    unsigned      bad;
    unsigned      after_end;
} gem_t;


/* when set: the responseId every event must carry */
static const char  *gem_want_id;


static void
gem_part(gem_t *g, json_t *part, unsigned last)
{
    json_t      *fc, *args;
    const char  *text, *s;

    text = llmgw_json_str(part, "text", NULL);
    fc = json_object_get(part, "functionCall");

    if (last || json_object_size(part)
                != 1u + json_is_true(json_object_get(part, "thought")))
    {
        g->bad++;
        return;
    }

    if (text) {
        llmgw_out_cstr(json_is_true(json_object_get(part, "thought"))
                       ? &g->thought : &g->text, text);
        g->bad += (text[0] == '\0');
        return;
    }

    args = json_object_get(fc, "args");

    if (!json_is_object(args) || g->calls >= GEM_CALLS
        || llmgw_json_str(fc, "name", NULL) == NULL)
    {
        g->bad++;
        return;
    }

    s = llmgw_json_str(fc, "name", NULL);
    snprintf(g->name[g->calls], 64, "%s", s);
    s = llmgw_json_str(fc, "id", NULL);
    snprintf(g->id[g->calls], 96, "%s", s ? s : "");
    g->args[g->calls++] = json_incref(args);
}


static void
gem_event(gem_t *g, json_t *ev)
{
    size_t       k;
    json_t      *cands, *cand, *content, *parts;
    const char  *finish, *s;

    cands = json_object_get(ev, "candidates");
    cand = json_array_get(cands, 0);
    content = json_object_get(cand, "content");
    parts = json_object_get(content, "parts");
    finish = llmgw_json_str(cand, "finishReason", NULL);

    if (json_array_size(cands) != 1 || !json_is_array(parts)
        || strcmp(str0(content, "role"), "model") != 0
        || json_integer_value(json_object_get(cand, "index")) != 0
        || strcmp(str0(ev, "modelVersion"), "client-model") != 0)
    {
        g->bad++;
    }

    s = llmgw_json_str(ev, "responseId", NULL);
    snprintf(g->rid, sizeof(g->rid), "%s", s ? s : "");

    if (gem_want_id && strcmp(g->rid, gem_want_id) != 0) {
        g->bad++;
    }

    if (g->finishes) {
        g->after_end++;
    }

    json_array_foreach(parts, k, cand) {
        gem_part(g, cand, finish != NULL);
    }

    if (json_object_get(ev, "usageMetadata")) {
        json_decref(g->usage);
        g->usage = json_incref(json_object_get(ev, "usageMetadata"));
        g->usages++;
        g->bad += (finish == NULL);
    }

    if (finish) {
        snprintf(g->finish, sizeof(g->finish), "%s", finish);
        g->finishes++;
    }
}


static void
gem_read(gem_t *g, const llmgw_out_t *out)
{
    char        *p, *end, *next;
    json_t      *v;
    llmgw_out_t  copy;

    memset(g, 0, sizeof(gem_t));
    memset(&copy, 0, sizeof(llmgw_out_t));
    llmgw_out_raw(&copy, out->data, out->len);
    llmgw_out_raw(&copy, "", 1);

    p = (char *) copy.data;
    end = p + out->len;

    while (p < end) {
        if (g->error) {
            g->after_end++;
            break;
        }

        if (*p == '{') {
            /* the error: a line, the last */
            next = memchr(p, '\n', end - p);

            if (next == NULL || next + 1 != end) {
                g->bad++;
                break;
            }

            v = json_loadb(p, next - p, 0, NULL);
            g->error = json_incref(json_object_get(v, "error"));
            g->bad += (g->error == NULL);
            json_decref(v);
            p = next + 1;
            continue;
        }

        next = strstr(p, "\r\n\r\n");

        if (strncmp(p, "data: ", 6) != 0 || next == NULL) {
            g->bad++;
            break;
        }

        *next = '\0';
        g->events++;

        v = json_loads(p + 6, 0, NULL);

        if (!json_is_object(v) || strchr(p, '\n') || strchr(p, '\r')) {
            g->bad++;

        } else {
            gem_event(g, v);
        }

        json_decref(v);
        p = next + 4;
    }

    llmgw_out_free(&copy);
}


static void
gem_free(gem_t *g)
{
    unsigned  i;

    llmgw_out_free(&g->text);
    llmgw_out_free(&g->thought);

    for (i = 0; i < g->calls; i++) {
        json_decref(g->args[i]);
    }

    json_decref(g->usage);
    json_decref(g->error);
}


static const char *
gem_finish_of(const char *finish)
{
    return strcmp(finish, "length") == 0 ? "MAX_TOKENS"
           : strcmp(finish, "content_filter") == 0 ? "SAFETY" : "STOP";
}


/*
 * The same stream, read by a Gemini client and by an OpenAI client: the
 * same text, thoughts, calls (whole, their arguments parsed; one cut by
 * the length left out), finish, usage, error.
 */

static void
check_same_stream(const char *what, const gem_t *g, const oai_t *o)
{
    int       k;
    json_t   *args;
    unsigned  n, dropped;

    CHECK_INT(g->bad, 0, "%s: every event well formed", what);
    CHECK_INT(g->after_end, 0, "%s: nothing after the end", what);
    CHECK_MEM(g->text.data, g->text.len, o->text.data, o->text.len,
              "%s: text", what);
    CHECK_MEM(g->thought.data, g->thought.len, o->reasoning.data,
              o->reasoning.len, "%s: thoughts", what);
    CHECK(o->chunk_id[0] == '\0' || strcmp(g->rid, o->chunk_id) == 0,
          "%s: responseId %s, want %s", what, g->rid, o->chunk_id);

    n = 0;
    dropped = 0;

    for (k = 0; k < (int) o->tools; k++) {
        args = llmgw_tool_args((char *) o->args[k].data, o->args[k].len, 0);

        if (args == NULL) {
            dropped++;
            continue;
        }

        if (n < g->calls) {
            CHECK(strcmp(g->name[n], o->name[k]) == 0, "%s: call %u name "
                  "%s, want %s", what, n, g->name[n], o->name[k]);
            CHECK(strcmp(g->id[n], o->id[k]) == 0, "%s: call %u id %s, "
                  "want %s", what, n, g->id[n], o->id[k]);
            CHECK(json_equal(g->args[n], args), "%s: call %u args", what,
                  n);
        }

        n++;
        json_decref(args);
    }

    CHECK_INT(g->calls, n, "%s: calls", what);

    if (o->errors || (dropped && strcmp(o->finish, "length") != 0)) {
        CHECK(g->error != NULL, "%s: ends in an error", what);
        CHECK_INT(g->finishes, 0, "%s: no finish", what);

        if (o->errors && g->error) {
            CHECK(strcmp(str0(g->error, "message"), o->error_msg) == 0,
                  "%s: error \"%s\", want \"%s\"", what,
                  str0(g->error, "message"), o->error_msg);
            CHECK_INT(json_integer_value(json_object_get(g->error, "code")),
                      strcmp(o->error, "invalid_request_error") == 0 ? 400
                      : 500, "%s: error code", what);
        }

        return;
    }

    CHECK(g->error == NULL, "%s: no error", what);
    CHECK_INT(g->finishes, 1, "%s: one finish", what);
    CHECK_STR(g->finish, strlen(g->finish), gem_finish_of(o->finish),
              "%s: finish (%s)", what, o->finish);

    if (usage_of(o->usage, "total_tokens") > 0) {
        CHECK_INT(g->usages, 1, "%s: usage", what);
        CHECK_INT(usage_of(g->usage, "promptTokenCount"),
                  usage_of(o->usage, "prompt_tokens"), "%s: prompt", what);
        CHECK_INT(usage_of(g->usage, "candidatesTokenCount"),
                  usage_of(o->usage, "completion_tokens"), "%s: completion",
                  what);
        CHECK_INT(usage_of(g->usage, "totalTokenCount"),
                  usage_of(o->usage, "total_tokens"), "%s: total", what);
    }
}


typedef struct {
    const llmgw_format_t  *provider;
    const char            *file;
    const char            *text;      /* NULL: not checked */
    const char            *call;      /* the first call's name */
    const char            *args;      /* its arguments */
    const char            *finish;    /* NULL: ends in an error */
} stream_case_t;


static const stream_case_t  stream_cases[] = {
    { OAI, "openai-parse_pydantic_model.sse", NULL, NULL, NULL, "STOP" },
    { OAI, "openai-parse_multiple_pydantic_tools.sse", "",
      "GetWeatherArgs", "{\"city\":\"Edinburgh\",\"country\":\"GB\","
      "\"units\":\"c\"}", "STOP" },
    { OAI, "openai-parse_max_tokens_reached.sse", NULL, NULL, NULL,
      "MAX_TOKENS" },
    { OAI, "openai-tools.sse", "", "get_weather", NULL, "STOP" },
    { ANT, "anthropic-basic_response.sse", "Hello there!", NULL, NULL,
      "STOP" },
    { ANT, "anthropic-tool_use_response.sse", NULL, NULL, NULL, "STOP" },
    { ANT, "anthropic-incomplete_partial_json_response.sse", NULL, NULL,
      NULL, "MAX_TOKENS" },
    { ANT, "anthropic-refusal_response.sse", "", NULL, NULL, "SAFETY" },
    { ANT, "anthropic-compaction_response.sse", NULL, NULL, NULL, "STOP" },
    { ANT, "anthropic-fallback_response.sse", NULL, NULL, NULL, "STOP" },
    { ANT, "anthropic-fallback_credit_response.sse", NULL, NULL, NULL,
      "STOP" },
    { GEM, "gemini-streaming-success-basic-reply-short.sse",
      "The capital of Wyoming is **Cheyenne**.\n", NULL, NULL, "STOP" },
    { GEM, "gemini-streaming-success-thinking-reply-thought-summary.sse",
      NULL, NULL, NULL, "STOP" },
    { GEM, "gemini-streaming-success-thinking-function-call-thought-"
      "summary-signature.sse", "", "now", "{}", "STOP" },
    { GEM, "gemini-vertexai-streaming-success-function-call-short.sse", "",
      "getTemperature", "{\"city\":\"San Jose\"}", "STOP" },
    { GEM, "gemini-streaming-success-code-execution.sse", NULL, NULL, NULL,
      "STOP" },
    { GEM, "gemini-streaming-success-finish-message.sse", "Hello world!",
      NULL, NULL, "STOP" },
    { GEM, "gemini-vertexai-streaming-success-utf8.sse", NULL, NULL, NULL,
      "STOP" },
    { GEM, "gemini-streaming-failure-recitation-no-content.sse", NULL, NULL,
      NULL, "SAFETY" },
    { GEM, "gemini-vertexai-streaming-failure-finish-reason-safety.sse",
      "<redacted>", NULL, NULL, "SAFETY" },
    { GEM, "gemini-streaming-failure-prompt-blocked-safety.sse", "", NULL,
      NULL, NULL },
    { GEM, "gemini-vertexai-streaming-failure-prompt-blocked-safety.sse", "",
      NULL, NULL, NULL },
    { GEM, "gemini-vertexai-streaming-failure-error-mid-stream.sse",
      "First Second ", NULL, NULL, NULL },
    { GEM, "gemini-vertexai-streaming-failure-empty-content.sse", "", NULL,
      NULL, NULL },
    { COH, "cohere-astream.sse", NULL, NULL, NULL, "STOP" },
    { COH, "cohere-streaming_tool_call.sse", NULL, NULL, NULL, "STOP" },
    { COH, "cohere-sql_agent.sse", NULL, NULL, NULL, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL }
};


static void
test_stream_fixtures(void)
{
    char                  what[160];
    size_t                n;
    gem_t                 g;
    oai_t                 o;
    llmgw_out_t           whole, ref;
    unsigned char        *in;
    const stream_case_t  *t;

    for (t = stream_cases; t->file; t++) {
        in = unit_read_file(fixtures, t->file, &n);
        snprintf(what, sizeof(what), "%s to gemini", t->file);

        run_splits(what, &whole, t->provider, GEM, in, n);
        run_stream(&ref, t->provider, OAI, in, n, n, 0);

        gem_read(&g, &whole);
        oai_read(&o, &ref);

        check_same_stream(what, &g, &o);

        if (t->text) {
            CHECK_STR(g.text.data, g.text.len, t->text, "%s: the text",
                      what);
        }

        if (t->call) {
            CHECK(g.calls >= 1 && strcmp(g.name[0], t->call) == 0,
                  "%s: calls %s", what, t->call);
        }

        if (t->call && t->args && g.calls) {
            json_t  *want;

            want = json_loads(t->args, 0, NULL);
            CHECK(json_equal(g.args[0], want), "%s: the arguments", what);
            json_decref(want);
        }

        if (t->finish) {
            CHECK_STR(g.finish, strlen(g.finish), t->finish, "%s: finish",
                      what);

        } else {
            CHECK(g.error != NULL, "%s: ends in an error", what);
        }

        gem_free(&g);
        oai_free(&o);
        llmgw_out_free(&whole);
        llmgw_out_free(&ref);
        free(in);
    }
}


/* what a stream writes exactly, from a Gemini provider */

static void
test_stream_bytes(void)
{
    llmgw_out_t  got;

    run_text(&got, GEM, GEM,
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hm\","
        "\"thought\":true},{\"text\":\"Hi \\\"you\\\"\\n\"}],\"role\":"
        "\"model\"}}],\"usageMetadata\":{\"promptTokenCount\":3},"
        "\"modelVersion\":\"gemini-2.5-pro\",\"responseId\":\"r1\"}\r\n\r\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":"
        "{\"name\":\"f\",\"args\":{\"a\":[1, 2.5]}}}],\"role\":\"model\"},"
        "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":"
        "3,\"candidatesTokenCount\":4,\"thoughtsTokenCount\":2,"
        "\"cachedContentTokenCount\":1,\"totalTokenCount\":9},"
        "\"responseId\":\"r1\"}\r\n\r\n");

    CHECK_STR(got.data, got.len,
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hm\","
        "\"thought\":true}],\"role\":\"model\"},\"index\":0}],"
        "\"modelVersion\":\"client-model\",\"responseId\":\"r1\"}\r\n\r\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
        "\"Hi \\\"you\\\"\\n\"}],\"role\":\"model\"},\"index\":0}],"
        "\"modelVersion\":\"client-model\",\"responseId\":\"r1\"}\r\n\r\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":"
        "{\"name\":\"f\",\"args\":{\"a\":[1,2.5]},\"id\":\"call_0\"}}],"
        "\"role\":\"model\"},\"index\":0}],\"modelVersion\":\"client-model\","
        "\"responseId\":\"r1\"}\r\n\r\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[],\"role\":"
        "\"model\"},\"finishReason\":\"STOP\",\"index\":0}],"
        "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":"
        "6,\"totalTokenCount\":9,\"cachedContentTokenCount\":1},"
        "\"modelVersion\":\"client-model\",\"responseId\":\"r1\"}\r\n\r\n",
        "the events");
    llmgw_out_free(&got);

    /* an error as Google writes one into a stream */
    run_text(&got, GEM, GEM,
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"A\"}]}}]}"
        "\r\n\r\n"
        "data: {\"error\":{\"code\":429,\"message\":\"Slow down\","
        "\"status\":\"RESOURCE_EXHAUSTED\"}}\r\n\r\n");

    CHECK_STR(got.data, got.len,
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"A\"}],"
        "\"role\":\"model\"},\"index\":0}],\"modelVersion\":"
        "\"client-model\"}\r\n\r\n"
        "{\"error\":{\"code\":429,\"message\":\"Slow down\",\"status\":"
        "\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
        "\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":"
        "\"provider_stream_error\",\"domain\":\"llmgw\",\"metadata\":"
        "{\"type\":\"rate_limit_error\"}}]}}\n",
        "a stream error");
    llmgw_out_free(&got);
}


/* the encoder, delta by delta */

static long
find(const llmgw_out_t *o, const char *needle)
{
    size_t  i, n;

    n = strlen(needle);

    for (i = 0; i + n <= o->len; i++) {
        if (memcmp(o->data + i, needle, n) == 0) {
            return (long) i;
        }
    }

    return -1;
}


static void
send_delta(llmgw_xstream_t *s, llmgw_delta_type_e type, unsigned tool,
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
    d.finish = (type == LLMGW_DELTA_FINISH) ? text : NULL;

    if (type == LLMGW_DELTA_FINISH) {
        d.text = NULL;
        d.text_len = 0;
    }

    llmgw_xstream_delta(s, &d);
}


static void
enc_init(llmgw_xstream_t *s)
{
    if (llmgw_xstream_init(s, OAI, GEM, "client-model", 12, 1) != 0) {
        abort();
    }
}


static void
enc_read(llmgw_xstream_t *s, gem_t *g)
{
    gem_read(g, &s->out);
}


static void
test_encoder(void)
{
    gem_t            g;
    llmgw_delta_t    d;
    llmgw_xstream_t  s;

    /* a call's start repeated, arguments in pieces, text after calls, a
     * call with no start, another choice ignored, usage */
    enc_init(&s);
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "c0", "f", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "{\"a\":");
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "c0", "f", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, " 1}\n");
    send_delta(&s, LLMGW_DELTA_TOOL_START, 1, "", "", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_START, 1, "c1", "g", NULL);
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, NULL, "between");
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 3, NULL, NULL, "{}");
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 3, NULL, NULL, "");

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_TEXT;
    d.choice = 1;
    d.text = "other";
    d.text_len = 5;
    llmgw_xstream_delta(&s, &d);

    memset(&d, 0, sizeof(llmgw_delta_t));
    d.type = LLMGW_DELTA_USAGE;
    d.usage.prompt = 5;
    d.usage.completion = 7;
    d.usage.total = -1;
    d.usage.cached = -1;
    d.usage.cache_write = -1;
    llmgw_xstream_delta(&s, &d);

    send_delta(&s, LLMGW_DELTA_FINISH, 0, NULL, NULL, "tool_calls");
    send_delta(&s, LLMGW_DELTA_END, 0, NULL, NULL, NULL);

    enc_read(&s, &g);
    CHECK_INT(g.bad, 0, "encoder: events");
    CHECK_INT(g.calls, 3, "encoder: three calls");
    CHECK(strcmp(g.name[0], "f") == 0 && strcmp(g.id[0], "c0") == 0,
          "encoder: call 0 %s %s", g.name[0], g.id[0]);
    CHECK(strcmp(g.name[1], "g") == 0 && strcmp(g.id[1], "c1") == 0,
          "encoder: call 1 filled in by the repeated start");
    CHECK(strcmp(g.name[2], "") == 0 && strcmp(g.id[2], "") == 0,
          "encoder: call 3 without a start");
    CHECK_STR(g.text.data, g.text.len, "between", "encoder: text");
    CHECK_STR(g.finish, strlen(g.finish), "STOP", "encoder: finish");
    CHECK_INT(usage_of(g.usage, "totalTokenCount"), 12, "encoder: total");
    CHECK(contains(&s.out, "{\"functionCall\":{\"name\":\"f\",\"args\":"
                           "{\"a\":1},\"id\":\"c0\"}}]"),
          "encoder: the first call: %.*s", (int) s.out.len,
          (char *) s.out.data);
    CHECK(find(&s.out, "between") > find(&s.out, "\"c1\""),
          "encoder: the call before the text after it");
    gem_free(&g);
    llmgw_xstream_free(&s);

    /* arguments for a call that went out already */
    enc_init(&s);
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "a", "f", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_START, 1, "b", "g", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "{}");
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, NULL, "ignored");
    CHECK(s.failed && s.ended, "interleaved: the stream failed");
    CHECK(llmgw_xstream_end(&s) != 0, "interleaved: xstream_end");
    enc_read(&s, &g);
    CHECK_INT(g.bad, 0, "interleaved: events");
    CHECK_INT(g.calls, 1, "interleaved: the first call went out");
    CHECK(g.error && strstr(str0(g.error, "message"), "after the next "
                            "one began"),
          "interleaved: an error");
    CHECK_INT(g.text.len, 0, "interleaved: nothing after the error");
    gem_free(&g);
    llmgw_xstream_free(&s);

    /* arguments that are not JSON at END, with no finish */
    enc_init(&s);
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "a", "f", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "{\"x\":");
    send_delta(&s, LLMGW_DELTA_END, 0, NULL, NULL, NULL);
    CHECK(s.failed, "bad arguments at END: failed");
    enc_read(&s, &g);
    CHECK_INT(g.bad, 0, "bad arguments at END: events");
    CHECK_INT(g.finishes, 0, "bad arguments at END: no finish");
    CHECK(g.error && strcmp(str0(g.error, "message"), "The provider's tool "
                            "call arguments are not a JSON object") == 0
          && strcmp(str0(g.error, "status"), "INTERNAL") == 0,
          "bad arguments at END: the error");
    gem_free(&g);
    llmgw_xstream_free(&s);

    /* at FINISH "stop", before END */
    enc_init(&s);
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "a", "f", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "[1]");
    send_delta(&s, LLMGW_DELTA_FINISH, 0, NULL, NULL, "stop");
    send_delta(&s, LLMGW_DELTA_END, 0, NULL, NULL, NULL);
    enc_read(&s, &g);
    CHECK(s.failed && g.error && g.finishes == 0 && g.bad == 0,
          "bad arguments at FINISH: an error");
    gem_free(&g);
    llmgw_xstream_free(&s);

    /* cut by the length: left out */
    enc_init(&s);
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, NULL, "Writing");
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "a", "f", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "{\"x\":\"ab");
    send_delta(&s, LLMGW_DELTA_FINISH, 0, NULL, NULL, "length");
    send_delta(&s, LLMGW_DELTA_END, 0, NULL, NULL, NULL);
    enc_read(&s, &g);
    CHECK(!s.failed && g.error == NULL && g.calls == 0 && g.bad == 0,
          "cut by the length: no call, no error");
    CHECK_STR(g.finish, strlen(g.finish), "MAX_TOKENS",
              "cut by the length: finish");
    CHECK_INT(g.usages, 0, "no usage seen: no usageMetadata");
    gem_free(&g);
    llmgw_xstream_free(&s);

    /* an error while a call is gathered; a stream given up while one is
     * (LeakSanitizer sees what is not freed) */
    enc_init(&s);
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "a", "f", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "{\"x\":1");
    llmgw_xstream_fail(&s, "overloaded_error", "Busy");
    enc_read(&s, &g);
    CHECK(g.error && json_integer_value(json_object_get(g.error, "code"))
                     == 503 && g.calls == 0 && g.bad == 0,
          "an error while gathering");
    gem_free(&g);
    llmgw_xstream_free(&s);

    enc_init(&s);
    send_delta(&s, LLMGW_DELTA_TOOL_START, 0, "a", "f", NULL);
    send_delta(&s, LLMGW_DELTA_TOOL_ARGS, 0, NULL, NULL, "{\"x\":1");
    llmgw_gemini_client_free(&s);
    llmgw_gemini_client_free(&s);
    llmgw_xstream_free(&s);

    /* the response id every event carries */
    enc_init(&s);
    send_delta(&s, LLMGW_DELTA_START, 0, "resp-7", NULL, NULL);
    send_delta(&s, LLMGW_DELTA_REASONING, 0, NULL, NULL, "t");
    send_delta(&s, LLMGW_DELTA_TEXT, 0, NULL, NULL, "");
    send_delta(&s, LLMGW_DELTA_END, 0, NULL, NULL, NULL);
    gem_want_id = "resp-7";
    enc_read(&s, &g);
    gem_want_id = NULL;
    CHECK(g.bad == 0 && g.events == 2 && g.finishes == 1,
          "response id: %u events", g.events);
    CHECK_STR(g.thought.data, g.thought.len, "t", "response id: thought");
    gem_free(&g);
    llmgw_xstream_free(&s);
}


int
main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }

    test_gemini_cli();
    test_parts();
    test_call_ids();
    test_schemas();
    test_tool_config();
    test_config();
    test_bad_requests();
    test_count_tokens();
    test_round_trip();
    test_responses();
    test_errors();
    test_stream_fixtures();
    test_stream_bytes();
    test_encoder();

    UNIT_DONE("unit_gemini_client");
}
