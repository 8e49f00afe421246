build-pol/sim/cfg_get.o: sim/cfg_get.c sim/cfg.h
sim/cfg.h:
