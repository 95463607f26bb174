/*
 * dag.c: kapsule dag show ID [--json] | ancestors ID | heads [--type T]
 *
 * Queries over the stored capsule DAG; the store is opened read-only.
 * show prints the capsule's fields (as inspect does) with its place in
 * the DAG: parents, children, ingest sequence and the log entry that
 * accepted it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: kapsule dag SUBVERB [--store DIR] [options]\n"
    "\n"
    "  show ID [--json]    a stored capsule: its fields, parents, children, ingest\n"
    "                      sequence and the log entry that accepted it\n"
    "  ancestors ID        every ancestor's id, each once, in ingest order\n"
    "  heads [--type T]    the capsules no stored capsule names as a parent\n"
    "\n"
    "IDs are 64 lowercase hex digits. The store is --store DIR, else\n"
    "$KAPSULE_HOME, else ~/.kapsule.\n"
    "Exit status: 0 ok, 1 not found, 2 usage, 3 environment.\n";

static void print_ids(const kp_ids *ids)
{
    char hex[KP_ID_HEX_BYTES];
    for (size_t i = 0; i < kp_ids_count(ids); i++) {
        kp_id_format(kp_ids_at(ids, i), hex);
        puts(hex);
    }
}

static json_t *ids_json(const kp_ids *ids)
{
    json_t *a = json_array();
    char hex[KP_ID_HEX_BYTES];
    for (size_t i = 0; i < kp_ids_count(ids); i++) {
        kp_id_format(kp_ids_at(ids, i), hex);
        json_array_append_new(a, json_string(hex));
    }
    return a;
}

static int show(kp_store *st, const uint8_t id[32], int json)
{
    kp_error e;
    kp_ids *parents = NULL, *children = NULL;
    kp_dag_place place = {0, 0};
    kp_capsule *c = NULL;
    int status = 0;
    int rc = kp_dag_get(st, id, &c, &place, &e);
    if (rc == KP_OK) rc = kp_dag_parents(st, id, &parents, &e);
    if (rc == KP_OK) rc = kp_dag_children(st, id, &children, &e);
    if (rc) {
        status = cli_fail(&e);
        goto out;
    }
    char hex[KP_ID_HEX_BYTES], author[KP_KEY_ID_MAX];
    kp_id_format(id, hex);
    cli_author_id(c, author);
    if (json) {
        json_t *o = cli_capsule_json(c, NULL);
        json_object_set_new(o, "seq", json_integer((json_int_t)place.seq));
        json_object_set_new(o, "log_index", json_integer((json_int_t)place.log_index));
        json_object_set_new(o, "children", ids_json(children));
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s) puts(s);
        free(s);
        json_decref(o);
        goto out;
    }
    printf("id        %s\ntype      %s\nauthor    %s\ncreated   %llu\n", hex, kp_capsule_type(c),
           author, (unsigned long long)kp_capsule_created(c));
    const uint8_t *logic = kp_capsule_logic(c);
    if (logic) {
        kp_id_format(logic, hex);
        printf("logic     %s\n", hex);
    }
    size_t blen;
    kp_capsule_body(c, &blen);
    printf("body      %zu bytes%s\n", blen, kp_capsule_encrypted(c) ? ", encrypted (age)" : "");
    printf("seq       %lld\nlog       entry %llu\n", (long long)place.seq,
           (unsigned long long)place.log_index);
    printf("parents   %zu\n", kp_ids_count(parents));
    print_ids(parents);
    printf("children  %zu\n", kp_ids_count(children));
    print_ids(children);
out:
    kp_capsule_free(c);
    kp_ids_free(parents);
    kp_ids_free(children);
    return status;
}

int cli_dag(int argc, char **argv)
{
    const char *store = NULL, *type = NULL, *val, *pos = NULL;
    int json = 0, npos = 0;
    if (argc < 2) return cli_usage("dag", "which one: show, ancestors, heads");
    if (cli_is_help(argv[1])) {
        fputs(usage_text, stdout);
        return 0;
    }
    const char *sub = argv[1];
    int is_show = strcmp(sub, "show") == 0, is_anc = strcmp(sub, "ancestors") == 0,
        is_heads = strcmp(sub, "heads") == 0;
    if (!is_show && !is_anc && !is_heads) return cli_usage("dag", "unknown subverb '%s'", sub);
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0 && is_show) {
            json = 1;
        } else if (cli_opt("--store", argc, argv, &i, &val)) {
            if (!(store = val)) return cli_usage("dag", "--store needs a value");
        } else if (is_heads && cli_opt("--type", argc, argv, &i, &val)) {
            if (!(type = val)) return cli_usage("dag", "--type needs a value");
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("dag", "unknown option '%s' for dag %s", argv[i], sub);
        } else {
            pos = argv[i];
            npos++;
        }
    }
    uint8_t id[32];
    kp_error e;
    if (is_heads && npos) return cli_usage("dag", "dag heads takes no argument");
    if (!is_heads && npos != 1) return cli_usage("dag", "dag %s takes one capsule ID", sub);
    if (!is_heads && kp_id_parse(pos, id, &e)) return cli_usage("dag", "%s", e.msg);
    kp_store *st = NULL;
    if (kp_store_open(cli_store_dir(store), KP_STORE_READONLY, &st, &e)) return cli_fail(&e);
    int status = 0;
    if (is_show) {
        status = show(st, id, json);
    } else {
        kp_ids *ids = NULL;
        int rc = is_anc ? kp_dag_ancestors(st, id, &ids, &e) : kp_dag_heads(st, type, &ids, &e);
        if (rc)
            status = cli_fail(&e);
        else
            print_ids(ids);
        kp_ids_free(ids);
    }
    kp_store_close(st);
    return status;
}
