/* Seeded pseudo-random streams: splitmix64 expands (master seed, stream id)
 * into a xoshiro256** state. Each consumer (engine, each CPU, each workload,
 * the policy) has its own stream, so adding a CPU or changing the policy does
 * not shift anyone else's draws. Never seeded from time or /dev/urandom. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* Stream ids: a kind in the high 32 bits, an index in the low 32. Kinds are
 * chosen by the caller (models define their own). */
#define RNG_STREAM_ID(kind, index) (((uint64_t)(kind) << 32) | (uint32_t)(index))

void rng_stream_init(struct rng *r, uint64_t master_seed, uint64_t stream_id);
uint64_t rng_next_u64(struct rng *r);
/* Uniform in [0, bound), unbiased (Lemire's method); bound 0 returns 0. */
uint64_t rng_uniform_u64(struct rng *r, uint64_t bound);
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform_double(struct rng *r);
/* Exponential with the given mean (> 0). */
double rng_exponential(struct rng *r, double mean);
bool rng_bernoulli(struct rng *r, double p);

/* Zipf over ranks [0, n) with P(k) proportional to 1/(k+1)^exponent, by
 * rejection-inversion (Hormann and Derflinger 1996): O(1) memory and time. */
struct rng_zipf {
    uint64_t n;
    double exponent;
    double h_x1, h_n, s;   /* precomputed by rng_zipf_init */
};
/* Returns 0, or -1 when n == 0 or exponent <= 0 or not finite. */
int rng_zipf_init(struct rng_zipf *z, uint64_t n, double exponent);
uint64_t rng_zipf_next(const struct rng_zipf *z, struct rng *r);

#endif
