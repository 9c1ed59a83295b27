/*
 * Unit tests of tools/llmgw-audit-verify.c, run as a child: records made
 * here with OpenSSL's HMAC(), two chains interleaved (5 + 4 records), are
 * written into a temporary directory whole, altered, cut, reordered and
 * rotated; the tool's exit status, stdout and stderr are checked whole.
 * The tool is build/llmgw-audit-verify, next to this binary.
 */

#define _POSIX_C_SOURCE  200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "unit.h"


#define NRECORDS   9
#define MAX_ARGS   16
#define PATH_SIZE  1024

#define CHAIN_A    "w101-1764000000"
#define CHAIN_B    "w102-1764000000"

#define MIDWAY     ": records before it are not in these files\n"


extern char  **environ;


static const char  key[] = "test-audit-key-0123456789";

static char   dir[PATH_SIZE / 2];              /* the temporary directory */
static char   verifier[PATH_SIZE];
static char   key_path[PATH_SIZE];

/* lines 1..9: A1 B1 A2 B2 A3 B3 A4 B4 A5 */
static char  *records[NRECORDS];


typedef struct {
    const char     *name;
    uint64_t        seq;
    unsigned char   mac[32];
} gen_chain_t;


typedef struct {
    int             status;                    /* -1: killed */
    char           *out;
    size_t          out_len;
    char           *err;
    size_t          err_len;
} run_t;


/* the next record of a chain: {FIELDS,"chain":"C","seq":S,"mac":"M"}\n */

static char *
make_record(gen_chain_t *c, const char *k, const char *fields)
{
    int             n;
    char           *line;
    size_t          size, i;
    unsigned int    len;
    unsigned char  *data;

    c->seq++;

    size = strlen(fields) + strlen(c->name) + 200;
    line = malloc(size);
    data = malloc(32 + size);

    if (line == NULL || data == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    n = snprintf(line, size, "{%s,\"chain\":\"%s\",\"seq\":%" PRIu64,
                 fields, c->name, c->seq);

    memcpy(data, c->mac, 32);
    memcpy(data + 32, line, n);

    if (HMAC(EVP_sha256(), k, (int) strlen(k), data, 32 + n, c->mac, &len)
        == NULL || len != 32)
    {
        fprintf(stderr, "HMAC failed\n");
        exit(2);
    }

    free(data);

    n += sprintf(line + n, ",\"mac\":\"");

    for (i = 0; i < 32; i++) {
        n += sprintf(line + n, "%02x", c->mac[i]);
    }

    sprintf(line + n, "\"}\n");

    return line;
}


static void
make_records(void)
{
    char         fields[200];
    unsigned     i;
    gen_chain_t  a = { CHAIN_A, 0, { 0 } }, b = { CHAIN_B, 0, { 0 } };

    for (i = 0; i < NRECORDS; i++) {
        /* text like the tail in the JSON: the tail is found from the end */
        snprintf(fields, sizeof(fields),
                 "\"ts\":\"2025-11-24T12:00:%02u\",\"model\":\"gpt-4o\","
                 "\"msg\":\"a \\\"quoted\\\" ,\\\"mac\\\":\\\"x\\\"}\","
                 "\"tokens\":%u", i, 100 + i);

        records[i] = make_record(i % 2 ? &b : &a, key, fields);
    }
}


static char *
path_of(char *buf, const char *name)
{
    if (snprintf(buf, PATH_SIZE, "%s/%s", dir, name) >= PATH_SIZE) {
        fprintf(stderr, "path too long: %s/%s\n", dir, name);
        exit(2);
    }

    return buf;
}


static void
write_bytes(const char *name, const char *data, size_t len)
{
    char   path[PATH_SIZE];
    FILE  *f;

    f = fopen(path_of(path, name), "wb");

    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}


/* name: the lines given, NULL ended */

static void
write_lines(const char *name, ...)
{
    char         path[PATH_SIZE];
    FILE        *f;
    va_list      ap;
    const char  *line;

    f = fopen(path_of(path, name), "wb");
    if (f == NULL) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }

    va_start(ap, name);

    while ((line = va_arg(ap, const char *)) != NULL) {
        fputs(line, f);
    }

    va_end(ap);

    if (fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}


static void
write_records(const char *name, size_t from, size_t to)
{
    char   path[PATH_SIZE];
    FILE  *f;

    f = fopen(path_of(path, name), "wb");
    if (f == NULL) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }

    for ( /* void */ ; from < to; from++) {
        fputs(records[from], f);
    }

    if (fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}


static char *
copy(const char *s)
{
    char  *p;

    p = malloc(strlen(s) + 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    return strcpy(p, s);
}


/* the verifier with the arguments given (NULL ended), stdin from "in" */

static void
run(run_t *r, const char *in, ...)
{
    int                          n, rc, st;
    char                        *argv[MAX_ARGS], out[PATH_SIZE];
    char                         err[PATH_SIZE];
    pid_t                        pid;
    va_list                      ap;
    posix_spawn_file_actions_t   fa;

    argv[0] = verifier;
    n = 1;

    va_start(ap, in);

    while (n < MAX_ARGS - 1 && (argv[n] = va_arg(ap, char *)) != NULL) {
        n++;
    }

    va_end(ap);
    argv[n] = NULL;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null",
                                     O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, path_of(out, "out"),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, path_of(err, "err"),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);

    rc = posix_spawn(&pid, verifier, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);

    if (rc != 0 || waitpid(pid, &st, 0) != pid) {
        fprintf(stderr, "cannot run %s: %s\n", verifier, strerror(rc));
        exit(2);
    }

    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r->out = (char *) unit_read_file(dir, "out", &r->out_len);
    r->err = (char *) unit_read_file(dir, "err", &r->err_len);
}


static void
run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}


/*
 * Exit status, stdout and stderr, each whole; a sanitizer's report would
 * show on stderr.  A %s in "out" or "err" is the path of "file".
 */

static void
expect(run_t *r, const char *what, int status, const char *file,
    const char *out, const char *err)
{
    char  path[PATH_SIZE], want[2 * PATH_SIZE + 512];

    path_of(path, file ? file : "");

    CHECK_INT(r->status, status, "%s; stdout: %s; stderr: %s", what, r->out,
              r->err);

    snprintf(want, sizeof(want), out, path);
    CHECK_STR(r->out, r->out_len, want, "%s: stdout", what);

    snprintf(want, sizeof(want), err, path, path);
    CHECK_STR(r->err, r->err_len, want, "%s: stderr", what);

    run_free(r);
}


/* the file verified with the key, no other option */

static void
check_file(const char *what, const char *name, int status, const char *out,
    const char *err)
{
    char   path[PATH_SIZE];
    run_t  r;

    run(&r, NULL, "-k", key_path, path_of(path, name), NULL);
    expect(&r, what, status, name, out, err);
}


static void
test_valid(void)
{
    char   path[PATH_SIZE];
    run_t  r;

    write_records("all.log", 0, NRECORDS);

    check_file("valid", "all.log", 0, "verified: 9 records in 2 chains\n",
               "");

    run(&r, path_of(path, "all.log"), "-k", key_path, "-", NULL);
    expect(&r, "valid on stdin", 0, NULL,
           "verified: 9 records in 2 chains\n", "");

    /* options after the file; "--" ends them */
    run(&r, NULL, path_of(path, "all.log"), "--strict", "-k", key_path, "--",
        "-", NULL);
    expect(&r, "valid, options after, stdin empty", 0, NULL,
           "verified: 9 records in 2 chains\n", "");

    write_bytes("empty.log", "", 0);
    check_file("empty file", "empty.log", 0,
               "verified: 0 records in 0 chains\n", "");
}


static void
test_altered(void)
{
    char    *line;
    size_t   n;

    /* a byte of line 5 (A3) in its JSON */
    line = copy(records[4]);
    line[10] ^= 1;
    write_lines("body.log", records[0], records[1], records[2], records[3],
                line, records[5], records[6], records[7], records[8], NULL);
    free(line);

    check_file("body altered", "body.log", 1,
               "%s:5: chain " CHAIN_A " seq 3: altered\n", "");

    /* the seq is in BODY: A3 cut out, A4 renumbered 3 (line 6) */
    line = copy(records[6]);
    n = strlen(line);
    line[n - 76] = '3';
    write_lines("seq.log", records[0], records[1], records[2], records[3],
                records[5], line, records[7], records[8], NULL);
    free(line);

    check_file("seq renumbered", "seq.log", 1,
               "%s:6: chain " CHAIN_A " seq 3: altered\n", "");

    /*
     * A hex digit of line 4's MAC (B2): line 4 is reported, its MAC being
     * HMAC(key, B1's MAC || its BODY), both intact, which the digit no
     * longer matches; B3 would fail too, but later.
     */
    line = copy(records[3]);
    n = strlen(line);
    line[n - 10] = line[n - 10] == 'a' ? 'b' : 'a';
    write_lines("mac.log", records[0], records[1], records[2], line,
                records[4], records[5], records[6], records[7], records[8],
                NULL);
    free(line);

    check_file("MAC altered", "mac.log", 1,
               "%s:4: chain " CHAIN_B " seq 2: altered\n", "");

    /* the last record's MAC: no record after it, checked all the same */
    line = copy(records[8]);
    n = strlen(line);
    line[n - 4] = line[n - 4] == '0' ? '1' : '0';
    write_lines("lastmac.log", records[0], records[1], records[2],
                records[3], records[4], records[5], records[6], records[7],
                line, NULL);
    free(line);

    check_file("last MAC altered", "lastmac.log", 1,
               "%s:9: chain " CHAIN_A " seq 5: altered\n", "");
}


static void
test_removed(void)
{
    /* line 5 (A3) removed: A4 comes at line 6 */
    write_lines("rm1.log", records[0], records[1], records[2], records[3],
                records[5], records[6], records[7], records[8], NULL);

    check_file("one removed", "rm1.log", 1,
               "%s:6: chain " CHAIN_A " seq 4: records 3..3 removed\n", "");

    /* A2 and A3 removed: A4 at line 5 */
    write_lines("rm2.log", records[0], records[1], records[3], records[5],
                records[6], records[7], records[8], NULL);

    check_file("two removed", "rm2.log", 1,
               "%s:5: chain " CHAIN_A " seq 4: records 2..3 removed\n", "");
}


static void
test_reordered(void)
{
    char   p1[PATH_SIZE], p2[PATH_SIZE], want[2 * PATH_SIZE];
    run_t  r;

    /* B2 again after B3 */
    write_lines("dup.log", records[0], records[1], records[2], records[3],
                records[4], records[5], records[3], records[6], records[7],
                records[8], NULL);

    check_file("duplicated", "dup.log", 1,
               "%s:7: chain " CHAIN_B " seq 2: reordered or duplicated"
               " (after seq 3)\n", "");

    /* B3 twice in a row */
    write_lines("dup2.log", records[0], records[1], records[2], records[3],
                records[4], records[5], records[5], records[6], records[7],
                records[8], NULL);

    check_file("twice in a row", "dup2.log", 1,
               "%s:7: chain " CHAIN_B " seq 3: reordered or duplicated"
               " (after seq 3)\n", "");

    /*
     * A2 and A3 swapped (lines 3 and 5): A3 comes first, after A1, and is
     * reported as the gap it makes, A2 not being there yet.
     */
    write_lines("swap.log", records[0], records[1], records[4], records[3],
                records[2], records[5], records[6], records[7], records[8],
                NULL);

    check_file("A2, A3 swapped", "swap.log", 1,
               "%s:3: chain " CHAIN_A " seq 3: records 2..2 removed\n", "");

    /* A1 and A2 swapped: A begins at A2 (a warning), then A1 comes */
    write_lines("swap1.log", records[2], records[1], records[0], records[3],
                records[4], records[5], records[6], records[7], records[8],
                NULL);

    check_file("A1, A2 swapped", "swap1.log", 1,
               "%s:3: chain " CHAIN_A " seq 1: reordered or duplicated"
               " (after seq 2)\n",
               "%s:1: chain " CHAIN_A " begins at seq 2" MIDWAY);

    /* rotated files in the wrong order */
    write_records("r1.log", 0, 5);
    write_records("r2.log", 5, NRECORDS);

    run(&r, NULL, "-k", key_path, path_of(p2, "r2.log"),
        path_of(p1, "r1.log"), NULL);
    snprintf(want, sizeof(want), "%s:1: chain " CHAIN_A " seq 1: reordered"
             " or duplicated (after seq 5)\n", p1);
    CHECK_INT(r.status, 1, "files in the wrong order");
    CHECK_STR(r.out, r.out_len, want, "files in the wrong order");
    CHECK(strstr(r.err, "r2.log:2: chain " CHAIN_A " begins at seq 4")
          != NULL, "files in the wrong order: %s", r.err);
    run_free(&r);
}


static void
test_rotation(void)
{
    char     p1[PATH_SIZE], p2[PATH_SIZE], p3[PATH_SIZE];
    char    *line;
    run_t    r;

    write_records("r1.log", 0, 5);
    write_records("r2.log", 5, NRECORDS);
    write_bytes("r0.log", "", 0);

    run(&r, NULL, "-k", key_path, path_of(p1, "r1.log"),
        path_of(p3, "r0.log"), path_of(p2, "r2.log"), NULL);
    expect(&r, "rotated, in order", 0, NULL,
           "verified: 9 records in 2 chains\n", "");

    check_file("second file alone", "r2.log", 0,
               "verified: 4 records in 2 chains (2 chains begin mid-way)\n",
               "%s:1: chain " CHAIN_B " begins at seq 3" MIDWAY
               "%s:2: chain " CHAIN_A " begins at seq 4" MIDWAY);

    run(&r, NULL, "--strict", "-k", key_path, path_of(p2, "r2.log"), NULL);
    expect(&r, "second file alone, --strict", 1, "r2.log",
           "%s:1: chain " CHAIN_B " begins at seq 3" MIDWAY, "");

    /* the chain goes on from the record it begins at */
    line = copy(records[8]);
    line[12] ^= 1;
    write_lines("r2x.log", records[5], records[6], records[7], line, NULL);
    free(line);

    run(&r, NULL, "-k", key_path, path_of(p2, "r2x.log"), NULL);
    expect(&r, "second file alone, A5 altered", 1, "r2x.log",
           "%s:4: chain " CHAIN_A " seq 5: altered\n",
           "%s:1: chain " CHAIN_B " begins at seq 3" MIDWAY
           "%s:2: chain " CHAIN_A " begins at seq 4" MIDWAY);
}


static void
test_incomplete(void)
{
    char    *line;
    size_t   n;

    line = copy(records[8]);
    n = strlen(line);

    line[n - 1] = '\0';
    write_lines("nonl.log", records[6], records[7], line, NULL);

    line[n - 20] = '\0';
    write_lines("cut.log", records[0], records[1], records[2], records[3],
                records[4], records[5], records[6], records[7], line, NULL);
    free(line);

    check_file("last line cut", "cut.log", 1, "%s:9: incomplete record\n",
               "");

    check_file("last newline missing", "nonl.log", 1,
               "%s:3: incomplete record\n",
               "%s:1: chain " CHAIN_A " begins at seq 4" MIDWAY
               "%s:2: chain " CHAIN_B " begins at seq 4" MIDWAY);
}


static void
test_keys(void)
{
    char   path[PATH_SIZE], kp[PATH_SIZE];
    run_t  r;

    write_records("all.log", 0, NRECORDS);

    write_bytes("wrong.key", "test-audit-key-012345678\n", 25);
    run(&r, NULL, "-k", path_of(kp, "wrong.key"), path_of(path, "all.log"),
        NULL);
    expect(&r, "wrong key", 1, "all.log",
           "%s:1: chain " CHAIN_A " seq 1: altered\n", "");

    /* every trailing "\r" and "\n" stripped, no more */
    write_bytes("crlf.key", "test-audit-key-0123456789\r\n\n", 28);
    run(&r, NULL, "-k", path_of(kp, "crlf.key"), path, NULL);
    expect(&r, "key with \\r\\n\\n", 0, NULL,
           "verified: 9 records in 2 chains\n", "");

    write_bytes("space.key", "test-audit-key-0123456789 \n", 27);
    run(&r, NULL, "-k", path_of(kp, "space.key"), path, NULL);
    expect(&r, "key with a space", 1, "all.log",
           "%s:1: chain " CHAIN_A " seq 1: altered\n", "");
}


/* line 1 of a file: each not a record, as the line says */

static const char  *not_records[] = {
    "\n",
    "\r\n",
    "hello world\n",
    "{}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":0,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":01,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":-1,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":18446744073709551616,"
        "\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":100000000000000000000,"
        "\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"\",\"seq\":1,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w 1\",\"seq\":1,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w/1\",\"seq\":1,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"x123456789x123456789x123456789x123456789"
        "x123456789x123456789xxxxx\",\"seq\":1,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":w1,\"seq\":1,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1,\"mac\":\"%sa\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1,\"mac\":\"%.63s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1,\"mac\":\"%s\"} \n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1,\"mac\":\"%s\"}\r\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1,\"mac\":\"%s\"}}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1,\"mac\":%s}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1,\"MAC\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"sequence\":1,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1 ,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\" ,\"seq\":1,\"mac\":\"%s\"}\n",
    "{\"a\":1,\"chain\":\"w1\",\"seq\":1,\"mac\":\"%s\"}\n",
    "[\"a\",\"chain\":\"w1\",\"seq\":1,\"mac\":\"%s\"}\n",
    "{,\"chain\":\"w1\",\"seq\":1,\"mac\":\"%s\"}\n",
    ",\"chain\":\"w1\",\"seq\":1,\"mac\":\"%s\"}\n",
    "\"chain\":\"w1\",\"seq\":1,\"mac\":\"%s\"}\n",
};

/* the index in not_records[] of the two that are records */
#define GOOD_MAC   25
#define GOOD_MIN   27


static void
test_not_records(void)
{
    char          line[512], what[600];
    size_t        i;
    const char   *mac;

    /* a garbage line at line 4 */
    write_lines("garbage.log", records[0], records[1], records[2],
                "not an audit record\n", records[3], NULL);
    check_file("garbage line", "garbage.log", 1,
               "%s:4: not an audit record\n", "");

    mac = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    for (i = 0; i < sizeof(not_records) / sizeof(not_records[0]); i++) {
        snprintf(line, sizeof(line), not_records[i], mac);
        write_bytes("bad.log", line, strlen(line));
        snprintf(what, sizeof(what), "not a record: %s", line);

        if (i == GOOD_MAC || i == GOOD_MIN) {
            /* these parse: the MAC is only wrong */
            check_file(what, "bad.log", 1, "%s:1: chain w1 seq 1: altered\n",
                       "");
            continue;
        }

        check_file(what, "bad.log", 1, "%s:1: not an audit record\n", "");
    }

    /* uppercase hex in a valid record */
    snprintf(line, sizeof(line), "%s", records[0]);
    line[strlen(line) - 5] = 'A';
    write_bytes("bad.log", line, strlen(line));
    check_file("uppercase MAC", "bad.log", 1, "%s:1: not an audit record\n",
               "");
}


/* the limits: seq 2^64 - 1, a chain of 64 characters, a line of 3 MB */

static void
test_limits(void)
{
    char         *big, *line;
    size_t        n;
    gen_chain_t   c;

    c.name = "x123456789x123456789x123456789x123456789x123456789x123456789xxx"
             "x";
    c.seq = 0;
    memset(c.mac, 0, sizeof(c.mac));

    n = 3 * 1024 * 1024;
    big = malloc(n + 32);
    if (big == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    memcpy(big, "\"text\":\"", 8);
    memset(big + 8, 'z', n);
    memcpy(big + 8 + n, "\"", 2);

    line = make_record(&c, key, big);
    write_lines("big.log", records[0], line, records[1], NULL);
    free(line);
    free(big);

    check_file("a 3 MB line, a chain of 64", "big.log", 0,
               "verified: 3 records in 3 chains\n", "");

    c.seq = UINT64_MAX - 1;
    line = make_record(&c, key, "\"a\":1");
    write_lines("max.log", line, NULL);
    free(line);

    check_file("seq 2^64 - 1", "max.log", 0,
               "verified: 1 records in 1 chains (1 chains begin mid-way)\n",
               "%s:1: chain x123456789x123456789x123456789x123456789"
               "x123456789x123456789xxxx begins at seq 18446744073709551615"
               MIDWAY);
}


/* 300 chains of 3 records, round robin: the table of chains grows */

static void
test_many_chains(void)
{
    char         path[PATH_SIZE], names[300][16];
    char        *line;
    FILE        *f;
    size_t       i, n;
    gen_chain_t  c[300];

    for (i = 0; i < 300; i++) {
        snprintf(names[i], sizeof(names[i]), "w%zu-1764000000", i);
        c[i].name = names[i];
        c[i].seq = 0;
        memset(c[i].mac, 0, sizeof(c[i].mac));
    }

    f = fopen(path_of(path, "many.log"), "wb");
    if (f == NULL) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }

    for (n = 0; n < 3 * 300; n++) {
        line = make_record(&c[n % 300], key, "\"a\":1");
        fputs(line, f);
        free(line);
    }

    /* and the first chain's third record again */
    c[0].seq = 2;
    line = make_record(&c[0], key, "\"a\":1");
    fputs(line, f);
    free(line);

    if (fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }

    check_file("300 chains", "many.log", 1,
               "%s:901: chain w0-1764000000 seq 3: reordered or duplicated"
               " (after seq 3)\n", "");
}


static void
test_errors(void)
{
    char   path[PATH_SIZE], missing[PATH_SIZE], kp[PATH_SIZE];
    run_t  r;

    write_records("all.log", 0, NRECORDS);
    path_of(path, "all.log");
    path_of(missing, "missing");

    run(&r, NULL, "-k", missing, path, NULL);
    CHECK_INT(r.status, 2, "missing key file");
    CHECK_INT(r.out_len, 0, "missing key file: stdout %s", r.out);
    CHECK(strstr(r.err, missing) != NULL, "missing key file: %s", r.err);
    run_free(&r);

    write_bytes("empty.key", "\r\n\n", 3);
    run(&r, NULL, "-k", path_of(kp, "empty.key"), path, NULL);
    CHECK_INT(r.status, 2, "empty key");
    CHECK_INT(r.out_len, 0, "empty key: stdout %s", r.out);
    run_free(&r);

    /* the first file verifies, the second is not there */
    run(&r, NULL, "-k", key_path, path, missing, NULL);
    CHECK_INT(r.status, 2, "missing log file");
    CHECK_INT(r.out_len, 0, "missing log file: stdout %s", r.out);
    CHECK(strstr(r.err, missing) != NULL, "missing log file: %s", r.err);
    run_free(&r);

    run(&r, NULL, "-k", key_path, dir, NULL);
    CHECK_INT(r.status, 2, "a directory as the log file");
    run_free(&r);

    run(&r, NULL, path, NULL);
    CHECK_INT(r.status, 2, "no key");
    CHECK(strstr(r.err, "usage") != NULL, "no key: %s", r.err);
    run_free(&r);

    run(&r, NULL, "-k", key_path, NULL);
    CHECK_INT(r.status, 2, "no file");
    run_free(&r);

    run(&r, NULL, path, "-k", NULL);
    CHECK_INT(r.status, 2, "-k without a file");
    run_free(&r);

    run(&r, NULL, "--lenient", "-k", key_path, path, NULL);
    CHECK_INT(r.status, 2, "an unknown option");
    CHECK_INT(r.out_len, 0, "an unknown option: stdout %s", r.out);
    run_free(&r);
}


static void
set_up(const char *argv0)
{
    const char  *slash, *tmp;

    slash = strrchr(argv0, '/');
    snprintf(verifier, sizeof(verifier), "%.*sllmgw-audit-verify",
             slash ? (int) (slash + 1 - argv0) : 0, argv0);

    tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/llmgw-audit-XXXXXX", tmp ? tmp : "/tmp");

    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "mkdtemp %s: %s\n", dir, strerror(errno));
        exit(2);
    }

    write_bytes("audit.key", key, strlen(key));
    path_of(key_path, "audit.key");

    make_records();
}


static void
tear_down(void)
{
    char            path[PATH_SIZE];
    DIR            *d;
    size_t          i;
    struct dirent  *e;

    d = opendir(dir);

    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlink(path_of(path, e->d_name));
        }
    }

    if (d) {
        closedir(d);
    }

    rmdir(dir);

    for (i = 0; i < NRECORDS; i++) {
        free(records[i]);
    }
}


int
main(int argc, char **argv)
{
    (void) argc;

    set_up(argv[0]);

    test_valid();
    test_altered();
    test_removed();
    test_reordered();
    test_rotation();
    test_incomplete();
    test_keys();
    test_not_records();
    test_limits();
    test_many_chains();
    test_errors();

    tear_down();

    UNIT_DONE("unit_audit_verify");
}
