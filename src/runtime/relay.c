/*
 * relay.c: what a relay decides (kapsule.h, "relays"), testable without a
 * network. A relay holds no decryption key: it checks what anyone can see
 * of a capsule (size, strict parse, signature, type, author, flags, parent
 * count, whether the body is encrypted) against its rules, first match
 * wins, and names the stream subject an accepted capsule is published on.
 * The body is never opened: no function here takes a key, and a rule that
 * would need the body is refused when the rules are read.
 *
 * Subjects: <prefix>.<one token per route flag>.<the type's dot-separated
 * parts>, so that "kapsule.en.>" is every capsule flagged lang=en and
 * "kapsule.*.post" every post. A flag value is its token when it is a NATS-
 * safe token ([A-Za-z0-9_-], 1..64 bytes), else "_" (absent or not
 * routable).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "runtime/runtime.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

#define RELAY_MAX_RULES 256
#define RELAY_MAX_LIST 64 /* types, authors or values in one rule */
#define RELAY_MAX_ROUTE 8
#define RELAY_TOKEN_MAX 64
#define RELAY_RULES_FILE_MAX (1u << 20)

typedef struct relay_flag {
    char key[KP_CAPSULE_FLAG_KEY_MAX + 1];
    int any; /* "*": the flag is present, whatever its value */
    size_t nvalues;
    char **values;
} relay_flag;

typedef struct relay_rule {
    char name[64];
    int allow;
    size_t ntypes;
    char **types; /* exact, or "family.*" for every type under family. */
    size_t nauthors;
    kp_key_alg author_alg[RELAY_MAX_LIST];
    uint8_t author[RELAY_MAX_LIST][KP_PK_MAX_BYTES];
    size_t author_len[RELAY_MAX_LIST];
    size_t nflags;
    relay_flag *flags;
    int has_encrypted, encrypted;
    int has_min_bytes, has_max_bytes, has_min_parents, has_max_parents;
    uint64_t min_bytes, max_bytes, min_parents, max_parents;
} relay_rule;

struct kp_relay_rules {
    char prefix[RELAY_TOKEN_MAX + 1];
    size_t nroute;
    char route[RELAY_MAX_ROUTE][KP_CAPSULE_FLAG_KEY_MAX + 1];
    uint64_t max_bytes;
    int default_allow;
    size_t nrules;
    relay_rule *rules;
};

/* ---- reading the rules ------------------------------------------------------------------ */

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i]) mem_free(v[i], strlen(v[i]) + 1);
    if (v) mem_free(v, n * sizeof *v);
}

void kp_relay_rules_free(kp_relay_rules *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nrules; i++) {
        relay_rule *u = &r->rules[i];
        free_strings(u->types, u->ntypes);
        for (size_t k = 0; k < u->nflags; k++) free_strings(u->flags[k].values, u->flags[k].nvalues);
        if (u->flags) mem_free(u->flags, u->nflags * sizeof *u->flags);
    }
    if (r->rules) mem_free(r->rules, r->nrules * sizeof *r->rules);
    mem_free(r, sizeof *r);
}

static int bad(kp_error *err, const char *field, const char *fmt, const char *detail)
{
    char msg[KP_ERROR_MSG_BYTES];
    snprintf(msg, sizeof msg, fmt, detail ? detail : "");
    return err_set_field(err, KP_E_RELAY_RULES, field, "relay rules: %s: %s", field, msg);
}

static int is_token(const char *s, size_t n)
{
    if (n == 0 || n > RELAY_TOKEN_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int is_type_pattern(const char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && strcmp(s + n - 2, ".*") == 0) n -= 2;
    if (n == 0 || n > KP_CAPSULE_TYPE_MAX || s[0] < 'a' || s[0] > 'z') return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

/* A JSON array of strings (at most RELAY_MAX_LIST), copied. */
static int strings(json_t *v, const char *field, char ***out, size_t *n, kp_error *err)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > RELAY_MAX_LIST)
        return bad(err, field, "a list of 1..64 strings%s", NULL);
    size_t k = json_array_size(v);
    char **s = mem_calloc(k, sizeof *s);
    if (!s) return err_set(err, KP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            free_strings(s, k);
            return bad(err, field, "a list of 1..64 strings%s", NULL);
        }
        size_t l = json_string_length(e);
        if (!(s[i] = mem_alloc(l + 1))) {
            free_strings(s, k);
            return err_set(err, KP_E_NOMEM, "out of memory");
        }
        memcpy(s[i], json_string_value(e), l + 1);
        if (strlen(s[i]) != l) {
            free_strings(s, k);
            return bad(err, field, "a string holds a NUL%s", NULL);
        }
    }
    *out = s;
    *n = k;
    return KP_OK;
}

static int count(json_t *v, const char *field, uint64_t max, uint64_t *out, kp_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
        char m[64];
        snprintf(m, sizeof m, "%llu", (unsigned long long)max);
        return bad(err, field, "a count from 0 to %s", m);
    }
    *out = (uint64_t)json_integer_value(v);
    return KP_OK;
}

/* Fields that a relay cannot evaluate: they would need the body. */
static int needs_body(const char *k)
{
    static const char *const body[] = {"body", "body_contains", "contains", "text", "content",
                                       "plaintext", "words", "terms", "match", "regex"};
    for (size_t i = 0; i < sizeof body / sizeof body[0]; i++)
        if (strcmp(k, body[i]) == 0) return 1;
    return 0;
}

static int read_rule(json_t *o, size_t idx, relay_rule *u, kp_error *err)
{
    char field[96];
    const char *k;
    json_t *v;
    int rc, have_action = 0;
    snprintf(u->name, sizeof u->name, "rules[%zu]", idx);
    if (!json_is_object(o)) {
        snprintf(field, sizeof field, "rules[%zu]", idx);
        return bad(err, field, "a rule is a JSON object%s", NULL);
    }
    json_object_foreach(o, k, v) {
        snprintf(field, sizeof field, "rules[%zu].%s", idx, k);
        if (strcmp(k, "name") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0 ||
                json_string_length(v) >= sizeof u->name)
                return bad(err, field, "a name of 1..63 bytes%s", NULL);
            snprintf(u->name, sizeof u->name, "%s", json_string_value(v));
        } else if (strcmp(k, "action") == 0) {
            const char *a = json_is_string(v) ? json_string_value(v) : "";
            if (strcmp(a, "allow") != 0 && strcmp(a, "deny") != 0)
                return bad(err, field, "\"allow\" or \"deny\"%s", NULL);
            u->allow = a[0] == 'a';
            have_action = 1;
        } else if (strcmp(k, "type") == 0) {
            if ((rc = strings(v, field, &u->types, &u->ntypes, err))) return rc;
            for (size_t i = 0; i < u->ntypes; i++)
                if (!is_type_pattern(u->types[i]))
                    return bad(err, field, "'%s' is not a capsule type (or TYPE.*)", u->types[i]);
        } else if (strcmp(k, "author") == 0) {
            char **a = NULL;
            size_t n = 0;
            if ((rc = strings(v, field, &a, &n, err))) return rc;
            for (size_t i = 0; i < n && rc == KP_OK; i++) {
                kp_error kerr;
                if (kp_key_id_parse(a[i], &u->author_alg[i], u->author[i], &u->author_len[i], &kerr))
                    rc = bad(err, field, "'%s' is not an author key (alg:hex)", a[i]);
            }
            u->nauthors = n;
            free_strings(a, n);
            if (rc) return rc;
        } else if (strcmp(k, "flags") == 0) {
            if (!json_is_object(v) || json_object_size(v) == 0 ||
                json_object_size(v) > KP_CAPSULE_MAX_FLAGS)
                return bad(err, field, "an object of flag keys%s", NULL);
            if (!(u->flags = mem_calloc(json_object_size(v), sizeof *u->flags)))
                return err_set(err, KP_E_NOMEM, "out of memory");
            const char *fk;
            json_t *fv;
            json_object_foreach(v, fk, fv) {
                relay_flag *f = &u->flags[u->nflags++];
                char ff[160];
                snprintf(ff, sizeof ff, "%s.%s", field, fk);
                if (strlen(fk) == 0 || strlen(fk) > KP_CAPSULE_FLAG_KEY_MAX)
                    return bad(err, ff, "a flag key of 1..32 bytes%s", NULL);
                snprintf(f->key, sizeof f->key, "%s", fk);
                if (json_is_string(fv) && strcmp(json_string_value(fv), "*") == 0)
                    f->any = 1;
                else if ((rc = strings(fv, ff, &f->values, &f->nvalues, err)))
                    return rc;
            }
        } else if (strcmp(k, "encrypted") == 0) {
            if (!json_is_boolean(v)) return bad(err, field, "true or false%s", NULL);
            u->has_encrypted = 1;
            u->encrypted = json_is_true(v);
        } else if (strcmp(k, "min_bytes") == 0) {
            if ((rc = count(v, field, KP_CAPSULE_MAX_BYTES, &u->min_bytes, err))) return rc;
            u->has_min_bytes = 1;
        } else if (strcmp(k, "max_bytes") == 0) {
            if ((rc = count(v, field, KP_CAPSULE_MAX_BYTES, &u->max_bytes, err))) return rc;
            u->has_max_bytes = 1;
        } else if (strcmp(k, "min_parents") == 0) {
            if ((rc = count(v, field, KP_CAPSULE_MAX_PARENTS, &u->min_parents, err))) return rc;
            u->has_min_parents = 1;
        } else if (strcmp(k, "max_parents") == 0) {
            if ((rc = count(v, field, KP_CAPSULE_MAX_PARENTS, &u->max_parents, err))) return rc;
            u->has_max_parents = 1;
        } else if (needs_body(k)) {
            return bad(err, field, "a relay routes on what is visible without a key; this "
                                   "would need the body%s",
                       NULL);
        } else {
            return bad(err, field, "unknown field%s", NULL);
        }
    }
    if (!have_action) {
        snprintf(field, sizeof field, "rules[%zu].action", idx);
        return bad(err, field, "every rule says \"allow\" or \"deny\"%s", NULL);
    }
    return KP_OK;
}

int kp_relay_rules_parse(const uint8_t *text, size_t len, kp_relay_rules **out, kp_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return err_set_at(err, KP_E_RELAY_RULES, jerr.position,
                          "relay rules: line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    kp_relay_rules *r = mem_calloc(1, sizeof *r);
    int rc = KP_OK, have_version = 0;
    if (!r) {
        json_decref(root);
        return err_set(err, KP_E_NOMEM, "out of memory");
    }
    snprintf(r->prefix, sizeof r->prefix, "kapsule");
    r->max_bytes = KP_CAPSULE_MAX_BYTES;
    const char *k;
    json_t *v;
    if (!json_is_object(root)) {
        rc = bad(err, "(top)", "the rules are a JSON object%s", NULL);
        goto done;
    }
    json_object_foreach(root, k, v) {
        if (rc) break;
        if (strcmp(k, "kapsule_relay") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) != 1)
                rc = bad(err, k, "this kapsule reads version 1%s", NULL);
            have_version = 1;
        } else if (strcmp(k, "subject_prefix") == 0) {
            if (!json_is_string(v) || !is_token(json_string_value(v), json_string_length(v)))
                rc = bad(err, k, "one subject token: [A-Za-z0-9_-], 1..64 bytes%s", NULL);
            else
                snprintf(r->prefix, sizeof r->prefix, "%s", json_string_value(v));
        } else if (strcmp(k, "route_flags") == 0) {
            if (!json_is_array(v) || json_array_size(v) > RELAY_MAX_ROUTE) {
                rc = bad(err, k, "a list of at most 8 flag keys%s", NULL);
                continue;
            }
            for (size_t i = 0; i < json_array_size(v) && rc == KP_OK; i++) {
                json_t *e = json_array_get(v, i);
                if (!json_is_string(e) || json_string_length(e) == 0 ||
                    json_string_length(e) > KP_CAPSULE_FLAG_KEY_MAX)
                    rc = bad(err, k, "flag keys of 1..32 bytes%s", NULL);
                else
                    snprintf(r->route[r->nroute++], sizeof r->route[0], "%s", json_string_value(e));
            }
        } else if (strcmp(k, "max_bytes") == 0) {
            rc = count(v, k, KP_CAPSULE_MAX_BYTES, &r->max_bytes, err);
        } else if (strcmp(k, "default") == 0) {
            const char *a = json_is_string(v) ? json_string_value(v) : "";
            if (strcmp(a, "allow") != 0 && strcmp(a, "deny") != 0)
                rc = bad(err, k, "\"allow\" or \"deny\"%s", NULL);
            r->default_allow = a[0] == 'a';
        } else if (strcmp(k, "rules") == 0) {
            if (!json_is_array(v) || json_array_size(v) > RELAY_MAX_RULES) {
                rc = bad(err, k, "a list of at most 256 rules%s", NULL);
                continue;
            }
            size_t n = json_array_size(v);
            if (n && !(r->rules = mem_calloc(n, sizeof *r->rules))) {
                rc = err_set(err, KP_E_NOMEM, "out of memory");
                continue;
            }
            for (size_t i = 0; i < n && rc == KP_OK; i++) {
                r->nrules = i + 1;
                rc = read_rule(json_array_get(v, i), i, &r->rules[i], err);
            }
        } else {
            rc = bad(err, k, "unknown field%s", NULL);
        }
    }
    if (rc == KP_OK && !have_version)
        rc = bad(err, "kapsule_relay", "the rules name their version (\"kapsule_relay\": 1)%s",
                 NULL);
done:
    json_decref(root);
    if (rc) {
        kp_relay_rules_free(r);
        return rc;
    }
    *out = r;
    return KP_OK;
}

int kp_relay_rules_load(const char *path, kp_relay_rules **out, kp_error *err)
{
    uint8_t *text;
    size_t len;
    int rc = file_read_all(path, RELAY_RULES_FILE_MAX, &text, &len, err);
    if (rc) return rc;
    rc = kp_relay_rules_parse(text, len, out, err);
    mem_free(text, len + 1);
    return rc;
}

/* ---- deciding ----------------------------------------------------------------------------- */

static int type_matches(const char *pattern, const char *type)
{
    size_t n = strlen(pattern);
    if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0)
        return strncmp(type, pattern, n - 1) == 0 && type[n - 1] != 0;
    return strcmp(pattern, type) == 0;
}

static int rule_matches(const relay_rule *u, const kp_capsule *c, size_t len)
{
    if (u->ntypes) {
        size_t i;
        for (i = 0; i < u->ntypes && !type_matches(u->types[i], kp_capsule_type(c)); i++) {
        }
        if (i == u->ntypes) return 0;
    }
    if (u->nauthors) {
        size_t alen, i;
        const uint8_t *a = kp_capsule_author(c, &alen);
        for (i = 0; i < u->nauthors; i++)
            if (u->author_alg[i] == kp_capsule_alg(c) && u->author_len[i] == alen &&
                memcmp(u->author[i], a, alen) == 0)
                break;
        if (i == u->nauthors) return 0;
    }
    for (size_t k = 0; k < u->nflags; k++) {
        const relay_flag *f = &u->flags[k];
        const kp_capsule_flag *cf = kp_capsule_flag_find(c, f->key);
        if (!cf) return 0;
        if (f->any) continue;
        size_t i;
        for (i = 0; i < f->nvalues; i++)
            if (strlen(f->values[i]) == cf->value_len &&
                memcmp(f->values[i], cf->value, cf->value_len) == 0)
                break;
        if (i == f->nvalues) return 0;
    }
    if (u->has_encrypted && (kp_capsule_encrypted(c) != 0) != u->encrypted) return 0;
    if (u->has_min_bytes && len < u->min_bytes) return 0;
    if (u->has_max_bytes && len > u->max_bytes) return 0;
    size_t np = kp_capsule_parent_count(c);
    if (u->has_min_parents && np < u->min_parents) return 0;
    if (u->has_max_parents && np > u->max_parents) return 0;
    return 1;
}

static void subject(const kp_relay_rules *r, const kp_capsule *c, char out[KP_RELAY_SUBJECT_MAX])
{
    size_t n = (size_t)snprintf(out, KP_RELAY_SUBJECT_MAX, "%s", r->prefix);
    for (size_t i = 0; i < r->nroute; i++) {
        const kp_capsule_flag *f = kp_capsule_flag_find(c, r->route[i]);
        int ok = f && is_token(f->value, f->value_len);
        n += (size_t)snprintf(out + n, KP_RELAY_SUBJECT_MAX - n, ".%.*s", ok ? (int)f->value_len : 1,
                              ok ? f->value : "_");
    }
    /* the type's own dots make the rest of the hierarchy */
    snprintf(out + n, KP_RELAY_SUBJECT_MAX - n, ".%s", kp_capsule_type(c));
}

int kp_relay_check(const kp_relay_rules *r, const uint8_t *data, size_t len, kp_relay_verdict *v,
                   kp_error *err)
{
    kp_capsule *c = NULL;
    int rc;
    memset(v, 0, sizeof *v);
    v->rule = "";
    if (len > r->max_bytes) {
        v->code = err_set(err, KP_E_CAPSULE_LIMIT, "%zu bytes: this relay takes at most %llu", len,
                          (unsigned long long)r->max_bytes);
        return v->code;
    }
    if ((rc = kp_capsule_parse(data, len, NULL, &c, err)) || (rc = kp_capsule_verify(c, err))) {
        kp_capsule_free(c);
        v->code = rc;
        return rc;
    }
    v->has_id = 1;
    kp_id_format(kp_capsule_id(c), v->msg_id);
    int allow = r->default_allow;
    const relay_rule *hit = NULL;
    for (size_t i = 0; i < r->nrules && !hit; i++)
        if (rule_matches(&r->rules[i], c, len)) hit = &r->rules[i];
    if (hit) {
        allow = hit->allow;
        v->rule = hit->name;
    }
    if (!allow) {
        v->code = err_set(err, KP_E_RELAY_REFUSED, "refused by %s%s%s",
                          hit ? "rule '" : "the default (no rule matched)", hit ? hit->name : "",
                          hit ? "'" : "");
        kp_capsule_free(c);
        return v->code;
    }
    v->accept = 1;
    subject(r, c, v->subject);
    kp_capsule_free(c);
    return KP_OK;
}
