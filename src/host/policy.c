/*
 * policy.c: reading a policy file strictly (jansson), its hash, and the
 * effective grant of a run. The schema is in policy.h.
 */
#include "host/policy.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/error.h"

static const struct {
    const char *name, *what;
} caps[POL_NCAPS] = {
#define POL_ROW_(id, name, what) {name, what},
    POL_CAP_LIST(POL_ROW_)
#undef POL_ROW_
};

const char *pol_cap_name(int cap)
{
    return cap >= 0 && cap < POL_NCAPS ? caps[cap].name : NULL;
}

const char *pol_cap_what(int cap)
{
    return cap >= 0 && cap < POL_NCAPS ? caps[cap].what : "";
}

int pol_cap_parse(const char *name, size_t n)
{
    for (int i = 0; i < POL_NCAPS; i++)
        if (strlen(caps[i].name) == n && memcmp(caps[i].name, name, n) == 0) return i;
    return -1;
}

/* ---- parsing --------------------------------------------------------------- */

/* "a.b" or "a[3]" into out, cut to fit (field names in errors are short). */
static void fpath(char *out, size_t cap, const char *a, const char *b, long idx)
{
    size_t n = 0;
    for (const char *q = a; *q && n + 1 < cap; q++) out[n++] = *q;
    char tail[32];
    const char *t = tail;
    if (b) {
        if (n + 1 < cap) out[n++] = '.';
        t = b;
    } else {
        snprintf(tail, sizeof tail, "[%ld]", idx);
    }
    for (; *t && n + 1 < cap; t++) out[n++] = *t;
    out[n] = 0;
}

/* Decodes hex of exactly one of the allowed byte lengths. */
static int hex_field(json_t *v, const char *field, uint8_t *out, size_t cap, size_t *len,
                     int exact32, kp_error *err)
{
    if (!json_is_string(v))
        return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: expected a hex string", field);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    int ok_len = exact32 ? n == 64 : (n == 64 || n == 66 || n == 130);
    /* Lower case only: hex is how ids and keys are written everywhere
       (FORMATS.md), and the policy hash is over the text, so "AB" and "ab"
       would grant the same under two hashes. One spelling per meaning. */
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'F')
            return err_set_field(err, KP_E_POLICY_FIELD, field,
                                 "%s: hex must be lower case (one spelling, one policy hash)",
                                 field);
    long got = ok_len ? cry_hex_decode(out, cap, s, n, CRY_HEX_LOWER) : -1;
    if (got < 0)
        return err_set_field(err, KP_E_POLICY_FIELD, field,
                             exact32 ? "%s: expected 64 hex digits (a SHA-256 module id) or \"*\""
                                     : "%s: expected a public key in hex (32, 33 or 65 bytes) or \"*\"",
                             field);
    /* a key nobody can sign with (or everybody can: a small-order point)
       would grant nothing, or to anyone: refused like an author key */
    kp_error ke;
    if (!exact32 && cry_pk_check_any(out, (size_t)got, &ke) != KP_OK)
        return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: %s", field, ke.msg);
    *len = (size_t)got;
    return KP_OK;
}

static int is_star(json_t *v)
{
    return json_is_string(v) && strcmp(json_string_value(v), "*") == 0;
}

/* A positive integer no larger than max. */
static int int_field(json_t *v, const char *field, long long min, long long max,
                     long long *out, kp_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: expected an integer in %lld..%lld",
                             field, min, max);
    *out = json_integer_value(v);
    return KP_OK;
}

static int parse_cap(json_t *c, const char *field, pol_rule *r, kp_error *err)
{
    char f[160];
    if (json_is_string(c)) {
        int cap = pol_cap_parse(json_string_value(c), json_string_length(c));
        if (cap < 0)
            return err_set_field(err, KP_E_POLICY_UNKNOWN_CAP, field,
                                 "%s: unknown capability \"%s\"", field, json_string_value(c));
        if (r->caps >> cap & 1)
            return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: \"%s\" is listed twice",
                                 field, pol_cap_name(cap));
        r->caps |= 1u << cap;
        return KP_OK;
    }
    if (!json_is_object(c))
        return err_set_field(err, KP_E_POLICY_FIELD, field,
                             "%s: expected a capability name or {\"name\": ...}", field);
    json_t *nm = json_object_get(c, "name");
    fpath(f, sizeof f, field, "name", 0);
    if (!json_is_string(nm))
        return err_set_field(err, KP_E_POLICY_FIELD, f, "%s: expected a capability name", f);
    int cap = pol_cap_parse(json_string_value(nm), json_string_length(nm));
    if (cap < 0)
        return err_set_field(err, KP_E_POLICY_UNKNOWN_CAP, f, "%s: unknown capability \"%s\"", f,
                             json_string_value(nm));
    /* one entry per capability and grant, so that its data is unambiguous */
    if (r->caps >> cap & 1)
        return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: \"%s\" is listed twice", field,
                             pol_cap_name(cap));
    r->caps |= 1u << cap;
    const char *k;
    json_t *v;
    json_object_foreach(c, k, v) {
        long long x;
        int rc;
        fpath(f, sizeof f, field, k, 0);
        if (strcmp(k, "name") == 0) continue;
        if (cap == POL_CAP_EMIT && strcmp(k, "count") == 0) {
            if ((rc = int_field(v, f, 1, 1000000, &x, err))) return rc;
            r->emit_count = (uint64_t)x;
        } else if (cap == POL_CAP_LEDGER && strcmp(k, "budget") == 0) {
            if ((rc = int_field(v, f, 1, INT64_MAX, &x, err))) return rc;
            r->has_budget = 1;
            r->budget = (uint64_t)x;
        } else if (cap == POL_CAP_LEDGER && strcmp(k, "account") == 0) {
            if ((rc = hex_field(v, f, r->account, sizeof r->account, &r->account_len, 0, err)))
                return rc;
        } else {
            return err_set_field(err, KP_E_POLICY_FIELD, f,
                                 "%s: unknown member for capability \"%s\"", f,
                                 pol_cap_name(cap));
        }
    }
    /* a budget says whose balance it spends: never implicitly the author's
       (that takes the author's own signed request) */
    if (r->has_budget != (r->account_len != 0))
        return err_set_field(err, KP_E_POLICY_FIELD, field,
                             "%s: a ledger budget needs both \"budget\" and \"account\"", field);
    return KP_OK;
}

static int parse_limits(json_t *l, const char *field, pol_limits *lim, kp_error *err)
{
    char f[160];
    if (!json_is_object(l))
        return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: expected an object", field);
    const char *k;
    json_t *v;
    json_object_foreach(l, k, v) {
        long long x;
        int rc;
        fpath(f, sizeof f, field, k, 0);
        if (strcmp(k, "fuel") == 0) {
            if ((rc = int_field(v, f, 1, INT64_MAX, &x, err))) return rc;
            lim->fuel = (uint64_t)x;
        } else if (strcmp(k, "memory_pages") == 0) {
            if ((rc = int_field(v, f, 1, 65536, &x, err))) return rc;
            lim->memory_pages = (uint32_t)x;
        } else if (strcmp(k, "not_before") == 0) {
            if ((rc = int_field(v, f, 0, INT64_MAX, &x, err))) return rc;
            lim->has_not_before = 1;
            lim->not_before = x;
        } else if (strcmp(k, "not_after") == 0) {
            if ((rc = int_field(v, f, 0, INT64_MAX, &x, err))) return rc;
            lim->has_not_after = 1;
            lim->not_after = x;
        } else {
            return err_set_field(err, KP_E_POLICY_FIELD, f, "%s: unknown limit", f);
        }
    }
    if (lim->has_not_before && lim->has_not_after && lim->not_before > lim->not_after)
        return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: not_before is after not_after",
                             field);
    return KP_OK;
}

static int parse_rule(json_t *g, size_t i, pol_rule *r, kp_error *err)
{
    char field[64], f[160];
    snprintf(field, sizeof field, "grants[%zu]", i);
    snprintf(r->name, sizeof r->name, "%s", field);
    if (!json_is_object(g))
        return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: expected an object", field);
    int have_module = 0, have_caps = 0, rc;
    const char *k;
    json_t *v;
    json_object_foreach(g, k, v) {
        fpath(f, sizeof f, field, k, 0);
        if (strcmp(k, "name") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                json_string_length(v) >= POL_NAME_MAX)
                return err_set_field(err, KP_E_POLICY_FIELD, f,
                                     "%s: expected a name of 1..%d bytes", f, POL_NAME_MAX - 1);
            snprintf(r->name, sizeof r->name, "%s", json_string_value(v));
        } else if (strcmp(k, "comment") == 0) {
            if (!json_is_string(v))
                return err_set_field(err, KP_E_POLICY_FIELD, f, "%s: expected a string", f);
        } else if (strcmp(k, "module") == 0) {
            have_module = 1;
            if (is_star(v)) {
                r->module_any = 1;
            } else {
                size_t n;
                if ((rc = hex_field(v, f, r->module, sizeof r->module, &n, 1, err))) return rc;
            }
        } else if (strcmp(k, "type") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0)
                return err_set_field(err, KP_E_POLICY_FIELD, f,
                                     "%s: expected a capsule type or \"*\"", f);
            if (!is_star(v)) {
                /* a type no capsule can have is a grant that never matches:
                   a typo, refused here rather than found missing later */
                if (!kp_capsule_type_valid(json_string_value(v), json_string_length(v)))
                    return err_set_field(err, KP_E_POLICY_FIELD, f,
                                         "%s: \"%.64s\" is no capsule type ([a-z][a-z0-9._-]"
                                         "{0,63}) or \"*\"",
                                         f, json_string_value(v));
                r->type = mem_strndup(json_string_value(v), json_string_length(v));
                if (!r->type) return err_set(err, KP_E_NOMEM, "out of memory");
            }
        } else if (strcmp(k, "author") == 0) {
            if (!is_star(v) &&
                (rc = hex_field(v, f, r->author, sizeof r->author, &r->author_len, 0, err)))
                return rc;
        } else if (strcmp(k, "capabilities") == 0) {
            have_caps = 1;
            if (!json_is_array(v))
                return err_set_field(err, KP_E_POLICY_FIELD, f, "%s: expected an array", f);
            for (size_t j = 0; j < json_array_size(v); j++) {
                char cf[192];
                fpath(cf, sizeof cf, f, NULL, (long)j);
                if ((rc = parse_cap(json_array_get(v, j), cf, r, err))) return rc;
            }
        } else if (strcmp(k, "limits") == 0) {
            if ((rc = parse_limits(v, f, &r->limits, err))) return rc;
        } else {
            return err_set_field(err, KP_E_POLICY_FIELD, f, "%s: unknown member", f);
        }
    }
    if (!have_module)
        return err_set_field(err, KP_E_POLICY_FIELD, field,
                             "%s: missing \"module\" (a module id in hex, or \"*\")", field);
    if (!have_caps)
        return err_set_field(err, KP_E_POLICY_FIELD, field, "%s: missing \"capabilities\"",
                             field);
    return KP_OK;
}

static void policy_free(kp_policy *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].type) mem_free(p->rules[i].type, strlen(p->rules[i].type) + 1);
    mem_free(p->rules, p->nrules * sizeof *p->rules);
    mem_free(p, sizeof *p);
}

void kp_policy_free(kp_policy *p)
{
    policy_free(p);
}

int pol_empty(kp_policy **out, kp_error *err)
{
    kp_policy *p = mem_calloc(1, sizeof *p);
    if (!p) return err_set(err, KP_E_NOMEM, "out of memory");
    /* the hash of the empty policy is that of its canonical text */
    static const char text[] = "{\"grants\":[],\"kapsule_policy\":1}";
    cry_sha256(p->hash, text, sizeof text - 1);
    *out = p;
    return KP_OK;
}

int pol_parse(const uint8_t *text, size_t len, kp_policy **out, kp_error *err)
{
    json_error_t jerr;
    kp_policy *p = NULL;
    char *canon = NULL;
    int rc;
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return err_set(err, KP_E_POLICY_SYNTAX, "line %d column %d: %s", jerr.line, jerr.column,
                       jerr.text);
    if (!json_is_object(root)) {
        rc = err_set_field(err, KP_E_POLICY_FIELD, "(top)", "a policy is a JSON object");
        goto fail;
    }
    json_t *ver = json_object_get(root, "kapsule_policy");
    if (!ver) {
        rc = err_set_field(err, KP_E_POLICY_FIELD, "kapsule_policy",
                           "missing \"kapsule_policy\": 1 (the policy format version)");
        goto fail;
    }
    if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
        rc = err_set_field(err, KP_E_POLICY_VERSION, "kapsule_policy",
                           "kapsule_policy: only version 1 is known");
        goto fail;
    }
    json_t *grants = json_object_get(root, "grants");
    if (!json_is_array(grants)) {
        rc = err_set_field(err, KP_E_POLICY_FIELD, "grants", "missing \"grants\" (an array)");
        goto fail;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (strcmp(k, "kapsule_policy") && strcmp(k, "grants") && strcmp(k, "comment")) {
            rc = err_set_field(err, KP_E_POLICY_FIELD, k, "%s: unknown member", k);
            goto fail;
        }
        if (strcmp(k, "comment") == 0 && !json_is_string(v)) {
            rc = err_set_field(err, KP_E_POLICY_FIELD, k, "comment: expected a string");
            goto fail;
        }
    }
    p = mem_calloc(1, sizeof *p);
    size_t n = json_array_size(grants);
    if (!p || (n && !(p->rules = mem_calloc(n, sizeof *p->rules)))) {
        rc = err_set(err, KP_E_NOMEM, "out of memory");
        goto fail;
    }
    p->nrules = n;
    for (size_t i = 0; i < n; i++)
        if ((rc = parse_rule(json_array_get(grants, i), i, &p->rules[i], err))) goto fail;
    canon = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
    if (!canon) {
        rc = err_set(err, KP_E_NOMEM, "out of memory");
        goto fail;
    }
    cry_sha256(p->hash, canon, strlen(canon));
    free(canon); /* jansson's allocator */
    json_decref(root);
    *out = p;
    return KP_OK;
fail:
    policy_free(p);
    json_decref(root);
    return rc;
}

/* ---- evaluation ------------------------------------------------------------ */

int pol_rule_matches(const pol_rule *r, const pol_subject *s)
{
    if (!r->module_any && memcmp(r->module, s->module, 32) != 0) return 0;
    if (r->type && (!s->type || strcmp(r->type, s->type) != 0)) return 0;
    if (r->author_len &&
        (!s->author || s->author_len != r->author_len || memcmp(r->author, s->author, r->author_len)))
        return 0;
    if (r->limits.has_not_before && s->now < r->limits.not_before) return 0;
    if (r->limits.has_not_after && s->now > r->limits.not_after) return 0;
    return 1;
}

static void add_budget(pol_effective *e, const pol_rule *r, int ri)
{
    for (size_t i = 0; i < e->nbudgets; i++) {
        pol_budget *b = &e->budgets[i];
        if (b->account_len == r->account_len && memcmp(b->account, r->account, r->account_len) == 0) {
            /* the same account granted twice: the smaller budget holds */
            if (r->budget < b->amount) {
                b->amount = r->budget;
                b->rule = ri;
            }
            return;
        }
    }
    /* past POL_MAX_BUDGETS accounts, further budgets are not minted:
       granting less is always safe */
    if (e->nbudgets == POL_MAX_BUDGETS) return;
    pol_budget *b = &e->budgets[e->nbudgets++];
    b->account_len = r->account_len;
    memcpy(b->account, r->account, r->account_len);
    b->amount = r->budget;
    b->rule = ri;
}

void pol_evaluate(const kp_policy *p, const pol_subject *s, pol_caps imported,
                  pol_effective *e)
{
    memset(e, 0, sizeof *e);
    e->imported = imported;
    for (int c = 0; c < POL_NCAPS; c++) e->rule_of[c] = -1;
    e->fuel_rule = e->memory_rule = e->emit_rule = -1;
    for (size_t i = 0; p && i < p->nrules; i++) {
        const pol_rule *r = &p->rules[i];
        if (!pol_rule_matches(r, s)) continue;
        e->nmatched++;
        for (int c = 0; c < POL_NCAPS; c++)
            if ((r->caps >> c & 1) && e->rule_of[c] < 0) e->rule_of[c] = (int)i;
        e->offered |= r->caps;
        /* limits: the most restrictive of the matching grants */
        if (r->limits.fuel && (!e->limits.fuel || r->limits.fuel < e->limits.fuel)) {
            e->limits.fuel = r->limits.fuel;
            e->fuel_rule = (int)i;
        }
        if (r->limits.memory_pages &&
            (!e->limits.memory_pages || r->limits.memory_pages < e->limits.memory_pages)) {
            e->limits.memory_pages = r->limits.memory_pages;
            e->memory_rule = (int)i;
        }
        if (r->limits.has_not_before &&
            (!e->limits.has_not_before || r->limits.not_before > e->limits.not_before)) {
            e->limits.has_not_before = 1;
            e->limits.not_before = r->limits.not_before;
        }
        if (r->limits.has_not_after &&
            (!e->limits.has_not_after || r->limits.not_after < e->limits.not_after)) {
            e->limits.has_not_after = 1;
            e->limits.not_after = r->limits.not_after;
        }
        /* data carried by capabilities: also the most restrictive */
        if ((r->caps >> POL_CAP_EMIT & 1) && r->emit_count &&
            (!e->emit_count || r->emit_count < e->emit_count)) {
            e->emit_count = r->emit_count;
            e->emit_rule = (int)i;
        }
        if ((r->caps >> POL_CAP_LEDGER & 1) && r->has_budget) add_budget(e, r, (int)i);
    }
    e->caps = e->offered & imported;
    if (!e->limits.fuel) e->limits.fuel = POL_DEFAULT_FUEL;
    if (!e->limits.memory_pages) e->limits.memory_pages = POL_DEFAULT_MEMORY_PAGES;
    if ((e->caps >> POL_CAP_EMIT & 1) && !e->emit_count) {
        e->emit_count = POL_DEFAULT_EMIT_COUNT;
        e->emit_rule = e->rule_of[POL_CAP_EMIT];
    }
    if (!(e->caps >> POL_CAP_EMIT & 1)) e->emit_count = 0;
    if (!(e->caps >> POL_CAP_LEDGER & 1)) e->nbudgets = 0;
}

int pol_rule_would_grant(const kp_policy *p, const pol_subject *s, int cap, char *why,
                         size_t whylen)
{
    for (size_t i = 0; p && i < p->nrules; i++) {
        const pol_rule *r = &p->rules[i];
        if (!(r->caps >> cap & 1)) continue;
        if (!r->module_any && memcmp(r->module, s->module, 32) != 0) continue;
        if (r->type && (!s->type || strcmp(r->type, s->type) != 0))
            snprintf(why, whylen, "it applies to capsule type '%s', not '%s'", r->type,
                     s->type ? s->type : "(none)");
        else if (r->author_len && (!s->author || s->author_len != r->author_len ||
                                   memcmp(r->author, s->author, r->author_len)))
            snprintf(why, whylen, "it applies to another author key");
        else if (r->limits.has_not_before && s->now < r->limits.not_before)
            snprintf(why, whylen, "it is valid only from %lld", (long long)r->limits.not_before);
        else if (r->limits.has_not_after && s->now > r->limits.not_after)
            snprintf(why, whylen, "it expired at %lld", (long long)r->limits.not_after);
        else
            continue; /* it matches: not an explanation */
        return (int)i;
    }
    return -1;
}
