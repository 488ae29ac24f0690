/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The answers of a survey: checks and JSON (survey.h); the I/O is in survey-io.c. */
#include "survey.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

int survey_init(struct survey *s, const struct re6st_ca *ca, enum survey_kind kind)
{
	*s = (struct survey){ .ca = ca, .kind = kind };
	s->t = calloc(SURVEY_MAX_TARGETS, sizeof(*s->t));
	return s->t ? 0 : -ENOMEM;
}

void survey_done(struct survey *s)
{
	for (size_t i = 0; s->t && i < s->n; i++) {
		free(s->t[i].software);
		free(s->t[i].peers);
	}
	free(s->t);
	*s = (struct survey){};
}

static struct survey_target *find(struct survey *s, const struct re6st_prefix *p)
{
	for (size_t i = 0; i < s->n; i++)
		if (prefix_equal(&s->t[i].node, p))
			return &s->t[i];
	return NULL;
}

static int keep_topology(struct survey *s, struct survey_target *t, const struct pp_msg *m,
			 const char **ret_reason)
{
	size_t n = (size_t)m->topology.n_client + m->topology.n_served;
	_cleanup_free_ struct re6st_prefix *peers = calloc(n ? n : 1, sizeof(*peers));

	if (!peers)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		pp_topology_entry(m, i, &peers[i]);
		/* A node names nodes of this network, not itself. */
		if (!prefix_contains(&s->ca->network, &peers[i]) ||
		    peers[i].len == s->ca->network.len || prefix_equal(&peers[i], &t->node)) {
			*ret_reason = "topology names a prefix outside the network or the node itself";
			return 0;
		}
	}
	t->peers = TAKE_PTR(peers);
	t->n_peers = n;
	t->n_client = m->topology.n_client;
	t->netconf_version = m->topology.netconf_version;
	return 1;
}

int survey_accept(struct survey *s, const uint8_t *buf, size_t len, uint64_t now,
		  uint64_t now_us, const char **ret_reason)
{
	struct pp_msg m;
	struct re6st_cert cert;
	struct survey_target *t;
	uint64_t fresh = (uint64_t)PP_FRESHNESS_S * 1000000u;
	int r;

	*ret_reason = "";
	if (pp_decode(buf, len, &m, ret_reason) < 0)
		return 0;
	if (m.type != (s->kind == SURVEY_VERSIONS ? PP_NODE_INFO : PP_TOPOLOGY)) {
		*ret_reason = "not the answer asked for";
		return 0;
	}
	if (!prefix_equal(&m.to, &s->ca->network)) {
		*ret_reason = "not addressed to the registry";
		return 0;
	}
	if (m.seq + fresh < now_us || m.seq > now_us + fresh) {
		*ret_reason = "timestamp outside the freshness window";
		return 0;
	}
	if (!m.cert_len || cert_decode(m.cert, m.cert_len, &cert) < 0 ||
	    memcmp(cert.sign_pk, m.sender_key, PP_KEY_LEN) != 0 ||
	    cert_verify(&cert, s->ca, now) < 0) {
		*ret_reason = "no valid certificate of this network signing it";
		return 0;
	}
	t = find(s, &cert.node);
	if (!t || t->serial != cert.serial) {
		*ret_reason = "from a node not asked (or another certificate of it)";
		return 0;
	}
	if (t->answered) {
		*ret_reason = "node already answered";
		return 0;
	}
	if (s->kind == SURVEY_VERSIONS) {
		t->software = strndup(m.node_info.software, m.node_info.software_len);
		if (!t->software)
			return -ENOMEM;
		t->netconf_version = m.node_info.netconf_version;
		r = 1;
	} else {
		r = keep_topology(s, t, &m, ret_reason);
		if (r <= 0)
			return r;
	}
	t->answered = true;
	s->n_answered++;
	return 1;
}

/* A JSON string: the software string is printable ASCII (pp_decode), escape '"' and '\\'. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_prefix(FILE *f, const struct re6st_prefix *p)
{
	char b[PREFIX_STRLEN];
	json_string(f, prefix_format(p, b));
}

static int prefix_cmp(const struct re6st_prefix *a, const struct re6st_prefix *b)
{
	int c = memcmp(a->addr, b->addr, sizeof(a->addr));
	return c ? c : (int)a->len - (int)b->len;
}

static int edge_cmp(const void *x, const void *y)
{
	const struct survey_edge *a = x, *b = y;
	int c = prefix_cmp(&a->from, &b->from);
	return c ? c : prefix_cmp(&a->to, &b->to);
}

static int node_cmp(const void *x, const void *y)
{
	return prefix_cmp(x, y);
}

int survey_edges(const struct survey *s, struct survey_edge **ret, size_t *ret_n)
{
	struct survey_edge *e;
	size_t max_e = 0, n_e = 0, k = 0;

	for (size_t i = 0; i < s->n; i++)
		max_e += s->t[i].n_peers;
	e = malloc((max_e ? max_e : 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		const struct survey_target *t = &s->t[i];
		for (size_t j = 0; j < t->n_peers; j++)
			/* client entries: t opened a tunnel to the peer; served: the reverse */
			e[n_e++] = j < t->n_client ? (struct survey_edge){ t->node, t->peers[j] }
						   : (struct survey_edge){ t->peers[j], t->node };
	}
	/* Sorting keeps this O(E log E) for thousands of nodes. */
	qsort(e, n_e, sizeof(*e), edge_cmp);
	for (size_t i = 0; i < n_e; i++)
		if (!k || edge_cmp(&e[k - 1], &e[i]) != 0)
			e[k++] = e[i];
	*ret = e;
	*ret_n = k;
	return 0;
}

/* nodes: room for every node named (2 per edge plus the answering ones). */
static void topology_json(const struct survey *s, FILE *f, const struct survey_edge *e, size_t n_e,
			  struct re6st_prefix *nodes)
{
	size_t n_nodes = 0, k = 0;
	bool first = true;

	for (size_t i = 0; i < n_e; i++) {
		nodes[n_nodes++] = e[i].from;
		nodes[n_nodes++] = e[i].to;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].answered)
			nodes[n_nodes++] = s->t[i].node;
	qsort(nodes, n_nodes, sizeof(*nodes), node_cmp);
	k = 0;
	for (size_t i = 0; i < n_nodes; i++)
		if (!k || prefix_cmp(&nodes[k - 1], &nodes[i]) != 0)
			nodes[k++] = nodes[i];
	n_nodes = k;

	fputc('{', f);
	for (size_t j = 0, i = 0; j < n_nodes; j++) {
		bool f2 = true;
		fputs(first ? "" : ",", f);
		first = false;
		json_prefix(f, &nodes[j]);
		fputs(":[", f);
		/* edges are sorted by from, as nodes are */
		for (; i < n_e && prefix_cmp(&e[i].from, &nodes[j]) == 0; i++) {
			fputs(f2 ? "" : ",", f);
			f2 = false;
			json_prefix(f, &e[i].to);
		}
		fputc(']', f);
	}
	fputs(first ? "" : ",", f);
	fputs("\"\":[", f);
	first = true;
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].answered) {
			fputs(first ? "" : ",", f);
			first = false;
			json_prefix(f, &s->t[i].node);
		}
	fputs("]}", f);
}

int survey_json(const struct survey *s, char **ret, size_t *ret_len)
{
	_cleanup_free_ struct survey_edge *e = NULL;
	_cleanup_free_ struct re6st_prefix *nodes = NULL;
	char *out = NULL;
	size_t len = 0, n_e = 0;
	FILE *f;

	if (s->kind == SURVEY_TOPOLOGY) {
		int r = survey_edges(s, &e, &n_e);
		if (r < 0)
			return r;
		nodes = malloc((2 * n_e + s->n + 1) * sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
	}
	f = open_memstream(&out, &len);
	if (!f)
		return -ENOMEM;
	if (s->kind == SURVEY_TOPOLOGY)
		topology_json(s, f, e, n_e, nodes);
	else {
		fputc('{', f);
		for (size_t i = 0; i < s->n; i++) {
			fputs(i ? "," : "", f);
			json_prefix(f, &s->t[i].node);
			fputc(':', f);
			if (s->t[i].answered)
				json_string(f, s->t[i].software);
			else
				fputs("null", f);
		}
		fputc('}', f);
	}
	fputc('\n', f);
	if (fclose(f) != 0 || !out) {
		free(out);
		return -ENOMEM;
	}
	*ret = out;
	*ret_len = len;
	return 0;
}
