/* Seeded random streams: xoshiro256** (Blackman and Vigna) seeded through
 * splitmix64 from (master seed, stream id), plus the distributions the models
 * draw from. Each sampler says how many raw draws it consumes, since that is
 * what keeps a stream's later values stable. Left out: jump-ahead, normals. */
#include "sim/rng.h"

#include <math.h>

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15u

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The splitmix64 finaliser: a bijection with full avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t splitmix64_next(uint64_t *x)
{
    *x += GOLDEN_GAMMA;
    return mix64(*x);
}

void rng_stream_init(struct rng *r, uint64_t master_seed, uint64_t stream_id)
{
    /* Both inputs pass through the finaliser before splitmix64 walks from
     * the result, so a one-bit change in either changes every state word,
     * and no two (seed, stream) pairs give overlapping splitmix walks unless
     * their mixed starts happen to be 1-3 gammas apart (about 2^-62). */
    uint64_t x = mix64(master_seed ^ mix64(stream_id + GOLDEN_GAMMA));

    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64_next(&x);
    /* xoshiro's one forbidden state; unreachable in practice, cheap to rule out. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = GOLDEN_GAMMA;
}

uint64_t rng_next_u64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* The full 128-bit product a * b as (high, low). */
static inline uint64_t mul_128(uint64_t a, uint64_t b, uint64_t *lo)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 m = (u128)a * b;

    *lo = (uint64_t)m;
    return (uint64_t)(m >> 64);
#else
    uint64_t a_lo = (uint32_t)a, a_hi = a >> 32;
    uint64_t b_lo = (uint32_t)b, b_hi = b >> 32;
    uint64_t p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo;
    uint64_t mid = (p0 >> 32) + (uint32_t)p1 + (uint32_t)p2;

    *lo = (mid << 32) | (uint32_t)p0;
    return a_hi * b_hi + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
#endif
}

/* Lemire, "Fast random integer generation in an interval" (2019): one draw
 * except with probability below bound / 2^64. */
uint64_t rng_uniform_u64(struct rng *r, uint64_t bound)
{
    uint64_t lo;
    uint64_t hi;

    if (bound == 0)
        return 0;
    hi = mul_128(rng_next_u64(r), bound, &lo);
    if (lo < bound) {
        uint64_t threshold = -bound % bound;   /* 2^64 mod bound */

        while (lo < threshold)
            hi = mul_128(rng_next_u64(r), bound, &lo);
    }
    return hi;
}

/* One draw. */
double rng_uniform_double(struct rng *r)
{
    /* The top 53 bits fill a double's mantissa exactly. */
    return (double)(rng_next_u64(r) >> 11) * 0x1.0p-53;
}

/* One draw. */
double rng_exponential(struct rng *r, double mean)
{
    /* u < 1, so log1p(-u) is finite; log1p keeps precision for small u. */
    return -mean * log1p(-rng_uniform_double(r));
}

/* One draw whatever p is, so changing p never shifts later draws.
 * p <= 0 (or NaN) is never true, p >= 1 always. */
bool rng_bernoulli(struct rng *r, double p)
{
    return rng_uniform_double(r) < p;
}

/* Zipf by rejection-inversion, after Apache Commons RNG's
 * RejectionInversionZipfSampler. Internally ranks are 1..n and
 * h(x) = x^-exponent; H is an antiderivative of h written through
 * expm1/log1p helpers so that exponent == 1 (H = log x) needs no branch. */

/* log1p(x) / x, continuous at 0. */
static double zipf_helper1(double x)
{
    if (fabs(x) > 1e-8)
        return log1p(x) / x;
    return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

/* expm1(x) / x, continuous at 0. */
static double zipf_helper2(double x)
{
    if (fabs(x) > 1e-8)
        return expm1(x) / x;
    return 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}

static double zipf_h(double exponent, double x)
{
    return exp(-exponent * log(x));
}

static double zipf_h_integral(double exponent, double x)
{
    double log_x = log(x);

    return zipf_helper2((1.0 - exponent) * log_x) * log_x;
}

static double zipf_h_integral_inverse(double exponent, double x)
{
    double t = x * (1.0 - exponent);

    if (t < -1.0)
        t = -1.0;   /* rounding can push t just past the pole */
    return exp(zipf_helper1(t) * x);
}

int rng_zipf_init(struct rng_zipf *z, uint64_t n, double exponent)
{
    double e = exponent;

    if (n == 0 || !(e > 0.0) || !isfinite(e))
        return -1;
    z->n = n;
    z->exponent = e;
    z->h_x1 = zipf_h_integral(e, 1.5) - 1.0;
    z->h_n = zipf_h_integral(e, (double)n + 0.5);
    z->s = 2.0 - zipf_h_integral_inverse(e, zipf_h_integral(e, 2.5) - zipf_h(e, 2.0));
    return 0;
}

/* One draw per attempt; rejections are rare, so usually one in all. */
uint64_t rng_zipf_next(const struct rng_zipf *z, struct rng *r)
{
    const double e = z->exponent;
    const double n = (double)z->n;

    for (;;) {
        /* u is uniform in (h_x1, h_n]. */
        double u = z->h_n + rng_uniform_double(r) * (z->h_x1 - z->h_n);
        double x = zipf_h_integral_inverse(e, u);
        double kd = floor(x + 0.5);

        /* Clamp in double before converting: x can round outside [1, n]. */
        if (kd < 1.0)
            kd = 1.0;
        else if (kd > n)
            kd = n;
        if (kd - x <= z->s ||
            u >= zipf_h_integral(e, kd + 0.5) - zipf_h(e, kd)) {
            /* n near 2^64 is not exact in a double; stay inside [1, n]. */
            uint64_t k = kd >= 0x1p64 ? z->n : (uint64_t)kd;

            return (k > z->n ? z->n : k) - 1;
        }
    }
}
