/*
 * llmgw: translation between API formats.
 *
 * Plain C on jansson and libc, no nginx calls, so that unit tests and
 * fuzzers link a translator alone.  The canonical form is OpenAI's chat
 * (DESIGN.md): a request goes client format -> canonical -> provider
 * format; a whole response provider -> canonical -> client; a stream event
 * by event, provider events -> deltas -> client events, with no tree built
 * on the output side.
 *
 * Ownership: a function taking a json_t never steals it; a function
 * returning one returns a new reference.  Strings in a delta live only for
 * the call that hands them out.
 */

#ifndef _LLMGW_XLATE_H_INCLUDED_
#define _LLMGW_XLATE_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>


typedef enum {
    LLMGW_FORMAT_OPENAI = 0,
    LLMGW_FORMAT_ANTHROPIC,
    LLMGW_FORMAT_GEMINI,
    LLMGW_FORMAT_BEDROCK,
    LLMGW_FORMAT_COHERE,
    LLMGW_FORMAT_RESPONSES,
    LLMGW_FORMATS
} llmgw_format_e;


/* token counts; -1 in a delta: not known (yet) */
typedef struct {
    int64_t     prompt;       /* every input token, cached ones included */
    int64_t     completion;   /* every output token, reasoning included */
    int64_t     total;
    int64_t     cached;       /* input tokens read from a cache */
    int64_t     cache_write;  /* input tokens written to a cache */
    unsigned    seen:1;
} llmgw_usage_t;


/* A translation that cannot be done: the client gets status, type, message.
 * status 400: the client's request; 502: the provider's answer.  type is
 * one of the error types of the README ("invalid_request_error",
 * "authentication_error", "permission_error", "not_found_error",
 * "rate_limit_error", "api_error", "overloaded_error", ...), a static
 * string. */
typedef struct {
    int         status;
    const char *type;
    char        message[256];
} llmgw_xerr_t;


/* what the provider side of a request translation needs to know */
typedef struct {
    const char *model;        /* the provider's model name */
    size_t      model_len;
    int64_t     default_max_tokens;  /* when required and not given */
    unsigned    stream:1;
    unsigned    stream_usage:1;  /* OpenAI-compatible: stream_options
                                    include_usage is understood */
    unsigned    vertex:1;     /* Anthropic on Vertex AI: anthropic_version
                                 "vertex-2023-10-16" in the body, no model */
} llmgw_xreq_t;


/* a growing output buffer (malloc); failed is set once memory runs out and
 * later writes are ignored */
typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          size;
    unsigned        failed:1;
} llmgw_out_t;


/*
 * A stream, as deltas.  A provider's decoder turns each event into zero or
 * more deltas, in order, and hands each to llmgw_xstream_delta(), which
 * gives it to the client's encoder.
 *
 *   START       the message begins: id, name = the provider's model (either
 *               may be empty).  Sent once, before anything else; a decoder
 *               that has no such event sends it with its first delta.
 *   TEXT        text: a piece of the answer
 *   REASONING   text: a piece of the model's reasoning ("thinking")
 *   TOOL_START  tool: the call's index among this choice's calls (0, 1, ..,
 *               in order of appearance); id, name: the call id and function
 *   TOOL_ARGS   tool; text: a piece of the call's arguments, JSON text
 *   FINISH      finish: "stop", "length", "tool_calls" or "content_filter"
 *   USAGE       usage: what is known so far, -1 for what is not; merged
 *   ERROR       error_type, text: the message.  Nothing follows.
 *   END         the provider ended its stream properly.  Nothing follows.
 *
 * choice is OpenAI's choice index (n > 1), 0 for every other provider.
 */
typedef enum {
    LLMGW_DELTA_START = 1,
    LLMGW_DELTA_TEXT,
    LLMGW_DELTA_REASONING,
    LLMGW_DELTA_TOOL_START,
    LLMGW_DELTA_TOOL_ARGS,
    LLMGW_DELTA_FINISH,
    LLMGW_DELTA_USAGE,
    LLMGW_DELTA_ERROR,
    LLMGW_DELTA_END
} llmgw_delta_type_e;


typedef struct {
    llmgw_delta_type_e  type;
    unsigned            choice;
    unsigned            tool;
    const char         *id;
    size_t              id_len;
    const char         *name;
    size_t              name_len;
    const char         *text;
    size_t              text_len;
    const char         *finish;
    const char         *error_type;
    llmgw_usage_t       usage;
} llmgw_delta_t;


typedef struct llmgw_xstream_s  llmgw_xstream_t;
typedef struct llmgw_format_s   llmgw_format_t;


struct llmgw_xstream_s {
    const llmgw_format_t  *provider;
    const llmgw_format_t  *client;
    llmgw_out_t            out;       /* for the client: the caller takes it
                                         after each call and resets len */
    llmgw_usage_t          usage;     /* merged from every USAGE delta */
    char                   id[72];    /* the response id the client sees */
    char                   model[257]; /* the model the client sees */
    int64_t                created;
    size_t                 text_bytes; /* TEXT, REASONING, TOOL_ARGS */
    void                  *dec;       /* the decoder's state: dec_size
                                         bytes, zeroed */
    void                  *enc;       /* the encoder's: enc_size bytes */
    unsigned               include_usage:1; /* OpenAI client: usage chunk */
    unsigned               started:1;  /* START went to the encoder */
    unsigned               finished:1; /* a FINISH did */
    unsigned               ended:1;    /* END or ERROR did: no more output */
    unsigned               failed:1;   /* it was an ERROR */
};


/*
 * One API format: its client side (a format clients speak to the gateway)
 * and its provider side (a format the gateway speaks to providers).  NULL
 * members: not supported, or, for OpenAI, the identity.
 */
struct llmgw_format_s {
    llmgw_format_e   format;
    const char      *name;

    /* client side */

    /* the client's chat request to canonical */
    json_t  *(*request_in)(json_t *req, llmgw_xerr_t *err);
    /* a canonical chat.completion to the client's response */
    json_t  *(*response_out)(json_t *canon, llmgw_xerr_t *err);
    /* one delta to the client's stream events, written to s->out */
    int      (*encode)(llmgw_xstream_t *s, const llmgw_delta_t *d);
    /* an error body in the client's shape */
    void     (*error_out)(llmgw_out_t *o, const char *type,
                          const char *code, const char *msg, size_t len);
    size_t     enc_size;

    /* provider side */

    /* a canonical chat request to the provider's */
    json_t  *(*request_out)(json_t *canon, const llmgw_xreq_t *opt,
                            llmgw_xerr_t *err);
    /* the provider's whole response (2xx) to a canonical chat.completion */
    json_t  *(*response_in)(json_t *resp, llmgw_xerr_t *err);
    /* the provider's error body (status >= 400, or an error in a 2xx):
     * err->type and err->message; 0 when it was one, -1 when not */
    int      (*error_in)(json_t *body, int status, llmgw_xerr_t *err);
    /* one event of the provider's stream: event name (may be NULL) and
     * data; deltas through llmgw_xstream_delta(); -1 on malformed input
     * (the caller then fails the stream) */
    int      (*decode)(llmgw_xstream_t *s, const char *event, size_t elen,
                       const char *data, size_t dlen);
    /* the provider's stream is over: send END if it ended properly, else
     * ERROR; NULL: llmgw_xstream_end decides by whether END was seen */
    int      (*decode_end)(llmgw_xstream_t *s);
    size_t     dec_size;

    /* embeddings: canonical (OpenAI) request to the provider's, and its
     * response to OpenAI's list */
    json_t  *(*embed_out)(json_t *canon, const llmgw_xreq_t *opt,
                          llmgw_xerr_t *err);
    json_t  *(*embed_in)(json_t *resp, const char *model, llmgw_xerr_t *err);

    /* the client side's: frees what the encoder holds outside s->enc, on
     * any stream (ended or cut); NULL: nothing */
    void     (*enc_free)(llmgw_xstream_t *s);
};


extern const llmgw_format_t  llmgw_format_openai;
extern const llmgw_format_t  llmgw_format_anthropic;
extern const llmgw_format_t  llmgw_format_gemini;
extern const llmgw_format_t  llmgw_format_vertex_predict; /* embeddings */
/* Bedrock's Converse API; embeddings through InvokeModel (Titan, Cohere) */
extern const llmgw_format_t  llmgw_format_bedrock;
extern const llmgw_format_t  llmgw_format_cohere;       /* Cohere's v2 API */
/* OpenAI's Responses API, a client format only */
extern const llmgw_format_t  llmgw_format_responses;

/* the format of a client side: OpenAI, Anthropic, Gemini or the Responses
 * API */
const llmgw_format_t *llmgw_format(llmgw_format_e f);


/* llmgw_xlate.c */

void llmgw_xerr(llmgw_xerr_t *err, int status, const char *type,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

void llmgw_out_raw(llmgw_out_t *o, const void *p, size_t len);
void llmgw_out_cstr(llmgw_out_t *o, const char *s);
/* a JSON string: quoted and escaped */
void llmgw_out_jstr(llmgw_out_t *o, const char *p, size_t len);
void llmgw_out_int(llmgw_out_t *o, int64_t n);
/* a JSON value, compact */
void llmgw_out_json(llmgw_out_t *o, json_t *v);
void llmgw_out_free(llmgw_out_t *o);

/* 0, or -1 when out of memory */
int llmgw_xstream_init(llmgw_xstream_t *s, const llmgw_format_t *provider,
    const llmgw_format_t *client, const char *model, size_t model_len,
    int64_t created);
void llmgw_xstream_free(llmgw_xstream_t *s);
/* one provider event; 0, or -1 when the stream failed (an ERROR went out) */
int llmgw_xstream_event(llmgw_xstream_t *s, const char *event, size_t elen,
    const char *data, size_t dlen);
/* the provider's stream is over (cut or not) */
int llmgw_xstream_end(llmgw_xstream_t *s);
/* ends the client's stream with an error event */
int llmgw_xstream_fail(llmgw_xstream_t *s, const char *type,
    const char *msg);
/* for decoders */
int llmgw_xstream_delta(llmgw_xstream_t *s, const llmgw_delta_t *d);

/* a canonical chat.completion's or OpenAI embedding list's "usage" */
void llmgw_usage_from_json(json_t *usage, llmgw_usage_t *u);
/* a canonical usage object for u */
json_t *llmgw_usage_to_json(const llmgw_usage_t *u);

/* the error type of the README for an HTTP status, when the provider's
 * body names none */
const char *llmgw_status_error_type(int status);

/* helpers for translators */
const char *llmgw_json_str(json_t *obj, const char *key, size_t *len);
/* a member that is a positive integer, else 0 */
int64_t llmgw_json_count(json_t *obj, const char *key);
/* sets key to v, appends v: stealing it; -1 when v is NULL (out of memory)
 * or it fails */
int llmgw_json_set(json_t *obj, const char *key, json_t *v);
int llmgw_json_push(json_t *arr, json_t *v);
/* llmgw_json_push, and err out of memory when it fails */
int llmgw_json_append(json_t *arr, json_t *v, llmgw_xerr_t *err);
/* p[0..len) is lit; p may be NULL */
int llmgw_str_is(const char *p, size_t len, const char *lit);
/* a model name that may go into a URL path: [A-Za-z0-9._@-], not "." or
 * ".."; ':' '/' '?' '#' '%' never */
int llmgw_model_path_safe(const char *p, size_t len);

/* err (when not NULL): 500, out of memory; -1 */
int llmgw_xerr_nomem(llmgw_xerr_t *err);
/* err: status, type and msg[0..len) as the message, cut as
 * llmgw_text_copy() cuts; "The provider returned an error" when msg is
 * NULL or empty */
void llmgw_xerr_text(llmgw_xerr_t *err, int status, const char *type,
    const char *msg, size_t len);
/* src[0..len) into dst: at most size - 1 bytes, never cutting a UTF-8
 * sequence, NUL-terminated */
void llmgw_text_copy(char *dst, size_t size, const char *src, size_t len);

/* a JSON string's text after sep (when o has text already and the string
 * is not empty; sep may be NULL); -1 when text is not a string */
int llmgw_out_join(llmgw_out_t *o, json_t *text, const char *sep);
/* o's text as a JSON string (o holds only text of JSON strings, so it is
 * valid UTF-8); o is freed; NULL when out of memory */
json_t *llmgw_out_string(llmgw_out_t *o);

/* data:<media type>[;params];base64,<data> */
typedef struct {
    const char  *type;        /* the media type, not empty */
    size_t       type_len;
    const char  *data;        /* base64 */
    size_t       data_len;
} llmgw_data_url_t;

/* url[0..len) as a data URL, the parts within url; -1 when it is not
 * one */
int llmgw_data_url(const char *url, size_t len, llmgw_data_url_t *du);

/* thinking budgets in tokens for reasoning_effort "minimal", "low",
 * "medium" and "high" */
typedef struct {
    int64_t      minimal;
    int64_t      low;
    int64_t      medium;
    int64_t      high;
} llmgw_effort_t;

/* Anthropic's (its models on Bedrock too): none, 1024, 4096, 16384;
 * Google's OpenAI endpoint's (Cohere's too): 1024, 1024, 8192, 24576 */
extern const llmgw_effort_t  llmgw_effort_anthropic;
extern const llmgw_effort_t  llmgw_effort_google;

/* the budget of effort[0..len) in e; 0 for "none", -1 for another word */
int64_t llmgw_effort_budget(const llmgw_effort_t *e, const char *effort,
    size_t len);

/* max_completion_tokens, else max_tokens, when a positive integer; else
 * dflt */
int64_t llmgw_max_tokens(json_t *canon, int64_t dflt);

/* stop, given (neither NULL nor null), as a new array of its sequences in
 * *list (NULL when out of memory), empty ones left out when nonempty; -1
 * when stop is not a string or an array of strings */
int llmgw_stop_list(json_t *stop, unsigned nonempty, json_t **list);

/* the demand of canon's response_format for JSON, as words for a system
 * prompt, written to o after sep (when o has text; sep may be NULL); 0
 * when it demands none, nothing written */
int llmgw_json_prompt(llmgw_out_t *o, json_t *canon, const char *sep);

/* tools[i], {"type":"function","function":{"name",..}}: its function;
 * NULL with err when it is not so */
json_t *llmgw_tool_function(json_t *tool, size_t i, llmgw_xerr_t *err);
/* a function's parameters (a new reference): an empty object schema when
 * it has none */
json_t *llmgw_tool_params(json_t *fn);
/* tool_choice tc: *choice "auto", "required", "none", or "function" with
 * *name the function's; *choice NULL when tc is NULL or null; -1 with err
 * when it is of another shape */
int llmgw_tool_choice(json_t *tc, const char **choice, const char **name,
    llmgw_xerr_t *err);
/* a tool call's arguments, JSON text, as an object (a new reference):
 * none or blanks only is {}; NULL when not an object.  flags: json_loadb's */
json_t *llmgw_tool_args(const char *args, size_t len, size_t flags);
/* where's tool_calls[i], to be sent: its id and function.name (JSON
 * strings), and its arguments as an object (a new reference); NULL with
 * err when it is not so */
json_t *llmgw_tool_call_out(json_t *call, const char *where, size_t i,
    json_t **id, json_t **name, llmgw_xerr_t *err);
/* a canonical tool call {id, type, function: {name, arguments}}: input, a
 * JSON value, as compact JSON text, "{}" when NULL; NULL when id or name is
 * not a string, or out of memory */
json_t *llmgw_tool_call(json_t *id, json_t *name, json_t *input);

/* a canonical assistant message: content (stolen; NULL: out of memory),
 * tool_calls when calls holds any, reasoning_content when reasoning (may
 * be NULL) has text, which it takes (reasoning is freed); NULL when out of
 * memory */
json_t *llmgw_assistant(json_t *content, json_t *calls,
    llmgw_out_t *reasoning);

/* the counts of a usage whose input leaves out the cache reads and writes
 * (Anthropic's, Bedrock's), by their names; canonical prompt tokens count
 * both */
void llmgw_usage_uncached(json_t *usage, llmgw_usage_t *u, const char *input,
    const char *output, const char *read, const char *write);

/* an OpenAI embedding {"object","index","embedding"} of values, an array
 * of numbers; NULL when they are not, or out of memory */
json_t *llmgw_embedding(json_t *values, size_t i);


/*
 * A request's turns, for providers that want the user's and assistant's
 * to alternate: the blocks of consecutive messages of one role go into one
 * turn, {"role","content":[blocks]}.
 */
typedef struct {
    json_t      *messages;    /* the turns */
    json_t      *content;     /* the blocks of the last turn */
    unsigned     user;        /* the last turn is the user's */
    unsigned     results;     /* tool results the last turn starts with */
    unsigned     calls;       /* tool calls in the last assistant turn */
} llmgw_turns_t;

/* what llmgw_turn_add() is given: a tool result goes before the turn's
 * other blocks (after the results there); a tool call is counted */
#define LLMGW_TURN_RESULT  1
#define LLMGW_TURN_CALL    2

/* block (stolen; NULL: out of memory) to the last turn if it is of that
 * role, else to a new turn; kind: 0 or one of those */
int llmgw_turn_add(llmgw_turns_t *t, unsigned user, json_t *block,
    unsigned kind, llmgw_xerr_t *err);


/* helpers for decoders */

/* a delta of type with the text of a JSON string, unless it is none or
 * empty */
int llmgw_xstream_text(llmgw_xstream_t *s, llmgw_delta_type_e type,
    unsigned tool, json_t *text);
/* TOOL_START of tool: id and name JSON strings, anything else "" */
int llmgw_xstream_tool(llmgw_xstream_t *s, unsigned tool, json_t *id,
    json_t *name);

/* content blocks a decoded stream may index; a block whose deltas are
 * ignored */
#define LLMGW_BLOCKS      256
#define LLMGW_BLOCK_SKIP  0xffff

/* the content blocks of a provider's stream that are tool calls, the calls
 * numbered 0, 1, .. in order of appearance: tool[i], the call + 1 of block
 * i, 0 for none, or LLMGW_BLOCK_SKIP */
typedef struct {
    uint16_t    tool[LLMGW_BLOCKS];
    unsigned    tools;
} llmgw_blocks_t;

/* block index (a JSON integer) starts a tool call: 0, TOOL_START of the
 * next call went out, with id and name; 1, nothing went out: the block
 * started already, or skip (a call the provider runs itself); -1 when
 * index is not a block's (the stream failed when beyond LLMGW_BLOCKS) or
 * the delta failed */
int llmgw_blocks_start(llmgw_xstream_t *s, llmgw_blocks_t *b, json_t *index,
    json_t *id, json_t *name, unsigned skip);
/* tool[index], 0 when index is not a block's */
unsigned llmgw_blocks_get(const llmgw_blocks_t *b, json_t *index);

#endif /* _LLMGW_XLATE_H_INCLUDED_ */
