package io.vchan.bridge.ring;

import java.time.Duration;

/** System.nanoTime() deadlines that a huge timeout cannot overflow into the past. */
public final class Deadline {

    private Deadline() {
    }

    /** {@code System.nanoTime()} at which {@code timeout} from now has passed; "never" saturates. */
    public static long after(Duration timeout) {
        long now = System.nanoTime();
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE; // centuries: as good as never
        }
        return nanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
    }
}
