/*
 * rank.c: scores posts for a feed.
 *
 * A "rank" capsule names the posts to rank as its parents; any other
 * capsule (a post) is ranked on its own. A post's score, in millionths:
 *
 *     score = (trust(author) + REPLY_BONUS * replies) * HALF / (HALF + age)
 *
 * trust from get_trust_score (0..1000000), replies = the post's children
 * in the DAG, age in hours since the post was created (by the clock
 * oracle, never below 0): a post loses half its score in its first HALF
 * = 24 hours, two thirds in 48, and so on. Integer arithmetic throughout.
 *
 * Result: a CBOR array of [id, score] pairs, best first (ties: by id).
 */
#include "kapsule.h"

#define REPLY_BONUS 50000 /* a reply counts as 0.05 of trust */
#define HALF 24           /* hours */
#define MAX_POSTS 64

typedef struct post {
    uint8_t id[32];
    int64_t score;
} post;

/* The score of post id, whose metadata map is meta[0..n). */
static int64_t score_of(const uint8_t id[32], const uint8_t *meta, int32_t n, int64_t now)
{
    kcbor v;
    const uint8_t *author;
    uint32_t alen;
    int64_t created;
    if (kcbor_find(kcbor_init(meta, (size_t)n), "author", &v) ||
        kcbor_str(&v, KCBOR_BYTES, &author, &alen) ||
        kcbor_find(kcbor_init(meta, (size_t)n), "created", &v) || kcbor_int(&v, &created))
        return -1;
    int64_t trust = get_trust_score(author, alen);
    if (trust < 0) trust = 0;
    int32_t replies = dag_children(id, 0, 0) / 32;
    int64_t age = now > created ? (now - created) / 3600 : 0;
    return (trust + REPLY_BONUS * replies) * HALF / (HALF + age);
}

static int32_t own_meta(void *buf, uint32_t cap)
{
    return get_capsule_metadata(buf, cap);
}

static int better(const post *a, const post *b)
{
    if (a->score != b->score) return a->score > b->score;
    return memcmp(a->id, b->id, 32) < 0;
}

KAPSULE_ENTRY int kapsule_run(void)
{
    static post posts[MAX_POSTS];
    char type[8];
    int32_t tl = capsule_type(type, sizeof type);
    int is_rank = tl == 4 && kmemeq(type, "rank", 4);
    int32_t n = is_rank ? capsule_parent_count() : 1;
    if (n <= 0 || n > MAX_POSTS) {
        kapsule_reject("a rank capsule names 1..64 posts as its parents");
        return 1;
    }
    int64_t now = clock_now() / 1000000000;
    for (int32_t i = 0; i < n; i++) {
        int32_t len;
        uint8_t *meta;
        if (is_rank) {
            capsule_parent((uint32_t)i, posts[i].id);
            int32_t m = dag_metadata(posts[i].id, 0, 0);
            meta = m < 0 ? 0 : kalloc((size_t)m);
            if (meta) dag_metadata(posts[i].id, meta, (uint32_t)m);
            len = m;
        } else {
            capsule_id(posts[i].id);
            meta = K_FETCH(own_meta, &len);
        }
        posts[i].score = meta ? score_of(posts[i].id, meta, len, now) : -1;
        if (posts[i].score < 0) {
            kapsule_reject("a post to rank is not in the DAG");
            return 1;
        }
    }
    /* insertion sort: n is small */
    for (int32_t i = 1; i < n; i++)
        for (int32_t j = i; j > 0 && better(&posts[j], &posts[j - 1]); j--) {
            post t = posts[j];
            posts[j] = posts[j - 1];
            posts[j - 1] = t;
        }
    uint8_t *out = kalloc(16 + (size_t)n * 48);
    kcbor_w w = {out, 0, 16 + (size_t)n * 48, 0};
    kcbor_put_head(&w, KCBOR_ARRAY, (uint64_t)n);
    for (int32_t i = 0; i < n; i++) {
        kcbor_put_head(&w, KCBOR_ARRAY, 2);
        kcbor_put_bytes(&w, posts[i].id, 32);
        kcbor_put_int(&w, posts[i].score);
    }
    submit_capsule_result(out, (uint32_t)w.len);
    return 0;
}
