/*
 * llmgw: the registry across nodes, with the Redis store.  Redis holds
 * every document, as a line of the snapshot's format, in one hash; an
 * admin write is a compare-and-set there first (a Lua script checks the
 * version), then in the zone.  The first worker of each node polls the
 * generation Redis keeps and copies what changed into its zone, so a
 * write on one node reaches every node within llmgw_admin_sync.
 */


#include "llmgw_admin.h"
#include "llmgw_registry.h"
#include "llmgw_redis.h"


#define LLMGW_REG_DOCS  "{llmgw:admin}:docs"
#define LLMGW_REG_GEN   "{llmgw:admin}:gen"


/* freed by whichever comes last: the reply, or the request's end */
typedef struct {
    llmgw_redis_cmd_t            cmd;        /* first: the reply's */
    ngx_http_request_t          *r;          /* NULL: nobody waits now */
    llmgw_registry_written_pt    done;
    u_char                      *line;
    const char                  *argv[9];
    size_t                       argvlen[9];
    u_char                       field[LLMGW_MAX_ID_LEN + 2];
    u_char                       expect[NGX_INT64_LEN];
    u_char                       base[NGX_INT64_LEN];
    ngx_event_t                  retry;      /* Redis not connected yet */
    ngx_msec_t                   deadline;
    unsigned                     answered:1;
    unsigned                     detached:1;
} llmgw_reg_write_t;


typedef struct {
    llmgw_redis_cmd_t            cmd;
    llmgw_main_conf_t           *lmcf;
    ngx_event_t                  timer;
    ngx_msec_t                   interval;
    long long                    gen;        /* Redis's, last copied */
    long long                    listed;     /* the one being copied */
    unsigned                     busy:1;
    unsigned                     listing:1;
} llmgw_reg_sync_t;


static void llmgw_registry_redis_written(llmgw_redis_cmd_t *cmd,
    redisReply *reply);
static void llmgw_registry_redis_write_timeout(llmgw_redis_cmd_t *cmd);
static void llmgw_registry_redis_retry(ngx_event_t *ev);
static void llmgw_registry_redis_detach(void *data);
static void llmgw_registry_redis_tick(ngx_event_t *ev);
static void llmgw_registry_redis_synced(llmgw_redis_cmd_t *cmd,
    redisReply *reply);
static void llmgw_registry_redis_sync_timeout(llmgw_redis_cmd_t *cmd);
static void llmgw_registry_redis_copy(llmgw_reg_sync_t *s, redisReply *all);


/* KEYS: docs, gen; ARGV: field, the version expected, the line, the
 * version of the file's own when Redis has none */
static ngx_str_t  llmgw_registry_redis_cas = ngx_string(
    "local cur = redis.call('HGET', KEYS[1], ARGV[1]) "
    "local v = tonumber(ARGV[4]) "
    "if cur then v = tonumber(string.match(cur, '^doc %S+ (%d+)')) end "
    "if v ~= tonumber(ARGV[2]) then return {0, v} end "
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) "
    "return {1, redis.call('INCR', KEYS[2])}");


static llmgw_reg_sync_t  llmgw_registry_redis_sync;


static llmgw_redis_t *
llmgw_registry_redis_conn(llmgw_main_conf_t *lmcf)
{
    if (lmcf->store_ops != &llmgw_store_redis_ops) {
        return NULL;
    }

    return llmgw_store_redis_conn(lmcf->store);
}


/*
 * The write, in Redis first: NGX_DECLINED when there is no Redis store
 * (the zone alone decides), NGX_AGAIN when done() will be called,
 * NGX_ERROR when Redis cannot be asked now.
 */

ngx_int_t
llmgw_registry_redis_write(ngx_http_request_t *r, llmgw_main_conf_t *lmcf,
    llmgw_reg_doc_t *doc, uint64_t expect, llmgw_registry_written_pt done)
{
    u_char               *p;
    size_t                size;
    ngx_int_t             rc;
    llmgw_redis_t        *redis;
    llmgw_reg_write_t    *w;
    ngx_pool_cleanup_t   *cln;

    redis = llmgw_registry_redis_conn(lmcf);
    if (redis == NULL) {
        return NGX_DECLINED;
    }

    size = sizeof("doc k  1     \n") + 6 * NGX_INT64_LEN
           + 2 * LLMGW_DIGEST_LEN + doc->id.len + doc->json.len;

    w = ngx_calloc(sizeof(llmgw_reg_write_t) + size, r->connection->log);
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (w == NULL || cln == NULL) {
        ngx_free(w);
        return NGX_ERROR;
    }

    w->line = (u_char *) &w[1];
    w->r = r;
    w->done = done;
    w->cmd.reply = llmgw_registry_redis_written;
    w->cmd.timeout = llmgw_registry_redis_write_timeout;

    doc->meta.version = expect + 1;
    p = llmgw_registry_line(doc, w->line, w->line + size);

    w->argv[0] = "EVAL";
    w->argv[1] = (char *) llmgw_registry_redis_cas.data;
    w->argv[2] = "2";
    w->argv[3] = LLMGW_REG_DOCS;
    w->argv[4] = LLMGW_REG_GEN;
    w->argv[5] = (char *) w->field;
    w->argv[6] = (char *) w->expect;
    w->argv[7] = (char *) w->line;
    w->argv[8] = (char *) w->base;

    w->argvlen[0] = 4;
    w->argvlen[1] = llmgw_registry_redis_cas.len;
    w->argvlen[2] = 1;
    w->argvlen[3] = sizeof(LLMGW_REG_DOCS) - 1;
    w->argvlen[4] = sizeof(LLMGW_REG_GEN) - 1;
    w->argvlen[5] = ngx_sprintf(w->field, "%c:%V", doc->meta.kind, &doc->id)
                    - w->field;
    w->argvlen[6] = ngx_sprintf(w->expect, "%uL", expect) - w->expect;
    w->argvlen[7] = p - w->line;
    w->argvlen[8] = ngx_sprintf(w->base, "%uL", doc->meta.base) - w->base;

    w->retry.handler = llmgw_registry_redis_retry;
    w->retry.data = w;
    w->retry.log = r->connection->log;
    w->deadline = ngx_current_msec + redis->timeout;

    rc = llmgw_redis_send(redis, &w->cmd, 9, w->argv, w->argvlen);

    if (rc == NGX_ERROR) {
        ngx_free(w);
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        /* a worker just started: its connection is on its way */
        ngx_add_timer(&w->retry, 20);
    }

    cln->handler = llmgw_registry_redis_detach;
    cln->data = w;

    return NGX_AGAIN;
}


static void
llmgw_registry_redis_retry(ngx_event_t *ev)
{
    llmgw_reg_write_t  *w = ev->data;

    ngx_int_t            rc;
    llmgw_redis_t       *redis;
    ngx_http_request_t  *r;

    r = w->r;
    redis = llmgw_registry_redis_conn(ngx_http_get_module_main_conf(r,
                                                     ngx_http_llmgw_module));

    rc = llmgw_redis_send(redis, &w->cmd, 9, w->argv, w->argvlen);

    if (rc == NGX_OK) {
        return;
    }

    if (rc == NGX_DECLINED
        && (ngx_msec_int_t) (w->deadline - ngx_current_msec) > 0)
    {
        ngx_add_timer(&w->retry, 20);
        return;
    }

    /* never sent: no reply will come */
    w->answered = 1;
    w->r = NULL;
    w->done(r, NGX_ERROR, 0);
}


static void
llmgw_registry_redis_written(llmgw_redis_cmd_t *cmd, redisReply *reply)
{
    llmgw_reg_write_t   *w = (llmgw_reg_write_t *) cmd;

    ngx_int_t            rc;
    uint64_t             current;
    ngx_http_request_t  *r;

    rc = NGX_ERROR;
    current = 0;

    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_INTEGER
        && reply->element[1]->type == REDIS_REPLY_INTEGER)
    {
        rc = reply->element[0]->integer ? NGX_OK : NGX_DECLINED;
        current = (uint64_t) reply->element[1]->integer;

    } else if (reply) {
        ngx_log_error(NGX_LOG_ERR, cmd->redis->log, 0, "redis %V: admin "
                      "write: unexpected reply of type %d",
                      &cmd->redis->name, reply->type);
    }

    llmgw_redis_cmd_cleanup(cmd);

    r = w->r;
    w->answered = 1;

    if (r) {
        /* the request's end frees it, now or later */
        w->r = NULL;
        w->done(r, rc, current);
        return;
    }

    if (w->detached) {
        ngx_free(w);
    }
}


/* no answer in time: the client hears so now, the reply comes later */

static void
llmgw_registry_redis_write_timeout(llmgw_redis_cmd_t *cmd)
{
    llmgw_reg_write_t   *w = (llmgw_reg_write_t *) cmd;

    ngx_http_request_t  *r;

    r = w->r;

    if (r) {
        w->r = NULL;
        w->done(r, NGX_ERROR, 0);
    }
}


static void
llmgw_registry_redis_detach(void *data)
{
    llmgw_reg_write_t  *w = data;

    if (w->retry.timer_set) {
        /* never sent: nothing will answer */
        ngx_del_timer(&w->retry);
        w->answered = 1;
    }

    w->r = NULL;
    w->detached = 1;

    if (w->answered) {
        ngx_free(w);
    }
}


/* the first worker of each node copies what Redis has into the zone */

ngx_int_t
llmgw_registry_redis_init_process(ngx_cycle_t *cycle,
    llmgw_main_conf_t *lmcf, ngx_msec_t interval)
{
    llmgw_reg_sync_t  *s;

    if (llmgw_registry_redis_conn(lmcf) == NULL || ngx_worker != 0
        || (ngx_process != NGX_PROCESS_WORKER
            && ngx_process != NGX_PROCESS_SINGLE))
    {
        return NGX_OK;
    }

    s = &llmgw_registry_redis_sync;
    ngx_memzero(s, sizeof(llmgw_reg_sync_t));

    s->lmcf = lmcf;
    s->interval = interval;
    s->gen = -1;
    s->cmd.reply = llmgw_registry_redis_synced;
    s->cmd.timeout = llmgw_registry_redis_sync_timeout;
    s->timer.handler = llmgw_registry_redis_tick;
    s->timer.data = s;
    s->timer.log = cycle->log;
    s->timer.cancelable = 1;

    ngx_add_timer(&s->timer, 100);

    return NGX_OK;
}


static void
llmgw_registry_redis_tick(ngx_event_t *ev)
{
    llmgw_reg_sync_t  *s = ev->data;

    const char        *argv[2];
    size_t             argvlen[2];
    llmgw_redis_t     *redis;

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    ngx_add_timer(&s->timer, s->interval);

    redis = llmgw_registry_redis_conn(s->lmcf);

    if (s->busy || redis == NULL) {
        return;
    }

    argv[0] = "GET";
    argv[1] = LLMGW_REG_GEN;
    argvlen[0] = 3;
    argvlen[1] = sizeof(LLMGW_REG_GEN) - 1;

    if (llmgw_redis_send(redis, &s->cmd, 2, argv, argvlen) == NGX_OK) {
        s->busy = 1;
        s->listing = 0;
    }
}


static void
llmgw_registry_redis_synced(llmgw_redis_cmd_t *cmd, redisReply *reply)
{
    llmgw_reg_sync_t  *s = (llmgw_reg_sync_t *) cmd;

    long long          gen;
    const char        *argv[2];
    size_t             argvlen[2];
    llmgw_redis_t     *redis;

    redis = cmd->redis;
    llmgw_redis_cmd_cleanup(cmd);
    s->busy = 0;

    if (reply == NULL) {
        return;
    }

    if (s->listing) {
        /* the generation counts as seen once its documents are in */
        if (reply->type == REDIS_REPLY_ARRAY) {
            llmgw_registry_redis_copy(s, reply);
            s->gen = s->listed;
        }

        return;
    }

    gen = 0;

    if (reply->type == REDIS_REPLY_STRING) {
        gen = strtoll(reply->str, NULL, 10);

    } else if (reply->type != REDIS_REPLY_NIL) {
        return;
    }

    if (gen == s->gen) {
        return;
    }

    argv[0] = "HGETALL";
    argv[1] = LLMGW_REG_DOCS;
    argvlen[0] = 7;
    argvlen[1] = sizeof(LLMGW_REG_DOCS) - 1;

    if (llmgw_redis_send(redis, &s->cmd, 2, argv, argvlen) == NGX_OK) {
        s->busy = 1;
        s->listing = 1;
        s->listed = gen;
    }
}


static void
llmgw_registry_redis_sync_timeout(llmgw_redis_cmd_t *cmd)
{
    /* the reply, when it comes, clears busy */
}


/* field, line, field, line...: each line newer than the zone's goes in */

static void
llmgw_registry_redis_copy(llmgw_reg_sync_t *s, redisReply *all)
{
    size_t       i;
    ngx_uint_t   n;
    redisReply  *v;

    n = 0;

    for (i = 1; i < all->elements; i += 2) {
        v = all->element[i];

        if (v->type != REDIS_REPLY_STRING) {
            continue;
        }

        if (llmgw_registry_restore(s->lmcf, (u_char *) v->str, v->len,
                                   NULL)
            == NGX_OK)
        {
            n++;
        }
    }

    if (n) {
        ngx_log_error(NGX_LOG_INFO, s->timer.log, 0,
                      "llmgw: %ui admin documents from redis", n);
    }
}
