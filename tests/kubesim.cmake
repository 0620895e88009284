# The Kubernetes API simulator (tests/support/kubesim, Go) and the tests that check it
# against real clients. Owned by the simulator work; see tests/support/kubesim/README.md.
