/*
 * llmgw-audit-verify: checks the hash chains of llmgw's audit log.
 *
 *     llmgw-audit-verify [--strict] -k KEYFILE FILE...
 *
 * Every record is a line ending with
 *
 *     ,"chain":"C","seq":S,"mac":"M"}\n
 *
 * where M is HMAC-SHA256(key, PREV || BODY) in lowercase hex: BODY is the
 * line up to ,"mac":" and PREV the raw MAC of the record of chain C before
 * it (32 zero bytes for seq 1).  The key is KEYFILE's bytes less trailing
 * "\n" and "\r".  Each nginx worker writes a chain of its own; the chains
 * interleave in a file, and go on across the FILEs, given oldest first
 * (rotated files, then the current one; "-" is stdin).
 *
 * The first record altered, removed, reordered or duplicated, or the first
 * line that is no record, is reported on stdout and the exit status is 1.
 * A chain whose first record here has seq > 1 (its start rotated away) is
 * trusted from that record on, with a warning on stderr; with --strict it
 * is a failure.  Exit 0: all verified; 2: usage, a FILE or the key unread.
 *
 * What a hash chain cannot show: the last records of a chain removed (the
 * end of a file cut off, or a chain's newest records cut out) leave a chain
 * that verifies, as does a chain removed whole; without --strict, so do the
 * first records of a chain removed, taken for records rotated away.  Nor
 * does it show anything done by someone who holds the key.
 */

#define _POSIX_C_SOURCE  200809L

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>


#define NAME          "llmgw-audit-verify"

#define OK            0
#define FAILED        1
#define ERROR         2

#define MAC_LEN       32
#define MAC_HEX_LEN   64
#define CHAIN_MAX     64

#define LIT_LEN(s)    (sizeof(s) - 1)
#define TAIL_CHAIN    ",\"chain\":\""
#define TAIL_SEQ      ",\"seq\":"
#define TAIL_MAC      ",\"mac\":\""
#define TAIL_END      "\"}"

/* "{", a chain of 1, a seq of 1 digit */
#define RECORD_MIN    (1 + LIT_LEN(TAIL_CHAIN) + 1 + 1 + LIT_LEN(TAIL_SEQ) \
                       + 1 + LIT_LEN(TAIL_MAC) + MAC_HEX_LEN              \
                       + LIT_LEN(TAIL_END))


typedef struct {
    char            name[CHAIN_MAX + 1];   /* "" in a free slot */
    uint64_t        seq;
    unsigned char   mac[MAC_LEN];
} chain_t;


typedef struct {
    const char     *chain;
    size_t          chain_len;
    uint64_t        seq;
    size_t          body_len;
    unsigned char   mac[MAC_LEN];
} record_t;


typedef struct {
    int             strict;
    unsigned char  *key;
    size_t          key_len;
    EVP_MAC        *hmac;
    EVP_MAC_CTX    *ctx;

    chain_t        *chains;                /* open addressing */
    size_t          nslots;                /* 0 or a power of 2 */
    size_t          nchains;
    size_t          midway;
    uint64_t        records;

    const char     *file;
    uint64_t        line;
} verify_t;


static int
usage(void)
{
    fprintf(stderr, "usage: " NAME " [--strict] -k KEYFILE FILE...\n");

    return ERROR;
}


static int
fail(verify_t *v, const char *fmt, ...)
{
    va_list  ap;

    printf("%s:%" PRIu64 ": ", v->file, v->line);

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);

    putchar('\n');

    return FAILED;
}


static int
read_key(verify_t *v, const char *path)
{
    FILE           *f;
    size_t          n, size, got;
    unsigned char  *buf, *p;

    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, NAME ": %s: %s\n", path, strerror(errno));
        return -1;
    }

    buf = NULL;
    n = 0;
    size = 0;

    do {
        if (n == size) {
            size = size ? 2 * size : 256;
            p = realloc(buf, size);
            if (p == NULL) {
                fprintf(stderr, NAME ": %s: out of memory\n", path);
                goto failed;
            }
            buf = p;
        }

        got = fread(buf + n, 1, size - n, f);
        n += got;
    } while (got);

    if (ferror(f)) {
        fprintf(stderr, NAME ": %s: %s\n", path, strerror(errno));
        goto failed;
    }

    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }

    if (n == 0) {
        fprintf(stderr, NAME ": %s: the key is empty\n", path);
        goto failed;
    }

    fclose(f);
    v->key = buf;
    v->key_len = n;

    return 0;

failed:

    fclose(f);
    if (buf) {
        OPENSSL_cleanse(buf, size);
        free(buf);
    }

    return -1;
}


static int
mac_init(verify_t *v)
{
    static char  digest[] = "SHA256";
    OSSL_PARAM   params[2];

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 digest, 0);
    params[1] = OSSL_PARAM_construct_end();

    v->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (v->hmac == NULL) {
        return -1;
    }

    v->ctx = EVP_MAC_CTX_new(v->hmac);
    if (v->ctx == NULL) {
        return -1;
    }

    return EVP_MAC_init(v->ctx, v->key, v->key_len, params) ? 0 : -1;
}


static int
record_mac(verify_t *v, const unsigned char *prev, const char *body,
    size_t len, unsigned char *out)
{
    size_t  n;

    if (!EVP_MAC_init(v->ctx, v->key, v->key_len, NULL)
        || !EVP_MAC_update(v->ctx, prev, MAC_LEN)
        || !EVP_MAC_update(v->ctx, (const unsigned char *) body, len)
        || !EVP_MAC_final(v->ctx, out, &n, MAC_LEN)
        || n != MAC_LEN)
    {
        fprintf(stderr, NAME ": HMAC-SHA256 failed\n");
        return -1;
    }

    return 0;
}


static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


static int
hex_decode(const char *p, unsigned char *out)
{
    int     hi, lo;
    size_t  i;

    for (i = 0; i < MAC_LEN; i++) {
        hi = hex_value(p[2 * i]);
        lo = hex_value(p[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return -1;
        }

        out[i] = (unsigned char) (hi << 4 | lo);
    }

    return 0;
}


static int
is_chain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}


/* the digits before *pos, back to start at most: 1 to UINT64_MAX */

static int
parse_seq(const char *start, const char **pos, uint64_t *seq)
{
    unsigned     d;
    const char  *p, *end;

    end = *pos;

    for (p = end; p > start && p[-1] >= '0' && p[-1] <= '9'; p--) {
        /* void */
    }

    if (p == end || *p == '0') {
        return -1;
    }

    *pos = p;
    *seq = 0;

    for ( /* void */ ; p < end; p++) {
        d = (unsigned) (*p - '0');

        if (*seq > (UINT64_MAX - d) / 10) {
            return -1;
        }

        *seq = *seq * 10 + d;
    }

    return 0;
}


/*
 * The tail, from the end of line[0..len) (the "\n" excluded):
 * {...,"chain":"C","seq":S,"mac":"M"}
 */

static int
parse_record(const char *line, size_t len, record_t *rec)
{
    const char  *p, *end;

    if (len < RECORD_MIN || line[0] != '{'
        || memcmp(line + len - LIT_LEN(TAIL_END), TAIL_END,
                  LIT_LEN(TAIL_END)) != 0)
    {
        return -1;
    }

    p = line + len - LIT_LEN(TAIL_END) - MAC_HEX_LEN;

    if (hex_decode(p, rec->mac) != 0) {
        return -1;
    }

    p -= LIT_LEN(TAIL_MAC);

    if (memcmp(p, TAIL_MAC, LIT_LEN(TAIL_MAC)) != 0) {
        return -1;
    }

    rec->body_len = p - line;

    if (parse_seq(line + 1, &p, &rec->seq) != 0
        || p - line < (ptrdiff_t) (1 + LIT_LEN(TAIL_SEQ) + 1)
        || memcmp(p - LIT_LEN(TAIL_SEQ), TAIL_SEQ, LIT_LEN(TAIL_SEQ)) != 0)
    {
        return -1;
    }

    p -= LIT_LEN(TAIL_SEQ) + 1;

    if (*p != '"') {
        return -1;
    }

    for (end = p; p > line + 1 && is_chain_char(p[-1]); p--) {
        if (end - p == CHAIN_MAX) {
            return -1;
        }
    }

    if (p == end
        || p - line < (ptrdiff_t) (1 + LIT_LEN(TAIL_CHAIN))
        || memcmp(p - LIT_LEN(TAIL_CHAIN), TAIL_CHAIN, LIT_LEN(TAIL_CHAIN))
           != 0)
    {
        return -1;
    }

    rec->chain = p;
    rec->chain_len = end - p;

    return 0;
}


static size_t
chain_hash(const char *name, size_t len)
{
    size_t  i, h;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char) name[i]) * 16777619u;
    }

    return h;
}


/* the chain's slot, or the free slot where it goes */

static chain_t *
chain_slot(chain_t *slots, size_t nslots, const char *name, size_t len)
{
    size_t    i;
    chain_t  *c;

    for (i = chain_hash(name, len); /* void */ ; i++) {
        c = &slots[i & (nslots - 1)];

        if (c->name[0] == '\0'
            || (memcmp(c->name, name, len) == 0 && c->name[len] == '\0'))
        {
            return c;
        }
    }
}


static int
chains_grow(verify_t *v)
{
    size_t    i, n;
    chain_t  *slots, *c;

    n = v->nslots ? 2 * v->nslots : 64;

    slots = calloc(n, sizeof(chain_t));
    if (slots == NULL) {
        fprintf(stderr, NAME ": out of memory\n");
        return -1;
    }

    for (i = 0; i < v->nslots; i++) {
        c = &v->chains[i];

        if (c->name[0] != '\0') {
            *chain_slot(slots, n, c->name, strlen(c->name)) = *c;
        }
    }

    free(v->chains);
    v->chains = slots;
    v->nslots = n;

    return 0;
}


/* the chain, a new one (seq 0, zero MAC) if not seen before */

static chain_t *
chain_get(verify_t *v, const record_t *rec, int *is_new)
{
    chain_t  *c;

    c = NULL;

    if (v->nslots) {
        c = chain_slot(v->chains, v->nslots, rec->chain, rec->chain_len);

        if (c->name[0] != '\0') {
            *is_new = 0;
            return c;
        }
    }

    if ((v->nchains + 1) * 2 > v->nslots) {
        if (chains_grow(v) != 0) {
            return NULL;
        }

        c = chain_slot(v->chains, v->nslots, rec->chain, rec->chain_len);
    }

    memcpy(c->name, rec->chain, rec->chain_len);
    v->nchains++;
    *is_new = 1;

    return c;
}


/* a chain's first record here has seq > 1: trusted as its anchor */

static int
chain_midway(verify_t *v, chain_t *c, const record_t *rec)
{
    const char  *fmt;

    fmt = "chain %s begins at seq %" PRIu64 ": records before it are not"
          " in these files";

    if (v->strict) {
        return fail(v, fmt, c->name, rec->seq);
    }

    fprintf(stderr, "%s:%" PRIu64 ": ", v->file, v->line);
    fprintf(stderr, fmt, c->name, rec->seq);
    fputc('\n', stderr);

    v->midway++;

    return OK;
}


static int
verify_line(verify_t *v, const char *line, size_t len)
{
    int            rc, is_new;
    chain_t       *c;
    record_t       rec;
    unsigned char  mac[MAC_LEN];

    if (line[len - 1] != '\n') {
        return fail(v, "incomplete record");
    }

    if (parse_record(line, len - 1, &rec) != 0) {
        return fail(v, "not an audit record");
    }

    c = chain_get(v, &rec, &is_new);
    if (c == NULL) {
        return ERROR;
    }

    if (is_new && rec.seq > 1) {
        rc = chain_midway(v, c, &rec);
        if (rc != OK) {
            return rc;
        }

    } else if (rec.seq <= c->seq) {
        return fail(v, "chain %s seq %" PRIu64 ": reordered or duplicated"
                    " (after seq %" PRIu64 ")", c->name, rec.seq, c->seq);

    } else if (rec.seq > c->seq + 1) {
        return fail(v, "chain %s seq %" PRIu64 ": records %" PRIu64 "..%"
                    PRIu64 " removed", c->name, rec.seq, c->seq + 1,
                    rec.seq - 1);

    } else {
        if (record_mac(v, c->mac, line, rec.body_len, mac) != 0) {
            return ERROR;
        }

        if (CRYPTO_memcmp(mac, rec.mac, MAC_LEN) != 0) {
            return fail(v, "chain %s seq %" PRIu64 ": altered", c->name,
                        rec.seq);
        }
    }

    c->seq = rec.seq;
    memcpy(c->mac, rec.mac, MAC_LEN);
    v->records++;

    return OK;
}


static int
verify_file(verify_t *v, const char *path)
{
    int       rc;
    FILE     *f;
    char     *line;
    size_t    size;
    ssize_t   n;

    if (strcmp(path, "-") == 0) {
        f = stdin;

    } else {
        f = fopen(path, "r");
        if (f == NULL) {
            fprintf(stderr, NAME ": %s: %s\n", path, strerror(errno));
            return ERROR;
        }
    }

    v->file = path;
    v->line = 0;

    line = NULL;
    size = 0;
    rc = OK;

    while (rc == OK && (n = getline(&line, &size, f)) != -1) {
        v->line++;
        rc = verify_line(v, line, (size_t) n);
    }

    if (rc == OK && (ferror(f) || !feof(f))) {
        fprintf(stderr, NAME ": %s: %s\n", path, strerror(errno));
        rc = ERROR;
    }

    free(line);

    if (f != stdin) {
        fclose(f);
    }

    return rc;
}


static int
verify(verify_t *v, char **files, int nfiles)
{
    int  i, rc;

    if (mac_init(v) != 0) {
        fprintf(stderr, NAME ": HMAC-SHA256 not available\n");
        return ERROR;
    }

    for (i = 0; i < nfiles; i++) {
        rc = verify_file(v, files[i]);
        if (rc != OK) {
            return rc;
        }
    }

    printf("verified: %" PRIu64 " records in %zu chains", v->records,
           v->nchains);

    if (v->midway) {
        printf(" (%zu chains begin mid-way)", v->midway);
    }

    putchar('\n');

    return OK;
}


int
main(int argc, char **argv)
{
    int          i, rc, nfiles, files_only;
    char        *arg, **files;
    const char  *keyfile;
    verify_t     v;

    memset(&v, 0, sizeof(verify_t));

    keyfile = NULL;
    files_only = 0;

    /* the FILEs are gathered at the start of argv, behind the options */
    files = argv;
    nfiles = 0;

    for (i = 1; i < argc; i++) {
        arg = argv[i];

        if (files_only || arg[0] != '-' || arg[1] == '\0') {
            files[nfiles++] = arg;

        } else if (strcmp(arg, "--") == 0) {
            files_only = 1;

        } else if (strcmp(arg, "--strict") == 0) {
            v.strict = 1;

        } else if (strcmp(arg, "-k") == 0 && i + 1 < argc) {
            keyfile = argv[++i];

        } else {
            return usage();
        }
    }

    if (keyfile == NULL || nfiles == 0) {
        return usage();
    }

    if (read_key(&v, keyfile) != 0) {
        return ERROR;
    }

    rc = verify(&v, files, nfiles);

    EVP_MAC_CTX_free(v.ctx);
    EVP_MAC_free(v.hmac);
    OPENSSL_cleanse(v.key, v.key_len);
    free(v.key);
    free(v.chains);

    if (fflush(stdout) != 0 && rc == OK) {
        rc = ERROR;
    }

    return rc;
}
