/*
 * llmgw unit tests: a few assertion macros, nothing else.
 *
 * Every check counts; a failed one prints where and what, and the binary
 * ends with "<name>: N passed, M failed" and exits nonzero if M > 0.
 */

#ifndef _LLMGW_UNIT_H_INCLUDED_
#define _LLMGW_UNIT_H_INCLUDED_

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


/* reads a whole fixture into a malloc()ed buffer; exits if it cannot */

static unsigned char *
unit_read_file(const char *dir, const char *name, size_t *len)
{
    long            n;
    char            path[1024];
    FILE           *f;
    unsigned char  *buf;

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }

    buf = malloc((size_t) n + 1);
    if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }

    fclose(f);
    buf[n] = '\0';
    *len = (size_t) n;

    return buf;
}

#endif /* _LLMGW_UNIT_H_INCLUDED_ */
