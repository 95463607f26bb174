/*
 * explain.c: the public face of the host section: loading and
 * hashing policies, and `kapsule policy explain`'s report of what a
 * module would be granted and which rule grants each capability.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "host/internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

int kp_policy_parse(const uint8_t *text, size_t len, kp_policy **out, kp_error *err)
{
    return pol_parse(text, len, out, err);
}

int kp_policy_load(const char *path, kp_policy **out, kp_error *err)
{
    uint8_t *text;
    size_t len;
    int rc = file_read_all(path, 1024 * 1024, &text, &len, err);
    if (rc) return rc;
    rc = pol_parse(text, len, out, err);
    if (rc) err_prefix(err, "%s", path);
    mem_free(text, len + 1);
    return rc;
}

void kp_policy_hash(const kp_policy *p, uint8_t out[KP_POLICY_HASH_BYTES])
{
    if (p) {
        memcpy(out, p->hash, 32);
        return;
    }
    kp_policy *e = NULL;
    if (pol_empty(&e, NULL) == KP_OK) {
        memcpy(out, e->hash, 32);
        kp_policy_free(e);
    } else {
        memset(out, 0, 32);
    }
}

void kp_text_free(char *text)
{
    if (text) mem_free(text, strlen(text) + 1);
}

static json_t *hexj(const uint8_t *p, size_t n)
{
    char h[2 * 65 + 1];
    if (n > 65) n = 65;
    cry_hex(h, p, n);
    return json_string(h);
}

static json_t *rule_name(const kp_policy *p, int r)
{
    return r >= 0 ? json_string(p->rules[r].name) : json_string("default");
}

/* Builds the report; NULL when out of memory. */
static json_t *report(const kp_policy *p, const kw_module *m, const uint8_t id[32],
                      const pol_subject *s, const pol_effective *g, const int *fns)
{
    json_t *o = json_object(), *imports = json_array(), *caps = json_array(),
           *handles = json_array(), *missing = json_array(), *lim = json_object();
    uint8_t ph[32];
    if (!o || !imports || !caps || !handles || !missing || !lim) goto fail;
    kp_policy_hash(p, ph);
    json_object_set_new(o, "module", hexj(id, 32));
    json_object_set_new(o, "policy", hexj(ph, 32));
    json_object_set_new(o, "type", s->type ? json_string(s->type) : json_null());
    json_object_set_new(o, "author", s->author_len ? hexj(s->author, s->author_len) : json_null());
    json_object_set_new(o, "now", json_integer(s->now));
    json_object_set_new(o, "rules_matched", json_integer((json_int_t)g->nmatched));
    uint32_t n = kw_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        const host_fn *f = &host_fns[fns[i]];
        int ok = g->caps >> f->cap & 1;
        json_array_append_new(imports, json_pack("{s:s,s:s,s:s,s:b}", "module", f->module, "name",
                                                 f->name, "capability", pol_cap_name(f->cap),
                                                 "granted", ok));
        if (!ok) {
            char why[160] = "";
            int ri = pol_rule_would_grant(p, s, f->cap, why, sizeof why);
            json_t *x = json_pack("{s:s,s:s}", "capability", pol_cap_name(f->cap), "function",
                                  f->name);
            if (ri >= 0) {
                json_object_set_new(x, "rule", json_string(p->rules[ri].name));
                json_object_set_new(x, "why", json_string(why));
            }
            json_array_append_new(missing, x);
        }
    }
    for (int cp = 0; cp < POL_NCAPS; cp++) {
        if (!((g->imported | g->offered) >> cp & 1)) continue;
        json_t *x = json_pack("{s:s,s:b,s:b,s:b}", "name", pol_cap_name(cp), "imported",
                              (int)(g->imported >> cp & 1), "offered", (int)(g->offered >> cp & 1),
                              "granted", (int)(g->caps >> cp & 1));
        if (g->rule_of[cp] >= 0) json_object_set_new(x, "rule", rule_name(p, g->rule_of[cp]));
        json_array_append_new(caps, x);
    }
    json_object_set_new(lim, "fuel", json_pack("{s:I,s:o}", "value", (json_int_t)g->limits.fuel,
                                               "rule", rule_name(p, g->fuel_rule)));
    json_object_set_new(lim, "memory_pages",
                        json_pack("{s:I,s:o}", "value", (json_int_t)g->limits.memory_pages,
                                  "rule", rule_name(p, g->memory_rule)));
    if (g->limits.has_not_before)
        json_object_set_new(lim, "not_before", json_integer(g->limits.not_before));
    if (g->limits.has_not_after)
        json_object_set_new(lim, "not_after", json_integer(g->limits.not_after));
    if (g->emit_count)
        json_array_append_new(handles, json_pack("{s:s,s:I,s:o}", "kind", "emit", "amount",
                                                 (json_int_t)g->emit_count, "rule",
                                                 rule_name(p, g->emit_rule)));
    for (size_t i = 0; i < g->nbudgets; i++)
        json_array_append_new(handles,
                              json_pack("{s:s,s:o,s:I,s:o}", "kind", "ledger.spend", "account",
                                        hexj(g->budgets[i].account, g->budgets[i].account_len),
                                        "amount", (json_int_t)g->budgets[i].amount, "rule",
                                        rule_name(p, g->budgets[i].rule)));
    json_object_set_new(o, "imports", imports);
    json_object_set_new(o, "capabilities", caps);
    json_object_set_new(o, "limits", lim);
    json_object_set_new(o, "handles", handles);
    json_object_set_new(o, "links", json_boolean(json_array_size(missing) == 0));
    json_object_set_new(o, "missing", missing);
    return o;
fail:
    json_decref(o);
    json_decref(imports);
    json_decref(caps);
    json_decref(handles);
    json_decref(missing);
    json_decref(lim);
    return NULL;
}

int kp_policy_explain(const kp_policy *p, const uint8_t *wasm, size_t len, const char *type,
                      const uint8_t *author, size_t author_len, int64_t now, char **json,
                      kp_error *err)
{
    kw_error kerr;
    kw_module *m = NULL;
    int *fns = NULL;
    uint32_t n = 0;
    pol_caps caps;
    pol_subject s;
    pol_effective g;
    json_t *o = NULL;
    char *text = NULL;
    int rc;
    if (!wasm || !json || (author_len && !author) || author_len > POL_PK_MAX)
        return err_set(err, KP_E_ARG, "kp_policy_explain: bad arguments");
    if ((rc = kw_module_new(NULL, wasm, len, &m, &kerr))) return err_from_kw(err, &kerr);
    n = kw_module_import_count(m);
    if (n && !(fns = mem_calloc(n, sizeof *fns))) {
        rc = err_set(err, KP_E_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = host_imports(m, &caps, fns, err))) goto done;
    memset(&s, 0, sizeof s);
    kp_module_id(wasm, len, s.module);
    s.type = type;
    s.author = author;
    s.author_len = author_len;
    s.now = now;
    pol_evaluate(p, &s, caps, &g);
    if (!(o = report(p, m, s.module, &s, &g, fns)) ||
        !(text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2)))) {
        rc = err_set(err, KP_E_NOMEM, "out of memory");
        goto done;
    }
    *json = mem_strndup(text, strlen(text));
    if (!*json) rc = err_set(err, KP_E_NOMEM, "out of memory");
done:
    free(text);
    json_decref(o);
    mem_free(fns, n * sizeof *fns);
    kw_module_free(m);
    return rc;
}
