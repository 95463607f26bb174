/*
 * testdir.h: temporary folders for unit tests. Each test program gets one
 * root folder, made on first use and removed with everything in it when
 * the program exits, so a test leaves nothing behind whether it passes
 * or fails. The root is on /dev/shm when there is one: store tests make
 * thousands of fsyncs, and nothing they prove depends on the disk (the
 * fault shim decides what fails; SIGKILL does not lose the page cache).
 */
#ifndef KP_TESTDIR_H
#define KP_TESTDIR_H

/*
 * The path of folder name under the root (the folder itself is not
 * made). fresh: remove whatever is there first. The path is static
 * storage in one of 8 slots: valid until the 8th next call.
 */
const char *test_dir(const char *name, int fresh);

#endif
