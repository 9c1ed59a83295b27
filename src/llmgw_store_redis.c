/*
 * llmgw: the store on Redis (llmgw_store.h), for several nginx nodes.
 *
 * reserve() is one round trip: a Lua script, run atomically by Redis with
 * EVALSHA (EVAL once after a NOSCRIPT), checks every charge and then adds
 * them all, or refuses and adds nothing.  settle() adds the deltas to the
 * counters that still exist, without waiting; while Redis is away the
 * settlements wait in a bounded queue and are sent once it is back.
 *
 * Each command is an llmgw_store_redis_op_t holding a copy of its charges:
 * the waiting request may go away (cancel) or give up (timeout) before the
 * answer, which then finds no waiter.  A reservation answered that way is
 * released at once, since nobody will settle it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_sha1.h>

#include "llmgw_store.h"
#include "llmgw_redis.h"


#define LLMGW_STORE_REDIS_QUEUE  4096
#define LLMGW_STORE_REDIS_SHA    40


typedef enum {
    LLMGW_STORE_REDIS_RESERVE = 0,
    LLMGW_STORE_REDIS_SETTLE,
    LLMGW_STORE_REDIS_READ
} llmgw_store_redis_op_e;


typedef struct {
    u_char                    key[LLMGW_STORE_KEY_LEN];
    size_t                    key_len;
    int64_t                   limit;
    int64_t                   amount;     /* settle: the delta */
    time_t                    reset;
    int64_t                   used;
} llmgw_store_redis_charge_t;


typedef struct {
    llmgw_redis_t             redis;
    ngx_uint_t                max_queued;
    ngx_queue_t               queued;     /* settlements waiting for Redis */
    ngx_uint_t                nqueued;
    ngx_queue_t               waiting;    /* reservations and readings made
                                             before Redis was ready */
    ngx_uint_t                dropped;    /* the queue was full */
    ngx_uint_t                unconfirmed;
    ngx_uint_t                unanswered; /* reservations */
} llmgw_store_redis_t;


typedef struct {
    llmgw_redis_cmd_t         cmd;        /* first: the reply handler's */
    llmgw_store_redis_t      *store;
    llmgw_store_waiter_t     *waiter;     /* NULL: nobody waits */
    llmgw_store_redis_op_e    type;
    unsigned                  eval:1;
    unsigned                  waiting:1;
    ngx_event_t               wait;       /* bounds the wait for Redis */
    ngx_queue_t               queue;
    ngx_uint_t                n;
    llmgw_store_redis_charge_t  c[1];
} llmgw_store_redis_op_t;


static llmgw_store_rc_e llmgw_store_redis_start(llmgw_store_redis_op_t *op,
    llmgw_store_waiter_t *w);
static void llmgw_store_redis_wait_timeout(ngx_event_t *ev);
static llmgw_store_rc_e llmgw_store_redis_reserve(void *data,
    llmgw_store_waiter_t *w, ngx_uint_t *refused);
static void llmgw_store_redis_settle(void *data, llmgw_charge_t *c,
    int64_t *delta, ngx_uint_t n);
static llmgw_store_rc_e llmgw_store_redis_read(void *data,
    llmgw_store_waiter_t *w);
static void llmgw_store_redis_cancel(void *data, llmgw_store_waiter_t *w);

static llmgw_store_redis_op_t *llmgw_store_redis_op(
    llmgw_store_redis_t *store, llmgw_store_redis_op_e type,
    ngx_uint_t n);
static void llmgw_store_redis_free(llmgw_store_redis_op_t *op);
static ngx_int_t llmgw_store_redis_send(llmgw_store_redis_op_t *op);
static void llmgw_store_redis_queue(llmgw_store_redis_op_t *op);
static void llmgw_store_redis_release(llmgw_store_redis_op_t *op);

static void llmgw_store_redis_reply(llmgw_redis_cmd_t *cmd,
    redisReply *reply);
static void llmgw_store_redis_timeout(llmgw_redis_cmd_t *cmd);
static llmgw_store_rc_e llmgw_store_redis_reserved(llmgw_store_redis_op_t *op,
    redisReply *reply, ngx_uint_t *refused);
static llmgw_store_rc_e llmgw_store_redis_values(llmgw_store_redis_op_t *op,
    redisReply *reply);
static void llmgw_store_redis_settled(llmgw_store_redis_op_t *op,
    redisReply *reply);
static void llmgw_store_redis_answer(llmgw_store_redis_op_t *op,
    llmgw_store_rc_e rc, ngx_uint_t refused);
static ngx_int_t llmgw_store_redis_int(redisReply *r, int64_t *v);
static void llmgw_store_redis_ready(llmgw_redis_t *redis);
static void llmgw_store_redis_send_waiting(llmgw_store_redis_t *store);
static void llmgw_store_redis_flush(llmgw_store_redis_t *store);


const llmgw_store_ops_t  llmgw_store_redis_ops = {
    ngx_string("redis"),
    llmgw_store_redis_reserve,
    llmgw_store_redis_settle,
    llmgw_store_redis_read,
    llmgw_store_redis_cancel
};


/*
 * KEYS: the counters; ARGV: limit, amount, reset of each.  Refused:
 * {0, which (from 1), the counters as they stand}; reserved: {1, the
 * counters after}.  A counter gets its expiry when it has none (it is new).
 */

static ngx_str_t  llmgw_store_redis_reserve_lua = ngx_string(
    "local n = #KEYS\n"
    "local cur = redis.call('MGET', unpack(KEYS))\n"
    "local add = {}\n"
    "for i = 1, n do\n"
    "  local k = KEYS[i]\n"
    "  local a = tonumber(ARGV[3 * i - 1])\n"
    "  local u = (tonumber(cur[i]) or 0) + (add[k] or 0)\n"
    "  if u + a > tonumber(ARGV[3 * i - 2]) then\n"
    "    local r = {0, i}\n"
    "    for j = 1, n do r[j + 2] = cur[j] or '0' end\n"
    "    return r\n"
    "  end\n"
    "  add[k] = (add[k] or 0) + a\n"
    "end\n"
    "local r = {1}\n"
    "for i = 1, n do\n"
    "  local k = KEYS[i]\n"
    "  r[i + 1] = redis.call('INCRBY', k, ARGV[3 * i - 1])\n"
    "  if tonumber(ARGV[3 * i]) > 0 and redis.call('TTL', k) == -1 then\n"
    "    redis.call('EXPIREAT', k, ARGV[3 * i])\n"
    "  end\n"
    "end\n"
    "return r\n");

/* KEYS: the counters; ARGV: the deltas.  A counter that has expired (its
 * window ended) stays gone; none goes below zero. */

static ngx_str_t  llmgw_store_redis_settle_lua = ngx_string(
    "for i = 1, #KEYS do\n"
    "  if redis.call('EXISTS', KEYS[i]) == 1 then\n"
    "    local v = redis.call('INCRBY', KEYS[i], ARGV[i])\n"
    "    if v < 0 then redis.call('DECRBY', KEYS[i], v) end\n"
    "  end\n"
    "end\n"
    "return #KEYS\n");

static u_char  llmgw_store_redis_reserve_sha[LLMGW_STORE_REDIS_SHA];
static u_char  llmgw_store_redis_settle_sha[LLMGW_STORE_REDIS_SHA];


/* configuration and process hooks */

char *
llmgw_store_redis_conf(ngx_conf_t *cf, ngx_str_t *args, ngx_uint_t nargs,
    void **store)
{
    ngx_int_t             rc, n;
    ngx_uint_t            i;
    ngx_sha1_t            sha1;
    llmgw_store_redis_t  *s;
    u_char                digest[20];

    if (nargs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "redis address missing");
        return NGX_CONF_ERROR;
    }

    s = ngx_pcalloc(cf->pool, sizeof(llmgw_store_redis_t));
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    if (llmgw_redis_conf_address(cf, &s->redis, &args[0]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    s->max_queued = LLMGW_STORE_REDIS_QUEUE;

    for (i = 1; i < nargs; i++) {

        rc = llmgw_redis_conf_param(cf, &s->redis, &args[i]);

        if (rc == NGX_OK) {
            continue;
        }

        if (rc == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        if (ngx_strncmp(args[i].data, "queue=", 6) == 0) {
            n = ngx_atoi(args[i].data + 6, args[i].len - 6);
            if (n == NGX_ERROR) {
                goto invalid;
            }

            s->max_queued = n;
            continue;
        }

        goto invalid;
    }

    llmgw_redis_conf_done(&s->redis);

    s->redis.ready = llmgw_store_redis_ready;
    s->redis.data = s;
    s->redis.log = cf->cycle->log;

    ngx_queue_init(&s->queued);
    ngx_queue_init(&s->waiting);

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, llmgw_store_redis_reserve_lua.data,
                    llmgw_store_redis_reserve_lua.len);
    ngx_sha1_final(digest, &sha1);
    ngx_hex_dump(llmgw_store_redis_reserve_sha, digest, 20);

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, llmgw_store_redis_settle_lua.data,
                    llmgw_store_redis_settle_lua.len);
    ngx_sha1_final(digest, &sha1);
    ngx_hex_dump(llmgw_store_redis_settle_sha, digest, 20);

    *store = s;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid redis parameter \"%V\"", &args[i]);
    return NGX_CONF_ERROR;
}


/* its connection, for the admin registry's own commands */

llmgw_redis_t *
llmgw_store_redis_conn(void *data)
{
    llmgw_store_redis_t  *store = data;

    return &store->redis;
}


ngx_int_t
llmgw_store_redis_init_process(ngx_cycle_t *cycle, void *data)
{
    llmgw_store_redis_t  *store = data;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    return llmgw_redis_init_worker(&store->redis, cycle);
}


void
llmgw_store_redis_exit_process(ngx_cycle_t *cycle, void *data)
{
    llmgw_store_redis_t  *store = data;

    ngx_queue_t             *q;
    llmgw_store_redis_op_t  *op;

    llmgw_redis_exit_worker(&store->redis);

    if (store->nqueued || store->unconfirmed || store->dropped
        || store->unanswered)
    {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0, "redis %V: the worker "
                      "exits with %ui settlements unsent, %ui unconfirmed, "
                      "%ui dropped, and %ui reservations unanswered",
                      &store->redis.name, store->nqueued, store->unconfirmed,
                      store->dropped, store->unanswered);
    }

    while (!ngx_queue_empty(&store->queued)) {
        q = ngx_queue_head(&store->queued);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, llmgw_store_redis_op_t, queue);
        llmgw_store_redis_free(op);
    }

    store->nqueued = 0;
}


/* the operations */

static llmgw_store_rc_e
llmgw_store_redis_reserve(void *data, llmgw_store_waiter_t *w,
    ngx_uint_t *refused)
{
    llmgw_store_redis_t  *store = data;

    ngx_uint_t               i;
    llmgw_charge_t          *c;
    llmgw_store_redis_op_t  *op;

    if (w->n == 0) {
        return LLMGW_STORE_OK;
    }

    op = llmgw_store_redis_op(store, LLMGW_STORE_REDIS_RESERVE, w->n);
    if (op == NULL) {
        return LLMGW_STORE_UNAVAILABLE;
    }

    for (i = 0; i < w->n; i++) {
        c = &w->charges[i];

        op->c[i].key_len = ngx_min(c->key_len, LLMGW_STORE_KEY_LEN);
        ngx_memcpy(op->c[i].key, c->key, op->c[i].key_len);
        op->c[i].limit = c->limit;
        op->c[i].amount = c->amount;
        op->c[i].reset = c->reset;
    }

    return llmgw_store_redis_start(op, w);
}


/*
 * Sends the op, or, while the connection is being made (a worker that just
 * started, a reconnect), holds it until Redis is ready, for at most the
 * command timeout.
 */

static llmgw_store_rc_e
llmgw_store_redis_start(llmgw_store_redis_op_t *op, llmgw_store_waiter_t *w)
{
    llmgw_store_redis_t  *store = op->store;

    if (store->redis.connected) {
        if (llmgw_store_redis_send(op) != NGX_OK) {
            llmgw_store_redis_free(op);
            return LLMGW_STORE_UNAVAILABLE;
        }

    } else {
        if (store->redis.ac == NULL && !store->redis.reconnect.timer_set) {
            /* not even trying: the worker is exiting */
            llmgw_store_redis_free(op);
            return LLMGW_STORE_UNAVAILABLE;
        }

        op->waiting = 1;
        op->wait.handler = llmgw_store_redis_wait_timeout;
        op->wait.data = op;
        op->wait.log = store->redis.log;
        ngx_add_timer(&op->wait, store->redis.timeout);
        ngx_queue_insert_tail(&store->waiting, &op->queue);
    }

    op->waiter = w;
    w->backend = op;

    return LLMGW_STORE_AGAIN;
}


static void
llmgw_store_redis_wait_timeout(ngx_event_t *ev)
{
    llmgw_store_redis_op_t  *op = ev->data;

    llmgw_store_waiter_t  *w;

    ngx_queue_remove(&op->queue);

    ngx_log_error(NGX_LOG_WARN, op->store->redis.log, NGX_ETIMEDOUT,
                  "redis %V: not connected within %M ms",
                  &op->store->redis.name, op->store->redis.timeout);

    w = op->waiter;
    llmgw_store_redis_free(op);

    if (w) {
        w->backend = NULL;
        w->done(w->data, LLMGW_STORE_UNAVAILABLE, 0);
    }
}


static void
llmgw_store_redis_settle(void *data, llmgw_charge_t *c, int64_t *delta,
    ngx_uint_t n)
{
    llmgw_store_redis_t  *store = data;

    ngx_uint_t               i, k;
    llmgw_store_redis_op_t  *op;

    for (i = 0, k = 0; i < n; i++) {
        if (delta[i]) {
            k++;
        }
    }

    if (k == 0) {
        return;
    }

    op = llmgw_store_redis_op(store, LLMGW_STORE_REDIS_SETTLE, k);
    if (op == NULL) {
        store->dropped++;
        return;
    }

    for (i = 0, k = 0; i < n; i++) {
        if (delta[i] == 0) {
            continue;
        }

        op->c[k].key_len = ngx_min(c[i].key_len, LLMGW_STORE_KEY_LEN);
        ngx_memcpy(op->c[k].key, c[i].key, op->c[k].key_len);
        op->c[k].amount = delta[i];
        k++;
    }

    if (llmgw_store_redis_send(op) != NGX_OK) {
        llmgw_store_redis_queue(op);
        return;
    }

    if (store->nqueued) {
        llmgw_store_redis_flush(store);
    }
}


static llmgw_store_rc_e
llmgw_store_redis_read(void *data, llmgw_store_waiter_t *w)
{
    llmgw_store_redis_t  *store = data;

    ngx_uint_t               i;
    llmgw_store_redis_op_t  *op;

    if (w->n == 0) {
        return LLMGW_STORE_OK;
    }

    op = llmgw_store_redis_op(store, LLMGW_STORE_REDIS_READ, w->n);
    if (op == NULL) {
        return LLMGW_STORE_UNAVAILABLE;
    }

    for (i = 0; i < w->n; i++) {
        op->c[i].key_len = ngx_min(w->charges[i].key_len,
                                   LLMGW_STORE_KEY_LEN);
        ngx_memcpy(op->c[i].key, w->charges[i].key, op->c[i].key_len);
    }

    return llmgw_store_redis_start(op, w);
}


static void
llmgw_store_redis_cancel(void *data, llmgw_store_waiter_t *w)
{
    llmgw_store_redis_op_t  *op;

    op = w->backend;

    if (op == NULL) {
        return;
    }

    w->backend = NULL;
    op->waiter = NULL;

    if (op->waiting) {
        /* never sent: nothing to undo */
        ngx_queue_remove(&op->queue);
        llmgw_store_redis_free(op);
    }
}


/* commands */

static llmgw_store_redis_op_t *
llmgw_store_redis_op(llmgw_store_redis_t *store, llmgw_store_redis_op_e type,
    ngx_uint_t n)
{
    llmgw_store_redis_op_t  *op;

    op = ngx_calloc(sizeof(llmgw_store_redis_op_t)
                    + (n - 1) * sizeof(llmgw_store_redis_charge_t),
                    store->redis.log);
    if (op == NULL) {
        return NULL;
    }

    op->cmd.reply = llmgw_store_redis_reply;
    op->cmd.timeout = llmgw_store_redis_timeout;
    op->store = store;
    op->type = type;
    op->n = n;

    return op;
}


static void
llmgw_store_redis_free(llmgw_store_redis_op_t *op)
{
    if (op->wait.timer_set) {
        ngx_del_timer(&op->wait);
    }

    llmgw_redis_cmd_cleanup(&op->cmd);
    ngx_free(op);
}


/*
 * EVALSHA sha|EVAL script n key... arg..., or MGET key...: the strings
 * are copied by hiredis into its output buffer.
 */

static ngx_int_t
llmgw_store_redis_send(llmgw_store_redis_op_t *op)
{
    int                          argc, total;
    u_char                      *p, *block;
    size_t                      *argvlen;
    ngx_int_t                    rc;
    ngx_str_t                   *script;
    ngx_uint_t                   i, nargs;
    const char                 **argv;
    llmgw_store_redis_charge_t  *c;

    switch (op->type) {

    case LLMGW_STORE_REDIS_RESERVE:
        nargs = 3;
        script = &llmgw_store_redis_reserve_lua;
        p = llmgw_store_redis_reserve_sha;
        break;

    case LLMGW_STORE_REDIS_SETTLE:
        nargs = 1;
        script = &llmgw_store_redis_settle_lua;
        p = llmgw_store_redis_settle_sha;
        break;

    default: /* LLMGW_STORE_REDIS_READ */
        nargs = 0;
        script = NULL;
        p = NULL;
    }

    total = (script ? 3 : 1) + op->n * (1 + nargs);

    block = ngx_alloc(total * (sizeof(char *) + sizeof(size_t))
                      + (1 + op->n * nargs) * NGX_INT64_LEN,
                      op->store->redis.log);
    if (block == NULL) {
        return NGX_ERROR;
    }

    argv = (const char **) block;
    argvlen = (size_t *) (block + total * sizeof(char *));
    argc = 0;

    if (script == NULL) {
        argv[argc] = "MGET";
        argvlen[argc++] = 4;

    } else if (op->eval) {
        argv[argc] = "EVAL";
        argvlen[argc++] = 4;
        argv[argc] = (char *) script->data;
        argvlen[argc++] = script->len;

    } else {
        argv[argc] = "EVALSHA";
        argvlen[argc++] = 7;
        argv[argc] = (char *) p;
        argvlen[argc++] = LLMGW_STORE_REDIS_SHA;
    }

    p = (u_char *) (argvlen + total);

    if (script) {
        argv[argc] = (char *) p;
        p = ngx_sprintf(p, "%ui", op->n);
        argvlen[argc] = p - (u_char *) argv[argc];
        argc++;
    }

    for (i = 0; i < op->n; i++) {
        argv[argc] = (char *) op->c[i].key;
        argvlen[argc++] = op->c[i].key_len;
    }

    for (i = 0; i < op->n && nargs; i++) {
        c = &op->c[i];

        if (nargs == 3) {
            argv[argc] = (char *) p;
            p = ngx_sprintf(p, "%L", c->limit);
            argvlen[argc] = p - (u_char *) argv[argc];
            argc++;
        }

        argv[argc] = (char *) p;
        p = ngx_sprintf(p, "%L", c->amount);
        argvlen[argc] = p - (u_char *) argv[argc];
        argc++;

        if (nargs == 3) {
            argv[argc] = (char *) p;
            p = ngx_sprintf(p, "%T", c->reset > 0 ? c->reset : 0);
            argvlen[argc] = p - (u_char *) argv[argc];
            argc++;
        }
    }

    rc = llmgw_redis_send(&op->store->redis, &op->cmd, argc, argv, argvlen);

    ngx_free(block);

    return rc;
}


static void
llmgw_store_redis_queue(llmgw_store_redis_op_t *op)
{
    llmgw_store_redis_t  *store = op->store;

    if (store->nqueued >= store->max_queued) {
        if (store->dropped++ == 0) {
            ngx_log_error(NGX_LOG_ERR, store->redis.log, 0,
                          "redis %V: settlement queue full (%ui), dropping "
                          "settlements", &store->redis.name,
                          store->max_queued);
        }

        llmgw_store_redis_free(op);
        return;
    }

    llmgw_redis_cmd_cleanup(&op->cmd);

    ngx_queue_insert_tail(&store->queued, &op->queue);
    store->nqueued++;
}


/* a reservation answered after its request went away */

static void
llmgw_store_redis_release(llmgw_store_redis_op_t *op)
{
    ngx_uint_t  i;

    ngx_log_error(NGX_LOG_INFO, op->store->redis.log, 0,
                  "redis %V: releasing a reservation answered late",
                  &op->store->redis.name);

    llmgw_redis_cmd_cleanup(&op->cmd);

    op->type = LLMGW_STORE_REDIS_SETTLE;
    op->eval = 0;

    for (i = 0; i < op->n; i++) {
        op->c[i].amount = -op->c[i].amount;
    }

    if (llmgw_store_redis_send(op) != NGX_OK) {
        llmgw_store_redis_queue(op);
    }
}


static void
llmgw_store_redis_reply(llmgw_redis_cmd_t *cmd, redisReply *reply)
{
    llmgw_store_redis_op_t  *op = (llmgw_store_redis_op_t *) cmd;

    ngx_uint_t        refused;
    llmgw_store_rc_e  rc;

    if (reply
        && reply->type == REDIS_REPLY_ERROR
        && op->type != LLMGW_STORE_REDIS_READ
        && !op->eval
        && reply->len >= 8
        && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
    {
        op->eval = 1;

        if (llmgw_store_redis_send(op) == NGX_OK) {
            return;
        }

        reply = NULL;
    }

    switch (op->type) {

    case LLMGW_STORE_REDIS_RESERVE:
        refused = 0;
        rc = llmgw_store_redis_reserved(op, reply, &refused);

        if (op->waiter == NULL && rc == LLMGW_STORE_OK) {
            llmgw_store_redis_release(op);
            return;
        }

        if (reply == NULL
            && (op->store->redis.dropped || op->store->redis.exiting))
        {
            op->store->unanswered++;
        }

        llmgw_store_redis_answer(op, rc, refused);
        return;

    case LLMGW_STORE_REDIS_SETTLE:
        llmgw_store_redis_settled(op, reply);
        return;

    default: /* LLMGW_STORE_REDIS_READ */
        rc = llmgw_store_redis_values(op, reply);
        llmgw_store_redis_answer(op, rc, 0);
        return;
    }
}


static void
llmgw_store_redis_timeout(llmgw_redis_cmd_t *cmd)
{
    llmgw_store_redis_op_t  *op = (llmgw_store_redis_op_t *) cmd;

    llmgw_store_waiter_t  *w;

    w = op->waiter;

    if (w == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, op->store->redis.log, NGX_ETIMEDOUT,
                  "redis %V: no answer in %M ms", &op->store->redis.name,
                  op->store->redis.timeout);

    op->waiter = NULL;
    w->backend = NULL;

    w->done(w->data, LLMGW_STORE_UNAVAILABLE, 0);
}


/* frees the op first: the waiter's handler may do anything */

static void
llmgw_store_redis_answer(llmgw_store_redis_op_t *op, llmgw_store_rc_e rc,
    ngx_uint_t refused)
{
    ngx_uint_t             i, exiting;
    llmgw_store_waiter_t  *w;

    w = op->waiter;
    exiting = op->store->redis.exiting;

    if (w) {
        if (rc != LLMGW_STORE_UNAVAILABLE) {
            for (i = 0; i < op->n; i++) {
                w->charges[i].used = op->c[i].used;
            }
        }

        w->backend = NULL;
    }

    llmgw_store_redis_free(op);

    if (w && !exiting) {
        w->done(w->data, rc, refused);
    }
}


static llmgw_store_rc_e
llmgw_store_redis_reserved(llmgw_store_redis_op_t *op, redisReply *reply,
    ngx_uint_t *refused)
{
    int64_t      v;
    ngx_uint_t   i, first;
    redisReply  *e;

    if (reply == NULL) {
        return LLMGW_STORE_UNAVAILABLE;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, op->store->redis.log, 0,
                      "redis %V: reserve: %*s", &op->store->redis.name,
                      (size_t) reply->len, reply->str);
        return LLMGW_STORE_UNAVAILABLE;
    }

    if (reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
    {
        goto invalid;
    }

    first = reply->element[0]->integer ? 1 : 2;

    if (reply->elements != first + op->n) {
        goto invalid;
    }

    for (i = 0; i < op->n; i++) {
        e = reply->element[first + i];

        if (llmgw_store_redis_int(e, &op->c[i].used) != NGX_OK) {
            goto invalid;
        }
    }

    if (first == 1) {
        return LLMGW_STORE_OK;
    }

    if (llmgw_store_redis_int(reply->element[1], &v) != NGX_OK
        || v < 1 || (uint64_t) v > op->n)
    {
        goto invalid;
    }

    *refused = v - 1;

    return LLMGW_STORE_REFUSED;

invalid:

    ngx_log_error(NGX_LOG_ERR, op->store->redis.log, 0,
                  "redis %V: unexpected answer to a reservation",
                  &op->store->redis.name);

    return LLMGW_STORE_UNAVAILABLE;
}


static llmgw_store_rc_e
llmgw_store_redis_values(llmgw_store_redis_op_t *op, redisReply *reply)
{
    ngx_uint_t  i;

    if (reply == NULL) {
        return LLMGW_STORE_UNAVAILABLE;
    }

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == op->n) {

        for (i = 0; i < op->n; i++) {
            if (llmgw_store_redis_int(reply->element[i], &op->c[i].used)
                != NGX_OK)
            {
                goto invalid;
            }
        }

        return LLMGW_STORE_OK;
    }

invalid:

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, op->store->redis.log, 0,
                      "redis %V: read: %*s", &op->store->redis.name,
                      (size_t) reply->len, reply->str);

    } else {
        ngx_log_error(NGX_LOG_ERR, op->store->redis.log, 0,
                      "redis %V: unexpected answer to a read",
                      &op->store->redis.name);
    }

    return LLMGW_STORE_UNAVAILABLE;
}


static void
llmgw_store_redis_settled(llmgw_store_redis_op_t *op, redisReply *reply)
{
    llmgw_store_redis_t  *store = op->store;

    if (reply == NULL) {

        /*
         * The connection failed under it: Redis went away, most likely
         * before running it, so it is sent again.  When we closed the
         * connection ourselves because Redis stopped answering, Redis may
         * still run it: it is not sent twice.
         */

        if (!store->redis.dropped && !store->redis.exiting) {
            llmgw_store_redis_queue(op);
            return;
        }

        store->unconfirmed++;

    } else if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, store->redis.log, 0,
                      "redis %V: settle: %*s", &store->redis.name,
                      (size_t) reply->len, reply->str);
    }

    llmgw_store_redis_free(op);
}


static ngx_int_t
llmgw_store_redis_int(redisReply *r, int64_t *v)
{
    off_t       n;
    ngx_uint_t  neg;

    switch (r->type) {

    case REDIS_REPLY_INTEGER:
        *v = r->integer;
        return NGX_OK;

    case REDIS_REPLY_NIL:
        *v = 0;
        return NGX_OK;

    case REDIS_REPLY_STRING:
        neg = (r->len > 0 && r->str[0] == '-');

        n = ngx_atoof((u_char *) r->str + neg, r->len - neg);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *v = neg ? -n : n;
        return NGX_OK;

    default:
        return NGX_ERROR;
    }
}


/* connected again: what waited goes now */

static void
llmgw_store_redis_ready(llmgw_redis_t *redis)
{
    llmgw_store_redis_t  *store = redis->data;

    if (store->dropped || store->unconfirmed || store->unanswered) {
        ngx_log_error(NGX_LOG_WARN, redis->log, 0, "redis %V: while it was "
                      "away, %ui settlements were dropped (queue full), "
                      "%ui were sent but not confirmed, and %ui reservations "
                      "were never answered (they may stay until their "
                      "window ends)", &redis->name, store->dropped,
                      store->unconfirmed, store->unanswered);

        store->dropped = 0;
        store->unconfirmed = 0;
        store->unanswered = 0;
    }

    llmgw_store_redis_send_waiting(store);

    if (store->nqueued) {
        ngx_log_error(NGX_LOG_NOTICE, redis->log, 0,
                      "redis %V: sending %ui queued settlements",
                      &redis->name, store->nqueued);

        llmgw_store_redis_flush(store);
    }
}


/* what requests asked while Redis was not ready */

static void
llmgw_store_redis_send_waiting(llmgw_store_redis_t *store)
{
    ngx_queue_t             *q;
    llmgw_store_waiter_t    *w;
    llmgw_store_redis_op_t  *op;

    while (!ngx_queue_empty(&store->waiting)) {
        q = ngx_queue_head(&store->waiting);
        op = ngx_queue_data(q, llmgw_store_redis_op_t, queue);

        ngx_queue_remove(q);
        op->waiting = 0;

        if (op->wait.timer_set) {
            ngx_del_timer(&op->wait);
        }

        if (llmgw_store_redis_send(op) == NGX_OK) {
            continue;
        }

        w = op->waiter;
        llmgw_store_redis_free(op);

        if (w) {
            w->backend = NULL;
            w->done(w->data, LLMGW_STORE_UNAVAILABLE, 0);
        }
    }
}


static void
llmgw_store_redis_flush(llmgw_store_redis_t *store)
{
    ngx_queue_t             *q;
    llmgw_store_redis_op_t  *op;

    while (!ngx_queue_empty(&store->queued)) {
        q = ngx_queue_head(&store->queued);
        op = ngx_queue_data(q, llmgw_store_redis_op_t, queue);

        if (llmgw_store_redis_send(op) != NGX_OK) {
            return;
        }

        ngx_queue_remove(q);
        store->nqueued--;
    }
}
