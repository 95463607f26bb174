/*
 * blocklist.c: moderation by blocklist.
 *
 * A "blocklist.update" capsule changes the list; only the module's owner
 * (the key that registered it) may send one. Its body is a CBOR map with
 * any of "block" and "unblock" (arrays of author keys) and "terms" and
 * "unterms" (arrays of text; matched case-insensitively, ASCII).
 * Any other capsule (a comment, a post) is checked: rejected when its
 * author is blocked or its body contains a blocked term, else accepted.
 *
 * Storage: "a/"+key -> "1" for a blocked author; "terms" -> the blocked
 * terms, each as (length byte, lowercase bytes).
 */
#include "kapsule.h"

#define MAX_KEY 65
#define MAX_TERM 64

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static void author_key(uint8_t *k, const uint8_t *pk, uint32_t n)
{
    k[0] = 'a';
    k[1] = '/';
    memcpy(k + 2, pk, n);
}

static int32_t terms_get(uint8_t **out)
{
    int32_t n = storage_get("terms", 5, 0, 0);
    if (n < 0) n = 0;
    *out = kalloc((size_t)n + 1 + MAX_TERM);
    if (n) storage_get("terms", 5, *out, (uint32_t)n);
    return n;
}

/* Adds (add = 1) or removes a term from the stored list. */
static void term_edit(const uint8_t *t, uint32_t n, int add)
{
    uint8_t low[MAX_TERM], *list;
    if (n == 0 || n > MAX_TERM) return;
    for (uint32_t i = 0; i < n; i++) low[i] = lower(t[i]);
    int32_t len = terms_get(&list), out = 0;
    for (int32_t i = 0; i < len; i += 1 + list[i]) {
        if (list[i] == n && kmemeq(list + i + 1, low, n)) continue; /* drop it; re-added below */
        memmove(list + out, list + i, 1 + (size_t)list[i]);
        out += 1 + list[i];
    }
    if (add) {
        list[out] = (uint8_t)n;
        memcpy(list + out + 1, low, n);
        out += 1 + (int32_t)n;
    }
    storage_put("terms", 5, list, (uint32_t)out);
}

/* Applies fn to each string of the array under key (if present). */
static int each(const uint8_t *body, int32_t blen, const char *key, int major,
                void (*fn)(const uint8_t *, uint32_t, int), int arg)
{
    kcbor v;
    uint64_t n;
    if (kcbor_find(kcbor_init(body, (size_t)blen), key, &v)) return 0;
    if (kcbor_enter(&v, KCBOR_ARRAY, &n)) return -1;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *p;
        uint32_t len;
        if (kcbor_str(&v, major, &p, &len)) return -1;
        fn(p, len, arg);
    }
    return 0;
}

static void author_edit(const uint8_t *pk, uint32_t n, int add)
{
    uint8_t k[2 + MAX_KEY];
    if (n == 0 || n > MAX_KEY) return;
    author_key(k, pk, n);
    if (add)
        storage_put(k, 2 + n, "1", 1);
    else
        storage_delete(k, 2 + n);
}

static int update(const uint8_t *author, int32_t alen)
{
    uint8_t self[32], owner[MAX_KEY];
    module_self(self);
    int32_t olen = module_owner(self, owner, sizeof owner);
    if (olen != alen || !kmemeq(owner, author, (size_t)alen)) {
        kapsule_reject("blocklist updates are accepted only from the module's owner");
        return 1;
    }
    int32_t blen;
    uint64_t n;
    uint8_t *body = kapsule_body_get(&blen);
    kcbor top = kcbor_init(body, (size_t)(blen > 0 ? blen : 0));
    if (!body || kcbor_enter(&top, KCBOR_MAP, &n) ||
        each(body, blen, "block", KCBOR_BYTES, author_edit, 1) ||
        each(body, blen, "unblock", KCBOR_BYTES, author_edit, 0) ||
        each(body, blen, "terms", KCBOR_TEXT, term_edit, 1) ||
        each(body, blen, "unterms", KCBOR_TEXT, term_edit, 0)) {
        kapsule_reject("malformed blocklist update");
        return 1;
    }
    kapsule_accept();
    return 0;
}

/* 1 when text contains the (lowercase) term, ignoring ASCII case. */
static int contains(const uint8_t *text, int32_t n, const uint8_t *term, uint32_t tn)
{
    for (int32_t i = 0; i + (int32_t)tn <= n; i++) {
        uint32_t k = 0;
        while (k < tn && lower(text[i + (int32_t)k]) == term[k]) k++;
        if (k == tn) return 1;
    }
    return 0;
}

KAPSULE_ENTRY int kapsule_run(void)
{
    char type[32];
    int32_t tl = capsule_type(type, sizeof type), alen;
    uint8_t *author = kapsule_author_get(&alen);
    if (!author || alen <= 0 || alen > MAX_KEY) {
        kapsule_reject("no author key");
        return 1;
    }
    if (tl == 16 && kmemeq(type, "blocklist.update", 16)) return update(author, alen);
    uint8_t k[2 + MAX_KEY], one[1];
    author_key(k, author, (uint32_t)alen);
    if (storage_get(k, 2 + (uint32_t)alen, one, 1) >= 0) {
        kapsule_reject("the author is blocked");
        return 1;
    }
    int32_t blen, n;
    uint8_t *body = kapsule_body_get(&blen), *list;
    n = terms_get(&list);
    for (int32_t i = 0; body && i < n; i += 1 + list[i])
        if (contains(body, blen, list + i + 1, list[i])) {
            kapsule_reject("the text contains a blocked term");
            return 1;
        }
    kapsule_accept();
    return 0;
}
