/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: argument parser, community file, prefix tree allocator. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community.h"
#include "db.h"
#include "identity.h"
#include "query.h"
#include "check.h"

#include <sqlite3.h>



static int parse(const char *s, struct query *q)
{
	return query_parse(q, s, strlen(s), NULL);
}

static void test_query(void)
{
	static const char *const bad[] = { "a", "a=1&", "&a=1", "a=1&&b=2", "=1", "a=%",
					   "a=%4", "a=%zz", "a=%00", "a=1&a=2", "k y=1", "a=\x01",
					   "é=1" };
	struct query q = {};
	const char *err = NULL;

	CHECK(parse("email=a%40b.c&x=a+b&e=", &q) == 0 && q.n == 3, "good query");
	CHECK(strcmp(query_get(&q, "email"), "a@b.c") == 0, "percent decoding");
	CHECK(strcmp(query_get(&q, "x"), "a b") == 0, "plus is a space");
	CHECK(strcmp(query_get(&q, "e"), "") == 0, "empty value");
	CHECK(!query_get(&q, "nope"), "absent key");
	{
		static const char *const allowed[] = { "email", "x", NULL };
		CHECK(strcmp(query_unknown_key(&q, allowed), "e") == 0, "unknown key reported");
	}
	CHECK(parse("email=again", &q) == -EINVAL && q.n == 3, "duplicate across sources");
	query_clear(&q);
	CHECK(parse("", &q) == 0 && q.n == 0, "empty query");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = query_parse(&q, bad[i], strlen(bad[i]), &err);
		CHECK(r < 0 && q.n == 0 && err, "bad query '%s' rejected", bad[i]);
		query_clear(&q);
	}
	{
		char big[QUERY_MAX_LEN + 10];
		memset(big, 'a', sizeof(big));
		memcpy(big, "a=", 2);
		CHECK(query_parse(&q, big, sizeof(big), &err) == -E2BIG, "too long");
	}
}

static void test_community(void)
{
	struct community_map m = {};
	unsigned line = 0;
	const char *err = NULL;
	const char *ok = "# c\n0 *\n10 FR BE\n11 @EU\n";

	CHECK(community_parse(ok, strlen(ok), &m, &line, &err) == 0 && m.n == 3, "parse");
	CHECK(strcmp(community_lookup(&m, "FR", "EU"), "10") == 0, "country wins");
	CHECK(strcmp(community_lookup(&m, "DE", "EU"), "11") == 0, "continent");
	CHECK(strcmp(community_lookup(&m, "US", "NA"), "0") == 0, "default");
	CHECK(strcmp(community_lookup(&m, "*", "*"), "0") == 0, "unknown location");
	CHECK(community_max_len(&m) == 2, "max len");
	community_map_clear(&m);
	CHECK(community_parse("0 *\n01 FR\n", 10, &m, &line, &err) == -EINVAL && line == 2,
	      "overlap at line 2");
	CHECK(community_parse("10 FR\n", 6, &m, &line, &err) == -EINVAL && line == 0,
	      "missing default");
	CHECK(community_parse("0 *\n1 *\n", 8, &m, &line, &err) == -EINVAL, "two defaults");
	CHECK(community_parse("0 *\n12 X\n", 9, &m, &line, &err) == -EINVAL, "bad prefix");
	CHECK(community_default(&m) == 0 && strcmp(community_lookup(&m, "FR", "EU"), "") == 0,
	      "default map");
	community_map_clear(&m);
}

struct tree_ctx {
	struct community_map *m;
	char *err;
};

static int tree_tx(struct db_tx *tx, void *arg)
{
	struct tree_ctx *c = arg;
	char p[129], q[129], z[129];
	int r;

	CHECK(db_tree_init(tx, c->m, &c->err) == 0, "tree init");
	/* Tiny network of 4 bits: the all-zero /4 is reserved. */
	r = db_tree_alloc(tx, 4, 4, "0", z);
	CHECK(r == 0 && strcmp(z, "0001") == 0, "zero prefix skipped: got %s", z);
	db_exec(tx, "UPDATE cert SET cert='x' WHERE prefix='0001'");
	r = db_tree_alloc(tx, 3, 4, "1", p);
	CHECK(r == 0 && strcmp(p, "100") == 0, "community FR split: %s", p);
	db_exec(tx, "UPDATE cert SET cert='x' WHERE prefix='100'");
	r = db_tree_alloc(tx, 3, 4, "1", q);
	CHECK(r == 0 && strcmp(q, "101") == 0, "next: %s", q);
	db_exec(tx, "UPDATE cert SET cert='x' WHERE prefix='101'");
	r = db_tree_alloc(tx, 2, 4, "1", q);
	CHECK(r == 0 && strcmp(q, "11") == 0, "a /2 in FR: %s", q);
	db_exec(tx, "UPDATE cert SET cert='x' WHERE prefix='11'");
	CHECK(db_tree_alloc(tx, 3, 4, "1", q) == -ENOSPC, "FR full");
	/* Free 100 and 101: they merge back into 10. */
	CHECK(db_tree_release(tx, "100") == 0 && db_tree_release(tx, "101") == 0, "release");
	{
		_cleanup_stmt_ sqlite3_stmt *s = NULL;
		CHECK(db_prepare(tx, "SELECT count(*) FROM cert WHERE prefix='10' AND cert IS NULL",
				 &s) == 0 && db_step(s) == 1, "count");
		CHECK(sqlite3_column_int(s, 0) == 1, "siblings merged");
	}
	return 0;
}

static int rollback_tx(struct db_tx *tx, void *arg)
{
	(void)arg;
	db_exec(tx, "INSERT INTO token VALUES ('t', 'a@b', 16, 0)");
	return 7; /* a refusal: rolled back, returned as is */
}

static int count_tokens(struct db_tx *tx, void *arg)
{
	_cleanup_stmt_ sqlite3_stmt *s = NULL;

	(void)arg;
	if (db_prepare(tx, "SELECT count(*) FROM token", &s) < 0 || db_step(s) != 1)
		return -EIO;
	return sqlite3_column_int(s, 0);
}

/* A statement that outlives its function: the bug the API exists to stop. */
static int leak_stmt(struct db_tx *tx, void *arg)
{
	sqlite3_stmt **out = arg;

	return db_prepare(tx, "SELECT 1", out);
}

static void test_stmt_escape(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		struct db *db = NULL;
		sqlite3_stmt *s = NULL;

		fclose(stderr); /* the expected "bug:" line */
		if (db_open(":memory:", &db) == 0)
			db_read(db, "test", leak_stmt, &s);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	      "a statement left open by a db_read() function aborts (status 0x%x)", status);
}

static void test_tree(void)
{
	struct community_map m = {};
	struct tree_ctx c = { .m = &m };
	struct db *db = NULL;
	const char *cf = "0 *\n1 FR\n";
	unsigned line;

	community_parse(cf, strlen(cf), &m, &line, NULL);
	CHECK(db_open(":memory:", &db) == 0, "open");
	CHECK(db_tx(db, "test", tree_tx, &c) == 0, "tree transaction");
	CHECK(db_tx(db, "test", rollback_tx, NULL) == 7, "refusal returned");
	CHECK(db_read(db, "test", count_tokens, NULL) == 0, "refusal rolled back");
	db_close(db);
	community_map_clear(&m);
	free(c.err);
}

static void test_renew_due(void)
{
	/* One year from t=1000: due from the last third on. */
	int64_t nb = 1000, na = 1000 + 365 * 86400, third = 365 * 86400 / 3;

	CHECK(!cert_renew_due(nb, na, nb), "fresh certificate not due");
	CHECK(!cert_renew_due(nb, na, na - third - 1), "one second before the last third");
	CHECK(cert_renew_due(nb, na, na - third), "last third starts");
	CHECK(cert_renew_due(nb, na, na), "at expiry");
	CHECK(cert_renew_due(nb, na, na + 86400), "after expiry");
	CHECK(!cert_renew_due(nb, na, nb - 10), "not yet valid: not due");
	CHECK(cert_renew_due(5, 5, 0), "no life: due");
	/* Minutes: a 300 s certificate is due from 200 s. */
	CHECK(!cert_renew_due(0, 300, 199) && cert_renew_due(0, 300, 200), "300 s certificate");
}

static int user_version(const char *path)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static int count_certs(struct db_tx *tx, void *arg)
{
	int64_t *n = arg;
	sqlite3_stmt *st = NULL;
	int r = db_prepare(tx, "SELECT count(*) FROM cert WHERE cert IS NOT NULL", &st);
	if (r < 0)
		return r;
	*n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return 0;
}

/* A registry.db of the release before schema versions is migrated with its
 * rows; one from a newer registry is refused, untouched. */
static void test_schema(void)
{
	char dir[] = "/tmp/re6st-schema.XXXXXX", path[64];
	CHECK(mkdtemp(dir) != NULL, "tmpdir");
	snprintf(path, sizeof(path), "%s/registry.db", dir);
	sqlite3 *h = NULL;
	CHECK(sqlite3_open(path, &h) == SQLITE_OK &&
		      sqlite3_exec(h,
				   /* the previous release's tables, verbatim */
				   "CREATE TABLE config (name TEXT PRIMARY KEY NOT NULL, value);"
				   "CREATE TABLE token (token TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL,"
				   "  prefix_len INTEGER NOT NULL, date INTEGER NOT NULL);"
				   "CREATE TABLE cert (prefix TEXT PRIMARY KEY NOT NULL, email TEXT, cert TEXT,"
				   "  serial INTEGER, subject_serial INTEGER, sign_pk BLOB,"
				   "  not_after INTEGER, location TEXT);"
				   "CREATE UNIQUE INDEX cert_serial ON cert(serial);"
				   "CREATE UNIQUE INDEX cert_subject_serial ON cert(subject_serial);"
				   "CREATE INDEX cert_sign_pk ON cert(sign_pk);"
				   "CREATE INDEX cert_email ON cert(email);"
				   "CREATE TABLE crl (serial INTEGER PRIMARY KEY NOT NULL,"
				   "  date INTEGER NOT NULL, prefix TEXT);"
				   "CREATE TABLE nonce (nonce BLOB PRIMARY KEY NOT NULL,"
				   "  expires INTEGER NOT NULL);"
				   "INSERT INTO cert VALUES ('0000000000000001', 'a@b', 'CERT', 7, 7, x'00',"
				   "  99, NULL);",
				   NULL, NULL, NULL) == SQLITE_OK,
	      "previous release's registry.db made");
	sqlite3_close(h);
	CHECK_EQ(user_version(path), 0);

	struct db *db = NULL;
	int64_t n = 0;
	CHECK_EQ(db_open(path, &db), 0);
	CHECK_EQ(user_version(path), DB_SCHEMA_VERSION);
	CHECK(db && db_read(db, "test", count_certs, &n) == 0 && n == 1, "certificate row kept");
	db_close(db);
	db = NULL;

	CHECK(sqlite3_open(path, &h) == SQLITE_OK &&
		      sqlite3_exec(h, "PRAGMA user_version = 42;", NULL, NULL, NULL) == SQLITE_OK,
	      "made newer");
	sqlite3_close(h);
	CHECK_EQ(db_open(path, &db), -EPROTONOSUPPORT);
	CHECK(db == NULL);
	CHECK_EQ(user_version(path), 42);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	test_query();
	test_community();
	test_tree();
	test_stmt_escape();
	test_renew_due();
	test_schema();
	return check_summary();
}
