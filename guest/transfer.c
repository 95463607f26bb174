/*
 * transfer.c: ledger transfers.
 *
 * A "transfer" capsule moves its author's money: body {"to": key,
 * "amount": uint}. The module holds no spending power of its own: the
 * author signs a capability request ("this module may spend up to N of my
 * balance", carried in the capsule), the host checks the signature and
 * mints a ledger.spend handle for the author's account, and the module
 * spends it. The ledger refuses an overdraft (the capsule is rejected);
 * the request's nonce makes it good for one capsule only, so replaying it
 * is refused before the module even runs (a double spend); spending more
 * than the request allows traps.
 *
 * Result: {"balance": the author's balance after, "residual": what is
 * left of the handle (0 when it was spent in full)}.
 */
#include "kapsule.h"

KAPSULE_ENTRY int kapsule_run(void)
{
    int32_t blen, alen;
    uint8_t *body = kapsule_body_get(&blen), *author = kapsule_author_get(&alen);
    kcbor v;
    const uint8_t *to;
    uint32_t tolen;
    uint64_t amount;
    if (!body || !author || kcbor_find(kcbor_init(body, (size_t)blen), "to", &v) ||
        kcbor_str(&v, KCBOR_BYTES, &to, &tolen) ||
        kcbor_find(kcbor_init(body, (size_t)blen), "amount", &v) || kcbor_uint(&v, &amount) ||
        amount == 0 || amount > INT64_MAX) {
        kapsule_reject("a transfer body is {\"to\": key, \"amount\": positive integer}");
        return 1;
    }
    int32_t h = handle_find("ledger.spend", 12, author, (uint32_t)alen);
    if (h == 0) {
        kapsule_reject("no spending authority: the author signed no capability request");
        return 1;
    }
    if ((int64_t)amount > handle_amount(h) && handle_amount(h) >= 0) {
        kapsule_reject("the amount is more than the author's request allows");
        return 1;
    }
    int32_t r = ledger_transfer(h, to, tolen, (int64_t)amount);
    if (r == K_E_LEDGER_OVERDRAFT) {
        kapsule_reject("insufficient balance");
        return 1;
    }
    if (r < 0) {
        kapsule_reject("the ledger refused the transfer");
        return 1;
    }
    int64_t residual = r ? handle_amount(r) : 0;
    int64_t balance = ledger_balance(author, (uint32_t)alen);
    uint8_t out[40];
    kcbor_w w = {out, 0, sizeof out, 0};
    kcbor_put_head(&w, KCBOR_MAP, 2);
    kcbor_put_text(&w, "balance");
    kcbor_put_int(&w, balance);
    kcbor_put_text(&w, "residual");
    kcbor_put_int(&w, residual);
    submit_capsule_result(out, (uint32_t)w.len);
    kapsule_accept();
    return 0;
}
