/*
 * ledger.c: balances by account (a public key's bytes; an unknown account
 * holds 0), the append-only list of transfers, and the capability request
 * nonces already spent (per author), which is what stops one signed
 * request from paying twice.
 */
#include <string.h>

#include "store/store.h"
#include "util/error.h"

int store_ledger_balance(kp_store *st, const uint8_t *acct, size_t len, uint64_t *bal,
                         kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT balance FROM ledger_balances WHERE account = ?1", &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, acct, len);
    rc = sqlite3_step(s);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    store_done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(st, rc, "reading a balance", err);
    *bal = v < 0 ? 0 : (uint64_t)v;
    return KP_OK;
}

static int set_balance(kp_store *st, const uint8_t *acct, size_t len, uint64_t v, kp_error *err)
{
    sqlite3_stmt *s;
    if (v > INT64_MAX) return err_set(err, KP_E_LIMIT, "balance would exceed 2^63 - 1");
    int rc = store_stmt(st,
                        "INSERT INTO ledger_balances(account, balance) VALUES (?1, ?2)"
                        " ON CONFLICT(account) DO UPDATE SET balance = excluded.balance",
                        &s, err);
    if (rc) return rc;
    store_bind_blob(s, 1, acct, len);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)v);
    return store_step_done(st, s, "writing a balance", err);
}

int store_ledger_credit(kp_store *st, const uint8_t *acct, size_t len, uint64_t amount,
                        kp_error *err)
{
    uint64_t b;
    int rc = store_ledger_balance(st, acct, len, &b, err);
    if (rc) return rc;
    if (amount > INT64_MAX || b > (uint64_t)INT64_MAX - amount)
        return err_set(err, KP_E_LIMIT, "balance would exceed 2^63 - 1");
    return set_balance(st, acct, len, b + amount, err);
}

int store_ledger_transfer(kp_store *st, const uint8_t *from, size_t flen, const uint8_t *to,
                          size_t tlen, uint64_t amount, kp_error *err)
{
    uint64_t fb, tb;
    int rc = store_ledger_balance(st, from, flen, &fb, err);
    if (rc) return rc;
    if (fb < amount)
        return err_set(err, KP_E_LEDGER_OVERDRAFT, "balance %llu is less than %llu",
                       (unsigned long long)fb, (unsigned long long)amount);
    if (amount > INT64_MAX) return err_set(err, KP_E_LIMIT, "amount out of range");
    int self = flen == tlen && memcmp(from, to, flen) == 0;
    if (!self) {
        if ((rc = store_ledger_balance(st, to, tlen, &tb, err))) return rc;
        if (tb > (uint64_t)INT64_MAX - amount)
            return err_set(err, KP_E_LIMIT, "balance would exceed 2^63 - 1");
        if ((rc = set_balance(st, from, flen, fb - amount, err)) ||
            (rc = set_balance(st, to, tlen, tb + amount, err)))
            return rc;
    }
    sqlite3_stmt *s;
    if ((rc = store_stmt(st, "INSERT INTO ledger_transfers(src, dst, amount) VALUES (?1, ?2, ?3)",
                         &s, err)))
        return rc;
    store_bind_blob(s, 1, from, flen);
    store_bind_blob(s, 2, to, tlen);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)amount);
    return store_step_done(st, s, "recording a transfer", err);
}

int store_ledger_transfer_count(kp_store *st, uint64_t *n, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT count(*) FROM ledger_transfers", &s, err);
    if (rc) return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *n = (uint64_t)sqlite3_column_int64(s, 0);
    store_done(s);
    return rc == SQLITE_ROW ? KP_OK : store_fail(st, rc, "counting transfers", err);
}

int store_nonce_used(kp_store *st, const uint8_t *author, size_t alen, const uint8_t *nonce,
                     size_t nlen, int *used, kp_error *err)
{
    sqlite3_stmt *s;
    int rc = store_stmt(st, "SELECT 1 FROM ledger_nonces WHERE author = ?1 AND nonce = ?2", &s,
                        err);
    if (rc) return rc;
    store_bind_blob(s, 1, author, alen);
    store_bind_blob(s, 2, nonce, nlen);
    rc = sqlite3_step(s);
    store_done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(st, rc, "reading nonces", err);
    *used = rc == SQLITE_ROW;
    return KP_OK;
}

int store_nonce_claim(kp_store *st, const uint8_t *author, size_t alen, const uint8_t *nonce,
                      size_t nlen, kp_error *err)
{
    int used;
    int rc = store_nonce_used(st, author, alen, nonce, nlen, &used, err);
    if (rc) return rc;
    if (used) return err_set(err, KP_E_CAP_REQUEST_REPLAYED, "request nonce already used");
    sqlite3_stmt *s;
    if ((rc = store_stmt(st, "INSERT INTO ledger_nonces(author, nonce) VALUES (?1, ?2)", &s, err)))
        return rc;
    store_bind_blob(s, 1, author, alen);
    store_bind_blob(s, 2, nonce, nlen);
    return store_step_done(st, s, "claiming a nonce", err);
}
