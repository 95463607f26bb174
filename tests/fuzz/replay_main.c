/*
 * replay_main.c: runs a fuzz harness over every file of a corpus folder
 * without libFuzzer, so that "make test" replays every crash or hang ever
 * found, with any compiler. Each file is one test; a crash ends the program
 * (and tests/run.sh reports it), a hang is caught by the time limit.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *current;

static void on_alarm(int sig)
{
    (void)sig;
    /* async-signal-safe reporting only */
    const char msg[] = "not ok hang (over 20 s): ";
    (void)!write(1, msg, sizeof msg - 1);
    if (current) (void)!write(1, current, strlen(current));
    (void)!write(1, "\n", 1);
    _exit(1);
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        printf("#totals 0 0 0\n"); /* an empty corpus is no failure */
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names) return 3;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    signal(SIGALRM, on_alarm);
    int pass = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *buf = NULL;
        size_t len = 0, bcap = 0;
        for (;;) {
            if (len == bcap) {
                bcap = bcap ? bcap * 2 : 4096;
                buf = realloc(buf, bcap);
                if (!buf) return 3;
            }
            size_t r = fread(buf + len, 1, bcap - len, f);
            if (r == 0) break;
            len += r;
        }
        fclose(f);
        current = names[i];
        alarm(20);
        LLVMFuzzerTestOneInput(buf, len);
        alarm(0);
        free(buf);
        pass++;
        free(names[i]);
    }
    free(names);
    printf("#totals %d 0 0\n", pass);
    return 0;
}
