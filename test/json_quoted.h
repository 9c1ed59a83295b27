/*
 * llmgw unit tests: JSON written with ' for " (readable in C strings),
 * parsed; a test with bad JSON stops the binary.
 */

#ifndef _LLMGW_JSON_QUOTED_H_INCLUDED_
#define _LLMGW_JSON_QUOTED_H_INCLUDED_

#include <jansson.h>

#include "unit.h"


static json_t *
parse(const char *text)
{
    char          *q, *p;
    json_t        *v;
    json_error_t   e;

    q = (char *) dup_mem(text, strlen(text) + 1);

    for (p = q; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }

    v = json_loads(q, JSON_DECODE_ANY, &e);
    if (v == NULL) {
        fprintf(stderr, "bad JSON in a test: %s: %s\n", e.text, q);
        exit(2);
    }

    free(q);

    return v;
}

#endif /* _LLMGW_JSON_QUOTED_H_INCLUDED_ */
