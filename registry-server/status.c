/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "status.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "macro.h"
#include "metrics.h"
#include "prefix.h"
#include "survey.h"

#define MAX_NODES SURVEY_MAX_TARGETS
#define MAX_REVOKED 1024
#define MAP_SIZE 640

struct node_row {
	struct re6st_prefix prefix;
	uint64_t serial, not_after;
	char country[8];
	int64_t seen; /* last announce; 0: never (or expired from the table) */
};

struct revoked_row {
	uint64_t serial, date;
	char prefix[PREFIX_STRLEN];
};

struct status_data {
	struct registry *reg;
	struct node_row *nodes;
	size_t n_nodes;
	struct revoked_row *revoked;
	size_t n_revoked;
	bool hmac[3], hmac_empty[3];
	uint64_t netconf_version;
};

static int status_read(struct db_tx *tx, void *arg)
{
	struct status_data *d = arg;
	_cleanup_stmt_ sqlite3_stmt *s = NULL, *c = NULL;
	int r;

	r = db_prepare(tx, "SELECT c.prefix, c.serial, c.not_after, c.location, p.seen"
			   " FROM cert c LEFT JOIN peer p ON p.prefix = c.prefix"
			   " WHERE c.cert IS NOT NULL AND c.serial IS NOT NULL"
			   " AND c.serial NOT IN (SELECT serial FROM crl) ORDER BY c.prefix", &s);
	while (r >= 0 && d->n_nodes < MAX_NODES && (r = db_step(s)) == 1) {
		struct node_row *n = &d->nodes[d->n_nodes];
		const char *bits = (const char *)sqlite3_column_text(s, 0);
		const char *loc = (const char *)sqlite3_column_text(s, 3);

		if (!bits || prefix_from_bit_string(&d->reg->ca.network, bits, &n->prefix) < 0)
			continue;
		n->serial = (uint64_t)sqlite3_column_int64(s, 1);
		n->not_after = (uint64_t)sqlite3_column_int64(s, 2);
		snprintf(n->country, sizeof(n->country), "%.2s", loc && *loc != '*' ? loc : "");
		n->seen = sqlite3_column_int64(s, 4);
		d->n_nodes++;
	}
	if (r < 0)
		return r;
	r = db_prepare(tx, "SELECT serial, date, prefix FROM crl ORDER BY serial", &c);
	while (r >= 0 && d->n_revoked < MAX_REVOKED && (r = db_step(c)) == 1) {
		struct revoked_row *v = &d->revoked[d->n_revoked++];
		const char *bits = (const char *)sqlite3_column_text(c, 2);
		struct re6st_prefix p;

		v->serial = (uint64_t)sqlite3_column_int64(c, 0);
		v->date = (uint64_t)sqlite3_column_int64(c, 1);
		if (bits && prefix_from_bit_string(&d->reg->ca.network, bits, &p) == 0)
			prefix_format(&p, v->prefix);
		else
			snprintf(v->prefix, sizeof(v->prefix), "-");
	}
	if (r < 0)
		return r;
	d->netconf_version = d->reg->netconf_version;
	return metrics_hmac_read(tx, d->hmac, d->hmac_empty);
}

/* Text for HTML: the strings come from nodes (versions) and operators. */
static void html(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			fputc((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ? '?' : *s, f);
		}
	}
}

static const char *utc(uint64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, 32, "-");
	return buf;
}

static const struct survey_target *answer_of(const struct survey *s, const struct re6st_prefix *p)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->t[i].answered && prefix_equal(&s->t[i].node, p))
			return &s->t[i];
	return NULL;
}

/* The map's nodes: the registered ones, then any other the tunnels name. */
static size_t map_nodes(const struct status_data *d, const struct survey_edge *e, size_t n_e,
			struct re6st_prefix *out)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_nodes; i++)
		out[n++] = d->nodes[i].prefix;
	for (size_t i = 0; i < 2 * n_e; i++) {
		const struct re6st_prefix *p = i % 2 ? &e[i / 2].to : &e[i / 2].from;
		size_t j;
		for (j = 0; j < n && !prefix_equal(&out[j], p); j++)
			;
		if (j == n)
			out[n++] = *p;
	}
	return n;
}

static size_t index_of(const struct re6st_prefix *nodes, size_t n, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_equal(&nodes[i], p))
			return i;
	return n;
}

/* Nodes on a circle, tunnels as arrows from the node that opened them. */
static void svg_map(FILE *f, const struct re6st_prefix *nodes, size_t n,
		    const struct survey_edge *e, size_t n_e, const struct survey *ver)
{
	const double c = MAP_SIZE / 2.0, rad = n > 1 ? MAP_SIZE / 2.0 - 90 : 0;
	char b[PREFIX_STRLEN];

	fprintf(f, "<svg id=\"map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
		   " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"tunnels\">\n"
		   "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"22\" refY=\"5\""
		   " markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\">"
		   "<path d=\"M0 0L10 5L0 10z\" fill=\"#557\"/></marker></defs>\n",
		MAP_SIZE, MAP_SIZE, MAP_SIZE, MAP_SIZE);
	for (size_t i = 0; i < n_e; i++) {
		size_t a = index_of(nodes, n, &e[i].from), z = index_of(nodes, n, &e[i].to);
		double ta = 2 * M_PI * (double)a / (double)n, tz = 2 * M_PI * (double)z / (double)n;
		char pf[PREFIX_STRLEN], pt[PREFIX_STRLEN];

		if (a == n || z == n)
			continue;
		fprintf(f, "<line class=\"tunnel\" data-from=\"%s\" data-to=\"%s\" x1=\"%.1f\""
			   " y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#557\" stroke-width=\"1.5\""
			   " marker-end=\"url(#arrow)\"/>\n",
			prefix_format(&e[i].from, pf), prefix_format(&e[i].to, pt),
			c + rad * cos(ta), c + rad * sin(ta), c + rad * cos(tz), c + rad * sin(tz));
	}
	for (size_t i = 0; i < n; i++) {
		double t = 2 * M_PI * (double)i / (double)n, x = c + rad * cos(t), y = c + rad * sin(t);
		bool up = answer_of(ver, &nodes[i]) != NULL;

		prefix_format(&nodes[i], b);
		fprintf(f, "<g class=\"node\" data-prefix=\"%s\"><circle cx=\"%.1f\" cy=\"%.1f\""
			   " r=\"9\" fill=\"%s\" stroke=\"#333\"/><text x=\"%.1f\" y=\"%.1f\""
			   " font-size=\"11\" text-anchor=\"middle\">%s</text></g>\n",
			b, x, y, up ? "#6c6" : "#ccc", x, y - 14, b);
	}
	fputs("</svg>\n", f);
}

static void write_page(FILE *f, const struct status_data *d, const struct survey *ver,
		       const struct survey *topo, const struct survey_edge *e, size_t n_e,
		       const struct re6st_prefix *nodes, size_t n_map, const char *note)
{
	const struct registry *reg = d->reg;
	char b[PREFIX_STRLEN], t1[32], fp[RE6ST_FP_HEXLEN];
	uint64_t now = registry_now();

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>re6st network status</title><style>"
	      "body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse}"
	      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:90%}"
	      "th{background:#eee}.no{color:#a00}</style></head><body>\n", f);
	fprintf(f, "<h1>re6st network %s</h1>\n", prefix_format(&reg->ca.network, b));
	fprintf(f, "<p>CA fingerprint <code>%s</code>; network configuration version %" PRIu64
		   "; page made %s UTC.</p>\n", ca_fingerprint_hex(&reg->ca, fp), d->netconf_version,
		utc(now, t1));
	fprintf(f, "<p id=\"hmac\">Babel HMAC: <b>%s</b> (keys in slots:%s%s%s)</p>\n",
		metrics_hmac_state(d->hmac, d->hmac_empty), d->hmac[0] ? " 0" : "",
		d->hmac[1] ? " 1" : "", d->hmac[2] ? (d->hmac_empty[2] ? " 2 (empty)" : " 2") : "");
	if (note) {
		fputs("<p class=\"no\">", f);
		html(f, note);
		fputs("</p>\n", f);
	}
	fprintf(f, "<h2>Nodes (%zu)</h2>\n<table id=\"nodes\"><tr><th>prefix</th><th>serial</th>"
		   "<th>version</th><th>country</th><th>last announce (UTC)</th>"
		   "<th>certificate until</th><th>tunnels to</th></tr>\n", d->n_nodes);
	for (size_t i = 0; i < d->n_nodes; i++) {
		const struct node_row *n = &d->nodes[i];
		const struct survey_target *v = answer_of(ver, &n->prefix);
		char t2[32];

		fprintf(f, "<tr class=\"node\"><td>%s</td><td>%" PRIu64 "</td><td>",
			prefix_format(&n->prefix, b), n->serial);
		if (v && v->software)
			html(f, v->software);
		else
			fputs("<span class=\"no\">no answer</span>", f);
		fputs("</td><td>", f);
		html(f, n->country[0] ? n->country : "-");
		fprintf(f, "</td><td>%s</td><td>%s</td><td>", utc((uint64_t)MAX(n->seen, 0), t1),
			utc(n->not_after, t2));
		for (size_t j = 0; j < n_e; j++)
			if (prefix_equal(&e[j].from, &n->prefix))
				fprintf(f, "%s ", prefix_format(&e[j].to, b));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	fprintf(f, "<h2>Tunnels (%zu)</h2>\n<p>An arrow from the node that opened the tunnel;"
		   " green: the node answered.%s</p>\n", n_e,
		topo ? "" : " <span class=\"no\">No topology survey.</span>");
	svg_map(f, nodes, n_map, e, n_e, ver);
	fprintf(f, "<h2>Revoked certificates (%zu)</h2>\n<table id=\"revoked\"><tr><th>serial</th>"
		   "<th>prefix</th><th>listed until</th></tr>\n", d->n_revoked);
	for (size_t i = 0; i < d->n_revoked; i++)
		fprintf(f, "<tr class=\"revoked\"><td>%" PRIu64 "</td><td>%s</td><td>%s</td></tr>\n",
			d->revoked[i].serial, d->revoked[i].prefix, utc(d->revoked[i].date, t1));
	fputs("</table>\n</body></html>\n", f);
}

int status_page(struct registry *reg, struct rpc_reply *reply)
{
	struct status_data d = { .reg = reg };
	struct survey ver = {}, topo = {};
	_cleanup_free_ struct survey_edge *e = NULL;
	_cleanup_free_ struct re6st_prefix *map = NULL;
	size_t n_e = 0, n_map, len = 0;
	bool have_ver, have_topo;
	const char *note = NULL;
	char *out = NULL;
	FILE *f;
	int r;

	d.nodes = calloc(MAX_NODES, sizeof(*d.nodes));
	d.revoked = calloc(MAX_REVOKED, sizeof(*d.revoked));
	if (!d.nodes || !d.revoked) {
		r = -ENOMEM;
		goto out;
	}
	r = db_read(reg->db, "status", status_read, &d);
	if (r < 0)
		goto out;
	have_ver = registry_survey_run(reg, SURVEY_VERSIONS, 1, &ver) == 0;
	have_topo = registry_survey_run(reg, SURVEY_TOPOLOGY, 1, &topo) == 0;
	if (!have_ver || !have_topo)
		note = "A versions/topology survey was already running: versions and tunnels are"
		       " missing, reload.";
	if (have_topo && survey_edges(&topo, &e, &n_e) < 0) {
		r = -ENOMEM;
		goto out;
	}
	map = calloc(d.n_nodes + 2 * n_e + 1, sizeof(*map));
	if (!map) {
		r = -ENOMEM;
		goto out;
	}
	n_map = map_nodes(&d, e, n_e, map);
	f = open_memstream(&out, &len);
	if (!f) {
		r = -ENOMEM;
		goto out;
	}
	write_page(f, &d, have_ver ? &ver : NULL, have_topo ? &topo : NULL, e, n_e, map, n_map,
		   note);
	if (fclose(f) != 0 || !out) {
		free(out);
		r = -ENOMEM;
		goto out;
	}
	reply->status = 200;
	reply->body = out;
	reply->len = len;
	reply->content_type = "text/html; charset=utf-8";
	r = 0;
out:
	survey_done(&ver);
	survey_done(&topo);
	free(d.nodes);
	free(d.revoked);
	return r;
}
