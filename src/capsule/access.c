/* access.c: the accessors of a parsed capsule (see kapsule.h). */
#include <string.h>

#include "capsule/capsule.h"

const uint8_t *kp_capsule_id(const kp_capsule *c)
{
    return c->id;
}

const uint8_t *kp_capsule_bytes(const kp_capsule *c, size_t *len)
{
    *len = c->len;
    return c->data;
}

const uint8_t *kp_capsule_payload(const kp_capsule *c, size_t *len)
{
    *len = c->map_len;
    return c->data + c->map_off;
}

const uint8_t *kp_capsule_signature(const kp_capsule *c, size_t *len)
{
    *len = CAPSULE_SIG_BYTES;
    return c->sig;
}

int kp_capsule_version(const kp_capsule *c)
{
    (void)c;
    return CAPSULE_VERSION;
}

const char *kp_capsule_type(const kp_capsule *c)
{
    return c->type;
}

kp_key_alg kp_capsule_alg(const kp_capsule *c)
{
    return c->alg;
}

int kp_capsule_cose_alg(const kp_capsule *c)
{
    return (int)c->cose_alg;
}

const uint8_t *kp_capsule_author(const kp_capsule *c, size_t *len)
{
    *len = c->f.author_len;
    return c->f.author;
}

size_t kp_capsule_parent_count(const kp_capsule *c)
{
    return c->f.parent_count;
}

const uint8_t *kp_capsule_parent_at(const kp_capsule *c, size_t i)
{
    return i < c->f.parent_count ? c->f.parents + i * c->f.parent_stride : NULL;
}

const uint8_t *kp_capsule_logic(const kp_capsule *c)
{
    return c->f.logic;
}

size_t kp_capsule_flag_count(const kp_capsule *c)
{
    return c->f.flag_count;
}

const kp_capsule_flag *kp_capsule_flag_at(const kp_capsule *c, size_t i)
{
    return i < c->f.flag_count ? &c->f.flags[i] : NULL;
}

const kp_capsule_flag *kp_capsule_flag_find(const kp_capsule *c, const char *key)
{
    size_t n = key ? strlen(key) : 0;
    for (size_t i = 0; i < c->f.flag_count; i++)
        if (c->f.flags[i].key_len == n && memcmp(c->f.flags[i].key, key, n) == 0)
            return &c->f.flags[i];
    return NULL;
}

uint64_t kp_capsule_created(const kp_capsule *c)
{
    return c->f.created;
}

const uint8_t *kp_capsule_body(const kp_capsule *c, size_t *len)
{
    *len = c->f.body_len;
    return c->f.body;
}

int kp_capsule_encrypted(const kp_capsule *c)
{
    return c->f.encrypted;
}

size_t kp_capsule_recipients(const kp_capsule *c)
{
    return c->recipients;
}

size_t kp_capsule_cap_count(const kp_capsule *c)
{
    return c->f.cap_count;
}

const kp_capsule_cap *kp_capsule_cap_at(const kp_capsule *c, size_t i)
{
    return i < c->f.cap_count ? &c->f.caps[i] : NULL;
}
