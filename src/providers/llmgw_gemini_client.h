/*
 * llmgw: Google Gemini's generateContent API as a client format: requests
 * of POST /v1beta/models/{model}:generateContent and
 * :streamGenerateContent?alt=sse to canonical ones, and answers, stream
 * events and errors back.  llmgw_format_gemini (llmgw_gemini_xlate.c)
 * holds these as its client side.
 */

#ifndef _LLMGW_GEMINI_CLIENT_H_INCLUDED_
#define _LLMGW_GEMINI_CLIENT_H_INCLUDED_

#include "llmgw_xlate.h"


/* a stream's encoder (s->enc): the function call being gathered, which
 * Gemini sends whole */
typedef struct {
    llmgw_out_t   id;
    llmgw_out_t   name;
    llmgw_out_t   args;
    const char   *finish;     /* Gemini's finishReason, from FINISH */
    unsigned      tool;       /* the index of the call being gathered */
    unsigned      tools;      /* calls started: the next index */
    unsigned      pending:1;  /* a call is being gathered */
} llmgw_gemini_enc_t;


/* a GenerateContentRequest to a canonical chat request, without "model":
 * the model is in the URL */
json_t *llmgw_gemini_client_request_in(json_t *req, llmgw_xerr_t *err);
/* a canonical chat.completion to a GenerateContentResponse */
json_t *llmgw_gemini_client_response_out(json_t *canon, llmgw_xerr_t *err);
/* one delta to alt=sse events in s->out */
int llmgw_gemini_client_encode(llmgw_xstream_t *s, const llmgw_delta_t *d);
/* {"error":{"code","message","status"[,"details"]}} */
void llmgw_gemini_client_error_out(llmgw_out_t *o, const char *type,
    const char *code, const char *msg, size_t len);
/* frees what the encoder allocated; END and ERROR do it, this is for a
 * stream given up before either (llmgw_xstream_free does not call it) */
void llmgw_gemini_client_free(llmgw_xstream_t *s);

/* a :countTokens body, {"contents"} or {"generateContentRequest"}: the
 * generateContent request in it (a new reference) for request_in; NULL
 * with err (400) when it is neither */
json_t *llmgw_gemini_count_request(json_t *req, llmgw_xerr_t *err);

#endif /* _LLMGW_GEMINI_CLIENT_H_INCLUDED_ */
