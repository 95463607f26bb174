/*
 * cli.h: what the verbs of the kapsule command share. The command line is
 * the only layer that prints to users or chooses an exit status: 0 success,
 * 1 the thing checked is invalid or rejected, 2 usage, 3 environment.
 */
#ifndef KP_CLI_H
#define KP_CLI_H

#include <stdio.h>

#include "kapsule.h"

/* A verb: argv[0] is the verb's name; returns the process exit status. */
typedef int (*cli_verb_fn)(int argc, char **argv);

/* Prints "kapsule: E_CODE: message" to stderr; returns the code's exit status. */
int cli_fail(const kp_error *e);
/* As cli_fail for a code and a formatted message. */
int cli_failf(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "kapsule VERB: message" and the hint to use --help; returns 2. */
int cli_usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 when arg is -h or --help. */
int cli_is_help(const char *arg);
/* The store folder: --store, else $KAPSULE_HOME, else ~/.kapsule. */
const char *cli_store_dir(const char *opt);
/*
 * Matches argv[*i] against the option name ("--type"), written as
 * "--type VALUE" (VALUE is the next argument, and *i moves past it) or
 * "--type=VALUE". Returns 1 on a match with *val set (NULL when the value
 * is missing), else 0.
 */
int cli_opt(const char *name, int argc, char **argv, int *i, const char **val);
/* A decimal count: digits only, nothing around them, within 64 bits. */
int cli_parse_u64(const char *s, uint64_t *out);
/* Flushes standard output; on failure returns -1 and keeps the first
   failure's errno for cli_stdout_errno (a failed flush empties the buffer,
   so the next one succeeds and would lose it). Verbs flush with this. */
int cli_flush(void);
/* The errno of the first failed cli_flush, or 0. */
int cli_stdout_errno(void);
/* Writes what a verb's -o names: "-" is standard output, anything else
   goes by file_write_output's rule (a FIFO or device is written in place,
   never replaced). mode is a new file's permission bits. */
int cli_write_output(const char *path, const void *data, size_t len, unsigned mode,
                     kp_error *e);
/* Reads and parses a capsule file ("-": standard input), at most
   KP_CAPSULE_MAX_BYTES (E_CAPSULE_LIMIT beyond). */
int cli_capsule_load(const char *path, kp_capsule **c, kp_error *e);
/* A public key named on the command line: a key name of the store, an
   "alg:hex" key id, or bare hex (cli_parse_key_arg). pk holds
   KP_PK_MAX_BYTES. */
int cli_key_public(const char *store, const char *arg, kp_key_alg *alg, uint8_t *pk, size_t *len,
                   kp_error *e);
/* JSON (jansson) for inspect and verify, in inspect.c: an error as
   {code, message, offset, field}; a capsule with every field, and its
   signature's verdict (verr NULL: valid). */
struct json_t *cli_error_json(const kp_error *e);
struct json_t *cli_capsule_json(const kp_capsule *c, const kp_error *verr);
/* The author key's text form, "ed25519:<hex>". */
void cli_author_id(const kp_capsule *c, char out[KP_KEY_ID_MAX]);

/* The verbs, one file each. */
int cli_version(int argc, char **argv);
int cli_errors(int argc, char **argv);
int cli_exec(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_policy(int argc, char **argv);

/* A key given on the command line: a public key in hex (32 bytes: Ed25519,
   33 or 65: P-256) or the name of a key in the key store. */
int cli_parse_key_arg(const char *arg, kp_key_alg *alg, uint8_t *pk, size_t *len, kp_error *err);
int cli_key(int argc, char **argv);
int cli_log(int argc, char **argv);
int cli_pack(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_open(int argc, char **argv);
int cli_ingest(int argc, char **argv);
/* Reads all of path ("-": standard input) into *data (*len bytes, with a
   NUL after them), at most max (KP_E_LIMIT beyond); freed with
   cli_input_free. */
int cli_read_input(const char *path, size_t max, uint8_t **data, size_t *len, kp_error *e);
void cli_input_free(uint8_t *data, size_t len);
/* The *.kapsule files of dir, in name order (inputs.c): *paths (count of
   them, each malloc'd) is freed by the caller, also on failure. */
int cli_list_dir(const char *dir, char ***paths, size_t *count, kp_error *e);
/* What ingest and import print per capsule (ingest.c): a line, or with
   json one JSON object, per outcome, counted; progress on a terminal. */
typedef struct cli_outcomes {
    int json;
    int progress;
    const char *file; /* the input being processed, for messages */
    uint64_t accepted, rejected, pending, duplicate, inputs, total;
} cli_outcomes;
/* A kp_ingest_fn; ud is a cli_outcomes. */
void cli_ingest_print(void *ud, const kp_ingest_result *r);
/* The options ingest and import share (ingest.c). */
typedef struct cli_pipeline {
    const char *store, *policy;
    uint8_t trust[KP_ID_BYTES];
    int has_trust;
    size_t batch; /* set the verb's default before parsing */
    int force;    /* --force: write to a quarantined store (KP_STORE_FORCE) */
} cli_pipeline;
/* 1 when argv[*i] is --store, --policy, --trust-module, --batch or --force (taken,
   with its value); *status is then 0, or a usage failure for a missing
   or bad value. 0 for any other argument. */
int cli_pipeline_opt(const char *verb, int argc, char **argv, int *i, cli_pipeline *p,
                     int *status);
/* Opens (creating) p's store and a pipeline on it with p's policy and
   trust module; on failure *st and *in hold what was opened (close both). */
int cli_pipeline_open(const cli_pipeline *p, kp_store **st, kp_ingest **in, kp_error *e);
int cli_export(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_modules(int argc, char **argv);
int cli_dag(int argc, char **argv);
int cli_results(int argc, char **argv);
int cli_ledger(int argc, char **argv);

#endif
