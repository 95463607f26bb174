/* wasm_dump.c: prints the internal code of a module's functions:
   wasm_dump FILE.wasm [FUNC_INDEX] [--no-metering] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/compile.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wasm_dump FILE.wasm [DEFINED_FUNC] [--no-metering]\n");
        return 2;
    }
    kw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    long only = -1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--no-metering") == 0) cfg.no_metering = 1;
        else only = strtol(argv[i], NULL, 10);
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 3;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) return 3;
    fclose(f);
    kw_module *m;
    kw_error err;
    if (kw_module_new(&cfg, b, (size_t)n, &m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    for (uint32_t d = 0; d < m->nfuncs - m->nfunc_imports; d++)
        if (only < 0 || only == (long)d) cmp_dump(m, d, stdout);
    kw_module_free(m);
    free(b);
    return 0;
}
