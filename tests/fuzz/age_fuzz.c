/*
 * age_fuzz.c: libFuzzer harness for the age reader. Each input is tried as
 * an age file (binary or armored) for a fixed identity, the one the age
 * spec gives as its example, so that seeds written to its recipient get
 * past the header MAC and reach the payload. The reader must refuse or
 * accept without a crash, a leak, or output on refusal. Small inputs are
 * also tried as key strings, and every input as plaintext: encrypting it
 * and decrypting the result must give it back.
 *
 * Seeds: tests/corpus/age/ (age -r/-a to age1zvkyg2lq...nujwj, and ours).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/age.h"

static const char identity[] =
    "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t sk[32], pk[32], k[32];
    if (cry_age_identity_parse(identity, sizeof identity - 1, sk, NULL) != KP_OK) abort();
    cry_x25519_public(pk, sk);

    buf out = {0};
    int rc = cry_age_decrypt(sk, data, size, 1 << 20, &out, NULL);
    if (rc != KP_OK && out.len != 0) abort(); /* no plaintext on refusal */
    buf_free(&out);

    cry_age_info info;
    int armored = cry_age_is_armored(data, size);
    if (cry_age_inspect(data, size, &info, NULL) == KP_OK) {
        /* header and payload split a binary input exactly */
        if (!armored && info.header_len + info.payload_len != size) abort();
        /* what is accepted as text is ASCII: the whole of an armored file,
           the header of a binary one (a byte >= 0x80 read as a base64
           character would make two encodings of one file) */
        size_t text = armored ? size : info.header_len;
        for (size_t i = 0; i < text; i++)
            if (data[i] >= 0x80) abort();
    }
    (void)rc;

    if (size <= 200) {
        (void)cry_age_recipient_parse((const char *)data, size, k, NULL);
        (void)cry_age_identity_parse((const char *)data, size, k, NULL);
    }

    if (size <= 200000) {
        buf f = {0}, back = {0};
        if (cry_age_encrypt((const uint8_t(*)[32])pk, 1, data, size, &f, NULL) != KP_OK) abort();
        if (cry_age_decrypt(sk, f.p, f.len, size, &back, NULL) != KP_OK) abort();
        if (back.len != size || (size && memcmp(back.p, data, size) != 0)) abort();
        buf_free(&f);
        buf_free(&back);
    }
    return 0;
}
