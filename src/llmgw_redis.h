/*
 * llmgw: one Redis connection per worker, driven by nginx's event loop
 * through hiredis's asynchronous API (DESIGN.md, "State: the store").
 *
 * Nothing here blocks: the address is resolved at configuration time, the
 * connection is made and remade (with backoff) from timers, and every
 * command is bounded by a timer because hiredis 0.14 has no timeouts.
 */

#ifndef _LLMGW_REDIS_H_INCLUDED_
#define _LLMGW_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


typedef struct llmgw_redis_s      llmgw_redis_t;
typedef struct llmgw_redis_cmd_s  llmgw_redis_cmd_t;

/* the reply, or NULL when the connection went away first */
typedef void (*llmgw_redis_reply_pt)(llmgw_redis_cmd_t *cmd,
    redisReply *reply);
/* no reply within the timeout: reply() still comes, later */
typedef void (*llmgw_redis_timeout_pt)(llmgw_redis_cmd_t *cmd);
typedef void (*llmgw_redis_ready_pt)(llmgw_redis_t *redis);


/*
 * A command in flight.  Its owner zeroes it, sets the handlers, sends it,
 * and frees it (after llmgw_redis_cmd_cleanup) in reply(), unless it sends
 * it again from there.
 */
struct llmgw_redis_cmd_s {
    llmgw_redis_t            *redis;
    llmgw_redis_reply_pt      reply;
    llmgw_redis_timeout_pt    timeout;
    ngx_event_t               timer;
    ngx_queue_t               queue;      /* redis->inflight, in order */
    ngx_msec_t                sent;
};


struct llmgw_redis_s {
    ngx_str_t                 name;       /* the address, for logs */
    u_char                   *host;       /* numeric, or NULL */
    int                       port;
    u_char                   *path;       /* unix socket, or NULL */
    ngx_msec_t                timeout;    /* each command */
    ngx_msec_t                stall;      /* connecting; a silent server */
    ngx_int_t                 db;
    ngx_str_t                 user;
    ngx_str_t                 password;

    llmgw_redis_ready_pt      ready;      /* connected and authenticated */
    void                     *data;

    /* per worker */
    ngx_log_t                *log;
    redisAsyncContext        *ac;
    ngx_connection_t         *conn;
    ngx_event_t               reconnect;
    ngx_event_t               connect_timer;
    ngx_event_t               watchdog;
    ngx_msec_t                backoff;
    ngx_queue_t               inflight;
    u_char                   *out;        /* the command being formatted */
    size_t                    out_size;
    size_t                    out_len;

    unsigned                  connected:1;  /* handshake answered */
    unsigned                  dropped:1;    /* we closed it: see below */
    unsigned                  writing:1;
    unsigned                  exiting:1;
};

/*
 * "dropped" is set while the commands of a connection that we closed
 * ourselves (the server stopped answering) are failed: the server may
 * still run them.  When it is clear, the connection failed on its own.
 */


/* the address first (it resets *redis), then each parameter; param()
 * returns NGX_DECLINED for what it does not know */
ngx_int_t llmgw_redis_conf_address(ngx_conf_t *cf, llmgw_redis_t *redis,
    ngx_str_t *addr);
ngx_int_t llmgw_redis_conf_param(ngx_conf_t *cf, llmgw_redis_t *redis,
    ngx_str_t *value);
void llmgw_redis_conf_done(llmgw_redis_t *redis);

ngx_int_t llmgw_redis_init_worker(llmgw_redis_t *redis, ngx_cycle_t *cycle);
void llmgw_redis_exit_worker(llmgw_redis_t *redis);
ngx_int_t llmgw_redis_send(llmgw_redis_t *redis, llmgw_redis_cmd_t *cmd,
    int argc, const char **argv, const size_t *argvlen);
void llmgw_redis_cmd_cleanup(llmgw_redis_cmd_t *cmd);


/* the store on Redis (llmgw_store_redis.c), for the module's directive
 * "llmgw_store redis ADDRESS [timeout=T] [db=N] [user=U] [password=P]
 * [queue=N]" and its process hooks */
char *llmgw_store_redis_conf(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs, void **store);
ngx_int_t llmgw_store_redis_init_process(ngx_cycle_t *cycle, void *store);
llmgw_redis_t *llmgw_store_redis_conn(void *store);
void llmgw_store_redis_exit_process(ngx_cycle_t *cycle, void *store);


#endif /* _LLMGW_REDIS_H_INCLUDED_ */
