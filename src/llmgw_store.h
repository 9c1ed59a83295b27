/*
 * llmgw: the store of counters (DESIGN.md, "State: the store").
 *
 * A request is charged to several counters at once: requests and tokens in
 * a rate-limit window, spend in a budget period, at the key, its provider
 * entry, its team and its customer.  reserve() checks and adds every charge
 * in one atomic step, or none; settle() later adds the difference between
 * the real usage and what was reserved.  Two back ends: the shared memory
 * zone (llmgw_store_shm.c) and Redis (llmgw_store_redis.c).
 */

#ifndef _LLMGW_STORE_H_INCLUDED_
#define _LLMGW_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* a limit's prefix at its longest (llmgw_limits_prefix: ids of
 * LLMGW_MAX_ID_LEN) and the window's start */
#define LLMGW_STORE_KEY_LEN  256


typedef struct llmgw_charge_s  llmgw_charge_t;

struct llmgw_charge_s {
    /* what the store needs */
    u_char               *key;
    size_t                key_len;
    uint32_t              hash;       /* crc32 of the key */
    int64_t               limit;      /* refused when used + amount > limit */
    int64_t               amount;     /* added by reserve() */
    time_t                reset;      /* the window or period ends: expiry */

    /* the answer: the counter after the reservation, or as it stood
     * when it refused */
    int64_t               used;

    /* what the charge is, for errors, headers and logs */
    void                 *data;
};


typedef enum {
    LLMGW_STORE_OK = 0,          /* every charge reserved */
    LLMGW_STORE_REFUSED,         /* charge *refused would exceed: none made */
    LLMGW_STORE_AGAIN,           /* the answer comes through the callback */
    LLMGW_STORE_UNAVAILABLE      /* the store cannot answer */
} llmgw_store_rc_e;


/* Called once for an AGAIN, with the final rc, unless the waiter was
 * cancelled first (the request went away). */
typedef void (*llmgw_store_done_pt)(void *data, llmgw_store_rc_e rc,
    ngx_uint_t refused);


typedef struct llmgw_store_waiter_s  llmgw_store_waiter_t;

struct llmgw_store_waiter_s {
    llmgw_store_done_pt   done;
    void                 *data;
    llmgw_charge_t       *charges;
    ngx_uint_t            n;
    void                 *backend;    /* the back end's state */
};


typedef struct {
    ngx_str_t             name;

    /* check and add every charge, or none */
    llmgw_store_rc_e    (*reserve)(void *store, llmgw_store_waiter_t *w,
                                   ngx_uint_t *refused);

    /* add delta[i] to charge i, if its window has not ended; never waits
     * for an answer and never fails the request */
    void                (*settle)(void *store, llmgw_charge_t *c,
                                  int64_t *delta, ngx_uint_t n);

    /* read the counters (amounts ignored): the answer in c[i].used */
    llmgw_store_rc_e    (*read)(void *store, llmgw_store_waiter_t *w);

    /* the request went away: never call w->done */
    void                (*cancel)(void *store, llmgw_store_waiter_t *w);
} llmgw_store_ops_t;


extern const llmgw_store_ops_t  llmgw_store_shm_ops;
extern const llmgw_store_ops_t  llmgw_store_redis_ops;


#endif /* _LLMGW_STORE_H_INCLUDED_ */
