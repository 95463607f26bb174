/*
 * hc_io.c: capabilities "log", "clock", "random", "proc_exit", "args" and
 * "environ": kapsule's own functions and the WASI preview1 subset mapped
 * onto them, so that ordinary wasm32-wasi programs can be logic. Clock
 * and random are oracles: their values are recorded and replayed.
 *
 * Log levels: 0 debug, 1 info, 2 warning, 3 error. WASI fd_write to fd 1
 * logs at info, to fd 2 at error; any other fd is EBADF. What wasi-libc's
 * stdio asks about stdout and stderr besides writing (fd_fdstat_get: a
 * character device that may be written; fd_seek: ESPIPE; fd_close: done)
 * is answered under "log" too, so that a plain printf program links.
 */
#include <stdio.h>
#include <string.h>

#include "host/hc.h"

/* WASI errno values used here. */
#define WASI_OK 0
#define WASI_EBADF 8
#define WASI_EINVAL 28
#define WASI_ESPIPE 70
#define WASI_CHARACTER_DEVICE 2
#define WASI_RIGHT_FD_WRITE (1u << 6)

int hc_log(host_call *c, const kw_val *a, kw_val *res)
{
    (void)res;
    uint32_t level = HOST_U32(a, 0), len = HOST_U32(a, 2);
    const uint8_t *p;
    if (level > 3) return host_trap(c, KP_E_HOST_BAD_ARG, "log: level %u is not 0..3", level);
    if (len > HOST_LOG_LINE_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "log: line of %u bytes, at most %u", len,
                         HOST_LOG_LINE_MAX);
    int rc = host_in(c, HOST_U32(a, 1), len, &p);
    if (rc) return rc;
    if (host_j_log(c->run, c->hi->index, (int)level, p, len))
        return host_trap(c, KP_E_NOMEM, "out of memory");
    return KP_OK;
}

int hc_fd_write(host_call *c, const kw_val *a, kw_val *res)
{
    uint32_t fd = HOST_U32(a, 0), iovs = HOST_U32(a, 1), n = HOST_U32(a, 2);
    uint8_t line[HOST_LOG_LINE_MAX];
    uint32_t total = 0;
    if (fd != 1 && fd != 2) {
        res[0].i32 = WASI_EBADF;
        return KP_OK;
    }
    if (n > HOST_IOVS_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "fd_write: %u buffers, at most %u", n, HOST_IOVS_MAX);
    const uint8_t *v;
    /* where the count goes is checked first: nothing is logged for a call
       that then traps */
    int rc = host_check(c, HOST_U32(a, 3), 4);
    if (!rc) rc = host_in(c, iovs, n * 8, &v);
    if (rc) return rc;
    /* one log line per call; past the line limit the write is partial,
       which WASI allows (nwritten says how much went) */
    for (uint32_t i = 0; i < n && total < sizeof line; i++) {
        uint32_t ptr = (uint32_t)v[8 * i] | (uint32_t)v[8 * i + 1] << 8 |
                       (uint32_t)v[8 * i + 2] << 16 | (uint32_t)v[8 * i + 3] << 24;
        uint32_t len = (uint32_t)v[8 * i + 4] | (uint32_t)v[8 * i + 5] << 8 |
                       (uint32_t)v[8 * i + 6] << 16 | (uint32_t)v[8 * i + 7] << 24;
        if (len > sizeof line - total) len = (uint32_t)(sizeof line - total);
        const uint8_t *p;
        if ((rc = host_in(c, ptr, len, &p))) return rc;
        memcpy(line + total, p, len);
        total += len;
    }
    size_t shown = total;
    if (shown && line[shown - 1] == '\n') shown--; /* the log adds its own */
    if (host_j_log(c->run, c->hi->index, fd == 1 ? 1 : 3, line, shown))
        return host_trap(c, KP_E_NOMEM, "out of memory");
    uint8_t nw[4] = {(uint8_t)total, (uint8_t)(total >> 8), (uint8_t)(total >> 16),
                     (uint8_t)(total >> 24)};
    if ((rc = host_out(c, HOST_U32(a, 3), nw, 4))) return rc;
    res[0].i32 = WASI_OK;
    return KP_OK;
}

int hc_fd_fdstat_get(host_call *c, const kw_val *a, kw_val *res)
{
    uint32_t fd = HOST_U32(a, 0);
    if (fd != 1 && fd != 2) {
        res[0].i32 = WASI_EBADF;
        return KP_OK;
    }
    /* struct fdstat: filetype u8, flags u16 at 2, rights_base u64 at 8,
       rights_inheriting u64 at 16 */
    uint8_t st[24] = {0};
    st[0] = WASI_CHARACTER_DEVICE;
    st[8] = (uint8_t)WASI_RIGHT_FD_WRITE;
    res[0].i32 = WASI_OK;
    return host_out(c, HOST_U32(a, 1), st, sizeof st);
}

int hc_fd_seek(host_call *c, const kw_val *a, kw_val *res)
{
    (void)c;
    uint32_t fd = HOST_U32(a, 0);
    res[0].i32 = fd == 1 || fd == 2 ? WASI_ESPIPE : WASI_EBADF;
    return KP_OK;
}

int hc_fd_close(host_call *c, const kw_val *a, kw_val *res)
{
    (void)c;
    uint32_t fd = HOST_U32(a, 0);
    res[0].i32 = fd == 1 || fd == 2 ? WASI_OK : WASI_EBADF;
    return KP_OK;
}

int hc_clock_now(host_call *c, const kw_val *a, kw_val *res)
{
    (void)a;
    uint64_t ns;
    int rc = host_w_clock(c, &ns);
    res[0].i64 = ns;
    return rc;
}

int hc_clock_time_get(host_call *c, const kw_val *a, kw_val *res)
{
    uint32_t id = HOST_U32(a, 0);
    uint64_t ns;
    if (id > 1) { /* realtime and monotonic; no CPU-time clocks */
        res[0].i32 = WASI_EINVAL;
        return KP_OK;
    }
    int rc = host_w_clock(c, &ns);
    if (rc) return rc;
    uint8_t t[8];
    for (int i = 0; i < 8; i++) t[i] = (uint8_t)(ns >> (8 * i));
    res[0].i32 = WASI_OK;
    return host_out(c, HOST_U32(a, 2), t, 8);
}

static int random_into(host_call *c, uint32_t ptr, uint32_t len)
{
    uint8_t tmp[HOST_RANDOM_MAX];
    if (len > HOST_RANDOM_MAX)
        return host_trap(c, KP_E_HOST_LIMIT, "%s: %u bytes, at most %u per call", c->fn->name, len,
                         HOST_RANDOM_MAX);
    /* check the destination before drawing, so a bad pointer records no
       oracle value */
    int rc = host_check(c, ptr, len);
    if (!rc) rc = host_w_random(c, tmp, len);
    if (!rc) rc = host_out(c, ptr, tmp, len);
    return rc;
}

int hc_random_bytes(host_call *c, const kw_val *a, kw_val *res)
{
    res[0].i32 = 0;
    return random_into(c, HOST_U32(a, 0), HOST_U32(a, 1));
}

int hc_random_get(host_call *c, const kw_val *a, kw_val *res)
{
    res[0].i32 = WASI_OK;
    return random_into(c, HOST_U32(a, 0), HOST_U32(a, 1));
}

int hc_proc_exit(host_call *c, const kw_val *a, kw_val *res)
{
    (void)res;
    int32_t code = HOST_I32(a, 0);
    if (c->hi->index == 0) {
        c->run->exited = 1;
        c->run->exit_code = code;
    }
    return host_trap(c, KP_E_HOST_EXIT, "proc_exit(%ld)", (long)code);
}

/* args and environ are always empty: a module's inputs are its capsule. */
static int two_zeros(host_call *c, const kw_val *a, kw_val *res)
{
    static const uint8_t zero[4];
    int rc = host_out(c, HOST_U32(a, 0), zero, 4);
    if (!rc) rc = host_out(c, HOST_U32(a, 1), zero, 4);
    res[0].i32 = WASI_OK;
    return rc;
}

int hc_args_sizes_get(host_call *c, const kw_val *a, kw_val *res)
{
    return two_zeros(c, a, res);
}

int hc_environ_sizes_get(host_call *c, const kw_val *a, kw_val *res)
{
    return two_zeros(c, a, res);
}

int hc_args_get(host_call *c, const kw_val *a, kw_val *res)
{
    (void)c;
    (void)a;
    res[0].i32 = WASI_OK; /* nothing to write: there are no arguments */
    return KP_OK;
}

int hc_environ_get(host_call *c, const kw_val *a, kw_val *res)
{
    (void)c;
    (void)a;
    res[0].i32 = WASI_OK;
    return KP_OK;
}
