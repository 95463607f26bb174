/*
 * query.c: the store's read-only questions as public API (kapsule.h,
 * "queries"): the stored DAG, the registered modules and what logic said.
 * Each is a thin, owned copy of a row operation of store.h (which owns
 * the SQL) taken inside one read snapshot, so that an embedder and the
 * kapsule command, which is one, ask the same questions through the same
 * code. In runtime/ because kp_dag_get also parses the capsule.
 */
#include <string.h>

#include "runtime/runtime.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/error.h"

struct kp_ids {
    buf ids; /* STORE_ID bytes each */
};

size_t kp_ids_count(const kp_ids *l)
{
    return l ? l->ids.len / STORE_ID : 0;
}

const uint8_t *kp_ids_at(const kp_ids *l, size_t i)
{
    return i < kp_ids_count(l) ? l->ids.p + i * STORE_ID : NULL;
}

void kp_ids_free(kp_ids *l)
{
    if (!l) return;
    buf_free(&l->ids);
    mem_free(l, sizeof *l);
}

/* The id must be stored: lists of a capsule the store does not hold would
   be empty, which reads as "no parents" rather than "no such capsule". */
static int must_exist(kp_store *st, const uint8_t id[STORE_ID], kp_error *err)
{
    int found = 0;
    int rc = store_capsule_exists(st, id, &found, err);
    if (rc == KP_OK && !found) {
        char hex[KP_ID_HEX_BYTES];
        kp_id_format(id, hex);
        rc = err_set(err, KP_E_NOT_FOUND, "no capsule %s in the store", hex);
    }
    return rc;
}

enum { Q_PARENTS, Q_CHILDREN, Q_ANCESTORS, Q_HEADS };

static int id_query(kp_store *st, int q, const uint8_t *id, const char *type, kp_ids **out,
                    kp_error *err)
{
    int owned, rc;
    kp_ids *l = mem_calloc(1, sizeof *l);
    if (!l) return err_set(err, KP_E_NOMEM, "out of memory");
    if ((rc = store_read_begin(st, &owned, err))) goto fail;
    if (q != Q_HEADS) rc = must_exist(st, id, err);
    if (rc == KP_OK) {
        switch (q) {
        case Q_PARENTS: rc = store_capsule_parents(st, id, &l->ids, err); break;
        case Q_CHILDREN: rc = store_capsule_children(st, id, &l->ids, err); break;
        case Q_ANCESTORS: rc = store_capsule_ancestors(st, id, &l->ids, err); break;
        default: rc = store_capsule_heads(st, type, &l->ids, err); break;
        }
    }
    store_read_end(st, owned);
    if (rc) goto fail;
    *out = l;
    return KP_OK;
fail:
    kp_ids_free(l);
    return rc;
}

int kp_dag_parents(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_ids **out, kp_error *err)
{
    return id_query(st, Q_PARENTS, id, NULL, out, err);
}

int kp_dag_children(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_ids **out, kp_error *err)
{
    return id_query(st, Q_CHILDREN, id, NULL, out, err);
}

int kp_dag_ancestors(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_ids **out, kp_error *err)
{
    return id_query(st, Q_ANCESTORS, id, NULL, out, err);
}

int kp_dag_heads(kp_store *st, const char *type, kp_ids **out, kp_error *err)
{
    return id_query(st, Q_HEADS, NULL, type, out, err);
}

int kp_dag_get(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_capsule **c, kp_dag_place *place,
               kp_error *err)
{
    buf bytes = {0};
    int64_t seq = 0;
    uint64_t li = 0;
    kp_capsule *cap = NULL;
    int rc = store_capsule_get(st, id, &bytes, &seq, &li, err);
    if (rc == KP_E_NOT_FOUND) {
        char hex[KP_ID_HEX_BYTES];
        kp_id_format(id, hex);
        err_set(err, rc, "no capsule %s in the store", hex);
    }
    if (rc == KP_OK)
        rc = kp_capsule_parse(bytes.p ? bytes.p : (const uint8_t *)"", bytes.len, NULL, &cap, err);
    buf_free(&bytes);
    if (rc) return rc;
    *c = cap;
    if (place) {
        place->seq = seq;
        place->log_index = li;
    }
    return KP_OK;
}

/* ---- modules ------------------------------------------------------------------------ */

const char *kp_module_state_name(kp_module_state s)
{
    switch (s) {
    case KP_MODULE_ACTIVE: return "active";
    case KP_MODULE_DESTROYED: return "destroyed";
    case KP_MODULE_UPGRADED: return "upgraded";
    }
    return "unknown";
}

static void module_info(const store_module *m, kp_module_info *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->id, m->id, STORE_ID);
    out->has_owner = m->owner_len > 0;
    out->owner_alg = (kp_key_alg)m->owner_alg;
    out->owner_len = m->owner_len < KP_PK_MAX_BYTES ? m->owner_len : KP_PK_MAX_BYTES;
    memcpy(out->owner, m->owner, out->owner_len);
    out->state = (kp_module_state)m->state;
    if (m->state == STORE_MODULE_UPGRADED) memcpy(out->successor, m->successor, STORE_ID);
    out->added = m->added;
    out->code_len = m->code_len;
}

int kp_modules_list(kp_store *st, kp_module_info **rows, size_t *n, kp_error *err)
{
    store_module *m = NULL;
    size_t k = 0;
    int rc = store_module_list(st, &m, &k, err);
    if (rc) return rc;
    kp_module_info *out = NULL;
    if (k) {
        size_t bytes;
        if (!size_mul(k, sizeof *out, &bytes) || !(out = mem_alloc(bytes))) {
            mem_free(m, k * sizeof *m);
            return err_set(err, KP_E_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < k; i++) module_info(&m[i], &out[i]);
        mem_free(m, k * sizeof *m);
    }
    *rows = out;
    *n = k;
    return KP_OK;
}

void kp_modules_free(kp_module_info *rows, size_t n)
{
    if (rows) mem_free(rows, n * sizeof *rows);
}

int kp_module_get(kp_store *st, const uint8_t id[KP_ID_BYTES], kp_module_info *out, kp_error *err)
{
    store_module m;
    int rc = store_module_info(st, id, &m, err);
    if (rc == KP_E_NOT_FOUND) {
        char hex[KP_ID_HEX_BYTES];
        kp_id_format(id, hex);
        err_set(err, rc, "no module %s is registered", hex);
    }
    if (rc) return rc;
    module_info(&m, out);
    return KP_OK;
}

/* ---- results ------------------------------------------------------------------------ */

struct kp_result {
    store_result r;
    buf mem; /* r.reason and r.result point into it */
};

int kp_result_get(kp_store *st, const uint8_t capsule[KP_ID_BYTES], kp_result **out,
                  kp_error *err)
{
    int owned, rc;
    kp_result *res = mem_calloc(1, sizeof *res);
    if (!res) return err_set(err, KP_E_NOMEM, "out of memory");
    if ((rc = store_read_begin(st, &owned, err))) goto fail;
    rc = must_exist(st, capsule, err);
    if (rc == KP_OK) {
        rc = store_result_get(st, capsule, &res->r, &res->mem, err);
        if (rc == KP_E_NOT_FOUND) {
            char hex[KP_ID_HEX_BYTES];
            kp_id_format(capsule, hex);
            err_set(err, rc, "capsule %s has no result (it names no logic module)", hex);
        }
    }
    store_read_end(st, owned);
    if (rc) goto fail;
    *out = res;
    return KP_OK;
fail:
    kp_result_free(res);
    return rc;
}

const uint8_t *kp_result_module(const kp_result *r)
{
    return r->r.module;
}

int kp_result_verdict(const kp_result *r, const char **reason)
{
    if (reason) *reason = r->r.reason ? r->r.reason : "";
    return r->r.verdict;
}

const uint8_t *kp_result_data(const kp_result *r, size_t *len, int *submitted)
{
    if (submitted) *submitted = r->r.has_result;
    if (len) *len = r->r.has_result ? r->r.result_len : 0;
    if (!r->r.has_result) return NULL;
    return r->r.result ? r->r.result : (const uint8_t *)"";
}

uint64_t kp_result_fuel(const kp_result *r)
{
    return r->r.fuel;
}

const uint8_t *kp_result_transcript_root(const kp_result *r)
{
    return r->r.transcript_root;
}

const uint8_t *kp_result_policy_hash(const kp_result *r)
{
    return r->r.policy_hash;
}

uint64_t kp_result_log_index(const kp_result *r)
{
    return r->r.log_idx;
}

void kp_result_free(kp_result *r)
{
    if (!r) return;
    buf_free(&r->mem);
    mem_free(r, sizeof *r);
}
