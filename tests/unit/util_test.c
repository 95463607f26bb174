/* util_test.c: the status table, buffers, files and the allocation hook. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "testdir.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"

TEST(status_table_is_consistent)
{
    /* every code has a name, an exit status 0..3, and codes are unique with
       strictly increasing iteration */
    int code, last = -1, n = 0;
    for (size_t i = 0; kp_status_at(i, &code); i++) {
        CHECK(code > last);
        last = code;
        CHECK(kp_status_name(code) != NULL);
        CHECK(strncmp(kp_status_name(code), "E_", 2) == 0 || code == 0);
        int x = kp_status_exit(code);
        CHECK(x >= 0 && x <= 3);
        n++;
    }
    CHECK(n > 40);
    CHECK_STR(kp_status_name(KP_E_TRUNCATED), "E_TRUNCATED");
    CHECK_EQ(kp_status_exit(KP_E_USAGE), 2);
    CHECK_EQ(kp_status_exit(KP_E_IO), 3);
    CHECK_EQ(kp_status_exit(KW_TRAP_DIV_ZERO), 1);
    CHECK(kp_status_name(99999) == NULL);
    CHECK_EQ(kp_status_exit(99999), 3);
}

TEST(engine_codes_share_names)
{
    /* codes defined by both tables (the generic ones) agree on their name */
    for (int c = 0; c < 300; c++) {
        const char *a = kw_status_name(c), *b = kp_status_name(c);
        if (a) CHECK_STR(a, b);
    }
    CHECK_STR(kp_status_name(KW_TRAP_UNREACHABLE), "E_TRAP_UNREACHABLE");
    CHECK(kw_status_is_trap(KW_TRAP_FUEL));
    CHECK(!kw_status_is_trap(KW_E_MALFORMED));
}

TEST(error_setters)
{
    kp_error e;
    kp_error_clear(&e);
    CHECK_EQ(err_set_at(&e, KP_E_TRUNCATED, 17, "ends at %d", 17), KP_E_TRUNCATED);
    CHECK_EQ(e.offset, 17);
    CHECK_STR(e.msg, "ends at 17");
    err_prefix(&e, "capsule %s", "x");
    CHECK_STR(e.msg, "capsule x: ends at 17");
    CHECK_EQ(err_set_field(&e, KP_E_ARG, "type", "%s", ""), KP_E_ARG);
    CHECK_STR(e.field, "type");
    CHECK_STR(e.msg, "invalid argument"); /* empty message falls back */
    CHECK_EQ(err_set(NULL, KP_E_IO, "x"), KP_E_IO);
    CHECK_EQ(err_errno(&e, ENOENT, "cannot open", "/x"), KP_E_NO_FILE);
    CHECK_EQ(err_errno(&e, ENOSPC, "cannot write", "/x"), KP_E_DISK_FULL);
    CHECK_EQ(err_errno(&e, EACCES, "cannot open", "/x"), KP_E_PERMISSION);
}

TEST(buffers_grow_and_respect_max)
{
    buf b = {0};
    for (int i = 0; i < 1000; i++) CHECK_EQ(buf_putc(&b, (uint8_t)i), KP_OK);
    CHECK_EQ(b.len, 1000);
    CHECK_EQ(b.p[999], (uint8_t)999);
    CHECK_EQ(buf_printf(&b, "%d-%s", 42, "x"), KP_OK);
    CHECK_EQ(b.len, 1004);
    CHECK_MEM(b.p + 1000, "42-x", 4);
    buf_free(&b);
    buf m = {0};
    m.max = 10;
    CHECK_EQ(buf_append(&m, "0123456789", 10), KP_OK);
    CHECK_EQ(buf_putc(&m, 'x'), KP_E_LIMIT);
    CHECK_EQ(m.len, 10); /* unchanged by the failed append */
    buf_free(&m);
}

TEST(size_helpers_catch_overflow)
{
    size_t r;
    CHECK(size_mul(1000, 1000, &r) && r == 1000000);
    CHECK(!size_mul(SIZE_MAX / 2, 3, &r));
    CHECK(!size_add(SIZE_MAX, 1, &r));
    CHECK(mem_calloc(SIZE_MAX / 4, 8) == NULL);
}

TEST(files_round_trip)
{
    const char *dir = test_dir("files", 1);
    char sub[600], path[700];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    kp_error e;
    CHECK_EQ(file_mkdirs(sub, 0700, &e), KP_OK);
    snprintf(path, sizeof path, "%s/f", sub);
    CHECK_EQ(file_write_atomic(path, "hello", 5, 0600, &e), KP_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    uint8_t *p;
    size_t n;
    CHECK_EQ(file_read_all(path, 100, &p, &n, &e), KP_OK);
    CHECK_EQ(n, 5);
    CHECK_MEM(p, "hello", 5);
    CHECK_EQ(p[5], 0);
    mem_free(p, n + 1);
    CHECK_EQ(file_read_all(path, 4, &p, &n, &e), KP_E_LIMIT);
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ(file_read_all(path, 100, &p, &n, &e), KP_E_NO_FILE);
}

static int fail_at, calls;
static void *failing_alloc(void *ud, void *p, size_t old, size_t n)
{
    (void)ud;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (++calls == fail_at) return NULL;
    return realloc(p, n);
}

TEST(allocation_hook_sees_every_allocation)
{
    /* the buffer survives every failing allocation with its contents */
    /* 300 bytes take four allocations: 64, 128, 256, 512 */
    for (fail_at = 1; fail_at <= 4; fail_at++) {
        calls = 0;
        kp_set_allocator(failing_alloc, NULL);
        buf b = {0};
        int failed = 0;
        for (int i = 0; i < 300; i++) {
            if (buf_putc(&b, 'a') != KP_OK) {
                failed = 1;
                CHECK_EQ(b.len, (size_t)i);
                break;
            }
        }
        buf_free(&b);
        kp_set_allocator(NULL, NULL);
        CHECK(failed);
    }
}
