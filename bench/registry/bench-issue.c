/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificate issues per second: THREADS clients register anonymously
 * against a running registry for SECONDS.
 * Usage: bench-issue URL CA-FILE SECONDS THREADS
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "identity.h"
#include "registry-client.h"

static const char *url;
static struct re6st_ca ca;
static atomic_uint issued, errors;
static atomic_bool stop;

static void *worker(void *arg)
{
	struct registry_client *c = NULL;
	struct re6st_key *k = NULL;

	registry_client_new(url, NULL, &c);
	registry_client_set_ca(c, &ca);
	key_generate(true, &k);
	while (!stop) {
		struct re6st_cert cert;
		if (rc_request_certificate(c, NULL, k, NULL, &cert, NULL) == 0)
			issued++;
		else
			errors++;
	}
	key_free(k);
	registry_client_free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t th[64];
	int secs, n;

	if (argc != 5)
		return 2;
	url = argv[1];
	if (ca_load(argv[2], &ca) < 0)
		return 1;
	secs = atoi(argv[3]);
	n = atoi(argv[4]);
	if (n < 1 || n > 64)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	struct timespec d = { secs, 0 };
	nanosleep(&d, NULL);
	stop = true;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("certificate issues/s: %.0f (%u issued, %u errors, %d clients, %.1f s)\n",
	       issued / el, (unsigned)issued, (unsigned)errors, n, el);
	return errors > issued / 100 ? 1 : 0;
}
