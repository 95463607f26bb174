/*
 * map.h: a byte-string map for the host (run journals, in-memory
 * backends): keys and values are copied, entries keep their insertion
 * order (so that iterating, e.g. to commit a journal, is deterministic),
 * and a hash index finds them. Removal marks an entry dead; a dead entry
 * is revived in place when its key is set again.
 */
#ifndef KP_HOST_MAP_H
#define KP_HOST_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct host_map_ent {
    uint8_t *key;
    size_t klen;
    uint8_t *val; /* NULL when vlen is 0 */
    size_t vlen;
    int live;
    uint64_t tag; /* free for the user (e.g. a delete marker) */
} host_map_ent;

typedef struct host_map {
    host_map_ent *ents;
    size_t n, cap;
    uint32_t *index; /* icap slots, entry index + 1, 0 empty */
    size_t icap;
    uint8_t hkey[16]; /* SipHash key, drawn when the index is first made */
} host_map;

/* The entry of key (live or dead), or NULL. */
host_map_ent *host_map_get(const host_map *m, const void *key, size_t klen);
/* Sets key to val (live). KP_E_NOMEM on failure (the map is unchanged). */
int host_map_put(host_map *m, const void *key, size_t klen, const void *val, size_t vlen);
/* Marks key dead if present; 1 when it was live. */
int host_map_del(host_map *m, const void *key, size_t klen);
void host_map_free(host_map *m);

#endif
