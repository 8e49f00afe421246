build-pol/sim/cfg_parse.o: sim/cfg_parse.c sim/cfg.h
sim/cfg.h:
