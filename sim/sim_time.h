/* Simulated time: an integer count of nanoseconds since the start of a run.
 * Integer time makes ties exact on every compiler and optimisation level. */
#ifndef SIM_SIM_TIME_H
#define SIM_SIM_TIME_H

#include <stdint.h>

typedef uint64_t sim_time_t;

#define SIM_NS ((sim_time_t)1)
#define SIM_US ((sim_time_t)1000)
#define SIM_MS ((sim_time_t)1000000)
#define SIM_S  ((sim_time_t)1000000000)
#define SIM_TIME_NEVER UINT64_MAX

#endif
