/*
 * test.h: the unit-test harness. One test file is one program:
 *
 *     #include "test.h"
 *     TEST(adds) { CHECK(1 + 1 == 2); CHECK_EQ(f(), 3); }
 *
 * Tests run in file order. Each prints "ok NAME", "not ok NAME: why" or
 * "skip NAME: why"; the last line is "#totals P F S", which tests/run.sh
 * adds up. A check that fails ends its test (the others still run).
 * TEST_MAIN_HOOK, when defined before inclusion, is called with argc/argv
 * before the tests (e.g. to find data folders).
 */
#ifndef KP_TEST_H
#define KP_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
static struct {
    const char *name;
    test_fn fn;
} test_list_[1024];
static int test_count_;
static jmp_buf test_jmp_;
static char test_why_[512];
static int test_skipped_;

static inline void test_register_(const char *name, test_fn fn)
{
    if (test_count_ < 1024) {
        test_list_[test_count_].name = name;
        test_list_[test_count_].fn = fn;
        test_count_++;
    }
}

#define TEST(name)                                                                   \
    static void name(void);                                                          \
    __attribute__((constructor)) static void test_reg_##name(void)                   \
    {                                                                                \
        test_register_(#name, name);                                                 \
    }                                                                                \
    static void name(void)

#define TEST_FAIL_(...)                                                              \
    do {                                                                             \
        snprintf(test_why_, sizeof test_why_, __VA_ARGS__);                          \
        longjmp(test_jmp_, 1);                                                       \
    } while (0)

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) TEST_FAIL_("%s:%d: CHECK(%s)", __FILE__, __LINE__, #cond);      \
    } while (0)

#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        if (!(cond)) {                                                               \
            char m_[384];                                                            \
            snprintf(m_, sizeof m_, __VA_ARGS__);                                    \
            TEST_FAIL_("%s:%d: %s", __FILE__, __LINE__, m_);                         \
        }                                                                            \
    } while (0)

#define CHECK_EQ(a, b)                                                               \
    do {                                                                             \
        long long a_ = (long long)(a), b_ = (long long)(b);                          \
        if (a_ != b_)                                                                \
            TEST_FAIL_("%s:%d: %s == %s (%lld != %lld)", __FILE__, __LINE__, #a, #b, \
                       a_, b_);                                                      \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                           \
    do {                                                                             \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                             \
        if (a_ != b_)                                                                \
            TEST_FAIL_("%s:%d: %s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")", __FILE__, \
                       __LINE__, #a, #b, a_, b_);                                    \
    } while (0)

#define CHECK_STR(a, b)                                                              \
    do {                                                                             \
        const char *a_ = (a), *b_ = (b);                                             \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                       \
            TEST_FAIL_("%s:%d: %s == %s (\"%s\" != \"%s\")", __FILE__, __LINE__, #a, \
                       #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                  \
    } while (0)

#define CHECK_MEM(a, b, n)                                                           \
    do {                                                                             \
        if (memcmp((a), (b), (n)) != 0)                                              \
            TEST_FAIL_("%s:%d: %s and %s differ", __FILE__, __LINE__, #a, #b);       \
    } while (0)

#define SKIP(...)                                                                    \
    do {                                                                             \
        test_skipped_ = 1;                                                           \
        TEST_FAIL_(__VA_ARGS__);                                                     \
    } while (0)

#ifdef TEST_MAIN_HOOK
static void TEST_MAIN_HOOK(int argc, char **argv);
#endif

int main(int argc, char **argv)
{
    /* volatile: they live across setjmp/longjmp */
    volatile int pass = 0, fail = 0, skip = 0;
    const char *only = getenv("TEST_ONLY");
#ifdef TEST_MAIN_HOOK
    TEST_MAIN_HOOK(argc, argv);
#else
    (void)argc;
    (void)argv;
#endif
    for (volatile int i = 0; i < test_count_; i++) {
        if (only && !strstr(test_list_[i].name, only)) continue;
        test_skipped_ = 0;
        test_why_[0] = 0;
        if (setjmp(test_jmp_) == 0) {
            test_list_[i].fn();
            printf("ok %s\n", test_list_[i].name);
            pass++;
        } else if (test_skipped_) {
            printf("skip %s: %s\n", test_list_[i].name, test_why_);
            skip++;
        } else {
            printf("not ok %s: %s\n", test_list_[i].name, test_why_);
            fail++;
        }
        fflush(stdout);
    }
    printf("#totals %d %d %d\n", pass, fail, skip);
    return fail ? 1 : 0;
}

#endif
