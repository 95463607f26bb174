/*
 * keystore.c: identities on disk, in <store>/keys (mode 0700): NAME.key,
 * the secret (mode 0600), and NAME.pub, its public half (0644); formats in
 * keyfile.c. A secret file appears whole or not at all: it is written to a
 * temporary file, synced, then hard-linked to its name, which also refuses
 * to replace an existing key. Loading refuses a secret file that group or
 * others may read or write, as ssh does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/key.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

int kp_key_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > KP_KEY_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        /* the first character is alphanumeric: no ".", "..", hidden files or
           option-like names; "/" never appears */
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return 0;
    }
    return 1;
}

static int check_name(const char *name, kp_error *err)
{
    if (kp_key_name_valid(name)) return KP_OK;
    return err_set(err, KP_E_KEY_NAME,
                   "invalid key name '%.80s' (1..%d of A-Z a-z 0-9 . _ -, starting with a "
                   "letter or digit)",
                   name ? name : "", KP_KEY_NAME_MAX);
}

/* <store>/keys[/<name><ext>] */
static int key_path(char *out, size_t size, const char *store, const char *name, const char *ext,
                    kp_error *err)
{
    int n = name ? snprintf(out, size, "%s/keys/%s%s", store, name, ext)
                 : snprintf(out, size, "%s/keys", store);
    if (n < 0 || (size_t)n >= size) return err_set(err, KP_E_ARG, "store path too long: %s", store);
    return KP_OK;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* Writes data to a fresh temporary file beside path and links it to path:
   KP_E_EXISTS if path exists; nothing is left behind on failure. */
static int write_new(const char *dir, const char *path, const char *name, const void *data,
                     size_t len, mode_t mode, kp_error *err)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) return err_set(err, KP_E_ARG, "path too long: %s", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return err_errno(err, errno, "cannot create", tmp);
    int rc = KP_OK;
    const uint8_t *p = data;
    size_t left = len;
    while (left && rc == KP_OK) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) rc = err_errno(err, errno, "cannot write", tmp);
        else {
            p += w;
            left -= (size_t)w;
        }
    }
    if (rc == KP_OK && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
        rc = err_errno(err, errno, "cannot sync", tmp);
    if (close(fd) != 0 && rc == KP_OK) rc = err_errno(err, errno, "cannot close", tmp);
    if (rc == KP_OK && link(tmp, path) != 0) {
        if (errno == EEXIST)
            rc = err_set(err, KP_E_EXISTS, "key '%s' already exists", name);
        else
            rc = err_errno(err, errno, "cannot link", path);
    }
    unlink(tmp);
    return rc;
}

static int make_dirs(const char *store, char *dir, size_t size, kp_error *err)
{
    int rc = file_mkdir(store, 0700, err);
    if (rc) return rc;
    if ((rc = key_path(dir, size, store, NULL, "", err))) return rc;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return err_errno(err, errno, "cannot create folder", dir);
    struct stat st;
    if (lstat(dir, &st) != 0) return err_errno(err, errno, "cannot open folder", dir);
    if (!S_ISDIR(st.st_mode)) return err_set(err, KP_E_IO, "%s is not a folder", dir);
    return KP_OK;
}

int kp_key_save(const char *store, const char *name, kp_key *key, kp_error *err)
{
    char dir[PATH_MAX], kpath[PATH_MAX], ppath[PATH_MAX];
    char *sec = NULL, *pub = NULL;
    size_t slen = 0, plen = 0;
    int rc;
    if ((rc = check_name(name, err))) return rc;
    if (!store || !*store) return err_set(err, KP_E_ARG, "no store folder");
    if ((rc = make_dirs(store, dir, sizeof dir, err)) ||
        (rc = key_path(kpath, sizeof kpath, store, name, ".key", err)) ||
        (rc = key_path(ppath, sizeof ppath, store, name, ".pub", err)))
        return rc;
    if ((rc = cry_keyfile_write(key, 1, &sec, &slen, err)) ||
        (rc = cry_keyfile_write(key, 0, &pub, &plen, err)))
        goto fail;
    if ((rc = write_new(dir, kpath, name, sec, slen, 0600, err))) goto fail;
    if ((rc = file_write_atomic(ppath, pub, plen, 0644, err))) {
        unlink(kpath); /* all or nothing */
        goto fail;
    }
    if (sync_dir(dir) != 0) {
        rc = err_errno(err, errno, "cannot sync", dir);
        goto fail;
    }
    cry_key_set_name(key, name);
fail:
    kp_key_text_free(sec, slen);
    kp_key_text_free(pub, plen);
    return rc;
}

int kp_key_new(const char *store, const char *name, kp_key_alg alg, kp_key **out, kp_error *err)
{
    kp_key *k = NULL;
    int rc = check_name(name, err);
    if (rc == KP_OK) rc = kp_key_generate(alg, &k, err);
    if (rc == KP_OK) rc = kp_key_save(store, name, k, err);
    if (rc) {
        kp_key_free(k);
        return rc;
    }
    *out = k;
    return KP_OK;
}

int kp_key_import(const char *store, const char *name, const uint8_t *data, size_t len,
                  kp_key **out, kp_error *err)
{
    kp_key *k = NULL;
    int rc = check_name(name, err);
    if (rc == KP_OK) rc = kp_key_parse_secret(data, len, &k, err);
    if (rc == KP_OK) rc = kp_key_save(store, name, k, err);
    if (rc) {
        kp_key_free(k);
        return rc;
    }
    *out = k;
    return KP_OK;
}

int kp_key_load(const char *store, const char *name, kp_key **out, kp_error *err)
{
    char path[PATH_MAX];
    struct stat st;
    int rc;
    if ((rc = check_name(name, err))) return rc;
    if (!store || !*store) return err_set(err, KP_E_ARG, "no store folder");
    if ((rc = key_path(path, sizeof path, store, name, ".key", err))) return rc;
    /* a name with no file is the caller's to fix, not the environment's */
    if (lstat(path, &st) != 0 && errno == ENOENT)
        return err_set(err, KP_E_NOT_FOUND, "no key '%s' in %s", name, store);
    kp_key *k = NULL;
    if ((rc = cry_keyfile_load(path, &k, err))) return rc;
    cry_key_set_name(k, name);
    *out = k;
    return KP_OK;
}

int cry_keyfile_load(const char *path, kp_key **out, kp_error *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct stat st;
    int rc;
    if (lstat(path, &st) != 0) return err_errno(err, errno, "cannot open", path);
    /* a link, folder or FIFO is no key file (and a FIFO would hang the read) */
    if (!S_ISREG(st.st_mode)) return err_set(err, KP_E_KEY_FILE, "%s is not a regular file", path);
    if (st.st_mode & 077)
        return err_set(err, KP_E_KEY_PERMISSIONS,
                       "%s is accessible to other users (mode %03o); run: chmod 600 %s", path,
                       (unsigned)(st.st_mode & 0777), path);
    if ((rc = file_read_all(path, CRY_KEYFILE_MAX, &data, &len, err))) {
        if (rc == KP_E_LIMIT)
            return err_set(err, KP_E_KEY_FILE, "%s is larger than a key file can be", path);
        return rc;
    }
    kp_key *k = NULL;
    rc = cry_keyfile_parse(data, len, &k, err);
    cry_wipe(data, len);
    mem_free(data, len + 1);
    if (rc) {
        err_prefix(err, "%s", path);
        return rc;
    }
    *out = k;
    return KP_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void kp_key_list_free(char **names, size_t count)
{
    if (!names) return;
    for (size_t i = 0; i < count; i++) mem_free(names[i], strlen(names[i]) + 1);
    mem_free(names, count * sizeof *names);
}

int kp_key_list(const char *store, char ***names, size_t *count, kp_error *err)
{
    char dir[PATH_MAX];
    char **v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    if (!store || !*store) return err_set(err, KP_E_ARG, "no store folder");
    if ((rc = key_path(dir, sizeof dir, store, NULL, "", err))) return rc;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT) return err_errno(err, errno, "cannot open folder", dir);
        *names = NULL;
        *count = 0;
        return KP_OK;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || strcmp(e->d_name + len - 4, ".key") != 0) continue;
        char name[KP_KEY_NAME_MAX + 1];
        if (len - 4 > KP_KEY_NAME_MAX) continue;
        memcpy(name, e->d_name, len - 4);
        name[len - 4] = 0;
        if (!kp_key_name_valid(name)) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nv = mem_realloc(v, cap * sizeof *v, nc * sizeof *v);
            if (!nv) goto nomem;
            v = nv;
            cap = nc;
        }
        if (!(v[n] = mem_strndup(name, len - 4))) goto nomem;
        n++;
    }
    closedir(d);
    if (n == 0) {
        mem_free(v, cap * sizeof *v);
        v = NULL;
    } else {
        qsort(v, n, sizeof *v, cmp_names);
        if (cap != n) {
            char **nv = mem_realloc(v, cap * sizeof *v, n * sizeof *v);
            if (!nv) {
                d = NULL;
                goto nomem;
            }
            v = nv;
        }
    }
    *names = v;
    *count = n;
    return KP_OK;
nomem:
    if (d) closedir(d);
    for (size_t i = 0; i < n; i++) mem_free(v[i], strlen(v[i]) + 1);
    mem_free(v, cap * sizeof *v);
    return err_set(err, KP_E_NOMEM, "out of memory listing keys");
}
