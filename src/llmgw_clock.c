/*
 * llmgw: the gateway's own time on a request's path, for the overhead
 * histogram and the audit record.
 *
 * The response filters are timed by two filters around llmgw's: one above
 * starts the clock, one below stops it before the filters after llmgw (and
 * the write to the client) run.  What llmgw's filters do once those return
 * is only passing their return code back, and is not timed: a clock read
 * costs more.  The access phase times itself (llmgw_access.c).
 *
 * Ten reads a request: on x86-64, where the kernel's clocksource is the
 * TSC (so it runs at a constant rate, alike on every CPU), the TSC itself
 * is read (about 10 ns against clock_gettime's 23 ns on the bench
 * machine), at a rate each worker measures against CLOCK_MONOTONIC 100 ms
 * after it starts and again every minute.
 */


#include "llmgw.h"


static ngx_int_t llmgw_clock_header_in(ngx_http_request_t *r);
static ngx_int_t llmgw_clock_body_in(ngx_http_request_t *r, ngx_chain_t *in);
static ngx_int_t llmgw_clock_header_out(ngx_http_request_t *r);
static ngx_int_t llmgw_clock_body_out(ngx_http_request_t *r,
    ngx_chain_t *in);
static llmgw_ctx_t *llmgw_clock_ctx(ngx_http_request_t *r);
static void llmgw_clock_stop(llmgw_ctx_t *ctx);


#if (LLMGW_HAVE_TSC)

#define LLMGW_TSC_SOURCE  "/sys/devices/system/clocksource/clocksource0/" \
                          "current_clocksource"

static ngx_int_t llmgw_tsc_usable(ngx_log_t *log);
static void llmgw_tsc_sample(uint64_t *tsc, uint64_t *ns);
static void llmgw_tsc_calibrate(ngx_event_t *ev);

uint64_t  llmgw_tsc_mult;

static ngx_event_t  llmgw_tsc_event;
static uint64_t     llmgw_tsc_base, llmgw_tsc_base_ns;

#endif


static ngx_http_output_header_filter_pt  llmgw_next_header_in;
static ngx_http_output_body_filter_pt    llmgw_next_body_in;
static ngx_http_output_header_filter_pt  llmgw_next_header_out;
static ngx_http_output_body_filter_pt    llmgw_next_body_out;


/* before llmgw's filters are added: the one below them */

ngx_int_t
llmgw_clock_filter_init_below(ngx_conf_t *cf)
{
    llmgw_next_header_out = ngx_http_top_header_filter;
    ngx_http_top_header_filter = llmgw_clock_header_out;

    llmgw_next_body_out = ngx_http_top_body_filter;
    ngx_http_top_body_filter = llmgw_clock_body_out;

    return NGX_OK;
}


/* after them: the one above */

ngx_int_t
llmgw_clock_filter_init_above(ngx_conf_t *cf)
{
    llmgw_next_header_in = ngx_http_top_header_filter;
    ngx_http_top_header_filter = llmgw_clock_header_in;

    llmgw_next_body_in = ngx_http_top_body_filter;
    ngx_http_top_body_filter = llmgw_clock_body_in;

    return NGX_OK;
}


ngx_int_t
llmgw_clock_init_process(ngx_cycle_t *cycle)
{
#if (LLMGW_HAVE_TSC)

    if (llmgw_tsc_usable(cycle->log) != NGX_OK) {
        return NGX_OK;
    }

    llmgw_tsc_sample(&llmgw_tsc_base, &llmgw_tsc_base_ns);

    llmgw_tsc_event.handler = llmgw_tsc_calibrate;
    llmgw_tsc_event.log = cycle->log;
    llmgw_tsc_event.data = cycle;
    llmgw_tsc_event.cancelable = 1;

    ngx_add_timer(&llmgw_tsc_event, 100);

#endif

    return NGX_OK;
}


#if (LLMGW_HAVE_TSC)

static ngx_int_t
llmgw_tsc_usable(ngx_log_t *log)
{
    u_char    buf[16];
    ssize_t   n;
    ngx_fd_t  fd;

    fd = ngx_open_file(LLMGW_TSC_SOURCE, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }

    n = ngx_read_fd(fd, buf, sizeof(buf));

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      ngx_close_file_n " \"%s\" failed", LLMGW_TSC_SOURCE);
    }

    return (n == 4 && ngx_strncmp(buf, "tsc\n", 4) == 0) ? NGX_OK
                                                          : NGX_DECLINED;
}


/* the TSC halfway through a clock_gettime() */

static void
llmgw_tsc_sample(uint64_t *tsc, uint64_t *ns)
{
    uint64_t         before;
    struct timespec  ts;

    before = __rdtsc();
    (void) clock_gettime(CLOCK_MONOTONIC, &ts);
    *tsc = before + (__rdtsc() - before) / 2;
    *ns = (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/* the rate over everything since the worker started: the error of the
 * two samples shrinks as the span grows */

static void
llmgw_tsc_calibrate(ngx_event_t *ev)
{
    uint64_t  tsc, ns;

    llmgw_tsc_sample(&tsc, &ns);

    if (tsc <= llmgw_tsc_base || ns <= llmgw_tsc_base_ns) {
        return;
    }

    if (llmgw_tsc_mult == 0) {
        ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                      "llmgw: durations timed by the TSC at %uL MHz",
                      (tsc - llmgw_tsc_base) * 1000 / (ns - llmgw_tsc_base_ns));
    }

    llmgw_tsc_mult = (uint64_t)
        (((unsigned __int128) (ns - llmgw_tsc_base_ns) << 32)
         / (tsc - llmgw_tsc_base));

    ngx_add_timer(ev, 60000);
}

#endif


static llmgw_ctx_t *
llmgw_clock_ctx(ngx_http_request_t *r)
{
    if (r != r->main) {
        return NULL;
    }

    return ngx_http_get_module_ctx(r, ngx_http_llmgw_module);
}


static void
llmgw_clock_stop(llmgw_ctx_t *ctx)
{
    if (ctx->clock_open) {
        ctx->overhead_ns += llmgw_clock_ns() - ctx->clock_mark;
        ctx->clock_open = 0;
    }
}


static ngx_int_t
llmgw_clock_header_in(ngx_http_request_t *r)
{
    ngx_int_t     rc;
    llmgw_ctx_t  *ctx;

    ctx = llmgw_clock_ctx(r);

    if (ctx == NULL) {
        return llmgw_next_header_in(r);
    }

    ctx->clock_mark = llmgw_clock_ns();
    ctx->clock_open = 1;

    rc = llmgw_next_header_in(r);

    llmgw_clock_stop(ctx);

    return rc;
}


static ngx_int_t
llmgw_clock_body_in(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t     rc;
    llmgw_ctx_t  *ctx;

    ctx = llmgw_clock_ctx(r);

    if (ctx == NULL) {
        return llmgw_next_body_in(r, in);
    }

    ctx->clock_mark = llmgw_clock_ns();
    ctx->clock_open = 1;

    rc = llmgw_next_body_in(r, in);

    llmgw_clock_stop(ctx);

    return rc;
}


static ngx_int_t
llmgw_clock_header_out(ngx_http_request_t *r)
{
    llmgw_ctx_t  *ctx;

    ctx = llmgw_clock_ctx(r);

    if (ctx == NULL || !ctx->clock_open) {
        return llmgw_next_header_out(r);
    }

    llmgw_clock_stop(ctx);

    return llmgw_next_header_out(r);
}


static ngx_int_t
llmgw_clock_body_out(ngx_http_request_t *r, ngx_chain_t *in)
{
    llmgw_ctx_t  *ctx;

    ctx = llmgw_clock_ctx(r);

    if (ctx == NULL || !ctx->clock_open) {
        return llmgw_next_body_out(r, in);
    }

    llmgw_clock_stop(ctx);

    return llmgw_next_body_out(r, in);
}
