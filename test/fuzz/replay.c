/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Feeds every file of the given corpus directories (or files) to
 * LLVMFuzzerTestOneInput: the fuzz targets run as ordinary tests in builds
 * without libFuzzer. A crash or sanitizer report fails the test. Shared by
 * every fuzz target of the project (test/meson.build: fuzz_replay_main).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_full(path, 64u << 20, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(-r));
		return r;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: missing\n", argv[i]);
			failed++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			replay(argv[i]) < 0 ? failed++ : passed++;
			continue;
		}
		struct dirent **names = NULL;
		int n = scandir(argv[i], &names, NULL, alphasort);
		if (n < 0) {
			fprintf(stderr, "%s: cannot list\n", argv[i]);
			failed++;
			continue;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];
			if (names[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
				replay(path) < 0 ? failed++ : passed++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed || passed == 0 ? 1 : 0;
}
