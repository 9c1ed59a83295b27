/*
 * llmgw: hiredis's asynchronous API on nginx's event loop.
 *
 * The socket hiredis opens is wrapped in an ngx_connection_t; hiredis asks
 * for reads and writes through its ev hooks and is called back from the
 * connection's event handlers.  hiredis owns the socket: it closes it in
 * redisFree(), right after calling our cleanup hook, which gives the
 * ngx_connection_t back without closing anything.
 *
 * The connection is ready once its handshake ([AUTH] [SELECT] PING) is
 * answered.  A connection that fails is remade from a timer, with backoff;
 * one whose server stops answering for "stall" milliseconds is closed and
 * remade.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/sds.h>

#include "llmgw_redis.h"


#define LLMGW_REDIS_PORT         6379
#define LLMGW_REDIS_TIMEOUT      200
#define LLMGW_REDIS_STALL_MIN    3000
#define LLMGW_REDIS_BACKOFF_MIN  100
#define LLMGW_REDIS_BACKOFF_MAX  2000
#define LLMGW_REDIS_SECRET_MAX   4096


static ngx_int_t llmgw_redis_conf_secret(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *out);

static void llmgw_redis_connect(llmgw_redis_t *redis);
static void llmgw_redis_handshake(llmgw_redis_t *redis);
static void llmgw_redis_on_connect(const redisAsyncContext *ac, int status);
static void llmgw_redis_on_handshake(redisAsyncContext *ac, void *r,
    void *privdata);
static ngx_int_t llmgw_redis_format(llmgw_redis_t *redis, int argc,
    const char **argv, const size_t *argvlen);
static void llmgw_redis_on_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void llmgw_redis_drop(llmgw_redis_t *redis);
static void llmgw_redis_schedule(llmgw_redis_t *redis);

static void llmgw_redis_reconnect_handler(ngx_event_t *ev);
static void llmgw_redis_connect_timeout(ngx_event_t *ev);
static void llmgw_redis_cmd_timeout(ngx_event_t *ev);
static void llmgw_redis_watchdog(ngx_event_t *ev);
static void llmgw_redis_read_handler(ngx_event_t *rev);
static void llmgw_redis_write_handler(ngx_event_t *wev);

static ngx_uint_t llmgw_redis_event_flags(void);
static void llmgw_redis_add_read(void *data);
static void llmgw_redis_del_read(void *data);
static void llmgw_redis_add_write(void *data);
static void llmgw_redis_del_write(void *data);
static void llmgw_redis_cleanup(void *data);


static ngx_str_t  llmgw_redis_auth = ngx_string("AUTH");
static ngx_str_t  llmgw_redis_select = ngx_string("SELECT");
static ngx_str_t  llmgw_redis_ping = ngx_string("PING");


/* configuration */

ngx_int_t
llmgw_redis_conf_address(ngx_conf_t *cf, llmgw_redis_t *redis,
    ngx_str_t *addr)
{
    u_char     *p;
    size_t      len;
    ngx_url_t   u;
    u_char      text[NGX_SOCKADDR_STRLEN];

    ngx_memzero(redis, sizeof(llmgw_redis_t));

    redis->name = *addr;
    redis->timeout = NGX_CONF_UNSET_MSEC;

    if (addr->len > 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {
        len = addr->len - 5;

        if (len >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "redis socket path \"%V\" is too long", addr);
            return NGX_ERROR;
        }

        redis->path = ngx_pnalloc(cf->pool, len + 1);
        if (redis->path == NULL) {
            return NGX_ERROR;
        }

        ngx_cpystrn(redis->path, addr->data + 5, len + 1);
        return NGX_OK;
    }

    /* a name is resolved here, once: hiredis would resolve it with a
     * blocking name lookup in the worker at every connection */

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = *addr;
    u.default_port = LLMGW_REDIS_PORT;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s in redis address \"%V\"",
                           u.err ? u.err : "error", addr);
        return NGX_ERROR;
    }

    if (u.uri.len || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid redis address \"%V\"", addr);
        return NGX_ERROR;
    }

    if (u.naddrs > 1) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0, "redis address \"%V\" has "
                           "several addresses, using %V",
                           addr, &u.addrs[0].name);
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text,
                        NGX_SOCKADDR_STRLEN, 0);

    p = ngx_pnalloc(cf->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(p, text, len + 1);

    redis->host = p;
    redis->port = ngx_inet_get_port(u.addrs[0].sockaddr);

    return NGX_OK;
}


/* NGX_OK: taken; NGX_DECLINED: not a connection parameter */

ngx_int_t
llmgw_redis_conf_param(ngx_conf_t *cf, llmgw_redis_t *redis,
    ngx_str_t *value)
{
    ngx_str_t  s;

    if (ngx_strncmp(value->data, "timeout=", 8) == 0) {
        s.len = value->len - 8;
        s.data = value->data + 8;

        redis->timeout = ngx_parse_time(&s, 0);
        if (redis->timeout == (ngx_msec_t) NGX_ERROR || redis->timeout == 0) {
            goto invalid;
        }

        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "db=", 3) == 0) {
        redis->db = ngx_atoi(value->data + 3, value->len - 3);
        if (redis->db == NGX_ERROR) {
            goto invalid;
        }

        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "user=", 5) == 0) {
        redis->user.len = value->len - 5;
        redis->user.data = value->data + 5;

        if (redis->user.len == 0) {
            goto invalid;
        }

        return NGX_OK;
    }

    if (ngx_strncmp(value->data, "password=", 9) == 0) {
        s.len = value->len - 9;
        s.data = value->data + 9;

        return llmgw_redis_conf_secret(cf, &s, &redis->password);
    }

    return NGX_DECLINED;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid redis parameter \"%V\"", value);
    return NGX_ERROR;
}


void
llmgw_redis_conf_done(llmgw_redis_t *redis)
{
    ngx_conf_init_msec_value(redis->timeout, LLMGW_REDIS_TIMEOUT);

    redis->stall = ngx_max(10 * redis->timeout, LLMGW_REDIS_STALL_MIN);
}


/* the password is named, never written: env.NAME or file:PATH */

static ngx_int_t
llmgw_redis_conf_secret(ngx_conf_t *cf, ngx_str_t *value, ngx_str_t *out)
{
    char        *env;
    u_char      *name;
    ssize_t      n;
    ngx_str_t    path;
    ngx_file_t   file;
    u_char       buf[LLMGW_REDIS_SECRET_MAX + 1];

    if (value->len > 4 && ngx_strncmp(value->data, "env.", 4) == 0) {
        name = ngx_pnalloc(cf->pool, value->len - 3);
        if (name == NULL) {
            return NGX_ERROR;
        }

        ngx_cpystrn(name, value->data + 4, value->len - 3);

        env = getenv((char *) name);
        if (env == NULL || *env == '\0') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "redis password: "
                               "environment variable \"%s\" is not set",
                               name);
            return NGX_ERROR;
        }

        out->len = ngx_strlen(env);
        out->data = ngx_pnalloc(cf->pool, out->len);
        if (out->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(out->data, env, out->len);
        return NGX_OK;
    }

    if (value->len <= 5 || ngx_strncmp(value->data, "file:", 5) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "redis password must be "
                           "\"env.NAME\" or \"file:PATH\", never the "
                           "password itself");
        return NGX_ERROR;
    }

    path.len = value->len - 5;
    path.data = ngx_pnalloc(cf->pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(path.data, value->data + 5, path.len + 1);

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = path;
    file.log = cf->log;

    file.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "redis password: cannot open \"%V\"", &path);
        return NGX_ERROR;
    }

    n = ngx_read_file(&file, buf, sizeof(buf), 0);
    ngx_close_file(file.fd);

    if (n == NGX_ERROR || n > LLMGW_REDIS_SECRET_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "redis password: \"%V\" is "
                           "unreadable or over %d bytes", &path,
                           LLMGW_REDIS_SECRET_MAX);
        return NGX_ERROR;
    }

    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                 || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    {
        n--;
    }

    if (n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "redis password: \"%V\" is empty", &path);
        return NGX_ERROR;
    }

    out->len = n;
    out->data = ngx_pnalloc(cf->pool, n);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, buf, n);
    ngx_explicit_memzero(buf, sizeof(buf));

    return NGX_OK;
}


/* the worker's connection */

ngx_int_t
llmgw_redis_init_worker(llmgw_redis_t *redis, ngx_cycle_t *cycle)
{
    redis->log = cycle->log;
    redis->backoff = LLMGW_REDIS_BACKOFF_MIN;

    ngx_queue_init(&redis->inflight);

    redis->reconnect.handler = llmgw_redis_reconnect_handler;
    redis->reconnect.data = redis;
    redis->reconnect.log = cycle->log;
    redis->reconnect.cancelable = 1;

    redis->connect_timer.handler = llmgw_redis_connect_timeout;
    redis->connect_timer.data = redis;
    redis->connect_timer.log = cycle->log;
    redis->connect_timer.cancelable = 1;

    redis->watchdog.handler = llmgw_redis_watchdog;
    redis->watchdog.data = redis;
    redis->watchdog.log = cycle->log;
    redis->watchdog.cancelable = 1;

    llmgw_redis_connect(redis);

    return NGX_OK;
}


void
llmgw_redis_exit_worker(llmgw_redis_t *redis)
{
    redisAsyncContext  *ac;

    redis->exiting = 1;

    if (redis->reconnect.timer_set) {
        ngx_del_timer(&redis->reconnect);
    }

    ac = redis->ac;

    if (ac == NULL) {
        return;
    }

    /* what the last requests wrote (settlements) leaves if it can */

    if (redis->connected && sdslen(ac->c.obuf)) {
        redis->writing = 1;
        redisAsyncHandleWrite(ac);
        redis->writing = 0;
    }

    if (redis->ac) {
        redisAsyncFree(redis->ac);
    }
}


static void
llmgw_redis_connect(llmgw_redis_t *redis)
{
    redisAsyncContext  *ac;
    ngx_connection_t   *c;

    if (redis->path) {
        ac = redisAsyncConnectUnix((char *) redis->path);

    } else {
        ac = redisAsyncConnect((char *) redis->host, redis->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ALERT, redis->log, 0,
                      "redis %V: cannot allocate a context", &redis->name);
        llmgw_redis_schedule(redis);
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                      "redis %V: connect failed: %s", &redis->name,
                      ac->errstr);
        redisAsyncFree(ac);
        llmgw_redis_schedule(redis);
        return;
    }

    c = ngx_get_connection(ac->c.fd, redis->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        llmgw_redis_schedule(redis);
        return;
    }

    c->data = redis;
    c->read->handler = llmgw_redis_read_handler;
    c->write->handler = llmgw_redis_write_handler;
    c->read->log = redis->log;
    c->write->log = redis->log;

    redis->ac = ac;
    redis->conn = c;

    ac->data = redis;
    ac->ev.data = redis;
    ac->ev.addRead = llmgw_redis_add_read;
    ac->ev.delRead = llmgw_redis_del_read;
    ac->ev.addWrite = llmgw_redis_add_write;
    ac->ev.delWrite = llmgw_redis_del_write;
    ac->ev.cleanup = llmgw_redis_cleanup;

    /* the first write event tells that connect() is done */
    redisAsyncSetConnectCallback(ac, llmgw_redis_on_connect);

    ngx_add_timer(&redis->connect_timer, redis->stall);

    llmgw_redis_handshake(redis);
}


/* queued now, written once connected */

static void
llmgw_redis_handshake(llmgw_redis_t *redis)
{
    int          argc;
    u_char       db[NGX_INT_T_LEN];
    size_t       argvlen[3];
    const char  *argv[3];

    if (redis->password.len) {
        argc = 0;
        argv[argc] = (char *) llmgw_redis_auth.data;
        argvlen[argc++] = llmgw_redis_auth.len;

        if (redis->user.len) {
            argv[argc] = (char *) redis->user.data;
            argvlen[argc++] = redis->user.len;
        }

        argv[argc] = (char *) redis->password.data;
        argvlen[argc++] = redis->password.len;

        redisAsyncCommandArgv(redis->ac, llmgw_redis_on_handshake,
                              &llmgw_redis_auth, argc, argv, argvlen);
    }

    if (redis->db) {
        argv[0] = (char *) llmgw_redis_select.data;
        argvlen[0] = llmgw_redis_select.len;
        argv[1] = (char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", redis->db) - db;

        redisAsyncCommandArgv(redis->ac, llmgw_redis_on_handshake,
                              &llmgw_redis_select, 2, argv, argvlen);
    }

    argv[0] = (char *) llmgw_redis_ping.data;
    argvlen[0] = llmgw_redis_ping.len;

    redisAsyncCommandArgv(redis->ac, llmgw_redis_on_handshake,
                          &llmgw_redis_ping, 1, argv, argvlen);
}


static void
llmgw_redis_on_connect(const redisAsyncContext *ac, int status)
{
    llmgw_redis_t  *redis = ac->data;

    if (status != REDIS_OK) {
        /* hiredis frees the context next: the cleanup hook reconnects */
        ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                      "redis %V: connect failed: %s", &redis->name,
                      ac->errstr ? ac->errstr : "unknown error");
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, redis->log, 0,
                   "redis %V: connected", &redis->name);
}


static void
llmgw_redis_on_handshake(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply     *reply = r;
    ngx_str_t      *cmd = privdata;
    llmgw_redis_t  *redis = ac->data;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, redis->log, 0, "redis %V: %V failed: %*s",
                      &redis->name, cmd, (size_t) reply->len, reply->str);
        llmgw_redis_drop(redis);
        return;
    }

    if (cmd != &llmgw_redis_ping) {
        return;
    }

    if (redis->connect_timer.timer_set) {
        ngx_del_timer(&redis->connect_timer);
    }

    ngx_log_error(NGX_LOG_INFO, redis->log, 0, "redis %V: ready",
                  &redis->name);

    redis->connected = 1;
    redis->backoff = LLMGW_REDIS_BACKOFF_MIN;

    if (redis->ready) {
        redis->ready(redis);
    }
}


/* closes the connection from our side: pending commands get NULL */

static void
llmgw_redis_drop(llmgw_redis_t *redis)
{
    if (redis->ac == NULL) {
        return;
    }

    redis->connected = 0;
    redis->dropped = 1;

    /* deferred by hiredis when called from one of its callbacks */
    redisAsyncFree(redis->ac);
}


static void
llmgw_redis_schedule(llmgw_redis_t *redis)
{
    if (redis->exiting || redis->reconnect.timer_set) {
        return;
    }

    ngx_add_timer(&redis->reconnect, redis->backoff);

    redis->backoff = ngx_min(2 * redis->backoff, LLMGW_REDIS_BACKOFF_MAX);
}


static void
llmgw_redis_reconnect_handler(ngx_event_t *ev)
{
    llmgw_redis_t  *redis = ev->data;

    if (redis->ac == NULL && !redis->exiting) {
        llmgw_redis_connect(redis);
    }
}


static void
llmgw_redis_connect_timeout(ngx_event_t *ev)
{
    llmgw_redis_t  *redis = ev->data;

    ngx_log_error(NGX_LOG_ERR, redis->log, NGX_ETIMEDOUT,
                  "redis %V: no answer to the connection handshake",
                  &redis->name);

    llmgw_redis_drop(redis);
}


/* commands */

ngx_int_t
llmgw_redis_send(llmgw_redis_t *redis, llmgw_redis_cmd_t *cmd, int argc,
    const char **argv, const size_t *argvlen)
{
    if (!redis->connected || redis->ac == NULL) {
        return NGX_DECLINED;
    }

    if (llmgw_redis_format(redis, argc, argv, argvlen) != NGX_OK
        || redisAsyncFormattedCommand(redis->ac, llmgw_redis_on_reply, cmd,
                                      (char *) redis->out, redis->out_len)
           != REDIS_OK)
    {
        return NGX_ERROR;
    }

    cmd->redis = redis;
    cmd->sent = ngx_current_msec;
    ngx_queue_insert_tail(&redis->inflight, &cmd->queue);

    /* the first send starts the clock: a resend keeps the deadline */

    if (!cmd->timer.timer_set && !cmd->timer.timedout) {
        cmd->timer.handler = llmgw_redis_cmd_timeout;
        cmd->timer.data = cmd;
        cmd->timer.log = redis->log;
        ngx_add_timer(&cmd->timer, redis->timeout);
    }

    return NGX_OK;
}


/*
 * The command in Redis's protocol, written straight into a buffer the
 * worker keeps: hiredis's own formatter costs several times more.
 */

static ngx_int_t
llmgw_redis_format(llmgw_redis_t *redis, int argc, const char **argv,
    const size_t *argvlen)
{
    int      i;
    u_char  *p;
    size_t   size;

    size = 1 + NGX_INT_T_LEN + 2;

    for (i = 0; i < argc; i++) {
        size += 1 + NGX_SIZE_T_LEN + 2 + argvlen[i] + 2;
    }

    if (size > redis->out_size) {
        ngx_free(redis->out);

        redis->out_size = ngx_max(size, 4096);
        redis->out = ngx_alloc(redis->out_size, redis->log);

        if (redis->out == NULL) {
            redis->out_size = 0;
            return NGX_ERROR;
        }
    }

    p = ngx_sprintf(redis->out, "*%d\r\n", argc);

    for (i = 0; i < argc; i++) {
        p = ngx_sprintf(p, "$%uz\r\n", argvlen[i]);
        p = ngx_cpymem(p, argv[i], argvlen[i]);
        *p++ = '\r';
        *p++ = '\n';
    }

    redis->out_len = p - redis->out;

    return NGX_OK;
}


void
llmgw_redis_cmd_cleanup(llmgw_redis_cmd_t *cmd)
{
    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    cmd->timer.timedout = 0;
}


static void
llmgw_redis_on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    llmgw_redis_cmd_t  *cmd = privdata;

    ngx_queue_remove(&cmd->queue);

    if (r == NULL) {
        /* the connection is going: nothing may be sent on it */
        cmd->redis->connected = 0;
    }

    cmd->reply(cmd, r);
}


static void
llmgw_redis_cmd_timeout(ngx_event_t *ev)
{
    llmgw_redis_cmd_t  *cmd = ev->data;

    llmgw_redis_t  *redis;

    redis = cmd->redis;

    if (cmd->timeout) {
        cmd->timeout(cmd);
    }

    llmgw_redis_watchdog(&redis->watchdog);
}


/* a command has timed out: has the server stopped answering altogether? */

static void
llmgw_redis_watchdog(ngx_event_t *ev)
{
    llmgw_redis_t  *redis = ev->data;

    ngx_msec_t          waited;
    llmgw_redis_cmd_t  *oldest;

    if (redis->ac == NULL || ngx_queue_empty(&redis->inflight)) {
        return;
    }

    oldest = ngx_queue_data(ngx_queue_head(&redis->inflight),
                            llmgw_redis_cmd_t, queue);

    waited = ngx_current_msec - oldest->sent;

    if (waited < redis->stall) {
        if (!ev->timer_set) {
            ngx_add_timer(ev, redis->stall - waited);
        }

        return;
    }

    ngx_log_error(NGX_LOG_ERR, redis->log, NGX_ETIMEDOUT,
                  "redis %V: no answer for %M ms, reconnecting",
                  &redis->name, waited);

    llmgw_redis_drop(redis);
}


/* events */

static void
llmgw_redis_read_handler(ngx_event_t *rev)
{
    ngx_connection_t   *c = rev->data;

    u_char              ch;
    ssize_t             n;
    ngx_err_t           err;
    llmgw_redis_t      *redis;
    redisAsyncContext  *ac;

    redis = c->data;
    ac = redis->ac;

    /*
     * hiredis reads at most 16 KB a call, and an edge-triggered event is
     * not repeated: read until the socket is empty.  The end of the stream
     * and errors are left to hiredis, which closes the context on them.
     */

    for ( ;; ) {
        redisAsyncHandleRead(ac);

        if (redis->ac != ac || !(ac->c.flags & REDIS_CONNECTED)) {
            return;
        }

        n = recv(c->fd, &ch, 1, MSG_PEEK);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN) {
                rev->ready = 0;
                return;
            }

            if (err == NGX_EINTR) {
                continue;
            }
        }
    }
}


static void
llmgw_redis_write_handler(ngx_event_t *wev)
{
    ngx_connection_t   *c = wev->data;

    llmgw_redis_t      *redis;
    redisAsyncContext  *ac;

    redis = c->data;
    ac = redis->ac;

    redis->writing = 1;
    redisAsyncHandleWrite(ac);
    redis->writing = 0;

    if (redis->ac != ac || !(ac->c.flags & REDIS_CONNECTED)) {
        return;
    }

    if (sdslen(ac->c.obuf)) {
        /* the socket is full: wait for it to drain */
        wev->ready = 0;
        llmgw_redis_add_write(redis);
    }
}


static ngx_uint_t
llmgw_redis_event_flags(void)
{
    if (ngx_event_flags & NGX_USE_CLEAR_EVENT) {
        return NGX_CLEAR_EVENT;
    }

    if (ngx_event_flags & NGX_USE_LEVEL_EVENT) {
        return NGX_LEVEL_EVENT;
    }

    return 0;
}


static void
llmgw_redis_add_read(void *data)
{
    llmgw_redis_t  *redis = data;

    ngx_event_t  *rev;

    rev = redis->conn->read;

    if (!rev->active
        && ngx_add_event(rev, NGX_READ_EVENT, llmgw_redis_event_flags())
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, redis->log, 0,
                      "redis %V: cannot add a read event", &redis->name);
    }
}


static void
llmgw_redis_del_read(void *data)
{
    llmgw_redis_t  *redis = data;

    ngx_event_t  *rev;

    rev = redis->conn->read;

    if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && rev->active) {
        (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
    }
}


static void
llmgw_redis_add_write(void *data)
{
    llmgw_redis_t  *redis = data;

    ngx_event_t  *wev;

    wev = redis->conn->write;

    /* writable already: no edge will come, so post the event ourselves
     * (unless it is running: it checks what is left when hiredis returns) */

    if (wev->ready) {
        if (!redis->writing) {
            ngx_post_event(wev, &ngx_posted_events);
        }

        return;
    }

    if (!wev->active
        && ngx_add_event(wev, NGX_WRITE_EVENT, llmgw_redis_event_flags())
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, redis->log, 0,
                      "redis %V: cannot add a write event", &redis->name);
    }
}


static void
llmgw_redis_del_write(void *data)
{
    llmgw_redis_t  *redis = data;

    ngx_event_t  *wev;

    wev = redis->conn->write;

    if ((ngx_event_flags & NGX_USE_LEVEL_EVENT) && wev->active) {
        (void) ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }
}


/* hiredis is freeing the context and closes the socket next */

static void
llmgw_redis_cleanup(void *data)
{
    llmgw_redis_t  *redis = data;

    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    ac = redis->ac;
    c = redis->conn;

    /* a failed connect() was logged by llmgw_redis_on_connect() */

    if (ac->err && (ac->c.flags & REDIS_CONNECTED)
        && !redis->dropped && !redis->exiting)
    {
        ngx_log_error(NGX_LOG_ERR, redis->log, 0, "redis %V: %s",
                      &redis->name, ac->errstr ? ac->errstr : "error");
    }

    if (ngx_del_conn) {
        ngx_del_conn(c, NGX_CLOSE_EVENT);

    } else {
        if (c->read->active || c->read->disabled) {
            ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active || c->write->disabled) {
            ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    ngx_free_connection(c);
    c->fd = (ngx_socket_t) -1;

    redis->ac = NULL;
    redis->conn = NULL;
    redis->connected = 0;
    redis->dropped = 0;
    redis->writing = 0;

    if (redis->connect_timer.timer_set) {
        ngx_del_timer(&redis->connect_timer);
    }

    if (redis->watchdog.timer_set) {
        ngx_del_timer(&redis->watchdog);
    }

    llmgw_redis_schedule(redis);
}
