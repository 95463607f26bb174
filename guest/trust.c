/*
 * trust.c: a trust graph and its scores.
 *
 * A "trust" capsule says "its author trusts target with weight w": body
 * {"target": bstr (public key), "weight": uint 0..1000}; weight 0 removes
 * the edge. The edges live in this module's child storage; after each
 * change the module recomputes every score and stores it under
 * "score/" || key (8 bytes, little-endian, millionths), which is what the
 * host's get_trust_score reads when this module is the trust module.
 *
 * Scores are personalized PageRank from the module's owner (who registered
 * it: the local operator): a walk restarts at the owner with probability
 * 1/2 at each step, else follows an out-edge chosen by weight; a key with
 * no out-edges sends its walk back to the owner. With restart 1/2 trust
 * fades fast with distance (at most 1/2^k of it k hops away), which is
 * what keeps a crowd of fresh keys vouching for each other worthless
 * unless someone trusted vouches for them.
 *
 * Arithmetic is integer: scores are kept with 40 fractional bits, the
 * iteration runs until no score moves by more than one unit (the error
 * halves each round, so about 42 rounds) or 200 rounds, then each score is
 * rounded to millionths.
 *
 * Storage: "n" -> node count (u32 LE); "n/"+u32 -> key; "k/"+key -> u32
 * index; "e/"+u32 -> the node's out-edges, (target u32, weight u32) LE
 * pairs.
 */
#include "kapsule.h"

#define MAX_KEY 65
#define SHIFT 40
#define ONE_INT ((int64_t)1 << SHIFT)
#define MAX_ROUNDS 200
#define MAX_WEIGHT 1000

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t node_count(void)
{
    uint8_t b[4];
    return storage_get("n", 1, b, 4) == 4 ? get_u32(b) : 0;
}

/* The index of key, adding it as a new node when absent. */
static uint32_t node_of(const uint8_t *key, uint32_t len)
{
    uint8_t k[2 + MAX_KEY], b[4], nk[6] = {'n', '/'};
    k[0] = 'k';
    k[1] = '/';
    memcpy(k + 2, key, len);
    if (storage_get(k, 2 + len, b, 4) == 4) return get_u32(b);
    uint32_t n = node_count();
    put_u32(b, n);
    storage_put(k, 2 + len, b, 4);
    put_u32(nk + 2, n);
    storage_put(nk, 6, key, len);
    put_u32(b, n + 1);
    storage_put("n", 1, b, 4);
    return n;
}

/* Sets the edge from -> to to weight w (0 removes it). */
static void set_edge(uint32_t from, uint32_t to, uint32_t w)
{
    uint8_t k[6] = {'e', '/'};
    put_u32(k + 2, from);
    int32_t len = storage_get(k, 6, 0, 0);
    uint8_t *e = kalloc((size_t)(len > 0 ? len : 0) + 8);
    if (len > 0) storage_get(k, 6, e, (uint32_t)len);
    else len = 0;
    int32_t out = 0;
    for (int32_t i = 0; i < len; i += 8)
        if (get_u32(e + i) != to) {
            memmove(e + out, e + i, 8);
            out += 8;
        }
    if (w) {
        put_u32(e + out, to);
        put_u32(e + out + 4, w);
        out += 8;
    }
    storage_put(k, 6, e, (uint32_t)out);
}

typedef struct edges {
    uint8_t *p;
    int32_t len;
    uint64_t total; /* sum of weights */
} edges;

/* Recomputes every score, personalized to node seed. */
static uint32_t compute(uint32_t n, uint32_t seed)
{
    edges *g = kalloc(n * sizeof *g);
    int64_t *r = kalloc(n * sizeof *r), *nr = kalloc(n * sizeof *nr);
    if (!g || !r || !nr) return 0;
    for (uint32_t u = 0; u < n; u++) {
        uint8_t k[6] = {'e', '/'};
        put_u32(k + 2, u);
        int32_t len = storage_get(k, 6, 0, 0);
        g[u].len = len > 0 ? len : 0;
        g[u].p = kalloc((size_t)g[u].len);
        if (g[u].len) storage_get(k, 6, g[u].p, (uint32_t)g[u].len);
        g[u].total = 0;
        for (int32_t i = 0; i < g[u].len; i += 8) g[u].total += get_u32(g[u].p + i + 4);
        r[u] = u == seed ? ONE_INT : 0;
    }
    uint32_t round;
    for (round = 1; round <= MAX_ROUNDS; round++) {
        int64_t dangling = 0;
        for (uint32_t v = 0; v < n; v++) nr[v] = 0;
        for (uint32_t u = 0; u < n; u++) {
            if (!g[u].total) {
                dangling += r[u];
                continue;
            }
            for (int32_t i = 0; i < g[u].len; i += 8) {
                uint32_t v = get_u32(g[u].p + i);
                int64_t w = get_u32(g[u].p + i + 4);
                nr[v] += r[u] * w / (int64_t)g[u].total / 2;
            }
        }
        nr[seed] += ONE_INT / 2 + dangling / 2;
        int64_t moved = 0;
        for (uint32_t v = 0; v < n; v++) {
            int64_t d = nr[v] - r[v];
            if (d < 0) d = -d;
            if (d > moved) moved = d;
            r[v] = nr[v];
        }
        if (moved <= 1) break;
    }
    for (uint32_t v = 0; v < n; v++) {
        uint8_t nk[6] = {'n', '/'}, key[6 + MAX_KEY] = "score/", val[8];
        put_u32(nk + 2, v);
        int32_t klen = storage_get(nk, 6, key + 6, MAX_KEY);
        if (klen <= 0 || klen > MAX_KEY) continue;
        /* millionths, rounded to nearest */
        int64_t ppm = (r[v] * K_FX_ONE + ONE_INT / 2) >> SHIFT;
        for (int i = 0; i < 8; i++) val[i] = (uint8_t)((uint64_t)ppm >> (8 * i));
        storage_put(key, 6 + (uint32_t)klen, val, 8);
    }
    return round;
}

KAPSULE_ENTRY int kapsule_run(void)
{
    char type[16];
    int32_t tl = capsule_type(type, sizeof type);
    if (tl != 5 || !kmemeq(type, "trust", 5)) {
        kapsule_reject("the trust module reads only capsules of type trust");
        return 1;
    }
    int32_t blen, alen;
    uint8_t *body = kapsule_body_get(&blen), *author = kapsule_author_get(&alen);
    kcbor v;
    const uint8_t *target;
    uint32_t tlen;
    uint64_t w;
    if (!body || !author || alen > MAX_KEY ||
        kcbor_find(kcbor_init(body, (size_t)blen), "target", &v) ||
        kcbor_str(&v, KCBOR_BYTES, &target, &tlen) || tlen == 0 || tlen > MAX_KEY ||
        kcbor_find(kcbor_init(body, (size_t)blen), "weight", &v) || kcbor_uint(&v, &w) ||
        w > MAX_WEIGHT) {
        kapsule_reject("a trust body is {\"target\": key, \"weight\": 0..1000}");
        return 1;
    }
    uint8_t self[32], owner[MAX_KEY];
    module_self(self);
    int32_t olen = module_owner(self, owner, sizeof owner);
    if (olen <= 0 || olen > MAX_KEY) {
        kapsule_reject("the trust module has no registered owner to personalize to");
        return 1;
    }
    uint32_t seed = node_of(owner, (uint32_t)olen);
    uint32_t from = node_of(author, (uint32_t)alen);
    uint32_t to = node_of(target, tlen);
    if (from == to) {
        kapsule_reject("a key cannot trust itself");
        return 1;
    }
    set_edge(from, to, (uint32_t)w);
    uint32_t n = node_count();
    uint32_t rounds = compute(n, seed);
    /* result: {"nodes": n, "rounds": k} */
    uint8_t out[32];
    kcbor_w cw = {out, 0, sizeof out, 0};
    kcbor_put_head(&cw, KCBOR_MAP, 2);
    kcbor_put_text(&cw, "nodes");
    kcbor_put_uint(&cw, n);
    kcbor_put_text(&cw, "rounds");
    kcbor_put_uint(&cw, rounds);
    submit_capsule_result(out, (uint32_t)cw.len);
    return 0;
}
