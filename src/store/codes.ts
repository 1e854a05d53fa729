/**
 * Stable error codes of the store, catalogued in docs/store.md. Kept in one place so callers can match on them.
 */
export const STORE_CODES = {
  /** The database file could not be opened, created or initialised (path in the message). */
  open: 'PH_STORE_OPEN',
  /** The database was written by a newer protohub (PRAGMA user_version above what this build knows). */
  schema: 'PH_STORE_SCHEMA',
  /** A batched transaction failed to commit; writes since the last commit are lost, their afterCommit callbacks never run. */
  commit: 'PH_STORE_COMMIT',
  /** A single write statement failed (disk full, I/O error…). */
  write: 'PH_STORE_WRITE',
  /** A read statement failed. */
  read: 'PH_STORE_READ',
  /** An online backup (SqliteStore.backup) failed. */
  backup: 'PH_STORE_BACKUP',
  /** A stored row could not be decoded; it is skipped. */
  corrupt: 'PH_STORE_CORRUPT',
  /** The store was used before open() or after close(). */
  closed: 'PH_STATE_STORE_CLOSED',
} as const;

export type StoreCode = (typeof STORE_CODES)[keyof typeof STORE_CODES];
