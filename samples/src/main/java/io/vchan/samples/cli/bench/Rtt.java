package io.vchan.samples.cli.bench;

import org.HdrHistogram.Histogram;

/** Round-trip times in an HdrHistogram (3 significant digits), printed as the C driver prints them. */
final class Rtt {

    private final Histogram histogram = new Histogram(3_600_000_000_000L, 3);

    void record(long nanos) {
        histogram.recordValue(Math.max(1, nanos));
    }

    String line() {
        return "rtt_ns count=" + histogram.getTotalCount()
                + " p50=" + histogram.getValueAtPercentile(50)
                + " p99=" + histogram.getValueAtPercentile(99)
                + " p999=" + histogram.getValueAtPercentile(99.9)
                + " max=" + histogram.getMaxValue();
    }
}
