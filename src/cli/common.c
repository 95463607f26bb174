/* common.c: error printing and option helpers shared by every verb. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

int cli_fail(const kp_error *e)
{
    const char *name = kp_status_name(e->code);
    if (e->offset >= 0)
        fprintf(stderr, "kapsule: %s: %s (at byte %lld)\n", name ? name : "E_UNKNOWN", e->msg,
                (long long)e->offset);
    else
        fprintf(stderr, "kapsule: %s: %s\n", name ? name : "E_UNKNOWN", e->msg);
    return kp_status_exit(e->code);
}

int cli_failf(int code, const char *fmt, ...)
{
    kp_error e;
    kp_error_clear(&e);
    e.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    return cli_fail(&e);
}

int cli_usage(const char *verb, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "kapsule %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'kapsule %s --help')\n", verb);
    return 2;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

const char *cli_store_dir(const char *opt)
{
    static char path[4096];
    if (opt && *opt) return opt;
    const char *env = getenv("KAPSULE_HOME");
    if (env && *env) return env;
    const char *home = getenv("HOME");
    snprintf(path, sizeof path, "%s/.kapsule", home && *home ? home : ".");
    return path;
}

int cli_opt(const char *name, int argc, char **argv, int *i, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0 || (a[n] != 0 && a[n] != '=')) return 0;
    if (a[n] == '=')
        *val = a + n + 1;
    else
        *val = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

static int stdout_errno;

int cli_flush(void)
{
    errno = 0;
    if (fflush(stdout) == 0) return 0;
    if (!stdout_errno) stdout_errno = errno ? errno : EIO;
    return -1;
}

int cli_stdout_errno(void)
{
    return stdout_errno;
}

int cli_write_output(const char *path, const void *data, size_t len, unsigned mode,
                     kp_error *e)
{
    if (strcmp(path, "-") != 0) return file_write_output(path, data, len, (mode_t)mode, e);
    errno = 0;
    if ((len && fwrite(data, 1, len, stdout) != len) || cli_flush() != 0)
        return err_errno(e, errno ? errno : EIO, "cannot write", "standard output");
    return KP_OK;
}

int cli_capsule_load(const char *path, kp_capsule **c, kp_error *e)
{
    uint8_t *data;
    size_t n;
    int rc = file_read_all(path, KP_CAPSULE_MAX_BYTES, &data, &n, e);
    if (rc == KP_E_LIMIT)
        rc = err_set(e, KP_E_CAPSULE_LIMIT, "%s is larger than a capsule may be (%u bytes)", path,
                     KP_CAPSULE_MAX_BYTES);
    if (rc) return rc;
    rc = kp_capsule_parse(data, n, NULL, c, e);
    mem_free(data, n + 1);
    return rc;
}

int cli_read_input(const char *path, size_t max, uint8_t **data, size_t *len, kp_error *e)
{
    return file_read_all(path, max, data, len, e);
}

void cli_input_free(uint8_t *data, size_t len)
{
    if (data) mem_free(data, len + 1);
}

int cli_key_public(const char *store, const char *arg, kp_key_alg *alg, uint8_t *pk, size_t *len,
                   kp_error *e)
{
    if (strchr(arg, ':')) return kp_key_id_parse(arg, alg, pk, len, e);
    kp_key *k = NULL;
    if (kp_key_name_valid(arg) && kp_key_load(store, arg, &k, e) == KP_OK) {
        const uint8_t *p = kp_key_public(k, len);
        *alg = kp_key_get_alg(k);
        int ok = p != NULL;
        if (ok) memcpy(pk, p, *len);
        kp_key_free(k);
        if (!ok) return err_set(e, KP_E_KEY_NO_SIGN, "key '%s' is receive-only", arg);
        return KP_OK;
    }
    return cli_parse_key_arg(arg, alg, pk, len, e);
}

int cli_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s) return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}
