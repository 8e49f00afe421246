build-pol/sim/cfg_set.o: sim/cfg_set.c sim/cfg.h
sim/cfg.h:
