/* Scalar syntax for configuration values: unsigned integers (decimal with '_'
 * separators, or 0x hex), finite doubles, durations and sizes with unit
 * suffixes. Durations and sizes are computed exactly in integers (no
 * floating point), so "1.5us" is 1500 and "1.5ns" is refused. Positions and
 * key names are the caller's business. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cfg.h"

#define DIGITS_MAX 64   /* significant digits kept; more always overflows */

struct unit {
    const char *suffix;
    uint64_t scale;
};

static const struct unit time_units[] = {
    { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
};

static const struct unit size_units[] = {
    { "B", 1 },
    { "KiB", (uint64_t)1 << 10 }, { "MiB", (uint64_t)1 << 20 },
    { "GiB", (uint64_t)1 << 30 }, { "TiB", (uint64_t)1 << 40 },
    { "KB", 1000 }, { "MB", 1000000 }, { "GB", 1000000000 },
    { "TB", 1000000000000 },
};

/* A number as written: integer part, and the fraction's significant digits
 * as an integer `frac` over 10^frac_digits. */
struct decimal {
    uint64_t ip, frac;
    unsigned frac_digits;
    bool has_frac;
};

const char *cfg_excerpt(const char *text, char *buf, size_t size)
{
    size_t max = size > 52 ? 48 : (size > 4 ? size - 4 : 0), i;

    if (size == 0)
        return "";
    if (!text)
        text = "";
    for (i = 0; text[i] && i < max; i++)
        buf[i] = iscntrl((unsigned char)text[i]) ? '?' : text[i];
    buf[i] = '\0';
    if (text[i] && size - i > 3)
        strcpy(buf + i, "...");
    return buf;
}

__attribute__((format(printf, 2, 3)))
static int parse_fail(struct cfg_error *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_digit(char c, bool hex)
{
    return hex ? isxdigit((unsigned char)c) : (c >= '0' && c <= '9');
}

/* Copies the digits at s, '_' allowed between two digits, into buf without
 * leading zeros (so strtoull sees a bounded string). Returns the characters
 * consumed (0: no digit); *too_long when the significant digits do not fit. */
static size_t take_digits(const char *s, bool hex, char *buf, size_t size, bool *too_long)
{
    size_t i = 0, n = 0;

    *too_long = false;
    while (is_digit(s[i], hex)) {
        if (n > 0 || s[i] != '0') {
            if (n + 1 < size)
                buf[n++] = s[i];
            else
                *too_long = true;
        }
        i++;
        if (s[i] == '_' && is_digit(s[i + 1], hex))
            i++;
    }
    if (i > 0 && n == 0)
        buf[n++] = '0';
    buf[n] = '\0';
    return i;
}

/* 0 ok, -1 not digits, -2 overflow. */
static int digits_value(const char *digits, int base, bool too_long, uint64_t *out)
{
    unsigned long long v;
    char *end;

    if (too_long)
        return -2;
    errno = 0;
    v = strtoull(digits, &end, base);
    if (errno == ERANGE || v > UINT64_MAX)
        return -2;
    if (*end != '\0' || end == digits)
        return -1;
    *out = v;
    return 0;
}

int cfg_parse_u64(const char *text, uint64_t *out, struct cfg_error *err)
{
    char digits[DIGITS_MAX + 1], buf[64];
    bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    const char *s = hex ? text + 2 : text;
    bool too_long;
    size_t n = take_digits(s, hex, digits, sizeof(digits), &too_long);
    int rc;

    if (n == 0 || s[n] != '\0')
        return parse_fail(err, "expected %s, got '%s'",
                          text[0] == '-' ? "a non-negative integer" : "an integer",
                          cfg_excerpt(text, buf, sizeof(buf)));
    rc = digits_value(digits, hex ? 16 : 10, too_long, out);
    if (rc == -2)
        return parse_fail(err, "integer overflows 64 bits: '%s'",
                          cfg_excerpt(text, buf, sizeof(buf)));
    return rc ? parse_fail(err, "expected an integer, got '%s'",
                           cfg_excerpt(text, buf, sizeof(buf)))
              : 0;
}

int cfg_parse_double(const char *text, double *out, struct cfg_error *err)
{
    char *end, buf[64];
    double v;

    if (text[0] == '\0' || isspace((unsigned char)text[0]))
        return parse_fail(err, "expected a number, got '%s'",
                          cfg_excerpt(text, buf, sizeof(buf)));
    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end != '\0')
        return parse_fail(err, "expected a number, got '%s'",
                          cfg_excerpt(text, buf, sizeof(buf)));
    if (!isfinite(v))
        return parse_fail(err, "expected a finite number, got '%s'",
                          cfg_excerpt(text, buf, sizeof(buf)));
    *out = v;
    return 0;
}

/* The fraction after the '.': at most 19 significant digits (10^19 still
 * fits in 64 bits); more could never be a whole number of ns or bytes with
 * our units, short of absurd binary fractions. */
static size_t read_fraction(const char *s, struct decimal *d, int *rc)
{
    size_t n = 0, len;

    while (is_digit(s[n], false))
        n++;
    for (len = n; len > 0 && s[len - 1] == '0'; len--)
        ;
    if (len > 19) {
        *rc = -3;
        return n;
    }
    for (size_t i = 0; i < len; i++)
        d->frac = d->frac * 10 + (uint64_t)(s[i] - '0');
    d->frac_digits = (unsigned)len;
    d->has_frac = true;
    return n;
}

/* Reads digits[.digits] at s. Returns the characters consumed (0: no
 * number); *rc: 0, -2 overflow, -3 too many fraction digits. */
static size_t read_decimal(const char *s, struct decimal *d, int *rc)
{
    char digits[DIGITS_MAX + 1];
    bool too_long;
    size_t n = take_digits(s, false, digits, sizeof(digits), &too_long), m;

    *d = (struct decimal){ 0 };
    *rc = 0;
    if (n == 0)
        return 0;
    *rc = digits_value(digits, 10, too_long, &d->ip);
    if (s[n] != '.')
        return n;
    m = read_fraction(s + n + 1, d, rc);
    return m == 0 ? 0 : n + 1 + m;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* d * unit exactly: 0 ok, -2 overflow, -3 not a whole number. */
static int scale(const struct decimal *d, uint64_t unit, uint64_t *out)
{
    uint64_t pow10 = 1, g, num, den, part;

    for (unsigned i = 0; i < d->frac_digits; i++)
        pow10 *= 10;
    /* frac * unit / pow10 is whole iff pow10/g divides frac (g = gcd) */
    g = gcd(unit, pow10);
    num = unit / g;
    den = pow10 / g;
    if (d->frac % den != 0)
        return -3;
    part = d->frac / den;
    if (num && part > UINT64_MAX / num)
        return -2;
    part *= num;
    if (unit && d->ip > UINT64_MAX / unit)
        return -2;
    if (d->ip * unit > UINT64_MAX - part)
        return -2;
    *out = d->ip * unit + part;
    return 0;
}

/* The unit named by the suffix at s (spaces before it allowed): its scale,
 * 0 when there is no suffix, UINT64_MAX when it is not one of `units`. */
static uint64_t find_unit(const char *s, const struct unit *units, size_t n)
{
    while (*s == ' ')
        s++;
    if (*s == '\0')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, units[i].suffix) == 0)
            return units[i].scale;
    return UINT64_MAX;
}

/* Shared by durations and sizes: 0 ok, -1 syntax, -2 overflow, -3 not
 * whole, -4 needs a suffix, -5 a bare number with a fraction. */
static int parse_quantity(const char *text, const struct unit *units, size_t n_units,
                          uint64_t bare_unit, bool bare_frac, uint64_t *out)
{
    struct decimal d;
    int rc;
    size_t len = read_decimal(text, &d, &rc);
    uint64_t unit;

    if (len == 0)
        return -1;
    unit = find_unit(text + len, units, n_units);
    if (unit == UINT64_MAX || (text[len] == ' ' && unit == 0))
        return -1;
    if (rc)
        return rc;
    if (unit == 0 && bare_unit == 0)
        return -4;
    if (unit == 0 && d.has_frac && !bare_frac)
        return -5;
    return scale(&d, unit ? unit : bare_unit, out);
}

int cfg_parse_time_ns(const char *text, uint64_t key_unit_ns, uint64_t *out,
                      struct cfg_error *err)
{
    char buf[64];
    const char *t = cfg_excerpt(text, buf, sizeof(buf));

    switch (parse_quantity(text, time_units, sizeof(time_units) / sizeof(time_units[0]),
                           key_unit_ns, true, out)) {
    case 0:
        return 0;
    case -2:
        return parse_fail(err, "duration overflows 64 bits: '%s'", t);
    case -3:
        return parse_fail(err, "'%s' is not a whole number of nanoseconds", t);
    case -4:
        return parse_fail(err, "'%s' needs a unit (ns, us, ms or s)", t);
    default:
        return parse_fail(err, "expected a duration (a number with ns, us, ms or s), got '%s'",
                          t);
    }
}

int cfg_parse_size(const char *text, uint64_t key_unit_bytes, uint64_t *out,
                   struct cfg_error *err)
{
    char buf[64];
    const char *t = cfg_excerpt(text, buf, sizeof(buf));

    switch (parse_quantity(text, size_units, sizeof(size_units) / sizeof(size_units[0]),
                           key_unit_bytes, false, out)) {
    case 0:
        return 0;
    case -2:
        return parse_fail(err, "size overflows 64 bits: '%s'", t);
    case -3:
        return parse_fail(err, "'%s' is not a whole number of bytes", t);
    case -4:
        return parse_fail(err, "'%s' needs a unit (B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)",
                          t);
    case -5:
        return parse_fail(err, "'%s' needs a unit to have a fraction", t);
    default:
        return parse_fail(err, "expected a size (a number with B, KiB, MiB, GiB, TiB, "
                               "KB, MB, GB or TB), got '%s'", t);
    }
}
