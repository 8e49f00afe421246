build-pol/models/machine_cfg_cost.o: models/machine_cfg_cost.c \
 models/machine_cfg_cost.h models/machine_cfg.h sim/cfg.h
models/machine_cfg_cost.h:
models/machine_cfg.h:
sim/cfg.h:
