build-pol/models/kernel_cfg.o: models/kernel_cfg.c models/kernel_cfg.h \
 sim/cfg.h
models/kernel_cfg.h:
sim/cfg.h:
