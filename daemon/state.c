/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sqlite3.h>
#include <stdio.h>

#include "state.h"

struct state {
	sqlite3 *db;
	char err[256];
};

/*
 * Schema versions (PRAGMA user_version, docs/daemon.md "State"). A file
 * made before versions existed reads 0 and already holds version 1's
 * tables. migrate[v] brings version v to v + 1, run in one transaction with
 * the new user_version, so a crash leaves either version. A file newer than
 * STATE_SCHEMA_VERSION is refused and left untouched (downgrade).
 */
static const char *const migrate[STATE_SCHEMA_VERSION] = {
	/* 0 -> 1: a new file, or one from before schema versions */
	"CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS peer (prefix TEXT PRIMARY KEY, endpoints TEXT,"
	"  last_seen INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS journal (type INTEGER NOT NULL, ifname TEXT NOT NULL,"
	"  data TEXT NOT NULL, created INTEGER NOT NULL,"
	"  PRIMARY KEY (type, ifname, data));",
};

static int fail(struct state *s, int rc)
{
	snprintf(s->err, sizeof(s->err), "%s", sqlite3_errmsg(s->db));
	return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

const char *state_last_error(const struct state *s)
{
	return s->err;
}

static int schema_upgrade(struct state *s)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc);
	rc = sqlite3_step(st);
	int v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (v < 0)
		return fail(s, rc);
	if (v > STATE_SCHEMA_VERSION) {
		snprintf(s->err, sizeof(s->err),
			 "schema version %d is newer than this re6stnet's (%d): not touched", v,
			 STATE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	for (; v < STATE_SCHEMA_VERSION; v++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; COMMIT;", v + 1);
		rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, migrate[v], NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			int r = fail(s, rc);
			sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
			return r;
		}
	}
	return 0;
}

int state_open(const char *path, struct state **ret)
{
	/*
	 * No bulk page-cache allocation per connection (20 pages, ~90 kB, made
	 * before any PRAGMA cache_size can apply): pages are allocated one by
	 * one, up to cache_size. A process-wide setting, effective only before
	 * SQLite initializes (the first open); later calls fail harmlessly.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int rc = sqlite3_open_v2(path, &s->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		int r = s->db ? fail(s, rc) : -ENOMEM;
		state_close(s);
		return r;
	}
	sqlite3_busy_timeout(s->db, 2000);
	/*
	 * Memory (docs/daemon.md, "Memory"): the database is a few pages, read
	 * rarely, and the OS caches the file anyway: 16 pages of cache (64 kB)
	 * instead of SQLite's 2 MB default. No memory-mapped I/O; temporary
	 * tables (ORDER BY random() of the peer cache) spill to a file beyond
	 * the cache.
	 */
	rc = sqlite3_exec(s->db,
			  "PRAGMA cache_size=16; PRAGMA mmap_size=0;"
			  " PRAGMA temp_store=FILE;"
			  " PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
			  NULL, NULL, NULL);
	int r = rc == SQLITE_OK ? schema_upgrade(s) : fail(s, rc);
	if (r < 0) {
		state_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void state_close(struct state *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s);
}

static int prepare(struct state *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);
	return rc == SQLITE_OK ? 0 : fail(s, rc);
}

/* Run a statement that returns no row; finalizes it. */
static int run(struct state *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_DONE ? 0 : fail(s, rc);
	sqlite3_finalize(st);
	return r;
}

int state_get_blob(struct state *s, const char *key, uint8_t **ret, size_t *ret_len)
{
	sqlite3_stmt *st;
	int r = prepare(s, "SELECT value FROM setting WHERE key = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const void *v = sqlite3_column_blob(st, 0);
		uint8_t *p = malloc(n + 1);
		if (!p) {
			r = -ENOMEM;
		} else {
			if (n)
				memcpy(p, v, n);
			p[n] = 0;
			*ret = p;
			*ret_len = n;
		}
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : fail(s, rc);
	}
	sqlite3_finalize(st);
	return r;
}

int state_set_blob(struct state *s, const char *key, const void *data, size_t len)
{
	sqlite3_stmt *st;
	int r = prepare(s, "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, len ? data : "", (int)len, SQLITE_STATIC);
	return run(s, st);
}

int state_get_u64(struct state *s, const char *key, uint64_t *ret)
{
	uint8_t *v;
	size_t n;
	int r = state_get_blob(s, key, &v, &n);
	if (r < 0)
		return r;
	if (n != 8) {
		free(v);
		return -EINVAL;
	}
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | v[i];
	free(v);
	*ret = x;
	return 0;
}

int state_set_u64(struct state *s, const char *key, uint64_t value)
{
	uint8_t v[8];
	for (int i = 7; i >= 0; i--, value >>= 8)
		v[i] = (uint8_t)value;
	return state_set_blob(s, key, v, sizeof(v));
}

int state_delete(struct state *s, const char *key)
{
	sqlite3_stmt *st;
	int r = prepare(s, "DELETE FROM setting WHERE key = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return run(s, st);
}

/* ---- peers ---- */

int state_peer_put(struct state *s, const struct re6st_prefix *prefix, const char *endpoints,
		   uint64_t last_seen)
{
	char p[PREFIX_STRLEN];
	sqlite3_stmt *st;
	prefix_format(prefix, p);
	int r = prepare(s,
			"INSERT INTO peer (prefix, endpoints, last_seen) VALUES (?1, ?2, ?3) "
			"ON CONFLICT(prefix) DO UPDATE SET "
			"endpoints = coalesce(?2, endpoints), last_seen = max(last_seen, ?3)",
			&st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, p, -1, SQLITE_TRANSIENT);
	if (endpoints)
		sqlite3_bind_text(st, 2, endpoints, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)last_seen);
	return run(s, st);
}

int state_peer_remove(struct state *s, const struct re6st_prefix *prefix)
{
	char p[PREFIX_STRLEN];
	sqlite3_stmt *st;
	prefix_format(prefix, p);
	int r = prepare(s, "DELETE FROM peer WHERE prefix = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, p, -1, SQLITE_TRANSIENT);
	return run(s, st);
}

static int read_peer(sqlite3_stmt *st, struct state_peer *ret)
{
	struct state_peer p = { 0 };
	const char *pfx = (const char *)sqlite3_column_text(st, 0);
	const char *ep = (const char *)sqlite3_column_text(st, 1);
	if (!pfx || prefix_parse(pfx, &p.prefix) < 0)
		return -EINVAL; /* skipped by callers */
	if (ep && !(p.endpoints = strdup(ep)))
		return -ENOMEM;
	p.last_seen = (uint64_t)sqlite3_column_int64(st, 2);
	*ret = p;
	return 0;
}

int state_peer_get(struct state *s, const struct re6st_prefix *prefix, struct state_peer *ret)
{
	char p[PREFIX_STRLEN];
	sqlite3_stmt *st;
	prefix_format(prefix, p);
	int r = prepare(s, "SELECT prefix, endpoints, last_seen FROM peer WHERE prefix = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, p, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = read_peer(st, ret);
	else
		r = rc == SQLITE_DONE ? -ENOENT : fail(s, rc);
	sqlite3_finalize(st);
	return r;
}

int state_peer_count(struct state *s, size_t *ret)
{
	sqlite3_stmt *st;
	int r = prepare(s, "SELECT count(*) FROM peer", &st);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret = (size_t)sqlite3_column_int64(st, 0);
		r = 0;
	} else {
		r = fail(s, rc);
	}
	sqlite3_finalize(st);
	return r;
}

int state_peers_cached(struct state *s, const struct re6st_prefix *prefixes, size_t n,
		       bool *ret_cached, size_t *ret_count)
{
	sqlite3_stmt *st = NULL;
	/* A deferred transaction: the count and every look-up share one read
	 * lock (each statement alone would take and release its own). */
	int rc = sqlite3_exec(s->db, "BEGIN;", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc);
	int r = state_peer_count(s, ret_count);
	if (r >= 0)
		r = prepare(s, "SELECT 1 FROM peer WHERE prefix = ?", &st);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		char p[PREFIX_STRLEN];
		prefix_format(&prefixes[i], p);
		sqlite3_bind_text(st, 1, p, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			ret_cached[i] = rc == SQLITE_ROW;
		else
			r = fail(s, rc);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "COMMIT;", NULL, NULL, NULL);
	return r;
}

int state_peer_list(struct state *s, size_t max, struct state_peer **ret, size_t *ret_n)
{
	sqlite3_stmt *st;
	int r = prepare(s, "SELECT prefix, endpoints, last_seen FROM peer ORDER BY random() LIMIT ?",
			&st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, max ? (sqlite3_int64)max : -1);
	struct state_peer *v = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct state_peer p;
		r = read_peer(st, &p);
		if (r == -EINVAL)
			continue;
		if (r < 0)
			break;
		struct state_peer *nv = reallocarray(v, n + 1, sizeof(*v));
		if (!nv) {
			free(p.endpoints);
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n++] = p;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = fail(s, rc);
	sqlite3_finalize(st);
	if (r < 0) {
		state_peers_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void state_peers_free(struct state_peer *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		free(p[i].endpoints);
	free(p);
}

int state_peer_prune(struct state *s, size_t keep)
{
	sqlite3_stmt *st;
	int r = prepare(s,
			"DELETE FROM peer WHERE prefix NOT IN "
			"(SELECT prefix FROM peer ORDER BY last_seen DESC LIMIT ?)",
			&st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)keep);
	return run(s, st);
}

/* ---- journal ---- */

static bool journal_args_ok(const char *ifname, const char *data)
{
	return ifname && data && strlen(ifname) < sizeof(((struct state_object *)0)->ifname) &&
	       strlen(data) < sizeof(((struct state_object *)0)->data);
}

int state_journal_add(struct state *s, enum state_object_type type, const char *ifname,
		      const char *data)
{
	if (!journal_args_ok(ifname, data))
		return -EINVAL;
	sqlite3_stmt *st;
	int r = prepare(s,
			"INSERT OR IGNORE INTO journal (type, ifname, data, created) "
			"VALUES (?, ?, ?, strftime('%s','now'))",
			&st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, (int)type);
	sqlite3_bind_text(st, 2, ifname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, data, -1, SQLITE_STATIC);
	return run(s, st);
}

int state_journal_remove(struct state *s, enum state_object_type type, const char *ifname,
			 const char *data)
{
	if (!journal_args_ok(ifname, data))
		return -EINVAL;
	sqlite3_stmt *st;
	int r = prepare(s, "DELETE FROM journal WHERE type = ? AND ifname = ? AND data = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, (int)type);
	sqlite3_bind_text(st, 2, ifname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, data, -1, SQLITE_STATIC);
	return run(s, st);
}

int state_journal_list(struct state *s, struct state_object **ret, size_t *ret_n)
{
	sqlite3_stmt *st;
	int r = prepare(s, "SELECT type, ifname, data FROM journal ORDER BY rowid DESC", &st);
	if (r < 0)
		return r;
	struct state_object *v = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ifn = (const char *)sqlite3_column_text(st, 1);
		const char *d = (const char *)sqlite3_column_text(st, 2);
		if (!journal_args_ok(ifn, d))
			continue;
		struct state_object *nv = reallocarray(v, n + 1, sizeof(*v));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n].type = (enum state_object_type)sqlite3_column_int(st, 0);
		snprintf(v[n].ifname, sizeof(v[n].ifname), "%s", ifn);
		snprintf(v[n].data, sizeof(v[n].data), "%s", d);
		n++;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = fail(s, rc);
	sqlite3_finalize(st);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
