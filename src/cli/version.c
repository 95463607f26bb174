/* version.c: kapsule version. */
#include <stdio.h>

#include "cli/cli.h"

int cli_version(int argc, char **argv)
{
    if (argc > 1 && cli_is_help(argv[1])) {
        printf("usage: kapsule version\n\nPrints the version of kapsule.\n");
        return 0;
    }
    if (argc > 1) return cli_usage("version", "takes no arguments");
    printf("kapsule %s\n", kp_version());
    return 0;
}
