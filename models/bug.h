/* BUG_ON: a broken invariant of the model (never bad input, which is
 * reported as a positioned error): print where and why, then abort. */
#ifndef MODELS_BUG_H
#define MODELS_BUG_H

#include <stdio.h>
#include <stdlib.h>

#define BUG_ON(cond, ...)                                                        \
    do {                                                                         \
        if (cond) {                                                              \
            fprintf(stderr, "%s:%d: BUG: %s: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            abort();                                                             \
        }                                                                        \
    } while (0)

#endif
