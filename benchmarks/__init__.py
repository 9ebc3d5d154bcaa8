"""Benchmarks of injectq against peer DI libraries (run with `make bench`)."""
