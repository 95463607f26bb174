/* errors.c: kapsule errors [--json]: the one table of stable status codes. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_errors(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: kapsule errors [--json]\n\n"
                   "Lists every status code kapsule can report: number, name, exit status\n"
                   "(0 ok, 1 invalid or rejected, 2 usage, 3 environment) and meaning.\n");
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            return cli_usage("errors", "unknown option '%s'", argv[i]);
    }
    json_t *arr = json ? json_array() : NULL;
    int code;
    for (size_t i = 0; kp_status_at(i, &code); i++) {
        if (json) {
            json_array_append_new(arr, json_pack("{s:i,s:s,s:i,s:s}", "code", code, "name",
                                                 kp_status_name(code), "exit",
                                                 kp_status_exit(code), "message",
                                                 kp_status_message(code)));
        } else {
            printf("%4d  %-30s %d  %s\n", code, kp_status_name(code), kp_status_exit(code),
                   kp_status_message(code));
        }
    }
    if (json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        if (s) puts(s);
        free(s);
        json_decref(arr);
    }
    return 0;
}
