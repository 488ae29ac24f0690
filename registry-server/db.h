/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * db.h - re6st-registry's SQLite state and the prefix allocator.
 *
 * Durability: the database runs in WAL mode with synchronous=FULL, so a
 * transaction is on disk (WAL fsynced) before COMMIT returns: nothing the
 * registry answered is lost on kill -9 or on power loss, and nothing is
 * issued twice (issuing and answering happen after the commit).  Every
 * change is made inside db_tx().
 *
 * The prefix tree is the original re6stnet's: table "cert" holds one row per
 * leaf of a binary tree over the bits after the network prefix, as '0'/'1'
 * strings; a row with cert NULL is free, 'reserved' is never handed out,
 * anything else is the armoured certificate of the node owning the prefix.
 * The leaves always cover the whole network exactly.
 *
 * Locking: the connection is opened SQLITE_OPEN_NOMUTEX and is used by
 * several HTTP threads, so every use must hold one lock from the first
 * prepare to the last finalize, and a transaction from BEGIN to COMMIT or
 * ROLLBACK (error message included).  The API makes that the only way:
 * struct db is opaque and the statement helpers take a struct db_tx, which
 * exists only while db_tx() or db_read() runs its function with the lock
 * held.  A statement still alive when that function returns is a bug:
 * db_tx()/db_read() abort() rather than let it run outside the lock.
 */
#ifndef RE6ST_REGISTRY_DB_H
#define RE6ST_REGISTRY_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "community.h"
#include "macro.h"

struct db;    /* a connection and its lock */
struct db_tx; /* the connection, valid only inside db_tx()/db_read() */

/* The schema version this build writes (PRAGMA user_version). */
#define DB_SCHEMA_VERSION 1

/*
 * Open/create the database at path and bring its schema to
 * DB_SCHEMA_VERSION (forward migrations, each in one transaction); the file
 * and its -wal and -shm are made 0600. -EPROTONOSUPPORT: the file's schema
 * is newer (a downgrade), the file is not touched; -errno (-EIO for SQLite
 * errors).
 */
int db_open(const char *path, struct db **ret);
void db_close(struct db *db);

/*
 * Run fn under the lock inside BEGIN IMMEDIATE .. COMMIT.  fn returns 0 to
 * commit, > 0 to roll back without error (a refusal: its value is
 * returned), -errno to roll back (returned; when COMMIT fails, -EIO).
 * SQLite's message for a failure is logged, tagged with what, before the
 * lock is released.
 */
typedef int db_fn(struct db_tx *tx, void *arg);
int db_tx(struct db *db, const char *what, db_fn *fn, void *arg);
/* Run fn under the lock without an explicit transaction (reads, one-statement writes). */
int db_read(struct db *db, const char *what, db_fn *fn, void *arg);

struct prom_buf;
/*
 * The latency histograms of db_tx() and db_read() (waiting for the lock;
 * holding it: the transaction), by kind "tx"/"read", as Prometheus text
 * (lib/prom.h).
 */
void db_metrics_write(struct db *db, struct prom_buf *b);

/* Statement helpers: every SQLite failure becomes -EIO unless said otherwise. */
static inline void db_stmt_finalizep(sqlite3_stmt **s)
{
	sqlite3_finalize(*s); /* NULL is a no-op */
}
#define _cleanup_stmt_ _cleanup_(db_stmt_finalizep)

/* Compile sql. */
int db_prepare(struct db_tx *tx, const char *sql, sqlite3_stmt **ret);
/* Compile sql and bind ?1 to text (not copied: it must outlive the statement). */
int db_prepare_text(struct db_tx *tx, const char *sql, const char *text, sqlite3_stmt **ret);
/* Compile sql and bind ?1 to v. */
int db_prepare_int64(struct db_tx *tx, const char *sql, int64_t v, sqlite3_stmt **ret);
/*
 * Step s: 1 when a row is ready, 0 when the statement is done, -EEXIST on a
 * constraint violation (duplicate key), -EIO on other errors.
 */
int db_step(sqlite3_stmt *s);
/* Run sql (no parameters, no rows). */
int db_exec(struct db_tx *tx, const char *sql);
/* Run a statement without result rows, with ?1 bound to text or v. */
int db_exec_text(struct db_tx *tx, const char *sql, const char *text);
int db_exec_int64(struct db_tx *tx, const char *sql, int64_t v);
/* Rows changed by the last statement. */
int db_changes(struct db_tx *tx);

/* Configuration values; -ENOENT when absent. */
int db_config_get_int(struct db_tx *tx, const char *name, int64_t *ret);
int db_config_set_int(struct db_tx *tx, const char *name, int64_t value);
int db_config_get_blob(struct db_tx *tx, const char *name, uint8_t **ret, size_t *ret_len);
int db_config_set_blob(struct db_tx *tx, const char *name, const void *value, size_t len);
int db_config_delete(struct db_tx *tx, const char *name);

/*
 * Make sure the tree exists and is compatible with the communities: none of
 * them may lie inside an allocated prefix.  -EINVAL with *ret_error set
 * ("prefix 0101 contains community 01010"), -EIO.
 */
int db_tree_init(struct db_tx *tx, const struct community_map *m, char **ret_error);

/*
 * Allocate a free prefix of prefix_len bits inside community: the longest
 * free prefix there is split down to prefix_len, keeping the other halves
 * free.  The all-zero prefix of max_len bits is marked reserved and skipped.
 * The new leaf is still free (cert NULL): the caller fills it in the same
 * transaction.  -ENOSPC when the community is full, -EIO.
 */
int db_tree_alloc(struct db_tx *tx, unsigned prefix_len, unsigned max_len, const char *community,
		  char ret[129]);

/* Mark prefix free again (clear its row) and merge free siblings. */
int db_tree_release(struct db_tx *tx, const char *prefix);

/* Merge free sibling leaves back into their parent, bottom up. */
int db_tree_merge(struct db_tx *tx);

#endif
