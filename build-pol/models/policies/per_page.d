build-pol/models/policies/per_page.o: models/policies/per_page.c \
 models/policy.h models/mm.h models/cpumask.h sim/cfg.h sim/sim_time.h \
 models/shootdown.h models/task.h sim/engine.h
models/policy.h:
models/mm.h:
models/cpumask.h:
sim/cfg.h:
sim/sim_time.h:
models/shootdown.h:
models/task.h:
sim/engine.h:
