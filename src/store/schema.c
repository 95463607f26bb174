/*
 * schema.c: every forward migration of the store, in order. Migration i
 * (from 0) moves a store from schema version i to i + 1 in one transaction
 * (db.c). Never edit a migration that has shipped: add a new one at the
 * end, one line in store_migrations[] plus its SQL.
 */
#include "store/db.h"

/*
 * 1: the audit log (src/log/).
 *
 * log_entries holds entry i at idx = i. log_nodes holds the hash of every
 * complete subtree: (level l, idx k) covers entries [k * 2^l, (k+1) * 2^l),
 * level 0 being the leaf hashes. An append adds one leaf and one node per
 * subtree it completes (one on average, log2 n at most); any root or proof
 * is then a fold of at most 2 log2 n stored hashes (see log/tree.c).
 * log_checkpoints keeps every signed tree head handed out; log_identity
 * the origin and verifier key the log is bound to.
 *
 * Append-only is enforced here rather than trusted to the code: UPDATE and
 * DELETE on every log table abort (and REPLACE too, as the connection runs
 * with recursive_triggers on), entries must arrive at the next index, and a
 * checkpoint cannot claim more entries than exist or fewer than the last.
 */
static const char log_v1[] =
    "CREATE TABLE log_entries("
    "  idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
    "  data BLOB NOT NULL CHECK (typeof(data) = 'blob'));"
    "CREATE TABLE log_nodes("
    "  level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),"
    "  idx INTEGER NOT NULL CHECK (idx >= 0),"
    "  hash BLOB NOT NULL CHECK (typeof(hash) = 'blob' AND length(hash) = 32),"
    "  PRIMARY KEY (level, idx)) WITHOUT ROWID;"
    "CREATE TABLE log_checkpoints("
    "  seq INTEGER PRIMARY KEY CHECK (seq >= 0),"
    "  size INTEGER NOT NULL CHECK (size >= 0),"
    "  root BLOB NOT NULL CHECK (typeof(root) = 'blob' AND length(root) = 32),"
    "  note TEXT NOT NULL);"
    "CREATE TABLE log_identity("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  origin TEXT NOT NULL,"
    "  vkey TEXT NOT NULL);"
    /* append-only */
    "CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries"
    "  BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;"
    "CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries"
    "  BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END;"
    "CREATE TRIGGER log_entries_next BEFORE INSERT ON log_entries"
    "  WHEN NEW.idx IS NOT coalesce((SELECT max(idx) FROM log_entries), -1) + 1"
    "  BEGIN SELECT RAISE(ABORT, 'log_entries: an entry must take the next index'); END;"
    "CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes"
    "  BEGIN SELECT RAISE(ABORT, 'log_nodes is append-only'); END;"
    "CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes"
    "  BEGIN SELECT RAISE(ABORT, 'log_nodes is append-only'); END;"
    "CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints"
    "  BEGIN SELECT RAISE(ABORT, 'log_checkpoints is append-only'); END;"
    "CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints"
    "  BEGIN SELECT RAISE(ABORT, 'log_checkpoints is append-only'); END;"
    "CREATE TRIGGER log_checkpoints_order BEFORE INSERT ON log_checkpoints"
    "  WHEN NEW.seq IS NOT coalesce((SELECT max(seq) FROM log_checkpoints), -1) + 1"
    "    OR NEW.size > coalesce((SELECT max(idx) FROM log_entries), -1) + 1"
    "    OR NEW.size < coalesce((SELECT size FROM log_checkpoints"
    "                            ORDER BY seq DESC LIMIT 1), 0)"
    "  BEGIN SELECT RAISE(ABORT, 'log_checkpoints: a checkpoint must take the next "
    "sequence number and cover between the last size and the log size'); END;"
    "CREATE TRIGGER log_identity_no_update BEFORE UPDATE ON log_identity"
    "  BEGIN SELECT RAISE(ABORT, 'log_identity cannot change'); END;"
    "CREATE TRIGGER log_identity_no_delete BEFORE DELETE ON log_identity"
    "  BEGIN SELECT RAISE(ABORT, 'log_identity cannot change'); END;";

const store_migration store_migrations[] = {
    {"audit log", log_v1},
};
const size_t store_migration_count = sizeof store_migrations / sizeof store_migrations[0];
