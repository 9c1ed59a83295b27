/*
 * llmgw: the audit log.  One JSON record per request, written in the log
 * phase to every destination of `llmgw_audit_log` (files, buffered or not
 * and reopened with nginx's logs; syslog, nginx's own client).
 *
 * Tamper evidence: each worker keeps a hash chain.  A record ends with
 *
 *     ,"chain":"<host>-<pid>-<start>","seq":N,"mac":"<hex>"}
 *
 * and mac = HMAC-SHA256(key, previous mac || the record up to ,"mac"),
 * the previous mac of seq 1 being 32 zero bytes.  tools/llmgw-audit-verify
 * checks a log with the key and names the first record altered, removed or
 * out of order.
 */


#include "llmgw.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>


#define LLMGW_AUDIT_MAC_LEN     32
#define LLMGW_AUDIT_CHAIN_LEN   64
#define LLMGW_AUDIT_KEY_MAX     1024

/* room before a record for the syslog header (ngx_syslog.c's maximum) */
#define LLMGW_SYSLOG_HEAD                                                     \
    (sizeof("<255>Jan 01 00:00:00 ") - 1 + NGX_MAXHOSTNAMELEN + 1 + 32 + 2)


typedef struct {
    ngx_open_file_t             *file;
    ngx_syslog_peer_t           *syslog;
    u_char                      *start;     /* the buffer, when buffered */
    u_char                      *pos;
    u_char                      *last;
    ngx_event_t                 *event;
    ngx_msec_t                   flush;
    time_t                       error_logged;
} llmgw_audit_dest_t;


typedef struct {
    ngx_array_t                  dests;     /* llmgw_audit_dest_t */
    ngx_str_t                    key;

    /* the worker's chain */
    u_char                       chain[LLMGW_AUDIT_CHAIN_LEN];
    size_t                       chain_len;
    uint64_t                     seq;
    u_char                       mac[LLMGW_AUDIT_MAC_LEN];
} llmgw_audit_t;


/* a record being written: p moves, last bounds it */
typedef struct {
    u_char                      *p;
    u_char                      *last;
} llmgw_rec_t;


static llmgw_audit_t *llmgw_audit_conf(ngx_conf_t *cf);
static char *llmgw_audit_file_conf(ngx_conf_t *cf, llmgw_audit_dest_t *d,
    ngx_str_t *name, ngx_str_t *args, ngx_uint_t nargs);
static size_t llmgw_audit_size(ngx_http_request_t *r, llmgw_ctx_t *ctx);
static void llmgw_audit_record(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_rec_t *w);
static void llmgw_audit_who(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_rec_t *w);
static void llmgw_audit_attempts(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_rec_t *w);
static void llmgw_audit_params(llmgw_ctx_t *ctx, llmgw_rec_t *w);
static void llmgw_audit_money(llmgw_ctx_t *ctx, llmgw_rec_t *w);
static void llmgw_audit_latency(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_rec_t *w);
static void llmgw_audit_outcome(ngx_http_request_t *r, llmgw_ctx_t *ctx,
    llmgw_rec_t *w);
static ngx_uint_t llmgw_audit_guarded(llmgw_ctx_t *ctx);
static void llmgw_audit_guard(llmgw_ctx_t *ctx, llmgw_rec_t *w);
static void llmgw_audit_guard_side(llmgw_rec_t *w, llmgw_guard_policy_t *p,
    const char *direction, const char *action, llmgw_guard_t *g,
    uint64_t fired);
static void llmgw_audit_names(llmgw_rec_t *w, ngx_str_t *names);
static void llmgw_rec_str(llmgw_rec_t *w, const char *name, ngx_str_t *v);
static void llmgw_rec_raw(llmgw_rec_t *w, const char *name,
    llmgw_json_span_t *span);
static void llmgw_rec_time(llmgw_rec_t *w, const char *name, time_t sec,
    ngx_msec_t msec);
static void llmgw_rec_minified(llmgw_rec_t *w, ngx_str_t *json);
static void llmgw_rec_usd(llmgw_rec_t *w, const char *name, int64_t pico);
static void llmgw_audit_seal(ngx_http_request_t *r, llmgw_audit_t *a,
    llmgw_main_conf_t *lmcf, u_char *rec, llmgw_rec_t *wp);
static void llmgw_audit_send(ngx_http_request_t *r, llmgw_audit_t *a,
    u_char *rec, size_t len);
static ngx_int_t llmgw_audit_file_write(llmgw_audit_dest_t *d,
    u_char *rec, size_t len, ngx_log_t *log);
static void llmgw_audit_flush(ngx_open_file_t *file, ngx_log_t *log);
static void llmgw_audit_flush_handler(ngx_event_t *ev);
static void llmgw_audit_error(llmgw_audit_dest_t *d, ngx_log_t *log,
    ngx_err_t err, const char *what);


/* --- configuration ------------------------------------------------------ */

static llmgw_audit_t *
llmgw_audit_conf(ngx_conf_t *cf)
{
    llmgw_audit_t      *a;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_llmgw_module);

    if (lmcf->audit) {
        return lmcf->audit;
    }

    a = ngx_pcalloc(cf->pool, sizeof(llmgw_audit_t));
    if (a == NULL) {
        return NULL;
    }

    if (ngx_array_init(&a->dests, cf->pool, 2, sizeof(llmgw_audit_dest_t))
        != NGX_OK)
    {
        return NULL;
    }

    lmcf->audit = a;

    return a;
}


/* llmgw_audit_log PATH [buffer=SIZE [flush=TIME]] | syslog:server=... */

char *
llmgw_audit_log_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t           *value;
    llmgw_audit_t       *a;
    llmgw_audit_dest_t  *d;

    value = cf->args->elts;

    a = llmgw_audit_conf(cf);
    if (a == NULL) {
        return NGX_CONF_ERROR;
    }

    d = ngx_array_push(&a->dests);
    if (d == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(d, sizeof(llmgw_audit_dest_t));

    if (ngx_strncmp(value[1].data, "syslog:", 7) != 0) {
        return llmgw_audit_file_conf(cf, d, &value[1], &value[2],
                                     cf->args->nelts - 2);
    }

    if (cf->args->nelts > 2) {
        return "takes no buffer for syslog";
    }

    d->syslog = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
    if (d->syslog == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_syslog_process_conf(cf, d->syslog);
}


static char *
llmgw_audit_file_conf(ngx_conf_t *cf, llmgw_audit_dest_t *d, ngx_str_t *name,
    ngx_str_t *args, ngx_uint_t nargs)
{
    size_t       size;
    ngx_str_t    s;
    ngx_uint_t   i;
    ngx_msec_t   flush;

    size = 0;
    flush = 0;

    for (i = 0; i < nargs; i++) {
        if (ngx_strncmp(args[i].data, "buffer=", 7) == 0) {
            s.data = args[i].data + 7;
            s.len = args[i].len - 7;
            size = ngx_parse_size(&s);

            if (size == (size_t) NGX_ERROR || size == 0) {
                return "has an invalid buffer size";
            }

        } else if (ngx_strncmp(args[i].data, "flush=", 6) == 0) {
            s.data = args[i].data + 6;
            s.len = args[i].len - 6;
            flush = ngx_parse_time(&s, 0);

            if (flush == (ngx_msec_t) NGX_ERROR || flush == 0) {
                return "has an invalid flush time";
            }

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &args[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (flush && size == 0) {
        return "has flush= without buffer=";
    }

    d->file = ngx_conf_open_file(cf->cycle, name);
    if (d->file == NULL) {
        return NGX_CONF_ERROR;
    }

    if (d->file->data || d->file->flush) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is written by another log already", name);
        return NGX_CONF_ERROR;
    }

    d->file->data = d;

    if (size == 0) {
        return NGX_CONF_OK;
    }

    d->start = ngx_pnalloc(cf->pool, size);
    if (d->start == NULL) {
        return NGX_CONF_ERROR;
    }

    d->pos = d->start;
    d->last = d->start + size;
    d->file->flush = llmgw_audit_flush;

    /* unwritten records wait at most this long; 1s when not said */
    d->flush = flush ? flush : 1000;

    d->event = ngx_pcalloc(cf->pool, sizeof(ngx_event_t));
    if (d->event == NULL) {
        return NGX_CONF_ERROR;
    }

    d->event->data = d->file;
    d->event->handler = llmgw_audit_flush_handler;
    d->event->log = &cf->cycle->new_log;
    d->event->cancelable = 1;

    return NGX_CONF_OK;
}


/* llmgw_audit_key FILE: the HMAC key, its bytes less trailing newlines */

char *
llmgw_audit_key_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    size_t          n;
    ngx_str_t      *value, name;
    const char     *why;
    llmgw_audit_t  *a;

    value = cf->args->elts;
    name = value[1];

    a = llmgw_audit_conf(cf);
    if (a == NULL) {
        return NGX_CONF_ERROR;
    }

    if (a->key.data) {
        return "is duplicate";
    }

    /* room for the newline an editor adds */
    switch (llmgw_conf_read_file(cf, &name, LLMGW_AUDIT_KEY_MAX + 2, cf->pool,
                                 &a->key, &why))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "the audit key file \"%V\" %s",
                           &name, why);
        return NGX_CONF_ERROR;

    default:
        return NGX_CONF_ERROR;
    }

    n = a->key.len;

    while (n && (a->key.data[n - 1] == '\n' || a->key.data[n - 1] == '\r')) {
        n--;
    }

    if (n < 16 || n > LLMGW_AUDIT_KEY_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the audit key in \"%V\" must be 16 to %d bytes",
                           &name, LLMGW_AUDIT_KEY_MAX);
        return NGX_CONF_ERROR;
    }

    a->key.len = n;

    return NGX_CONF_OK;
}


/* each worker starts a chain of its own */

ngx_int_t
llmgw_audit_init_process(ngx_cycle_t *cycle, llmgw_main_conf_t *lmcf)
{
    u_char         *p, *last;
    size_t          i, host;
    llmgw_audit_t  *a;

    a = lmcf->audit;

    if (a == NULL) {
        return NGX_OK;
    }

    p = a->chain;
    last = a->chain + sizeof(a->chain);
    host = ngx_min(cycle->hostname.len, 32);

    for (i = 0; i < host; i++) {
        *p++ = (isalnum(cycle->hostname.data[i])
                || cycle->hostname.data[i] == '.')
               ? cycle->hostname.data[i] : '_';
    }

    p = ngx_slprintf(p, last, "-%P-%T", ngx_pid, ngx_time());

    a->chain_len = p - a->chain;
    a->seq = 0;
    ngx_memzero(a->mac, sizeof(a->mac));

    return NGX_OK;
}


/* --- the record --------------------------------------------------------- */

void
llmgw_audit_write(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    size_t              size;
    u_char             *buf, *rec;
    llmgw_rec_t         w;
    llmgw_audit_t      *a;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
    a = lmcf->audit;

    if (a == NULL || a->dests.nelts == 0) {
        return;
    }

    size = llmgw_audit_size(r, ctx);

    buf = ngx_pnalloc(r->pool, LLMGW_SYSLOG_HEAD + size);
    if (buf == NULL) {
        llmgw_metric_inc(lmcf, LLMGW_METRIC_AUDIT_ERRORS);
        return;
    }

    /* the previous mac just before the record: one HMAC over both */
    rec = buf + LLMGW_SYSLOG_HEAD;
    ngx_memcpy(rec - LLMGW_AUDIT_MAC_LEN, a->mac, LLMGW_AUDIT_MAC_LEN);

    w.p = rec;
    w.last = rec + size;

    llmgw_audit_record(r, ctx, &w);

    llmgw_audit_seal(r, a, lmcf, rec, &w);
}


/* an admin action (llmgw_admin.c): a whole JSON object, chained and sent
 * as the request records are */

void
llmgw_audit_admin(ngx_http_request_t *r, u_char *json, size_t len)
{
    u_char             *buf, *rec;
    llmgw_rec_t         w;
    llmgw_audit_t      *a;
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
    a = lmcf->audit;

    if (a == NULL || a->dests.nelts == 0 || len < 2 || json[len - 1] != '}') {
        return;
    }

    buf = ngx_pnalloc(r->pool, LLMGW_SYSLOG_HEAD + len + 256);
    if (buf == NULL) {
        llmgw_metric_inc(lmcf, LLMGW_METRIC_AUDIT_ERRORS);
        return;
    }

    rec = buf + LLMGW_SYSLOG_HEAD;
    ngx_memcpy(rec - LLMGW_AUDIT_MAC_LEN, a->mac, LLMGW_AUDIT_MAC_LEN);

    /* the object without its closing brace: the chain goes in */
    w.p = ngx_cpymem(rec, json, len - 1);
    w.last = rec + len + 256;

    llmgw_audit_seal(r, a, lmcf, rec, &w);
}


/* the chain, the sequence and the MAC after the record's fields, then
 * out to every destination */

static void
llmgw_audit_seal(ngx_http_request_t *r, llmgw_audit_t *a,
    llmgw_main_conf_t *lmcf, u_char *rec, llmgw_rec_t *wp)
{
    u_char        *body_end;
    u_char         mac[LLMGW_AUDIT_MAC_LEN];
    size_t         len;
    unsigned int   maclen;
    llmgw_rec_t    w;

    w = *wp;

    w.p = ngx_slprintf(w.p, w.last, ",\"chain\":\"%*s\",\"seq\":%uL",
                       a->chain_len, a->chain, a->seq + 1);
    body_end = w.p;

    if (a->key.len) {
        if (HMAC(EVP_sha256(), a->key.data, (int) a->key.len,
                 rec - LLMGW_AUDIT_MAC_LEN,
                 body_end - rec + LLMGW_AUDIT_MAC_LEN, mac, &maclen)
            == NULL)
        {
            llmgw_metric_inc(lmcf, LLMGW_METRIC_AUDIT_ERRORS);
            return;
        }

        w.p = ngx_slprintf(w.p, w.last, ",\"mac\":\"");

        if (w.last - w.p >= 2 * LLMGW_AUDIT_MAC_LEN + 3) {
            w.p = ngx_hex_dump(w.p, mac, LLMGW_AUDIT_MAC_LEN);
            *w.p++ = '"';
        }
    }

    w.p = ngx_slprintf(w.p, w.last, "}\n");
    len = w.p - rec;

    if (w.p == w.last && rec[len - 1] != '\n') {
        /* cannot happen: the size is an upper bound */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "llmgw: audit record larger than its estimate");
        llmgw_metric_inc(lmcf, LLMGW_METRIC_AUDIT_ERRORS);
        return;
    }

    /* the chain moves on only with a record made whole */
    a->seq++;

    if (a->key.len) {
        ngx_memcpy(a->mac, mac, LLMGW_AUDIT_MAC_LEN);
    }

    llmgw_audit_send(r, a, rec, len);
    llmgw_metric_inc(lmcf, LLMGW_METRIC_AUDIT_RECORDS);
}


/* an upper bound: each string escaped at most 6 bytes a byte */

static size_t
llmgw_audit_size(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    size_t            size;
    ngx_uint_t        i;
    llmgw_entity_t   *e;
    llmgw_attempt_t  *a;

    size = 2048 + LLMGW_AUDIT_CHAIN_LEN
           + 6 * (r->uri.len + r->method_name.len
                  + r->connection->addr_text.len + ctx->model.len
                  + ctx->upstream_model.len + ctx->error_type.len
                  + ctx->error_code.len)
           + ctx->fields.temperature.len + ctx->fields.max_tokens.len
           + ctx->fields.max_completion_tokens.len;

    if (ctx->vkey) {
        size += 6 * (ctx->vkey->id.len + ctx->vkey->name.len);

        for (e = ctx->vkey->entity.parent; e; e = e->parent) {
            size += 6 * e->id.len;
        }

        if (ctx->vkey->audit_content) {
            size += sizeof(",\"request\":") + ctx->body.len;
        }
    }

    if (ctx->provider) {
        size += 6 * ctx->provider->name.len;
    }

    if (ctx->api_key) {
        size += 6 * ctx->api_key->id.len;
    }

    for (i = 0; i < ctx->nattempts; i++) {
        a = &ctx->attempts[i];
        size += 128 + 6 * (a->provider->name.len + a->model.len
                           + (a->api_key ? a->api_key->id.len : 0));
    }

    if (ctx->refused) {
        size += 256 + 6 * ((llmgw_charge_info_t *) ctx->refused->data)
                          ->entity->id.len;
    }

    if (ctx->guard) {
        /* three decisions, their names, and each detector's name */
        size += 3 * (128 + 6 * ctx->guard->name.len)
                + 2 * LLMGW_GUARD_MAX * (LLMGW_GUARD_NAME_MAX + 3) + 256;
    }

    return size;
}


static void
llmgw_audit_record(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_rec_t *w)
{
    ngx_time_t   *tp;

    tp = ngx_timeofday();

    w->p = ngx_slprintf(w->p, w->last, "{");
    llmgw_rec_time(w, "time", r->start_sec, r->start_msec);
    llmgw_rec_time(w, "end", tp->sec, tp->msec);

    if (ctx->trace.trace_id[0]) {
        w->p = ngx_slprintf(w->p, w->last, ",\"request_id\":\"%*s\","
                            "\"trace_id\":\"%*s\",\"span_id\":\"%*s\"",
                            sizeof(ctx->request_id), ctx->request_id,
                            sizeof(ctx->trace.trace_id), ctx->trace.trace_id,
                            sizeof(ctx->trace.span_id), ctx->trace.span_id);

        if (ctx->trace.continued) {
            w->p = ngx_slprintf(w->p, w->last, ",\"parent_span_id\":\"%*s\"",
                                sizeof(ctx->trace.parent_id),
                                ctx->trace.parent_id);
        }
    }

    llmgw_audit_who(r, ctx, w);
    llmgw_audit_attempts(r, ctx, w);
    llmgw_audit_params(ctx, w);

    if (ctx->vkey && ctx->vkey->audit_content && ctx->body.len) {
        w->p = ngx_slprintf(w->p, w->last, ",\"request\":");
        llmgw_rec_minified(w, &ctx->body);
    }

    llmgw_audit_money(ctx, w);
    llmgw_audit_latency(r, ctx, w);
    llmgw_audit_outcome(r, ctx, w);
}


static void
llmgw_audit_who(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_rec_t *w)
{
    llmgw_entity_t  *e;

    if (ctx->vkey) {
        llmgw_rec_str(w, "key_id", &ctx->vkey->id);
        llmgw_rec_str(w, "key_name", &ctx->vkey->name);

        for (e = ctx->vkey->entity.parent; e; e = e->parent) {
            llmgw_rec_str(w, (e->level == LLMGW_LEVEL_TEAM) ? "team"
                                                            : "customer",
                          &e->id);
        }
    }

    llmgw_rec_str(w, "client", &r->connection->addr_text);
    llmgw_rec_str(w, "method", &r->method_name);
    llmgw_rec_str(w, "endpoint", &r->uri);
    llmgw_rec_str(w, "model", &ctx->model);

    if (ctx->provider) {
        llmgw_rec_str(w, "served_model", &ctx->upstream_model);
        llmgw_rec_str(w, "provider", &ctx->provider->name);
    }

    if (ctx->api_key) {
        llmgw_rec_str(w, "provider_key", &ctx->api_key->id);
    }
}


/* every try: the failed ones, then the one that answered */

static void
llmgw_audit_attempts(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_rec_t *w)
{
    ngx_uint_t        i, status;
    llmgw_attempt_t  *a, last;

    if (ctx->nattempts == 0 && !ctx->granted) {
        return;
    }

    w->p = ngx_slprintf(w->p, w->last, ",\"attempts\":[");

    for (i = 0; i <= ctx->nattempts; i++) {

        if (i < ctx->nattempts) {
            a = &ctx->attempts[i];

        } else if (ctx->granted && ctx->provider) {
            status = r->headers_out.status ? r->headers_out.status
                                           : r->err_status;
            last.provider = ctx->provider;
            last.model = ctx->upstream_model;
            last.api_key = ctx->api_key;
            last.status = status;
            last.ms = ngx_current_msec - ctx->attempt_start;
            a = &last;

        } else {
            break;
        }

        w->p = ngx_slprintf(w->p, w->last, "%s{", i ? "," : "");
        llmgw_rec_str(w, "provider", &a->provider->name);
        llmgw_rec_str(w, "model", &a->model);

        if (a->api_key) {
            llmgw_rec_str(w, "provider_key", &a->api_key->id);
        }

        w->p = ngx_slprintf(w->p, w->last, ",\"status\":%ui,\"ms\":%M}",
                            a->status, a->ms);
    }

    w->p = ngx_slprintf(w->p, w->last, "]");
}


static void
llmgw_audit_params(llmgw_ctx_t *ctx, llmgw_rec_t *w)
{
    llmgw_json_span_t  *max;

    if (ctx->body.len == 0) {
        return;
    }

    w->p = ngx_slprintf(w->p, w->last, ",\"params\":{\"stream\":%s",
                        ctx->stream ? "true" : "false");

    max = (ctx->fields.max_completion_tokens.type == LLMGW_JSON_NUMBER)
          ? &ctx->fields.max_completion_tokens : &ctx->fields.max_tokens;

    llmgw_rec_raw(w, "max_tokens", max);
    llmgw_rec_raw(w, "temperature", &ctx->fields.temperature);

    if (ctx->fields.tools.type == LLMGW_JSON_ARRAY) {
        w->p = ngx_slprintf(w->p, w->last, ",\"tools\":%uz",
                            llmgw_json_array_count(&ctx->fields.tools));
    }

    w->p = ngx_slprintf(w->p, w->last, "}");
}


static void
llmgw_audit_money(llmgw_ctx_t *ctx, llmgw_rec_t *w)
{
    /* where the cost came from; what was reserved is settled to it */
    static const char  *settle[] = {
        "none", "usage", "released", "streamed_text", "estimate"
    };

    if (ctx->usage.seen) {
        w->p = ngx_slprintf(w->p, w->last, ",\"usage\":{\"input\":%L,"
                            "\"output\":%L,\"cached\":%L,\"cache_write\":%L}",
                            ctx->usage.prompt, ctx->usage.completion,
                            ctx->usage.cached, ctx->usage.cache_write);
    }

    if (ctx->route == NULL) {
        return;
    }

    llmgw_rec_usd(w, "cost_usd", ctx->cost);

    if (ctx->reserved) {
        llmgw_rec_usd(w, "reserved_usd", ctx->reserved_cost);
    }

    w->p = ngx_slprintf(w->p, w->last, ",\"settlement\":\"%s\"",
                        settle[ctx->settlement]);
}


static void
llmgw_audit_latency(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_rec_t *w)
{
    ngx_uint_t    i;
    ngx_msec_t    upstream;
    ngx_time_t   *tp;
    ngx_msec_int_t  total;

    tp = ngx_timeofday();

    total = (tp->sec - r->start_sec) * 1000 + (tp->msec - r->start_msec);
    total = ngx_max(total, 0);

    w->p = ngx_slprintf(w->p, w->last, ",\"latency_ms\":{\"total\":%M",
                        (ngx_msec_t) total);

    if (ctx->nattempts || ctx->granted) {
        upstream = 0;

        for (i = 0; i < ctx->nattempts; i++) {
            upstream += ctx->attempts[i].ms;
        }

        if (ctx->granted) {
            upstream += ngx_current_msec - ctx->attempt_start;
        }

        w->p = ngx_slprintf(w->p, w->last, ",\"upstream\":%M", upstream);
    }

    if (ctx->stream && ctx->first_byte) {
        w->p = ngx_slprintf(w->p, w->last, ",\"ttft\":%M",
                            ctx->first_byte - ctx->start);
    }

    w->p = ngx_slprintf(w->p, w->last, ",\"overhead_us\":%uL.%03uL}",
                        ctx->overhead_ns / 1000, ctx->overhead_ns % 1000);
}


static void
llmgw_audit_outcome(ngx_http_request_t *r, llmgw_ctx_t *ctx, llmgw_rec_t *w)
{
    ngx_str_t             level, reason, kind;
    ngx_uint_t            status;
    llmgw_charge_info_t  *info;

    static ngx_str_t  kinds[] = {
        ngx_string("requests"), ngx_string("tokens"), ngx_string("spend")
    };

    static const char  *levels[] = {
        "provider_entry", "key", "team", "customer"
    };

    status = r->headers_out.status ? r->headers_out.status : r->err_status;

    w->p = ngx_slprintf(w->p, w->last, ",\"status\":%ui",
                        status ? status : 499);

    if (ctx->error_type.len) {
        w->p = ngx_slprintf(w->p, w->last, ",\"error\":{");
        llmgw_rec_str(w, "type", &ctx->error_type);

        if (ctx->error_code.len) {
            llmgw_rec_str(w, "code", &ctx->error_code);
        }

        w->p = ngx_slprintf(w->p, w->last, "}");
    }

    if (ctx->refused == NULL && !ctx->store_failed_open
        && !llmgw_audit_guarded(ctx))
    {
        return;
    }

    w->p = ngx_slprintf(w->p, w->last, ",\"decisions\":[");

    if (ctx->refused) {
        info = ctx->refused->data;

        level.data = (u_char *) levels[info->entity->level];
        level.len = ngx_strlen(level.data);
        kind = kinds[info->limit->kind];
        ngx_str_set(&reason, "refused");

        w->p = ngx_slprintf(w->p, w->last, "{");
        llmgw_rec_str(w, "decision", &reason);
        llmgw_rec_str(w, "kind", &kind);
        llmgw_rec_str(w, "level", &level);
        llmgw_rec_str(w, "id", &info->entity->id);
        llmgw_rec_str(w, "period", &info->limit->name);

        if (info->limit->kind == LLMGW_LIMIT_SPEND) {
            llmgw_rec_usd(w, "used_usd", ctx->refused->used);
            llmgw_rec_usd(w, "limit_usd", ctx->refused->limit);

        } else {
            w->p = ngx_slprintf(w->p, w->last, ",\"used\":%L,\"limit\":%L",
                                ctx->refused->used, ctx->refused->limit);
        }

        w->p = ngx_slprintf(w->p, w->last, "}");
    }

    if (ctx->store_failed_open) {
        w->p = ngx_slprintf(w->p, w->last, "%s{\"decision\":\"admitted\","
                            "\"reason\":\"store_unavailable\"}",
                            ctx->refused ? "," : "");
    }

    if (llmgw_audit_guarded(ctx)) {
        llmgw_audit_guard(ctx, w);
    }

    w->p = ngx_slprintf(w->p, w->last, "]");
}


static ngx_uint_t
llmgw_audit_guarded(llmgw_ctx_t *ctx)
{
    ngx_str_t  detectors;

    return ctx->guard
           && (ctx->guard_in || ctx->guard_out
               || llmgw_guard_service_result(ctx, &detectors));
}


/* the guardrails that fired, and what they did: names, never content */

static void
llmgw_audit_guard(llmgw_ctx_t *ctx, llmgw_rec_t *w)
{
    ngx_str_t             *result, detectors;
    llmgw_guard_policy_t  *p;

    static const char  *actions[] = { "none", "log", "redact", "block" };

    p = ctx->guard;

    if (ctx->guard_in) {
        llmgw_audit_guard_side(w, p, "input", actions[p->input.action],
                               p->input.guard, ctx->guard_in);
    }

    if (ctx->guard_out) {
        llmgw_audit_guard_side(w, p, "output", actions[p->output.action],
                               p->output.guard, ctx->guard_out);
    }

    result = llmgw_guard_service_result(ctx, &detectors);

    if (result) {
        w->p = ngx_slprintf(w->p, w->last, "%s{\"decision\":\"guardrail\"",
                            w->p[-1] == '[' ? "" : ",");
        llmgw_rec_str(w, "policy", &p->name);
        w->p = ngx_slprintf(w->p, w->last, ",\"direction\":\"service\"");
        llmgw_rec_str(w, "action", result);

        w->p = ngx_slprintf(w->p, w->last, ",\"detectors\":[");
        llmgw_audit_names(w, &detectors);
        w->p = ngx_slprintf(w->p, w->last, "]}");
    }
}


/* "a, b" as "a","b": the service's names, [A-Za-z0-9_.-] already */

static void
llmgw_audit_names(llmgw_rec_t *w, ngx_str_t *names)
{
    u_char  *p, *last, *comma;

    p = names->data;
    last = p + names->len;

    while (p < last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        w->p = ngx_slprintf(w->p, w->last, "%s\"%*s\"",
                            p == names->data ? "" : ",", comma - p, p);

        p = comma + 1;

        while (p < last && *p == ' ') {
            p++;
        }
    }
}


static void
llmgw_audit_guard_side(llmgw_rec_t *w, llmgw_guard_policy_t *p,
    const char *direction, const char *action, llmgw_guard_t *g,
    uint64_t fired)
{
    size_t  i, n;

    w->p = ngx_slprintf(w->p, w->last, "%s{\"decision\":\"guardrail\"",
                        w->p[-1] == '[' ? "" : ",");
    llmgw_rec_str(w, "policy", &p->name);
    w->p = ngx_slprintf(w->p, w->last, ",\"direction\":\"%s\","
                        "\"action\":\"%s\",\"detectors\":[",
                        direction, action);

    n = 0;

    for (i = 0; i < llmgw_guard_count(g) && i < 64; i++) {
        if (fired & ((uint64_t) 1 << i)) {
            /* names are [A-Za-z0-9_-]: nothing to escape */
            w->p = ngx_slprintf(w->p, w->last, "%s\"%s\"", n++ ? "," : "",
                                llmgw_guard_name(g, i));
        }
    }

    w->p = ngx_slprintf(w->p, w->last, "]}");
}


/* --- pieces of a record ------------------------------------------------- */

/* ,"name":"value" (the first member of an object has no comma: callers
 * write the first member with a name of its own) */

static void
llmgw_rec_str(llmgw_rec_t *w, const char *name, ngx_str_t *v)
{
    size_t  n;

    n = ngx_strlen(name);

    if ((size_t) (w->last - w->p) < n + 7 + 6 * v->len) {
        w->p = w->last;
        return;
    }

    if (w->p[-1] != '{') {
        *w->p++ = ',';
    }

    *w->p++ = '"';
    w->p = ngx_cpymem(w->p, name, n);
    *w->p++ = '"';
    *w->p++ = ':';
    *w->p++ = '"';
    w->p = llmgw_json_escape(w->p, v->data, v->len);
    *w->p++ = '"';
}


/* a number as the client wrote it: validated by the request's scan */

static void
llmgw_rec_raw(llmgw_rec_t *w, const char *name, llmgw_json_span_t *span)
{
    if (span->type != LLMGW_JSON_NUMBER) {
        return;
    }

    w->p = ngx_slprintf(w->p, w->last, ",\"%s\":%*s", name, span->len,
                        span->start);
}


static void
llmgw_rec_time(llmgw_rec_t *w, const char *name, time_t sec, ngx_msec_t msec)
{
    ngx_tm_t  tm;

    ngx_gmtime(sec, &tm);

    w->p = ngx_slprintf(w->p, w->last,
                        "%s\"%s\":\"%4d-%02d-%02dT%02d:%02d:%02d.%03MZ\"",
                        (w->p[-1] == '{') ? "" : ",", name,
                        tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                        tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec, msec);
}


/* a validated JSON body on one line: whitespace outside strings dropped */

static void
llmgw_rec_minified(llmgw_rec_t *w, ngx_str_t *json)
{
    u_char      c, *p, *end;
    ngx_uint_t  in_string, escaped;

    if ((size_t) (w->last - w->p) < json->len) {
        w->p = w->last;
        return;
    }

    in_string = 0;
    escaped = 0;
    end = json->data + json->len;

    for (p = json->data; p < end; p++) {
        c = *p;

        if (in_string) {
            if (escaped) {
                escaped = 0;

            } else if (c == '\\') {
                escaped = 1;

            } else if (c == '"') {
                in_string = 0;
            }

        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;

        } else if (c == '"') {
            in_string = 1;
        }

        *w->p++ = c;
    }
}


static void
llmgw_rec_usd(llmgw_rec_t *w, const char *name, int64_t pico)
{
    uint64_t  u;

    u = (pico < 0) ? (uint64_t) -pico : (uint64_t) pico;

    w->p = ngx_slprintf(w->p, w->last, ",\"%s\":%s%uL.%012uL", name,
                        (pico < 0) ? "-" : "", u / LLMGW_PICO_PER_USD,
                        u % LLMGW_PICO_PER_USD);
}


/* --- destinations ------------------------------------------------------- */

static void
llmgw_audit_send(ngx_http_request_t *r, llmgw_audit_t *a, u_char *rec,
    size_t len)
{
    u_char              *head, hbuf[LLMGW_SYSLOG_HEAD];
    size_t               hlen;
    ngx_uint_t           i, failed;
    llmgw_audit_dest_t  *d;
    llmgw_main_conf_t   *lmcf;

    d = a->dests.elts;
    failed = 0;

    for (i = 0; i < a->dests.nelts; i++) {

        if (d[i].file) {
            failed |= (llmgw_audit_file_write(&d[i], rec, len,
                                              r->connection->log)
                       != NGX_OK);
            continue;
        }

        /* syslog: the header in the room before the record, no newline */
        hlen = ngx_syslog_add_header(d[i].syslog, hbuf) - hbuf;
        head = rec - hlen;
        ngx_memcpy(head, hbuf, hlen);

        if (ngx_syslog_send(d[i].syslog, head, hlen + len - 1)
            != (ssize_t) (hlen + len - 1))
        {
            llmgw_audit_error(&d[i], r->connection->log, ngx_socket_errno,
                              "syslog");
            failed = 1;
        }
    }

    if (failed) {
        lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);
        llmgw_metric_inc(lmcf, LLMGW_METRIC_AUDIT_ERRORS);
    }
}


static ngx_int_t
llmgw_audit_file_write(llmgw_audit_dest_t *d, u_char *rec, size_t len,
    ngx_log_t *log)
{
    ssize_t  n;

    if (d->start) {
        if ((size_t) (d->last - d->pos) < len) {
            llmgw_audit_flush(d->file, log);
        }

        if ((size_t) (d->last - d->pos) >= len) {
            d->pos = ngx_cpymem(d->pos, rec, len);

            if (!d->event->timer_set) {
                ngx_add_timer(d->event, d->flush);
            }

            return NGX_OK;
        }

        /* larger than the buffer: written at once, after what was held */
    }

    n = ngx_write_fd(d->file->fd, rec, len);

    if (n == (ssize_t) len) {
        return NGX_OK;
    }

    llmgw_audit_error(d, log, (n == -1) ? ngx_errno : 0, "file");

    return NGX_ERROR;
}


/* the buffer to the file: on its timer, when full, on reopen and exit */

static void
llmgw_audit_flush(ngx_open_file_t *file, ngx_log_t *log)
{
    size_t               len;
    ssize_t              n;
    llmgw_audit_dest_t  *d;

    d = file->data;
    len = d->pos - d->start;

    if (len == 0) {
        return;
    }

    n = ngx_write_fd(file->fd, d->start, len);

    if (n != (ssize_t) len) {
        llmgw_audit_error(d, log, (n == -1) ? ngx_errno : 0, "file");
    }

    d->pos = d->start;

    if (d->event && d->event->timer_set) {
        ngx_del_timer(d->event);
    }
}


static void
llmgw_audit_flush_handler(ngx_event_t *ev)
{
    llmgw_audit_flush(ev->data, ev->log);
}


/* at most once a second per destination, as nginx's access log does */

static void
llmgw_audit_error(llmgw_audit_dest_t *d, ngx_log_t *log, ngx_err_t err,
    const char *what)
{
    time_t  now;

    now = ngx_time();

    if (now == d->error_logged) {
        return;
    }

    d->error_logged = now;

    if (d->file) {
        ngx_log_error(NGX_LOG_ALERT, log, err,
                      "llmgw: audit record not written whole to \"%V\"",
                      &d->file->name);

    } else {
        ngx_log_error(NGX_LOG_ALERT, log, err,
                      "llmgw: audit record not sent to %s", what);
    }
}
