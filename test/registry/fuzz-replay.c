/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Feeds every file of the corpus directories given to LLVMFuzzerTestOneInput. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fileio.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	unsigned n = 0, failed = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (!d) {
			fprintf(stderr, "cannot open %s\n", argv[i]);
			failed++;
			continue;
		}
		while ((e = readdir(d))) {
			_cleanup_free_ char *path = NULL, *data = NULL;
			size_t len;

			if (e->d_name[0] == '.')
				continue;
			if (asprintf(&path, "%s/%s", argv[i], e->d_name) < 0)
				return 1;
			if (read_file_full(path, 1 << 20, &data, &len) < 0) {
				fprintf(stderr, "cannot read %s\n", path);
				failed++;
				continue;
			}
			LLVMFuzzerTestOneInput((const uint8_t *)data, len);
			n++;
		}
		closedir(d);
	}
	printf("%u passed, %u failed\n", n, failed);
	return failed || n == 0;
}
