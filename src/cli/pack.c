/*
 * pack.c: kapsule pack, which builds a capsule from the command line: the
 * author's key from the store, the body from a file, the options turned
 * into kp_capsule_pack_opts. The created time defaults to the clock here,
 * outside any sandbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/file.h"

#define MAX_LIST 1024

static const char usage_text[] =
    "usage: kapsule pack --type TYPE --key NAME -o OUT.kapsule [options]\n"
    "\n"
    "Builds a capsule, signs it with the identity NAME of the key store and\n"
    "writes it to OUT (- for standard output); prints its id.\n"
    "\n"
    "  --type TYPE          post, comment, trust, ledger, agent or another name\n"
    "                       ([a-z][a-z0-9._-]{0,63})\n"
    "  --key NAME           the author's identity\n"
    "  --body FILE|-        the body (default: empty)\n"
    "  --body-age FILE      a body already encrypted with age (binary), e.g. by\n"
    "                       `age -r`, stored as it is and marked encrypted\n"
    "  --to RECIPIENT       encrypt the body to an age recipient (age1...) or to an\n"
    "                       identity of the store; repeat for several\n"
    "  --parent ID          a parent capsule id (64 hex digits); repeat, up to 64\n"
    "  --logic ID|FILE      the logic module: its id, or a .wasm file to hash\n"
    "  --flag KEY=VALUE     a relay-visible flag; repeat, up to 32\n"
    "  --created UNIX       the creation time in unix seconds (default: now)\n"
    "  --cap MODULE:KIND:AMOUNT[:RESOURCE]\n"
    "                       ask that module MODULE (id) may use KIND up to AMOUNT\n"
    "                       (RESOURCE: hex bytes); repeat, up to 16\n"
    "  --cose-alg N         write COSE alg N (-8 instead of -19 for Ed25519)\n"
    "  --store DIR          the store (default $KAPSULE_HOME, else ~/.kapsule)\n"
    "\n"
    "exit status: 0 ok, 1 invalid or rejected, 2 usage, 3 environment\n";

typedef struct pack_args {
    const char *type, *key, *body, *body_age, *logic, *created, *cose, *out, *store;
    const char *to[MAX_LIST], *parent[MAX_LIST], *flag[MAX_LIST], *cap[MAX_LIST];
    size_t nto, nparent, nflag, ncap;
} pack_args;

static int add(const char **list, size_t *n, const char *v, const char *what)
{
    if (*n == MAX_LIST) return cli_usage("pack", "too many %s options", what);
    list[(*n)++] = v;
    return 0;
}

static int parse_args(int argc, char **argv, pack_args *a, int *help)
{
    memset(a, 0, sizeof *a);
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL, *arg = argv[i];
        int rc = 0;
        if (cli_is_help(arg)) {
            *help = 1;
            return 0;
        }
#define ONE(name, field)                                                         \
    if (cli_opt(name, argc, argv, &i, &v)) {                                     \
        if (!v) return cli_usage("pack", "%s needs a value", name);              \
        if (a->field) return cli_usage("pack", "%s is given twice", name);        \
        a->field = v;                                                            \
        continue;                                                                \
    }
#define MANY(name, list, n)                                                      \
    if (cli_opt(name, argc, argv, &i, &v)) {                                     \
        if (!v) return cli_usage("pack", "%s needs a value", name);              \
        if ((rc = add(a->list, &a->n, v, name))) return rc;                       \
        continue;                                                                \
    }
        ONE("--type", type)
        ONE("--key", key)
        ONE("--body", body)
        ONE("--body-age", body_age)
        ONE("--logic", logic)
        ONE("--created", created)
        ONE("--cose-alg", cose)
        ONE("--store", store)
        ONE("--output", out)
        ONE("-o", out)
        MANY("--to", to, nto)
        MANY("--parent", parent, nparent)
        MANY("--flag", flag, nflag)
        MANY("--cap", cap, ncap)
#undef ONE
#undef MANY
        return cli_usage("pack", "unexpected argument '%s'", arg);
    }
    if (!a->type || !a->key || !a->out) return cli_usage("pack", "--type, --key and -o are required");
    if (a->body && a->body_age) return cli_usage("pack", "give --body or --body-age, not both");
    if (a->body_age && a->nto) return cli_usage("pack", "--to encrypts --body; --body-age is encrypted already");
    return 0;
}

/* --logic: an id, or a file whose bytes are hashed as a module. */
static int logic_id(const char *arg, uint8_t id[KP_ID_BYTES])
{
    kp_error e;
    if (kp_id_parse(arg, id, NULL) == KP_OK) return 0;
    uint8_t *wasm;
    size_t n;
    if (file_read_all(arg, 256u * 1024 * 1024, &wasm, &n, &e) != KP_OK) {
        if (e.code == KP_E_NO_FILE)
            return cli_usage("pack", "--logic '%s' is neither a module id nor a file", arg);
        return cli_fail(&e);
    }
    kp_module_id(wasm, n, id);
    mem_free(wasm, n + 1);
    return 0;
}

/* --cap MODULE:KIND:AMOUNT[:RESOURCE] into c, with kind and resource
   pointing into the argument and the module and resource bytes into bytes. */
static int parse_cap(char *arg, kp_capsule_cap *c, uint8_t module[KP_ID_BYTES],
                     uint8_t resource[KP_CAPSULE_CAP_RESOURCE_MAX])
{
    char *f[4] = {arg, NULL, NULL, NULL};
    int nf = 1;
    for (char *p = arg; *p && nf < 4; p++)
        if (*p == ':') {
            *p = 0;
            f[nf++] = p + 1;
        }
    uint64_t amount;
    if (nf < 3 || kp_id_parse(f[0], module, NULL) != KP_OK || !cli_parse_u64(f[2], &amount))
        return cli_usage("pack", "--cap wants MODULE_ID:KIND:AMOUNT[:RESOURCE_HEX]");
    memset(c, 0, sizeof *c);
    c->module = module;
    c->kind = f[1];
    c->kind_len = strlen(f[1]);
    c->amount = amount;
    if (nf == 4) {
        size_t n = strlen(f[3]);
        if (n == 0 || n % 2 || n / 2 > KP_CAPSULE_CAP_RESOURCE_MAX)
            return cli_usage("pack", "--cap RESOURCE is 1..%d bytes of hex", KP_CAPSULE_CAP_RESOURCE_MAX);
        if (cry_hex_decode(resource, KP_CAPSULE_CAP_RESOURCE_MAX, f[3], n, CRY_HEX_LOWER) !=
            (long)(n / 2))
            return cli_usage("pack", "--cap RESOURCE '%s' is not lowercase hex", f[3]);
        c->resource = resource;
        c->resource_len = n / 2;
    }
    return 0;
}

typedef struct pack_state {
    kp_key *author;
    uint8_t *body;
    size_t body_len;
    char (*to)[KP_AGE_RECIPIENT_BYTES];
    const char **to_ptr;
    uint8_t (*parents)[KP_ID_BYTES];
    kp_capsule_flag *flags;
    char **flag_text;
    kp_capsule_cap *caps;
    uint8_t (*cap_bytes)[KP_ID_BYTES + KP_CAPSULE_CAP_RESOURCE_MAX];
    char **cap_text;
    uint8_t logic[KP_ID_BYTES];
    kp_capsule *cap_out;
} pack_state;

static void state_free(pack_state *s, const pack_args *a)
{
    kp_key_free(s->author);
    if (s->body) mem_free(s->body, s->body_len + 1);
    free(s->to);
    free(s->to_ptr);
    free(s->parents);
    free(s->flags);
    for (size_t i = 0; s->flag_text && i < a->nflag; i++) free(s->flag_text[i]);
    free(s->flag_text);
    free(s->caps);
    free(s->cap_bytes);
    for (size_t i = 0; s->cap_text && i < a->ncap; i++) free(s->cap_text[i]);
    free(s->cap_text);
    kp_capsule_free(s->cap_out);
}

/* Turns the arguments into options; returns an exit status. */
static int build(const pack_args *a, pack_state *s, kp_capsule_pack_opts *o)
{
    kp_error e;
    const char *store = cli_store_dir(a->store);
    int rc;
    memset(o, 0, sizeof *o);
    o->type = a->type;
    if (kp_key_load(store, a->key, &s->author, &e) != KP_OK) return cli_fail(&e);
    o->author = s->author;
    const char *bpath = a->body ? a->body : a->body_age;
    if (bpath) {
        if (file_read_all(bpath, KP_CAPSULE_MAX_BYTES, &s->body, &s->body_len, &e) != KP_OK)
            return cli_fail(&e);
        o->body = s->body;
        o->body_len = s->body_len;
        o->body_is_age = a->body_age != NULL;
    }
    s->to = calloc(a->nto + 1, sizeof *s->to);
    s->to_ptr = calloc(a->nto + 1, sizeof *s->to_ptr);
    s->parents = calloc(a->nparent + 1, sizeof *s->parents);
    s->flags = calloc(a->nflag + 1, sizeof *s->flags);
    s->flag_text = calloc(a->nflag + 1, sizeof *s->flag_text);
    s->caps = calloc(a->ncap + 1, sizeof *s->caps);
    s->cap_bytes = calloc(a->ncap + 1, sizeof *s->cap_bytes);
    s->cap_text = calloc(a->ncap + 1, sizeof *s->cap_text);
    if (!s->to || !s->to_ptr || !s->parents || !s->flags || !s->flag_text || !s->caps ||
        !s->cap_bytes || !s->cap_text)
        return cli_failf(KP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < a->nto; i++) {
        const char *r = a->to[i];
        if (strncmp(r, "age1", 4) == 0) {
            snprintf(s->to[i], sizeof s->to[i], "%s", r);
            if (strlen(r) >= sizeof s->to[i])
                return cli_failf(KP_E_AGE_KEY, "--to '%.80s' is not an age recipient", r);
        } else {
            kp_key *k = NULL;
            if (kp_key_load(store, r, &k, &e) != KP_OK) {
                if (e.code == KP_E_NOT_FOUND || e.code == KP_E_KEY_NAME)
                    return cli_usage("pack", "--to '%s' is neither an age1 recipient nor a key in %s",
                                     r, store);
                return cli_fail(&e);
            }
            kp_key_age_recipient(k, s->to[i]);
            kp_key_free(k);
        }
        s->to_ptr[i] = s->to[i];
    }
    o->to = s->to_ptr;
    o->to_count = a->nto;
    for (size_t i = 0; i < a->nparent; i++)
        if (kp_id_parse(a->parent[i], s->parents[i], &e) != KP_OK)
            return cli_usage("pack", "--parent: %s", e.msg);
    o->parents = (const uint8_t(*)[KP_ID_BYTES])s->parents;
    o->parent_count = a->nparent;
    if (a->logic) {
        if ((rc = logic_id(a->logic, s->logic))) return rc;
        o->logic = s->logic;
    }
    for (size_t i = 0; i < a->nflag; i++) {
        const char *eq = strchr(a->flag[i], '=');
        if (!eq) return cli_usage("pack", "--flag wants KEY=VALUE, not '%s'", a->flag[i]);
        if (!(s->flag_text[i] = strdup(a->flag[i]))) return cli_failf(KP_E_NOMEM, "out of memory");
        size_t kl = (size_t)(eq - a->flag[i]);
        s->flag_text[i][kl] = 0;
        s->flags[i] = (kp_capsule_flag){s->flag_text[i], kl, s->flag_text[i] + kl + 1, strlen(eq + 1)};
    }
    o->flags = s->flags;
    o->flag_count = a->nflag;
    for (size_t i = 0; i < a->ncap; i++) {
        if (!(s->cap_text[i] = strdup(a->cap[i]))) return cli_failf(KP_E_NOMEM, "out of memory");
        if ((rc = parse_cap(s->cap_text[i], &s->caps[i], s->cap_bytes[i],
                            s->cap_bytes[i] + KP_ID_BYTES)))
            return rc;
    }
    o->caps = s->caps;
    o->cap_count = a->ncap;
    uint64_t created = (uint64_t)time(NULL);
    if (a->created && !cli_parse_u64(a->created, &created))
        return cli_usage("pack", "--created wants unix seconds, not '%s'", a->created);
    o->created = created;
    if (a->cose) {
        char *end;
        long v = strtol(a->cose, &end, 10);
        if (*end || !*a->cose) return cli_usage("pack", "--cose-alg wants a number");
        o->cose_alg = (int)v;
    }
    return 0;
}

int cli_pack(int argc, char **argv)
{
    pack_args a;
    pack_state s;
    kp_capsule_pack_opts o;
    kp_error e;
    int help, rc = parse_args(argc, argv, &a, &help);
    if (rc || help) return help ? (fputs(usage_text, stdout), 0) : rc;
    memset(&s, 0, sizeof s);
    if ((rc = build(&a, &s, &o))) goto done;
    if (kp_capsule_pack(&o, NULL, &s.cap_out, &e) != KP_OK) {
        rc = cli_fail(&e);
        goto done;
    }
    size_t n;
    const uint8_t *bytes = kp_capsule_bytes(s.cap_out, &n);
    char id[KP_ID_HEX_BYTES];
    kp_id_format(kp_capsule_id(s.cap_out), id);
    if (cli_write_output(a.out, bytes, n, 0644, &e) != KP_OK)
        rc = cli_fail(&e);
    else if (strcmp(a.out, "-") != 0)
        printf("%s\n", id);
done:
    state_free(&s, &a);
    return rc;
}
