/*
 * debug.h: internal invariants stated where they are relied on (SQLite's
 * habit). KP_DEBUG_ASSERT is for what the code itself guarantees (a
 * buffer holds whole records, a count matches a table), never for checks
 * of untrusted input, which stay real code that returns a status. It is
 * active when KP_DEBUG is defined (make sanitize does) and compiles to
 * nothing otherwise, so release builds never abort on it.
 */
#ifndef KP_UTIL_DEBUG_H
#define KP_UTIL_DEBUG_H

#ifdef KP_DEBUG
#include <stdio.h>
#include <stdlib.h>
#define KP_DEBUG_ASSERT(x)                                                                \
    ((x) ? (void)0                                                                        \
         : (fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #x),     \
            abort()))
#else
#define KP_DEBUG_ASSERT(x) ((void)sizeof(x))
#endif

#endif
