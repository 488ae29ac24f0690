/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * db.h - re6st-registry's SQLite state and the prefix allocator.
 *
 * Durability: the database runs in WAL mode with synchronous=FULL, so a
 * transaction is on disk (WAL fsynced) before COMMIT returns: nothing the
 * registry answered is lost on kill -9 or on power loss, and nothing is
 * issued twice (issuing and answering happen after the commit).  Every
 * change is made inside db_begin()/db_commit().
 *
 * The prefix tree is the original re6stnet's: table "cert" holds one row per
 * leaf of a binary tree over the bits after the network prefix, as '0'/'1'
 * strings; a row with cert NULL is free, 'reserved' is never handed out,
 * anything else is the armoured certificate of the node owning the prefix.
 * The leaves always cover the whole network exactly.
 *
 * The functions are not thread-safe: the caller serialises access to one
 * sqlite3 handle.
 */
#ifndef RE6ST_REGISTRY_DB_H
#define RE6ST_REGISTRY_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "community.h"
#include "macro.h"

/* Statement helpers: every SQLite failure becomes -EIO unless said otherwise. */
static inline void db_stmt_finalizep(sqlite3_stmt **s)
{
	sqlite3_finalize(*s); /* NULL is a no-op */
}
#define _cleanup_stmt_ _cleanup_(db_stmt_finalizep)

/* Compile sql. */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret);
/* Compile sql and bind ?1 to text (not copied: it must outlive the statement). */
int db_prepare_text(sqlite3 *db, const char *sql, const char *text, sqlite3_stmt **ret);
/* Compile sql and bind ?1 to v. */
int db_prepare_int64(sqlite3 *db, const char *sql, int64_t v, sqlite3_stmt **ret);
/*
 * Step s: 1 when a row is ready, 0 when the statement is done, -EEXIST on a
 * constraint violation (duplicate key), -EIO on other errors.
 */
int db_step(sqlite3_stmt *s);
/* Run a statement without result rows, with ?1 bound to text or v. */
int db_exec_text(sqlite3 *db, const char *sql, const char *text);
int db_exec_int64(sqlite3 *db, const char *sql, int64_t v);

/* Open/create the database at path and its schema. -errno (-EIO for SQLite errors). */
int db_open(const char *path, sqlite3 **ret);
void db_close(sqlite3 *db);

int db_begin(sqlite3 *db);    /* BEGIN IMMEDIATE */
int db_commit(sqlite3 *db);
void db_rollback(sqlite3 *db);

/* Configuration values; -ENOENT when absent. */
int db_config_get_int(sqlite3 *db, const char *name, int64_t *ret);
int db_config_set_int(sqlite3 *db, const char *name, int64_t value);
int db_config_get_blob(sqlite3 *db, const char *name, uint8_t **ret, size_t *ret_len);
int db_config_set_blob(sqlite3 *db, const char *name, const void *value, size_t len);
int db_config_delete(sqlite3 *db, const char *name);

/*
 * Make sure the tree exists and is compatible with the communities: none of
 * them may lie inside an allocated prefix.  -EINVAL with *ret_error set
 * ("prefix 0101 contains community 01010"), -EIO.
 */
int db_tree_init(sqlite3 *db, const struct community_map *m, char **ret_error);

/*
 * Allocate a free prefix of prefix_len bits inside community: the longest
 * free prefix there is split down to prefix_len, keeping the other halves
 * free.  The all-zero prefix of max_len bits is marked reserved and skipped.
 * The new leaf is still free (cert NULL): the caller fills it in the same
 * transaction.  -ENOSPC when the community is full, -EIO.
 */
int db_tree_alloc(sqlite3 *db, unsigned prefix_len, unsigned max_len, const char *community,
		  char ret[129]);

/* Mark prefix free again (clear its row) and merge free siblings. */
int db_tree_release(sqlite3 *db, const char *prefix);

/* Merge free sibling leaves back into their parent, bottom up. */
int db_tree_merge(sqlite3 *db);

#endif
