.PHONY: run test bench
# Build and run the console with the embedded database and the demo organisation.
run:
	scripts/run.sh
# Every check and test, as CI runs them.
test:
	scripts/test.sh
# Response times with a large organisation loaded (figures in the README).
bench:
	scripts/bench.sh
