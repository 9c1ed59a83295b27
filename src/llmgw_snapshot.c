/*
 * llmgw: the shm store's counters on disk (`llmgw_snapshot PATH [interval]`),
 * so that a restart loses no spend.  Read when the zone is created; written
 * every interval by the first worker, through nginx's thread pool so that
 * the file I/O never stalls the event loop, and by every worker as it exits
 * (the last one leaves the latest state).  The file is replaced atomically.
 *
 *   llmgw-snapshot 1
 *   <window end> <value> <key>
 */


#include "llmgw.h"
#include "llmgw_registry.h"


#define LLMGW_SNAPSHOT_MAGIC  "llmgw-snapshot 1\n"


typedef struct {
    ngx_str_t            path;
    ngx_str_t            tmp;
    u_char              *data;
    size_t               len;
    ngx_log_t           *log;
    ngx_err_t            err;
} llmgw_snapshot_job_t;


static ngx_int_t llmgw_snapshot_serialize(llmgw_main_conf_t *lmcf,
    llmgw_snapshot_job_t *job);
static void llmgw_snapshot_write(llmgw_snapshot_job_t *job);
static void llmgw_snapshot_timer(ngx_event_t *ev);
#if (NGX_THREADS)
static void llmgw_snapshot_thread(void *data, ngx_log_t *log);
static void llmgw_snapshot_written(ngx_event_t *ev);
#endif


static ngx_event_t            llmgw_snapshot_event;
static ngx_connection_t       llmgw_snapshot_dummy;
#if (NGX_THREADS)
static ngx_thread_task_t     *llmgw_snapshot_task;
static ngx_thread_pool_t     *llmgw_snapshot_pool;
#endif
static ngx_uint_t             llmgw_snapshot_busy;


/* configuration time, in the master, before any worker: a plain read */

ngx_int_t
llmgw_snapshot_load(llmgw_main_conf_t *lmcf, ngx_log_t *log)
{
    FILE        *f;
    char        *line, *key;
    size_t       cap;
    ssize_t      len;
    time_t       now;
    ngx_uint_t   n, docs;
    long long    reset, value;
    int          klen;

    f = fopen((char *) lmcf->snapshot.data, "r");

    if (f == NULL) {
        if (errno != ENOENT) {
            ngx_log_error(NGX_LOG_ALERT, log, errno,
                          "llmgw: cannot read snapshot \"%V\"",
                          &lmcf->snapshot);
        }

        return NGX_OK;
    }

    line = NULL;
    cap = 0;

    len = getline(&line, &cap, f);

    if (len <= 0 || ngx_strcmp(line, LLMGW_SNAPSHOT_MAGIC) != 0) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "llmgw: \"%V\" is not a snapshot: ignored",
                      &lmcf->snapshot);
        free(line);
        fclose(f);
        return NGX_OK;
    }

    now = ngx_time();
    n = 0;
    docs = 0;

    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') {
            line[--len] = '\0';
        }

        /* the admin API's documents and trail (llmgw_registry.c) */
        if (ngx_strncmp(line, "trail ", 6) == 0) {
            llmgw_registry_trail_restore(lmcf, (u_char *) line, len);
            continue;
        }

        if (ngx_strncmp(line, "doc ", 4) == 0) {
            if (llmgw_registry_restore(lmcf, (u_char *) line, len, NULL)
                == NGX_OK)
            {
                docs++;
            }

            continue;
        }

        klen = 0;

        if (len > LLMGW_STORE_KEY_LEN + 64
            || sscanf(line, "%lld %lld %n", &reset, &value, &klen) != 2
            || klen == 0)
        {
            continue;
        }

        key = line + klen;

        if ((time_t) reset <= now || *key == '\0') {
            continue;
        }

        if (llmgw_store_shm_restore(lmcf, (u_char *) key, ngx_strlen(key),
                                    (time_t) reset, (int64_t) value)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, log, 0,
                          "llmgw: the zone is too small for snapshot \"%V\"",
                          &lmcf->snapshot);
            break;
        }

        n++;
    }

    free(line);
    fclose(f);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "llmgw: %ui counters and %ui admin documents restored "
                  "from \"%V\"", n, docs, &lmcf->snapshot);

    return NGX_OK;
}


ngx_int_t
llmgw_snapshot_init_process(ngx_cycle_t *cycle, llmgw_main_conf_t *lmcf)
{
#if (NGX_THREADS)
    static ngx_str_t  name = ngx_string("default");
#endif

    if (lmcf->snapshot.len == 0) {
        return NGX_OK;
    }

    /* every worker writes the file as it exits: each its own temporary
     * file, renamed into place */
    lmcf->snapshot_tmp.len = ngx_sprintf(lmcf->snapshot_tmp.data,
                                         "%V.tmp.%P", &lmcf->snapshot,
                                         ngx_pid)
                             - lmcf->snapshot_tmp.data;
    lmcf->snapshot_tmp.data[lmcf->snapshot_tmp.len] = '\0';

    if (ngx_worker != 0) {
        return NGX_OK;
    }

#if (NGX_THREADS)
    llmgw_snapshot_pool = ngx_thread_pool_get(cycle, &name);

    if (llmgw_snapshot_pool) {
        llmgw_snapshot_task = ngx_thread_task_alloc(cycle->pool,
                                                 sizeof(llmgw_snapshot_job_t));
        if (llmgw_snapshot_task == NULL) {
            return NGX_ERROR;
        }

        llmgw_snapshot_task->handler = llmgw_snapshot_thread;
        llmgw_snapshot_task->event.handler = llmgw_snapshot_written;
        llmgw_snapshot_task->event.data = lmcf;
        llmgw_snapshot_task->event.log = cycle->log;
    }
#endif

    llmgw_snapshot_dummy.fd = (ngx_socket_t) -1;
    llmgw_snapshot_event.handler = llmgw_snapshot_timer;
    llmgw_snapshot_event.data = &llmgw_snapshot_dummy;
    llmgw_snapshot_event.log = cycle->log;
    llmgw_snapshot_event.cancelable = 1;

    ngx_add_timer(&llmgw_snapshot_event, lmcf->snapshot_interval);

    return NGX_OK;
}


/* every worker, as it exits: synchronously, the process is ending */

void
llmgw_snapshot_exit_process(ngx_cycle_t *cycle, llmgw_main_conf_t *lmcf)
{
    llmgw_snapshot_job_t  job;

    if (lmcf->snapshot.len == 0 || lmcf->sh == NULL) {
        return;
    }

    job.log = cycle->log;

    if (llmgw_snapshot_serialize(lmcf, &job) != NGX_OK) {
        return;
    }

    llmgw_snapshot_write(&job);
    ngx_free(job.data);
}


static void
llmgw_snapshot_timer(ngx_event_t *ev)
{
    llmgw_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_llmgw_module);

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    ngx_add_timer(ev, lmcf->snapshot_interval);

    if (llmgw_snapshot_busy) {
        return;
    }

#if (NGX_THREADS)
    if (llmgw_snapshot_task) {
        llmgw_snapshot_job_t *job = llmgw_snapshot_task->ctx;

        job->log = ngx_cycle->log;

        if (llmgw_snapshot_serialize(lmcf, job) != NGX_OK) {
            return;
        }

        if (ngx_thread_task_post(llmgw_snapshot_pool, llmgw_snapshot_task)
            == NGX_OK)
        {
            llmgw_snapshot_busy = 1;
            return;
        }

        ngx_free(job->data);
        return;
    }
#endif

    /* no thread pool in this build: the write is small and local */
    llmgw_snapshot_exit_process((ngx_cycle_t *) ngx_cycle, lmcf);
}


#if (NGX_THREADS)

static void
llmgw_snapshot_thread(void *data, ngx_log_t *log)
{
    llmgw_snapshot_write(data);
}


static void
llmgw_snapshot_written(ngx_event_t *ev)
{
    llmgw_snapshot_job_t  *job = llmgw_snapshot_task->ctx;

    ngx_free(job->data);
    job->data = NULL;
    llmgw_snapshot_busy = 0;
}

#endif


/* the live counters, copied out under the lock into one buffer */

static ngx_int_t
llmgw_snapshot_serialize(llmgw_main_conf_t *lmcf, llmgw_snapshot_job_t *job)
{
    u_char  *p;
    size_t   size;

    job->path = lmcf->snapshot;
    job->tmp = lmcf->snapshot_tmp;

    ngx_shmtx_lock(&lmcf->shpool->mutex);

    size = sizeof(LLMGW_SNAPSHOT_MAGIC)
           + llmgw_store_shm_count(lmcf)
             * (LLMGW_STORE_KEY_LEN + 2 * NGX_INT64_LEN + 3)
           + llmgw_registry_snapshot_size(lmcf);

    job->data = ngx_alloc(size, job->log);
    if (job->data == NULL) {
        ngx_shmtx_unlock(&lmcf->shpool->mutex);
        return NGX_ERROR;
    }

    p = llmgw_store_shm_dump(lmcf, job->data, size, LLMGW_SNAPSHOT_MAGIC);
    p = llmgw_registry_snapshot(lmcf, p, job->data + size);
    job->len = p - job->data;

    ngx_shmtx_unlock(&lmcf->shpool->mutex);

    return NGX_OK;
}


static void
llmgw_snapshot_write(llmgw_snapshot_job_t *job)
{
    ssize_t    n;
    ngx_fd_t   fd;

    fd = ngx_open_file(job->tmp.data, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE,
                       NGX_FILE_DEFAULT_ACCESS);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, job->log, ngx_errno,
                      "llmgw: cannot write snapshot \"%V\"", &job->tmp);
        return;
    }

    n = ngx_write_fd(fd, job->data, job->len);

    if (n != (ssize_t) job->len) {
        ngx_log_error(NGX_LOG_ALERT, job->log, ngx_errno,
                      "llmgw: cannot write snapshot \"%V\"", &job->tmp);
        ngx_close_file(fd);
        return;
    }

    ngx_close_file(fd);

    if (ngx_rename_file(job->tmp.data, job->path.data) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, job->log, ngx_errno,
                      "llmgw: cannot rename \"%V\" to \"%V\"", &job->tmp,
                      &job->path);
    }
}
