/*
 * llmgw: the virtual key.  Read from the client's headers, hashed with
 * SHA-256, looked up by digest; the raw key is never stored or logged.
 */


#include "llmgw.h"

#include <openssl/sha.h>


static ngx_int_t llmgw_auth_key(ngx_http_request_t *r, ngx_str_t *key);
static ngx_int_t llmgw_sha256(u_char *p, size_t len, u_char *digest);
static ngx_table_elt_t *llmgw_auth_header(ngx_http_request_t *r,
    const char *lowcase, size_t len);


ngx_int_t
llmgw_auth(ngx_http_request_t *r, llmgw_ctx_t *ctx)
{
    u_char              digest[LLMGW_DIGEST_LEN];
    ngx_str_t           key;
    llmgw_vkey_t       *vk;
    llmgw_main_conf_t  *lmcf;

    if (llmgw_auth_key(r, &key) != NGX_OK) {
        return llmgw_fail(r, ctx, NGX_HTTP_UNAUTHORIZED,
                          "authentication_error", "missing_api_key",
                          "Missing API key: send it as \"Authorization: "
                          "Bearer <key>\", x-api-key, x-goog-api-key or "
                          "x-llmgw-key");
    }

    if (llmgw_sha256(key.data, key.len, digest) != NGX_OK) {
        return llmgw_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                          "api_error", "internal_error", "SHA-256 failed");
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_llmgw_module);

    vk = llmgw_view_vkey(r, lmcf, digest);

    if (vk == NULL) {
        return llmgw_fail(r, ctx, NGX_HTTP_UNAUTHORIZED,
                          "authentication_error", "invalid_api_key",
                          "Invalid API key");
    }

    ctx->vkey = vk;

    if (!vk->enabled) {
        return llmgw_fail(r, ctx, NGX_HTTP_FORBIDDEN, "permission_error",
                          "key_disabled", "API key \"%V\" is disabled",
                          &vk->id);
    }

    if (vk->expires && ngx_time() >= vk->expires) {
        return llmgw_fail(r, ctx, NGX_HTTP_FORBIDDEN, "permission_error",
                          "key_expired", "API key \"%V\" has expired",
                          &vk->id);
    }

    return NGX_OK;
}


/* the low-level call, on the stack: EVP_DigestInit_ex() of OpenSSL 3.0
 * frees and allocates its provider context on every call, which costs
 * more than hashing a key (nginx builds with OPENSSL_SUPPRESS_DEPRECATED) */

static ngx_int_t
llmgw_sha256(u_char *p, size_t len, u_char *digest)
{
    SHA256_CTX  sha;

    if (SHA256_Init(&sha) != 1
        || SHA256_Update(&sha, p, len) != 1
        || SHA256_Final(digest, &sha) != 1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* x-llmgw-key names the gateway's key unambiguously; then the places the
 * SDKs put theirs: OpenAI's, Anthropic's and Google's. */

static ngx_int_t
llmgw_auth_key(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_str_t         v;
    ngx_table_elt_t  *h;

    h = llmgw_auth_header(r, "x-llmgw-key", sizeof("x-llmgw-key") - 1);

    if (h == NULL) {
        h = r->headers_in.authorization;

        if (h) {
            v = h->value;

            if (v.len > 7 && ngx_strncasecmp(v.data, (u_char *) "Bearer ", 7)
                             == 0)
            {
                v.data += 7;
                v.len -= 7;

                while (v.len && *v.data == ' ') {
                    v.data++;
                    v.len--;
                }

                if (v.len) {
                    *key = v;
                    return NGX_OK;
                }
            }

            h = NULL;
        }
    }

    if (h == NULL) {
        h = llmgw_auth_header(r, "x-api-key", sizeof("x-api-key") - 1);
    }

    if (h == NULL) {
        h = llmgw_auth_header(r, "x-goog-api-key",
                              sizeof("x-goog-api-key") - 1);
    }

    if (h == NULL || h->value.len == 0) {
        return NGX_DECLINED;
    }

    *key = h->value;

    return NGX_OK;
}


static ngx_table_elt_t *
llmgw_auth_header(ngx_http_request_t *r, const char *lowcase, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncmp(h[i].lowcase_key, lowcase, len) == 0)
        {
            return &h[i];
        }
    }
}


/* Keys are SHA-256 digests: their first bytes are unique in practice, and
 * llmgw_vkey_insert() makes it so. */

llmgw_vkey_t *
llmgw_vkey_lookup(ngx_rbtree_t *tree, u_char *digest)
{
    ngx_rbtree_key_t    key;
    ngx_rbtree_node_t  *node, *sentinel;

    ngx_memcpy(&key, digest, sizeof(ngx_rbtree_key_t));

    node = tree->root;
    sentinel = tree->sentinel;

    while (node != sentinel) {

        if (key == node->key) {
            return (llmgw_vkey_t *) node;
        }

        node = (key < node->key) ? node->left : node->right;
    }

    return NULL;
}


llmgw_vkey_t *
llmgw_vkey_find(llmgw_main_conf_t *lmcf, u_char *digest)
{
    llmgw_vkey_t  *vk;

    vk = llmgw_vkey_lookup(&lmcf->vkeys, digest);

    if (vk && ngx_memcmp(digest, vk->digest, LLMGW_DIGEST_LEN) == 0) {
        return vk;
    }

    return NULL;
}


ngx_int_t
llmgw_vkey_insert(llmgw_main_conf_t *lmcf, llmgw_vkey_t *vk)
{
    if (llmgw_vkey_lookup(&lmcf->vkeys, vk->digest) != NULL) {
        return NGX_DECLINED;
    }

    ngx_memcpy(&vk->node.key, vk->digest, sizeof(ngx_rbtree_key_t));
    ngx_rbtree_insert(&lmcf->vkeys, &vk->node);
    lmcf->nvkeys++;

    return NGX_OK;
}
