/*
 * ledger.c: the operator's side of the ledger. Logic modules move money
 * only through ledger.spend handles (src/host/); what they move must first
 * exist, and crediting an account is the one way it comes into being. So
 * every credit is an audit log decision, written in the same unit as the
 * balance it changes: a balance that grew without a log entry is
 * something the log can be asked about.
 */
#include <string.h>

#include "cbor/cbor.h"
#include "crypto/crypto.h"
#include "store/db.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

static int check_account(size_t len, kp_error *err)
{
    if (len == 0 || len > KP_PK_MAX_BYTES)
        return err_set(err, KP_E_ARG, "an account is a public key of 1..%d bytes", KP_PK_MAX_BYTES);
    return KP_OK;
}

int kp_ledger_balance(kp_store *st, const uint8_t *account, size_t len, uint64_t *balance,
                      kp_error *err)
{
    int rc = check_account(len, err);
    return rc ? rc : store_ledger_balance(st, account, len, balance, err);
}

static int credit_entry(const uint8_t *account, size_t len, uint64_t amount, uint64_t balance,
                        buf *out, kp_error *err)
{
    cbor_enc e;
    cbor_enc_init(&e, out);
    cbor_begin_map(&e); /* the encoder sorts the keys when the map closes */
    cbor_put_str(&e, "v");
    cbor_put_uint(&e, 1);
    cbor_put_str(&e, "amount");
    cbor_put_uint(&e, amount);
    cbor_put_str(&e, "account");
    cbor_put_bytes(&e, account, len);
    cbor_put_str(&e, "balance");
    cbor_put_uint(&e, balance);
    cbor_put_str(&e, "decision");
    cbor_put_str(&e, "credit");
    cbor_end(&e);
    return cbor_enc_finish(&e, err);
}

/* Money is created only for an account someone can spend from: a valid
   public key (a small-order Ed25519 point is refused, as a capsule's author
   key is). Balances of anything may still be read (they are 0). */
static int check_credit_account(const uint8_t *account, size_t len, kp_error *err)
{
    kp_error ke;
    int rc = check_account(len, err);
    if (rc) return rc;
    if (cry_pk_check_any(account, len, &ke) != KP_OK)
        return err_set(err, KP_E_LEDGER_ACCOUNT, "not a ledger account: %s", ke.msg);
    return KP_OK;
}

int kp_ledger_credit(kp_store *st, const uint8_t *account, size_t len, uint64_t amount,
                     uint64_t *balance, uint64_t *log_index, kp_error *err)
{
    int rc = check_credit_account(account, len, err);
    if (rc) return rc;
    if (amount == 0) return err_set(err, KP_E_ARG, "a credit of 0 changes nothing");
    if ((rc = store_writable(st, err))) return rc;
    store_unit u;
    if ((rc = store_unit_begin(st, "credit", &u, err))) return rc;
    uint64_t bal = 0, idx = 0;
    buf entry = {0};
    rc = store_ledger_credit(st, account, len, amount, err);
    if (rc == KP_OK) rc = store_ledger_balance(st, account, len, &bal, err);
    if (rc == KP_OK) rc = credit_entry(account, len, amount, bal, &entry, err);
    if (rc == KP_OK) rc = kp_log_append(st, entry.p, entry.len, &idx, err);
    rc = store_unit_end(st, &u, rc, err);
    buf_free(&entry);
    if (rc) return rc;
    if (balance) *balance = bal;
    if (log_index) *log_index = idx;
    return KP_OK;
}
