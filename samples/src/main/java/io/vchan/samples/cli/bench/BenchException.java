package io.vchan.samples.cli.bench;

/** A run that failed: a peer exited badly, hung, or printed nothing to measure. */
final class BenchException extends RuntimeException {

    BenchException(String message) {
        super(message);
    }
}
