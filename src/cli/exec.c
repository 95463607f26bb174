/*
 * exec.c: kapsule exec [options] FILE.wasm FUNC [TYPE:VALUE ...]
 *
 * Runs one exported function of a module whose imports all come from the
 * test suite's "spectest" module (or that has none), with the engine
 * alone: no capsule, no store, no capabilities. Results print one per line
 * as TYPE:VALUE, integers as unsigned decimal and floats as their bit
 * pattern, so that output compares exactly across machines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "kapsule_wasm.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

static void help(void)
{
    printf("usage: kapsule exec FILE.wasm FUNC [[TYPE:]VALUE ...] [options]\n\n"
           "Runs the exported function FUNC of a WebAssembly module whose imports are\n"
           "all provided by the test suite's \"spectest\" module, or that has none.\n\n"
           "Arguments: i32:N and i64:N (decimal, signed or unsigned), f32:X and f64:X\n"
           "(a decimal number, or 0x followed by the raw bit pattern); the TYPE: may be\n"
           "left out, the function's signature says it. Options go anywhere; -- ends\n"
           "them (a negative number is an argument, never an option).\n"
           "Each result prints as TYPE:VALUE: integers in unsigned decimal, floats as\n"
           "their 0x bit pattern, references as null or non-null.\n\n"
           "options:\n"
           "  --fuel N        stop with E_TRAP_OUT_OF_FUEL after N units of fuel\n"
           "  --stats         print fuel used and peak memory to stderr\n"
           "  --no-metering   compile without fuel accounting (--fuel has no effect)\n"
           "  --max-pages N   limit each linear memory to N pages of 64 KiB\n"
           "  --verbose       let spectest's print functions print\n\n"
           "exit status: 0 ran, 1 trap or bad module, 2 usage, 3 environment\n");
}

/* Parses "TYPE:VALUE" for a parameter of type want. */
/* Parses "TYPE:VALUE", or a plain VALUE read as the parameter's type, for
   a parameter of type want. */
static int parse_arg(const char *arg, uint8_t want, kw_val *out)
{
    const char *colon = strchr(arg, ':'), *v = arg;
    if (colon) {
        size_t tl = (size_t)(colon - arg);
        const char *tn = kw_valtype_name(want);
        if (strlen(tn) != tl || memcmp(arg, tn, tl) != 0) return 0;
        v = colon + 1;
    }
    char *end;
    errno = 0;
    out->raw = 0;
    if (want == KW_I32 || want == KW_I64) {
        int neg = v[0] == '-';
        if (!*v || (!neg && (v[0] < '0' || v[0] > '9'))) return 0;
        if (neg) {
            long long x = strtoll(v, &end, 10);
            if (errno || *end) return 0;
            if (want == KW_I32 && x < INT32_MIN) return 0;
            out->i64 = (uint64_t)x;
            if (want == KW_I32) out->raw = (uint32_t)x;
        } else {
            unsigned long long x = strtoull(v, &end, 10);
            if (errno || *end) return 0;
            if (want == KW_I32 && x > UINT32_MAX) return 0;
            out->raw = x;
        }
        return 1;
    }
    if (want == KW_F32 || want == KW_F64) {
        if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
            if (!v[2]) return 0;
            unsigned long long x = strtoull(v + 2, &end, 16);
            if (errno || *end) return 0;
            if (want == KW_F32 && x > UINT32_MAX) return 0;
            out->raw = x;
            return 1;
        }
        if (!*v) return 0;
        if (want == KW_F32) {
            float f = strtof(v, &end);
            if (*end) return 0;
            memcpy(&out->f32, &f, 4);
        } else {
            double d = strtod(v, &end);
            if (*end) return 0;
            memcpy(&out->f64, &d, 8);
        }
        return 1;
    }
    return 0;
}

/* spectest is made on the first import from it, so that a module with no
   imports runs in a store holding only its own objects (--stats). */
typedef struct link_ctx {
    kw_store *store;
    int verbose;
    kw_spectest *spectest;
} link_ctx;

static int resolve(void *user, const kw_module *m, uint32_t i, const kw_extern_desc *d,
                   kw_extern *out)
{
    (void)m;
    (void)i;
    link_ctx *lc = user;
    if (d->module_len != 8 || memcmp(d->module, "spectest", 8) != 0) return KW_E_UNKNOWN_IMPORT;
    if (!lc->spectest) lc->spectest = kw_spectest_new(lc->store, lc->verbose);
    if (!lc->spectest) return KW_E_NOMEM;
    return kw_spectest_lookup(lc->spectest, d->name, d->name_len, out);
}

static int fail_kw(const kw_error *ke)
{
    kp_error e;
    kp_error_clear(&e);
    err_from_kw(&e, ke);
    return cli_fail(&e);
}

int cli_exec(int argc, char **argv)
{
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int stats = 0, verbose = 0, have_fuel = 0, npos = 0, rest = 0;
    unsigned long long fuel = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return cli_failf(KP_E_NOMEM, "out of memory");
    /* Options anywhere on the line, as every verb takes them; "--" ends
       them. Only "--name" words are options, so a negative plain number
       ("-5") is an argument. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        int status = -1;
        if (rest || a[0] != '-' || (a[1] != '-' && strcmp(a, "-h") != 0) || !a[1]) {
            pos[npos++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            rest = 1;
        } else if (cli_is_help(a)) {
            help();
            status = 0;
        } else if (strcmp(a, "--stats") == 0) {
            stats = 1;
        } else if (strcmp(a, "--no-metering") == 0) {
            cfg.no_metering = 1;
        } else if (strcmp(a, "--verbose") == 0) {
            verbose = 1;
        } else if (cli_opt("--fuel", argc, argv, &i, &val)) {
            uint64_t f = 0;
            if (!val || !cli_parse_u64(val, &f)) status = cli_usage("exec", "--fuel needs a count");
            fuel = f;
            have_fuel = 1;
        } else if (cli_opt("--max-pages", argc, argv, &i, &val)) {
            uint64_t n;
            if (!val || !cli_parse_u64(val, &n) || n == 0 || n > 65536)
                status = cli_usage("exec", "--max-pages needs a count from 1 to 65536");
            else
                cfg.max_memory_pages = (uint32_t)n;
        } else {
            status = cli_usage("exec", "unknown option '%s'", a);
        }
        if (status >= 0) {
            free(pos);
            return status;
        }
    }
    if (npos < 2) {
        free(pos);
        return cli_usage("exec", "needs FILE.wasm and FUNC");
    }
    const char *path = pos[0], *fname = pos[1];
    char **args = pos + 2;
    int nargs = npos - 2;

    kp_error e;
    kp_error_clear(&e);
    uint8_t *bytes = NULL;
    size_t len = 0;
    kw_error ke;
    kw_module *m = NULL;
    kw_store *s = NULL;
    int status = 0;
    kw_val *vals = NULL, *res = NULL;
    int rc = file_read_all(path, 64u << 20, &bytes, &len, &e);
    if (rc) {
        status = cli_fail(&e);
        goto done;
    }
    rc = kw_module_new(&cfg, bytes, len, &m, &ke);
    mem_free(bytes, len + 1);
    if (rc) {
        status = fail_kw(&ke);
        goto done;
    }
    s = kw_store_new(&cfg);
    if (!s) {
        status = cli_failf(KP_E_NOMEM, "out of memory");
        goto done;
    }
    link_ctx lc = {s, verbose, NULL};
    kw_instance *inst;
    if (have_fuel) kw_store_set_fuel(s, fuel);
    rc = kw_instantiate(s, m, resolve, &lc, &inst, &ke);
    if (rc) {
        status = fail_kw(&ke);
        goto done;
    }
    kw_extern ex;
    if (kw_instance_export(inst, fname, strlen(fname), &ex) != KW_OK || ex.kind != KW_EXTERN_FUNC) {
        status = cli_failf(KP_E_NOT_FOUND, "%s exports no function called '%s'", path, fname);
        goto done;
    }
    const uint8_t *pt, *rt;
    uint32_t np, nr;
    kw_func_type(ex.u.func, &pt, &np, &rt, &nr);
    if ((uint32_t)nargs != np) {
        char sig[256] = "";
        for (uint32_t i = 0; i < np; i++) {
            strncat(sig, i ? " " : "", sizeof sig - strlen(sig) - 1);
            strncat(sig, kw_valtype_name(pt[i]), sizeof sig - strlen(sig) - 1);
        }
        status = cli_usage("exec", "%s takes %u arguments (%s), %d given", fname, np, sig, nargs);
        goto done;
    }
    vals = calloc(np + 1, sizeof *vals);
    res = calloc(nr + 1, sizeof *res);
    if (!vals || !res) {
        status = cli_failf(KP_E_NOMEM, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < np; i++) {
        if (!parse_arg(args[i], pt[i], &vals[i])) {
            status = cli_usage("exec", "argument %u '%s' is not a %s (write VALUE or %s:VALUE)",
                               i + 1, args[i], kw_valtype_name(pt[i]), kw_valtype_name(pt[i]));
            goto done;
        }
    }
    if (have_fuel) kw_store_set_fuel(s, fuel); /* the start function may have used some */
    rc = kw_call(s, ex.u.func, vals, np, res, nr, &ke);
    if (stats)
        fprintf(stderr, "fuel used: %" PRIu64 "\npeak memory: %" PRIu64 " bytes\n",
                kw_store_fuel_used(s), kw_store_peak_memory(s));
    if (rc) {
        status = fail_kw(&ke);
        goto done;
    }
    for (uint32_t i = 0; i < nr; i++) {
        switch (rt[i]) {
        case KW_I32: printf("i32:%" PRIu32 "\n", res[i].i32); break;
        case KW_I64: printf("i64:%" PRIu64 "\n", res[i].i64); break;
        case KW_F32: printf("f32:0x%08" PRIx32 "\n", res[i].f32); break;
        case KW_F64: printf("f64:0x%016" PRIx64 "\n", res[i].f64); break;
        default: printf("%s:%s\n", kw_valtype_name(rt[i]), res[i].ref ? "non-null" : "null"); break;
        }
    }
done:
    free(vals);
    free(res);
    kw_store_free(s);
    kw_module_free(m);
    free(pos);
    return status;
}
