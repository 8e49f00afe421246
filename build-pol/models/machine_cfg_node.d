build-pol/models/machine_cfg_node.o: models/machine_cfg_node.c \
 models/machine_cfg_node.h models/machine_cfg.h sim/cfg.h
models/machine_cfg_node.h:
models/machine_cfg.h:
sim/cfg.h:
