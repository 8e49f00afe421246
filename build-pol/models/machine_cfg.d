build-pol/models/machine_cfg.o: models/machine_cfg.c models/machine_cfg.h \
 sim/cfg.h models/machine_cfg_cost.h models/machine_cfg_node.h
models/machine_cfg.h:
sim/cfg.h:
models/machine_cfg_cost.h:
models/machine_cfg_node.h:
