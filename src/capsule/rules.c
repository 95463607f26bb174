/*
 * rules.c: the rules of the capsule format that parse.c and pack.c both
 * apply (names, flag keys, the order of caps, algorithms, limits), each
 * written once here, so that pack never builds what parse refuses.
 */
#include <stdarg.h>
#include <string.h>

#include "capsule/capsule.h"
#include "crypto/crypto.h"
#include "util/error.h"

int capsule_fail(kp_error *err, int code, int64_t off, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, code, off, field, fmt, ap);
    va_end(ap);
    return code;
}

int capsule_limits(const kp_capsule_limits *lim, kp_capsule_limits *out, kp_error *err)
{
    kp_capsule_limits d = {
        .max_bytes = KP_CAPSULE_MAX_BYTES,
        .max_body = KP_CAPSULE_MAX_BYTES,
        .max_parents = KP_CAPSULE_MAX_PARENTS,
        .max_flags = KP_CAPSULE_MAX_FLAGS,
        .max_caps = KP_CAPSULE_MAX_CAPS,
        .max_depth = KP_CAPSULE_MAX_DEPTH,
    };
    if (lim) {
        /* A limit tightens or is 0 (the default); it never loosens the
           format, or capsules accepted here would be refused elsewhere. */
        if (lim->max_bytes > d.max_bytes || lim->max_body > d.max_body ||
            lim->max_parents > d.max_parents || lim->max_flags > d.max_flags ||
            lim->max_caps > d.max_caps || lim->max_depth < 0 || lim->max_depth > d.max_depth)
            return err_set(err, KP_E_ARG, "capsule limits may only be lowered below the format's "
                                          "(16 MiB, 64 parents, 32 flags, 16 caps, depth 8)");
        if (lim->max_bytes) d.max_bytes = lim->max_bytes;
        if (lim->max_body) d.max_body = lim->max_body;
        if (lim->max_parents) d.max_parents = lim->max_parents;
        if (lim->max_flags) d.max_flags = lim->max_flags;
        if (lim->max_caps) d.max_caps = lim->max_caps;
        if (lim->max_depth) d.max_depth = lim->max_depth;
    }
    *out = d;
    return KP_OK;
}

static int name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
           ch == '-';
}

int capsule_name_ok(const char *s, size_t n)
{
    if (n < 1 || n > KP_CAPSULE_TYPE_MAX || s[0] < 'a' || s[0] > 'z') return 0;
    for (size_t i = 1; i < n; i++)
        if (!name_char(s[i])) return 0;
    return 1;
}

int kp_capsule_type_valid(const char *type, size_t len)
{
    return type != NULL && capsule_name_ok(type, len);
}

int capsule_flag_key_ok(const char *s, size_t n)
{
    if (n < 1 || n > KP_CAPSULE_FLAG_KEY_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!name_char(s[i])) return 0;
    return 1;
}

/* CBOR's order for two strings of the same major type: shorter first, then
   bytewise. */
static int str_cmp(const void *a, size_t an, const void *b, size_t bn)
{
    if (an != bn) return an < bn ? -1 : 1;
    return an ? memcmp(a, b, an) : 0;
}

int capsule_cap_cmp(const kp_capsule_cap *a, const kp_capsule_cap *b)
{
    int c = memcmp(a->module, b->module, KP_ID_BYTES);
    if (c) return c;
    c = str_cmp(a->kind, a->kind_len, b->kind, b->kind_len);
    if (c) return c;
    if (!a->resource || !b->resource) return (a->resource != NULL) - (b->resource != NULL);
    return str_cmp(a->resource, a->resource_len, b->resource, b->resource_len);
}

int capsule_alg_ok(int64_t cose, kp_key_alg *alg)
{
    return cry_alg_from_cose(cose, alg, NULL) == KP_OK;
}
