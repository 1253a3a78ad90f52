package io.vchan.bridge.hostile;

import java.util.Arrays;

/**
 * How fast the healthy channels run before and during an attack: their
 * round-trip rate with no attack running, then over the whole attack. Only
 * progress (and, in {@link HealthyChannels}, intact data) is asserted; the
 * rates are printed, since a shared CI machine makes them too noisy for a
 * bound.
 */
final class AttackWindow {

    /** 500 round trips per channel: a tenth of a second on an idle machine. */
    private static final long ROUND_TRIPS_PER_CHANNEL = 500;
    /** Odd, for a median: other work on a shared machine comes and goes within a second or so. */
    private static final int WINDOWS = 5;

    private final HealthyChannels healthy;
    private final double before;
    private final long[] start;
    private final long startNanos;

    private AttackWindow(HealthyChannels healthy, double before, long[] start, long startNanos) {
        this.healthy = healthy;
        this.before = before;
        this.start = start;
        this.startNanos = startNanos;
    }

    /**
     * Measures the rate with no attack running: the median of a few windows,
     * after one to warm up, so that a moment of other load does not set it;
     * the attack window starts when this returns.
     */
    static AttackWindow open(HealthyChannels healthy) throws InterruptedException {
        long size = ROUND_TRIPS_PER_CHANNEL * healthy.roundTrips().length;
        rate(healthy, size);
        double[] rates = new double[WINDOWS];
        for (int i = 0; i < WINDOWS; i++) {
            rates[i] = rate(healthy, size);
        }
        Arrays.sort(rates);
        return new AttackWindow(healthy, rates[WINDOWS / 2], healthy.roundTrips(), System.nanoTime());
    }

    /** Round trips per second over the next {@code size} round trips. */
    private static double rate(HealthyChannels healthy, long size) throws InterruptedException {
        long[] from = healthy.roundTrips();
        long fromNanos = System.nanoTime();
        long[] to = healthy.awaitMore(from, size);
        return (HealthyChannels.sum(to) - HealthyChannels.sum(from)) * 1e9 / (System.nanoTime() - fromNanos);
    }

    /** Every healthy pair progressed during the attack, and none failed; prints the rates. */
    void assertProgressAndReport() {
        long roundTrips = healthy.assertEveryPairProgressedSince(start);
        double during = roundTrips * 1e9 / (System.nanoTime() - startNanos);
        System.out.printf("%d healthy channels: %.0f round trips/s before, %.0f during (%.2f);"
                + " %d verified round trips during the attack%n",
                start.length, before, during, during / before, roundTrips);
    }
}
