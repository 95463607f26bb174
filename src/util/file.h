/*
 * file.h: whole-file reads and crash-safe writes, with errno mapped to the
 * status table (missing file, disk full, permission).
 */
#ifndef KP_UTIL_FILE_H
#define KP_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kapsule.h"

/*
 * Reads all of path ("-" is standard input) into a new buffer of *len bytes
 * plus a NUL that is not counted. Fails with KP_E_LIMIT beyond max bytes.
 * The caller frees *out with mem_free(*out, *len + 1).
 */
int file_read_all(const char *path, size_t max, uint8_t **out, size_t *len, kp_error *err);
/*
 * Writes data to path through a temporary file in the same folder, fsync
 * and rename, so that path holds either the old or the new bytes, never a
 * mix. mode is the new file's permission bits (e.g. 0600 for secrets).
 * Whatever path was (a symbolic link, a FIFO, a device) is replaced by a
 * regular file: for a path a user named, use file_write_output.
 */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      kp_error *err);
/*
 * Writes data to a path a user named (every -o of the command line), by
 * what is there:
 *   nothing, or a regular file: file_write_atomic (mode as there);
 *   a symbolic link: followed, and the rule applied to its target, so a
 *     link to a regular file keeps being a link and its target is
 *     replaced atomically in the target's own folder; a link to nothing
 *     is refused (E_NO_FILE) rather than guessed at;
 *   a folder: refused (E_IO, "is a folder");
 *   anything else (FIFO, character or block device): opened for writing
 *     as it is, never created, truncated or replaced, so "-o /dev/full"
 *     fails with E_DISK_FULL and leaves the device alone. mode is unused.
 * Write, sync and close errors map as err_errno does.
 */
int file_write_output(const char *path, const void *data, size_t len, mode_t mode,
                      kp_error *err);
/* Creates dir and its parents with the given mode; existing is fine. Not
   for a folder a user named (file_mkdir). */
int file_mkdirs(const char *dir, mode_t mode, kp_error *err);
/*
 * Creates the folder dir, not its parents, with the given mode; an existing
 * folder is fine. E_NO_FILE when its parent does not exist, so that a
 * mistyped store path is an error instead of a new tree of folders; E_IO
 * when dir is something other than a folder.
 */
int file_mkdir(const char *dir, mode_t mode, kp_error *err);

#endif
