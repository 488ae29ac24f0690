/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replays corpus files (or directories of them) through
 * LLVMFuzzerTestOneInput, for builds without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	_cleanup_free_ uint8_t *buf = malloc(1 << 20);
	if (!buf)
		return -1;
	size_t n = fread(buf, 1, 1 << 20, f);
	if (ferror(f))
		return -1;
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: missing\n", argv[i]);
			failed++;
		} else if (!S_ISDIR(st.st_mode)) {
			replay(argv[i]) < 0 ? failed++ : passed++;
		} else {
			struct dirent **names;
			int n = scandir(argv[i], &names, NULL, alphasort);
			for (int j = 0; j < n; j++) {
				char path[4096];
				if (names[j]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
					replay(path) < 0 ? failed++ : passed++;
				}
				free(names[j]);
			}
			if (n >= 0)
				free(names);
			else
				failed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed || !passed ? 1 : 0;
}
