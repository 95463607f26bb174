/*
 * inspect.c: kapsule inspect FILE [--json] [--body]: every field of a
 * capsule, its id, signature algorithm and validity, and how many
 * recipients an encrypted body has, all without any secret key.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "crypto/crypto.h"

static const char usage_text[] =
    "usage: kapsule inspect FILE [--json | --body]\n"
    "\n"
    "Shows every field of the capsule FILE (- for standard input): id, type,\n"
    "author, signature algorithm and whether the signature verifies, created\n"
    "time, parents, logic module, flags, capability requests, and the body's\n"
    "size and, when encrypted, its number of age recipients. Nothing is\n"
    "decrypted: see 'kapsule open'.\n"
    "\n"
    "  --json   the same as one JSON object\n"
    "  --body   write the body as stored (the binary age file when encrypted)\n"
    "           to standard output, and nothing else\n"
    "\n"
    "exit status: 0 valid, 1 invalid (the fields still show when the file\n"
    "parses but its signature does not verify), 2 usage, 3 environment\n";

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (!h) return json_null();
    cry_hex(h, p, n);
    json_t *j = json_string(h);
    free(h);
    return j;
}

/* A uint64 as a JSON integer; past jansson's int64, a decimal string. */
static json_t *u64_json(uint64_t v)
{
    char s[24];
    if (v <= INT64_MAX) return json_integer((json_int_t)v);
    snprintf(s, sizeof s, "%" PRIu64, v);
    return json_string(s);
}

json_t *cli_error_json(const kp_error *e)
{
    const char *name = kp_status_name(e->code);
    return json_pack("{s:s,s:s,s:o,s:o}", "code", name ? name : "E_UNKNOWN", "message", e->msg,
                     "offset", e->offset >= 0 ? json_integer(e->offset) : json_null(), "field",
                     e->field[0] ? json_string(e->field) : json_null());
}

void cli_author_id(const kp_capsule *c, char out[KP_KEY_ID_MAX])
{
    size_t n;
    const uint8_t *pk = kp_capsule_author(c, &n);
    if (kp_key_id_format(kp_capsule_alg(c), pk, n, out, NULL) != KP_OK) snprintf(out, KP_KEY_ID_MAX, "?");
}

json_t *cli_capsule_json(const kp_capsule *c, const kp_error *verr)
{
    char id[KP_ID_HEX_BYTES], author[KP_KEY_ID_MAX];
    size_t n;
    kp_id_format(kp_capsule_id(c), id);
    cli_author_id(c, author);
    json_t *parents = json_array(), *flags = json_object(), *caps = json_array();
    for (size_t i = 0; i < kp_capsule_parent_count(c); i++)
        json_array_append_new(parents, hex_json(kp_capsule_parent_at(c, i), KP_ID_BYTES));
    for (size_t i = 0; i < kp_capsule_flag_count(c); i++) {
        const kp_capsule_flag *f = kp_capsule_flag_at(c, i);
        char key[KP_CAPSULE_FLAG_KEY_MAX + 1];
        memcpy(key, f->key, f->key_len);
        key[f->key_len] = 0;
        json_object_set_new(flags, key, json_stringn(f->value, f->value_len));
    }
    for (size_t i = 0; i < kp_capsule_cap_count(c); i++) {
        const kp_capsule_cap *k = kp_capsule_cap_at(c, i);
        json_array_append_new(
            caps, json_pack("{s:o,s:s%,s:o,s:o}", "module", hex_json(k->module, KP_ID_BYTES),
                            "kind", k->kind, k->kind_len, "amount", u64_json(k->amount),
                            "resource",
                            k->resource ? hex_json(k->resource, k->resource_len) : json_null()));
    }
    const uint8_t *logic = kp_capsule_logic(c);
    const uint8_t *sig = kp_capsule_signature(c, &n);
    json_t *sigj = hex_json(sig, n);
    size_t body_len, size;
    kp_capsule_body(c, &body_len);
    kp_capsule_bytes(c, &size);
    json_t *j = json_pack(
        "{s:s,s:i,s:s,s:s,s:i,s:s,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:I,s:b,s:I},s:I,s:o}", "id", id,
        "version", kp_capsule_version(c), "type", kp_capsule_type(c), "alg",
        kp_key_alg_name(kp_capsule_alg(c)), "cose_alg", kp_capsule_cose_alg(c), "author", author,
        "valid", verr == NULL, "error", verr ? cli_error_json(verr) : json_null(), "created",
        u64_json(kp_capsule_created(c)), "parents", parents, "logic",
        logic ? hex_json(logic, KP_ID_BYTES) : json_null(), "flags", flags, "caps", caps, "body",
        "bytes", (json_int_t)body_len, "encrypted", kp_capsule_encrypted(c), "recipients",
        (json_int_t)kp_capsule_recipients(c), "size", (json_int_t)size, "signature", sigj);
    return j;
}

/* Text from a capsule, printed with control characters and non-ASCII
   escaped, so that a flag cannot play tricks on a terminal. */
static void print_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\\')
            fputs("\\\\", stdout);
        else if (ch >= 0x20 && ch < 0x7f)
            putchar(ch);
        else
            printf("\\x%02x", ch);
    }
}

static void print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static void print_capsule(const kp_capsule *c, const kp_error *verr)
{
    char id[KP_ID_HEX_BYTES], author[KP_KEY_ID_MAX];
    size_t n;
    kp_id_format(kp_capsule_id(c), id);
    cli_author_id(c, author);
    printf("id:          %s\n", id);
    printf("type:        %s\n", kp_capsule_type(c));
    printf("version:     %d\n", kp_capsule_version(c));
    printf("algorithm:   %s (COSE %d)\n", kp_key_alg_name(kp_capsule_alg(c)), kp_capsule_cose_alg(c));
    printf("author:      %s\n", author);
    if (verr)
        printf("signature:   INVALID (%s: %s)\n", kp_status_name(verr->code), verr->msg);
    else
        printf("signature:   valid\n");
    uint64_t created = kp_capsule_created(c);
    char when[32] = "";
    time_t t = (time_t)created;
    struct tm tm;
    if (created <= (uint64_t)253402300799ULL && gmtime_r(&t, &tm))
        strftime(when, sizeof when, " (%Y-%m-%dT%H:%M:%SZ)", &tm);
    printf("created:     %" PRIu64 "%s\n", created, when);
    printf("parents:     %zu\n", kp_capsule_parent_count(c));
    for (size_t i = 0; i < kp_capsule_parent_count(c); i++) {
        printf("  ");
        print_hex(kp_capsule_parent_at(c, i), KP_ID_BYTES);
        putchar('\n');
    }
    const uint8_t *logic = kp_capsule_logic(c);
    printf("logic:       ");
    if (logic)
        print_hex(logic, KP_ID_BYTES);
    else
        printf("-");
    putchar('\n');
    printf("flags:       %zu\n", kp_capsule_flag_count(c));
    for (size_t i = 0; i < kp_capsule_flag_count(c); i++) {
        const kp_capsule_flag *f = kp_capsule_flag_at(c, i);
        printf("  %.*s = ", (int)f->key_len, f->key);
        print_text(f->value, f->value_len);
        putchar('\n');
    }
    printf("caps:        %zu\n", kp_capsule_cap_count(c));
    for (size_t i = 0; i < kp_capsule_cap_count(c); i++) {
        const kp_capsule_cap *k = kp_capsule_cap_at(c, i);
        printf("  module ");
        print_hex(k->module, KP_ID_BYTES);
        printf(" may use %.*s up to %" PRIu64, (int)k->kind_len, k->kind, k->amount);
        if (k->resource) {
            printf(" of ");
            print_hex(k->resource, k->resource_len);
        }
        putchar('\n');
    }
    size_t body_len;
    kp_capsule_body(c, &body_len);
    if (kp_capsule_encrypted(c))
        printf("body:        %zu bytes, age-encrypted to %zu recipient%s\n", body_len,
               kp_capsule_recipients(c), kp_capsule_recipients(c) == 1 ? "" : "s");
    else
        printf("body:        %zu bytes, plaintext\n", body_len);
    kp_capsule_bytes(c, &n);
    printf("size:        %zu bytes\n", n);
}

int cli_inspect(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, body = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--body") == 0)
            body = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("inspect", "unknown option '%s'", argv[i]);
        else if (path)
            return cli_usage("inspect", "one FILE at a time (see 'kapsule verify' for many)");
        else
            path = argv[i];
    }
    if (!path) return cli_usage("inspect", "FILE is required");
    if (json && body) return cli_usage("inspect", "--json and --body do not go together");
    kp_capsule *c = NULL;
    kp_error e, ve;
    if (cli_capsule_load(path, &c, &e) != KP_OK) return cli_fail(&e);
    int bad = kp_capsule_verify(c, &ve) != KP_OK;
    int rc = 0;
    if (body) {
        size_t n;
        const uint8_t *b = kp_capsule_body(c, &n);
        kp_error we;
        if (cli_write_output("-", b ? b : (const uint8_t *)"", n, 0, &we) != KP_OK) rc = cli_fail(&we);
    } else if (json) {
        json_t *j = cli_capsule_json(c, bad ? &ve : NULL);
        char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        if (s) puts(s);
        free(s);
        json_decref(j);
    } else {
        print_capsule(c, bad ? &ve : NULL);
    }
    if (bad && !rc) rc = body || json ? cli_fail(&ve) : kp_status_exit(ve.code);
    kp_capsule_free(c);
    return rc;
}
