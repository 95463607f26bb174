/*
 * error.c: the status table (kapsule_errors.h plus the engine's part) and
 * the helpers that fill a caller's kp_error.
 */
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct status_row {
    int code;
    const char *name;
    int exit_status;
    const char *msg;
} status_row;

/* Both halves of the table, merged in number order at first use would need
 * mutable state; instead the two lists are each sorted and walked in turn. */
static const status_row kp_rows[] = {
#define ROW_(id, num, str, exitc, msg) {num, str, exitc, msg},
    KP_STATUS_LIST(ROW_)
#undef ROW_
};

static const status_row kw_rows[] = {
#define ROW_(id, num, str, msg) {num, str, (num) == KW_E_NOMEM ? 3 : 1, msg},
    KW_STATUS_LIST(ROW_)
#undef ROW_
};

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static const status_row *find_row(int code)
{
    for (size_t i = 0; i < NROWS(kp_rows); i++)
        if (kp_rows[i].code == code) return &kp_rows[i];
    for (size_t i = 0; i < NROWS(kw_rows); i++)
        if (kw_rows[i].code == code) return &kw_rows[i];
    return NULL;
}

const char *kp_status_name(int code)
{
    const status_row *r = find_row(code);
    return r ? r->name : NULL;
}

const char *kp_status_message(int code)
{
    const status_row *r = find_row(code);
    return r ? r->msg : "unknown status";
}

int kp_status_exit(int code)
{
    const status_row *r = find_row(code);
    return r ? r->exit_status : 3;
}

/* The i-th distinct code in number order. The table is small (a few hundred
 * rows), so a selection walk is simpler than keeping a sorted copy. */
int kp_status_at(size_t i, int *code)
{
    int last = -1;
    for (size_t k = 0; k <= i; k++) {
        int best = -1;
        for (size_t j = 0; j < NROWS(kp_rows) + NROWS(kw_rows); j++) {
            int c = j < NROWS(kp_rows) ? kp_rows[j].code : kw_rows[j - NROWS(kp_rows)].code;
            if (c > last && (best < 0 || c < best)) best = c;
        }
        if (best < 0) return 0;
        last = best;
    }
    *code = last;
    return 1;
}

void kp_error_clear(kp_error *e)
{
    if (!e) return;
    e->code = KP_OK;
    e->offset = KP_NO_OFFSET;
    e->field[0] = 0;
    e->msg[0] = 0;
}

const char *kp_version(void)
{
    return KP_VERSION;
}

int err_vset(kp_error *e, int code, int64_t offset, const char *field, const char *fmt,
             va_list ap)
{
    if (!e) return code;
    e->code = code;
    e->offset = offset;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    if (!e->msg[0]) snprintf(e->msg, sizeof e->msg, "%s", kp_status_message(code));
    return code;
}

int err_set(kp_error *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, code, KP_NO_OFFSET, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int err_set_at(kp_error *e, int code, int64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, code, offset, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int err_set_field(kp_error *e, int code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(e, code, KP_NO_OFFSET, field, fmt, ap);
    va_end(ap);
    return code;
}

int err_errno(kp_error *e, int errnum, const char *what, const char *path)
{
    int code;
    switch (errnum) {
    case ENOENT: code = KP_E_NO_FILE; break;
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        code = KP_E_DISK_FULL;
        break;
    case EACCES:
    case EPERM: code = KP_E_PERMISSION; break;
    case ENOMEM: code = KP_E_NOMEM; break;
    default: code = KP_E_IO; break;
    }
    return err_set(e, code, "%s %s: %s", what, path ? path : "", strerror(errnum));
}

int err_from_kw(kp_error *e, const kw_error *k)
{
    if (!e) return k->code;
    e->code = k->code;
    e->offset = k->offset == KW_NO_OFFSET ? KP_NO_OFFSET : (int64_t)k->offset;
    e->field[0] = 0;
    snprintf(e->msg, sizeof e->msg, "%s", k->msg);
    return k->code;
}

void err_prefix(kp_error *e, const char *fmt, ...)
{
    if (!e) return;
    char pre[KP_ERROR_MSG_BYTES], old[KP_ERROR_MSG_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* Truncation is fine here: the message stays a NUL-terminated prefix. */
    size_t n = strlen(pre);
    if (n > sizeof e->msg - 3) n = sizeof e->msg - 3;
    memcpy(e->msg, pre, n);
    memcpy(e->msg + n, ": ", 2);
    size_t room = sizeof e->msg - n - 3, m = strlen(old);
    if (m > room) m = room;
    memcpy(e->msg + n + 2, old, m);
    e->msg[n + 2 + m] = 0;
}
