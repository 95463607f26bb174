/*
 * note_fuzz.c: the signed-note, verifier-key and checkpoint parsers on
 * untrusted bytes (receipts and peers hand us checkpoints). The input is a
 * verifier key line, a newline, then a note; every parser must return a
 * status, never crash, and only accept what verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t klen = nl ? (size_t)(nl - data) : size;
    char *vkey = malloc(klen + 1);
    if (!vkey) return 0;
    memcpy(vkey, data, klen);
    vkey[klen] = 0;
    const char *note = nl ? (const char *)nl + 1 : "";
    size_t nlen = nl ? size - klen - 1 : 0;

    kp_checkpoint cp;
    log_vkey vk;
    size_t tlen;
    if (kp_checkpoint_verify(note, nlen, vkey, &cp, NULL) == KP_OK) {
        /* accepted: the origin is a C string within bounds */
        if (strlen(cp.origin) > KP_LOG_ORIGIN_MAX) abort();
    }
    if (log_note_open(note, nlen, NULL, &tlen, NULL) == KP_OK) abort(); /* no key, no note */
    (void)log_vkey_parse(vkey, &vk, NULL);
    (void)log_checkpoint_parse((const char *)data, size, &cp, NULL);
    free(vkey);
    return 0;
}
