/*
 * llmgw tests: a whole file into memory, for the unit tests and the
 * parser benchmark.
 */

#ifndef _LLMGW_READ_FILE_H_INCLUDED_
#define _LLMGW_READ_FILE_H_INCLUDED_

#include <stdio.h>
#include <stdlib.h>


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

#endif /* _LLMGW_READ_FILE_H_INCLUDED_ */
