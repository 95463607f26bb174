/* native_main.c: runs a bench kernel natively and prints its result the way
   `kapsule exec` prints an i64, so that the two can be compared. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t BENCH_NAME(uint32_t n);

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    printf("i64:%" PRIu64 "\n", BENCH_NAME((uint32_t)strtoul(argv[1], NULL, 10)));
    return 0;
}
