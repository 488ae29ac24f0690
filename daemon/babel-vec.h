/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * babel-vec.h - the growable arrays of the babel module (its tables, its
 * pending answers, its interfaces): DEFINE_VEC(name, type) declares
 * struct name { type *v; size_t n, cap; }, VEC_PUSH() appends (0 or
 * -ENOMEM, the array unchanged then).
 */
#ifndef RE6ST_DAEMON_BABEL_VEC_H
#define RE6ST_DAEMON_BABEL_VEC_H

#include <errno.h>
#include <stdlib.h>

#include "macro.h"

#define DEFINE_VEC(name, type) \
	struct name {          \
		type *v;       \
		size_t n, cap; \
	}

static inline int vec_grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = MAX(*cap * 2, (size_t)16);
	while (n < need)
		n *= 2;
	void *p = reallocarray(*v, n, elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

#define VEC_PUSH(vec, item)                                                                      \
	({                                                                                       \
		int _r = vec_grow((void **)&(vec).v, &(vec).cap, (vec).n + 1, sizeof(*(vec).v)); \
		if (_r >= 0)                                                                     \
			(vec).v[(vec).n++] = (item);                                             \
		_r;                                                                              \
	})

#endif
