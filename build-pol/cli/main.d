build-pol/cli/main.o: cli/main.c cli/args.h cli/commands.h
cli/args.h:
cli/commands.h:
