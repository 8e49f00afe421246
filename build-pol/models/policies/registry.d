build-pol/models/policies/registry.o: models/policies/registry.c \
 models/policy.h models/mm.h models/cpumask.h sim/cfg.h sim/sim_time.h \
 models/policies/policies.def
models/policy.h:
models/mm.h:
models/cpumask.h:
sim/cfg.h:
sim/sim_time.h:
models/policies/policies.def:
