/*
 * wasm_runall.c: runs every exported function of every module file under a
 * folder (the core spec suite) with fixed inputs and a fuel budget, and
 * prints one line per outcome: decode/validate status, link status, and for
 * each call its results (bits), trap code and fuel used. Two builds of the
 * engine (gcc -O2 and clang -O0 in tests/cli/determinism.sh) must print the
 * same bytes: that is the determinism check of DESIGN.md.
 *
 *   wasm_runall DIR      (recurses one level: DIR/<script>/<file>.wasm)
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kapsule_wasm.h"

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending in suffix (or folders when suffix is NULL). */
static char **list(const char *dir, const char *suffix, size_t *n)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) return NULL;
    char **v = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t l = strlen(e->d_name);
        if (suffix) {
            size_t sl = strlen(suffix);
            if (l < sl || strcmp(e->d_name + l - sl, suffix) != 0) continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, cap * sizeof *v);
        }
        v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, *n, sizeof *v, cmpstr);
    return v;
}

static int resolve(void *user, const kw_module *m, uint32_t i, const kw_extern_desc *d,
                   kw_extern *out)
{
    (void)m;
    (void)i;
    if (d->module_len != 8 || memcmp(d->module, "spectest", 8) != 0) return KW_E_UNKNOWN_IMPORT;
    return kw_spectest_lookup(user, d->name, d->name_len, out);
}

/* Argument k of input set `set`: fixed patterns that reach interesting
   values (zero, small, negative, float specials). */
static uint64_t input(int set, uint32_t k, uint8_t type)
{
    static const uint64_t i32s[] = {0, 1, 0xffffffffu, 0x80000000u, 7, 65535};
    static const uint64_t i64s[] = {0, 1, ~0ull, 0x8000000000000000ull, 100, 0x123456789ull};
    static const uint64_t f32s[] = {0, 0x3f800000u, 0x7fc00000u, 0xff800000u, 0x80000000u, 0x40490fdbu};
    static const uint64_t f64s[] = {0, 0x3ff0000000000000ull, 0x7ff8000000000000ull,
                                    0xfff0000000000000ull, 0x8000000000000000ull,
                                    0x400921fb54442d18ull};
    size_t i = ((size_t)set * 3 + k) % 6;
    switch (type) {
    case KW_I32: return i32s[i];
    case KW_I64: return i64s[i];
    case KW_F32: return f32s[i];
    case KW_F64: return f64s[i];
    default: return 0; /* null references */
    }
}

static void run_file(const char *path, const char *label)
{
    FILE *f = fopen(path, "rb");
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc(n > 0 ? (size_t)n : 1);
    size_t got = fread(bytes, 1, (size_t)n, f);
    fclose(f);
    kw_module *m = NULL;
    kw_error err;
    int rc = kw_module_new(NULL, bytes, got, &m, &err);
    free(bytes);
    if (rc) {
        printf("%s module %d @%" PRIu64 "\n", label, rc, err.offset);
        return;
    }
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_call_depth = 1000;
    cfg.max_memory_pages = 256;
    kw_store *s = kw_store_new(&cfg);
    kw_spectest *st = kw_spectest_new(s, 0);
    kw_instance *inst;
    kw_store_set_fuel(s, 1000000);
    rc = kw_instantiate(s, m, resolve, st, &inst, &err);
    printf("%s instantiate %d fuel %" PRIu64 "\n", label, rc, kw_store_fuel_used(s));
    if (rc == KW_OK) {
        uint32_t ne = kw_module_export_count(m);
        for (uint32_t e = 0; e < ne; e++) {
            kw_extern_desc d;
            kw_module_export(m, e, &d);
            if (d.kind != KW_EXTERN_FUNC) continue;
            kw_extern ex;
            if (kw_instance_export(inst, d.name, d.name_len, &ex)) continue;
            for (int set = 0; set < 2; set++) {
                kw_val args[64], res[64];
                if (d.nparams > 64 || d.nresults > 64) continue;
                for (uint32_t k = 0; k < d.nparams; k++) args[k].raw = input(set, k, d.params[k]);
                kw_store_set_fuel(s, 1000000);
                rc = kw_call(s, ex.u.func, args, d.nparams, res, d.nresults, &err);
                printf("%s %u:%d rc %d fuel %" PRIu64, label, e, set, rc, kw_store_fuel_used(s));
                if (rc == KW_OK)
                    for (uint32_t k = 0; k < d.nresults; k++) {
                        uint8_t t = d.results[k];
                        if (t == KW_FUNCREF || t == KW_EXTERNREF)
                            printf(" %s", res[k].ref ? "ref" : "null");
                        else
                            printf(" %016" PRIx64, res[k].raw);
                    }
                printf("\n");
            }
        }
        kw_memory *mem = kw_instance_memory(inst);
        if (mem) {
            /* a digest of the final memory: FNV-1a over its bytes */
            uint64_t h = 1469598103934665603ull;
            const uint8_t *p = kw_memory_data(mem);
            for (uint64_t i = 0; i < kw_memory_size(mem); i++) h = (h ^ p[i]) * 1099511628211ull;
            printf("%s memory %" PRIu64 " %016" PRIx64 "\n", label, kw_memory_size(mem), h);
        }
    }
    kw_store_free(s);
    kw_module_free(m);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: wasm_runall DIR\n");
        return 2;
    }
    size_t nd;
    char **dirs = list(argv[1], NULL, &nd);
    for (size_t i = 0; i < nd; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", argv[1], dirs[i]);
        size_t nf;
        char **files = list(sub, ".wasm", &nf);
        for (size_t j = 0; j < nf; j++) {
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", sub, files[j]);
            run_file(path, files[j]);
            free(files[j]);
        }
        free(files);
        free(dirs[i]);
    }
    free(dirs);
    return 0;
}
