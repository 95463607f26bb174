/*
 * journal.c: a run's effects, held until the embedder commits them.
 * Reads made during the run see the run's own writes first and ask the
 * world (an oracle, world.c) only for what the run has not written, so a
 * replay that rebuilds the same journal asks the same questions.
 */
#include <string.h>

#include "host/internal.h"
#include "util/alloc.h"
#include "util/error.h"

void host_journal_free(host_journal *j)
{
    host_map_free(&j->storage);
    host_map_free(&j->nonces);
    mem_free(j->xfers, j->xcap * sizeof *j->xfers);
    mem_free(j->life, j->lcap * sizeof *j->life);
    for (size_t i = 0; i < j->nemits; i++) {
        mem_free(j->emits[i].type, strlen(j->emits[i].type) + 1);
        mem_free(j->emits[i].body, j->emits[i].pub.body_len ? j->emits[i].pub.body_len : 1);
    }
    mem_free(j->emits, j->ecap * sizeof *j->emits);
    buf_free(&j->logs);
    buf_free(&j->result);
    if (j->reason) mem_free(j->reason, j->reason_len + 1);
    memset(j, 0, sizeof *j);
}

/* Grows an array of n items of size sz to hold one more. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap) return KP_OK;
    size_t nc = *cap ? *cap * 2 : 8, bytes;
    if (!size_mul(nc, sz, &bytes)) return KP_E_NOMEM;
    void *q = mem_realloc(*p, *cap * sz, bytes);
    if (!q) return KP_E_NOMEM;
    *p = q;
    *cap = nc;
    return KP_OK;
}

/* ---- storage -------------------------------------------------------------------- */

static int jkey(buf *b, const uint8_t module[32], const uint8_t *key, size_t klen)
{
    b->len = 0;
    if (buf_append(b, module, 32) || buf_append(b, key, klen)) return KP_E_NOMEM;
    return KP_OK;
}

int host_j_storage_get(host_call *c, const uint8_t module[32], const uint8_t *key, size_t klen,
                       int *found, const uint8_t **val, size_t *vlen)
{
    host_run *r = c->run;
    buf k = {0};
    if (jkey(&k, module, key, klen)) {
        buf_free(&k);
        return host_trap(c, KP_E_NOMEM, "out of memory");
    }
    host_map_ent *x = host_map_get(&r->j.storage, k.p, k.len);
    buf_free(&k);
    if (x) {
        /* written (or deleted) by this run */
        *found = x->live;
        *val = x->val;
        *vlen = x->vlen;
        return KP_OK;
    }
    return host_w_storage_get(c, module, key, klen, found, val, vlen);
}

int host_j_storage_put(host_journal *j, const uint8_t module[32], const uint8_t *key, size_t klen,
                       const uint8_t *val, size_t vlen)
{
    buf k = {0};
    int rc = jkey(&k, module, key, klen);
    if (!rc) rc = host_map_put(&j->storage, k.p, k.len, val, vlen);
    buf_free(&k);
    return rc;
}

int host_j_storage_del(host_call *c, const uint8_t module[32], const uint8_t *key, size_t klen,
                       int *existed)
{
    const uint8_t *v;
    size_t vlen;
    int rc = host_j_storage_get(c, module, key, klen, existed, &v, &vlen);
    if (rc) return rc;
    if (!*existed) return KP_OK;
    buf k = {0};
    /* a dead entry in the journal is a delete to apply at commit */
    rc = jkey(&k, module, key, klen);
    if (!rc) rc = host_map_put(&c->run->j.storage, k.p, k.len, NULL, 0);
    if (!rc) host_map_del(&c->run->j.storage, k.p, k.len);
    buf_free(&k);
    return rc ? host_trap(c, KP_E_NOMEM, "out of memory") : KP_OK;
}

/* ---- ledger --------------------------------------------------------------------- */

int host_j_balance(host_call *c, const uint8_t *acct, size_t len, uint64_t *bal)
{
    uint64_t b;
    int rc = host_w_balance(c, acct, len, &b);
    if (rc) return rc;
    /* pending transfers: balances never go below zero (transfers are
       checked against this same view), and credits are bounded by debits */
    const host_journal *j = &c->run->j;
    for (size_t i = 0; i < j->nxfers; i++) {
        const host_xfer *x = &j->xfers[i];
        if (x->tlen == len && memcmp(x->to, acct, len) == 0) b += x->amount;
        if (x->flen == len && memcmp(x->from, acct, len) == 0) b -= x->amount;
    }
    *bal = b;
    return KP_OK;
}

int host_j_transfer(host_journal *j, const uint8_t *from, size_t flen, const uint8_t *to,
                    size_t tlen, uint64_t amount)
{
    if (grow((void **)&j->xfers, &j->xcap, j->nxfers, sizeof *j->xfers)) return KP_E_NOMEM;
    host_xfer *x = &j->xfers[j->nxfers++];
    memset(x, 0, sizeof *x);
    x->flen = flen;
    memcpy(x->from, from, flen);
    x->tlen = tlen;
    memcpy(x->to, to, tlen);
    x->amount = amount;
    return KP_OK;
}

static int nkey(buf *b, const uint8_t *author, size_t alen, const uint8_t *nonce, size_t nlen)
{
    b->len = 0;
    if (buf_putc(b, (uint8_t)alen) || buf_append(b, author, alen) || buf_append(b, nonce, nlen))
        return KP_E_NOMEM;
    return KP_OK;
}

int host_j_nonce_pending(host_journal *j, const uint8_t *author, size_t alen,
                         const uint8_t *nonce, size_t nlen)
{
    buf k = {0};
    int hit = 0;
    if (nkey(&k, author, alen, nonce, nlen) == KP_OK) hit = host_map_get(&j->nonces, k.p, k.len) != NULL;
    buf_free(&k);
    return hit;
}

int host_j_nonce_add(host_journal *j, const uint8_t *author, size_t alen, const uint8_t *nonce,
                     size_t nlen)
{
    buf k = {0};
    int rc = nkey(&k, author, alen, nonce, nlen);
    if (!rc) rc = host_map_put(&j->nonces, k.p, k.len, NULL, 0);
    buf_free(&k);
    return rc;
}

/* ---- lifecycle, emits, logs -------------------------------------------------------- */

int host_j_lifecycle(host_journal *j, const uint8_t module[32], int state,
                     const uint8_t successor[32])
{
    if (grow((void **)&j->life, &j->lcap, j->nlife, sizeof *j->life)) return KP_E_NOMEM;
    host_lifecycle_rec *l = &j->life[j->nlife++];
    memcpy(l->module, module, 32);
    l->state = state;
    memset(l->successor, 0, 32);
    if (successor) memcpy(l->successor, successor, 32);
    return KP_OK;
}

int host_j_lifecycle_state(const host_journal *j, const uint8_t module[32])
{
    for (size_t i = j->nlife; i-- > 0;)
        if (memcmp(j->life[i].module, module, 32) == 0) return j->life[i].state;
    return -1;
}

int host_j_emit(host_journal *j, uint32_t inst, const uint8_t module[32], const uint8_t *type,
                size_t tlen, const uint8_t *body, size_t blen)
{
    if (grow((void **)&j->emits, &j->ecap, j->nemits, sizeof *j->emits)) return KP_E_NOMEM;
    host_emit_rec *x = &j->emits[j->nemits];
    memset(x, 0, sizeof *x);
    x->type = mem_strndup((const char *)type, tlen);
    x->body = mem_alloc(blen ? blen : 1);
    if (!x->type || !x->body) {
        if (x->type) mem_free(x->type, tlen + 1);
        mem_free(x->body, blen ? blen : 1);
        return KP_E_NOMEM;
    }
    if (blen) memcpy(x->body, body, blen);
    x->pub.inst = inst;
    memcpy(x->pub.module, module, 32);
    x->pub.type = x->type;
    x->pub.body = x->body;
    x->pub.body_len = blen;
    j->nemits++;
    return KP_OK;
}

int host_j_log(host_run *r, uint32_t inst, int level, const uint8_t *msg, size_t len)
{
    host_journal *j = &r->j;
    if (r->cfg.on_log) r->cfg.on_log(r->cfg.log_user, inst, level, msg, len);
    /* the kept copy is bounded; every line is in the transcript anyway */
    if (j->logs.len + len + 32 > HOST_LOG_TOTAL_MAX) return KP_OK;
    if (buf_printf(&j->logs, "%u %d ", inst, level) || buf_append(&j->logs, msg, len) ||
        buf_putc(&j->logs, '\n'))
        return KP_E_NOMEM;
    return KP_OK;
}

/* ---- commit --------------------------------------------------------------------------- */

int host_j_commit(host_run *r, kp_error *err)
{
    host_journal *j = &r->j;
    const host_config *cfg = &r->cfg;
    int rc;
    for (size_t i = 0; i < j->storage.n; i++) {
        const host_map_ent *x = &j->storage.ents[i];
        if (!cfg->storage)
            return err_set(err, KP_E_HOST_NO_BACKEND, "no child storage to commit to");
        if (x->live)
            rc = cfg->storage->put(cfg->storage->user, x->key, x->key + 32, x->klen - 32, x->val,
                                   x->vlen, err);
        else
            rc = cfg->storage->del(cfg->storage->user, x->key, x->key + 32, x->klen - 32, err);
        if (rc) return rc;
    }
    if ((j->nxfers || j->nonces.n) && !cfg->ledger)
        return err_set(err, KP_E_HOST_NO_BACKEND, "no ledger to commit to");
    for (size_t i = 0; i < j->nxfers; i++) {
        const host_xfer *x = &j->xfers[i];
        if ((rc = cfg->ledger->transfer(cfg->ledger->user, x->from, x->flen, x->to, x->tlen,
                                        x->amount, err)))
            return rc;
    }
    for (size_t i = 0; i < j->nonces.n; i++) {
        const host_map_ent *x = &j->nonces.ents[i];
        size_t alen = x->key[0];
        if ((rc = cfg->ledger->nonce_claim(cfg->ledger->user, x->key + 1, alen, x->key + 1 + alen,
                                           x->klen - 1 - alen, err)))
            return rc;
    }
    if (j->nlife && !cfg->modules)
        return err_set(err, KP_E_HOST_NO_BACKEND, "no module registry to commit to");
    for (size_t i = 0; i < j->nlife; i++) {
        const host_lifecycle_rec *l = &j->life[i];
        if ((rc = cfg->modules->set_state(cfg->modules->user, l->module, l->state, l->successor,
                                          err)))
            return rc;
    }
    return KP_OK;
}
