.PHONY: run test bench fuzz
# Build and run the console with the embedded database and the demo organisation.
run:
	scripts/run.sh
# Every check and test, as CI runs them.
test:
	scripts/test.sh
# Response times with a large organisation loaded (figures in the README).
bench:
	scripts/bench.sh
# The HTTP API fuzzed from its OpenAPI document, long (the test command runs a short one).
fuzz:
	scripts/setup.sh --test
	scripts/build-release.sh
	FUZZ_API_TIME_LIMIT=1800 scripts/fuzz.sh 500
