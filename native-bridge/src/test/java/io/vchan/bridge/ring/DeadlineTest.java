package io.vchan.bridge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeadlineTest {

    @Test
    void anOrdinaryTimeoutEndsThatFarFromNow() {
        long before = System.nanoTime();
        long deadline = Deadline.after(Duration.ofSeconds(5));
        long after = System.nanoTime();
        assertTrue(deadline - before >= 5_000_000_000L && deadline - after <= 5_000_000_000L,
                "deadline " + deadline + " not 5 s after " + before + ".." + after);
    }

    @Test
    void hugeTimeoutsSaturateInsteadOfOverflowingIntoThePast() {
        assertEquals(Long.MAX_VALUE, Deadline.after(Duration.ofNanos(Long.MAX_VALUE)));
        assertEquals(Long.MAX_VALUE, Deadline.after(Duration.ofDays(365L * 1000)));
        assertEquals(Long.MAX_VALUE, Deadline.after(Duration.ofSeconds(Long.MAX_VALUE)));
    }
}
