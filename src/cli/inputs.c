/*
 * inputs.c: how the verbs that take capsules (ingest, verify) find them: a
 * folder means its *.kapsule files in name order; standard input is a
 * stream of capsule files one after the other, split where each CBOR item
 * ends (kp_cbor_item_len).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/error.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_list_dir(const char *dir, char ***paths, size_t *count, kp_error *e)
{
    DIR *d = opendir(dir);
    if (!d) return err_errno(e, errno, "opening folder", dir);
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = KP_OK;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l <= 8 || strcmp(de->d_name + l - 8, ".kapsule") != 0) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = err_set(e, KP_E_NOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        size_t pl = strlen(dir) + l + 2;
        if (!(v[n] = malloc(pl))) {
            rc = err_set(e, KP_E_NOMEM, "out of memory");
            break;
        }
        snprintf(v[n++], pl, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (n) qsort(v, n, sizeof *v, by_name);
    *paths = v;
    *count = n;
    return rc;
}
