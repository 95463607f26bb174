/*
 * key.c: kapsule key new|list|show|export|import, the identities of the
 * key store (<store>/keys; see kapsule.h for the files).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/file.h"

#define IMPORT_MAX (64 * 1024)

static const char usage_text[] =
    "usage: kapsule key new [--alg ed25519|p256|secp256k1] NAME\n"
    "       kapsule key list [--json]\n"
    "       kapsule key show NAME [--json]\n"
    "       kapsule key export NAME --public|--age|--age-secret|--secret\n"
    "       kapsule key import NAME FILE|-\n"
    "\n"
    "Every form takes --store DIR (default $KAPSULE_HOME, else ~/.kapsule).\n"
    "An identity is a signing key (ed25519 by default, p256 or secp256k1) and\n"
    "an X25519 key that receives age-encrypted bodies. It is stored as\n"
    "<store>/keys/NAME.key (secret, mode 0600) and NAME.pub (public).\n"
    "Names: 1..64 of A-Z a-z 0-9 . _ -, starting with a letter or digit.\n"
    "\n"
    "  new      create an identity and print it\n"
    "  list     the identities in the store, one per line\n"
    "  show     name, algorithm, public key (hex; ECDSA keys compressed SEC1)\n"
    "           and age recipient\n"
    "  export   --public      the public half as JSON (NAME.pub)\n"
    "           --age         the age recipient, age1...\n"
    "           --age-secret  the age identity, AGE-SECRET-KEY-1... (as age -i reads it)\n"
    "           --secret      the whole identity as JSON (NAME.key), for import\n"
    "  import   store a secret read from FILE or standard input: either JSON from\n"
    "           'export --secret', or an age identity (AGE-SECRET-KEY-1..., as\n"
    "           age-keygen writes it), which makes a receive-only identity\n"
    "\n"
    "exit status: 0 ok, 1 invalid or rejected, 2 usage, 3 environment\n";

typedef struct opts {
    const char *store;
    const char *alg;
    const char *form; /* export: public, age, age-secret, secret */
    int json;
    const char *pos[2];
    int npos;
} opts;

/* Parses the options every subverb shares; allowed is a string of the
   option letters it takes ("a" alg, "j" json, "e" export forms). */
static int parse_opts(const char *sub, int argc, char **argv, const char *allowed, opts *o,
                      int *help)
{
    memset(o, 0, sizeof *o);
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (cli_is_help(a)) {
            *help = 1;
            return 0;
        }
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++) {
                if (o->npos == 2) return cli_usage("key", "%s: too many arguments", sub);
                o->pos[o->npos++] = argv[i];
            }
            break;
        }
        if (strncmp(a, "--store", 7) == 0 && (a[7] == 0 || a[7] == '=')) {
            val = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val || !*val) return cli_usage("key", "--store needs a folder");
            o->store = val;
        } else if (strchr(allowed, 'a') && strncmp(a, "--alg", 5) == 0 &&
                   (a[5] == 0 || a[5] == '=')) {
            val = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) return cli_usage("key", "--alg needs ed25519, p256 or secp256k1");
            o->alg = val;
        } else if (strchr(allowed, 'j') && strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strchr(allowed, 'e') &&
                   (strcmp(a, "--public") == 0 || strcmp(a, "--age") == 0 ||
                    strcmp(a, "--age-secret") == 0 || strcmp(a, "--secret") == 0)) {
            if (o->form) return cli_usage("key", "export: choose one of --public, --age, --age-secret, --secret");
            o->form = a + 2;
        } else if (a[0] == '-' && a[1] != 0) {
            return cli_usage("key", "%s: unknown option '%s'", sub, a);
        } else {
            if (o->npos == 2) return cli_usage("key", "%s: too many arguments", sub);
            o->pos[o->npos++] = a;
        }
    }
    return 0;
}

/* The JSON description of a key (show --json, list --json). */
static json_t *key_json(const kp_key *k)
{
    char hex[2 * KP_PK_MAX_BYTES + 1], r[KP_AGE_RECIPIENT_BYTES];
    size_t n;
    const uint8_t *pk = kp_key_public(k, &n);
    kp_key_alg alg = kp_key_get_alg(k);
    kp_key_age_recipient(k, r);
    if (pk) cry_hex(hex, pk, n);
    return json_pack("{s:s,s:s,s:o,s:o,s:s,s:b}", "name", kp_key_name(k), "alg",
                     kp_key_alg_name(alg), "cose_alg",
                     alg == KP_ALG_NONE ? json_null() : json_integer(kp_key_alg_cose(alg)),
                     "public_key", pk ? json_string(hex) : json_null(), "age_recipient", r,
                     "can_sign", alg != KP_ALG_NONE);
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2));
    if (s) puts(s);
    free(s);
}

static void print_key(const kp_key *k)
{
    char hex[2 * KP_PK_MAX_BYTES + 1], r[KP_AGE_RECIPIENT_BYTES];
    size_t n;
    const uint8_t *pk = kp_key_public(k, &n);
    kp_key_alg alg = kp_key_get_alg(k);
    kp_key_age_recipient(k, r);
    printf("name:          %s\n", kp_key_name(k));
    if (alg == KP_ALG_NONE) {
        printf("algorithm:     none (receive-only)\npublic key:    -\n");
    } else {
        cry_hex(hex, pk, n);
        printf("algorithm:     %s (COSE %d)\npublic key:    %s\n", kp_key_alg_name(alg),
               kp_key_alg_cose(alg), hex);
    }
    printf("age recipient: %s\n", r);
}

static int need_name(const char *sub, const opts *o, int npos)
{
    if (o->npos != npos)
        return cli_usage("key", "%s takes %s", sub, npos == 1 ? "one NAME" : "NAME and FILE");
    return 0;
}

static int key_new(int argc, char **argv)
{
    opts o;
    int help, rc = parse_opts("new", argc, argv, "a", &o, &help);
    if (rc || help) return help ? (fputs(usage_text, stdout), 0) : rc;
    if ((rc = need_name("new", &o, 1))) return rc;
    kp_error e;
    kp_key_alg alg = KP_ALG_ED25519;
    if (o.alg && kp_key_alg_parse(o.alg, &alg, &e) != KP_OK)
        return cli_usage("key", "new: --alg must be ed25519, p256 or secp256k1, not '%s'", o.alg);
    kp_key *k = NULL;
    if (kp_key_new(cli_store_dir(o.store), o.pos[0], alg, &k, &e) != KP_OK) return cli_fail(&e);
    print_key(k);
    kp_key_free(k);
    return 0;
}

static int key_show(int argc, char **argv)
{
    opts o;
    int help, rc = parse_opts("show", argc, argv, "j", &o, &help);
    if (rc || help) return help ? (fputs(usage_text, stdout), 0) : rc;
    if ((rc = need_name("show", &o, 1))) return rc;
    kp_error e;
    kp_key *k = NULL;
    if (kp_key_load(cli_store_dir(o.store), o.pos[0], &k, &e) != KP_OK) return cli_fail(&e);
    if (o.json) {
        json_t *j = key_json(k);
        print_json(j);
        json_decref(j);
    } else {
        print_key(k);
    }
    kp_key_free(k);
    return 0;
}

static int key_list(int argc, char **argv)
{
    opts o;
    int help, rc = parse_opts("list", argc, argv, "j", &o, &help);
    if (rc || help) return help ? (fputs(usage_text, stdout), 0) : rc;
    if (o.npos) return cli_usage("key", "list takes no arguments");
    const char *store = cli_store_dir(o.store);
    char **names = NULL;
    size_t n = 0;
    kp_error e;
    if (kp_key_list(store, &names, &n, &e) != KP_OK) return cli_fail(&e);
    json_t *arr = o.json ? json_array() : NULL;
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        kp_key *k = NULL;
        if (kp_key_load(store, names[i], &k, &e) != KP_OK) {
            /* one unreadable key does not hide the others */
            int x = cli_fail(&e);
            if (x > status) status = x;
            if (arr)
                json_array_append_new(arr, json_pack("{s:s,s:s}", "name", names[i], "error",
                                                     kp_status_name(e.code)));
            else
                printf("%-24s %-10s (%s)\n", names[i], "?", kp_status_name(e.code));
            continue;
        }
        if (arr) {
            json_array_append_new(arr, key_json(k));
        } else {
            char r[KP_AGE_RECIPIENT_BYTES];
            kp_key_age_recipient(k, r);
            printf("%-24s %-10s %s\n", names[i], kp_key_alg_name(kp_key_get_alg(k)), r);
        }
        kp_key_free(k);
    }
    if (arr) {
        print_json(arr);
        json_decref(arr);
    }
    kp_key_list_free(names, n);
    return status;
}

static int key_export(int argc, char **argv)
{
    opts o;
    int help, rc = parse_opts("export", argc, argv, "e", &o, &help);
    if (rc || help) return help ? (fputs(usage_text, stdout), 0) : rc;
    if ((rc = need_name("export", &o, 1))) return rc;
    if (!o.form) return cli_usage("key", "export: choose one of --public, --age, --age-secret, --secret");
    kp_error e;
    kp_key *k = NULL;
    if (kp_key_load(cli_store_dir(o.store), o.pos[0], &k, &e) != KP_OK) return cli_fail(&e);
    int status = 0;
    if (strcmp(o.form, "age") == 0) {
        char r[KP_AGE_RECIPIENT_BYTES];
        kp_key_age_recipient(k, r);
        printf("%s\n", r);
    } else if (strcmp(o.form, "age-secret") == 0) {
        char s[KP_AGE_SECRET_BYTES];
        kp_key_age_secret(k, s);
        printf("%s\n", s);
        cli_flush();
        cry_wipe(s, sizeof s);
    } else {
        char *text = NULL;
        size_t len = 0;
        if (kp_key_export(k, strcmp(o.form, "secret") == 0, &text, &len, &e) != KP_OK) {
            status = cli_fail(&e);
        } else {
            fwrite(text, 1, len, stdout);
            cli_flush();
            kp_key_text_free(text, len);
        }
    }
    kp_key_free(k);
    return status;
}

static int key_import(int argc, char **argv)
{
    opts o;
    int help, rc = parse_opts("import", argc, argv, "", &o, &help);
    if (rc || help) return help ? (fputs(usage_text, stdout), 0) : rc;
    if ((rc = need_name("import", &o, 2))) return rc;
    kp_error e;
    uint8_t *data = NULL;
    size_t len = 0;
    if (file_read_all(o.pos[1], IMPORT_MAX, &data, &len, &e) != KP_OK) return cli_fail(&e);
    kp_key *k = NULL;
    rc = kp_key_import(cli_store_dir(o.store), o.pos[0], data, len, &k, &e);
    cry_wipe(data, len);
    mem_free(data, len + 1);
    if (rc != KP_OK) return cli_fail(&e);
    print_key(k);
    kp_key_free(k);
    return 0;
}

int cli_key(int argc, char **argv)
{
    static const struct {
        const char *name;
        cli_verb_fn run;
    } subs[] = {
        {"new", key_new},       {"list", key_list},     {"show", key_show},
        {"export", key_export}, {"import", key_import},
    };
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (cli_is_help(argv[1])) {
        fputs(usage_text, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(argv[1], subs[i].name) == 0) return subs[i].run(argc - 1, argv + 1);
    return cli_usage("key", "unknown subcommand '%s' (new, list, show, export, import)", argv[1]);
}
