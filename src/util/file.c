/* file.c: whole-file reads and atomic writes (see file.h). */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

int file_read_all(const char *path, size_t max, uint8_t **out, size_t *len, kp_error *err)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_errno(err, errno, "cannot open", path);
    buf b = {0};
    int rc = KP_OK;
    /* Read at most max + 1 bytes: one more than allowed proves the file is
       too large without reading all of it. */
    size_t cap_total = max < SIZE_MAX - 1 ? max + 1 : SIZE_MAX - 1;
    while (b.len < cap_total) {
        size_t want = cap_total - b.len;
        if (want > 65536) want = 65536;
        if ((rc = buf_reserve(&b, want)) != KP_OK) break;
        ssize_t n = read(fd, b.p + b.len, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = err_errno(err, errno, "cannot read", path);
            break;
        }
        if (n == 0) break;
        b.len += (size_t)n;
    }
    if (fd != STDIN_FILENO) close(fd);
    if (rc == KP_OK && b.len > max) rc = err_set(err, KP_E_LIMIT, "%s is larger than %zu bytes", path, max);
    if (rc == KP_OK && buf_putc(&b, 0) != KP_OK) rc = KP_E_NOMEM;
    if (rc == KP_E_NOMEM) err_set(err, rc, "out of memory reading %s", path);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    /* Shrink so that the caller frees exactly len + 1 bytes. */
    size_t n = b.len;
    uint8_t *p = mem_realloc(b.p, b.cap, n);
    if (!p) {
        buf_free(&b);
        return err_set(err, KP_E_NOMEM, "out of memory reading %s", path);
    }
    *out = p;
    *len = n - 1;
    return KP_OK;
}

/* Writes all of data to fd, which names path in messages. */
static int write_all(int fd, const void *data, size_t len, const char *path, kp_error *err)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return err_errno(err, errno, "cannot write", path);
        }
        p += w;
        len -= (size_t)w;
    }
    return KP_OK;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      kp_error *err)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) return err_set(err, KP_E_ARG, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return err_errno(err, errno, "cannot create", tmp);
    int rc = write_all(fd, data, len, tmp, err);
    if (rc) {
        close(fd);
        unlink(tmp);
        return rc;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return err_errno(err, e, "cannot sync", tmp);
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return err_errno(err, e, "cannot close", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return err_errno(err, e, "cannot rename to", path);
    }
    return KP_OK;
}

/* A FIFO or a device, written in place: opening it without O_CREAT or
   O_TRUNC is what keeps it what it is. */
static int write_in_place(const char *path, const void *data, size_t len, kp_error *err)
{
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return err_errno(err, errno, "cannot open", path);
    struct stat st;
    int rc = KP_OK;
    if (fstat(fd, &st) != 0)
        rc = err_errno(err, errno, "cannot reach", path);
    else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
        /* swapped for a file since it was looked at: writing it untruncated
           would leave a mix of old and new bytes */
        rc = err_set(err, KP_E_IO, "%s changed while it was being opened", path);
    if (rc == KP_OK) rc = write_all(fd, data, len, path, err);
    /* a disk's bytes are not written until synced; a FIFO or a terminal
       cannot be synced (EINVAL) and needs not be */
    if (rc == KP_OK && S_ISBLK(st.st_mode) && fsync(fd) != 0)
        rc = err_errno(err, errno, "cannot sync", path);
    if (close(fd) != 0 && rc == KP_OK) rc = err_errno(err, errno, "cannot close", path);
    return rc;
}

int file_write_output(const char *path, const void *data, size_t len, mode_t mode,
                      kp_error *err)
{
    struct stat st;
    char real[PATH_MAX];
    const char *target = path;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) return err_errno(err, errno, "cannot reach", path);
        return file_write_atomic(path, data, len, mode, err);
    }
    if (S_ISLNK(st.st_mode)) {
        if (!realpath(path, real)) {
            if (errno == ENOENT)
                return err_set(err, KP_E_NO_FILE,
                               "%s is a symbolic link to nothing (name the file it should be)",
                               path);
            return err_errno(err, errno, "cannot follow the link", path);
        }
        if (stat(real, &st) != 0) return err_errno(err, errno, "cannot reach", real);
        target = real;
    }
    if (S_ISREG(st.st_mode)) return file_write_atomic(target, data, len, mode, err);
    if (S_ISDIR(st.st_mode))
        return err_set(err, KP_E_IO, "%s is a folder: name a file to write", path);
    return write_in_place(target, data, len, err);
}

int file_mkdirs(const char *dir, mode_t mode, kp_error *err)
{
    char path[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) return err_set(err, KP_E_ARG, "bad folder name");
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        char c = path[i];
        path[i] = 0;
        if (mkdir(path, mode) != 0 && errno != EEXIST) return err_errno(err, errno, "cannot create folder", path);
        path[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0) return err_errno(err, errno, "cannot open folder", dir);
    if (!S_ISDIR(st.st_mode)) return err_set(err, KP_E_IO, "%s is not a folder", dir);
    return KP_OK;
}

int file_mkdir(const char *dir, mode_t mode, kp_error *err)
{
    if (mkdir(dir, mode) != 0 && errno != EEXIST) {
        if (errno == ENOENT)
            return err_set(err, KP_E_NO_FILE,
                           "cannot create folder %s: the folder it would be in does not exist",
                           dir);
        return err_errno(err, errno, "cannot create folder", dir);
    }
    struct stat st;
    if (stat(dir, &st) != 0) return err_errno(err, errno, "cannot open folder", dir);
    if (!S_ISDIR(st.st_mode)) return err_set(err, KP_E_IO, "%s is not a folder", dir);
    return KP_OK;
}
