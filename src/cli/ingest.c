/*
 * ingest.c: kapsule ingest FILE... | DIR | - [options]
 *
 * Feeds capsules to the library's pipeline (kp_ingest_*), in batches that
 * share one commit, and signs a checkpoint after each batch. A folder
 * means every *.kapsule in it, in name order; "-" reads standard input as
 * a stream of capsule files written one after the other (each one CBOR
 * item, a tagged COSE_Sign1, so the stream needs no other framing: an
 * item's own length says where the next begins). Bytes that do not form a
 * complete item end the stream and are ingested as one input (and
 * rejected with its CBOR code), so nothing received goes unlogged; an
 * item that is not a capsule is ingested (rejected) and stops the stream
 * with E_INGEST_STREAM, since where the next one begins is then unknown.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

/* The most standard input may bring in one run. */
#define INGEST_STREAM_MAX (1024u * 1024 * 1024)
#define INGEST_BATCH_DEFAULT 100

static void help(void)
{
    printf("usage: kapsule ingest FILE... | DIR | - [options]\n\n"
           "Receives capsules: each is checked (size, structure, signature), stored\n"
           "once (a capsule already stored is a duplicate and changes nothing), kept\n"
           "pending while a parent or its logic module is missing, decrypted for a\n"
           "local key it is sent to, and run by its logic module under the policy.\n"
           "Every decision is appended to the audit log; a signed checkpoint is made\n"
           "after each batch. DIR: every *.kapsule in it, sorted; -: capsule files\n"
           "concatenated on standard input.\n\n"
           "options:\n"
           "  --json          one JSON object per capsule, one per line: id, status\n"
           "                  (accepted, rejected, pending, duplicate), reason, module,\n"
           "                  verdict, fuel, log_index, body, released\n"
           "  --batch N       capsules per commit (default %d); each capsule is still\n"
           "                  all or nothing, the batch shares one fsync\n"
           "  --policy P      the policy file (default <store>/policy.json if present,\n"
           "                  else nothing is granted)\n"
           "  --trust-module ID  get_trust_score reads this module's scores\n"
           "  --force         write even though `kapsule log verify` quarantined the\n"
           "                  store (the mark stays until a verify passes)\n"
           "  --store DIR     the store (default $KAPSULE_HOME, else ~/.kapsule)\n\n"
           "exit status: 0 every capsule accepted, duplicate or pending; 1 any rejected;\n"
           "2 usage; 3 environment (the store is left as it was before the failing capsule)\n",
           INGEST_BATCH_DEFAULT);
}

typedef cli_outcomes ctx;

/* One outcome, printed and counted; file names the input it came from
   (NULL for none or a released capsule). */
static void print_outcome(ctx *x, const char *file, const kp_ingest_result *r)
{
    char id[KP_ID_HEX_BYTES] = "-", mod[KP_ID_HEX_BYTES];
    if (r->has_id) cry_hex(id, r->id, KP_ID_BYTES);
    const char *status = kp_ingest_status_name(r->status);
    const char *reason = r->reason ? kp_status_name(r->reason) : NULL;
    switch (r->status) {
    case KP_INGEST_ACCEPTED: x->accepted++; break;
    case KP_INGEST_REJECTED: x->rejected++; break;
    case KP_INGEST_PENDING: x->pending++; break;
    case KP_INGEST_DUPLICATE: x->duplicate++; break;
    }
    if (x->progress) fputs("\r\033[K", stderr);
    if (x->json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", r->has_id ? json_string(id) : json_null());
        json_object_set_new(o, "status", json_string(status));
        json_object_set_new(o, "reason", reason ? json_string(reason) : json_null());
        if (*r->message) json_object_set_new(o, "message", json_string(r->message));
        if (!r->released && file) json_object_set_new(o, "file", json_string(file));
        json_object_set_new(o, "released", json_boolean(r->released));
        if (r->status == KP_INGEST_ACCEPTED || r->has_run)
            json_object_set_new(o, "body", json_string(kp_ingest_body_name(r->body)));
        if (r->has_run) {
            cry_hex(mod, r->module, KP_ID_BYTES);
            json_object_set_new(o, "module", json_string(mod));
            json_object_set_new(o, "verdict", json_string(r->verdict == 1 ? "accept" : "reject"));
            json_object_set_new(o, "fuel", json_integer((json_int_t)r->fuel));
        } else {
            json_object_set_new(o, "module", json_null());
            json_object_set_new(o, "verdict", json_null());
            json_object_set_new(o, "fuel", json_null());
        }
        json_object_set_new(o, "log_index",
                            r->has_log_index ? json_integer((json_int_t)r->log_index) : json_null());
        if (r->status == KP_INGEST_PENDING) json_object_set_new(o, "waiting", json_integer((json_int_t)r->waiting));
        char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        if (s) puts(s);
        free(s);
        json_decref(o);
    } else {
        printf("%-9s %s", status, id);
        if (reason) printf(" %s", reason);
        if (r->has_run)
            printf(" verdict=%s fuel=%llu", r->verdict == 1 ? "accept" : "reject",
                   (unsigned long long)r->fuel);
        if (r->body == KP_INGEST_BODY_SEALED) printf(" body=sealed");
        if (r->body == KP_INGEST_BODY_DECRYPTED) printf(" body=decrypted");
        if (r->has_log_index) printf(" log=%llu", (unsigned long long)r->log_index);
        if (r->released) printf(" (released)");
        else if (file) printf(" (%s)", file);
        if (*r->message) printf(": %s", r->message);
        printf("\n");
    }
    cli_flush();
}

void cli_ingest_print(void *ud, const kp_ingest_result *r)
{
    ctx *x = ud;
    print_outcome(x, x->file, r);
}

static void show_progress(ctx *x)
{
    if (!x->progress) return;
    fprintf(stderr, "\r\033[K%llu/%llu  accepted %llu  rejected %llu  pending %llu  duplicate %llu",
            (unsigned long long)x->inputs, (unsigned long long)x->total,
            (unsigned long long)x->accepted, (unsigned long long)x->rejected,
            (unsigned long long)x->pending, (unsigned long long)x->duplicate);
}

/*
 * The pipeline with batching: begin lazily, commit and checkpoint every
 * batch inputs. The library hears a batch's outcomes at its commit, so
 * each input of the open batch keeps its own label (an input struct, the
 * callback's ud) until then.
 */
typedef struct input {
    ctx *x;
    char *file;
} input;

typedef struct runner {
    kp_ingest *in;
    size_t batch, in_batch;
    ctx *x;
    input *inputs; /* in_batch of them, room for batch */
} runner;

static void heard(void *ud, const kp_ingest_result *r)
{
    input *p = ud;
    print_outcome(p->x, r->released ? NULL : p->file, r);
}

static void inputs_clear(runner *r)
{
    for (size_t i = 0; i < r->in_batch; i++) free(r->inputs[i].file);
    r->in_batch = 0;
}

/* Commits the open batch (its outcomes are printed then) and signs a
   checkpoint. A failed commit stores nothing of the batch: the message
   says how many inputs that was, so that nobody takes them for stored. */
static int flush(runner *r, kp_error *e)
{
    if (!r->in_batch) return KP_OK;
    size_t n = r->in_batch;
    int rc = kp_ingest_commit(r->in, e);
    inputs_clear(r);
    if (rc) {
        size_t l = strlen(e->msg);
        snprintf(e->msg + l, sizeof e->msg - l,
                 "; the last %zu input%s %s not stored (ingesting again is safe)", n,
                 n == 1 ? "" : "s", n == 1 ? "was" : "were");
        return rc;
    }
    return kp_ingest_checkpoint(r->in, NULL, e);
}

/* The next input of the batch (begun when none is open), labelled with
   the current file: the callback's ud until the batch commits. */
static int next_input(runner *r, input **out, kp_error *e)
{
    int rc;
    if (!r->inputs && !(r->inputs = calloc(r->batch, sizeof *r->inputs)))
        return err_set(e, KP_E_NOMEM, "out of memory");
    if (r->in_batch == 0 && (rc = kp_ingest_begin(r->in, e))) return rc;
    input *in = &r->inputs[r->in_batch++];
    in->x = r->x;
    in->file = r->x->file ? strdup(r->x->file) : NULL;
    if (r->x->file && !in->file) return err_set(e, KP_E_NOMEM, "out of memory");
    r->x->inputs++;
    *out = in;
    return KP_OK;
}

/* After an input: progress, and the commit when the batch is full. */
static int fed(runner *r, kp_error *e)
{
    show_progress(r->x);
    if (r->in_batch >= r->batch) return flush(r, e);
    return KP_OK;
}

static int feed(runner *r, const uint8_t *p, size_t n, kp_error *e)
{
    input *in;
    int rc = next_input(r, &in, e);
    if (rc == KP_OK) rc = kp_ingest_capsule(r->in, p, n, heard, in, e);
    return rc ? rc : fed(r, e);
}

/* A file over the capsule limit: its SHA-256 and size, read in chunks,
   then kp_ingest_oversize. */
static int feed_oversize(runner *r, const char *path, kp_error *e)
{
    uint8_t chunk[65536], digest[CRY_SHA256_BYTES];
    uint64_t size = 0;
    size_t got;
    int rc;
    FILE *f = fopen(path, "rb");
    if (!f) return err_errno(e, errno, "cannot read", path);
    cry_sha256_ctx h;
    cry_sha256_init(&h);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        cry_sha256_update(&h, chunk, got);
        size += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) return err_set(e, KP_E_IO, "reading %s failed", path);
    cry_sha256_final(&h, digest);
    if (size <= KP_CAPSULE_MAX_BYTES) /* it shrank meanwhile: read it again */
        return err_set(e, KP_E_IO, "%s changed while it was read", path);
    input *in;
    if ((rc = next_input(r, &in, e)) || (rc = kp_ingest_oversize(r->in, digest, size, heard, in, e)))
        return rc;
    return fed(r, e);
}

static int feed_file(runner *r, const char *path, kp_error *e)
{
    uint8_t *data;
    size_t n;
    r->x->file = path;
    /* Read whole only up to the capsule limit: anything larger is refused
       by the pipeline anyway, so it is hashed in passing (constant memory,
       whatever its size) and logged as the same refusal (E_CAPSULE_LIMIT)
       the pipeline logs for an oversized input it is handed whole. */
    int rc = file_read_all(path, KP_CAPSULE_MAX_BYTES, &data, &n, e);
    if (rc == KP_E_LIMIT) return feed_oversize(r, path, e);
    if (rc) return rc;
    rc = feed(r, data, n, e);
    mem_free(data, n + 1);
    return rc;
}

static int feed_stream(runner *r, kp_error *e)
{
    uint8_t *data;
    size_t n;
    int rc = file_read_all("-", INGEST_STREAM_MAX, &data, &n, e);
    if (rc == KP_E_LIMIT)
        return err_set(e, KP_E_INGEST_STREAM, "standard input brings more than %u bytes",
                       INGEST_STREAM_MAX);
    if (rc) return rc;
    const uint8_t *p = data, *end = data + n;
    size_t k = 0;
    char label[64];
    while (rc == KP_OK && p < end) {
        size_t item = kp_cbor_item_len(p, (size_t)(end - p));
        const uint8_t *next = item ? p + item : end; /* else the rest is one (bad) input */
        snprintf(label, sizeof label, "stdin #%zu", ++k);
        r->x->file = label;
        /* An item that is not a capsule may not end where its bytes say
           (a truncated capsule's length runs into the next one), so where
           the next capsule begins is unknown: it is ingested (and logged as
           rejected) and the stream stops there, with a code, rather than
           guess and silently swallow or split what follows. */
        int lost = 0;
        if (next < end) {
            kp_capsule *c = NULL;
            kp_error pe;
            lost = kp_capsule_parse(p, (size_t)(next - p), NULL, &c, &pe) != KP_OK;
            kp_capsule_free(c);
        }
        rc = feed(r, p, (size_t)(next - p), e);
        if (rc == KP_OK && lost)
            rc = err_set(e, KP_E_INGEST_STREAM,
                         "%s (bytes %zu..%zu) is not a capsule, so where the next one begins "
                         "is unknown: the %zu bytes after it were not read",
                         label, (size_t)(p - data), (size_t)(next - data), (size_t)(end - next));
        p = next;
    }
    r->x->file = NULL;
    mem_free(data, n + 1);
    return rc;
}


static int parse_count(const char *s, size_t *out)
{
    char *end;
    if (!s || !*s || *s == '-') return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v == 0 || v > 1000000) return 0;
    *out = (size_t)v;
    return 1;
}

int cli_pipeline_opt(const char *verb, int argc, char **argv, int *i, cli_pipeline *p,
                     int *status)
{
    const char *val = NULL;
    const char *name = argv[*i];
    *status = 0;
    if (cli_opt("--store", argc, argv, i, &val)) {
        p->store = val;
    } else if (cli_opt("--policy", argc, argv, i, &val)) {
        p->policy = val;
    } else if (cli_opt("--trust-module", argc, argv, i, &val)) {
        kp_error te;
        if (val && kp_id_parse(val, p->trust, &te))
            *status = cli_usage(verb, "--trust-module needs a module id (64 hex digits)");
        p->has_trust = 1;
    } else if (cli_opt("--batch", argc, argv, i, &val)) {
        if (val && !parse_count(val, &p->batch))
            *status = cli_usage(verb, "--batch needs a count from 1 to 1000000");
    } else if (strcmp(name, "--force") == 0) {
        p->force = 1;
        return 1;
    } else {
        return 0;
    }
    if (!val) *status = cli_usage(verb, "%.*s needs a value", (int)strcspn(name, "="), name);
    return 1;
}

int cli_pipeline_open(const cli_pipeline *p, kp_store **st, kp_ingest **in, kp_error *e)
{
    *st = NULL;
    *in = NULL;
    int rc = kp_store_open(cli_store_dir(p->store),
                           KP_STORE_CREATE | (p->force ? KP_STORE_FORCE : 0), st, e);
    if (rc) return rc;
    kp_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.policy_path = p->policy;
    o.trust_module = p->has_trust ? p->trust : NULL;
    return kp_ingest_new(*st, &o, in, e);
}

int cli_ingest(int argc, char **argv)
{
    cli_pipeline pl;
    memset(&pl, 0, sizeof pl);
    pl.batch = INGEST_BATCH_DEFAULT;
    int json = 0, npos = 0, stdin_used = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return cli_failf(KP_E_NOMEM, "out of memory");
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            help();
            goto out;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (cli_pipeline_opt("ingest", argc, argv, &i, &pl, &status)) {
            if (status) goto out;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            status = cli_usage("ingest", "unknown option '%s'", argv[i]);
            goto out;
        } else {
            if (strcmp(argv[i], "-") == 0 && stdin_used++) {
                status = cli_usage("ingest", "standard input can be read once");
                goto out;
            }
            pos[npos++] = argv[i];
        }
    }
    if (npos == 0) {
        status = cli_usage("ingest", "what to ingest: FILE..., DIR or -");
        goto out;
    }

    kp_error e;
    kp_error_clear(&e);
    kp_store *st = NULL;
    kp_ingest *in = NULL;
    ctx x;
    memset(&x, 0, sizeof x);
    x.json = json;
    x.progress = !json && isatty(2);
    int rc = cli_pipeline_open(&pl, &st, &in, &e);
    runner r = {in, pl.batch, 0, &x, NULL};
    /* count the inputs first, for progress */
    for (int i = 0; rc == KP_OK && i < npos; i++) {
        struct stat sb;
        if (strcmp(pos[i], "-") != 0 && stat(pos[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            char **paths = NULL;
            size_t n = 0;
            rc = cli_list_dir(pos[i], &paths, &n, &e);
            x.total += n;
            for (size_t k = 0; rc == KP_OK && k < n; k++) rc = feed_file(&r, paths[k], &e);
            for (size_t k = 0; k < n; k++) free(paths[k]);
            free(paths);
        } else if (strcmp(pos[i], "-") == 0) {
            rc = feed_stream(&r, &e);
        } else {
            x.total++;
            rc = feed_file(&r, pos[i], &e);
        }
    }
    if (rc == KP_OK) {
        rc = flush(&r, &e);
    } else if (r.in_batch) {
        /* the failing capsule's unit is undone already; keep the batch's
           earlier capsules (and print them) rather than roll them back */
        kp_error ce;
        kp_error_clear(&ce);
        if (flush(&r, &ce)) cli_fail(&ce);
    }
    inputs_clear(&r);
    free(r.inputs);
    if (x.progress) fputs("\r\033[K", stderr);
    if (rc) {
        status = cli_fail(&e);
    } else {
        if (!json)
            fprintf(stderr, "%llu accepted, %llu rejected, %llu pending, %llu duplicate\n",
                    (unsigned long long)x.accepted, (unsigned long long)x.rejected,
                    (unsigned long long)x.pending, (unsigned long long)x.duplicate);
        status = x.rejected ? 1 : 0;
    }
    kp_ingest_free(in);
    kp_store_close(st);
    goto out;
out:
    free(pos);
    return status;
}
