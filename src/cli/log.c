/*
 * log.c: kapsule log head|show|prove|consistency|verify|vkey, the audit
 * log from the command line. Every subverb opens the store read-only.
 * Proofs print as JSON with standard base64 hashes, in RFC 9162 order,
 * so that other transparency-log tools can check them.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/error.h"

static const char usage_text[] =
    "usage: kapsule log SUBVERB [--store DIR] [options]\n"
    "\n"
    "  head                      the latest signed checkpoint (C2SP tlog-checkpoint note)\n"
    "  show [N | --from A --to B] [--json]\n"
    "                            entries (all by default; --to is inclusive): index,\n"
    "                            leaf hash (base64) and the entry decoded as JSON\n"
    "                            (base64 when it is not CBOR); --json: both, as\n"
    "                            \"entry\" (base64) and \"decoded\"\n"
    "  prove N [--size S]        inclusion proof of entry N in the tree of size S\n"
    "                            (default: the whole log), as JSON\n"
    "  consistency A B           consistency proof from tree size A to B, as JSON\n"
    "  verify [--vkey KEY] [--json]\n"
    "                            recompute every hash from the entries and check every\n"
    "                            stored checkpoint (against KEY, default the log's own);\n"
    "                            then check every stored capsule and result against the\n"
    "                            entry that accepted it (bytes, id, run, reason) and\n"
    "                            every module's code against its id. A store that\n"
    "                            fails is quarantined (writes refused, --force aside);\n"
    "                            one that passes again has the mark lifted\n"
    "  vkey                      the log's note verifier key (name+keyid+key)\n"
    "\n"
    "The store is --store DIR, else $KAPSULE_HOME, else ~/.kapsule.\n"
    "Exit status: 0 ok, 1 not found / not in range / log fails verification,\n"
    "2 usage, 3 environment.\n";

static json_t *b64(const uint8_t *p, size_t n)
{
    size_t cap = CRY_BASE64_LEN(n);
    char *s = mem_alloc(cap);
    if (!s) return NULL;
    cry_base64(s, p, n, 1);
    json_t *j = json_string(s);
    mem_free(s, cap);
    return j;
}

static json_t *hash_list(const uint8_t (*h)[KP_LOG_HASH_BYTES], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, b64(h[i], KP_LOG_HASH_BYTES));
    return a;
}

static int print_json(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!s) return cli_failf(KP_E_NOMEM, "out of memory printing JSON");
    puts(s);
    free(s);
    return 0;
}

typedef struct opts {
    const char *store;
    const char *vkey;
    int json;
    int has_size, has_from, has_to;
    uint64_t size, from, to;
    const char *pos[3];
    int npos;
} opts;

/* Parses the subverb's arguments; returns -1 on success, else an exit status. */
static int parse(const char *sub, int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--store") == 0 || strcmp(a, "--vkey") == 0) {
            if (!v) return cli_usage("log", "%s needs a value", a);
            if (a[2] == 's')
                o->store = v;
            else
                o->vkey = v;
            i++;
        } else if (strcmp(a, "--size") == 0 || strcmp(a, "--from") == 0 ||
                   strcmp(a, "--to") == 0) {
            uint64_t n;
            if (!v || !cli_parse_u64(v, &n)) return cli_usage("log", "%s needs a count", a);
            if (a[2] == 's') o->has_size = 1, o->size = n;
            if (a[2] == 'f') o->has_from = 1, o->from = n;
            if (a[2] == 't') o->has_to = 1, o->to = n;
            i++;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("log", "unknown option '%s' for log %s", a, sub);
        } else {
            if (o->npos == 3) return cli_usage("log", "too many arguments for log %s", sub);
            o->pos[o->npos++] = a;
        }
    }
    return -1;
}

static int open_store(const opts *o, kp_store **st)
{
    kp_error e;
    if (kp_store_open(cli_store_dir(o->store), KP_STORE_READONLY, st, &e)) return cli_fail(&e);
    return 0;
}

static int sub_head(kp_store *st, const opts *o)
{
    kp_error e;
    char note[KP_LOG_NOTE_MAX];
    if (o->npos) return cli_usage("log", "log head takes no argument");
    if (kp_log_head(st, note, &e)) return cli_fail(&e);
    fputs(note, stdout);
    return 0;
}

static int sub_vkey(kp_store *st, const opts *o)
{
    kp_error e;
    char vkey[KP_LOG_VKEY_MAX];
    if (o->npos) return cli_usage("log", "log vkey takes no argument");
    if (kp_log_identity(st, NULL, vkey, &e)) return cli_fail(&e);
    puts(vkey);
    return 0;
}

static int sub_show(kp_store *st, const opts *o)
{
    kp_error e;
    uint64_t n, from = 0, to;
    if (kp_log_size(st, &n, &e)) return cli_fail(&e);
    if (o->npos > 1 || (o->npos && (o->has_from || o->has_to)))
        return cli_usage("log", "log show takes N, or --from A --to B");
    if (o->npos) {
        if (!cli_parse_u64(o->pos[0], &from)) return cli_usage("log", "N must be a count");
        to = from;
        if (from >= n)
            return cli_failf(KP_E_LOG_RANGE, "no entry %llu: the log has %llu",
                             (unsigned long long)from, (unsigned long long)n);
    } else {
        if (n == 0 && !o->has_from && !o->has_to) return o->json ? print_json(json_array()) : 0;
        from = o->has_from ? o->from : 0;
        to = o->has_to ? o->to : n - 1;
        if (to >= n) to = n - 1;
        if (n == 0 || from > to)
            return cli_failf(KP_E_LOG_RANGE, "no entries from %llu to %llu in a log of %llu",
                             (unsigned long long)from, (unsigned long long)to,
                             (unsigned long long)n);
    }
    json_t *arr = o->json ? json_array() : NULL;
    uint8_t *data = NULL;
    size_t cap = 0, len = 0;
    int rc = 0;
    for (uint64_t i = from; i <= to; i++) {
        int s = kp_log_entry(st, i, data, cap, &len, &e);
        if (s == KP_E_LIMIT) {
            uint8_t *p = mem_realloc(data, cap, len);
            if (!p) {
                rc = cli_failf(KP_E_NOMEM, "out of memory reading entry %llu", (unsigned long long)i);
                break;
            }
            data = p;
            cap = len;
            s = kp_log_entry(st, i, data, cap, &len, &e);
        }
        if (s) {
            rc = cli_fail(&e);
            break;
        }
        uint8_t leaf[KP_LOG_HASH_BYTES];
        kp_log_leaf_hash(data, len, leaf);
        /* entries the runtime appends are CBOR maps: shown decoded, beside
           the exact bytes (base64) the tree hashes */
        char *dec = NULL;
        kp_error de;
        if (len && kp_cbor_to_json(data, len, 0, &dec, &de) != KP_OK) dec = NULL;
        if (o->json) {
            json_t *x = json_pack("{s:I,s:o,s:o}", "index", (json_int_t)i, "leaf_hash",
                                  b64(leaf, sizeof leaf), "entry", b64(data, len));
            json_t *dj = dec ? json_loads(dec, 0, NULL) : NULL;
            if (dj) json_object_set_new(x, "decoded", dj);
            json_array_append_new(arr, x);
        } else {
            json_t *l = b64(leaf, sizeof leaf), *d = dec ? NULL : b64(data, len);
            printf("%llu %s %s\n", (unsigned long long)i, json_string_value(l),
                   dec ? dec : len ? json_string_value(d) : "-");
            json_decref(l);
            json_decref(d);
        }
        kp_text_free(dec);
        if (i == UINT64_MAX) break;
    }
    mem_free(data, cap);
    if (o->json) {
        if (rc) {
            json_decref(arr);
            return rc;
        }
        return print_json(arr);
    }
    return rc;
}

static int sub_prove(kp_store *st, const opts *o)
{
    kp_error e;
    uint64_t index, size;
    static kp_log_inclusion p;
    if (o->npos != 1 || !cli_parse_u64(o->pos[0], &index))
        return cli_usage("log", "log prove takes an entry index N");
    if (o->has_size) {
        size = o->size;
    } else if (kp_log_size(st, &size, &e)) {
        return cli_fail(&e);
    }
    if (kp_log_prove_inclusion(st, index, size, &p, &e)) return cli_fail(&e);
    return print_json(json_pack("{s:I,s:I,s:o,s:o,s:o}", "index", (json_int_t)p.index,
                                "tree_size", (json_int_t)p.tree_size, "leaf_hash",
                                b64(p.leaf_hash, KP_LOG_HASH_BYTES), "root",
                                b64(p.root, KP_LOG_HASH_BYTES), "proof",
                                hash_list(p.proof, p.count)));
}

static int sub_consistency(kp_store *st, const opts *o)
{
    kp_error e;
    uint64_t a, b;
    static kp_log_consistency p;
    if (o->npos != 2 || !cli_parse_u64(o->pos[0], &a) || !cli_parse_u64(o->pos[1], &b))
        return cli_usage("log", "log consistency takes two tree sizes A B");
    if (kp_log_prove_consistency(st, a, b, &p, &e)) return cli_fail(&e);
    return print_json(json_pack("{s:I,s:I,s:o,s:o,s:o}", "old_size", (json_int_t)p.old_size,
                                "new_size", (json_int_t)p.new_size, "old_root",
                                b64(p.old_root, KP_LOG_HASH_BYTES), "new_root",
                                b64(p.new_root, KP_LOG_HASH_BYTES), "proof",
                                hash_list(p.proof, p.count)));
}

static const char *place_name(kp_log_place p)
{
    switch (p) {
    case KP_LOG_AT_ENTRY: return "entry";
    case KP_LOG_AT_NODE: return "node";
    case KP_LOG_AT_CHECKPOINT: return "checkpoint";
    case KP_LOG_AT_CAPSULE: return "capsule";
    case KP_LOG_AT_RESULT: return "result";
    case KP_LOG_AT_MODULE: return "module";
    default: return "table";
    }
}

static void on_problem(void *ud, const kp_log_problem *p)
{
    json_t *arr = ud;
    if (!arr) {
        printf("%s %s\n", kp_status_name(p->code), p->msg);
        return;
    }
    json_t *j = json_pack("{s:s,s:s,s:I,s:s}", "code", kp_status_name(p->code), "place",
                          place_name(p->place), "index", (json_int_t)p->index, "message", p->msg);
    if (j && p->place == KP_LOG_AT_NODE) json_object_set_new(j, "level", json_integer(p->level));
    if (j && p->place == KP_LOG_AT_CHECKPOINT)
        json_object_set_new(j, "tree_size", json_integer((json_int_t)p->tree_size));
    json_array_append_new(arr, j);
}

/*
 * The verdict recorded in the store (kp_store_quarantine): a store that
 * failed is quarantined, so that no writer appends to it or signs over it
 * until it is repaired; one that passes again has its mark lifted (that
 * is the repair step). The store is open read-only for the check, so the
 * mark is written through a second connection opened for writing; when
 * that is impossible (a read-only copy), the verdict stands and stderr
 * says the mark could not be set. Returns 1 when the store is
 * quarantined afterwards.
 */
static int mark(kp_store *st, const opts *o, int verdict, const kp_error *why)
{
    kp_store *w = NULL;
    kp_error e;
    int code = 0, cleared = 0, rc;
    char reason[KP_ERROR_MSG_BYTES];
    if (kp_store_quarantined(st, &code, NULL, &e) != KP_OK) code = 0;
    if (verdict == KP_OK && !code) return 0;
    rc = kp_store_open(cli_store_dir(o->store), 0, &w, &e);
    if (rc == KP_OK) {
        if (verdict != KP_OK)
            rc = kp_store_quarantine(w, verdict, why->msg, &e);
        else
            rc = kp_store_quarantine_clear(w, &cleared, &e);
    }
    if (rc == KP_OK && verdict == KP_OK && !cleared &&
        kp_store_quarantined(w, &code, reason, &e) == KP_OK && code) {
        /* marked again at once: what the open check sees still holds */
        kp_store_close(w);
        fprintf(stderr, "kapsule: the store stays quarantined: %s\n", reason);
        return 1;
    }
    kp_store_close(w);
    if (rc != KP_OK) {
        fprintf(stderr, "kapsule: %s: cannot %s the quarantine mark: %s\n", kp_status_name(rc),
                verdict != KP_OK ? "set" : "lift", e.msg);
        return code != 0;
    }
    if (verdict != KP_OK) {
        fprintf(stderr, "kapsule: the store is quarantined: writes are refused until it is "
                        "repaired and `kapsule log verify` passes (or a writer uses --force)\n");
        return 1;
    }
    if (cleared) fprintf(stderr, "kapsule: the store verifies again: quarantine lifted\n");
    return 0;
}

static int sub_verify(kp_store *st, const opts *o)
{
    kp_error e;
    kp_log_report r;
    if (o->npos) return cli_usage("log", "log verify takes no argument");
    json_t *problems = o->json ? json_array() : NULL;
    kp_error_clear(&e);
    int rc = kp_log_verify(st, o->vkey, on_problem, problems, &r, &e);
    if (rc == KP_OK || r.problems > 0) {
        /* then the rows the log vouches for: capsules and results */
        kp_error re;
        kp_error_clear(&re);
        uint64_t before = r.problems;
        int rrc = kp_runtime_verify(st, on_problem, problems, &r, &re);
        if (rc == KP_OK && rrc != KP_OK) {
            rc = rrc;
            e = re;
        } else if (rrc != KP_OK && r.problems == before) {
            rc = rrc; /* an environment error */
            e = re;
        }
    }
    if (rc == KP_OK || r.problems > 0) {
        /* and the log against what this node signed (node.head): an older
           or other copy of the database is a fork even when it is whole */
        kp_error se;
        int src = kp_store_check_signed(st, &se);
        if (src == KP_E_LOG_CHECKPOINT) {
            kp_log_problem p;
            memset(&p, 0, sizeof p);
            p.code = src;
            p.place = KP_LOG_AT_TABLE;
            p.msg = se.msg;
            on_problem(problems, &p);
            r.problems++;
            if (rc == KP_OK) {
                rc = src;
                e = se;
            }
        } else if (src != KP_OK && rc == KP_OK) {
            rc = src; /* an environment error */
            e = se;
        }
    }
    int fault = rc == KP_OK || r.problems > 0; /* a verdict, not an environment error */
    int quarantined = fault ? mark(st, o, rc, &e) : 0;
    if (o->json && fault) {
        json_t *j = json_pack("{s:b,s:I,s:I,s:I,s:o,s:b}", "ok", rc == KP_OK, "entries",
                              (json_int_t)r.entries, "nodes", (json_int_t)r.nodes, "checkpoints",
                              (json_int_t)r.checkpoints, "problems", problems, "quarantined",
                              quarantined);
        print_json(j);
    } else {
        json_decref(problems);
        if (rc == KP_OK)
            printf("log ok: %llu entries, %llu nodes, %llu checkpoints\n",
                   (unsigned long long)r.entries, (unsigned long long)r.nodes,
                   (unsigned long long)r.checkpoints);
    }
    if (rc == KP_OK) return 0;
    if (!fault) return cli_fail(&e);
    fprintf(stderr, "kapsule: %s: %llu problem%s; the first: %s\n", kp_status_name(rc),
            (unsigned long long)r.problems, r.problems == 1 ? "" : "s", e.msg);
    return kp_status_exit(rc);
}

int cli_log(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(kp_store *, const opts *);
    } subs[] = {{"head", sub_head},   {"show", sub_show},
                {"prove", sub_prove}, {"consistency", sub_consistency},
                {"verify", sub_verify}, {"vkey", sub_vkey}};
    if (argc < 2) return cli_usage("log", "which one: head, show, prove, consistency, verify, vkey");
    if (cli_is_help(argv[1])) {
        fputs(usage_text, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name) != 0) continue;
        opts o;
        int rc = parse(subs[i].name, argc - 1, argv + 1, &o);
        if (rc >= 0) return rc;
        kp_store *st;
        if ((rc = open_store(&o, &st)) != 0) return rc;
        rc = subs[i].run(st, &o);
        kp_store_close(st);
        return rc;
    }
    return cli_usage("log", "unknown subverb '%s'", argv[1]);
}
