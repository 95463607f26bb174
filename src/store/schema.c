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

/*
 * 2: the capsule store (src/store/ and src/runtime/).
 *
 * modules: logic modules by id (kp_module_id of code), their owner and
 * lifecycle (0 active, 1 destroyed, 2 upgraded to successor). capsules:
 * every accepted capsule with its exact file bytes, in ingest order (seq),
 * and the log entry that accepted it; edges: the DAG (child names parent).
 * results: what a capsule's logic said, one row per accepted capsule that
 * ran logic. kv: the modules' child storage. pending: capsules received but
 * waiting for a parent or their logic module (pending_waits: what each
 * waits for). ledger_balances, ledger_transfers, ledger_nonces: the ledger
 * and the request nonces already spent.
 *
 * What the audit log vouches for cannot change: capsules, edges, results
 * and transfers refuse UPDATE and DELETE (as the log's tables do); kv,
 * balances, modules' state and pending are the mutable state the log's
 * entries explain.
 */
static const char store_v2[] =
    "CREATE TABLE modules("
    "  id BLOB PRIMARY KEY CHECK (typeof(id) = 'blob' AND length(id) = 32),"
    "  code BLOB NOT NULL CHECK (typeof(code) = 'blob'),"
    "  owner_alg INTEGER NOT NULL DEFAULT 0 CHECK (owner_alg BETWEEN 0 AND 3),"
    "  owner BLOB CHECK (owner IS NULL OR length(owner) BETWEEN 1 AND 65),"
    "  state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"
    "  successor BLOB REFERENCES modules(id),"
    "  added INTEGER NOT NULL,"
    "  CHECK ((state = 2) = (successor IS NOT NULL))) WITHOUT ROWID;"
    "CREATE TABLE capsules("
    "  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
    "  id BLOB NOT NULL UNIQUE CHECK (typeof(id) = 'blob' AND length(id) = 32),"
    "  bytes BLOB NOT NULL CHECK (typeof(bytes) = 'blob'),"
    "  type TEXT NOT NULL,"
    "  author_alg INTEGER NOT NULL CHECK (author_alg BETWEEN 1 AND 3),"
    "  author BLOB NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  logic BLOB REFERENCES modules(id),"
    "  encrypted INTEGER NOT NULL CHECK (encrypted IN (0, 1)),"
    "  log_idx INTEGER NOT NULL UNIQUE REFERENCES log_entries(idx));"
    "CREATE INDEX capsules_type ON capsules(type, seq);"
    "CREATE TABLE edges("
    "  child BLOB NOT NULL REFERENCES capsules(id),"
    "  parent BLOB NOT NULL REFERENCES capsules(id),"
    "  PRIMARY KEY (child, parent)) WITHOUT ROWID;"
    "CREATE INDEX edges_parent ON edges(parent, child);"
    "CREATE TABLE results("
    "  capsule BLOB PRIMARY KEY REFERENCES capsules(id),"
    "  module BLOB NOT NULL REFERENCES modules(id),"
    "  verdict INTEGER NOT NULL CHECK (verdict IN (1, 2)),"
    "  reason TEXT NOT NULL,"
    "  result BLOB,"
    "  fuel INTEGER NOT NULL CHECK (fuel >= 0),"
    "  transcript_root BLOB NOT NULL CHECK (length(transcript_root) = 32),"
    "  policy_hash BLOB NOT NULL CHECK (length(policy_hash) = 32),"
    "  log_idx INTEGER NOT NULL REFERENCES log_entries(idx)) WITHOUT ROWID;"
    "CREATE TABLE kv("
    "  module BLOB NOT NULL REFERENCES modules(id),"
    "  key BLOB NOT NULL,"
    "  value BLOB NOT NULL,"
    "  PRIMARY KEY (module, key)) WITHOUT ROWID;"
    "CREATE TABLE pending("
    "  seq INTEGER PRIMARY KEY,"
    "  id BLOB NOT NULL UNIQUE CHECK (length(id) = 32),"
    "  bytes BLOB NOT NULL CHECK (typeof(bytes) = 'blob'),"
    "  received INTEGER NOT NULL);"
    "CREATE TABLE pending_waits("
    "  want BLOB NOT NULL CHECK (length(want) = 32),"
    "  pending BLOB NOT NULL REFERENCES pending(id) ON DELETE CASCADE,"
    "  kind INTEGER NOT NULL CHECK (kind IN (1, 2))," /* 1 a parent, 2 a module */
    "  PRIMARY KEY (want, pending)) WITHOUT ROWID;"
    "CREATE INDEX pending_waits_pending ON pending_waits(pending);"
    "CREATE TABLE ledger_balances("
    "  account BLOB PRIMARY KEY CHECK (length(account) BETWEEN 1 AND 65),"
    "  balance INTEGER NOT NULL CHECK (balance >= 0)) WITHOUT ROWID;"
    "CREATE TABLE ledger_transfers("
    "  seq INTEGER PRIMARY KEY,"
    "  src BLOB NOT NULL,"
    "  dst BLOB NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount >= 0));"
    "CREATE TABLE ledger_nonces("
    "  author BLOB NOT NULL,"
    "  nonce BLOB NOT NULL,"
    "  PRIMARY KEY (author, nonce)) WITHOUT ROWID;"
    /* immutable */
    "CREATE TRIGGER capsules_no_update BEFORE UPDATE ON capsules"
    "  BEGIN SELECT RAISE(ABORT, 'capsules are immutable'); END;"
    "CREATE TRIGGER capsules_no_delete BEFORE DELETE ON capsules"
    "  BEGIN SELECT RAISE(ABORT, 'capsules are immutable'); END;"
    "CREATE TRIGGER edges_no_update BEFORE UPDATE ON edges"
    "  BEGIN SELECT RAISE(ABORT, 'edges are immutable'); END;"
    "CREATE TRIGGER edges_no_delete BEFORE DELETE ON edges"
    "  BEGIN SELECT RAISE(ABORT, 'edges are immutable'); END;"
    "CREATE TRIGGER results_no_update BEFORE UPDATE ON results"
    "  BEGIN SELECT RAISE(ABORT, 'results are immutable'); END;"
    "CREATE TRIGGER results_no_delete BEFORE DELETE ON results"
    "  BEGIN SELECT RAISE(ABORT, 'results are immutable'); END;"
    "CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers"
    "  BEGIN SELECT RAISE(ABORT, 'ledger_transfers is append-only'); END;"
    "CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers"
    "  BEGIN SELECT RAISE(ABORT, 'ledger_transfers is append-only'); END;"
    "CREATE TRIGGER modules_no_delete BEFORE DELETE ON modules"
    "  BEGIN SELECT RAISE(ABORT, 'modules are never deleted (destroy is a state)'); END;"
    "CREATE TRIGGER modules_code_fixed BEFORE UPDATE OF id, code ON modules"
    "  BEGIN SELECT RAISE(ABORT, 'a module''s code cannot change'); END;";

/*
 * 3: the quarantine mark (quarantine.c). One row at most: a store that
 * failed its integrity check (kapsule log verify, or the cheap check on
 * opening for writing) holds it, and every write transaction is refused
 * while it is there (db.c, store_begin), until a check passes again or a
 * writer is forced. It is mutable on purpose: lifting it is the repair.
 */
static const char quarantine_v3[] =
    "CREATE TABLE quarantine("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  code INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  since INTEGER NOT NULL,"
    "  log_size INTEGER NOT NULL CHECK (log_size >= 0));";

const store_migration store_migrations[] = {
    {"audit log", log_v1},
    {"capsules, modules, results, child storage, ledger", store_v2},
    {"quarantine mark", quarantine_v3},
};
const size_t store_migration_count = sizeof store_migrations / sizeof store_migrations[0];
