/*
 * kapsule_errors.h: the one table of kapsule's stable status codes.
 *
 * X(enum name, number, "E_NAME", exit status, "what it means").
 * Numbers are never renumbered and never reused; a retired code keeps its
 * line with "retired" in its text. Exit statuses follow DESIGN.md: 1 the
 * thing checked is invalid or rejected, 2 usage error, 3 environment error.
 *
 *   1..99     generic
 *   100..299  the WebAssembly engine: see KW_STATUS_LIST in kapsule_wasm.h
 *             (the same numbers and names; all exit 1 except E_NOMEM)
 *   300..399  CBOR            400..499  crypto and signatures
 *   500..599  capsules, keys, age encryption
 *   600..699  host interface, policy, capabilities
 *   700..799  store           800..899  audit log
 *   900..999  runtime: ingest, receipts, replay, services
 *
 * The error table is printed by `kapsule errors`.
 */
#ifndef KAPSULE_ERRORS_H
#define KAPSULE_ERRORS_H

#define KP_STATUS_LIST(X)                                                              \
    X(KP_OK, 0, "OK", 0, "success")                                                    \
    /* ---- generic 1..99 ---- */                                                      \
    X(KP_E_NOMEM, 1, "E_NOMEM", 3, "out of memory")                                    \
    X(KP_E_IO, 2, "E_IO", 3, "input/output error")                                     \
    X(KP_E_USAGE, 3, "E_USAGE", 2, "usage error")                                      \
    X(KP_E_INTERNAL, 4, "E_INTERNAL", 3, "internal error")                             \
    X(KP_E_NOT_FOUND, 5, "E_NOT_FOUND", 1, "no such item")                             \
    X(KP_E_EXISTS, 6, "E_EXISTS", 1, "already exists")                                 \
    X(KP_E_TRUNCATED, 7, "E_TRUNCATED", 1, "input ends early")                         \
    X(KP_E_LIMIT, 8, "E_LIMIT", 1, "input exceeds a size limit")                       \
    X(KP_E_DISK_FULL, 9, "E_DISK_FULL", 3, "no space left on device")                  \
    X(KP_E_ARG, 10, "E_ARG", 2, "invalid argument")                                    \
    X(KP_E_NO_FILE, 11, "E_NO_FILE", 3, "file not found")                              \
    X(KP_E_PERMISSION, 12, "E_PERMISSION", 3, "permission denied")                     \
    X(KP_E_JSON, 13, "E_JSON", 1, "malformed JSON")                                    \
    /* ---- CBOR 300..399 ---- */                                                     \
    X(KP_E_CBOR_NONCANONICAL, 300, "E_CBOR_NONCANONICAL", 1,                           \
      "CBOR integer, length or tag not in its shortest form")                          \
    X(KP_E_CBOR_INDEFINITE, 301, "E_CBOR_INDEFINITE", 1, "CBOR indefinite length")     \
    X(KP_E_CBOR_UNSORTED_KEYS, 302, "E_CBOR_UNSORTED_KEYS", 1,                         \
      "CBOR map keys not in canonical order")                                          \
    X(KP_E_CBOR_DUPLICATE_KEY, 303, "E_CBOR_DUPLICATE_KEY", 1, "CBOR map key repeated") \
    X(KP_E_CBOR_FLOAT, 304, "E_CBOR_FLOAT", 1, "CBOR floating-point value")            \
    X(KP_E_CBOR_TRAILING, 305, "E_CBOR_TRAILING", 1, "bytes after the CBOR item")      \
    X(KP_E_CBOR_DEPTH, 306, "E_CBOR_DEPTH", 1, "CBOR nested too deeply")               \
    X(KP_E_CBOR_UTF8, 307, "E_CBOR_UTF8", 1, "CBOR text string is not valid UTF-8")    \
    X(KP_E_CBOR_TYPE, 308, "E_CBOR_TYPE", 1, "CBOR item of the wrong type")            \
    X(KP_E_CBOR_MALFORMED, 309, "E_CBOR_MALFORMED", 1, "malformed CBOR")               \
    X(KP_E_CBOR_SIMPLE, 310, "E_CBOR_SIMPLE", 1,                                       \
      "CBOR simple value other than false, true, null")                                \
    X(KP_E_CBOR_MISSING, 311, "E_CBOR_MISSING", 1, "required CBOR map key missing")    \
    X(KP_E_CBOR_RANGE, 312, "E_CBOR_RANGE", 1, "CBOR integer out of range")            \
                                                                                       \
    /* ---- crypto and signatures 400..499 ---- */                                    \
    X(KP_E_SIG_INVALID, 400, "E_SIG_INVALID", 1, "signature does not verify")          \
    X(KP_E_SIG_HIGH_S, 401, "E_SIG_HIGH_S", 1, "ECDSA signature is not low-S")         \
    X(KP_E_SIG_NONCANONICAL, 402, "E_SIG_NONCANONICAL", 1,                             \
      "signature is not in canonical form (Ed25519 S not below the group order)")      \
    X(KP_E_SIG_MALFORMED, 403, "E_SIG_MALFORMED", 1,                                   \
      "signature has the wrong length, bad DER or a value out of range")               \
    X(KP_E_SIG_ALG, 404, "E_SIG_ALG", 1, "unknown or unsupported signature algorithm") \
    X(KP_E_KEY_INVALID, 405, "E_KEY_INVALID", 1,                                       \
      "key is malformed, not canonical, not on the curve or of small order")           \
    X(KP_E_KEY_WEAK, 406, "E_KEY_WEAK", 1, "X25519 exchange gave the all-zero secret") \
    X(KP_E_DECRYPT, 407, "E_DECRYPT", 1, "authenticated decryption failed")            \
    X(KP_E_CRYPTO, 408, "E_CRYPTO", 3, "the crypto library failed")                    \
    /* ---- capsules, keys, age 500..599 ---- */                                      \
    /* 500..519 age encryption, 520..549 the key store, 550..599 capsules */          \
    X(KP_E_AGE_HEADER, 500, "E_AGE_HEADER", 1, "malformed age header")                 \
    X(KP_E_AGE_VERSION, 501, "E_AGE_VERSION", 1, "unsupported age format version")     \
    X(KP_E_AGE_MAC, 502, "E_AGE_MAC", 1, "age header MAC does not verify")             \
    X(KP_E_AGE_PAYLOAD, 503, "E_AGE_PAYLOAD", 1,                                       \
      "age payload is damaged, truncated or has trailing data")                        \
    X(KP_E_NOT_RECIPIENT, 504, "E_NOT_RECIPIENT", 1, "not encrypted to this key")      \
    X(KP_E_AGE_KEY, 505, "E_AGE_KEY", 1, "malformed age recipient or identity string") \
    X(KP_E_AGE_ARMOR, 506, "E_AGE_ARMOR", 1, "malformed age ASCII armor")              \
    X(KP_E_AGE_WORK, 507, "E_AGE_WORK", 1,                                             \
      "decrypting would try more recipient stanzas x local keys than allowed")         \
    X(KP_E_KEY_NAME, 520, "E_KEY_NAME", 2, "invalid key name")                         \
    X(KP_E_KEY_FILE, 521, "E_KEY_FILE", 1, "malformed or inconsistent key file")       \
    X(KP_E_KEY_PERMISSIONS, 522, "E_KEY_PERMISSIONS", 3,                               \
      "secret key file is accessible to other users")                                  \
    X(KP_E_KEY_NO_SIGN, 523, "E_KEY_NO_SIGN", 1, "key is receive-only and cannot sign")\
    X(KP_E_CAPSULE_FORMAT, 550, "E_CAPSULE_FORMAT", 1,                                 \
      "not a capsule: malformed COSE_Sign1 envelope")                                  \
    X(KP_E_CAPSULE_VERSION, 551, "E_CAPSULE_VERSION", 1,                               \
      "unsupported capsule format version")                                            \
    X(KP_E_CAPSULE_FIELD, 552, "E_CAPSULE_FIELD", 1,                                   \
      "capsule field missing, unknown or invalid")                                     \
    X(KP_E_CAPSULE_ALG, 553, "E_CAPSULE_ALG", 1,                                       \
      "capsule signature algorithm unsupported or not the author key's")               \
    X(KP_E_CAPSULE_LIMIT, 554, "E_CAPSULE_LIMIT", 1,                                   \
      "capsule exceeds a limit (size, body, parents, flags, caps)")                    \
    X(KP_E_CAPSULE_ID, 555, "E_CAPSULE_ID", 1,                                         \
      "malformed id: 64 lowercase hexadecimal digits expected")                        \
    /* ---- host, policy, capabilities 600..699 ---- */                               \
    /* 600..619 linking and host calls (traps unless marked: error value) */           \
    X(KP_E_CAP_NOT_GRANTED, 600, "E_CAP_NOT_GRANTED", 1,                               \
      "module imports a host function whose capability the policy does not grant")     \
    X(KP_E_HOST_UNKNOWN_IMPORT, 601, "E_HOST_UNKNOWN_IMPORT", 1,                       \
      "module imports something the host does not provide")                            \
    X(KP_E_HOST_IMPORT_TYPE, 602, "E_HOST_IMPORT_TYPE", 1,                             \
      "host function imported with the wrong type")                                    \
    X(KP_E_HOST_BAD_POINTER, 603, "E_HOST_BAD_POINTER", 1,                             \
      "guest pointer or length outside its linear memory")                             \
    X(KP_E_HOST_BAD_ARG, 604, "E_HOST_BAD_ARG", 1,                                     \
      "invalid argument to a host call")                                               \
    X(KP_E_HOST_LIMIT, 605, "E_HOST_LIMIT", 1,                                         \
      "host call exceeds a size or count limit")                                       \
    X(KP_E_HOST_NO_ENTRY, 606, "E_HOST_NO_ENTRY", 1,                                   \
      "module exports no entry point of the expected type")                            \
    X(KP_E_HOST_EXIT, 607, "E_HOST_EXIT", 1,                                           \
      "guest called proc_exit (ends the run; not a failure by itself)")                \
    X(KP_E_HOST_RESULT_SET, 608, "E_HOST_RESULT_SET", 1,                               \
      "result or verdict already submitted (error value)")                             \
    X(KP_E_HOST_INVOKE_DEPTH, 609, "E_HOST_INVOKE_DEPTH", 1,                           \
      "invoke nested too deeply")                                                      \
    X(KP_E_HOST_CALLEE_TRAP, 610, "E_HOST_CALLEE_TRAP", 1,                             \
      "invoked module trapped or failed to link (error value)")                        \
    X(KP_E_HOST_REPLAY_DIVERGED, 611, "E_HOST_REPLAY_DIVERGED", 1,                     \
      "replayed run made a host call that differs from the transcript")                \
    X(KP_E_HOST_TRANSCRIPT, 612, "E_HOST_TRANSCRIPT", 1,                               \
      "malformed transcript")                                                          \
    X(KP_E_HOST_NO_BACKEND, 613, "E_HOST_NO_BACKEND", 3,                               \
      "no storage, ledger, DAG or module registry configured for this call")           \
    X(KP_E_HOST_MODULE_STATE, 614, "E_HOST_MODULE_STATE", 1,                           \
      "module is destroyed or superseded (error value)")                               \
    /* 620..639 policy files */                                                        \
    X(KP_E_POLICY_SYNTAX, 620, "E_POLICY_SYNTAX", 1,                                   \
      "policy is not valid JSON")                                                      \
    X(KP_E_POLICY_FIELD, 621, "E_POLICY_FIELD", 1,                                     \
      "policy field missing, unknown or of the wrong type or value")                   \
    X(KP_E_POLICY_UNKNOWN_CAP, 622, "E_POLICY_UNKNOWN_CAP", 1,                         \
      "policy names an unknown capability")                                            \
    X(KP_E_POLICY_VERSION, 623, "E_POLICY_VERSION", 1,                                 \
      "unsupported policy version")                                                    \
    /* 640..659 capability handles and signed requests */                              \
    X(KP_E_CAP_FORGED, 640, "E_CAP_FORGED", 1,                                         \
      "capability handle was never issued to this instance")                           \
    X(KP_E_CAP_STALE, 641, "E_CAP_STALE", 1,                                           \
      "capability handle was consumed, moved or dropped")                              \
    X(KP_E_CAP_DOUBLE_DROP, 642, "E_CAP_DOUBLE_DROP", 1,                               \
      "capability handle dropped twice")                                               \
    X(KP_E_CAP_EXHAUSTED, 643, "E_CAP_EXHAUSTED", 1,                                   \
      "amount larger than the capability handle carries")                              \
    X(KP_E_CAP_WRONG_KIND, 644, "E_CAP_WRONG_KIND", 1,                                 \
      "capability handle of the wrong kind for this call")                             \
    X(KP_E_CAP_TABLE_FULL, 645, "E_CAP_TABLE_FULL", 1,                                 \
      "too many capability handles in one instance")                                   \
    X(KP_E_CAP_REQUEST_MALFORMED, 650, "E_CAP_REQUEST_MALFORMED", 1,                   \
      "malformed signed capability request")                                           \
    X(KP_E_CAP_REQUEST_SIG, 651, "E_CAP_REQUEST_SIG", 1,                               \
      "capability request signature does not verify with the author's key")            \
    X(KP_E_CAP_REQUEST_MODULE, 652, "E_CAP_REQUEST_MODULE", 1,                         \
      "capability request is for another module")                                      \
    X(KP_E_CAP_REQUEST_REPLAYED, 653, "E_CAP_REQUEST_REPLAYED", 1,                     \
      "capability request already used (double spend)")                                \
    X(KP_E_CAP_REQUEST_DENIED, 654, "E_CAP_REQUEST_DENIED", 1,                         \
      "capability request not allowed (kind, owner or grant)")                         \
    /* 660..669 ledger */                                                              \
    X(KP_E_LEDGER_OVERDRAFT, 660, "E_LEDGER_OVERDRAFT", 1,                             \
      "ledger transfer larger than the balance (error value)")                         \
    X(KP_E_LEDGER_ACCOUNT, 661, "E_LEDGER_ACCOUNT", 1,                                 \
      "malformed ledger account")                                                      \
                                                                                       \
    /* ---- store 700..799 ---- */                                                    \
    X(KP_E_STORE_MISSING, 700, "E_STORE_MISSING", 3,                                   \
      "no store in this folder (its database is missing or empty)")                    \
    X(KP_E_STORE_TOO_NEW, 701, "E_STORE_TOO_NEW", 3,                                   \
      "store schema is newer than this program")                                       \
    X(KP_E_STORE_OLD, 702, "E_STORE_OLD", 3,                                           \
      "store schema is older than this program (a command that writes upgrades it)")   \
    X(KP_E_STORE_FOREIGN, 703, "E_STORE_FOREIGN", 3, "not a kapsule store")            \
    X(KP_E_STORE_CORRUPT, 704, "E_STORE_CORRUPT", 3, "store database is damaged")      \
    X(KP_E_STORE_BUSY, 705, "E_STORE_BUSY", 3, "store is locked by another process")  \
    X(KP_E_STORE_READONLY, 706, "E_STORE_READONLY", 3, "store is open read-only")      \
    X(KP_E_STORE_IMMUTABLE, 707, "E_STORE_IMMUTABLE", 1,                               \
      "append-only rows cannot be changed, deleted or inserted out of order")          \
    X(KP_E_STORE_CONSTRAINT, 708, "E_STORE_CONSTRAINT", 1,                             \
      "a store constraint refused the change")                                         \
    X(KP_E_STORE_SQL, 709, "E_STORE_SQL", 3, "unexpected SQLite error")                \
    X(KP_E_STORE_MIGRATION, 710, "E_STORE_MIGRATION", 3, "a schema migration failed")  \
    X(KP_E_STORE_TX, 711, "E_STORE_TX", 3,                                             \
      "transaction misuse (none open, or one already open)")                           \
                                                                                       \
    /* ---- audit log 800..899 ---- */                                                \
    X(KP_E_LOG_RANGE, 800, "E_LOG_RANGE", 1, "log index or tree size out of range")    \
    X(KP_E_LOG_PROOF, 801, "E_LOG_PROOF", 1, "Merkle proof does not verify")           \
    X(KP_E_LOG_PROOF_LENGTH, 802, "E_LOG_PROOF_LENGTH", 1,                             \
      "Merkle proof has the wrong number of hashes")                                   \
    X(KP_E_LOG_TAMPERED, 803, "E_LOG_TAMPERED", 1,                                     \
      "stored log entries or nodes do not match their hashes")                         \
    X(KP_E_LOG_CHECKPOINT, 804, "E_LOG_CHECKPOINT", 1,                                 \
      "stored checkpoint does not match the log")                                      \
    X(KP_E_LOG_IDENTITY, 805, "E_LOG_IDENTITY", 1,                                     \
      "the log is bound to another origin or key")                                     \
    X(KP_E_NOTE_MALFORMED, 806, "E_NOTE_MALFORMED", 1, "malformed signed note")        \
    X(KP_E_NOTE_UNVERIFIED, 807, "E_NOTE_UNVERIFIED", 1,                               \
      "note has no signature by the given key")                                        \
    X(KP_E_NOTE_BAD_SIG, 808, "E_NOTE_BAD_SIG", 1, "note signature does not verify")   \
    X(KP_E_NOTE_VKEY, 809, "E_NOTE_VKEY", 1, "malformed note verifier key")            \
    X(KP_E_CHECKPOINT_MALFORMED, 810, "E_CHECKPOINT_MALFORMED", 1,                     \
      "malformed checkpoint body")                                                     \
                                                                                       \
    /* ---- runtime 900..999 ---- */                                                  \
    X(KP_E_INGEST_REJECTED, 900, "E_INGEST_REJECTED", 1,                               \
      "the capsule's logic module rejected it")                                        \
    X(KP_E_INGEST_TAMPERED, 901, "E_INGEST_TAMPERED", 1,                               \
      "a stored capsule, result or module does not match what vouches for it")         \
    X(KP_E_INGEST_STREAM, 902, "E_INGEST_STREAM", 1,                                   \
      "malformed capsule stream (not a sequence of COSE_Sign1 items)")                 \
    X(KP_E_INGEST_ENTRY, 903, "E_INGEST_ENTRY", 1,                                     \
      "malformed audit log entry")                                                     \
    X(KP_E_SNAPSHOT_FORMAT, 904, "E_SNAPSHOT_FORMAT", 1,                               \
      "malformed snapshot: a header field or record is missing, unknown or invalid")   \
    X(KP_E_SNAPSHOT_VERSION, 905, "E_SNAPSHOT_VERSION", 1,                             \
      "unsupported snapshot format version")                                           \
    X(KP_E_SNAPSHOT_TRUNCATED, 906, "E_SNAPSHOT_TRUNCATED", 1,                         \
      "snapshot ends before its last record")                                          \
    X(KP_E_SNAPSHOT_TRAILING, 907, "E_SNAPSHOT_TRAILING", 1,                           \
      "bytes after the snapshot's trailer")                                            \
    X(KP_E_SNAPSHOT_MODULE, 908, "E_SNAPSHOT_MODULE", 1,                               \
      "snapshot module whose code does not hash to its id")                            \
    X(KP_E_SNAPSHOT_DIGEST, 909, "E_SNAPSHOT_DIGEST", 1,                               \
      "snapshot bytes do not match the digest in its trailer")                         \
    X(KP_E_RELAY_RULES, 920, "E_RELAY_RULES", 1,                                       \
      "malformed relay rules (a field unknown, mistyped or needing the body)")         \
    X(KP_E_RELAY_REFUSED, 921, "E_RELAY_REFUSED", 1, "refused by the relay's rules")    \
    /* end of table */

#endif /* KAPSULE_ERRORS_H */
