.PHONY: run test
# Build and run the console with the embedded database and the demo organisation.
run:
	scripts/run.sh
# Every check and test, as CI runs them.
test:
	scripts/test.sh
