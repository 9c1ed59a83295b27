/*
 * llmgw unit tests: a few assertion macros and an exact-size copy.
 *
 * Every check counts; a failed one prints where and what, and the binary
 * ends with "<name>: N passed, M failed" and exits nonzero if M > 0.
 */

#ifndef _LLMGW_UNIT_H_INCLUDED_
#define _LLMGW_UNIT_H_INCLUDED_

#include "read_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static unsigned  unit_passed;
static unsigned  unit_failed;


#define UNIT_FAIL(...)                                                      \
    do {                                                                    \
        unit_failed++;                                                      \
        fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);               \
        fprintf(stderr, __VA_ARGS__);                                       \
        fputc('\n', stderr);                                                \
    } while (0)

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (cond) {                                                         \
            unit_passed++;                                                  \
        } else {                                                            \
            UNIT_FAIL("%s: ", #cond);                                       \
            fprintf(stderr, "    " __VA_ARGS__);                            \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

#define CHECK_INT(got, want, ...)                                           \
    do {                                                                    \
        long long  unit_g_ = (long long) (got);                             \
        long long  unit_w_ = (long long) (want);                            \
        if (unit_g_ == unit_w_) {                                           \
            unit_passed++;                                                  \
        } else {                                                            \
            UNIT_FAIL("%s == %lld, want %lld", #got, unit_g_, unit_w_);     \
            fprintf(stderr, "    " __VA_ARGS__);                            \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

/* got[0..glen) equals want[0..wlen) */
#define CHECK_MEM(got, glen, want, wlen, ...)                               \
    do {                                                                    \
        size_t  unit_gl_ = (glen), unit_wl_ = (wlen);                       \
        if (unit_gl_ == unit_wl_                                            \
            && (unit_gl_ == 0                                               \
                || memcmp((got), (want), unit_gl_) == 0))                   \
        {                                                                   \
            unit_passed++;                                                  \
        } else {                                                            \
            UNIT_FAIL("%s: got \"%.*s\" (%zu), want \"%.*s\" (%zu)", #got,  \
                      (int) (unit_gl_ > 200 ? 200 : unit_gl_),              \
                      (const char *) (got), unit_gl_,                       \
                      (int) (unit_wl_ > 200 ? 200 : unit_wl_),              \
                      (const char *) (want), unit_wl_);                     \
            fprintf(stderr, "    " __VA_ARGS__);                            \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

#define CHECK_STR(got, glen, want, ...)                                     \
    CHECK_MEM(got, glen, want, strlen(want), __VA_ARGS__)

#define UNIT_DONE(name)                                                     \
    do {                                                                    \
        printf("%s: %u passed, %u failed\n", name, unit_passed,             \
               unit_failed);                                                \
        return unit_failed ? 1 : 0;                                         \
    } while (0)


/* an exact-size heap copy, so that ASan sees any read past the input */

static inline unsigned char *
dup_mem(const void *p, size_t n)
{
    unsigned char  *b;

    b = malloc(n ? n : 1);
    if (b == NULL) {
        abort();
    }

    if (n) {
        memcpy(b, p, n);
    }

    return b;
}


#endif /* _LLMGW_UNIT_H_INCLUDED_ */
