/*
 * llmgw: rate limits and budgets as the governance file writes them, and
 * the window or period each one is in at a given time.
 *
 *   "rate_limit": {"requests": 60, "tokens": 100000, "window": "1m"}
 *                 (or an array of them)
 *   "budgets":    [{"limit": 25.0, "period": "1d", "reset": "calendar"},
 *                  {"limit": 500, "period": "1M", "reset": "rolling",
 *                   "start": "2026-01-15T00:00:00Z"}]
 *
 * Windows of rate limits and rolling budget periods are fixed lengths
 * counted from an anchor (the epoch unless "start" says otherwise); calendar
 * periods begin on the UTC hour, day, Monday, first of the month or of the
 * year.
 */


#include <jansson.h>

#include "llmgw.h"


static ngx_int_t llmgw_limits_prefix(ngx_pool_t *pool, llmgw_entity_t *e,
    ngx_str_t *tag, ngx_str_t *vkid);
static ngx_int_t llmgw_limit_period(ngx_pool_t *pool, ngx_str_t *s,
    llmgw_limit_t *l, ngx_flag_t budget);
static llmgw_limit_t *llmgw_limit_add(ngx_array_t *a, llmgw_limit_kind_e kind,
    int64_t limit, llmgw_limit_t *period);
static void llmgw_limit_compute(llmgw_limit_t *l, time_t now,
    time_t *start, time_t *end);
static time_t llmgw_calendar_next(time_t start, u_char unit);


/* returns an error message, or NULL */

const char *
llmgw_limits_parse(ngx_pool_t *pool, ngx_array_t *limits, json_t *rate,
    json_t *budgets)
{
    size_t          i;
    json_t         *r, *v, *w;
    ngx_str_t       s;
    llmgw_limit_t   period;
    const char     *key;

    if (ngx_array_init(limits, pool, 2, sizeof(llmgw_limit_t)) != NGX_OK) {
        return "out of memory";
    }

    if (rate && json_is_object(rate)) {
        r = json_array();
        json_array_append(r, rate);

    } else if (rate && json_is_array(rate)) {
        r = json_incref(rate);

    } else if (rate) {
        return "\"rate_limit\" must be an object or an array of objects";

    } else {
        r = json_array();
    }

    json_array_foreach(r, i, v) {
        w = json_object_get(v, "window");

        if (!json_is_string(w)) {
            json_decref(r);
            return "a rate limit needs a \"window\" like \"1m\"";
        }

        s.data = (u_char *) json_string_value(w);
        s.len = json_string_length(w);

        if (llmgw_limit_period(pool, &s, &period, 0) != NGX_OK) {
            json_decref(r);
            return "a rate limit \"window\" is a number and one of s, m, h, d";
        }

        json_object_foreach(v, key, w) {
            if (ngx_strcmp(key, "window") == 0) {
                continue;
            }

            if (ngx_strcmp(key, "requests") != 0
                && ngx_strcmp(key, "tokens") != 0)
            {
                json_decref(r);
                return "a rate limit has \"requests\", \"tokens\" and "
                       "\"window\"";
            }

            if (!json_is_integer(w) || json_integer_value(w) < 0) {
                json_decref(r);
                return "a rate limit's \"requests\" and \"tokens\" are "
                       "counts";
            }

            if (llmgw_limit_add(limits, key[0] == 'r' ? LLMGW_LIMIT_REQUESTS
                                                      : LLMGW_LIMIT_TOKENS,
                                json_integer_value(w), &period)
                == NULL)
            {
                json_decref(r);
                return "out of memory";
            }
        }
    }

    json_decref(r);

    if (budgets == NULL) {
        return NULL;
    }

    if (!json_is_array(budgets)) {
        return "\"budgets\" must be an array";
    }

    json_array_foreach(budgets, i, v) {
        w = json_object_get(v, "period");

        if (!json_is_object(v) || !json_is_string(w)
            || !json_is_number(json_object_get(v, "limit"))
            || json_number_value(json_object_get(v, "limit")) < 0
            || json_number_value(json_object_get(v, "limit")) > 9e6)
        {
            /* picodollars in 64 bits: up to $9.2 million */
            return "a budget is {\"limit\": dollars (at most 9000000), "
                   "\"period\": \"1d\", \"reset\": \"calendar\" or "
                   "\"rolling\"}";
        }

        s.data = (u_char *) json_string_value(w);
        s.len = json_string_length(w);

        if (llmgw_limit_period(pool, &s, &period, 1) != NGX_OK) {
            return "a budget \"period\" is one of 1h, 1d, 1w, 1M, 1Y "
                   "(or N of h, d, w)";
        }

        w = json_object_get(v, "reset");

        if (w == NULL || (json_is_string(w)
                          && ngx_strcmp(json_string_value(w), "calendar")
                             == 0))
        {
            period.calendar = 1;

        } else if (!json_is_string(w)
                   || ngx_strcmp(json_string_value(w), "rolling") != 0)
        {
            return "a budget \"reset\" is \"calendar\" or \"rolling\"";
        }

        w = json_object_get(v, "start");

        if (w) {
            if (period.calendar || llmgw_parse_time(w, &period.anchor)
                                   != NGX_OK)
            {
                return "a budget \"start\" is a UTC time, for rolling "
                       "periods";
            }
        }

        json_object_foreach(v, key, w) {
            if (ngx_strcmp(key, "limit") && ngx_strcmp(key, "period")
                && ngx_strcmp(key, "reset") && ngx_strcmp(key, "start"))
            {
                return "a budget has \"limit\", \"period\", \"reset\" and "
                       "\"start\"";
            }
        }

        if (llmgw_limit_add(limits, LLMGW_LIMIT_SPEND,
                            llmgw_usd_to_pico(
                                json_number_value(json_object_get(v, "limit"))),
                            &period)
            == NULL)
        {
            return "out of memory";
        }
    }

    return NULL;
}


static ngx_int_t
llmgw_limit_period(ngx_pool_t *pool, ngx_str_t *s, llmgw_limit_t *l,
    ngx_flag_t budget)
{
    u_char     unit;
    ngx_int_t  n;

    ngx_memzero(l, sizeof(llmgw_limit_t));

    if (s->len < 2) {
        return NGX_ERROR;
    }

    n = ngx_atoi(s->data, s->len - 1);
    unit = s->data[s->len - 1];

    if (n <= 0 || n > 100000) {
        return NGX_ERROR;
    }

    l->unit = unit;

    switch (unit) {

    case 's':
        l->length = n;
        break;

    case 'm':
        l->length = n * 60;
        break;

    case 'h':
        l->length = n * 3600;
        break;

    case 'd':
        l->length = n * 86400;
        break;

    case 'w':
        l->length = n * 7 * 86400;
        break;

    case 'M':
        /* a rolling month is 30 days; a calendar month is a month */
        l->length = n == 1 ? 30 * 86400 : 0;
        break;

    case 'Y':
        l->length = n == 1 ? 365 * 86400 : 0;
        break;

    default:
        return NGX_ERROR;
    }

    if (l->length == 0) {
        return NGX_ERROR;
    }

    if (budget ? (unit == 's' || unit == 'm') : (unit == 'w' || unit == 'M'
                                                || unit == 'Y'))
    {
        return NGX_ERROR;
    }

    l->name.len = s->len;
    l->name.data = ngx_pstrdup(pool, s);

    return l->name.data ? NGX_OK : NGX_ERROR;
}


static llmgw_limit_t *
llmgw_limit_add(ngx_array_t *a, llmgw_limit_kind_e kind, int64_t limit,
    llmgw_limit_t *period)
{
    llmgw_limit_t  *l;

    l = ngx_array_push(a);
    if (l == NULL) {
        return NULL;
    }

    *l = *period;
    l->kind = kind;
    l->limit = limit;

    return l;
}


int64_t
llmgw_usd_to_pico(double usd)
{
    /* to the picodollar, rounded: prices are quoted to a few decimals */
    return (int64_t) (usd * 1e12 + 0.5);
}


/*
 * The window or period a limit is in at `now`: its start and its end.
 * 1970-01-01 was a Thursday: calendar weeks count from Monday 1970-01-05.
 */

void
llmgw_limit_window(llmgw_limit_t *l, time_t now, time_t *start, time_t *end)
{
    if (now < l->win_start || now >= l->win_end) {
        llmgw_limit_compute(l, now, &l->win_start, &l->win_end);
    }

    *start = l->win_start;
    *end = l->win_end;
}


static void
llmgw_limit_compute(llmgw_limit_t *l, time_t now, time_t *start, time_t *end)
{
    time_t     anchor;
    struct tm  tm;

    if (!l->calendar || l->unit == 'h' || l->unit == 'd' || l->unit == 'w') {
        anchor = l->calendar ? (l->unit == 'w' ? 4 * 86400 : 0) : l->anchor;

        if (now < anchor) {
            *start = anchor - l->length;

        } else {
            *start = anchor + (now - anchor) / l->length * l->length;
        }

        *end = *start + l->length;
        return;
    }

    gmtime_r(&now, &tm);
    tm.tm_sec = 0;
    tm.tm_min = 0;
    tm.tm_hour = 0;
    tm.tm_mday = 1;

    if (l->unit == 'Y') {
        tm.tm_mon = 0;
    }

    *start = timegm(&tm);
    *end = llmgw_calendar_next(*start, l->unit);
}


static time_t
llmgw_calendar_next(time_t start, u_char unit)
{
    struct tm  tm;

    gmtime_r(&start, &tm);

    if (unit == 'Y') {
        tm.tm_year++;

    } else {
        tm.tm_mon++;
    }

    return timegm(&tm);
}


ngx_int_t
llmgw_parse_time(json_t *v, time_t *t)
{
    int          n;
    struct tm    tm;
    const char  *s;

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *t = (time_t) json_integer_value(v);
        return NGX_OK;
    }

    s = json_is_string(v) ? json_string_value(v) : "";
    ngx_memzero(&tm, sizeof(struct tm));
    n = 0;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6
        || (size_t) n != ngx_strlen(s))
    {
        return NGX_ERROR;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;

    *t = timegm(&tm);

    return NGX_OK;
}


/*
 * The store key of each limit a key's requests are charged to, but for the
 * window's start: {tag}:level:id:kind:period: (a provider entry's id being
 * key/provider), and its crc32 so far.  Made once, at configuration time;
 * a request only appends the start.  A team's or customer's limits are
 * shared by all its keys, whose tag is the same: the first key makes them.
 */

ngx_int_t
llmgw_limits_keys(ngx_pool_t *pool, llmgw_vkey_t *vk)
{
    ngx_uint_t        r, n;
    llmgw_route_t    *rt;
    llmgw_entity_t   *e, *chain[4 + 64];

    n = 0;
    rt = vk->routes.elts;

    for (r = 0; r < vk->routes.nelts && n < 64; r++) {
        chain[n++] = &rt[r].entity;
    }

    for (e = &vk->entity; e; e = e->parent) {
        chain[n++] = e;
    }

    for (r = 0; r < n; r++) {
        if (llmgw_limits_prefix(pool, chain[r], &vk->tag, &vk->id) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * A team's or customer's: made with the entity, from its own pool, so that
 * a key read later (the admin API's, into a view that is freed when it is
 * replaced) never writes into an entity that outlives it.
 */

ngx_int_t
llmgw_limits_entity_keys(ngx_pool_t *pool, llmgw_entity_t *e)
{
    u_char           buf[2 + LLMGW_MAX_ID_LEN];
    ngx_str_t        tag;
    llmgw_entity_t  *top;

    for (top = e; top->parent; top = top->parent) {
        /* void */
    }

    tag.data = buf;
    tag.len = ngx_snprintf(buf, sizeof(buf), "%c:%V",
                           top->level == LLMGW_LEVEL_CUSTOMER ? 'c' : 't',
                           &top->id)
              - buf;

    return llmgw_limits_prefix(pool, e, &tag, NULL);
}


/* each limit's store key but the window's start: "{tag}:level:id:kind:name:" */

static ngx_int_t
llmgw_limits_prefix(ngx_pool_t *pool, llmgw_entity_t *e, ngx_str_t *tag,
    ngx_str_t *vkid)
{
    u_char         *p, buf[LLMGW_STORE_KEY_LEN];
    ngx_uint_t      i;
    llmgw_limit_t  *l;

    static u_char  level_tag[] = { 'p', 'k', 't', 'c' };
    static u_char  kind_tag[] = { 'r', 't', 's' };

    l = e->limits.elts;

    for (i = 0; i < e->limits.nelts; i++) {
        if (l[i].prefix.len) {
            continue;
        }

        p = ngx_snprintf(buf, sizeof(buf), "{%V}:%c:", tag,
                         level_tag[e->level]);

        if (e->level == LLMGW_LEVEL_ROUTE) {
            p = ngx_snprintf(p, buf + sizeof(buf) - p, "%V/", vkid);
        }

        p = ngx_snprintf(p, buf + sizeof(buf) - p, "%V:%c:%V:", &e->id,
                         kind_tag[l[i].kind], &l[i].name);

        l[i].prefix.len = p - buf;
        l[i].prefix.data = ngx_pnalloc(pool, l[i].prefix.len);
        if (l[i].prefix.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(l[i].prefix.data, buf, l[i].prefix.len);

        ngx_crc32_init(l[i].prefix_crc);
        ngx_crc32_update(&l[i].prefix_crc, buf, l[i].prefix.len);
    }

    return NGX_OK;
}
