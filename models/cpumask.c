/* CPU masks (see cpumask.h). Callers never set a bit at or past nbits (the
 * inline setters do not check), so weight and emptiness count whole words.
 * Masks combined by copy/or/and/equal must have the same size: mixing sizes
 * is a bug and aborts. */
#include "models/cpumask.h"
#include "models/bug.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>


static uint32_t cpumask_words(const struct cpumask *m)
{
    return CPUMASK_WORDS(m->nbits);
}

static void cpumask_check_same(const struct cpumask *a, const struct cpumask *b)
{
    BUG_ON(a->nbits != b->nbits, "mask sizes %" PRIu32 " and %" PRIu32,
                   a->nbits, b->nbits);
}

void cpumask_init(struct cpumask *m, uint32_t nbits)
{
    m->nbits = nbits;
    m->w = g_new0(uint64_t, CPUMASK_WORDS(nbits));
}

void cpumask_destroy(struct cpumask *m)
{
    g_free(m->w);
    m->w = NULL;
    m->nbits = 0;
}

void cpumask_clear_all(struct cpumask *m)
{
    memset(m->w, 0, cpumask_words(m) * sizeof(*m->w));
}

void cpumask_copy(struct cpumask *dst, const struct cpumask *src)
{
    cpumask_check_same(dst, src);
    memcpy(dst->w, src->w, cpumask_words(dst) * sizeof(*dst->w));
}

void cpumask_or(struct cpumask *dst, const struct cpumask *src)
{
    cpumask_check_same(dst, src);
    for (uint32_t i = 0; i < cpumask_words(dst); i++)
        dst->w[i] |= src->w[i];
}

void cpumask_and(struct cpumask *dst, const struct cpumask *src)
{
    cpumask_check_same(dst, src);
    for (uint32_t i = 0; i < cpumask_words(dst); i++)
        dst->w[i] &= src->w[i];
}

bool cpumask_equal(const struct cpumask *a, const struct cpumask *b)
{
    cpumask_check_same(a, b);
    return memcmp(a->w, b->w, cpumask_words(a) * sizeof(*a->w)) == 0;
}

uint32_t cpumask_weight(const struct cpumask *m)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < cpumask_words(m); i++)
        n += (uint32_t)__builtin_popcountll(m->w[i]);
    return n;
}

bool cpumask_empty(const struct cpumask *m)
{
    for (uint32_t i = 0; i < cpumask_words(m); i++)
        if (m->w[i])
            return false;
    return true;
}

uint32_t cpumask_next(const struct cpumask *m, uint32_t from)
{
    uint32_t i;
    uint64_t word;

    if (from >= m->nbits)
        return m->nbits;
    i = from >> 6;
    word = m->w[i] & (~0ull << (from & 63));   /* drop bits below from */
    for (;;) {
        if (word) {
            uint32_t c = i * 64 + (uint32_t)__builtin_ctzll(word);

            return c < m->nbits ? c : m->nbits;
        }
        if (++i >= cpumask_words(m))
            return m->nbits;
        word = m->w[i];
    }
}
