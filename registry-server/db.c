/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "prom.h"


/*
 * Schema versions (PRAGMA user_version, docs/registry-api.md "State and
 * durability"). A file made before versions existed reads 0 and already
 * holds version 1's tables. migrate[v] brings version v to v + 1, in one
 * transaction with the new number; a file newer than DB_SCHEMA_VERSION is
 * refused, untouched.
 */
static const char *const migrate[DB_SCHEMA_VERSION] = {
	/* 0 -> 1: a new file, or one from before schema versions */
	"CREATE TABLE IF NOT EXISTS config ("
	"  name TEXT PRIMARY KEY NOT NULL, value);"
	"CREATE TABLE IF NOT EXISTS token ("
	"  token TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL,"
	"  prefix_len INTEGER NOT NULL, date INTEGER NOT NULL);"
	/* One row per leaf of the prefix tree; see db.h. */
	"CREATE TABLE IF NOT EXISTS cert ("
	"  prefix TEXT PRIMARY KEY NOT NULL, email TEXT, cert TEXT,"
	"  serial INTEGER, subject_serial INTEGER, sign_pk BLOB,"
	"  not_after INTEGER, location TEXT);"
	"CREATE UNIQUE INDEX IF NOT EXISTS cert_serial ON cert(serial);"
	"CREATE UNIQUE INDEX IF NOT EXISTS cert_subject_serial ON cert(subject_serial);"
	"CREATE INDEX IF NOT EXISTS cert_sign_pk ON cert(sign_pk);"
	"CREATE INDEX IF NOT EXISTS cert_email ON cert(email);"
	/* Revoked serials with the expiry of the revoked certificate. */
	"CREATE TABLE IF NOT EXISTS crl ("
	"  serial INTEGER PRIMARY KEY NOT NULL, date INTEGER NOT NULL,"
	"  prefix TEXT);"
	/* Nonces of signed requests seen, until their timestamp window ends. */
	"CREATE TABLE IF NOT EXISTS nonce ("
	"  nonce BLOB PRIMARY KEY NOT NULL, expires INTEGER NOT NULL);",
};

/* Endpoints announced by nodes; soft state, rebuilt by heartbeats. */
static const char temp_schema[] =
	"CREATE TEMP TABLE IF NOT EXISTS peer ("
	"  prefix TEXT PRIMARY KEY NOT NULL, endpoints TEXT NOT NULL,"
	"  seen INTEGER NOT NULL);";

static const double db_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
				     0.025,  0.05,    0.1,    0.25,  1,      5 };

struct db {
	pthread_mutex_t lock;
	sqlite3 *h;
	/* [0]: db_read, [1]: db_tx; under the lock */
	struct prom_hist wait[2], held[2];
};

struct db_tx {
	sqlite3 *h;
};

static int exec(sqlite3 *h, const char *sql)
{
	return sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int db_exec(struct db_tx *tx, const char *sql)
{
	return exec(tx->h, sql);
}

int db_changes(struct db_tx *tx)
{
	return sqlite3_changes(tx->h);
}

/* The file, and the -wal and -shm SQLite creates with its mode, readable by us only. */
static int create_private(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return negative_errno();
	if (fchmod(fd, 0600) < 0)
		return negative_errno();
	return 0;
}

static void chmod_private(const char *path, const char *suffix)
{
	_cleanup_free_ char *p = NULL;

	if (asprintf(&p, "%s%s", path, suffix) >= 0)
		(void)chmod(p, 0600); /* absent until first used: created 0600 then */
}

static int schema_upgrade(sqlite3 *h)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v < 0)
		return -EIO;
	if (v > DB_SCHEMA_VERSION)
		return -EPROTONOSUPPORT;
	for (; v < DB_SCHEMA_VERSION; v++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; COMMIT;", v + 1);
		if (exec(h, "BEGIN IMMEDIATE;") < 0)
			return -EIO;
		if (exec(h, migrate[v]) < 0 || exec(h, sql) < 0) {
			exec(h, "ROLLBACK;");
			return -EIO;
		}
	}
	return 0;
}

int db_open(const char *path, struct db **ret)
{
	_cleanup_free_ struct db *d = NULL;
	sqlite3 *h = NULL;
	int r;

	if (strcmp(path, ":memory:") != 0) {
		r = create_private(path);
		if (r < 0)
			return r;
		chmod_private(path, "-wal");
		chmod_private(path, "-shm");
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				      SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK) {
		r = r == SQLITE_CANTOPEN ? -EACCES : -EIO;
		sqlite3_close(h);
		return r;
	}
	sqlite3_busy_timeout(h, 5000);
	if (exec(h, "PRAGMA journal_mode=WAL;") < 0 ||
	    exec(h, "PRAGMA synchronous=FULL;") < 0 ||
	    exec(h, "PRAGMA foreign_keys=ON;") < 0) {
		sqlite3_close(h);
		return -EIO;
	}
	r = schema_upgrade(h);
	if (r == 0 && exec(h, temp_schema) < 0)
		r = -EIO;
	if (r < 0) {
		sqlite3_close(h);
		return r;
	}
	pthread_mutex_init(&d->lock, NULL);
	for (int i = 0; i < 2; i++) {
		prom_hist_init(&d->wait[i], db_bounds, ARRAY_SIZE(db_bounds));
		prom_hist_init(&d->held[i], db_bounds, ARRAY_SIZE(db_bounds));
	}
	d->h = h;
	*ret = TAKE_PTR(d);
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

/* Under the lock: no statement may outlive the function that made it. */
static void check_no_statement(sqlite3 *h, const char *what)
{
	sqlite3_stmt *s = sqlite3_next_stmt(h, NULL);

	if (s) {
		log_error("%s: bug: statement '%s' still open at the end of its transaction", what,
			  sqlite3_sql(s));
		abort();
	}
}

static double seconds_since(const struct timespec *t0, struct timespec *ret_now)
{
	clock_gettime(CLOCK_MONOTONIC, ret_now);
	return (double)(ret_now->tv_sec - t0->tv_sec) + (ret_now->tv_nsec - t0->tv_nsec) / 1e9;
}

static int run(struct db *db, const char *what, bool tx, db_fn *fn, void *arg)
{
	struct db_tx t = { .h = db->h };
	struct timespec t0, t1, t2;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&db->lock);
	prom_hist_observe(&db->wait[tx], seconds_since(&t0, &t1));
	r = tx ? exec(db->h, "BEGIN IMMEDIATE") : 0;
	if (r == 0)
		r = fn(&t, arg);
	check_no_statement(db->h, what);
	if (r == -EIO)
		log_error("%s: database error: %s", what, sqlite3_errmsg(db->h));
	if (tx && r == 0 && exec(db->h, "COMMIT") < 0) {
		log_error("%s: database commit failed: %s", what, sqlite3_errmsg(db->h));
		r = -EIO;
	}
	if (!sqlite3_get_autocommit(db->h))
		(void)exec(db->h, "ROLLBACK");
	prom_hist_observe(&db->held[tx], seconds_since(&t1, &t2));
	pthread_mutex_unlock(&db->lock);
	return r;
}

void db_metrics_write(struct db *db, struct prom_buf *b)
{
	static const struct prom_label kind[2][1] = { { { "kind", "read" } }, { { "kind", "tx" } } };

	pthread_mutex_lock(&db->lock);
	prom_family(b, "re6st_registry_db_lock_wait_seconds", PROM_HISTOGRAM,
		    "Time waiting for the database lock, by kind (tx: a transaction, read: without).");
	for (int i = 0; i < 2; i++)
		prom_hist_write(b, "re6st_registry_db_lock_wait_seconds", kind[i], 1, &db->wait[i]);
	prom_family(b, "re6st_registry_db_seconds", PROM_HISTOGRAM,
		    "Time holding the database lock (BEGIN to COMMIT for tx), by kind.");
	for (int i = 0; i < 2; i++)
		prom_hist_write(b, "re6st_registry_db_seconds", kind[i], 1, &db->held[i]);
	pthread_mutex_unlock(&db->lock);
}

int db_tx(struct db *db, const char *what, db_fn *fn, void *arg)
{
	return run(db, what, true, fn, arg);
}

int db_read(struct db *db, const char *what, db_fn *fn, void *arg)
{
	return run(db, what, false, fn, arg);
}

int db_prepare(struct db_tx *tx, const char *sql, sqlite3_stmt **ret)
{
	return sqlite3_prepare_v2(tx->h, sql, -1, ret, NULL) == SQLITE_OK ? 0 : -EIO;
}

int db_prepare_text(struct db_tx *tx, const char *sql, const char *text, sqlite3_stmt **ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(tx, sql, &s) < 0 || sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC) != SQLITE_OK)
		return -EIO;
	*ret = TAKE_PTR(s);
	return 0;
}

int db_prepare_int64(struct db_tx *tx, const char *sql, int64_t v, sqlite3_stmt **ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(tx, sql, &s) < 0 || sqlite3_bind_int64(s, 1, v) != SQLITE_OK)
		return -EIO;
	*ret = TAKE_PTR(s);
	return 0;
}

int db_step(sqlite3_stmt *s)
{
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	default:
		return -EIO;
	}
}

static int exec_stmt(sqlite3_stmt *s)
{
	return sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
}

int db_exec_text(struct db_tx *tx, const char *sql, const char *text)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = db_prepare_text(tx, sql, text, &s);

	return r < 0 ? r : exec_stmt(s);
}

int db_exec_int64(struct db_tx *tx, const char *sql, int64_t v)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = db_prepare_int64(tx, sql, v, &s);

	return r < 0 ? r : exec_stmt(s);
}

/* The statement positioned on the row of name, whose value is not NULL; -ENOENT. */
static int config_lookup(struct db_tx *tx, const char *name, sqlite3_stmt **ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = db_prepare_text(tx, "SELECT value FROM config WHERE name=?", name, &s);

	if (r < 0)
		return r;
	r = db_step(s);
	if (r < 0)
		return -EIO;
	if (r == 0 || sqlite3_column_type(s, 0) == SQLITE_NULL)
		return -ENOENT;
	*ret = TAKE_PTR(s);
	return 0;
}

int db_config_get_int(struct db_tx *tx, const char *name, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r = config_lookup(tx, name, &s);

	if (r < 0)
		return r;
	*ret = sqlite3_column_int64(s, 0);
	return 0;
}

int db_config_set_int(struct db_tx *tx, const char *name, int64_t value)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(tx, "INSERT OR REPLACE INTO config VALUES (?, ?)", &s) < 0)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, value);
	return sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
}

int db_config_get_blob(struct db_tx *tx, const char *name, uint8_t **ret, size_t *ret_len)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	uint8_t *p;
	int r = config_lookup(tx, name, &s), n;

	if (r < 0)
		return r;
	n = sqlite3_column_bytes(s, 0);
	p = malloc((size_t)n + 1);
	if (!p)
		return -ENOMEM;
	if (n)
		memcpy(p, sqlite3_column_blob(s, 0), (size_t)n);
	p[n] = 0;
	*ret = p;
	*ret_len = (size_t)n;
	return 0;
}

int db_config_set_blob(struct db_tx *tx, const char *name, const void *value, size_t len)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(tx, "INSERT OR REPLACE INTO config VALUES (?, ?)", &s) < 0)
		return -EIO;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, len ? value : "", (int)len, SQLITE_TRANSIENT);
	return sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
}

int db_config_delete(struct db_tx *tx, const char *name)
{
	return db_exec_text(tx, "DELETE FROM config WHERE name=?", name);
}

/* The leaf whose prefix is a prefix of bits (there is exactly one). */
static int leaf_containing(struct db_tx *tx, const char *bits, char ret[129], bool *ret_free)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (db_prepare_text(tx, "SELECT prefix, cert IS NULL FROM cert"
			     " WHERE substr(?1, 1, length(prefix)) = prefix", bits, &s) < 0)
		return -EIO;
	r = db_step(s);
	if (r == 0)
		return -ENOENT;
	if (r < 0)
		return -EIO;
	snprintf(ret, 129, "%s", (const char *)sqlite3_column_text(s, 0));
	*ret_free = sqlite3_column_int(s, 1);
	return 0;
}

int db_tree_init(struct db_tx *tx, const struct community_map *m, char **ret_error)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	int r;

	if (db_prepare(tx, "SELECT 1 FROM cert LIMIT 1", &s) < 0)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_DONE) {
		if (db_exec(tx, "INSERT INTO cert (prefix) VALUES ('')") < 0)
			return -EIO;
	} else if (r != SQLITE_ROW)
		return -EIO;

	for (size_t i = 0; i < m->n; i++) {
		char leaf[129];
		bool is_free;

		r = leaf_containing(tx, m->c[i].prefix, leaf, &is_free);
		if (r == -ENOENT)
			continue; /* community already split into several leaves */
		if (r < 0)
			return r;
		if (!is_free) {
			if (asprintf(ret_error, "prefix %s contains community %s", leaf,
				     m->c[i].prefix) < 0)
				*ret_error = NULL;
			return -EINVAL;
		}
	}
	return 0;
}

static int set_prefix(struct db_tx *tx, const char *old, const char *new)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	if (db_prepare(tx, "UPDATE cert SET prefix=?2 WHERE prefix=?1", &s) < 0)
		return -EIO;
	sqlite3_bind_text(s, 1, old, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, new, -1, SQLITE_STATIC);
	return sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(tx->h) == 1 ? 0 : -EIO;
}

static int insert_free(struct db_tx *tx, const char *prefix)
{
	return db_exec_text(tx, "INSERT INTO cert (prefix) VALUES (?)", prefix);
}

static int longest_free(struct db_tx *tx, const char *community, unsigned prefix_len, char ret[129])
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;
	_cleanup_free_ char *upper = NULL;
	int r;

	if (asprintf(&upper, "%s2", community) < 0)
		return -ENOMEM;
	if (db_prepare(tx, "SELECT prefix FROM cert WHERE prefix >= ?1 AND prefix < ?2"
			" AND length(prefix) <= ?3 AND cert IS NULL"
			" ORDER BY length(prefix) DESC, prefix LIMIT 1", &s) < 0)
		return -EIO;
	sqlite3_bind_text(s, 1, community, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, upper, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (int)prefix_len);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE)
		return -ENOENT;
	if (r != SQLITE_ROW)
		return -EIO;
	snprintf(ret, 129, "%s", (const char *)sqlite3_column_text(s, 0));
	return 0;
}

int db_tree_alloc(struct db_tx *tx, unsigned prefix_len, unsigned max_len, const char *community,
		  char ret[129])
{
	size_t clen = strlen(community);
	int r;

	if (prefix_len == 0 || prefix_len > max_len || prefix_len > 128 || clen > prefix_len)
		return -EINVAL;
	for (;;) {
		char prefix[129 + 1];
		bool is_free;
		size_t n;

		r = longest_free(tx, community, prefix_len, prefix);
		if (r == -ENOENT) {
			/* Community not split off yet: start from the leaf holding it. */
			r = leaf_containing(tx, community, prefix, &is_free);
			if (r == -ENOENT || (r == 0 && !is_free))
				return -ENOSPC;
		}
		if (r < 0)
			return r;
		for (n = strlen(prefix); n < prefix_len; n++) {
			char bit = n < clen ? community[n] : '0';
			char other[130];

			snprintf(other, sizeof(other), "%s%c", prefix, bit == '0' ? '1' : '0');
			r = set_prefix(tx, prefix, other);
			if (r < 0)
				return r;
			prefix[n] = bit;
			prefix[n + 1] = '\0';
			r = insert_free(tx, prefix);
			if (r < 0)
				return r;
		}
		if (n < max_len || strchr(prefix, '1')) {
			memcpy(ret, prefix, n + 1);
			return 0;
		}
		r = db_exec_text(tx, "UPDATE cert SET cert='reserved' WHERE prefix=?", prefix);
		if (r < 0)
			return r;
	}
}

int db_tree_merge(struct db_tx *tx)
{
	int max_len = 129;

	for (;;) {
		_cleanup_stmt_ sqlite3_stmt *s = NULL, *l = NULL;
		char prev[129] = "";
		bool have_prev = false;
		int r;

		if (db_prepare(tx, "SELECT max(length(prefix)) FROM cert"
				" WHERE cert IS NULL AND length(prefix) < ?", &s) < 0)
			return -EIO;
		sqlite3_bind_int(s, 1, max_len);
		if (sqlite3_step(s) != SQLITE_ROW)
			return -EIO;
		if (sqlite3_column_type(s, 0) == SQLITE_NULL || sqlite3_column_int(s, 0) == 0)
			return 0;
		max_len = sqlite3_column_int(s, 0);

		if (db_prepare(tx, "SELECT prefix FROM cert WHERE cert IS NULL"
				" AND length(prefix) = ? ORDER BY prefix", &l) < 0)
			return -EIO;
		sqlite3_bind_int(l, 1, max_len);
		/* Collect first: the loop modifies the table. */
		size_t n = 0, cap = 0;
		_cleanup_free_ char (*list)[129] = NULL;
		while ((r = sqlite3_step(l)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				char (*nl)[129] = realloc(list, cap * sizeof(*list));
				if (!nl)
					return -ENOMEM;
				list = nl;
			}
			snprintf(list[n++], 129, "%s", (const char *)sqlite3_column_text(l, 0));
		}
		if (r != SQLITE_DONE)
			return -EIO;
		for (size_t i = 0; i < n; i++) {
			const char *p = list[i];
			size_t pl = strlen(p);

			if (have_prev && memcmp(prev, p, pl - 1) == 0) {
				char parent[129];

				memcpy(parent, p, pl - 1);
				parent[pl - 1] = '\0';
				r = set_prefix(tx, prev, parent);
				if (r < 0)
					return r;
				r = db_exec_text(tx, "DELETE FROM cert WHERE prefix=?", p);
				if (r < 0)
					return r;
				have_prev = false;
			} else {
				memcpy(prev, p, pl + 1);
				have_prev = true;
			}
		}
	}
}

int db_tree_release(struct db_tx *tx, const char *prefix)
{
	int r = db_exec_text(tx, "UPDATE cert SET email=NULL, cert=NULL, serial=NULL,"
				 " subject_serial=NULL, sign_pk=NULL, not_after=NULL, location=NULL"
				 " WHERE prefix=?", prefix);
	if (r < 0)
		return r;
	return db_tree_merge(tx);
}
