/*
 * cap.c: the per-instance table of capability handles (semantics in
 * cap.h). Every check a handle number goes through is in slot_of(): the
 * host functions never index the table themselves.
 */
#include "host/cap.h"

#include <string.h>

static const char *const kind_names[CAP_NKINDS] = {NULL, "ledger.spend", "emit", "lifecycle"};

const char *cap_kind_name(int kind)
{
    return kind > 0 && kind < CAP_NKINDS ? kind_names[kind] : NULL;
}

int cap_kind_parse(const char *name, size_t n)
{
    for (int k = 1; k < CAP_NKINDS; k++)
        if (strlen(kind_names[k]) == n && memcmp(kind_names[k], name, n) == 0) return k;
    return CAP_KIND_NONE;
}

void cap_table_init(cap_table *t)
{
    memset(t, 0, sizeof *t);
}

static int32_t number(uint32_t slot, uint32_t gen)
{
    return (int32_t)(gen << CAP_SLOT_BITS | (slot + 1));
}

int cap_mint(cap_table *t, const cap_handle *h, int32_t *out)
{
    uint32_t s;
    if (t->nused < CAP_MAX_SLOTS) {
        s = t->nused++;
    } else {
        /* reuse the free slot with the lowest generation, so that every
           stale number lives as long as possible */
        uint32_t best = CAP_MAX_SLOTS;
        for (uint32_t i = 0; i < CAP_MAX_SLOTS; i++) {
            const cap_slot *c = &t->slots[i];
            if (c->fate == CAP_FATE_LIVE || c->gen >= CAP_MAX_GEN) continue;
            if (best == CAP_MAX_SLOTS || c->gen < t->slots[best].gen) best = i;
        }
        if (best == CAP_MAX_SLOTS) return KP_E_CAP_TABLE_FULL;
        s = best;
    }
    cap_slot *c = &t->slots[s];
    c->gen++;
    c->fate = CAP_FATE_LIVE;
    c->h = *h;
    *out = number(s, c->gen);
    return KP_OK;
}

/*
 * The slot a number names, checked: a number that does not decode to a
 * slot issued with that generation was never issued (forged); an older
 * generation, or the current one after it was consumed, is stale.
 */
static int slot_of(cap_table *t, int32_t h, cap_slot **out)
{
    if (h <= 0) return KP_E_CAP_FORGED;
    uint32_t v = (uint32_t)h;
    uint32_t s1 = v & ((1u << CAP_SLOT_BITS) - 1);
    uint32_t gen = v >> CAP_SLOT_BITS;
    if (s1 == 0 || s1 > t->nused || gen == 0) return KP_E_CAP_FORGED;
    cap_slot *c = &t->slots[s1 - 1];
    if (gen > c->gen) return KP_E_CAP_FORGED;
    *out = c;
    if (gen < c->gen || c->fate != CAP_FATE_LIVE) return KP_E_CAP_STALE;
    return KP_OK;
}

int cap_get(cap_table *t, int32_t h, int kind, const cap_handle **out)
{
    cap_slot *c;
    int rc = slot_of(t, h, &c);
    if (rc) return rc;
    if (kind != CAP_KIND_NONE && c->h.kind != kind) return KP_E_CAP_WRONG_KIND;
    *out = &c->h;
    return KP_OK;
}

int cap_consume(cap_table *t, int32_t h, int kind, uint64_t amount, int32_t *residual)
{
    cap_slot *c;
    int rc = slot_of(t, h, &c);
    if (rc) return rc;
    if (kind != CAP_KIND_NONE && c->h.kind != kind) return KP_E_CAP_WRONG_KIND;
    if (amount == 0) return KP_E_ARG;
    if (c->h.amount != CAP_UNLIMITED && amount > c->h.amount) return KP_E_CAP_EXHAUSTED;
    cap_handle rest = c->h;
    if (rest.amount != CAP_UNLIMITED) rest.amount -= amount;
    /* the residual takes a fresh number: the consumed one goes stale */
    c->fate = CAP_FATE_CONSUMED;
    if (rest.amount == 0) {
        *residual = 0;
        return KP_OK;
    }
    rc = cap_mint(t, &rest, residual);
    if (rc) c->fate = CAP_FATE_LIVE; /* nothing happened */
    return rc;
}

int cap_split(cap_table *t, int32_t h, uint64_t amount, int32_t *out)
{
    cap_slot *c;
    int rc = slot_of(t, h, &c);
    if (rc) return rc;
    if (amount == 0 || amount > CAP_AMOUNT_MAX) return KP_E_ARG;
    if (c->h.amount != CAP_UNLIMITED && amount > c->h.amount) return KP_E_CAP_EXHAUSTED;
    cap_handle part = c->h;
    part.amount = amount;
    /* mint first: when the table is full, the original stays as it was */
    size_t idx = (size_t)(c - t->slots);
    rc = cap_mint(t, &part, out);
    if (rc) return rc;
    c = &t->slots[idx];
    if (c->h.amount != CAP_UNLIMITED) {
        c->h.amount -= amount;
        if (c->h.amount == 0) c->fate = CAP_FATE_CONSUMED;
    }
    return KP_OK;
}

int cap_drop(cap_table *t, int32_t h)
{
    cap_slot *c;
    int rc = slot_of(t, h, &c);
    if (rc == KP_E_CAP_STALE && (uint32_t)h >> CAP_SLOT_BITS == c->gen &&
        c->fate == CAP_FATE_DROPPED)
        return KP_E_CAP_DOUBLE_DROP;
    if (rc) return rc;
    c->fate = CAP_FATE_DROPPED;
    return KP_OK;
}

int cap_exchange(cap_table *t, int32_t h, int kind, const cap_handle *nh, int32_t *out)
{
    cap_slot *c;
    int rc = slot_of(t, h, &c);
    if (rc) return rc;
    if (kind != CAP_KIND_NONE && c->h.kind != kind) return KP_E_CAP_WRONG_KIND;
    c->fate = CAP_FATE_CONSUMED;
    *out = 0;
    if (!nh) return KP_OK;
    rc = cap_mint(t, nh, out);
    if (rc) c->fate = CAP_FATE_LIVE;
    return rc;
}

int cap_take(cap_table *t, int32_t h, cap_handle *out)
{
    cap_slot *c;
    int rc = slot_of(t, h, &c);
    if (rc) return rc;
    *out = c->h;
    c->fate = CAP_FATE_MOVED;
    return KP_OK;
}

uint32_t cap_list(const cap_table *t, int32_t *out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->nused; i++) {
        const cap_slot *c = &t->slots[i];
        if (c->fate != CAP_FATE_LIVE) continue;
        if (n < max) out[n] = number(i, c->gen);
        n++;
    }
    return n;
}

int32_t cap_find(const cap_table *t, int kind, const uint8_t *res, size_t n)
{
    for (uint32_t i = 0; i < t->nused; i++) {
        const cap_slot *c = &t->slots[i];
        if (c->fate != CAP_FATE_LIVE || c->h.kind != kind) continue;
        if (n && (c->h.resource_len != n || memcmp(c->h.resource, res, n) != 0)) continue;
        return number(i, c->gen);
    }
    return 0;
}
