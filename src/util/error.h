/*
 * error.h: filling a caller's kp_error. Every setter accepts a NULL error
 * (the caller did not want details) and returns the code it was given, so
 * that "return err_set(err, KP_E_IO, ...)" reads as one step.
 */
#ifndef KP_UTIL_ERROR_H
#define KP_UTIL_ERROR_H

#include <stdarg.h>
#include <stdint.h>

#include "kapsule.h"
#include "kapsule_wasm.h"

int err_set(kp_error *e, int code, const char *fmt, ...) KP_PRINTF(3, 4);
/* As err_set, with the byte offset in the input where the fault lies. */
int err_set_at(kp_error *e, int code, int64_t offset, const char *fmt, ...) KP_PRINTF(4, 5);
/* As err_set, naming the field at fault. */
int err_set_field(kp_error *e, int code, const char *field, const char *fmt, ...)
    KP_PRINTF(4, 5);
int err_vset(kp_error *e, int code, int64_t offset, const char *field, const char *fmt,
             va_list ap);
/*
 * From errno after a failed system call on path: ENOENT -> E_NO_FILE,
 * ENOSPC/EDQUOT -> E_DISK_FULL, EACCES/EPERM -> E_PERMISSION, ENOMEM ->
 * E_NOMEM, anything else E_IO. The message names what failed and the path.
 */
int err_errno(kp_error *e, int errnum, const char *what, const char *path);
/* Copies an engine error (its codes are part of the same table). */
int err_from_kw(kp_error *e, const kw_error *kerr);
/* Prefixes the current message with "what: " (context added on the way up). */
void err_prefix(kp_error *e, const char *fmt, ...) KP_PRINTF(2, 3);

#endif
