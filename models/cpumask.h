/* A fixed-size set of CPU ids (a bitmap of 64-bit words), sized once for the
 * machine. Iteration is in increasing CPU order, which keeps runs deterministic. */
#ifndef MODELS_CPUMASK_H
#define MODELS_CPUMASK_H

#include <stdbool.h>
#include <stdint.h>

#define CPUMASK_WORDS(n) (((n) + 63u) / 64u)

struct cpumask {
    uint32_t nbits;
    uint64_t *w;        /* CPUMASK_WORDS(nbits) words, owned */
};

void cpumask_init(struct cpumask *m, uint32_t nbits);
void cpumask_destroy(struct cpumask *m);
void cpumask_clear_all(struct cpumask *m);
void cpumask_copy(struct cpumask *dst, const struct cpumask *src);
void cpumask_or(struct cpumask *dst, const struct cpumask *src);
void cpumask_and(struct cpumask *dst, const struct cpumask *src);
bool cpumask_equal(const struct cpumask *a, const struct cpumask *b);
static inline void cpumask_set(struct cpumask *m, uint32_t c) { m->w[c >> 6] |= 1ull << (c & 63); }
static inline void cpumask_clear(struct cpumask *m, uint32_t c) { m->w[c >> 6] &= ~(1ull << (c & 63)); }
static inline bool cpumask_test(const struct cpumask *m, uint32_t c) { return (m->w[c >> 6] >> (c & 63)) & 1; }
uint32_t cpumask_weight(const struct cpumask *m);
bool cpumask_empty(const struct cpumask *m);
/* The first set CPU >= from, or nbits when none. */
uint32_t cpumask_next(const struct cpumask *m, uint32_t from);
#define cpumask_for_each(cpu, m) \
    for ((cpu) = cpumask_next((m), 0); (cpu) < (m)->nbits; (cpu) = cpumask_next((m), (cpu) + 1))

#endif
